// The admin panel's configuration API against a real `hark serve`: flows
// (versions, validation errors that name the node, a running conversation
// staying on its version), touchpoints (edits checked by the rules library,
// ad hoc campaigns), webhooks delivered to a real HTTP receiver started here
// (HMAC signature, retries with backoff after a 500, 'failed' after the last
// attempt, no answer text and no employee in a payload), roles and tenant
// isolation.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import { stopAll, converse, runHark, sleep } from './harness.mjs';
import { startApiServer, adminApi, Api } from './api.mjs';

const RETRY_BASE_MS = 400;
const MAX_ATTEMPTS = 3;
const FLAGGED = 'Honestly, some days I want to kill myself.';

let srv;
let admin;
let receiver;

/** An HTTP receiver on 127.0.0.1:0. /hook answers 500 to the first attempt
 * of each delivery and 200 after; /always500 always 500; anything else 200.
 * Every request is kept with its arrival time. */
async function startReceiver() {
  const requests = [];
  const seen = new Set();
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const r = { path: req.url, method: req.method, headers: req.headers, body, at: Date.now() };
      requests.push(r);
      let status = 200;
      if (req.url === '/always500') status = 500;
      if (req.url === '/hook') {
        const id = req.headers['x-hark-delivery'];
        status = seen.has(id) ? 200 : 500;
        seen.add(id);
      }
      r.status = status;
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(status === 200 ? 'ok' : 'try again');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, requests, url: `http://127.0.0.1:${server.address().port}` };
}

