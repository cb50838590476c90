// The administration API as owners, admins, HR business partners, viewers,
// integrations and another tenant see it: users and their one-time
// passwords, rank rules, sessions that end when an account is disabled or
// changed, tenant settings and their validation, API tokens (shown once,
// scoped, revocable), the audit log of every action (never holding a
// password or a token), `hark user add`, and tenant isolation.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { runHark, sleep, stopAll } from './harness.mjs';
import { Api, adminApi, startApiServer } from './api.mjs';

let srv;
let owner; // the demo's owner, signed in
const secrets = []; // every password and token text shown: none may reach the audit log
let seq = 0;

before(async () => {
  srv = await startApiServer({ employees: 10 });
  owner = await adminApi(srv);
});
after(stopAll);

const uniqueEmail = (role) => `${role}.${process.pid}.${++seq}@example.test`;

/** AS creates a user of ROLE; asserts 201 and returns {id, email, password, user}. */
async function createUser(as, role, departments) {
  const email = uniqueEmail(role);
  const body = { email, role };
  if (departments) body.departments = departments;
  const r = await as.post('/api/v1/users', body);
  assert.equal(r.status, 201, `create ${role}: ${r.status} ${r.text}`);
  assert.equal(r.json.user.email, email);
  assert.equal(r.json.user.role, role);
  assert.match(r.json.password, /^[A-Za-z0-9]{20}$/, 'a 20-character one-time password');
  secrets.push(r.json.password);
  return { id: r.json.user.id, email, password: r.json.password, user: r.json.user };
}

/** A new Api signed in as U (from createUser) of the demo tenant. */
async function signedIn(u, tenant = 'demo') {
  const api = new Api(srv);
  await api.signIn({ tenant, email: u.email, password: u.password });
  return api;
}

/** Sign-in that may fail: the status. */
async function trySignIn(email, password, tenant = 'demo') {
  const r = await new Api(srv).post('/api/v1/session', { tenant, email, password });
  return r.status;
}

function assertError(r, status, code, messageRe, what) {
  assert.equal(r.status, status, `${what}: ${r.status} ${r.text}`);
  assert.equal(r.json?.error?.code, code, `${what}: error code in ${r.text}`);
  if (messageRe) assert.match(r.json.error.message, messageRe, `${what}: message`);
}

async function auditRows(as, query = '') {
  const r = await as.get(`/api/v1/audit?limit=200${query}`);
  assert.equal(r.status, 200, `GET /api/v1/audit: ${r.text}`);
  return r.json.entries;
}

test('an owner creates users of every role, each signs in with the one-time password, the list shows no secret', async () => {
  const admin = await createUser(owner, 'admin');
  const hrbp = await createUser(owner, 'hrbp', ['Sales', 'Support']);
  const viewer = await createUser(owner, 'viewer');
  const second = await createUser(owner, 'owner');
  assert.deepEqual(hrbp.user.departments, ['Sales', 'Support']);
  assert.equal(hrbp.user.disabled, false);
  for (const u of [admin, hrbp, viewer, second]) {
    const api = await signedIn(u);
    const me = await api.ok('/api/v1/session');
    assert.equal(me.user.role, u.user.role, `${u.user.role} signs in with its role`);
  }

  const list = await owner.get('/api/v1/users');
  assert.equal(list.status, 200);
  const byId = new Map(list.json.users.map((u) => [u.id, u]));
  for (const u of [admin, hrbp, viewer, second]) {
    assert.equal(byId.get(u.id)?.email, u.email, `user ${u.id} is listed`);
    assert.equal(byId.get(u.id).role, u.user.role);
  }
  assert.deepEqual(byId.get(hrbp.id).departments, ['Sales', 'Support']);
  for (const s of secrets) assert.ok(!list.text.includes(s), 'the list holds no password');
  assert.doesNotMatch(list.text, /pwhash|argon2|password/, 'the list holds no hash');

  // Keyset pages of one user each cover the same users.
  const seen = [];
  let after = 0;
  for (let i = 0; i < 50; i++) {
    const page = await owner.ok(`/api/v1/users?limit=1${after ? `&after=${after}` : ''}`);
    seen.push(...page.users.map((u) => u.id));
    if (page.next_after === null) break;
    after = page.next_after;
  }
  assert.deepEqual(seen, list.json.users.map((u) => u.id), 'pages of one walk the whole list');
});

