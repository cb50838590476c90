// Resume after a disconnect and after a crash: reconnecting with last_seq
// yields exactly the missed messages, acknowledged answers survive kill -9,
// and an answer whose ack was lost is stored at most once when re-sent.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, stopAll, converse, replay, expectError, newId, genericAnswer } from './harness.mjs';

let srv; // shared by the tests that do not kill it
let crashy; // killed and restarted by the crash tests
before(async () => {
  [srv, crashy] = await Promise.all([startServer(), startServer()]);
});
after(stopAll);

/** Reads the replay after WELCOME for a client that had seen up to FROMSEQ:
 * exactly seqs FROMSEQ+1 .. welcome.last_seq, in order, once each. */
async function readReplay(c, welcome, fromSeq) {
  assert.equal(welcome.t, 'welcome', JSON.stringify(welcome));
  assert.ok(welcome.last_seq >= fromSeq, `welcome.last_seq ${welcome.last_seq} < client's ${fromSeq}`);
  const msgs = [];
  for (let s = fromSeq + 1; s <= welcome.last_seq; s++) {
    const m = await c.next();
    assert.ok(m.t === 'bot' || m.t === 'you', `replay: unexpected ${JSON.stringify(m)}`);
    assert.equal(m.seq, s, `replay must be exactly the missed messages in order`);
    msgs.push(m);
  }
  return msgs;
}

/** Checks the stored transcript of TOKEN: the ANSWERS ({id, seq}) each appear
 * exactly once, with their seq, and no other answer is there. */
async function assertAnswersStoredOnce(server, token, answers) {
  const full = await replay(server, token);
  const you = full.msgs.filter((m) => m.t === 'you');
  const ids = you.map((m) => m.id);
  assert.equal(new Set(ids).size, ids.length, `an answer id is stored twice: ${ids.join(',')}`);
  assert.deepEqual(you.map((m) => [m.id, m.seq]), answers.map((a) => [a.id, a.seq]));
  return full;
}

test('reconnect with last_seq gets welcome then exactly the missed messages, then the flow continues', async () => {
  const { token } = await srv.invite(undefined, 'pulse');
  const c = await srv.connect();
  const w = await c.hello(token, 0);
  const r = await converse(c, w, { maxAnswers: 1 });
  assert.ok(!r.done, 'the pulse flow asks at least two questions');

  // the second answer: disconnect as soon as its ack is read, before reading on.
  const id2 = newId();
  c.send({ t: 'say', id: id2, text: genericAnswer(r.open.input) });
  const ack = await c.next();
  assert.deepEqual({ t: ack.t, id: ack.id, seq: ack.seq }, { t: 'ack', id: id2, seq: r.lastSeq + 1 });
  const seen = ack.seq;
  c.terminate();
  await c.closed;
  const sentAfter = c.queue.filter((m) => m.seq > seen); // arrived but never "seen" by the app

  const c2 = await srv.connect();
  const w2 = await c2.hello(token, seen);
  const missed = await readReplay(c2, w2, seen);
  assert.ok(missed.every((m) => m.t === 'bot'), 'only the bot messages after the last answer were missed');
  for (const m of sentAfter) {
    const again = missed.find((x) => x.seq === m.seq);
    assert.ok(again, `message ${m.seq} sent before the disconnect is in the replay`);
    assert.deepEqual(again, m, `message ${m.seq} is replayed as it was first sent`);
  }
  const known = new Map(missed.map((m) => [m.seq, m]));
  const rest = await converse(c2, w2, { lastSeq: w2.last_seq, known });
  assert.ok(rest.done, 'the flow continues to done');
  assert.equal((await c2.closedWithin()).code, 1000);

  await assertAnswersStoredOnce(srv, token, [...r.answers, { id: id2, seq: ack.seq }, ...rest.answers]);
});

test('a normal close and reconnect with last_seq up to date replays nothing', async () => {
  const { token } = await srv.invite(undefined, 'pulse');
  const c = await srv.connect();
  const w = await c.hello(token, 0);
  const r = await converse(c, w, { maxAnswers: 1 });
  c.close();
  await c.closed;
  const c2 = await srv.connect();
  const w2 = await c2.hello(token, r.lastSeq);
  assert.deepEqual({ t: w2.t, last_seq: w2.last_seq, awaiting: w2.awaiting },
    { t: 'welcome', last_seq: r.lastSeq, awaiting: r.open ? r.open.seq : null });
  await c2.expectSilence(300);
  c2.close();
});

test('last_seq beyond the server\'s is a bad_request (1008)', async () => {
  const { token } = await srv.invite(undefined, 'pulse');
  const c = await srv.connect();
  const w = await c.hello(token, 0);
  const r = await converse(c, w, { maxAnswers: 1 });
  c.close();
  await c.closed;
  const c2 = await srv.connect();
  c2.send({ t: 'hello', token, last_seq: r.lastSeq + 1 });
  await expectError(c2, 'bad_request', 1008, 'last_seq + 1');
  const c3 = await srv.connect();
  c3.send({ t: 'hello', token, last_seq: 1e6 });
  await expectError(c3, 'bad_request', 1008, 'last_seq 1e6');
  // the conversation itself is intact.
  const c4 = await srv.connect();
  const w4 = await c4.hello(token, r.lastSeq);
  assert.equal(w4.last_seq, r.lastSeq);
  c4.close();
});