async function waitFor(what, pred, timeout = 15000) {
  const end = Date.now() + timeout;
  for (;;) {
    const v = await pred();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${srv.logText()}`);
    await sleep(50);
  }
}

/** Runs a whole pulse conversation of the sample employee, answering text
 * questions with TEXT. */
async function pulse(text) {
  const { token } = await srv.invite(undefined, 'pulse');
  const c = await srv.connect();
  try {
    const w = await c.hello(token, 0);
    const r = await converse(c, w, {
      answer: (input) => (input.kind === 'scale' ? String(input.min) : input.kind === 'choice' ? input.options[0] : text),
    });
    assert.ok(r.done);
    return r;
  } finally {
    c.close();
  }
}

/** `hark user add` on the server's data dir: a signed-in Api for the new user. */
async function userApi(role, extra = []) {
  const email = `${role}-${Date.now()}@demo.test`;
  const r = await runHark(['user', 'add', '--data-dir', srv.dataDir, '--tenant', 'demo', '--email', email, '--role', role,
    ...extra]);
  const m = /login: (\S+) \/ (\S+)/.exec(r.stdout);
  assert.ok(m, r.stdout);
  const api = new Api(srv);
  await api.signIn({ tenant: 'demo', email: m[1], password: m[2] });
  return api;
}

async function auditActions(prefix) {
  const r = await admin.get(`/api/v1/audit?action=${encodeURIComponent(prefix)}`);
  assert.equal(r.status, 200, r.text);
  return r.json.entries;
}

before(async () => {
  receiver = await startReceiver();
  srv = await startApiServer({
    employees: 30,
    serveArgs: ['--outreach-retry-base-ms', String(RETRY_BASE_MS), '--outreach-max-attempts', String(MAX_ATTEMPTS),
      '--outreach-poll-ms', '50'],
  });
  admin = await adminApi(srv);
});
after(async () => {
  await stopAll();
  receiver?.server.close();
});

/* ---- flows ---- */

test('flows: the shared defaults are listed and readable; POST validates, and errors name the node', async () => {
  const list = (await admin.ok('/api/v1/flows')).flows;
  const names = list.map((f) => f.name).sort();
  for (const n of ['exit', 'onboarding', 'pulse', 'tenure']) assert.ok(names.includes(n), `default flow ${n} listed`);
  const pulseFlow = list.find((f) => f.name === 'pulse');
  assert.equal(pulseFlow.latest.shared, true);
  assert.equal(pulseFlow.latest.version, 1);
  const one = await admin.ok(`/api/v1/flows/${pulseFlow.latest.id}`);
  assert.equal(one.name, 'pulse');
  assert.equal(one.json.name, 'pulse');
  assert.equal(one.json.start, 'hello');

  const bad = structuredClone(one.json);
  bad.nodes.mood.next = 'nowhere';
  let r = await admin.post('/api/v1/flows', { name: 'pulse', json: bad });
  assert.equal(r.status, 422, r.text);
  assert.equal(r.json.error.code, 'invalid_flow');
  assert.match(r.json.error.message, /^node 'mood': "next" refers to unknown node 'nowhere'/);

  const badInput = structuredClone(one.json);
  badInput.nodes.enps.input = { kind: 'scale', min: 5, max: 5 };
  r = await admin.post('/api/v1/flows', { json: badInput });
  assert.equal(r.status, 422);
  assert.match(r.json.error.message, /node 'enps': scale input needs min < max/);

  r = await admin.post('/api/v1/flows', { name: 'pulse', json: '{"name": "pulse",\n "nodes": {' });
  assert.equal(r.status, 422);
  assert.match(r.json.error.message, /invalid JSON at line 2/);

  r = await admin.post('/api/v1/flows', { name: 'other', json: one.json });
  assert.equal(r.status, 422);
  assert.match(r.json.error.message, /^name: /);

  r = await admin.post('/api/v1/flows', { name: 'pulse', json: one.json, extra: 1 });
  assert.equal(r.status, 422);
  assert.match(r.json.error.message, /^extra: unknown field/);

  r = await admin.get('/api/v1/flows/999999');
  assert.equal(r.status, 404);
  // Nothing was stored by the refused attempts.
  assert.deepEqual((await admin.ok('/api/v1/flows')).flows.find((f) => f.name === 'pulse').versions.length, 1);
});

test('flows: a new version leaves a running conversation on its version; new invites take it', async () => {
  // A conversation under way on pulse v1: one answer given.
  const { token } = await srv.invite(undefined, 'pulse');
  let c = await srv.connect();
  let w = await c.hello(token, 0);
  const first = await converse(c, w, { maxAnswers: 1, answer: () => '4' });
  assert.equal(first.done, false);
  c.close();

  const v1 = await admin.ok(`/api/v1/flows/${(await admin.ok('/api/v1/flows')).flows.find((f) => f.name === 'pulse').latest.id}`);
  const v2doc = structuredClone(v1.json);
  for (const node of Object.values(v2doc.nodes)) if (node.text) node.text = `[v2] ${node.text}`;
  delete v2doc.version;
  const r = await admin.post('/api/v1/flows', { name: 'pulse', json: JSON.stringify(v2doc, null, 2) });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.version, 2, 'one more than the shared default');
  assert.equal(r.json.shared, false);
  const stored = await admin.ok(`/api/v1/flows/${r.json.id}`);
  assert.equal(stored.json.version, 2, 'the stored document carries its version');
  assert.match(stored.json.nodes.hello.text, /^\[v2\]/);

  const listed = (await admin.ok('/api/v1/flows')).flows.find((f) => f.name === 'pulse');
  assert.equal(listed.latest.id, r.json.id);
  assert.deepEqual(listed.versions.map((v) => [v.version, v.shared]), [[2, false], [1, true]]);
  const tp = (await admin.ok('/api/v1/touchpoints')).touchpoints.find((t) => t.name === 'pulse');
  assert.equal(tp.flow.version, 2, 'the pulse touchpoint now uses v2 for new invites');

  // The running conversation finishes on v1.
  c = await srv.connect();
  w = await c.hello(token, 0);
  const rest = await converse(c, w, { answer: (input) => (input.kind === 'scale' ? String(input.max) : input.kind === 'choice' ? input.options[1] : 'fine') });
  c.close();
  assert.ok(rest.done);
  const bots = rest.msgs.filter((m) => m.t === 'bot');
  assert.ok(bots.length > first.msgs.length, 'the conversation went on after the new version');
  for (const m of bots) assert.ok(!m.text.includes('[v2]'), `v1 conversation got a v2 text: ${m.text}`);

  // A new conversation starts on v2.
  const fresh = await srv.invite(undefined, 'pulse');
  c = await srv.connect();
  w = await c.hello(fresh.token, 0);
  const m = await c.waitFor((x) => x.t === 'bot');
  c.close();
  assert.match(m.text, /^\[v2\] /);

  const audit = await auditActions('flow.create');
  assert.ok(audit.some((a) => a.target === `flow:${r.json.id}` && a.detail.version === 2 && a.detail.name === 'pulse'),
    JSON.stringify(audit));
});

/* ---- touchpoints ---- */

test('touchpoints: list, edit with rules checked, create an ad hoc campaign', async () => {
  const list = (await admin.ok('/api/v1/touchpoints')).touchpoints;
  const names = list.map((t) => t.name);
  for (const n of ['onboarding', 'tenure', 'pulse', 'exit']) assert.ok(names.includes(n), `touchpoint ${n}`);
  const tp = list.find((t) => t.name === 'pulse');
  assert.equal(tp.kind, 'pulse');
  assert.equal(typeof tp.rule, 'object');

  let r = await admin.patch(`/api/v1/touchpoints/${tp.id}`, { rule: { every_days: 3 } });
  assert.equal(r.status, 422, r.text);
  assert.equal(r.json.error.code, 'invalid_rule');
  assert.match(r.json.error.message, /every_days/);
  r = await admin.patch(`/api/v1/touchpoints/${tp.id}`, { rule: { every_day: 14 } });
  assert.equal(r.status, 422);
  assert.match(r.json.error.message, /every_day/);
  r = await admin.patch(`/api/v1/touchpoints/${tp.id}`, { flow_name: 'no-such-flow' });
  assert.equal(r.status, 422);
  assert.match(r.json.error.message, /^flow_name: no flow named 'no-such-flow'/);
  r = await admin.patch(`/api/v1/touchpoints/${tp.id}`, { active: 'no' });
  assert.equal(r.status, 422);
  assert.deepEqual((await admin.ok('/api/v1/touchpoints')).touchpoints.find((t) => t.id === tp.id), tp,
    'refused edits changed nothing');

  r = await admin.patch(`/api/v1/touchpoints/${tp.id}`, { rule: { every_days: 14 }, active: false });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.rule, { every_days: 14 });
  assert.equal(r.json.active, false);
  const after1 = (await admin.ok('/api/v1/touchpoints')).touchpoints.find((t) => t.id === tp.id);
  assert.deepEqual(after1.rule, { every_days: 14 });
  assert.equal(after1.active, false);
  r = await admin.patch(`/api/v1/touchpoints/${tp.id}`, { active: true, flow_name: 'tenure' });
  assert.equal(r.status, 200);
  assert.equal(r.json.flow_name, 'tenure');
  r = await admin.patch(`/api/v1/touchpoints/${tp.id}`, { flow_name: 'pulse' });
  assert.equal(r.json.flow_name, 'pulse');

  r = await admin.patch('/api/v1/touchpoints/999999', { active: true });
  assert.equal(r.status, 404);

  const campaign = { name: 'Q4 listening', kind: 'adhoc', flow_name: 'pulse', rule: { date: '2026-12-01', departments: ['Sales'] } };
  r = await admin.post('/api/v1/touchpoints', campaign);
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.name, 'Q4 listening');
  assert.equal(r.json.active, true);
  assert.deepEqual(r.json.rule, campaign.rule);
  const created = r.json.id;
  r = await admin.post('/api/v1/touchpoints', campaign);
  assert.equal(r.status, 409);
  r = await admin.post('/api/v1/touchpoints', { ...campaign, name: 'Bad date', rule: { date: '2026-13-01' } });
  assert.equal(r.status, 422);
  assert.match(r.json.error.message, /date/);
  r = await admin.post('/api/v1/touchpoints', { ...campaign, name: 'Bad kind', kind: 'weekly' });
  assert.equal(r.status, 422);
  assert.match(r.json.error.message, /^kind: /);
  r = await admin.post('/api/v1/touchpoints', { ...campaign, name: '' });
  assert.equal(r.status, 422);
  assert.ok((await admin.ok('/api/v1/touchpoints')).touchpoints.some((t) => t.id === created));
  assert.ok(!(await admin.ok('/api/v1/touchpoints')).touchpoints.some((t) => t.name === 'Bad date' || t.name === 'Bad kind'));

  const audit = await auditActions('touchpoint.');
  assert.ok(audit.some((a) => a.action === 'touchpoint.create' && a.target === `touchpoint:${created}`));
  assert.ok(audit.some((a) => a.action === 'touchpoint.update' && a.target === `touchpoint:${tp.id}` &&
    a.detail.rule?.every_days === 14 && a.detail.active === false));
});

/* ---- webhooks ---- */

function verify(req, secret) {
  const ts = req.headers['x-hark-timestamp'];
  const sig = req.headers['x-hark-signature'];
  assert.match(ts, /^\d+$/);
  assert.ok(Math.abs(Number(ts) - Date.now() / 1000) < 60, 'the timestamp is now');
  const want = 'sha256=' + createHmac('sha256', secret).update(`${ts}.${req.body}`).digest('hex');
  assert.equal(sig, want, 'X-Hark-Signature is the HMAC-SHA256 of "timestamp.body" with the secret');
}

test('webhooks: signed deliveries, retried with backoff after a 500, failed after the last attempt', async () => {
  let r = await admin.post('/api/v1/webhooks', { url: 'ftp://example.com/x', events: ['escalation.created'] });
  assert.equal(r.status, 422);
  assert.match(r.json.error.message, /^url: /);
  r = await admin.post('/api/v1/webhooks', { url: `${receiver.url}/hook`, events: ['escalation.opened'] });
  assert.equal(r.status, 422);
  assert.match(r.json.error.message, /^events\[0\]: unknown event/);
  r = await admin.post('/api/v1/webhooks', { url: `${receiver.url}/hook`, events: [] });
  assert.equal(r.status, 422);

  r = await admin.post('/api/v1/webhooks', { url: `${receiver.url}/hook`, events: ['escalation.created', 'conversation.completed'] });
  assert.equal(r.status, 201, r.text);
  const hook = r.json;
  assert.match(hook.secret, /^whsec_[0-9a-f]{64}$/);
  r = await admin.post('/api/v1/webhooks', { url: `${receiver.url}/always500`, events: ['conversation.completed'] });
  assert.equal(r.status, 201);
  const broken = r.json;
  const listed = (await admin.ok('/api/v1/webhooks')).webhooks;
  assert.equal(listed.length, 2);
  for (const x of listed) assert.equal(x.secret, undefined, 'the secret is shown only once');
  assert.deepEqual(listed[0].events, ['escalation.created', 'conversation.completed']);

  const convo = await pulse(FLAGGED);
  const flaggedSeqs = convo.answers.filter((a) => a.text === FLAGGED).map((a) => a.seq);
  assert.ok(flaggedSeqs.length >= 1);

  // /hook: every delivery fails once (500), then succeeds.
  const hookDone = await waitFor('the /hook deliveries to succeed', async () => {
    const d = (await admin.ok(`/api/v1/webhooks/${hook.id}/deliveries`)).deliveries;
    const events = d.map((x) => x.event);
    return events.includes('conversation.completed') && events.includes('escalation.created') &&
      d.every((x) => x.status === 'sent') ? d : null;
  });
  for (const d of hookDone) {
    assert.equal(d.attempts, 2);
    assert.equal(d.last_code, 200);
    const reqs = receiver.requests.filter((q) => q.path === '/hook' && q.headers['x-hark-delivery'] === String(d.id));
    assert.equal(reqs.length, 2, `delivery ${d.id} arrived twice (500, then 200)`);
    assert.deepEqual(reqs.map((q) => q.status), [500, 200]);
    assert.ok(reqs[1].at - reqs[0].at >= RETRY_BASE_MS / 2 - 10,
      `the retry waited at least half the base delay (${reqs[1].at - reqs[0].at} ms)`);
    for (const q of reqs) {
      assert.equal(q.method, 'POST');
      assert.equal(q.headers['content-type'], 'application/json');
      assert.equal(q.headers['x-hark-event'], d.event);
      verify(q, hook.secret);
      const body = JSON.parse(q.body);
      assert.equal(body.event, d.event);
      assert.equal(body.tenant, 'demo');
      assert.equal(body.id, d.ref_id);
      assert.equal(typeof body.created_at, 'number');
      assert.ok(!/kill|honestly/i.test(q.body), 'no answer text in the payload');
      assert.ok(!q.body.includes(srv.sampleEmail) && !q.body.includes(srv.sampleEmail.split('@')[0]),
        'no employee identity in the payload');
      if (d.event === 'escalation.created') {
        assert.equal(body.kind, 'self_harm');
        assert.equal(body.severity, 3);
        assert.match(body.link, new RegExp(`^http://[^/]+/#/escalations/${body.id}$`));
        assert.deepEqual(Object.keys(body).sort(), ['created_at', 'event', 'id', 'kind', 'link', 'severity', 'tenant']);
      } else {
        assert.equal(body.touchpoint, 'pulse');
        assert.equal(typeof body.completed_at, 'number');
        assert.deepEqual(Object.keys(body).sort(), ['completed_at', 'created_at', 'event', 'id', 'tenant', 'touchpoint']);
      }
    }
  }
  // One escalation delivery per self-harm answer, one completion.
  assert.equal(hookDone.filter((d) => d.event === 'escalation.created').length, flaggedSeqs.length);
  assert.equal(hookDone.filter((d) => d.event === 'conversation.completed').length, 1);
  // The secrets differ: /always500's requests do not verify with /hook's.
  assert.notEqual(broken.secret, hook.secret);

  // /always500: three attempts with growing delays, then failed.
  const failed = await waitFor('the /always500 delivery to fail', async () => {
    const d = (await admin.ok(`/api/v1/webhooks/${broken.id}/deliveries`)).deliveries;
    return d.length === 1 && d[0].status === 'failed' ? d[0] : null;
  });
  assert.equal(failed.event, 'conversation.completed');
  assert.equal(failed.attempts, MAX_ATTEMPTS);
  assert.equal(failed.last_code, 500);
  assert.match(failed.last_error, /gave up after 3 attempts: the receiver answered HTTP 500/);
  const tries = receiver.requests.filter((q) => q.path === '/always500');
  assert.equal(tries.length, MAX_ATTEMPTS);
  for (const q of tries) verify(q, broken.secret);
  const gaps = tries.slice(1).map((q, i) => q.at - tries[i].at);
  assert.ok(gaps[0] >= RETRY_BASE_MS / 2 - 10, `first retry after ${gaps[0]} ms`);
  assert.ok(gaps[1] >= RETRY_BASE_MS - 10, `second retry after ${gaps[1]} ms (the delay doubles)`);
  const counts = (await admin.ok('/api/v1/webhooks')).webhooks.find((x) => x.id === broken.id).deliveries;
  assert.deepEqual(counts, { pending: 0, sent: 0, failed: 1 });

  // Inactive webhooks get nothing; deleted ones are gone.
  r = await admin.patch(`/api/v1/webhooks/${broken.id}`, { active: false });
  assert.equal(r.status, 200);
  assert.equal(r.json.active, false);
  r = await admin.patch(`/api/v1/webhooks/${hook.id}`, { events: ['conversation.completed'] });
  assert.deepEqual(r.json.events, ['conversation.completed']);
  const before2 = receiver.requests.length;
  await pulse(FLAGGED);
  await waitFor('the completion delivery', async () => {
    const d = (await admin.ok(`/api/v1/webhooks/${hook.id}/deliveries`)).deliveries;
    return d.filter((x) => x.event === 'conversation.completed' && x.status === 'sent').length === 2;
  });
  const later = receiver.requests.slice(before2);
  assert.ok(later.every((q) => q.path === '/hook' && q.headers['x-hark-event'] === 'conversation.completed'),
    later.map((q) => `${q.path} ${q.headers['x-hark-event']}`).join(', '));
  assert.equal((await admin.ok(`/api/v1/webhooks/${broken.id}/deliveries`)).deliveries.length, 1);

  r = await admin.del(`/api/v1/webhooks/${broken.id}`);
  assert.equal(r.status, 204);
  r = await admin.del(`/api/v1/webhooks/${broken.id}`);
  assert.equal(r.status, 404);
  assert.equal((await admin.get(`/api/v1/webhooks/${broken.id}/deliveries`)).status, 404);
  assert.deepEqual((await admin.ok('/api/v1/webhooks')).webhooks.map((x) => x.id), [hook.id]);

  const audit = (await auditActions('webhook.')).map((a) => `${a.action} ${a.target}`);
  for (const want of [`webhook.create webhook:${hook.id}`, `webhook.create webhook:${broken.id}`,
    `webhook.update webhook:${broken.id}`, `webhook.delete webhook:${broken.id}`]) assert.ok(audit.includes(want), want);
  assert.ok(!JSON.stringify(await auditActions('webhook.')).includes('whsec_'), 'no secret in the audit log');
});