test('user creation refuses bad fields by name, and an e-mail taken in any case', async () => {
  const email = uniqueEmail('viewer');
  await owner.post('/api/v1/users', { email, role: 'viewer' }).then((r) => assert.equal(r.status, 201));
  assertError(await owner.post('/api/v1/users', { email: email.toUpperCase(), role: 'viewer' }), 409, 'conflict',
    /^email:/, 'the same e-mail in upper case');
  assertError(await owner.post('/api/v1/users', { email: 'not-an-address', role: 'viewer' }), 400, 'bad_request',
    /^email:/, 'an address without @');
  assertError(await owner.post('/api/v1/users', { role: 'viewer' }), 400, 'bad_request', /^email:/, 'no e-mail');
  assertError(await owner.post('/api/v1/users', { email: uniqueEmail('x'), role: 'superuser' }), 400, 'bad_request',
    /^role:/, 'an unknown role');
  assertError(await owner.post('/api/v1/users', { email: uniqueEmail('x'), role: 'viewer', departments: ['Sales'] }),
    400, 'bad_request', /^departments:/, 'departments for a viewer');
  assertError(await owner.post('/api/v1/users', { email: uniqueEmail('x'), role: 'hrbp', departments: ['Sales', 'Sales'] }),
    400, 'bad_request', /^departments\[1\]:/, 'a repeated department');
  assertError(await owner.post('/api/v1/users', { email: uniqueEmail('x'), role: 'hrbp', departments: 'Sales' }),
    400, 'bad_request', /^departments:/, 'departments as a string');
  // 15 names of 63 bytes and two more, joined by newlines: 1023 bytes fit, 1024 do not.
  const names = (last) => [...Array.from({ length: 15 }, (_, i) => `${String(i).padStart(2, '0')}-`.padEnd(63, 'x')),
    'a'.repeat(31), 'b'.repeat(last)];
  assert.equal(names(31).join('\n').length, 1023);
  const fits = await owner.post('/api/v1/users', { email: uniqueEmail('x'), role: 'hrbp', departments: names(31) });
  assert.equal(fits.status, 201, `1023 bytes of departments: ${fits.text}`);
  secrets.push(fits.json.password);
  assert.deepEqual(fits.json.user.departments, names(31));
  assertError(await owner.post('/api/v1/users', { email: uniqueEmail('x'), role: 'hrbp', departments: names(32) }),
    400, 'bad_request', /^departments: at most 1023 bytes/, 'departments of 1024 bytes');
  assertError(await owner.post('/api/v1/users', { email: uniqueEmail('x'), role: 'hrbp', departments: ['x'.repeat(64)] }),
    400, 'bad_request', /^departments\[0\]:/, 'a department name of 64 bytes');
  assertError(await owner.post('/api/v1/users', { email: uniqueEmail('x'), role: 'viewer', password: 'mine' }),
    400, 'bad_request', /^password: unknown field/, 'a password chosen by the caller');
});

test('hrbp and viewer are refused every administration endpoint; both read the settings', async () => {
  const hrbp = await signedIn(await createUser(owner, 'hrbp', ['Sales']));
  const viewer = await signedIn(await createUser(owner, 'viewer'));
  const target = await createUser(owner, 'viewer');
  const calls = [
    ['GET', '/api/v1/users'],
    ['POST', '/api/v1/users', { email: uniqueEmail('x'), role: 'viewer' }],
    ['PATCH', `/api/v1/users/${target.id}`, { disabled: true }],
    ['POST', `/api/v1/users/${target.id}/password-reset`],
    ['PATCH', '/api/v1/settings', { send_time: '11:00' }],
    ['GET', '/api/v1/tokens'],
    ['POST', '/api/v1/tokens', { name: 'nope', scopes: ['read:audit'] }],
    ['DELETE', '/api/v1/tokens/1'],
    ['GET', '/api/v1/audit'],
  ];
  for (const [who, api] of [['hrbp', hrbp], ['viewer', viewer]]) {
    for (const [method, path, body] of calls) {
      const r = await api.call(method, path, { body });
      assertError(r, 403, 'forbidden', null, `${who} ${method} ${path}`);
    }
    const s = await api.get('/api/v1/settings');
    assert.equal(s.status, 200, `${who} reads the settings`);
    assert.equal(s.json.anon_k, 5);
  }
  // Nothing the refused calls asked for happened.
  assert.equal(await trySignIn(target.email, target.password), 200, 'the target is still enabled, same password');
  const tokens = await owner.ok('/api/v1/tokens');
  assert.ok(!tokens.tokens.some((t) => t.name === 'nope'), 'no token was made');
  assert.equal((await owner.ok('/api/v1/settings')).send_time, '10:00', 'the send time is unchanged');
});

