// The two fixed 10 s limits: a WebSocket that never says hello, and an HTTP
// request head that never completes. They run side by side so the file takes
// about 10 s, not 20.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, stopAll, rawHttp } from './harness.mjs';

let srv;
before(async () => {
  srv = await startServer();
});
after(stopAll);

describe('10 s limits', { concurrency: true }, () => {
  test('a WebSocket with no hello within 10 s is closed', async () => {
    const c = await srv.connect();
    const t0 = Date.now();
    const { code } = await c.closedWithin(13000);
    const took = Date.now() - t0;
    assert.ok(took >= 9000, `closed after ${took} ms, before the 10 s hello limit`);
    assert.ok([1008, 1002, 1001, 1000].includes(code), `close code ${code}: a close frame is expected`);
    await srv.assertHealthy();
  });

  test('a request head that stalls gets 408 after about 10 s', async () => {
    const h = await rawHttp(srv.port);
    const t0 = Date.now();
    h.write('GET /heal');
    const res = await h.read(13000);
    const took = Date.now() - t0;
    assert.ok(res, 'a response before the connection is closed');
    assert.equal(res.status, 408);
    assert.ok(took >= 9000, `408 after ${took} ms`);
    assert.ok(await h.waitEnd(3000), 'the connection is closed after the 408');
    await srv.assertHealthy();
  });

  test('a client that connects and sends nothing is dropped after about 10 s', async () => {
    const h = await rawHttp(srv.port);
    const t0 = Date.now();
    assert.ok(await h.waitEnd(13000), 'an idle new connection is closed');
    assert.ok(Date.now() - t0 >= 9000, 'not before the limit');
  });
});
