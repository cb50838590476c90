// The tenancy matrix (issue 5): two tenants, every API endpoint the router
// knows (`hark routes --json`) called as tenant B with tenant A's ids, and
// as every role (and an API token without scopes) it does not allow, in
// tenant A. Each call must be refused (403 or 404, or for lists: only B's own
// data) and tenant A's rows in the database must not change. A route with no
// case here fails the test: a new endpoint needs a case.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { runHark, HARK_BIN, stopAll } from './harness.mjs';
import { Api, startApiServer, adminApi } from './api.mjs';

const ROLES = ['owner', 'admin', 'hrbp', 'viewer'];

/** A's data as rows, per table, for every table with a tenant_id (sessions
 * aside: signing in writes them; and API tokens' last-use time). */
function snapshotTenant(dataDir, tenantId) {
  const py = `
import json, sqlite3, sys
con = sqlite3.connect('file:' + sys.argv[1] + '?mode=ro', uri=True)
out = {}
for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"):
    cols = [r[1] for r in con.execute(f'PRAGMA table_info("{name}")')]
    if 'tenant_id' not in cols or name == 'sessions':
        continue
    keep = [c for c in cols if not (name == 'api_tokens' and c == 'last_used_at')]
    sel = ', '.join(f'"{c}"' for c in keep)
    rows = con.execute(f'SELECT {sel} FROM "{name}" WHERE tenant_id = ? ORDER BY 1, 2, 3', (int(sys.argv[2]),)).fetchall()
    out[name] = [[str(v) for v in r] for r in rows]
print(json.dumps(out))
`;
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', py, path.join(dataDir, 'hark.db'), String(tenantId)], { maxBuffer: 1 << 28 }).toString());
}

function assertUnchanged(before, after, what) {
  for (const table of Object.keys(before)) {
    assert.deepEqual(after[table], before[table], `${what}: tenant A's ${table} rows changed`);
  }
}

let srv, a, b, ids, routes, tenantA;
const apis = {}; // role -> Api signed in to tenant A

/** Fills in {id} of a route pattern for tenant A's object of that route. */
function pathFor(pattern) {
  const m = /^\/api\/v1\/([a-z-]+)\/\{id\}/.exec(pattern);
  if (!m) return pattern;
  const id = ids[m[1]];
  assert.ok(id, `no id of tenant A for ${pattern}`);
  return pattern.replace('{id}', String(id));
}

// Every route: a body that would be accepted if the caller were allowed
// (so a refusal is about who asks, not what is sent), or a marker.
const CASES = {
  'POST /api/v1/session': 'public',
  'GET /api/v1/session': 'public',
  'DELETE /api/v1/session': 'public',
  'GET /api/v1/dashboard/overview': {},
  'GET /api/v1/dashboard/heatmap': {},
  'GET /api/v1/dashboard/segments': {},
  'GET /api/v1/outreach/status': {},
  'GET /api/v1/export/responses.csv': {},
  'GET /api/v1/employees': {},
  'POST /api/v1/employees/import': {
    raw: 'external_id,email,first_name,last_name,department,location,manager_email,hire_date,exit_date,timezone\nT1,tenancy.matrix@example.com,Ten,Ancy,Sales,Berlin,,2024-01-02,,\n',
    type: 'text/csv',
  },
  'GET /api/v1/employees/{id}': {},
  'PATCH /api/v1/employees/{id}': { body: { location: 'Matrix City' } },
  'DELETE /api/v1/employees/{id}': {},
  'GET /api/v1/users': {},
  'POST /api/v1/users': { body: { email: 'matrix.user@example.com', role: 'viewer' } },
  'PATCH /api/v1/users/{id}': { body: { disabled: true } },
  'POST /api/v1/users/{id}/password-reset': { body: {} },
  'GET /api/v1/settings': {},
  'PATCH /api/v1/settings': { body: { frequency_cap_days: 9 } },
  'GET /api/v1/tokens': {},
  'POST /api/v1/tokens': { body: { name: 'matrix', scopes: ['read:dashboard'] } },
  'DELETE /api/v1/tokens/{id}': {},
  'GET /api/v1/audit': {},
  'GET /api/v1/flows': {},
  'POST /api/v1/flows': 'flow',
  'GET /api/v1/flows/{id}': {},
  'GET /api/v1/touchpoints': {},
  'POST /api/v1/touchpoints': {
    body: { name: 'Matrix campaign', kind: 'adhoc', flow_name: 'pulse', rule: { date: '2030-01-07' }, active: false },
  },
  'PATCH /api/v1/touchpoints/{id}': { body: { active: false } },
  'GET /api/v1/webhooks': {},
  'POST /api/v1/webhooks': { body: { url: 'https://hooks.example.com/matrix', events: ['escalation.created'] } },
  'PATCH /api/v1/webhooks/{id}': { body: { active: false } },
  'DELETE /api/v1/webhooks/{id}': {},
  'GET /api/v1/webhooks/{id}/deliveries': {},
  'GET /api/v1/escalations': {},
  'GET /api/v1/escalations/assignees': {},
  'GET /api/v1/escalations/{id}': {},
  'PATCH /api/v1/escalations/{id}': { body: { status: 'resolved' } },
  'POST /api/v1/escalations/{id}/notes': { body: { text: 'matrix note' } },
  'GET /api/v1/comments': {},
  'GET /api/v1/people-to-meet': {},
};