test('rank rules: an admin manages hrbp and viewer users only; the last active owner stays', async () => {
  const adminU = await createUser(owner, 'admin');
  const otherAdmin = await createUser(owner, 'admin');
  const admin = await signedIn(adminU);

  const hrbp = await createUser(admin, 'hrbp', ['Sales']);
  const viewer = await createUser(admin, 'viewer');
  assertError(await admin.post('/api/v1/users', { email: uniqueEmail('a'), role: 'admin' }), 403, 'forbidden', /^role:/,
    'an admin creates an admin');
  assertError(await admin.post('/api/v1/users', { email: uniqueEmail('o'), role: 'owner' }), 403, 'forbidden', /^role:/,
    'an admin creates an owner');

  const ownerId = (await owner.ok('/api/v1/users')).users.find((u) => u.email === srv.admin.email).id;
  for (const [id, what] of [[ownerId, 'the owner'], [otherAdmin.id, 'another admin'], [adminU.id, 'itself']]) {
    assertError(await admin.patch(`/api/v1/users/${id}`, { disabled: true }), 403, 'forbidden', null,
      `an admin disables ${what}`);
    assertError(await admin.post(`/api/v1/users/${id}/password-reset`), 403, 'forbidden', null,
      `an admin resets the password of ${what}`);
  }
  assertError(await admin.patch(`/api/v1/users/${viewer.id}`, { role: 'admin' }), 403, 'forbidden', /^role:/,
    'an admin promotes a viewer to admin');
  let r = await admin.patch(`/api/v1/users/${viewer.id}`, { role: 'hrbp', departments: ['Support'] });
  assert.equal(r.status, 200, `an admin makes a viewer an hrbp: ${r.text}`);
  assert.deepEqual([r.json.user.role, r.json.user.departments], ['hrbp', ['Support']]);
  r = await admin.patch(`/api/v1/users/${hrbp.id}`, { role: 'viewer' });
  assert.equal(r.status, 200);
  assert.deepEqual(r.json.user.departments, [], 'the department scope goes with the hrbp role');
  assertError(await admin.patch(`/api/v1/users/${hrbp.id}`, { departments: ['Sales'] }), 400, 'bad_request',
    /^departments:/, 'departments for a viewer');
  r = await admin.post(`/api/v1/users/${viewer.id}/password-reset`);
  assert.equal(r.status, 200, `an admin resets an hrbp's password: ${r.text}`);
  secrets.push(r.json.password);

  // Leave the demo's owner as the only active one (the first test made a
  // second owner).
  const owners = (await owner.ok('/api/v1/users')).users.filter((u) => u.role === 'owner' && !u.disabled);
  for (const o of owners.filter((u) => u.id !== ownerId)) {
    r = await owner.patch(`/api/v1/users/${o.id}`, { disabled: true });
    assert.equal(r.status, 200, `the owner disables another owner: ${r.text}`);
  }
  assertError(await owner.patch(`/api/v1/users/${ownerId}`, { role: 'admin' }), 409, 'last_owner', /^role:/,
    'the last owner demotes itself');
  assertError(await owner.patch(`/api/v1/users/${ownerId}`, { disabled: true }), 409, 'last_owner', /^disabled:/,
    'the last owner disables itself');
  assert.equal((await owner.ok('/api/v1/session')).user.role, 'owner', 'still an owner, still signed in');

  // With a second owner, an owner may step down; its session ends.
  const second = await createUser(owner, 'owner');
  const secondApi = await signedIn(second);
  r = await secondApi.patch(`/api/v1/users/${second.id}`, { role: 'admin' });
  assert.equal(r.status, 200, `a second owner steps down: ${r.text}`);
  assert.equal((await secondApi.get('/api/v1/session')).status, 401, 'its session ended with the role change');
  const again = await signedIn(second);
  assert.equal((await again.ok('/api/v1/session')).user.role, 'admin');
  // The owner promotes an admin back; only owners may.
  r = await owner.patch(`/api/v1/users/${otherAdmin.id}`, { role: 'owner' });
  assert.equal(r.status, 200);
  assertError(await owner.patch(`/api/v1/users/${otherAdmin.id}`, { role: 'chief' }), 400, 'bad_request', /^role:/,
    'an unknown role');
  assertError(await owner.patch(`/api/v1/users/${otherAdmin.id}`, {}), 400, 'bad_request', /^body:/, 'nothing to change');
  assertError(await owner.patch(`/api/v1/users/${otherAdmin.id}`, { disabled: 'yes' }), 400, 'bad_request',
    /^disabled:/, 'disabled as a string');
  assertError(await owner.patch('/api/v1/users/999999', { disabled: true }), 404, 'not_found', null, 'no such user');
});

