// HR's inbox (docs/api.md "Escalations inbox") against a real `hark serve` on a demo
// company: the escalations inbox (acknowledge, resolve, notes, assignees,
// the flagged excerpt cut on UTF-8 byte offsets), what anonymous and
// confidential mode show, comments with the anonymity rule (fewer than k,
// and the subtraction of a location from a department), their keyed order
// and cursors, identified comments, people to meet, roles, API token scopes
// and a second tenant that can neither see nor change anything.
//
// Controlled groups are made the way production makes them: employees
// imported with `hark import`, invited with `hark invite`, and real
// conversations over the chat WebSocket. Users, tokens and the
// confidentiality switch that no merged endpoint makes yet are written into
// the SQLite file with python3's sqlite3 module; audit rows are read back
// the same way.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { converse, runHark, stopAll } from './harness.mjs';
import { Api, adminApi, startApiServer } from './api.mjs';

const SQL_PY = `
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=30)
rows = db.execute(sys.argv[2], json.loads(sys.argv[3])).fetchall()
db.commit()
print(json.dumps([list(r) for r in rows]))
`;

let srv;
let admin;
let dbPath;

function sql(query, params = []) {
  const r = spawnSync('python3', ['-c', SQL_PY, dbPath, query, JSON.stringify(params)], { encoding: 'utf8' });
  assert.equal(r.status, 0, `python3 sqlite3: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

function setMode(mode) {
  sql("UPDATE tenants SET confidentiality = ? WHERE slug = 'demo'", [mode]);
}

function auditCount(action) {
  return sql("SELECT count(*) FROM audit_log WHERE action = ? AND tenant_id = (SELECT id FROM tenants WHERE slug = 'demo')", [action])[0][0];
}

/** A user of the demo tenant with ROLE (and DEPARTMENTS for an hrbp), signed in; same password as the owner. */
async function userApi(email, role, departments = '') {
  sql(`INSERT INTO users (tenant_id, email, pwhash, role, departments, created_at)
       SELECT tenant_id, ?, pwhash, ?, ?, 0 FROM users WHERE email = ?`, [email, role, departments, srv.admin.email]);
  const api = new Api(srv);
  await api.signIn({ ...srv.admin, email });
  return { api, id: sql('SELECT id FROM users WHERE email = ?', [email])[0][0] };
}

/** An API token of the demo tenant with SCOPES (bits as web/auth.h). */
function tokenApi(scopes) {
  const token = 'hark_' + randomBytes(24).toString('base64').replace(/[^A-Za-z0-9]/g, '').slice(0, 32).padEnd(32, 'x');
  const hash = createHash('sha256').update(token).digest('hex');
  sql(`INSERT INTO api_tokens (tenant_id, name, prefix, token_hash, scopes, created_by, created_at)
       SELECT tenant_id, ?, ?, X'${hash}', ?, id, 0 FROM users WHERE email = ?`,
  [`t${randomBytes(4).toString('hex')}`, token.slice(0, 9), scopes, srv.admin.email]);
  const api = new Api(srv);
  api.useToken(token);
  return api;
}
const SCOPE = { comments: 2, readEsc: 16, writeEsc: 32 };

/** Imports employees: [{email, first, last, department, location}]. */
async function importEmployees(rows) {
  const head = 'external_id,email,first_name,last_name,department,location,manager_email,hire_date,exit_date,timezone';
  const lines = rows.map((r, i) => `X${Date.now() % 100000}${i}${randomBytes(2).toString('hex')},${r.email},${r.first},${r.last},${r.department},${r.location},,2021-03-01,,`);
  const file = path.join(srv.dataDir, `import-${randomBytes(4).toString('hex')}.csv`);
  await fs.writeFile(file, [head, ...lines].join('\n') + '\n');
  await runHark(['import', 'employees', '--data-dir', srv.dataDir, '--tenant', 'demo', file]);
}

/** A whole pulse conversation of EMAIL: mood MOOD (1-5), every text answer TEXT. */
async function pulse(email, mood, text) {
  const { token } = await srv.invite(email, 'pulse');
  const c = await srv.connect();
  try {
    const w = await c.hello(token, 0);
    const r = await converse(c, w, {
      answer: (input) => {
        if (input.kind === 'scale') return String(input.max === 5 ? mood : input.min + 5);
        if (input.kind === 'choice') return String(input.options[input.options.length - 1]);
        return text;
      },
    });
    assert.ok(r.done, 'the conversation completes');
    return r;
  } finally {
    c.close();
  }
}

async function allEscalations(api, query = '') {
  const out = [];
  let after = 0;
  for (;;) {
    const page = await api.ok(`/api/v1/escalations?limit=100&after=${after}${query}`);
    out.push(...page.items);
    if (page.next_after === null) return out;
    after = page.next_after;
  }
}

// Employees of the controlled groups (imported in `before`).
const QA = 'Inbox QA'; // 6 respondents: 5 in Lyon, 1 in Oslo
const SMALL = 'Inbox Small'; // 4 respondents
const qa = [...Array(6)].map((_, i) => ({ email: `qa${i}@lumenoak.example`, first: `Qa${i}`, last: 'Tester', department: QA, location: i < 5 ? 'Lyon' : 'Oslo' }));
const small = [...Array(4)].map((_, i) => ({ email: `small${i}@lumenoak.example`, first: `Small${i}`, last: 'Tester', department: SMALL, location: 'Lyon' }));
const UTF8_FLAG = 'Ça va très mal — honnêtement 😩 I am burnt out and nobody cares';
let qaFlagged; // the escalation of qa[0]'s burnt-out answer

before(async () => {
  srv = await startApiServer({ employees: 40 });
  dbPath = path.join(srv.dataDir, 'hark.db');
  admin = await adminApi(srv);
  await importEmployees([...qa, ...small]);
  // qa0: the flagged answer, with multi-byte characters before the span. The others: plain.
  await pulse(qa[0].email, 1, UTF8_FLAG);
  for (let i = 1; i < 6; i++) await pulse(qa[i].email, 4, `Inbox QA comment number ${i}, the team is fine.`);
  for (let i = 0; i < 4; i++) await pulse(small[i].email, 3, `Small team remark ${i}.`);
  const all = await allEscalations(admin);
  qaFlagged = all.find((e) => e.excerpt === 'burnt out');
  assert.ok(qaFlagged, `the burnt-out answer made an escalation: ${JSON.stringify(all.slice(-3))}`);
});
after(stopAll);

test('the inbox lists escalations with their flagged excerpt, cut on UTF-8 byte offsets', async () => {
  setMode('anonymous');
  const page = await admin.ok('/api/v1/escalations?limit=5');
  assert.equal(page.mode, 'anonymous');
  assert.equal(page.items.length, 5);
  assert.equal(page.next_after, page.items[4].id);
  const next = await admin.ok(`/api/v1/escalations?limit=5&after=${page.next_after}`);
  assert.ok(next.items.every((e) => e.id > page.next_after), 'after pages on');
  // The excerpt is exactly the span of the stored text (byte offsets), here after
  // 2- and 4-byte characters.
  const [[text, start, len]] = sql(`SELECT m.text, e.span_start, e.span_len FROM escalations e
    JOIN messages m ON m.conversation_id = e.conversation_id AND m.seq = e.seq WHERE e.id = ?`, [qaFlagged.id]);
  assert.equal(text, UTF8_FLAG);
  assert.equal(Buffer.from(text).subarray(start, start + len).toString(), 'burnt out');
  assert.equal(qaFlagged.kind, 'burnout');
  assert.equal(qaFlagged.status, 'open');
  assert.equal(qaFlagged.notes, 0);
  assert.equal(qaFlagged.assignee, null);
});

test('acknowledge, note and resolve an escalation; each step audited', async () => {
  const id = qaFlagged.id;
  const updates = auditCount('escalation.update');
  const notes = auditCount('escalation.note');
  let r = await admin.patch(`/api/v1/escalations/${id}`, { status: 'acknowledged' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.status, 'acknowledged');
  assert.ok(!(await allEscalations(admin, '&status=open')).some((e) => e.id === id), 'no longer open');
  assert.ok((await allEscalations(admin, '&status=acknowledged')).some((e) => e.id === id));

  r = await admin.post(`/api/v1/escalations/${id}/notes`, { text: 'Called them; meeting on Monday.' });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.text, 'Called them; meeting on Monday.');
  assert.equal(r.json.author.email, srv.admin.email);

  r = await admin.patch(`/api/v1/escalations/${id}`, { status: 'resolved' });
  assert.equal(r.status, 200, r.text);
  const one = await admin.ok(`/api/v1/escalations/${id}`);
  assert.equal(one.status, 'resolved');
  assert.equal(one.notes, 1);
  assert.deepEqual(one.notes_list.map((n) => n.text), ['Called them; meeting on Monday.']);
  assert.ok((await allEscalations(admin, '&status=resolved')).some((e) => e.id === id));
  assert.equal(sql('SELECT status FROM escalations WHERE id = ?', [id])[0][0], 'resolved');
  assert.equal(auditCount('escalation.update'), updates + 2);
  assert.equal(auditCount('escalation.note'), notes + 1);
  const [[detail]] = sql("SELECT detail FROM audit_log WHERE action = 'escalation.update' ORDER BY id DESC LIMIT 1");
  assert.deepEqual(JSON.parse(detail), { status: { from: 'acknowledged', to: 'resolved' } });
  // Reopen it for the tests that follow.
  r = await admin.patch(`/api/v1/escalations/${id}`, { status: 'open' });
  assert.equal(r.json.status, 'open');
});

test('bad updates and notes are refused with the field named, changing nothing', async () => {
  const id = qaFlagged.id;
  const before0 = JSON.stringify(sql('SELECT * FROM escalations WHERE id = ?', [id]));
  const cases = [
    [{ status: 'closed' }, /status/],
    [{ status: null }, /status/],
    [{ colour: 'red' }, /colour/],
    [{}, /status or assignee_id/],
    [{ assignee_id: 'me' }, /assignee_id/],
    [{ assignee_id: -3 }, /assignee_id/],
  ];
  for (const [body, re] of cases) {
    const r = await admin.patch(`/api/v1/escalations/${id}`, body);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.match(r.json.error.message, re);
  }
  const noteCases = [[{ text: '   \n ' }, /blank/], [{}, /text/], [{ text: 7 }, /text/], [{ text: 'x'.repeat(4001) }, /4000/], [{ text: 'ok', by: 'x' }, /by/]];
  for (const [body, re] of noteCases) {
    const r = await admin.post(`/api/v1/escalations/${id}/notes`, body);
    assert.equal(r.status, 400, JSON.stringify(body).slice(0, 80));
    assert.match(r.json.error.message, re);
  }
  assert.equal(JSON.stringify(sql('SELECT * FROM escalations WHERE id = ?', [id])), before0);
  assert.equal(sql('SELECT count(*) FROM escalation_notes WHERE escalation_id = ?', [id])[0][0], 1);
  // 4000 characters is the limit, counted in characters, not bytes.
  const r = await admin.post(`/api/v1/escalations/${id}/notes`, { text: 'é'.repeat(4000) });
  assert.equal(r.status, 201, r.text);
  assert.equal((await admin.get('/api/v1/escalations/999999999')).status, 404);
  assert.equal((await admin.patch('/api/v1/escalations/999999999', { status: 'resolved' })).status, 404);
});

test('assignees: an active owner, admin or hrbp of the tenant; another tenant\'s user is refused', async () => {
  const id = qaFlagged.id;
  const me = sql('SELECT id FROM users WHERE email = ?', [srv.admin.email])[0][0];
  let r = await admin.patch(`/api/v1/escalations/${id}`, { assignee_id: me });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.assignee, { id: me, email: srv.admin.email });
  assert.equal((await admin.ok(`/api/v1/escalations/${id}`)).assignee.id, me);

  const other = await runHark(['tenant', 'create', 'inbox-other', '--data-dir', srv.dataDir, '--name', 'Other', '--admin', 'boss@other.example']);
  const otherUser = sql("SELECT id FROM users WHERE email = 'boss@other.example'")[0][0];
  assert.match(other.stdout, /admin login/);
  const viewer = await userApi('viewer-assignee@lumenoak.example', 'viewer');
  const hrbpElsewhere = await userApi('hrbp-sales@lumenoak.example', 'hrbp', 'Sales');
  sql("INSERT INTO users (tenant_id, email, pwhash, role, created_at, disabled_at) SELECT tenant_id, 'gone@lumenoak.example', pwhash, 'admin', 0, 1 FROM users WHERE email = ?", [srv.admin.email]);
  const gone = sql("SELECT id FROM users WHERE email = 'gone@lumenoak.example'")[0][0];
  const before0 = JSON.stringify(sql('SELECT * FROM escalations WHERE id = ?', [id]));
  for (const uid of [otherUser, viewer.id, hrbpElsewhere.id, gone, 987654321]) {
    r = await admin.patch(`/api/v1/escalations/${id}`, { assignee_id: uid, status: 'acknowledged' });
    assert.equal(r.status, 400, `assignee ${uid}: ${r.text}`);
    assert.equal(r.json.error.code, 'invalid_assignee');
  }
  assert.equal(JSON.stringify(sql('SELECT * FROM escalations WHERE id = ?', [id])), before0, 'nothing changed');
  const hrbpQa = await userApi('hrbp-qa-assignee@lumenoak.example', 'hrbp', `Sales\n${QA}`);
  r = await admin.patch(`/api/v1/escalations/${id}`, { assignee_id: hrbpQa.id });
  assert.equal(r.status, 200, r.text);
  r = await admin.patch(`/api/v1/escalations/${id}`, { assignee_id: null });
  assert.equal(r.status, 200);
  assert.equal(r.json.assignee, null);
  assert.equal(sql('SELECT assignee_id FROM escalations WHERE id = ?', [id])[0][0], null);

  // The list an hrbp picks from: active owners, admins and hrbps of the
  // tenant, never a viewer, a disabled account or another tenant's user.
  const list = (await hrbpQa.api.ok('/api/v1/escalations/assignees')).assignees;
  const ids = list.map((u) => u.id);
  assert.ok(ids.includes(me) && ids.includes(hrbpQa.id) && ids.includes(hrbpElsewhere.id), JSON.stringify(list));
  for (const bad of [viewer.id, gone, otherUser]) assert.ok(!ids.includes(bad), `user ${bad} is not offered`);
  for (const u of list) assert.deepEqual(Object.keys(u).sort(), ['email', 'id', 'role']);
  assert.equal((await viewer.api.get('/api/v1/escalations/assignees')).status, 403, 'a viewer may not list them');
  // An hrbp assigns an escalation of their departments to themselves.
  r = await hrbpQa.api.patch(`/api/v1/escalations/${id}`, { assignee_id: hrbpQa.id });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.assignee.id, hrbpQa.id);
});

test('anonymous mode shows no identity and days only; confidential shows the employee, audited', async () => {
  setMode('anonymous');
  const views = auditCount('escalation.view_identified');
  const anon = await admin.ok(`/api/v1/escalations/${qaFlagged.id}`);
  const list = await admin.ok('/api/v1/escalations?limit=100');
  for (const e of [anon, ...list.items]) {
    assert.equal(e.employee, undefined);
    assert.equal(e.created_at, undefined);
    assert.equal(e.updated_at, undefined);
    assert.match(e.created_on, /^\d{4}-\d{2}-\d{2}$/);
  }
  assert.ok(!JSON.stringify(anon).includes(qa[0].email) && !JSON.stringify(anon).includes(QA));
  for (const n of anon.notes_list) assert.equal(n.created_at, undefined);
  assert.equal(auditCount('escalation.view_identified'), views, 'an anonymous view is not an identified one');

  setMode('confidential');
  const conf = await admin.ok(`/api/v1/escalations/${qaFlagged.id}`);
  assert.deepEqual(conf.employee, { id: conf.employee.id, first_name: 'Qa0', last_name: 'Tester', email: qa[0].email, department: QA, location: 'Lyon' });
  assert.equal(typeof conf.created_at, 'number');
  assert.equal(auditCount('escalation.view_identified'), views + 1);
  const page = await admin.ok('/api/v1/escalations?limit=3');
  assert.equal(page.mode, 'confidential');
  assert.ok(page.items.every((e) => e.employee && e.employee.email));
  assert.equal(auditCount('escalation.view_identified'), views + 2);
  const [[detail]] = sql("SELECT detail FROM audit_log WHERE action = 'escalation.view_identified' ORDER BY id DESC LIMIT 1");
  assert.deepEqual(JSON.parse(detail).escalations, page.items.map((e) => e.id));
  setMode('anonymous');
});

/** Every comment of QUERY, following the cursors with pages of LIMIT. */
async function allComments(api, query, limit) {
  const out = [];
  let after = '';
  for (let i = 0; i < 100; i++) {
    const page = await api.ok(`/api/v1/comments?limit=${limit}${query}${after ? `&after=${encodeURIComponent(after)}` : ''}`);
    assert.equal(page.hidden, undefined, `hidden: ${JSON.stringify(page)}`);
    out.push(...page.items);
    if (page.next === null) return out;
    assert.equal(page.items.length, limit, 'a page with a cursor is full');
    after = page.next;
  }
  throw new Error('no end of pages');
}

test('comments: groups below k and groups isolated by subtraction are refused', async () => {
  setMode('anonymous');
  const dept = encodeURIComponent(QA);
  const ok = await admin.ok(`/api/v1/comments?department=${dept}`);
  assert.equal(ok.hidden, undefined);
  const texts = ok.items.map((c) => c.text).sort();
  assert.ok(texts.includes(UTF8_FLAG));
  for (let i = 1; i < 6; i++) assert.ok(texts.includes(`Inbox QA comment number ${i}, the team is fine.`));
  for (const c of ok.items) {
    assert.deepEqual(Object.keys(c).sort(), ['month', 'question', 'sentiment', 'text', 'themes', 'touchpoint_id']);
    assert.match(c.month, /^\d{4}-\d{2}$/);
    assert.ok(['negative', 'positive', 'neutral'].includes(c.sentiment.label));
  }
  assert.ok(ok.themes.some((t) => t.term === 'comment' || t.term === 'team'), JSON.stringify(ok.themes));
  // 4 respondents: fewer than k = 5.
  const smallView = await admin.ok(`/api/v1/comments?department=${encodeURIComponent(SMALL)}`);
  assert.deepEqual(smallView, { hidden: 'fewer_than_k', items: [] });
  // 1 respondent in Oslo.
  const oslo = await admin.ok(`/api/v1/comments?department=${dept}&location=Oslo`);
  assert.deepEqual(oslo, { hidden: 'fewer_than_k', items: [] });
  // 5 in Lyon is k, but the department (6) minus Lyon would be Oslo's 1.
  const lyon = await admin.ok(`/api/v1/comments?department=${dept}&location=Lyon`);
  assert.deepEqual(lyon, { hidden: 'protects_another_group', items: [] });
  // Lyon alone (QA's 5 and Small's 4) is 9, and the whole company minus Lyon is
  // large; but Oslo, the only other small location, holds 1: with every other
  // location shown, the company minus them all would be Oslo's comments, so
  // Lyon is hidden with it (the sibling rule, as on the dashboard).
  assert.equal((await admin.ok('/api/v1/comments?location=Oslo')).hidden, 'fewer_than_k');
  assert.equal((await admin.ok('/api/v1/comments?location=Lyon')).hidden, 'protects_another_group');
  assert.equal((await admin.ok('/api/v1/comments?location=Berlin')).hidden, undefined, 'a large location is shown');
  // k raised to 7: the department of 6 is now too small.
  sql("UPDATE tenants SET anon_k = 7 WHERE slug = 'demo'");
  assert.equal((await admin.ok(`/api/v1/comments?department=${dept}`)).hidden, 'fewer_than_k');
  // k below 3 counts as 3: the 4 of Small are shown.
  sql("UPDATE tenants SET anon_k = 1 WHERE slug = 'demo'");
  assert.equal((await admin.ok(`/api/v1/comments?department=${encodeURIComponent(SMALL)}`)).items.length >= 4, true);
  sql("UPDATE tenants SET anon_k = 5 WHERE slug = 'demo'");
  // Filters the sentiment of each comment.
  const neg = await admin.ok(`/api/v1/comments?department=${dept}&sentiment=negative`);
  assert.ok(neg.items.length >= 1 && neg.items.every((c) => c.sentiment.label === 'negative' && c.sentiment.compound <= -0.05));
  for (const bad of ['sentiment=sad', 'from=2025-13&to=2026-01', 'from=2026-02&to=2026-01', 'touchpoint=x', 'limit=0', 'after=abc', 'from=2020-01&to=2026-01']) {
    const r = await admin.get(`/api/v1/comments?${bad}`);
    assert.equal(r.status, 400, bad);
  }
});

test('comments: a keyed order that is not time order, and cursors that page through every comment once', async () => {
  setMode('anonymous');
  const all = await allComments(admin, '', 200);
  assert.ok(all.length > 30, `the demo has comments (${all.length})`);
  const key = (c) => `${c.month} ${c.question} ${c.sentiment.compound} ${c.text}`;
  const paged = await allComments(admin, '', 7);
  assert.deepEqual(paged.map(key), all.map(key), 'pages of 7 give the same comments in the same order');
  // Months newest first; within a month, not the order in which they were written.
  const months = all.map((c) => c.month);
  assert.deepEqual(months, [...months].sort().reverse());
  setMode('confidential');
  const ident = await allComments(admin, '&identified=1', 200);
  setMode('anonymous');
  const shown = new Set(months);
  assert.deepEqual(ident.filter((c) => shown.has(c.month)).map(key), all.map(key), 'the identified view has the same order');
  const byMonth = new Map();
  for (const c of ident) byMonth.set(c.month, [...(byMonth.get(c.month) ?? []), c.created_at]);
  const big = [...byMonth.values()].filter((v) => new Set(v).size >= 8);
  assert.ok(big.length >= 1, 'a month with at least 8 distinct times');
  for (const times of big) {
    const asc = [...times].sort((a, b) => a - b);
    assert.notDeepEqual(times, asc, 'not oldest first');
    assert.notDeepEqual(times, [...asc].reverse(), 'not newest first');
  }
  // A cursor is opaque and bound to this tenant: a changed one is refused.
  const page = await admin.ok('/api/v1/comments?limit=3');
  const c = page.next;
  const tampered = c.slice(0, 10) + (c[10] === 'A' ? 'B' : 'A') + c.slice(11);
  const r = await admin.get(`/api/v1/comments?limit=3&after=${tampered}`);
  assert.equal(r.status, 400);
  assert.match(r.json.error.message, /after/);
});

test('identified comments: confidential mode only, for signed-in users, audited', async () => {
  setMode('anonymous');
  let r = await admin.get('/api/v1/comments?identified=1');
  assert.equal(r.status, 403);
  assert.equal(r.json.error.code, 'anonymous_mode');
  setMode('confidential');
  const before0 = auditCount('comments.view_identified');
  const page = await admin.ok(`/api/v1/comments?identified=1&department=${encodeURIComponent(QA)}`);
  const mine = page.items.find((c) => c.text === UTF8_FLAG);
  assert.equal(mine.employee.email, qa[0].email);
  assert.equal(typeof mine.created_at, 'number');
  assert.equal(auditCount('comments.view_identified'), before0 + 1);
  const plain = await admin.ok(`/api/v1/comments?department=${encodeURIComponent(QA)}`);
  assert.ok(plain.items.every((c) => c.employee === undefined && c.created_at === undefined), 'no identity unless asked');
  assert.equal(auditCount('comments.view_identified'), before0 + 1);
  const token = tokenApi(SCOPE.comments);
  assert.equal((await token.get('/api/v1/comments?identified=1')).status, 403);
  assert.equal((await token.get(`/api/v1/comments?department=${encodeURIComponent(QA)}`)).status, 200);
  setMode('anonymous');
});

test('people to meet: confidential mode only; the latest conversation decides', async () => {
  setMode('anonymous');
  let r = await admin.get('/api/v1/people-to-meet');
  assert.equal(r.status, 403);
  assert.equal(r.json.error.code, 'anonymous_mode');
  // small0 was low, then fine; small1 was fine, then low.
  await pulse(small[0].email, 1, 'Awful month, I am miserable and angry.');
  await pulse(small[0].email, 5, 'Much better now, thanks a lot!');
  await pulse(small[1].email, 5, 'Great month.');
  await pulse(small[1].email, 2, 'Not great.');
  setMode('confidential');
  const before0 = auditCount('people.view');
  const list = await admin.ok('/api/v1/people-to-meet?limit=100');
  assert.equal(auditCount('people.view'), before0 + 1);
  const emails = list.items.map((p) => p.employee.email);
  assert.ok(emails.includes(small[1].email), 'low in the latest conversation');
  assert.ok(!emails.includes(small[0].email), 'fine in the latest conversation');
  assert.ok(emails.includes(qa[0].email), 'mood 1 and a negative comment');
  const p1 = list.items.find((p) => p.employee.email === small[1].email);
  assert.equal(p1.employee.department, SMALL);
  assert.equal(p1.touchpoint.name, 'pulse');
  assert.match(p1.date, /^\d{4}-\d{2}-\d{2}$/);
  assert.deepEqual(p1.reasons.find((x) => x.kind === 'low_mood'), { kind: 'low_mood', mood: 2 });
  assert.equal(new Set(emails).size, emails.length, 'one row per employee');
  const starts = list.items.map((p) => p.started_at);
  assert.deepEqual(starts, [...starts].sort((a, b) => b - a), 'newest first');
  // Pages of 1 give the same people.
  const paged = [];
  let after = '';
  for (let i = 0; i < 200; i++) {
    const pg = await admin.ok(`/api/v1/people-to-meet?limit=1${after ? `&after=${after}` : ''}`);
    paged.push(...pg.items.map((p) => p.employee.email));
    if (pg.next === null) break;
    after = pg.next;
  }
  assert.deepEqual(paged, emails);
  setMode('anonymous');
});

test('roles: a viewer is refused everywhere; an hrbp sees only their departments', async () => {
  setMode('confidential');
  const viewer = await userApi('viewer@lumenoak.example', 'viewer');
  const id = qaFlagged.id;
  const calls = [
    ['GET', '/api/v1/escalations'], ['GET', `/api/v1/escalations/${id}`], ['PATCH', `/api/v1/escalations/${id}`, { status: 'resolved' }],
    ['POST', `/api/v1/escalations/${id}/notes`, { text: 'x' }], ['GET', '/api/v1/comments'], ['GET', '/api/v1/people-to-meet'],
  ];
  for (const [m, p, body] of calls) {
    const r = await viewer.api.call(m, p, { body });
    assert.equal(r.status, 403, `${m} ${p}`);
  }
  const hrbp = (await userApi('hrbp-qa@lumenoak.example', 'hrbp', QA)).api;
  const mine = await allEscalations(hrbp);
  assert.ok(mine.some((e) => e.id === id));
  assert.ok(mine.every((e) => e.employee.department === QA), 'only the escalations of their department');
  const foreign = (await allEscalations(admin)).find((e) => e.employee.department !== QA);
  const snap = JSON.stringify(sql('SELECT * FROM escalations WHERE id = ?', [foreign.id]));
  assert.equal((await hrbp.get(`/api/v1/escalations/${foreign.id}`)).status, 404);
  assert.equal((await hrbp.patch(`/api/v1/escalations/${foreign.id}`, { status: 'resolved' })).status, 404);
  assert.equal((await hrbp.post(`/api/v1/escalations/${foreign.id}/notes`, { text: 'x' })).status, 404);
  assert.equal(JSON.stringify(sql('SELECT * FROM escalations WHERE id = ?', [foreign.id])), snap);
  assert.equal((await hrbp.patch(`/api/v1/escalations/${id}`, { status: 'acknowledged' })).status, 200);
  // Comments: their one department by default; another is refused.
  const com = await hrbp.ok('/api/v1/comments');
  assert.ok(com.items.some((c) => c.text === UTF8_FLAG));
  assert.equal((await hrbp.get('/api/v1/comments?department=Sales')).status, 403);
  const people = await hrbp.ok('/api/v1/people-to-meet?limit=100');
  assert.ok(people.items.length >= 1 && people.items.every((p) => p.employee.department === QA));
  // API tokens: by scope.
  const reader = tokenApi(SCOPE.readEsc);
  assert.equal((await reader.get('/api/v1/escalations')).status, 200);
  assert.equal((await reader.patch(`/api/v1/escalations/${id}`, { status: 'open' })).status, 403);
  assert.equal((await reader.get('/api/v1/comments')).status, 403);
  assert.equal((await reader.get('/api/v1/people-to-meet')).status, 403);
  const writer = tokenApi(SCOPE.readEsc | SCOPE.writeEsc);
  const r = await writer.patch(`/api/v1/escalations/${id}`, { status: 'open' });
  assert.equal(r.status, 200, r.text);
  const [[tokenId]] = sql("SELECT token_id FROM audit_log WHERE action = 'escalation.update' ORDER BY id DESC LIMIT 1");
  assert.ok(tokenId > 0, 'a token\'s change is audited with the token');
  setMode('anonymous');
});

test('tenant isolation: a second tenant sees none of the demo\'s escalations or comments and changes nothing', async () => {
  const out = await runHark(['tenant', 'create', 'inbox-iso', '--data-dir', srv.dataDir, '--name', 'Iso', '--admin', 'boss@iso.example']);
  const [, email, password] = /admin login: (\S+) \/ (\S+)/.exec(out.stdout);
  sql("UPDATE tenants SET confidentiality = 'confidential' WHERE slug = 'inbox-iso'");
  const other = new Api(srv);
  await other.signIn({ tenant: 'inbox-iso', email, password });
  const snapshot = () => JSON.stringify([sql('SELECT * FROM escalations ORDER BY id'), sql('SELECT * FROM escalation_notes ORDER BY id')]);
  const before0 = snapshot();
  const page = await other.ok('/api/v1/escalations');
  assert.deepEqual(page.items, []);
  const id = qaFlagged.id;
  assert.equal((await other.get(`/api/v1/escalations/${id}`)).status, 404);
  assert.equal((await other.patch(`/api/v1/escalations/${id}`, { status: 'resolved' })).status, 404);
  assert.equal((await other.post(`/api/v1/escalations/${id}/notes`, { text: 'hello' })).status, 404);
  const me = sql("SELECT id FROM users WHERE email = 'boss@iso.example'")[0][0];
  assert.equal((await admin.patch(`/api/v1/escalations/${id}`, { assignee_id: me })).status, 400, 'nor can the demo assign to them');
  assert.equal(snapshot(), before0);
  const com = await other.ok('/api/v1/comments?identified=1');
  assert.deepEqual(com.items, []);
  assert.deepEqual((await other.ok('/api/v1/people-to-meet')).items, []);
  // A cursor of the demo is not one of theirs.
  const demoPage = await admin.ok('/api/v1/comments?limit=2');
  assert.equal((await other.get(`/api/v1/comments?limit=2&after=${demoPage.next}`)).status, 400);
});