/* ---- roles and tenants ---- */

test('hark outreach --once delivers the webhook deliveries that are due', async () => {
  // Its own server, with outreach off: only the --once run can deliver.
  const own = await startApiServer({ employees: 10, serveArgs: ['--outreach', 'false'] });
  const api = await adminApi(own);
  const r = await api.post('/api/v1/webhooks', { url: `${receiver.url}/once`, events: ['conversation.completed'] });
  assert.equal(r.status, 201, r.text);
  const { token } = await own.invite(undefined, 'pulse');
  const c = await own.connect();
  try {
    const w = await c.hello(token, 0);
    const done = await converse(c, w, {
      answer: (input) => (input.kind === 'scale' ? String(input.max) : input.kind === 'choice' ? input.options[0] : 'All good.'),
    });
    assert.ok(done.done);
  } finally {
    c.close();
  }
  const queued = (await api.ok(`/api/v1/webhooks/${r.json.id}/deliveries`)).deliveries;
  assert.deepEqual(queued.map((d) => [d.event, d.status]), [['conversation.completed', 'pending']]);
  await sleep(300);
  assert.equal(receiver.requests.filter((q) => q.path === '/once').length, 0, 'nothing is delivered with outreach off');
  await runHark(['outreach', '--once', '--data-dir', own.dataDir]);
  const got = receiver.requests.filter((q) => q.path === '/once');
  assert.equal(got.length, 1, 'the --once run delivered it');
  verify(got[0], r.json.secret);
  const after = (await api.ok(`/api/v1/webhooks/${r.json.id}/deliveries`)).deliveries;
  assert.deepEqual(after.map((d) => [d.event, d.status, d.attempts]), [['conversation.completed', 'sent', 1]]);
});