test('disabling a user, changing their role or resetting their password ends their sessions at once', async () => {
  const u = await createUser(owner, 'viewer');
  const a = await signedIn(u);
  const b = await signedIn(u); // a second browser
  assert.equal((await a.get('/api/v1/settings')).status, 200);

  let r = await owner.patch(`/api/v1/users/${u.id}`, { disabled: true });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.user.disabled, true);
  assert.ok(r.json.user.disabled_at > 0);
  assert.equal((await a.get('/api/v1/settings')).status, 401, 'the next request of the disabled user is 401');
  assert.equal((await b.get('/api/v1/settings')).status, 401, 'so is that of their other browser');
  assert.equal(await trySignIn(u.email, u.password), 401, 'a disabled user cannot sign in');

  r = await owner.patch(`/api/v1/users/${u.id}`, { disabled: false });
  assert.equal(r.status, 200);
  assert.equal(r.json.user.disabled_at, null);
  const c = await signedIn(u);
  r = await owner.post(`/api/v1/users/${u.id}/password-reset`);
  assert.equal(r.status, 200, r.text);
  assert.match(r.json.password, /^[A-Za-z0-9]{20}$/);
  assert.notEqual(r.json.password, u.password);
  secrets.push(r.json.password);
  assert.equal((await c.get('/api/v1/settings')).status, 401, 'a password reset ends the session');
  assert.equal(await trySignIn(u.email, u.password), 401, 'the old password no longer works');
  const d = await signedIn({ email: u.email, password: r.json.password });
  r = await owner.patch(`/api/v1/users/${u.id}`, { role: 'hrbp', departments: ['Sales'] });
  assert.equal(r.status, 200);
  assert.equal((await d.get('/api/v1/settings')).status, 401, 'a role change ends the session');
});

