// The HTTP surface as a client sees it: health, the chat page and its static
// files, 404, the header/body/keep-alive limits, and graceful shutdown on
// SIGTERM. (The 408 for a stalled request head is in timeouts.test.mjs.)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, stopAll, rawHttp, converse, sleep } from './harness.mjs';

let srv;
before(async () => {
  srv = await startServer();
});
after(stopAll);

async function get(path, headers = {}) {
  const res = await fetch(srv.url + path, { headers, redirect: 'manual' });
  const body = await res.text();
  return { status: res.status, headers: res.headers, body };
}

test('GET /healthz is 200', async () => {
  const r = await get('/healthz');
  assert.equal(r.status, 200);
});

test('GET /c/TOKEN serves the chat page with a CSP and no inline script', async () => {
  const { token } = await srv.invite(undefined, 'pulse');
  const r = await get(`/c/${token}`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type') ?? '', /^text\/html\b/);
  const csp = r.headers.get('content-security-policy');
  assert.ok(csp, 'a Content-Security-Policy header');
  assert.match(csp, /(default-src|script-src) [^;]*'self'/);
  assert.doesNotMatch(csp, /'unsafe-inline'|'unsafe-eval'/);
  const scripts = [...r.body.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script\s*>/gi)];
  assert.ok(scripts.length >= 1, 'the page loads a script');
  for (const [, attrs, content] of scripts) {
    assert.match(attrs, /\bsrc\s*=/, `a <script> without src: ${attrs}`);
    assert.equal(content.trim(), '', 'a <script> with inline content');
  }
  assert.doesNotMatch(r.body, /\son[a-z]+\s*=/i, 'an inline event handler attribute');
  assert.doesNotMatch(r.body, /\sstyle\s*=/i, 'an inline style attribute');
  assert.doesNotMatch(r.body, /<style\b/i, 'an inline <style> element');
  assert.match(r.body, /src="\/static\/chat\/chat\.js"/);
  assert.match(r.body, /href="\/static\/chat\/chat\.css"/);
  assert.ok(!r.body.includes(token), 'the page does not echo the token');
});

test('GET /static/chat/chat.js and chat.css are served with fitting content types', async () => {
  const js = await get('/static/chat/chat.js');
  assert.equal(js.status, 200);
  assert.match(js.headers.get('content-type') ?? '', /^(text|application)\/javascript\b/);
  assert.ok(js.body.includes('/chat/ws'), 'it is the chat script');
  const css = await get('/static/chat/chat.css');
  assert.equal(css.status, 200);
  assert.match(css.headers.get('content-type') ?? '', /^text\/css\b/);
});

test('an unknown path is 404', async () => {
  assert.equal((await get('/no/such/path')).status, 404);
  assert.equal((await get('/static/chat/nope.js')).status, 404);
});

test('a header section over 16 KiB is 431', async () => {
  const h = await rawHttp(srv.port);
  h.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Filler: ${'a'.repeat(17 * 1024)}\r\n\r\n`);
  const res = await h.read(5000);
  assert.ok(res, 'a response before the connection is closed');
  assert.equal(res.status, 431);
  h.destroy();

  // many small headers adding up past the limit too.
  const h2 = await rawHttp(srv.port);
  let head = 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n';
  for (let i = 0; i < 400; i++) head += `X-H${i}: ${'b'.repeat(50)}\r\n`;
  h2.write(head + '\r\n');
  const res2 = await h2.read(5000);
  assert.ok(res2, 'a response before the connection is closed');
  assert.equal(res2.status, 431);
  h2.destroy();
  assert.equal((await get('/healthz')).status, 200);
});

test('a body over 1 MiB is 413', async () => {
  const h = await rawHttp(srv.port);
  h.write('POST /api/v1/session HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n'
    + `Content-Length: ${2 * 1024 * 1024}\r\n\r\n`);
  // Send the body in chunks until the server answers: a server that checks
  // Content-Length answers at once, one that counts bytes after 1 MiB.
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  let res = null;
  for (let sent = 0; sent < 2 * 1024 * 1024 && !res && !h.ended; sent += chunk.length) {
    try {
      res = await h.read(20);
    } catch {
      h.write(chunk);
    }
  }
  if (!res) res = await h.read(5000);
  assert.ok(res, 'a response before the connection is closed');
  assert.equal(res.status, 413);
  h.destroy();
  assert.equal((await get('/healthz')).status, 200);
});

test('keep-alive: two requests on one connection', async () => {
  const h = await rawHttp(srv.port);
  h.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  const a = await h.read();
  assert.equal(a.status, 200);
  assert.ok(!/close/i.test(a.headers.connection ?? ''), 'the first response keeps the connection open');
  await sleep(50);
  assert.ok(!h.ended, 'the connection is still open');
  h.write('GET /static/chat/chat.css HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  const b = await h.read();
  assert.equal(b.status, 200);
  assert.match(b.headers['content-type'] ?? '', /^text\/css/);

  // pipelined: two requests in one write, two responses in order.
  h.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /no/such/path HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  assert.equal((await h.read()).status, 200);
  assert.equal((await h.read()).status, 404);

  // Connection: close is honoured.
  h.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
  assert.equal((await h.read()).status, 200);
  assert.ok(await h.waitEnd(3000), 'closed after Connection: close');
});

test('SIGTERM closes open WebSockets with 1001 and exits 0', async () => {
  const s2 = await startServer();
  const { token } = await s2.invite(undefined, 'pulse');
  const c = await s2.connect();
  const w = await c.hello(token, 0);
  await converse(c, w, { maxAnswers: 0 });
  const idle = await rawHttp(s2.port); // an idle keep-alive connection too
  idle.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  assert.equal((await idle.read()).status, 200);

  const exited = s2.terminate(10000);
  const { code } = await c.closedWithin(10000);
  assert.equal(code, 1001);
  const { code: exitCode, signal } = await exited;
  assert.equal(signal, null, 'exited by itself, not killed');
  assert.equal(exitCode, 0);
  assert.ok(await idle.waitEnd(1000), 'the idle connection was closed');
});
