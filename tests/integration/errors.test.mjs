// Bad input on the chat socket: malformed messages, protocol misuse, bad and
// expired tokens, oversized and malformed WebSocket frames, disallowed
// origins. After each one the server must still serve other conversations.
// (The 10 s hello timeout is in timeouts.test.mjs.)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, stopAll, converse, expectError, newId, genericAnswer, TOUCHPOINTS, OP, frame, closePayload,
} from './harness.mjs';

let srv;
before(async () => {
  srv = await startServer();
});
after(stopAll);

/** A test of bad input, followed by a check that the server is still healthy. */
function bad(name, fn) {
  test(name, async () => {
    await fn();
    await srv.assertHealthy(`after "${name}":`);
  });
}

/** A fresh conversation, said hello to and read up to its first open question. */
async function opened(touchpoint = 'pulse') {
  const { token } = await srv.invite(undefined, touchpoint);
  const c = await srv.connect();
  const w = await c.hello(token, 0);
  const r = await converse(c, w, { maxAnswers: 0 });
  assert.ok(r.open, 'a question is open');
  return { token, c, w, r };
}

/** A fresh conversation read up to its first open text question. */
async function openedText() {
  for (const tp of ['pulse', ...TOUCHPOINTS.filter((t) => t !== 'pulse')]) {
    const { token } = await srv.invite(undefined, tp);
    const c = await srv.connect();
    const w = await c.hello(token, 0);
    const r = await converse(c, w, { stopAt: (q) => q.input.kind === 'text' });
    if (!r.done) return { token, c, r };
    await c.closed;
  }
  assert.fail('no default flow asks a text question');
}

/** A raw connection that has said hello on a fresh conversation and read its welcome. */
async function rawOpened() {
  const { token } = await srv.invite(undefined, 'pulse');
  const raw = await srv.raw();
  raw.sendJSON({ t: 'hello', token, last_seq: 0 });
  const w = await raw.nextJSON();
  assert.equal(w.t, 'welcome', JSON.stringify(w));
  return { token, raw };
}

bad('a frame that is not JSON is a bad_request (1008)', async () => {
  const c = await srv.connect();
  c.send('hello there');
  await expectError(c, 'bad_request', 1008, 'not JSON before hello');
  const { c: c2 } = await opened();
  c2.send('{"t":"say","id":"x",');
  await expectError(c2, 'bad_request', 1008, 'truncated JSON after hello');
});

bad('JSON that is not an object is a bad_request (1008)', async () => {
  for (const text of ['[1,2,3]', '"hello"', '42', 'null']) {
    const c = await srv.connect();
    c.send(text);
    await expectError(c, 'bad_request', 1008, text);
  }
});

bad('an unknown "t" is a bad_request (1008)', async () => {
  const { c } = await opened();
  c.send({ t: 'frobnicate' });
  await expectError(c, 'bad_request', 1008, 'unknown t after hello');
  const c2 = await srv.connect();
  c2.send({ t: 'frobnicate', token: 'x' });
  await expectError(c2, 'bad_request', 1008, 'unknown t as first frame');
  const c3 = await srv.connect();
  c3.send({ token: 'x', last_seq: 0 });
  await expectError(c3, 'bad_request', 1008, 'no t at all');
});

bad('hello without a token is a bad_request (1008)', async () => {
  const c = await srv.connect();
  c.send({ t: 'hello', last_seq: 0 });
  await expectError(c, 'bad_request', 1008, 'hello without token');
  const c2 = await srv.connect();
  c2.send({ t: 'hello', token: 12345, last_seq: 0 });
  await expectError(c2, 'bad_request', 1008, 'hello with a numeric token');
});

bad('say without an id, without a text, or with a text that is not a string is a bad_request (1008)', async () => {
  for (const [what, msg] of [
    ['no id', (t) => ({ t: 'say', text: t })],
    ['no text', () => ({ t: 'say', id: newId() })],
    ['numeric text', () => ({ t: 'say', id: newId(), text: 4 })],
    ['empty id', (t) => ({ t: 'say', id: '', text: t })],
  ]) {
    const { c, r } = await opened();
    c.send(msg(genericAnswer(r.open.input)));
    await expectError(c, 'bad_request', 1008, what);
  }
});

bad('say before hello is a bad_request (1008)', async () => {
  const c = await srv.connect();
  c.send({ t: 'say', id: newId(), text: 'hello?' });
  await expectError(c, 'bad_request', 1008, 'say before hello');
});