test('API tokens: created with scopes, shown once, used as Bearer, revoked', async () => {
  let r = await owner.post('/api/v1/tokens', { name: 'siem export', scopes: ['read:audit'] });
  assert.equal(r.status, 201, r.text);
  const tok = r.json;
  assert.match(tok.token, /^hark_[A-Za-z0-9]{32}$/);
  assert.equal(tok.prefix, tok.token.slice(0, 9));
  assert.deepEqual(tok.scopes, ['read:audit']);
  assert.equal(tok.revoked_at, null);
  assert.equal(tok.last_used_at, null);
  secrets.push(tok.token);

  r = await owner.post('/api/v1/tokens', { name: 'dashboards', scopes: ['read:dashboard', 'read:comments'] });
  assert.equal(r.status, 201, r.text);
  const dash = r.json;
  secrets.push(dash.token);
  assert.deepEqual(dash.scopes, ['read:dashboard', 'read:comments']);

  const list = await owner.get('/api/v1/tokens');
  assert.equal(list.status, 200);
  const listed = list.json.tokens.find((t) => t.id === tok.id);
  assert.equal(listed.name, 'siem export');
  assert.equal(listed.prefix, tok.prefix);
  assert.equal(listed.token, undefined, 'a list never holds the token');
  for (const s of secrets) assert.ok(!list.text.includes(s), 'no token text in the list');
  assert.doesNotMatch(list.text, /hash/);

  const bearer = new Api(srv);
  bearer.useToken(tok.token);
  r = await bearer.get('/api/v1/audit');
  assert.equal(r.status, 200, `a read:audit token reads the audit log: ${r.text}`);
  assertError(await bearer.get('/api/v1/users'), 403, 'forbidden', null, 'a token on a session-only route');
  assertError(await bearer.get('/api/v1/tokens'), 403, 'forbidden', null, 'a token lists tokens');
  assertError(await bearer.post('/api/v1/tokens', { name: 'more', scopes: ['read:audit'] }), 403, 'forbidden', null,
    'a token makes a token');
  const other = new Api(srv);
  other.useToken(dash.token);
  assertError(await other.get('/api/v1/audit'), 403, 'insufficient_scope', null, 'a token without read:audit');

  // last_used_at is written in the background after the answer: wait for it.
  let used;
  for (let i = 0; i < 50; i++) {
    used = (await owner.ok('/api/v1/tokens')).tokens.find((t) => t.id === tok.id);
    if (used.last_used_at !== null) break;
    await sleep(100);
  }
  assert.ok(used.last_used_at > 0, 'last_used_at is recorded');

  r = await owner.del(`/api/v1/tokens/${tok.id}`);
  assert.equal(r.status, 200, r.text);
  assert.ok(r.json.revoked_at > 0);
  assert.equal(r.json.token, undefined);
  assert.equal((await bearer.get('/api/v1/audit')).status, 401, 'a revoked token is refused');
  r = await owner.del(`/api/v1/tokens/${tok.id}`);
  assert.equal(r.status, 200, 'revoking twice answers the same');
  assertError(await owner.del('/api/v1/tokens/999999'), 404, 'not_found', null, 'no such token');
  const revokes = (await auditRows(owner, '&action=token.revoke')).filter((e) => e.target === `token:${tok.id}`);
  assert.equal(revokes.length, 1, 'one audit row for one revocation');

  assertError(await owner.post('/api/v1/tokens', { name: 'dashboards', scopes: ['read:audit'] }), 409, 'conflict',
    /^name:/, 'a name taken');
  assertError(await owner.post('/api/v1/tokens', { name: 'x', scopes: ['admin:all'] }), 400, 'bad_request',
    /^scopes\[0\]:/, 'an unknown scope');
  assertError(await owner.post('/api/v1/tokens', { name: 'x', scopes: ['read:audit,read:comments'] }), 400,
    'bad_request', /^scopes\[0\]:/, 'two scopes in one string');
  assertError(await owner.post('/api/v1/tokens', { name: 'x', scopes: [] }), 400, 'bad_request', /^scopes:/,
    'no scope');
  assertError(await owner.post('/api/v1/tokens', { name: '', scopes: ['read:audit'] }), 400, 'bad_request', /^name:/,
    'an empty name');

  // An admin manages tokens too.
  const admin = await signedIn(await createUser(owner, 'admin'));
  r = await admin.post('/api/v1/tokens', { name: 'admin made', scopes: ['read:employees'] });
  assert.equal(r.status, 201, r.text);
  secrets.push(r.json.token);
  r = await admin.del(`/api/v1/tokens/${dash.id}`);
  assert.equal(r.status, 200);
  assert.equal((await other.get('/api/v1/audit')).status, 401, 'revoked by an admin: refused');
});

