// The employees part of the HR API (docs/api.md "Employees") against a real
// `hark serve` on a demo company: the list (search, filters, keyset pages,
// total), one employee, edits refused field by field and conflicts, the
// erasure (personal data and message text gone, every count kept), the CSV
// upload (success, each malformed file of issue 5 refused with its line and
// column and nothing changed, a 1 GiB upload refused at once while the
// server keeps serving, 100,000 rows through the upload), an hrbp's
// department scope, a viewer, API token scopes and a second tenant.
//
// Users, tokens and outbox rows that no endpoint makes yet are written into
// the SQLite file with python3's sqlite3 module, and what the API cannot
// show (message text, audit rows) is read back the same way.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import { rawHttp, runHark, stopAll } from './harness.mjs';
import { Api, adminApi, startApiServer } from './api.mjs';

const SQL_PY = `
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=30)
out = []
for query, params in json.loads(sys.argv[2]):
    params = [bytes.fromhex(p['blob']) if isinstance(p, dict) else p for p in params]
    out.append([list(r) for r in db.execute(query, params).fetchall()])
db.commit()
print(json.dumps(out))
`;

let srv; // the demo company, 60 employees
let admin; // its owner, signed in
let dbPath;

/** Runs [query, params] statements on the server's database in one
 * transaction; returns the rows of each, as arrays. */
function sqlBatch(statements) {
  const r = spawnSync('python3', ['-c', SQL_PY, dbPath, JSON.stringify(statements)], { encoding: 'utf8' });
  assert.equal(r.status, 0, `python3 sqlite3: ${r.stderr}`);
  return JSON.parse(r.stdout);
}
const sql = (query, params = []) => sqlBatch([[query, params]])[0];

/** The whole employees table of the demo tenant as text: equal snapshots mean nothing changed. */
function employeesSnapshot() {
  return JSON.stringify(sql('SELECT * FROM employees ORDER BY id'));
}

/** Every employee the list shows (following next_after), with the totals each page reported. */
async function listAll(api, query = '', limit = 500) {
  const rows = [];
  const totals = new Set();
  let after = 0;
  for (;;) {
    const page = await api.ok(`/api/v1/employees?limit=${limit}&after=${after}${query}`);
    rows.push(...page.employees);
    totals.add(page.total);
    if (page.next_after === null) break;
    assert.equal(page.employees.length, limit, 'a page with a next page is full');
    assert.equal(page.next_after, page.employees.at(-1).id);
    after = page.next_after;
  }
  return { rows, totals: [...totals] };
}

const postCsv = (api, text, headers = {}) =>
  api.call('POST', '/api/v1/employees/import', { raw: text, headers: { 'content-type': 'text/csv', ...headers } });

/** Signs in a user inserted with the demo owner's password hash, ROLE and DEPARTMENTS. */
async function userApi(email, role, departments = '') {
  sql(
    `INSERT INTO users (tenant_id, email, pwhash, role, departments, created_at)
     SELECT tenant_id, ?, pwhash, ?, ?, 0 FROM users WHERE email = ?`,
    [email, role, departments, srv.admin.email],
  );
  const api = new Api(srv);
  await api.signIn({ tenant: 'demo', email, password: srv.admin.password });
  return api;
}

/** An API token of the demo tenant with SCOPES (bits), stored hashed as the server does. */
function makeToken(name, scopes) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const token = 'hark_' + [...randomBytes(32)].map((b) => alphabet[b % alphabet.length]).join('');
  sql(
    `INSERT INTO api_tokens (tenant_id, name, prefix, token_hash, scopes, created_by, created_at)
     SELECT tenant_id, ?, ?, ?, ?, id, 0 FROM users WHERE email = ?`,
    [name, token.slice(0, 9), { blob: createHash('sha256').update(token).digest('hex') }, scopes, srv.admin.email],
  );
  const api = new Api(srv);
  api.useToken(token);
  return api;
}
const SCOPE_READ_EMPLOYEES = 1 << 2;
const SCOPE_WRITE_EMPLOYEES = 1 << 3;