bad('a say id of 64 bytes is fine, 65 bytes is a bad_request (1008)', async () => {
  const { c, r } = await opened();
  c.send({ t: 'say', id: 'i'.repeat(65), text: genericAnswer(r.open.input) });
  await expectError(c, 'bad_request', 1008, '65-byte id');

  const { c: c2, r: r2 } = await opened();
  const id = 'é'.repeat(32); // 64 bytes of UTF-8
  c2.send({ t: 'say', id, text: genericAnswer(r2.open.input) });
  const ack = await c2.next();
  assert.deepEqual({ t: ack.t, id: ack.id, seq: ack.seq }, { t: 'ack', id, seq: r2.lastSeq + 1 });
  c2.close();

  const { c: c3, r: r3 } = await opened();
  c3.send({ t: 'say', id: 'é'.repeat(32) + 'x', text: genericAnswer(r3.open.input) }); // 33 chars, 65 bytes
  await expectError(c3, 'bad_request', 1008, '65-byte id of 33 characters');
});

bad('a text over 4 KiB is too_large (1009); exactly 4 KiB is accepted', async () => {
  const { token, c, r } = await openedText();
  c.send({ t: 'say', id: newId(), text: 'é'.repeat(2048) + '.' }); // 2049 characters, 4097 bytes
  await expectError(c, 'too_large', 1009, '4097-byte text');

  const c2 = await srv.connect();
  const w2 = await c2.hello(token, r.lastSeq);
  assert.equal(w2.t, 'welcome');
  assert.equal(w2.awaiting, r.open.seq, 'the text question is still open');
  const id = newId();
  c2.send({ t: 'say', id, text: 'é'.repeat(2048) }); // exactly 4096 bytes
  const ack = await c2.next();
  assert.deepEqual({ t: ack.t, id: ack.id, seq: ack.seq }, { t: 'ack', id, seq: r.lastSeq + 1 });
  c2.close();
});

bad('a WebSocket frame over 64 KiB is closed with 1009', async () => {
  const { raw } = await rawOpened();
  const big = frame(OP.TEXT, JSON.stringify({ t: 'say', id: newId(), text: 'a'.repeat(70 * 1024) }));
  // The header and a little of the payload first: a server that checks the
  // declared length closes now; one that counts what it reads gets the rest.
  raw.write(big.subarray(0, 2048));
  let close;
  try {
    close = await raw.closeFrame(2000);
  } catch {
    raw.write(big.subarray(2048));
    close = await raw.closeFrame(5000);
  }
  assert.equal(close.code, 1009, 'close code for a 70 KiB frame');
  raw.destroy();
});

bad('a message over 64 KiB in small fragments is closed with 1009', async () => {
  const { raw } = await rawOpened();
  const chunk = 'a'.repeat(8 * 1024);
  raw.sendFrame(OP.TEXT, '{"t":"say","id":"big","text":"', { fin: false });
  let close = null;
  for (let i = 0; i < 10 && !close; i++) {
    raw.sendFrame(OP.CONT, chunk, { fin: false });
    try {
      close = await raw.closeFrame(100);
    } catch {
      /* not yet */
    }
  }
  if (!close) {
    raw.sendFrame(OP.CONT, '"}', { fin: true });
    close = await raw.closeFrame(5000);
  }
  assert.equal(close.code, 1009, 'close code for an 80 KiB fragmented message');
  raw.destroy();
});

bad('a text frame that is not valid UTF-8 is closed with 1007', async () => {
  const { raw } = await rawOpened();
  raw.sendFrame(OP.TEXT, Buffer.from([0x7b, 0x22, 0x74, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d])); // {"t":"\xff\xfe"}
  const close = await raw.closeFrame(5000);
  assert.equal(close.code, 1007);
  raw.destroy();
});

