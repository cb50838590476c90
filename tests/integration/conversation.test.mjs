// Chat wire protocol v1, the happy paths: whole conversations through each
// default flow, replay of a completed conversation, repeated say ids, answers
// that do not fit the question, ping, and one live connection per
// conversation. See DESIGN.md "Chat wire protocol v1".

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, stopAll, converse, replay, expectError, newId, TOUCHPOINTS, genericAnswer } from './harness.mjs';

let srv;
before(async () => {
  srv = await startServer();
});
after(stopAll);

/** The transcript as the server must replay it: bot messages and answers in seq order. */
function transcriptOf(r) {
  const you = r.answers.map((a) => ({ t: 'you', seq: a.seq, id: a.id, text: a.text }));
  return [...r.msgs, ...you].sort((a, b) => a.seq - b.seq).map(shape);
}

function shape(m) {
  return m.t === 'bot'
    ? { t: 'bot', seq: m.seq, text: m.text, input: m.input ?? null }
    : { t: 'you', seq: m.seq, id: m.id, text: m.text };
}

/** Starts a fresh conversation for TOUCHPOINT and reads it up to its first open question. */
async function begin(touchpoint = 'pulse') {
  const { token } = await srv.invite(undefined, touchpoint);
  const c = await srv.connect();
  const w = await c.hello(token, 0);
  const r = await converse(c, w, { maxAnswers: 0 });
  assert.ok(!r.done && r.open, `the ${touchpoint} flow asks a question`);
  return { token, c, w, r };
}

/** A fresh conversation read up to its first open question of KIND, trying
 * each default flow in turn. */
async function openQuestionOfKind(kind) {
  for (const tp of ['pulse', ...TOUCHPOINTS.filter((t) => t !== 'pulse')]) {
    const { token } = await srv.invite(undefined, tp);
    const c = await srv.connect();
    const w = await c.hello(token, 0);
    const r = await converse(c, w, { stopAt: (q) => q.input.kind === kind });
    if (!r.done) return { token, c, q: r.open, r };
    await c.closed;
  }
  assert.fail(`no default flow asks a ${kind} question`);
}

for (const tp of TOUCHPOINTS) {
  test(`${tp}: a whole conversation, dense seqs, acks before the next message, done and close 1000`, async () => {
    const { token } = await srv.invite(undefined, tp);
    const c = await srv.connect();
    const w = await c.hello(token, 0);
    assert.equal(w.t, 'welcome', JSON.stringify(w));
    assert.equal(typeof w.conversation, 'string');
    const r = await converse(c, w, { lastSeq: 0 });
    assert.ok(r.done, 'ends with done');
    assert.ok(r.answers.length >= 1, 'the flow asks at least one question');
    assert.ok(r.msgs.length >= 1 && r.msgs[0].seq === 1, 'seqs start at 1');
    assert.equal(r.msgs.length + r.answers.length, r.lastSeq, 'every seq is a message or an answer');
    assert.equal((await c.closedWithin(5000)).code, 1000);

    // hello again on the completed conversation: the whole replay, then done, then 1000.
    const c2 = await srv.connect();
    const w2 = await c2.hello(token, 0);
    assert.equal(w2.t, 'welcome', JSON.stringify(w2));
    assert.equal(w2.conversation, w.conversation);
    assert.equal(w2.last_seq, r.lastSeq);
    assert.equal(w2.awaiting, null);
    const got = [];
    for (let i = 0; i < w2.last_seq; i++) got.push(shape(await c2.next()));
    assert.deepEqual(got, transcriptOf(r));
    assert.deepEqual(await c2.next(), { t: 'done' });
    assert.equal((await c2.closedWithin(5000)).code, 1000);

    // with last_seq up to date: an empty replay, done, 1000.
    const c3 = await srv.connect();
    const w3 = await c3.hello(token, r.lastSeq);
    assert.deepEqual({ t: w3.t, last_seq: w3.last_seq, awaiting: w3.awaiting },
      { t: 'welcome', last_seq: r.lastSeq, awaiting: null });
    assert.deepEqual(await c3.next(), { t: 'done' });
    assert.equal((await c3.closedWithin(5000)).code, 1000);
  });
}