const HEADER = 'external_id,email,first_name,last_name,department,location,manager_email,hire_date,exit_date,timezone';
const q = (v) => (/[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
const csvRow = (r) => HEADER.split(',').map((c) => q(r[c] ?? '')).join(',');

before(async () => {
  // No outreach in the background: the erasure test compares counts.
  srv = await startApiServer({ employees: 60, serveArgs: ['--outreach', 'false'] });
  admin = await adminApi(srv);
  dbPath = path.join(srv.dataDir, 'hark.db');
});
after(stopAll);

/* ------------------------------------------------------------------ */
/* The list                                                            */
/* ------------------------------------------------------------------ */

test('the list pages through every employee in id order, with the total on every page', async () => {
  const first = await admin.ok('/api/v1/employees');
  assert.equal(first.total, 60);
  assert.equal(first.limit, 50, 'default limit');
  assert.equal(first.employees.length, 50);
  assert.equal(first.next_after, first.employees[49].id);

  const { rows, totals } = await listAll(admin, '', 7);
  assert.deepEqual(totals, [60]);
  assert.equal(rows.length, 60);
  const ids = rows.map((e) => e.id);
  assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
  assert.equal(new Set(ids).size, 60);
  const stored = sql("SELECT id FROM employees WHERE tenant_id = (SELECT id FROM tenants WHERE slug = 'demo') ORDER BY id");
  assert.deepEqual(ids, stored.map((r) => r[0]));

  const e = rows[0];
  for (const k of ['external_id', 'email', 'first_name', 'last_name', 'department', 'location', 'manager_email',
    'hire_date', 'exit_date', 'timezone', 'status', 'created_at', 'updated_at'])
    assert.ok(k in e, `an employee has ${k}`);
  assert.equal(e.erased, false);
  assert.equal(e.erased_at, null);

  const one = await admin.ok(`/api/v1/employees/${e.id}`);
  assert.deepEqual(one, e);
});

test('search matches email, full name and external id, ignoring case; filters are exact and combine', async () => {
  const all = (await listAll(admin)).rows;
  const p = all[11];

  const byName = await admin.ok(`/api/v1/employees?limit=500&q=${encodeURIComponent(p.last_name.toUpperCase().slice(1))}`);
  assert.ok(byName.employees.some((e) => e.id === p.id));
  const needle = p.last_name.toLowerCase().slice(1);
  const expected = all.filter((e) =>
    [e.email, `${e.first_name} ${e.last_name}`, e.external_id].some((s) => s.toLowerCase().includes(needle)),
  );
  assert.deepEqual(byName.employees.map((e) => e.id), expected.map((e) => e.id));
  assert.equal(byName.total, expected.length);

  const full = await admin.ok(`/api/v1/employees?q=${encodeURIComponent(`${p.first_name} ${p.last_name}`.toLowerCase())}`);
  assert.ok(full.employees.some((e) => e.id === p.id), 'first and last name together');
  const byExt = await admin.ok(`/api/v1/employees?q=${p.external_id.toLowerCase()}`);
  assert.deepEqual(byExt.employees.map((e) => e.id), [p.id]);
  const byEmail = await admin.ok(`/api/v1/employees?q=${encodeURIComponent(p.email.split('@')[0].toUpperCase())}`);
  assert.deepEqual(byEmail.employees.map((e) => e.id), [p.id]);

  for (const wild of ['%', '_', '\\']) {
    const r = await admin.ok(`/api/v1/employees?q=${encodeURIComponent(wild)}`);
    assert.equal(r.total, 0, `"${wild}" is a literal character, not a wildcard`);
  }

  const dept = p.department;
  const inDept = all.filter((e) => e.department === dept);
  const d = await listAll(admin, `&department=${encodeURIComponent(dept)}`, 3);
  assert.deepEqual(d.totals, [inDept.length]);
  assert.deepEqual(d.rows.map((e) => e.id), inDept.map((e) => e.id));
  const lower = await admin.ok(`/api/v1/employees?department=${encodeURIComponent(dept.toLowerCase())}`);
  assert.equal(lower.total, 0, 'the department filter is exact');

  const both = await admin.ok(`/api/v1/employees?limit=500&department=${encodeURIComponent(dept)}&location=${encodeURIComponent(p.location)}`);
  assert.deepEqual(both.employees.map((e) => e.id), inDept.filter((e) => e.location === p.location).map((e) => e.id));
  const active = await admin.ok('/api/v1/employees?status=active&limit=1');
  assert.equal(active.total, all.filter((e) => e.status === 'active').length);
});

test('bad list parameters are refused, naming the parameter', async () => {
  for (const [query, field] of [
    ['limit=0', 'limit'],
    ['limit=501', 'limit'],
    ['limit=ten', 'limit'],
    ['after=-1', 'after'],
    ['after=x', 'after'],
    ['status=fired', 'status'],
  ]) {
    const r = await admin.get(`/api/v1/employees?${query}`);
    assert.equal(r.status, 400, query);
    assert.equal(r.json.error.field, field, query);
    assert.match(r.json.error.message, new RegExp(field));
  }
  const long = await admin.get(`/api/v1/employees?q=${'a'.repeat(300)}`);
  assert.equal(long.status, 400);
  assert.match(long.json.error.message, /\bq\b/);
  const r = await admin.get('/api/v1/employees/99999999');
  assert.equal(r.status, 404);
  assert.equal((await admin.get('/api/v1/employees/import')).status, 405);
});

/* ------------------------------------------------------------------ */
/* Edits                                                               */
/* ------------------------------------------------------------------ */

test('an edit with a bad value is refused naming the field, and changes nothing', async () => {
  const [e] = (await admin.ok('/api/v1/employees?limit=1&after=20')).employees;
  const before = employeesSnapshot();
  const cases = [
    [{ email: 'not-an-email' }, 'email', /email is not an email address: it has no '@'/],
    [{ email: '' }, 'email', /email must not be empty/],
    [{ email: 'a b@example.com' }, 'email', /space/],
    [{ manager_email: 'boss@localhost' }, 'manager_email', /manager_email is not an email address/],
    [{ hire_date: '2024-02-30' }, 'hire_date', /hire_date '2024-02-30' is not a date of the form YYYY-MM-DD/],
    [{ exit_date: '31/12/2030' }, 'exit_date', /exit_date/],
    [{ hire_date: '2020-06-01', exit_date: '2020-05-31' }, 'exit_date', /exit_date is before hire_date/],
    [{ timezone: 'Mars/Olympus_Mons' }, 'timezone', /timezone 'Mars\/Olympus_Mons' is not a known IANA time zone/],
    [{ timezone: '../../etc/passwd' }, 'timezone', /not a known IANA time zone/],
    [{ status: 'fired' }, 'status', /status must be active, inactive or left/],
    [{ first_name: 'Ann\nMarie' }, 'first_name', /first_name contains a control character/],
    [{ last_name: 'x'.repeat(64) }, 'last_name', /last_name is 64 bytes long; at most 63 fit/],
    [{ department: 7 }, 'department', /department must be a string/],
    [{ location: null }, 'location', /location must be a string/],
  ];
  for (const [body, field, message] of cases) {
    const r = await admin.patch(`/api/v1/employees/${e.id}`, body);
    assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.text}`);
    assert.equal(r.json.error.field, field, JSON.stringify(body));
    assert.match(r.json.error.message, message);
  }
  const unknown = await admin.patch(`/api/v1/employees/${e.id}`, { salary: '100' });
  assert.equal(unknown.status, 400);
  assert.match(unknown.json.error.message, /unknown field 'salary'/);
  const empty = await admin.patch(`/api/v1/employees/${e.id}`, {});
  assert.equal(empty.status, 400);
  assert.match(empty.json.error.message, /no field/);
  const notJson = await admin.call('PATCH', `/api/v1/employees/${e.id}`, { raw: 'x', headers: { 'content-type': 'text/plain' } });
  assert.equal(notJson.status, 415);
  assert.equal(employeesSnapshot(), before);
  assert.deepEqual(sql("SELECT count(*) FROM audit_log WHERE action = 'employee.update'"), [[0]]);
});

test('an edit stores the fields, records an exit, and is audited with the field names only', async () => {
  const [e] = (await admin.ok('/api/v1/employees?limit=1&after=21')).employees;
  const r = await admin.patch(`/api/v1/employees/${e.id}`, {
    department: 'Research, Labs',
    exit_date: '2031-03-31',
    first_name: 'Zoë',
    email: e.email.toUpperCase(), // the same address: no conflict with itself
    timezone: 'Asia/Kolkata',
  });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.department, 'Research, Labs');
  assert.equal(r.json.exit_date, '2031-03-31');
  assert.equal(r.json.first_name, 'Zoë');
  assert.equal(r.json.timezone, 'Asia/Kolkata');
  assert.ok(r.json.updated_at >= e.updated_at);
  assert.deepEqual(await admin.ok(`/api/v1/employees/${e.id}`), r.json);

  const [audit] = sql("SELECT user_id, token_id, target, detail FROM audit_log WHERE action = 'employee.update'");
  assert.equal(audit[2], `employee:${e.id}`);
  assert.deepEqual(JSON.parse(audit[3]), { fields: ['email', 'first_name', 'department', 'exit_date', 'timezone'] });
  assert.ok(!audit[3].includes('Research') && !audit[3].includes('@'), 'no values in the audit');
  assert.ok(audit[0] > 0 && audit[1] === 0, 'the signed-in user is recorded');

  const cleared = await admin.patch(`/api/v1/employees/${e.id}`, { exit_date: '', timezone: '' });
  assert.equal(cleared.status, 200);
  assert.equal(cleared.json.exit_date, '');
  assert.equal(cleared.json.timezone, '');

  // The same values again change nothing and write no audit row.
  const n = sql("SELECT count(*) FROM audit_log WHERE action = 'employee.update'")[0][0];
  const same = await admin.patch(`/api/v1/employees/${e.id}`, { exit_date: '' });
  assert.equal(same.status, 200);
  assert.equal(same.json.updated_at, cleared.json.updated_at);
  assert.equal(sql("SELECT count(*) FROM audit_log WHERE action = 'employee.update'")[0][0], n);
});

test('an email or external id of another employee is a 409 naming it, and changes nothing', async () => {
  const [a, b] = (await admin.ok('/api/v1/employees?limit=2&after=30')).employees;
  const before = employeesSnapshot();
  const dupEmail = await admin.patch(`/api/v1/employees/${b.id}`, { email: a.email.toUpperCase(), first_name: 'X' });
  assert.equal(dupEmail.status, 409, dupEmail.text);
  assert.equal(dupEmail.json.error.code, 'conflict');
  assert.equal(dupEmail.json.error.field, 'email');
  const dupExt = await admin.patch(`/api/v1/employees/${b.id}`, { external_id: a.external_id });
  assert.equal(dupExt.status, 409);
  assert.equal(dupExt.json.error.field, 'external_id');
  assert.equal(employeesSnapshot(), before);
});

/* ------------------------------------------------------------------ */
/* Erasure                                                             */
/* ------------------------------------------------------------------ */

test('erasing removes personal data and message text, keeps every count, and is idempotent', async () => {
  // The employee with the most messages.
  const [[id]] = sql(`SELECT i.employee_id FROM invites i JOIN conversations c ON c.invite_id = i.id
    JOIN messages m ON m.conversation_id = c.id GROUP BY i.employee_id ORDER BY count(*) DESC LIMIT 1`);
  const person = await admin.ok(`/api/v1/employees/${id}`);
  const mine = `FROM messages m JOIN conversations c ON c.id = m.conversation_id JOIN invites i ON i.id = c.invite_id
    WHERE i.employee_id = ${id}`;
  const firstInvite = `(SELECT min(id) FROM invites WHERE employee_id = ${id})`;
  const counts = [
    `SELECT (SELECT count(*) FROM messages), (SELECT count(*) FROM conversations), (SELECT count(*) FROM invites),
      (SELECT count(*) FROM answers), (SELECT count(*) FROM escalations), (SELECT count(*) FROM employees),
      (SELECT sum(invited) || '/' || sum(started) || '/' || sum(completed) || '/' || sum(mood_n) || '/' || sum(mood_sum)
        || '/' || sum(comments) FROM rollups),
      (SELECT group_concat(scored || ':' || coalesce(compound, '') || ':' || coalesce(flags_json, ''), ';') ${mine})`,
    [],
  ];
  const [[[nmsg, ntext]], , , [kept]] = sqlBatch([
    [`SELECT count(*), sum(length(m.text) > 0) ${mine}`, []],
    // A reminder waiting to be sent to them, and a mail server's reply quoting their address.
    [`INSERT INTO outbox (tenant_id, kind, ref_id, n, due_at, status, created_at, updated_at)
      SELECT tenant_id, 'reminder', id, 1, 4102444800000, 'pending', 0, 0 FROM invites WHERE id = ${firstInvite}`, []],
    [`UPDATE invites SET last_error = ? WHERE id = ${firstInvite}`, [`550 <${person.email}> unknown`]],
    counts,
  ]);
  assert.ok(nmsg > 5 && ntext > 5, `the demo gave employee ${id} messages`);
  const total = (await admin.ok('/api/v1/employees?limit=1')).total;

  const r = await admin.del(`/api/v1/employees/${id}`);
  assert.equal(r.status, 204, r.text);

  const erased = await admin.ok(`/api/v1/employees/${id}`);
  assert.deepEqual(Object.keys(erased).sort(), ['erased', 'erased_at', 'id', 'status']);
  assert.equal(erased.erased, true);
  assert.equal(erased.status, 'left');
  assert.ok(erased.erased_at > 0);
  const listed = (await listAll(admin)).rows.find((e) => e.id === id);
  assert.deepEqual(listed, erased, 'listed as erased, with no personal fields');
  assert.equal((await admin.ok('/api/v1/employees?limit=1')).total, total, 'still counted');
  for (const s of [person.email, person.external_id, person.last_name])
    assert.ok(!(await admin.ok(`/api/v1/employees?q=${encodeURIComponent(s)}`)).employees.some((e) => e.id === id), s);

  const [[row], texts, vars, [now], outbox, lastError, employeeRow, invites] = sqlBatch([
    [`SELECT email, external_id, first_name, last_name, manager_email, status, erased_at FROM employees WHERE id = ${id}`, []],
    [`SELECT count(*), sum(length(m.text) > 0) ${mine}`, []],
    [`SELECT DISTINCT c.vars_json FROM conversations c JOIN invites i ON i.id = c.invite_id WHERE i.employee_id = ${id}`, []],
    counts,
    [`SELECT status FROM outbox WHERE kind = 'reminder' AND ref_id = ${firstInvite}`, []],
    [`SELECT last_error FROM invites WHERE id = ${firstInvite}`, []],
    [`SELECT * FROM employees WHERE id = ${id}`, []],
    [`SELECT * FROM invites WHERE employee_id = ${id}`, []],
  ]);
  assert.deepEqual(row.slice(0, 6), [`erased-${id}@invalid`, '', '', '', '', 'left']);
  assert.equal(row[6], erased.erased_at);
  assert.deepEqual(texts, [[nmsg, 0]], 'every message text is gone');
  assert.deepEqual(vars, [['{}']], 'text answers kept in conversation variables are gone');
  assert.deepEqual(now, kept, 'messages, conversations, invites, answers, escalations, rollups and scores are kept');
  assert.deepEqual(outbox, [['cancelled']]);
  assert.deepEqual(lastError, [['']]);
  const dump = JSON.stringify([employeeRow, invites]);
  assert.ok(!dump.includes(person.email) && !dump.includes(person.last_name), 'no trace of the address or name');

  const audit = sql("SELECT target, detail FROM audit_log WHERE action = 'employee.erase'");
  assert.equal(audit.length, 1);
  assert.equal(audit[0][0], `employee:${id}`);
  const detail = JSON.parse(audit[0][1]);
  assert.equal(detail.messages, ntext);
  assert.equal(detail.outbox_cancelled, 1);

  const again = await admin.del(`/api/v1/employees/${id}`);
  assert.equal(again.status, 204, 'erasing again is 204');
  assert.equal(sql("SELECT count(*) FROM audit_log WHERE action = 'employee.erase'")[0][0], 1, 'and audits nothing');
  const edit = await admin.patch(`/api/v1/employees/${id}`, { first_name: 'Back' });
  assert.equal(edit.status, 409);
  assert.equal(edit.json.error.code, 'erased');
  assert.equal((await admin.del('/api/v1/employees/99999999')).status, 404);
});

/* ------------------------------------------------------------------ */
/* CSV import                                                          */
/* ------------------------------------------------------------------ */

test('an upload imports new people and updates known ones, all counted and audited', async () => {
  const known = (await admin.ok('/api/v1/employees?limit=1&after=40')).employees[0];
  const total = (await admin.ok('/api/v1/employees?limit=1')).total;
  const rows = [
    { external_id: 'N001', email: 'ada@new.example', first_name: 'Ada', last_name: 'Byron', department: 'Sales, EMEA', hire_date: '2024-01-15' },
    { external_id: 'N002', email: 'alan@new.example', first_name: 'Alan', last_name: 'Turing', department: 'R&D "Labs"', timezone: 'Europe/London' },
    { external_id: 'N003', email: 'grace@new.example', first_name: 'Grace', last_name: 'Hopper', location: 'Arlington' },
    { ...known, department: 'Moved' },
  ];
  const text = '\ufeff' + [HEADER, ...rows.map(csvRow)].join('\r\n') + '\r\n'; // BOM and CRLF
  const r = await postCsv(admin, text);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json, { rows: 4, created: 3, updated: 1, unchanged: 0 });
  assert.equal((await admin.ok('/api/v1/employees?limit=1')).total, total + 3);
  const ada = (await admin.ok('/api/v1/employees?q=ada@new')).employees[0];
  assert.equal(ada.department, 'Sales, EMEA');
  assert.equal(ada.status, 'active');
  assert.equal((await admin.ok('/api/v1/employees?q=alan@new')).employees[0].department, 'R&D "Labs"');
  assert.equal((await admin.ok(`/api/v1/employees/${known.id}`)).department, 'Moved');

  const again = await postCsv(admin, text);
  assert.deepEqual(again.json, { rows: 4, created: 0, updated: 0, unchanged: 4 });
  const audit = sql("SELECT target, detail FROM audit_log WHERE action = 'employee.import' ORDER BY id");
  assert.deepEqual(audit.map((a) => JSON.parse(a[1])), [
    { rows: 4, created: 3, updated: 1, unchanged: 0 },
    { rows: 4, created: 0, updated: 0, unchanged: 4 },
  ]);
});

test('each malformed file is refused with its line and column, and changes nothing', async () => {
  const ok = (i) => csvRow({ external_id: `M${i}`, email: `m${i}@bad.example`, first_name: `M${i}` });
  const cases = [
    {
      what: 'an unknown column',
      text: `external_id,email,salary\nM1,m1@bad.example,100\n`,
      problems: [[1, 3, /unknown column 'salary'/]],
    },
    {
      what: 'a column twice',
      text: `email,EMAIL\nm1@bad.example,m1@bad.example\n`,
      problems: [[1, 2, /column email appears twice/]],
    },
    {
      what: 'no email column',
      text: `external_id,first_name\nM1,Ann\n`,
      problems: [[1, 1, /no email column/]],
    },
    {
      what: 'bad dates',
      text: `${HEADER}\n${ok(1)}\nM2,m2@bad.example,,,,,,2024-13-01,,\nM3,m3@bad.example,,,,,,2024-01-10,2023-01-01,\nM4,m4@bad.example,,,,,,,1/2/2030,\n`,
      problems: [
        [3, 8, /hire_date '2024-13-01' is not a date/],
        [4, 9, /exit_date is before hire_date/],
        [5, 9, /exit_date '1\/2\/2030' is not a date/],
      ],
    },
    {
      what: 'duplicate ids and emails',
      text: `${HEADER}\n${ok(1)}\n${ok(2)}\nM1,other@bad.example,,,,,,,,\nM9,M2@BAD.example,,,,,,,,\n`,
      problems: [
        [4, 1, /external_id is also on line 2/],
        [5, 2, /email is also on line 3/],
      ],
    },
    {
      what: 'invalid emails',
      text: `${HEADER}\nM1,bob(at)bad.example,,,,,,,,\nM2,,,,,,,,,\nM3,m3@bad.example,,,,,boss@nodot,,,\n`,
      problems: [
        [2, 2, /email is not an email address/],
        [3, 2, /email is empty/],
        [4, 7, /manager_email is not an email address/],
      ],
    },
    {
      what: 'a bad time zone and a wrong number of fields, with a BOM and CRLF',
      text: `\ufeff${HEADER}\r\n${ok(1)}\r\nM2,m2@bad.example,,,,,,,,Mars/Base\r\nM3,m3@bad.example\r\n`,
      problems: [
        [3, 10, /timezone 'Mars\/Base' is not a known IANA time zone/],
        [4, 3, /this row has 2 fields; the header has 10/],
      ],
    },
    {
      what: 'quoted commas and a quoted line break (counted in line numbers, refused as a value)',
      text: `${HEADER}\n"M1","m1@bad.example","Ann, Jr.","Lee\nSmith",,,,,,\nM2,not-an-email,,,,,,,,\n`,
      problems: [
        [2, 4, /last_name contains a control character/],
        [4, 2, /email is not an email address/],
      ],
    },
    {
      what: 'a quote that never ends',
      text: `${HEADER}\nM1,m1@bad.example,"Ann,,,,,,,,\n`,
      problems: [
        [2, 3, /a quoted field is not closed: the file ends inside it/],
        [3, 4, /this row has 3 fields; the header has 10/],
      ],
    },
    { what: 'an empty file', text: '', problems: [[1, 1, /the file is empty/]] },
  ];
  const before = employeesSnapshot();
  const audits = sql("SELECT count(*) FROM audit_log WHERE action = 'employee.import'")[0][0];
  for (const c of cases) {
    const r = await postCsv(admin, c.text);
    assert.equal(r.status, 422, `${c.what}: ${r.text}`);
    assert.equal(r.json.error.code, 'invalid_csv', c.what);
    assert.match(r.json.error.message, /nothing was imported/);
    assert.equal(r.json.error.problems_total, c.problems.length, `${c.what}: ${r.text}`);
    c.problems.forEach(([line, column, message], i) => {
      const p = r.json.error.problems[i];
      assert.deepEqual([p.line, p.column], [line, column], `${c.what}: ${p.message}`);
      assert.match(p.message, message, c.what);
    });
  }
  assert.equal(employeesSnapshot(), before, 'no refused file changed anything');
  // Good rows in a file with one bad row are not imported either.
  assert.equal((await admin.ok('/api/v1/employees?q=@bad.example')).total, 0);
  assert.equal(sql("SELECT count(*) FROM audit_log WHERE action = 'employee.import'")[0][0], audits, 'a refused file is not audited');

  const wrongType = await admin.call('POST', '/api/v1/employees/import', { body: { csv: HEADER } });
  assert.equal(wrongType.status, 415);
});