test('roles: hrbp and viewer get 403 on every configuration endpoint', async () => {
  const hook = (await admin.ok('/api/v1/webhooks')).webhooks[0];
  const tp = (await admin.ok('/api/v1/touchpoints')).touchpoints[0];
  const fl = (await admin.ok('/api/v1/flows')).flows[0].latest;
  for (const api of [await userApi('viewer'), await userApi('hrbp', ['--departments', 'Sales'])]) {
    const calls = [
      ['GET', '/api/v1/flows'], ['GET', `/api/v1/flows/${fl.id}`], ['POST', '/api/v1/flows', { name: 'x', json: {} }],
      ['GET', '/api/v1/touchpoints'], ['PATCH', `/api/v1/touchpoints/${tp.id}`, { active: false }],
      ['POST', '/api/v1/touchpoints', { name: 'x' }],
      ['GET', '/api/v1/webhooks'], ['POST', '/api/v1/webhooks', { url: 'http://x', events: ['escalation.created'] }],
      ['PATCH', `/api/v1/webhooks/${hook.id}`, { active: false }], ['DELETE', `/api/v1/webhooks/${hook.id}`],
      ['GET', `/api/v1/webhooks/${hook.id}/deliveries`],
    ];
    for (const [method, path, body] of calls) {
      const r = await api.call(method, path, body ? { body } : {});
      assert.equal(r.status, 403, `${method} ${path}: ${r.status}`);
    }
  }
  assert.deepEqual((await admin.ok('/api/v1/webhooks')).webhooks[0], hook, 'nothing changed');
  assert.deepEqual((await admin.ok('/api/v1/touchpoints')).touchpoints[0], tp);
});