test('a repeated say id is acknowledged again with its original seq and stored once', async () => {
  const { token } = await srv.invite(undefined, 'pulse');
  const c = await srv.connect();
  const first = await converse(c, await c.hello(token, 0), { maxAnswers: 1 });
  assert.ok(!first.done && first.open, 'the pulse flow asks at least two questions');
  const a = first.answers[0];

  c.send({ t: 'say', id: a.id, text: a.text });
  const again = await c.next();
  assert.deepEqual({ t: again.t, id: again.id, seq: again.seq }, { t: 'ack', id: a.id, seq: a.seq });
  await c.expectSilence(300);

  // the open question is still open and takes the next seq.
  const id2 = newId();
  c.send({ t: 'say', id: id2, text: genericAnswer(first.open.input) });
  const ack2 = await c.next();
  assert.deepEqual({ t: ack2.t, id: ack2.id, seq: ack2.seq }, { t: 'ack', id: id2, seq: first.lastSeq + 1 });
  c.close();

  const full = await replay(srv, token);
  const you = full.msgs.filter((m) => m.t === 'you');
  assert.deepEqual(you.map((m) => [m.id, m.seq]), [[a.id, a.seq], [id2, ack2.seq]]);
});

test('a scale answer out of range is a bad_request (1008) and changes nothing', async () => {
  const { token, c, q, r } = await openQuestionOfKind('scale');
  c.send({ t: 'say', id: newId(), text: String(q.input.max + 1) });
  await expectError(c, 'bad_request', 1008, 'scale max+1');

  const c2 = await srv.connect();
  const w2 = await c2.hello(token, r.lastSeq);
  assert.equal(w2.t, 'welcome');
  assert.equal(w2.last_seq, r.lastSeq, 'nothing was stored');
  assert.equal(w2.awaiting, q.seq, 'the question is still open');
  c2.send({ t: 'say', id: newId(), text: String(q.input.min - 1) });
  await expectError(c2, 'bad_request', 1008, 'scale min-1');
});

test('a choice that was not offered is a bad_request (1008)', async () => {
  const { c, q } = await openQuestionOfKind('choice');
  let text = 'Something else entirely';
  while (q.input.options.includes(text)) text += '!';
  c.send({ t: 'say', id: newId(), text });
  await expectError(c, 'bad_request', 1008, 'choice not offered');
});

test('ping gets pong and changes nothing', async () => {
  const { token, c, r } = await begin('pulse');
  c.send({ t: 'ping' });
  assert.deepEqual(await c.next(), { t: 'pong' });
  c.send({ t: 'ping' });
  c.send({ t: 'ping' });
  assert.deepEqual(await c.next(), { t: 'pong' });
  assert.deepEqual(await c.next(), { t: 'pong' });
  c.close();
  await c.closed;
  const c2 = await srv.connect();
  const w2 = await c2.hello(token, r.lastSeq);
  assert.equal(w2.last_seq, r.lastSeq);
  assert.equal(w2.awaiting, r.open.seq);
  c2.close();
});

test('a newer hello for the same conversation gets the replay and closes the older connection with 4001', async () => {
  const { token, c, w, r } = await begin('pulse');
  const c2 = await srv.connect();
  const w2 = await c2.hello(token, 0);
  assert.equal(w2.t, 'welcome', JSON.stringify(w2));
  assert.equal(w2.conversation, w.conversation);
  assert.equal(w2.last_seq, r.lastSeq);
  assert.equal(w2.awaiting, r.open.seq);
  const got = [];
  for (let i = 0; i < w2.last_seq; i++) got.push(shape(await c2.next()));
  assert.deepEqual(got, r.msgs.map(shape));
  assert.equal((await c.closedWithin(5000)).code, 4001);

  // the newer connection carries on.
  const more = await converse(c2, w2, { lastSeq: w2.last_seq, known: [[r.open.seq, r.open]], maxAnswers: 1 });
  assert.equal(more.answers.length, 1);
  c2.close();
});