test('a 1 GiB upload is refused with 413 before it is read, and the server keeps serving', async () => {
  const c = await rawHttp(srv.port);
  c.write(
    `POST /api/v1/employees/import HTTP/1.1\r\nHost: ${new URL(srv.url).host}\r\nContent-Type: text/csv\r\n` +
      `Content-Length: ${2 ** 30}\r\nCookie: ${admin.cookie}\r\nX-CSRF-Token: ${admin.csrf}\r\nOrigin: ${srv.url}\r\n\r\n`,
  );
  const chunk = Buffer.alloc(64 * 1024, 'a,b@c.de\n');
  let sent = 0;
  let res = null;
  while (!c.ended && sent < 256 * 2 ** 20) {
    res = await c.read(1).catch(() => null);
    if (res) break;
    await new Promise((resolve) => c.sock.write(chunk, resolve));
    sent += chunk.length;
  }
  res ??= await c.read(5000);
  c.destroy();
  assert.ok(res, 'an answer came');
  assert.equal(res.status, 413);
  assert.equal(JSON.parse(res.body).error.code, 'too_large');
  assert.ok(sent < 64 * 2 ** 20, `refused after ${sent} bytes, before the 64 MiB limit could have been read`);

  // A chunked body (no length given) is cut off at 64 MiB.
  const d = await rawHttp(srv.port);
  d.write(
    `POST /api/v1/employees/import HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\nTransfer-Encoding: chunked\r\n` +
      `Cookie: ${admin.cookie}\r\n\r\n`,
  );
  const big = Buffer.alloc(1024 * 1024, 'x');
  const frame = Buffer.concat([Buffer.from(`${big.length.toString(16)}\r\n`), big, Buffer.from('\r\n')]);
  let chunked = null;
  for (let i = 0; i < 80 && !d.ended; i++) {
    chunked = await d.read(1).catch(() => null);
    if (chunked) break;
    await new Promise((resolve) => d.sock.write(frame, resolve));
  }
  chunked ??= await d.read(5000);
  d.destroy();
  assert.equal(chunked?.status, 413);

  // Other routes keep the 1 MiB limit.
  const e = await rawHttp(srv.port);
  e.write(`PATCH /api/v1/employees/1 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${2 * 2 ** 20}\r\n\r\n`);
  assert.equal((await e.read()).status, 413);
  e.destroy();

  await srv.assertHealthy('after the refused uploads');
  assert.equal((await admin.ok('/api/v1/employees?limit=1')).employees.length, 1);
});