test("tenants: another tenant's admin gets 404 on the demo's ids and changes nothing", async () => {
  const made = await runHark(['tenant', 'create', 'other', '--name', 'Other', '--admin', 'boss@other.test', '--data-dir',
    srv.dataDir]);
  const m = /admin login: (\S+) \/ (\S+)/.exec(made.stdout);
  const other = new Api(srv);
  await other.signIn({ tenant: 'other', email: m[1], password: m[2] });

  const demoFlows = (await admin.ok('/api/v1/flows')).flows;
  const own = demoFlows.find((f) => f.name === 'pulse').versions.find((v) => !v.shared);
  const shared = demoFlows.find((f) => f.name === 'pulse').versions.find((v) => v.shared);
  const demoTps = (await admin.ok('/api/v1/touchpoints')).touchpoints;
  const demoHooks = (await admin.ok('/api/v1/webhooks')).webhooks;
  const hook = demoHooks[0];
  const tp = demoTps.find((t) => t.name === 'Q4 listening');

  assert.equal((await other.get(`/api/v1/flows/${own.id}`)).status, 404);
  assert.equal((await other.get(`/api/v1/flows/${shared.id}`)).status, 200, 'shared defaults are for everyone');
  const otherPulse = (await other.ok('/api/v1/flows')).flows.find((f) => f.name === 'pulse');
  assert.deepEqual(otherPulse.versions.map((v) => v.version), [1], "the demo's own version is not listed");
  assert.equal((await other.patch(`/api/v1/touchpoints/${tp.id}`, { active: false })).status, 404);
  assert.equal((await other.patch(`/api/v1/webhooks/${hook.id}`, { active: false })).status, 404);
  assert.equal((await other.del(`/api/v1/webhooks/${hook.id}`)).status, 404);
  assert.equal((await other.get(`/api/v1/webhooks/${hook.id}/deliveries`)).status, 404);
  assert.deepEqual((await other.ok('/api/v1/webhooks')).webhooks, []);
  assert.ok(!(await other.ok('/api/v1/touchpoints')).touchpoints.some((t) => t.id === tp.id));

  // The other tenant's own pulse version starts from the shared default, apart from the demo's.
  const v = await other.post('/api/v1/flows', { name: 'pulse', json: (await other.ok(`/api/v1/flows/${shared.id}`)).json });
  assert.equal(v.status, 201, v.text);
  assert.equal(v.json.version, 2);

  assert.deepEqual((await admin.ok('/api/v1/flows')).flows, demoFlows, 'nothing changed in the demo');
  assert.deepEqual((await admin.ok('/api/v1/touchpoints')).touchpoints, demoTps);
  assert.deepEqual((await admin.ok('/api/v1/webhooks')).webhooks, demoHooks);
});