test('kill -9 right after an ack: every acked answer survives once and the flow continues', async () => {
  const { token } = await crashy.invite(undefined, 'pulse');
  const c = await crashy.connect();
  const w = await c.hello(token, 0);
  const r = await converse(c, w, { maxAnswers: 1 });
  assert.ok(!r.done, 'the pulse flow asks at least two questions');
  const id2 = newId();
  c.send({ t: 'say', id: id2, text: genericAnswer(r.open.input) });
  const ack = await c.next();
  assert.deepEqual({ t: ack.t, id: ack.id, seq: ack.seq }, { t: 'ack', id: id2, seq: r.lastSeq + 1 });
  await crashy.kill9();
  await c.closed;

  await crashy.restart();
  const c2 = await crashy.connect();
  const w2 = await c2.hello(token, ack.seq);
  const missed = await readReplay(c2, w2, ack.seq);
  const known = new Map(missed.map((m) => [m.seq, m]));
  const rest = await converse(c2, w2, { lastSeq: w2.last_seq, known });
  assert.ok(rest.done, 'the flow continues to done after the restart');
  await c2.closed;

  const full = await assertAnswersStoredOnce(crashy, token,
    [...r.answers, { id: id2, seq: ack.seq }, ...rest.answers]);
  assert.ok(full.done, 'the completed conversation replays with done');
});

test('kill -9 before the ack: the same say id sent again after the restart is stored at most once', async () => {
  const { token } = await crashy.invite(undefined, 'pulse');
  const c = await crashy.connect();
  const w = await c.hello(token, 0);
  const r = await converse(c, w, { maxAnswers: 1 });
  assert.ok(!r.done, 'the pulse flow asks at least two questions');
  const id = newId();
  const text = genericAnswer(r.open.input);
  c.send({ t: 'say', id, text });
  await crashy.kill9(); // no waiting for the ack: it may or may not have been committed
  await c.closed;

  await crashy.restart();
  const c2 = await crashy.connect();
  const w2 = await c2.hello(token, r.lastSeq);
  const missed = await readReplay(c2, w2, r.lastSeq);
  const stored = missed.find((m) => m.t === 'you');
  let ackSeq;
  if (stored) {
    // committed before the kill: the replay has it, with the same id.
    assert.equal(stored.id, id);
    assert.equal(stored.seq, r.lastSeq + 1);
    assert.equal(stored.text, text);
    ackSeq = stored.seq;
  } else {
    assert.equal(w2.last_seq, r.lastSeq, 'nothing after the last ack was stored');
    assert.equal(w2.awaiting, r.open.seq, 'the question is still open');
    ackSeq = r.lastSeq + 1;
  }
  let finished = false;
  if (w2.awaiting === null) {
    // the answer completed the flow: the replay ends with done.
    assert.ok(stored, 'a conversation with no open question had the answer stored');
    assert.deepEqual(await c2.next(), { t: 'done' });
    finished = true;
  } else {
    c2.send({ t: 'say', id, text });
    const ack = await c2.next();
    assert.deepEqual({ t: ack.t, id: ack.id, seq: ack.seq }, { t: 'ack', id, seq: ackSeq },
      'the re-sent id is acknowledged with its (original) seq');
  }
  c2.close();
  await c2.closed;

  // carry on to done from a fresh connection.
  let rest = { answers: [] };
  if (!finished) {
    const c3 = await crashy.connect();
    const w3 = await c3.hello(token, ackSeq);
    const more = await readReplay(c3, w3, ackSeq);
    rest = await converse(c3, w3, { lastSeq: w3.last_seq, known: new Map(more.map((m) => [m.seq, m])) });
    assert.ok(rest.done);
  }
  await assertAnswersStoredOnce(crashy, token, [...r.answers, { id, seq: ackSeq }, ...rest.answers]);
});

test('a hello that arrives while the older connection\'s answer is being committed gets a welcome that includes it', async () => {
  // The race: connection A sends an answer; before its commit, connection B
  // says hello. Either B's hello won (A's answer is then never stored and A is
  // replaced without an ack) or A's answer is stored and B's replay holds it,
  // with the next question awaited. What must never happen: A's answer stored
  // but missing from B's view, so that B answers the old question again and
  // then receives messages it did not ask for.
  let sawAnswerInReplay = 0;
  for (let round = 0; round < 8; round++) {
    const { token } = await srv.invite(undefined, 'pulse');
    const a = await srv.connect();
    const wa = await a.hello(token, 0);
    const r = await converse(a, wa, { maxAnswers: 0 });
    const idA = newId();
    const b = await srv.connect(); // upgraded first, so its hello follows A's say at once
    a.send({ t: 'say', id: idA, text: genericAnswer(r.open.input) });
    const wb = await b.hello(token, r.lastSeq);
    assert.equal(wb.t, 'welcome', JSON.stringify(wb));
    const replayed = [];
    for (let s = r.lastSeq + 1; s <= wb.last_seq; s++) replayed.push(await b.next());
    await new Promise((res) => setTimeout(res, 200));
    assert.deepEqual(b.queue, [], `nothing may arrive after the replay unasked: ${JSON.stringify(b.queue)}`);
    const closeA = await a.closed;
    assert.equal(closeA.code, 4001);
    b.terminate();
    await b.closed;
    const stored = (await replay(srv, token)).msgs.filter((m) => m.t === 'you').map((m) => m.id);
    const you = replayed.find((m) => m.t === 'you');
    if (stored.includes(idA)) {
      sawAnswerInReplay++;
      assert.ok(you && you.id === idA, `A's answer is stored, so B's replay must hold it: ${JSON.stringify(replayed)}`);
      assert.ok(wb.awaiting > you.seq, `B must await the question after A's answer, not ${wb.awaiting}`);
    } else {
      assert.equal(you, undefined);
      assert.equal(wb.awaiting, r.open.seq, 'A\'s answer was not stored: B awaits the same question');
    }
  }
  assert.ok(sawAnswerInReplay > 0, 'the race was never entered: A\'s answer always lost to B\'s hello');
});