test('uploads that have not finished are bounded: a fifth at once gets 503 before its body is read', async () => {
  // Four unauthenticated uploads that send their headers and then stall
  // hold the server's four places for large bodies.
  const held = [];
  for (let i = 0; i < 4; i++) {
    const c = await rawHttp(srv.port);
    c.write(`POST /api/v1/employees/import HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\nContent-Length: ${32 * 2 ** 20}\r\n\r\nexternal_id`);
    held.push(c);
  }
  await new Promise((r) => setTimeout(r, 200));
  const fifth = await rawHttp(srv.port);
  fifth.write(`POST /api/v1/employees/import HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\nContent-Length: 100\r\n\r\n`);
  const res = await fifth.read(5000);
  fifth.destroy();
  assert.equal(res.status, 503, 'the fifth large upload is refused');
  assert.equal(JSON.parse(res.body).error.code, 'busy');
  assert.match(res.headers['retry-after'] ?? '', /^\d+$/, 'with Retry-After');
  await srv.assertHealthy('while four uploads stall');
  for (const c of held) c.destroy();
  // Their places come back once they are gone.
  await new Promise((r) => setTimeout(r, 200));
  const r = await admin.call('POST', '/api/v1/employees/import', {
    raw: 'external_id,email\n', headers: { 'content-type': 'text/csv' } });
  assert.notEqual(r.status, 503, `an upload after the stalled ones left: ${r.status} ${r.text}`);
});