function caseOf(r) {
  const c = CASES[`${r.method} ${r.path}`];
  if (c === 'flow') {
    return { body: { name: ids.flowJson.name, json: { ...ids.flowJson, version: undefined } } };
  }
  return c;
}

async function send(api, r, c) {
  const p = pathFor(r.path);
  if (c.raw !== undefined) return api.call(r.method, p, { raw: c.raw, headers: { 'content-type': c.type } });
  if (c.body !== undefined) return api.call(r.method, p, { body: c.body });
  return api.call(r.method, p);
}

before(async () => {
  srv = await startApiServer({ employees: 60, serveArgs: ['--outreach', 'false'] });
  a = await adminApi(srv);
  // Tenant B, its owner signed in.
  const out = await runHark(['tenant', 'create', 'other', '--name', 'Other Co', '--admin', 'owner@other.example', '--data-dir', srv.dataDir]);
  const pw = /admin login: \S+ \/ (\S+)/.exec(out.stdout)?.[1];
  assert.ok(pw, `hark tenant create printed no login:\n${out.stdout}`);
  b = new Api(srv);
  await b.signIn({ tenant: 'other', email: 'owner@other.example', password: pw });
  routes = JSON.parse((await runHark(['routes', '--json'])).stdout);

  // Tenant A's objects: one of each kind the routes take an id of.
  const who = await a.ok('/api/v1/session');
  tenantA = who.user?.tenant_id ?? who.tenant_id ?? 1;
  const emps = await a.ok('/api/v1/employees?limit=5');
  const users = await a.ok('/api/v1/users');
  const tok = await a.post('/api/v1/tokens', { name: 'tenancy', scopes: ['read:dashboard'] });
  assert.equal(tok.status, 201, tok.text);
  const hook = await a.post('/api/v1/webhooks', { url: 'https://hooks.example.com/a', events: ['escalation.created'] });
  assert.equal(hook.status, 201, hook.text);
  const flows = await a.ok('/api/v1/flows');
  const tps = await a.ok('/api/v1/touchpoints');
  const escs = await a.ok('/api/v1/escalations');
  const first = (x) => (Array.isArray(x) ? x : x.items ?? x.employees ?? x.users ?? x.flows ?? x.touchpoints ?? x.escalations ?? [])[0];
  const flowList = Array.isArray(flows) ? flows : flows.flows ?? flows.items;
  const flowVersion = flowList.flatMap((f) => f.versions ?? []).find((v) => v.id)?.id ?? flowList.find((f) => f.id)?.id;
  ids = {
    employees: first(emps)?.id,
    users: (users.users ?? users.items ?? users).find((u) => u.email !== srv.admin.email)?.id ?? first(users)?.id,
    tokens: tok.json.id ?? tok.json.token?.id,
    webhooks: hook.json.id ?? hook.json.webhook?.id,
    flows: flowVersion,
    touchpoints: first(tps)?.id,
    escalations: first(escs)?.id,
  };
  // A flow version of A's own (the shared defaults are every tenant's).
  const fv = await a.ok(`/api/v1/flows/${ids.flows}`);
  ids.flowJson = fv.json ?? fv.flow?.json;
  const own = await a.post('/api/v1/flows', { name: ids.flowJson.name, json: { ...ids.flowJson, version: undefined } });
  assert.equal(own.status, 201, `A stores its own pulse flow: ${own.text}`);
  ids.flows = own.json.id;
  for (const [k, v] of Object.entries(ids)) assert.ok(v, `tenant A has a ${k} id (${JSON.stringify(ids)})`);

  // One user of each other role in A, signed in.
  apis.owner = a;
  for (const role of ['admin', 'hrbp', 'viewer']) {
    const email = `matrix.${role}@lumenoak.example`;
    const r = await a.post('/api/v1/users', { email, role, ...(role === 'hrbp' ? { departments: ['People'] } : {}) });
    assert.equal(r.status, 201, r.text);
    const pass = r.json.password ?? r.json.one_time_password;
    assert.ok(pass, `the user answer holds its password: ${r.text}`);
    apis[role] = new Api(srv);
    await apis[role].signIn({ tenant: 'demo', email, password: pass });
  }
});