test('settings: read by all, validated field by field, anon_k and confidentiality for owners only', async () => {
  const before = await owner.ok('/api/v1/settings');
  assert.equal(before.anon_k, 5, 'k defaults to 5');
  assert.equal(before.confidentiality, 'anonymous');
  assert.equal(before.send_time, '10:00');
  assert.equal(before.quiet_hours, '20:00-08:00');
  assert.deepEqual(before.working_days, ['mon', 'tue', 'wed', 'thu', 'fri']);
  assert.equal(typeof before.timezone, 'string');

  const bad = [
    [{ timezone: 'Mars/Olympus_Mons' }, /^timezone:/],
    [{ timezone: '../etc/passwd' }, /^timezone:/],
    [{ timezone: 7 }, /^timezone:/],
    [{ send_time: '25:00' }, /^send_time:/],
    [{ send_time: '9:00' }, /^send_time:/],
    [{ quiet_hours: '22:00' }, /^quiet_hours:/],
    [{ quiet_hours: '08:00-08:00' }, /^quiet_hours:/],
    [{ send_time: '21:00' }, /^send_time: the send time 21:00 is inside the quiet hours 20:00-08:00/],
    [{ quiet_hours: '09:00-11:00' }, /^quiet_hours: the send time 10:00 is inside/],
    [{ working_days: [] }, /^working_days:/],
    [{ working_days: ['mon', 'funday'] }, /^working_days\[1\]:/],
    [{ working_days: ['mon', 'mon'] }, /^working_days\[1\]:/],
    [{ frequency_cap_days: -1 }, /^frequency_cap_days: must be an integer from 0 to 365/],
    [{ reminders: 6 }, /^reminders:/],
    [{ reminder_hours: 0 }, /^reminder_hours:/],
    [{ invite_ttl_days: 400 }, /^invite_ttl_days:/],
    [{ anon_k: 2 }, /^anon_k: must be an integer from 3 to 50/],
    [{ anon_k: 51 }, /^anon_k:/],
    [{ anon_k: 5.5 }, /^anon_k:/],
    [{ anon_k: '7' }, /^anon_k:/],
    [{ confidentiality: 'public' }, /^confidentiality:/],
    [{ colour: 'blue' }, /^colour: unknown setting/],
    [{}, /^body:/],
    [{ send_time: '11:00', anon_k: 1 }, /^anon_k:/],
  ];
  for (const [body, re] of bad) {
    assertError(await owner.patch('/api/v1/settings', body), 400, 'bad_request', re, JSON.stringify(body));
  }
  assert.deepEqual(await owner.ok('/api/v1/settings'), before, 'refused changes changed nothing');

  const admin = await signedIn(await createUser(owner, 'admin'));
  assertError(await admin.patch('/api/v1/settings', { anon_k: 7 }), 403, 'forbidden', /^anon_k:/, 'an admin sets k');
  assertError(await admin.patch('/api/v1/settings', { confidentiality: 'confidential' }), 403, 'forbidden',
    /^confidentiality:/, 'an admin sets confidentiality');
  assertError(await admin.patch('/api/v1/settings', { send_time: '11:00', anon_k: 7 }), 403, 'forbidden', /^anon_k:/,
    'an admin sets k among other fields');
  assert.deepEqual(await owner.ok('/api/v1/settings'), before, 'the admin changed nothing');

  let r = await admin.patch('/api/v1/settings', {
    send_time: '09:30', quiet_hours: null, working_days: ['sat', 'mon', 'tue'], frequency_cap_days: 14, reminders: 1,
    reminder_hours: 24, invite_ttl_days: 10, timezone: 'Europe/Paris',
  });
  assert.equal(r.status, 200, `an admin changes the schedule: ${r.text}`);
  assert.equal(r.json.send_time, '09:30');
  assert.equal(r.json.quiet_hours, null);
  assert.deepEqual(r.json.working_days, ['mon', 'tue', 'sat']);
  assert.equal(r.json.frequency_cap_days, 14);
  assert.equal(r.json.reminders, 1);
  assert.equal(r.json.reminder_hours, 24);
  assert.equal(r.json.invite_ttl_days, 10);
  assert.equal(r.json.timezone, 'Europe/Paris');
  assert.equal(r.json.anon_k, 5);

  r = await owner.patch('/api/v1/settings', { anon_k: 7, confidentiality: 'confidential', quiet_hours: '21:00-07:00' });
  assert.equal(r.status, 200, `the owner sets k and the mode: ${r.text}`);
  const now = await owner.ok('/api/v1/settings');
  assert.equal(now.anon_k, 7);
  assert.equal(now.confidentiality, 'confidential');
  assert.equal(now.quiet_hours, '21:00-07:00');
  assert.equal(now.send_time, '09:30', 'other fields kept');
  r = await owner.patch('/api/v1/settings', { anon_k: 3 });
  assert.equal(r.status, 200, 'k = 3 is allowed');
  assertError(await owner.patch('/api/v1/settings', { anon_k: 2 }), 400, 'bad_request', /^anon_k:/, 'k = 2');
  assert.equal((await owner.ok('/api/v1/settings')).anon_k, 3, 'k never goes below 3');

  // `hark schedule` reads what the API stored.
  const sched = await runHark(['schedule', '--data-dir', srv.dataDir, '--tenant', 'demo']);
  assert.match(sched.stdout, /send time 09:30/);
  assert.match(sched.stdout, /frequency cap 14 days/);

  const rows = await auditRows(owner, '&action=settings.');
  const kRow = rows.find((e) => e.detail.anon_k?.new === 7);
  assert.ok(kRow, 'the k change is audited');
  assert.deepEqual(kRow.detail.anon_k, { old: 5, new: 7 });
  assert.deepEqual(kRow.detail.confidentiality, { old: 'anonymous', new: 'confidential' });
  assert.deepEqual(kRow.detail.changed, ['quiet_hours', 'anon_k', 'confidentiality']);
  const schedRow = rows.find((e) => e.detail.changed.includes('send_time'));
  assert.deepEqual(schedRow.detail.changed, ['timezone', 'send_time', 'quiet_hours', 'working_days',
    'frequency_cap_days', 'reminders', 'reminder_hours', 'invite_ttl_days']);
  assert.equal(schedRow.detail.anon_k, undefined);
});