/* ------------------------------------------------------------------ */
/* Who may do what                                                     */
/* ------------------------------------------------------------------ */

test('an hrbp sees only the employees of their departments and cannot write', async () => {
  const hrbp = await userApi('hrbp@lumenoak.example', 'hrbp', 'Engineering\nSales');
  const all = (await listAll(admin)).rows;
  // Erased employees keep their department (the figures are cut by it), so
  // the database says which rows are in scope.
  const inScope = sql(`SELECT id FROM employees WHERE tenant_id = (SELECT id FROM tenants WHERE slug = 'demo')
    AND department IN ('Engineering', 'Sales') ORDER BY id`).map((r) => r[0]);
  assert.ok(inScope.length > 0 && inScope.length < all.length);
  const seen = await listAll(hrbp, '', 4);
  assert.deepEqual(seen.totals, [inScope.length]);
  assert.deepEqual(seen.rows.map((e) => e.id), inScope);
  assert.deepEqual(seen.rows, all.filter((e) => inScope.includes(e.id)), 'the same records the owner sees');
  const mine = seen.rows.filter((e) => !e.erased);
  const other = all.find((e) => !e.erased && e.department === 'Customer Support');
  assert.equal((await hrbp.ok(`/api/v1/employees?department=${encodeURIComponent(other.department)}`)).total, 0);
  assert.equal((await hrbp.ok(`/api/v1/employees?q=${encodeURIComponent(other.email)}`)).total, 0);
  assert.equal((await hrbp.get(`/api/v1/employees/${other.id}`)).status, 404);
  assert.deepEqual(await hrbp.ok(`/api/v1/employees/${mine[0].id}`), mine[0]);

  const before = employeesSnapshot();
  for (const r of [
    await hrbp.patch(`/api/v1/employees/${mine[0].id}`, { first_name: 'X' }),
    await hrbp.del(`/api/v1/employees/${mine[0].id}`),
    await postCsv(hrbp, `email\nh@hrbp.example\n`),
  ]) {
    assert.equal(r.status, 403, r.text);
    assert.equal(r.json.error.code, 'forbidden');
  }
  assert.equal(employeesSnapshot(), before);

  // A scope longer than one statement binds (32 names) is read in slices,
  // here Engineering in the first and Sales in the second; a name given
  // twice counts once.
  const fake = Array.from({ length: 40 }, (_, i) => `Unit ${i}`);
  const wide = await userApi('hrbp3@lumenoak.example', 'hrbp', [...fake.slice(0, 30), 'Engineering', ...fake.slice(30), 'Sales', 'Engineering'].join('\n'));
  const wideSeen = await listAll(wide, '', 3);
  assert.deepEqual(wideSeen.totals, [inScope.length]);
  assert.deepEqual(wideSeen.rows, seen.rows);

  const none = await userApi('hrbp2@lumenoak.example', 'hrbp', '');
  assert.equal((await none.ok('/api/v1/employees')).total, 0, 'an hrbp without departments sees no one');
  const viewer = await userApi('viewer@lumenoak.example', 'viewer');
  assert.equal((await viewer.get('/api/v1/employees')).status, 403);
  assert.equal((await viewer.get(`/api/v1/employees/${mine[0].id}`)).status, 403);
});