bad('an overlong UTF-8 encoding in a text frame is closed with 1007', async () => {
  const { raw } = await rawOpened();
  raw.sendFrame(OP.TEXT, Buffer.concat([Buffer.from('{"t":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]));
  const close = await raw.closeFrame(5000);
  assert.equal(close.code, 1007);
  raw.destroy();
});

bad('an unknown token is bad_token (1008)', async () => {
  const { token } = await srv.invite(undefined, 'pulse');
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  let fake = '';
  for (let i = 0; i < token.length; i++) fake += alphabet[Math.floor(Math.random() * 64)];
  for (const t of [fake, 'nope', 'a'.repeat(500)]) {
    const c = await srv.connect();
    c.send({ t: 'hello', token: t, last_seq: 0 });
    await expectError(c, 'bad_token', 1008, `token ${t.slice(0, 20)}…`);
  }
});

bad('a tampered token (one character changed in the middle) is bad_token (1008)', async () => {
  const { token } = await srv.invite(undefined, 'pulse');
  const mid = Math.floor(token.length / 2);
  const tampered = token.slice(0, mid) + (token[mid] === 'A' ? 'B' : 'A') + token.slice(mid + 1);
  const c = await srv.connect();
  c.send({ t: 'hello', token: tampered, last_seq: 0 });
  await expectError(c, 'bad_token', 1008, 'tampered token');
  // the untampered one works.
  const c2 = await srv.connect();
  const w = await c2.hello(token, 0);
  assert.equal(w.t, 'welcome');
  c2.close();
});

bad('an expired invitation is expired (1008)', async () => {
  const { token } = await srv.invite(undefined, 'pulse', { now: '2020-01-06T09:00:00Z' });
  const c = await srv.connect();
  c.send({ t: 'hello', token, last_seq: 0 });
  await expectError(c, 'expired', 1008, 'token made in 2020');
});

bad('a fragmented text message (with a ping between the fragments) is reassembled', async () => {
  const { token } = await srv.invite(undefined, 'pulse');
  const raw = await srv.raw();
  const hello = JSON.stringify({ t: 'hello', token, last_seq: 0 });
  const cut = Math.floor(hello.length / 2);
  raw.sendFrame(OP.TEXT, hello.slice(0, cut), { fin: false });
  raw.sendFrame(OP.CONT, hello.slice(cut), { fin: true });
  const w = await raw.nextJSON();
  assert.equal(w.t, 'welcome', JSON.stringify(w));

  // a control frame may come between the fragments of a message.
  raw.sendFrame(OP.TEXT, '{"t":', { fin: false });
  raw.sendFrame(OP.PING, 'are you there');
  raw.sendFrame(OP.CONT, '"ping"}', { fin: true });
  let pongFrame = false;
  let pongMsg = false;
  for (let i = 0; i < 50 && !(pongFrame && pongMsg); i++) {
    const f = await raw.nextFrame(5000);
    assert.ok(f, 'connection ended');
    assert.notEqual(f.opcode, OP.CLOSE, `closed with ${f.code}`);
    if (f.opcode === OP.PONG) {
      assert.equal(f.payload.toString(), 'are you there');
      pongFrame = true;
    } else if (f.opcode === OP.TEXT && JSON.parse(f.payload.toString()).t === 'pong') {
      pongMsg = true;
    }
  }
  assert.ok(pongFrame && pongMsg, 'a pong frame and a {"t":"pong"} message');
  raw.destroy();
});

bad('a close frame with a reserved or invalid code is answered with 1002', async () => {
  for (const code of [1005, 999, 1006, 1015, 2999]) {
    const { raw } = await rawOpened();
    raw.sendFrame(OP.CLOSE, closePayload(code));
    const close = await raw.closeFrame(5000);
    assert.equal(close.code, 1002, `close code sent back for ${code}`);
    raw.destroy();
  }
});

bad('a normal close with a valid code is echoed', async () => {
  for (const code of [1000, 1001, 4000]) {
    const { raw } = await rawOpened();
    raw.sendFrame(OP.CLOSE, closePayload(code, 'bye'));
    const close = await raw.closeFrame(5000);
    assert.ok(close.code === code || close.code === 1000, `close code sent back for ${code}: ${close.code}`);
    raw.destroy();
  }
});

bad('an unmasked client frame is closed with 1002', async () => {
  const { raw } = await rawOpened();
  raw.sendFrame(OP.TEXT, '{"t":"ping"}', { mask: false });
  const close = await raw.closeFrame(5000);
  assert.equal(close.code, 1002);
  raw.destroy();
});

test('an Origin not in --allowed-origins gets HTTP 403 on upgrade; an allowed one works', async () => {
  const good = 'http://good.example';
  const s2 = await startServer({ serveArgs: ['--allowed-origins', good], origin: good });
  await assert.rejects(s2.connect({ origin: 'http://evil.example' }), (e) => e.status === 403);
  await assert.rejects(s2.connect({ origin: s2.url }), (e) => e.status === 403,
    'the server\'s own origin is not allowed when an allowlist is set without it');
  const { token } = await s2.invite(undefined, 'pulse');
  const c = await s2.connect({ origin: good });
  const w = await c.hello(token, 0);
  assert.equal(w.t, 'welcome');
  c.close();
  await s2.assertHealthy();
  await srv.assertHealthy();
});

test('with no allowlist, the server\'s own origin and no Origin at all are allowed, another origin is not', async () => {
  const { token } = await srv.invite(undefined, 'pulse');
  await assert.rejects(srv.connect({ origin: 'http://evil.example' }), (e) => e.status === 403);
  const c = await srv.connect({ origin: undefined });
  const w = await c.hello(token, 0);
  assert.equal(w.t, 'welcome');
  c.close();
});