after(stopAll);

test('every route of the router has a case in this matrix', () => {
  assert.ok(routes.length >= 40, `hark routes --json lists the API (${routes.length} routes)`);
  const missing = routes.filter((r) => !(`${r.method} ${r.path}` in CASES)).map((r) => `${r.method} ${r.path}`);
  assert.deepEqual(missing, [], 'routes without a tenancy case');
  const gone = Object.keys(CASES).filter((k) => !routes.some((r) => `${r.method} ${r.path}` === k));
  assert.deepEqual(gone, [], 'cases for routes the router no longer has');
});

test("tenant B gets 403 or 404 for every one of tenant A's ids, and nothing of A changes", async () => {
  const before = snapshotTenant(srv.dataDir, tenantA);
  const aStrings = [srv.admin.email, 'lumenoak.example'];
  for (const r of routes) {
    const c = caseOf(r);
    if (c === 'public') continue;
    const res = await send(b, r, c);
    const what = `${r.method} ${r.path} as tenant B`;
    if (r.path.includes('{id}')) {
      assert.ok([403, 404].includes(res.status), `${what}: ${res.status} ${res.text.slice(0, 200)}`);
    } else {
      assert.ok(res.status < 500, `${what}: ${res.status} ${res.text.slice(0, 200)}`);
      for (const s of aStrings) assert.ok(!res.text.includes(s), `${what}: the answer holds tenant A's ${s}`);
    }
  }
  assertUnchanged(before, snapshotTenant(srv.dataDir, tenantA), 'tenant B with A ids');
});

test('every role outside a route gets 403, and nothing changes', async () => {
  const before = snapshotTenant(srv.dataDir, tenantA);
  let refused = 0;
  for (const r of routes) {
    const c = caseOf(r);
    if (c === 'public') continue;
    const allowed = r.roles.split(',');
    for (const role of ROLES) {
      if (allowed.includes(role)) continue;
      const res = await send(apis[role], r, c);
      assert.equal(res.status, 403, `${r.method} ${r.path} as ${role}: ${res.status} ${res.text.slice(0, 200)}`);
      refused++;
    }
  }
  assert.ok(refused > 30, `the matrix refused ${refused} calls`);
  assertUnchanged(before, snapshotTenant(srv.dataDir, tenantA), 'roles outside their routes');
});

test('an API token gets 403 on session-only routes and on routes outside its scopes', async () => {
  const tok = await a.post('/api/v1/tokens', { name: 'matrix-scopes', scopes: ['read:dashboard'] });
  assert.equal(tok.status, 201, tok.text);
  const t = new Api(srv);
  t.useToken(tok.json.token);
  const before = snapshotTenant(srv.dataDir, tenantA);
  for (const r of routes) {
    const c = caseOf(r);
    if (c === 'public') continue;
    const res = await send(t, r, c);
    const what = `${r.method} ${r.path} with a read:dashboard token`;
    if (r.scopes === 'read:dashboard') assert.equal(res.status, 200, `${what}: ${res.status} ${res.text.slice(0, 200)}`);
    else assert.equal(res.status, 403, `${what}: ${res.status} ${res.text.slice(0, 200)}`);
  }
  // The calls it may make read, and the export is audited: that row is
  // the only change.
  const now = snapshotTenant(srv.dataDir, tenantA);
  const added = now.audit_log.slice(before.audit_log.length);
  assert.deepEqual(added.map((row) => row[5]), ['export.responses'], 'the only audit row is the export');
  now.audit_log = before.audit_log;
  assertUnchanged(before, now, 'a token outside its scopes');
});

test("an hrbp sees nothing outside their departments", async () => {
  const h = apis.hrbp;
  const emps = await h.ok('/api/v1/employees?limit=500');
  const list = emps.items ?? emps.employees ?? emps;
  assert.ok(list.length > 0, 'the hrbp sees the People department');
  for (const e of list) assert.equal(e.department, 'People', `employee ${e.id} is in People`);
  const other = (await a.ok('/api/v1/employees?department=Engineering&limit=1'));
  const eng = (other.items ?? other.employees ?? other)[0];
  const res = await h.get(`/api/v1/employees/${eng.id}`);
  assert.ok([403, 404].includes(res.status), `an Engineering employee for a People hrbp: ${res.status}`);
  const ov = await h.get('/api/v1/dashboard/overview?department=Engineering');
  assert.equal(ov.status, 403, `a dashboard of another department: ${ov.status}`);
  const seg = await h.ok('/api/v1/dashboard/segments');
  assert.deepEqual(seg.departments, ['People'], 'the hrbp is offered only their departments');
});