test('hark user add creates an hrbp with departments and prints a one-time password', async () => {
  const email = uniqueEmail('cli');
  const r = await runHark(['user', 'add', '--data-dir', srv.dataDir, '--tenant', 'demo', '--email', email,
    '--role', 'hrbp', '--departments', 'Sales, Engineering']);
  const m = /login: (\S+) \/ (\S+)/.exec(r.stdout);
  assert.ok(m, `a login line in:\n${r.stdout}`);
  assert.equal(m[1], email);
  secrets.push(m[2]);
  const api = await signedIn({ email, password: m[2] });
  assert.equal((await api.ok('/api/v1/session')).user.role, 'hrbp');
  const listed = (await owner.ok('/api/v1/users')).users.find((u) => u.email === email);
  assert.deepEqual(listed.departments, ['Sales', 'Engineering']);
  const row = (await auditRows(owner, '&action=user.create')).find((e) => e.target === `user:${listed.id}`);
  assert.ok(row, 'the CLI audits the creation');
  assert.equal(row.user_id, null);
  assert.equal(row.detail.via, 'cli');

  const fail = async (args, re, what) => {
    const x = await runHark(['user', 'add', '--data-dir', srv.dataDir, ...args], { allowFail: true });
    assert.equal(x.code, 2, `${what}: exit 2\n${x.stdout}${x.stderr}`);
    assert.match(x.stderr, re, what);
  };
  await fail(['--tenant', 'demo', '--email', email, '--role', 'viewer'], /--email: .*already/, 'the same e-mail');
  await fail(['--tenant', 'demo', '--email', uniqueEmail('c'), '--role', 'boss'], /--role:/, 'an unknown role');
  await fail(['--tenant', 'nope', '--email', uniqueEmail('c'), '--role', 'viewer'], /--tenant:/, 'no such tenant');
  await fail(['--tenant', 'demo', '--email', 'bad', '--role', 'viewer'], /--email:/, 'a bad address');
  await fail(['--tenant', 'demo', '--email', uniqueEmail('c'), '--role', 'viewer', '--departments', 'Sales'],
    /--departments: only an hrbp/, 'departments for a viewer');
  await fail(['--tenant', 'demo', '--email', uniqueEmail('c'), '--role', 'hrbp', '--departments', 'Sales,,Ops'],
    /--departments:/, 'an empty department name');
});