test('API tokens need read:employees to read and write:employees to write', async () => {
  const [e] = (await admin.ok('/api/v1/employees?limit=1&after=45')).employees;
  const reader = makeToken('reader', SCOPE_READ_EMPLOYEES);
  assert.equal((await reader.ok('/api/v1/employees')).total, (await admin.ok('/api/v1/employees')).total);
  const refused = await reader.patch(`/api/v1/employees/${e.id}`, { location: 'Oslo' });
  assert.equal(refused.status, 403);
  assert.equal(refused.json.error.code, 'insufficient_scope');
  assert.equal((await postCsv(reader, 'email\nt@token.example\n')).status, 403);

  const writer = makeToken('writer', SCOPE_READ_EMPLOYEES | SCOPE_WRITE_EMPLOYEES);
  const r = await writer.patch(`/api/v1/employees/${e.id}`, { location: 'Oslo' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.location, 'Oslo');
  const [[userId, tokenId]] = sql("SELECT user_id, token_id FROM audit_log WHERE action = 'employee.update' ORDER BY id DESC LIMIT 1");
  assert.equal(userId, 0);
  assert.ok(tokenId > 0, 'the token is recorded');
  const writeOnly = makeToken('write-only', SCOPE_WRITE_EMPLOYEES);
  assert.equal((await writeOnly.get('/api/v1/employees')).status, 403);
});

test("another tenant's admin gets 404 for the demo's employees and changes nothing", async () => {
  const out = await runHark(['tenant', 'create', 'rival', '--name', 'Rival', '--admin', 'boss@rival.example', '--data-dir', srv.dataDir]);
  const [, email, password] = /admin login: (\S+) \/ (\S+)/.exec(out.stdout);
  const rival = new Api(srv);
  await rival.signIn({ tenant: 'rival', email, password });
  assert.deepEqual(await rival.ok('/api/v1/employees'), { employees: [], total: 0, limit: 50, next_after: null });

  const [e] = (await admin.ok('/api/v1/employees?limit=1&after=50')).employees;
  const before = employeesSnapshot();
  const audits = sql('SELECT count(*) FROM audit_log')[0][0];
  assert.equal((await rival.get(`/api/v1/employees/${e.id}`)).status, 404);
  assert.equal((await rival.patch(`/api/v1/employees/${e.id}`, { first_name: 'Stolen' })).status, 404);
  assert.equal((await rival.del(`/api/v1/employees/${e.id}`)).status, 404);
  assert.equal(employeesSnapshot(), before);
  assert.equal(sql('SELECT count(*) FROM audit_log')[0][0], audits);

  // The same people imported by the rival are the rival's own rows.
  const r = await postCsv(rival, `${HEADER}\n${csvRow(e)}\n`);
  assert.deepEqual(r.json, { rows: 1, created: 1, updated: 0, unchanged: 0 });
  const theirs = (await rival.ok('/api/v1/employees')).employees;
  assert.equal(theirs.length, 1);
  assert.notEqual(theirs[0].id, e.id);
  assert.deepEqual(await admin.ok(`/api/v1/employees/${e.id}`), e);
  assert.equal((await rival.ok(`/api/v1/employees?q=${encodeURIComponent(e.email)}`)).total, 1);
  assert.equal((await admin.get(`/api/v1/employees/${theirs[0].id}`)).status, 404);
});

test('100,000 rows go through the upload while the server keeps answering', async () => {
  const lines = [HEADER];
  for (let i = 0; i < 100000; i++)
    lines.push(`B${i},bulk${i}@bulk.example,First${i},Last${i},Dept ${i % 40},City ${i % 7},,2020-01-${String(1 + (i % 28)).padStart(2, '0')},,`);
  const text = lines.join('\n') + '\n';
  assert.ok(text.length > 5 * 2 ** 20, 'well over the 1 MiB of other requests');
  const total = (await admin.ok('/api/v1/employees?limit=1')).total;

  let done = false;
  const upload = postCsv(admin, text).finally(() => (done = true));
  let answeredDuring = 0;
  while (!done) {
    const h = await fetch(`${srv.url}/healthz`);
    assert.equal(h.status, 200);
    const l = await admin.get('/api/v1/employees?limit=5');
    assert.equal(l.status, 200);
    if (!done) answeredDuring++;
  }
  const r = await upload;
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json, { rows: 100000, created: 100000, updated: 0, unchanged: 0 });
  assert.ok(answeredDuring >= 3, `other requests were answered while the import ran (${answeredDuring})`);
  assert.equal((await admin.ok('/api/v1/employees?limit=1')).total, total + 100000);
  assert.equal((await admin.ok('/api/v1/employees?q=bulk99999@')).employees[0].external_id, 'B99999');
});
