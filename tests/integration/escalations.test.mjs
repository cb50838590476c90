// Red flags end to end: an answer with a red flag in a real conversation is
// stored with its flags and an escalation row in the same transaction as the
// answer (so an acknowledged answer always has its escalation), a clean
// answer makes none, a self-harm answer is met by the support message
// (chat_support_message) before the flow goes on, and `hark escalations`
// lists them without any answer text.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, stopAll, converse, runHark } from './harness.mjs';

let srv;
before(async () => {
  srv = await startServer();
});
after(stopAll);

const FLAGGED = 'Honestly, some days I want to kill myself.';

async function escalations() {
  const r = await runHark(['escalations', '--data-dir', srv.dataDir, '--tenant', 'demo']);
  const [head, ...rows] = r.stdout.trim().split('\n');
  assert.equal(head, 'id\tcreated_at\tkind\tseverity\tstatus\tconversation\tseq');
  return rows.map((l) => {
    const [id, created, kind, severity, status, conversation, seq] = l.split('\t');
    return { id: +id, created: +created, kind, severity: +severity, status, conversation: +conversation, seq: +seq };
  });
}

/** Runs a whole pulse conversation answering text questions with TEXT. */
async function pulse(text) {
  const { token } = await srv.invite(undefined, 'pulse');
  const c = await srv.connect();
  const w = await c.hello(token, 0);
  const r = await converse(c, w, {
    answer: (input) => (input.kind === 'scale' ? String(input.min) : input.kind === 'choice' ? String(input.options[0]) : text),
  });
  assert.ok(r.done);
  return r;
}

test('a flagged answer makes one open escalation at its seq; a clean one none', async () => {
  const before0 = await escalations();
  const clean = await pulse('The new desks are fine, nothing to add.');
  assert.ok(clean.answers.some((a) => a.text.startsWith('The new desks')), 'the pulse flow asks a text question');
  assert.deepEqual(await escalations(), before0, 'a clean conversation escalates nothing');

  const r = await pulse(FLAGGED);
  const flagged = r.answers.filter((a) => a.text === FLAGGED);
  assert.ok(flagged.length >= 1);
  const rows = (await escalations()).filter((e) => !before0.some((b) => b.id === e.id));
  const selfHarm = rows.filter((e) => e.kind === 'self_harm');
  assert.equal(selfHarm.length, flagged.length, JSON.stringify(rows));
  for (const e of selfHarm) {
    assert.equal(e.severity, 3);
    assert.equal(e.status, 'open');
    assert.ok(flagged.some((a) => a.seq === e.seq), `escalation at seq ${e.seq}, answers at ${flagged.map((a) => a.seq)}`);
  }
  // The bot answers a self-harm answer with the support message first.
  for (const a of flagged) {
    const next = r.msgs.find((m) => m.seq === a.seq + 1);
    assert.ok(next && next.t === 'bot', `a bot message follows seq ${a.seq}`);
    assert.match(next.text, /crisis line/, 'the support message comes right after the answer');
    assert.equal(next.input ?? null, null);
  }
  assert.ok(!clean.msgs.some((m) => /crisis line/.test(m.text ?? '')), 'no support message after a clean answer');
  // The listing carries no answer text.
  const out = (await runHark(['escalations', '--data-dir', srv.dataDir, '--tenant', 'demo'])).stdout;
  assert.ok(!out.includes('kill'), 'no answer text in the listing');
});

test('hark escalations: unknown tenant and missing flag exit 2', async () => {
  let r = await runHark(['escalations', '--data-dir', srv.dataDir, '--tenant', 'nope'], { allowFail: true });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /no tenant 'nope'/);
  r = await runHark(['escalations', '--data-dir', srv.dataDir], { allowFail: true });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /usage: hark escalations --tenant SLUG/);
});