test('the audit log holds every action, never a password or a token, and pages by keyset', async () => {
  const entries = await auditRows(owner);
  const actions = new Set(entries.map((e) => e.action));
  for (const a of ['user.create', 'user.update', 'user.password_reset', 'settings.update', 'token.create', 'token.revoke'])
    assert.ok(actions.has(a), `an audit row for ${a}`);
  const text = JSON.stringify(entries);
  assert.ok(secrets.length > 10);
  for (const s of secrets) assert.ok(!text.includes(s), 'no password or token text in the audit log');
  assert.doesNotMatch(text, /@example\.test/, 'no e-mail address in the audit log');
  for (const e of entries) {
    assert.equal(typeof e.at, 'number');
    assert.equal(typeof e.detail, 'object');
  }
  const upd = entries.find((e) => e.action === 'user.update' && e.detail.changed.includes('disabled'));
  assert.ok(upd.user_id > 0, 'who acted');
  assert.match(upd.target, /^user:\d+$/);
  const tc = entries.find((e) => e.action === 'token.create');
  assert.equal(typeof tc.detail.prefix, 'string');

  // Newest first; pages of 2 walk the same rows.
  for (let i = 1; i < entries.length; i++) assert.ok(entries[i - 1].id > entries[i].id, 'newest first');
  const walked = [];
  let before = 0;
  for (let i = 0; i < 200 && walked.length < 7; i++) {
    const page = await owner.ok(`/api/v1/audit?limit=2${before ? `&before=${before}` : ''}`);
    walked.push(...page.entries.map((e) => e.id));
    if (page.next_before === null) break;
    before = page.next_before;
  }
  assert.deepEqual(walked, entries.slice(0, walked.length).map((e) => e.id));
  const users = await auditRows(owner, '&action=user.');
  assert.ok(users.length > 0 && users.every((e) => e.action.startsWith('user.')), 'the action prefix filter');
  assertError(await owner.get('/api/v1/audit?limit=0'), 400, 'bad_request', /^limit:/, 'limit 0');
  assertError(await owner.get('/api/v1/audit?limit=201'), 400, 'bad_request', /^limit:/, 'limit 201');
  assertError(await owner.get('/api/v1/audit?before=abc'), 400, 'bad_request', /^before:/, 'a bad cursor');
});

test('another tenant: its admin gets 404 for the demo\'s users and tokens and changes nothing', async () => {
  const slug = `other${process.pid}`;
  const made = await runHark(['tenant', 'create', slug, '--name', 'Other', '--admin', 'boss@other.test',
    '--data-dir', srv.dataDir]);
  const m = /admin login: (\S+) \/ (\S+)/.exec(made.stdout);
  assert.ok(m, made.stdout);
  const boss = new Api(srv);
  await boss.signIn({ tenant: slug, email: m[1], password: m[2] });

  const demoUsers = await owner.ok('/api/v1/users');
  const demoTokens = await owner.ok('/api/v1/tokens');
  const demoSettings = await owner.ok('/api/v1/settings');
  const demoAudit = await auditRows(owner);
  const victim = demoUsers.users.find((u) => u.role === 'viewer' && !u.disabled);
  const liveToken = demoTokens.tokens.find((t) => t.revoked_at === null);
  assert.ok(victim && liveToken);

  const own = await boss.ok('/api/v1/users');
  assert.deepEqual(own.users.map((u) => u.email), ['boss@other.test'], 'only its own users');
  assert.deepEqual((await boss.ok('/api/v1/tokens')).tokens, [], 'only its own tokens');
  assert.ok((await auditRows(boss)).every((e) => !demoAudit.some((d) => d.id === e.id)), 'only its own audit rows');
  assertError(await boss.patch(`/api/v1/users/${victim.id}`, { disabled: true }), 404, 'not_found', null,
    'disable a demo user');
  assertError(await boss.patch(`/api/v1/users/${victim.id}`, { role: 'owner' }), 404, 'not_found', null,
    'promote a demo user');
  assertError(await boss.post(`/api/v1/users/${victim.id}/password-reset`), 404, 'not_found', null,
    'reset a demo user');
  assertError(await boss.del(`/api/v1/tokens/${liveToken.id}`), 404, 'not_found', null, 'revoke a demo token');
  const r = await boss.patch('/api/v1/settings', { anon_k: 9 });
  assert.equal(r.status, 200);
  assert.equal(r.json.tenant, slug);

  assert.deepEqual(await owner.ok('/api/v1/users'), demoUsers, 'the demo users are unchanged');
  assert.deepEqual((await owner.ok('/api/v1/tokens')).tokens.map((t) => [t.id, t.revoked_at]),
    demoTokens.tokens.map((t) => [t.id, t.revoked_at]), 'the demo tokens are unchanged');
  assert.deepEqual(await owner.ok('/api/v1/settings'), demoSettings, 'the demo settings are unchanged');
  assert.deepEqual((await auditRows(owner)).map((e) => e.id), demoAudit.map((e) => e.id), 'no audit row for the demo');
});
