// Signing in to the HR API as a browser, and as an attacker, sees it:
// POST/GET/DELETE /api/v1/session, the session cookie's flags, the CSRF
// token, the Origin check, the login throttle, the security headers and the
// session's timeouts across a restart with a clock moved ahead.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { runHark, Server, stopAll, tempDataDir, sleep } from './harness.mjs';

const ADMIN_RE = /admin login: (\S+) \/ (\S+)/;
const SAMPLE_RE = /sample employee: (\S+)/;
const HOUR = 3600 * 1000;

/** `hark demo` on a fresh data dir, then `hark serve`; srv.admin holds the
 * login the demo printed. */
async function startAuthServer(serveArgs = []) {
  const dataDir = await tempDataDir();
  const demo = await runHark(['demo', '--data-dir', dataDir, '--employees', '5']);
  const admin = ADMIN_RE.exec(demo.stdout);
  assert.ok(admin, `hark demo printed no "admin login: EMAIL / PASSWORD" line:\n${demo.stdout}`);
  const sample = SAMPLE_RE.exec(demo.stdout);
  const srv = new Server(dataDir, serveArgs, { demoLinks: [], sampleEmail: sample?.[1] });
  await srv.start('127.0.0.1:0');
  srv.admin = { tenant: 'demo', email: admin[1], password: admin[2] };
  return srv;
}

async function call(srv, method, path, { body, headers = {}, raw } = {}) {
  const init = { method, headers: { ...headers }, redirect: 'manual' };
  if (raw !== undefined) {
    init.body = raw;
  } else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(srv.url + path, init);
  const text = await res.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, headers: res.headers, text, json, cookies: res.headers.getSetCookie() };
}

const signIn = (srv, creds, headers = {}) => call(srv, 'POST', '/api/v1/session', { body: creds, headers });

/** The "name=value" part of the session cookie a response set. */
function sessionCookie(r) {
  const c = r.cookies.find((x) => x.startsWith('hark_session='));
  assert.ok(c, `no hark_session cookie in ${JSON.stringify(r.cookies)}`);
  return c.split(';')[0];
}

function assertClearsCookie(r, what) {
  const c = r.cookies.find((x) => x.startsWith('hark_session='));
  assert.ok(c, `${what}: the cookie is cleared`);
  assert.match(c, /^hark_session=;/, `${what}: cleared value`);
  assert.match(c, /Max-Age=0/i, `${what}: cleared at once`);
}

/** Signs the admin in and returns {cookie, csrf}. */
async function adminSession(srv) {
  const r = await signIn(srv, srv.admin);
  assert.equal(r.status, 200, `sign-in: ${r.text}`);
  return { cookie: sessionCookie(r), csrf: r.json.csrf_token };
}

function assertSecurityHeaders(r, what) {
  const csp = r.headers.get('content-security-policy');
  assert.ok(csp, `${what}: Content-Security-Policy`);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, `${what}: CSP allows no inline code`);
  assert.match(csp, /frame-ancestors 'none'/, `${what}: CSP forbids framing`);
  assert.match(csp, /default-src 'self'/, `${what}: CSP default-src`);
  assert.equal(r.headers.get('x-content-type-options'), 'nosniff', `${what}: nosniff`);
  assert.equal(r.headers.get('x-frame-options'), 'DENY', `${what}: X-Frame-Options`);
  assert.equal(r.headers.get('referrer-policy'), 'no-referrer', `${what}: Referrer-Policy`);
  assert.equal(r.headers.get('cache-control'), 'no-store', `${what}: Cache-Control`);
  assert.equal(r.headers.get('strict-transport-security'), null, `${what}: no HSTS over plain http`);
}

/** An ISO time for --now, DELTA ms from the real clock. */
const isoFromNow = (delta) => new Date(Date.now() + delta).toISOString().replace(/\.\d{3}Z$/, 'Z');

let srv;
before(async () => {
  srv = await startAuthServer();
});
after(stopAll);

test('a wrong password, an unknown e-mail and an unknown tenant all get the same 401', async () => {
  const wrong = await signIn(srv, { ...srv.admin, password: 'not-the-password' });
  const noUser = await signIn(srv, { ...srv.admin, email: 'nobody@lumenoak.example' });
  const noTenant = await signIn(srv, { ...srv.admin, tenant: 'no-such-tenant' });
  for (const [what, r] of [['wrong password', wrong], ['unknown e-mail', noUser], ['unknown tenant', noTenant]]) {
    assert.equal(r.status, 401, `${what}: ${r.text}`);
    assert.equal(r.json?.error?.code, 'bad_credentials', what);
    assert.deepEqual(r.cookies, [], `${what}: no cookie`);
  }
  assert.equal(noUser.text, wrong.text, 'the body does not tell an unknown e-mail from a wrong password');
  assert.equal(noTenant.text, wrong.text, 'the body does not tell an unknown tenant from a wrong password');
});

test('a sign-in sets an HttpOnly, SameSite=Lax session cookie for / (no Secure over http) and answers who', async () => {
  const r = await signIn(srv, srv.admin);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.cookies.length, 1);
  const c = r.cookies[0];
  assert.match(c, /^hark_session=[A-Za-z0-9_-]{22};/);
  const attrs = c.split(';').slice(1).map((a) => a.trim().toLowerCase());
  assert.ok(attrs.includes('httponly'), c);
  assert.ok(attrs.includes('samesite=lax'), c);
  assert.ok(attrs.includes('path=/'), c);
  assert.ok(attrs.includes('max-age=43200'), c);
  assert.ok(!attrs.includes('secure'), `no Secure on plain http: ${c}`);
  assert.ok(!attrs.some((a) => a.startsWith('domain=')), c);
  assert.deepEqual(r.json.user, { email: srv.admin.email, role: 'owner' });
  assert.equal(r.json.tenant, 'demo');
  assert.match(r.json.csrf_token, /^[A-Za-z0-9_-]{43}$/);
  assert.ok(!r.text.includes(srv.admin.password), 'the password is never echoed');

  // People type e-mails and slugs in any case.
  const shouty = await signIn(srv, { ...srv.admin, tenant: 'DEMO', email: srv.admin.email.toUpperCase() });
  assert.equal(shouty.status, 200, shouty.text);
  assert.notEqual(sessionCookie(shouty), sessionCookie(r), 'every sign-in makes a new session');
});

test('GET /api/v1/session works with the cookie and fails without it', async () => {
  const { cookie, csrf } = await adminSession(srv);
  const ok = await call(srv, 'GET', '/api/v1/session', { headers: { cookie } });
  assert.equal(ok.status, 200, ok.text);
  assert.deepEqual(ok.json.user, { email: srv.admin.email, role: 'owner' });
  assert.equal(ok.json.tenant, 'demo');
  assert.equal(ok.json.csrf_token, csrf, 'the CSRF token is the one the sign-in gave');

  const none = await call(srv, 'GET', '/api/v1/session');
  assert.equal(none.status, 401);
  assert.equal(none.json.error.code, 'unauthenticated');

  const forged = await call(srv, 'GET', '/api/v1/session', { headers: { cookie: 'hark_session=AAAAAAAAAAAAAAAAAAAAAA' } });
  assert.equal(forged.status, 401);
  assertClearsCookie(forged, 'an unknown session');

  const junk = await call(srv, 'GET', '/api/v1/session', { headers: { cookie: 'hark_session=../../etc' } });
  assert.equal(junk.status, 401);

  // Two different values under our name: someone planted one; neither is used.
  const [other] = (await adminSession(srv)).cookie.split(';');
  const two = await call(srv, 'GET', '/api/v1/session', { headers: { cookie: `${cookie}; ${other}` } });
  assert.equal(two.status, 401);

  const bearer = await call(srv, 'GET', '/api/v1/session', {
    headers: { authorization: 'Bearer hark_0123456789abcdefghijABCDEFGHIJ01', cookie },
  });
  assert.equal(bearer.status, 401, 'a Bearer token decides alone, and this one does not exist');
  assert.equal(bearer.json.error.code, 'bad_token');
});

test('signing in again replaces the session the browser carried', async () => {
  const first = await adminSession(srv);
  const again = await signIn(srv, srv.admin, { cookie: first.cookie });
  assert.equal(again.status, 200, again.text);
  const second = sessionCookie(again);
  assert.notEqual(second, first.cookie);
  assert.equal((await call(srv, 'GET', '/api/v1/session', { headers: { cookie: first.cookie } })).status, 401);
  assert.equal((await call(srv, 'GET', '/api/v1/session', { headers: { cookie: second } })).status, 200);
});

test('DELETE /api/v1/session needs the CSRF token, then ends the session', async () => {
  const { cookie, csrf } = await adminSession(srv);
  const missing = await call(srv, 'DELETE', '/api/v1/session', { headers: { cookie } });
  assert.equal(missing.status, 403, missing.text);
  assert.equal(missing.json.error.code, 'bad_csrf');

  const other = await adminSession(srv); // a valid token, but of another session
  for (const wrong of ['x', csrf.slice(0, -1), other.csrf]) {
    const r = await call(srv, 'DELETE', '/api/v1/session', { headers: { cookie, 'x-csrf-token': wrong } });
    assert.equal(r.status, 403, `wrong token ${wrong}: ${r.text}`);
    assert.equal(r.json.error.code, 'bad_csrf');
  }
  assert.equal((await call(srv, 'GET', '/api/v1/session', { headers: { cookie } })).status, 200, 'still signed in');

  const evil = await call(srv, 'DELETE', '/api/v1/session', {
    headers: { cookie, 'x-csrf-token': csrf, origin: 'http://evil.example' },
  });
  assert.equal(evil.status, 403, 'a cross-origin DELETE is refused even with the token');
  assert.equal(evil.json.error.code, 'bad_origin');

  const ok = await call(srv, 'DELETE', '/api/v1/session', { headers: { cookie, 'x-csrf-token': csrf, origin: srv.url } });
  assert.equal(ok.status, 204, ok.text);
  assertClearsCookie(ok, 'sign-out');
  const gone = await call(srv, 'GET', '/api/v1/session', { headers: { cookie } });
  assert.equal(gone.status, 401, 'the session no longer works');
  const again = await call(srv, 'DELETE', '/api/v1/session', { headers: { cookie, 'x-csrf-token': csrf } });
  assert.equal(again.status, 401);
  assert.equal((await call(srv, 'GET', '/api/v1/session', { headers: { cookie: other.cookie } })).status, 200,
    'the other session lives on');
});

test('a sign-in from another origin is refused', async () => {
  const evil = await signIn(srv, srv.admin, { origin: 'http://evil.example' });
  assert.equal(evil.status, 403, evil.text);
  assert.equal(evil.json.error.code, 'bad_origin');
  assert.deepEqual(evil.cookies, []);
  const nul = await signIn(srv, srv.admin, { origin: 'null' });
  assert.equal(nul.status, 403);
  const same = await signIn(srv, srv.admin, { origin: srv.url });
  assert.equal(same.status, 200, same.text);
});

test('API answers carry the security headers', async () => {
  const { cookie } = await adminSession(srv);
  const answers = {
    'sign-in': await signIn(srv, srv.admin),
    'bad credentials': await signIn(srv, { ...srv.admin, email: 'who@lumenoak.example' }),
    'GET session': await call(srv, 'GET', '/api/v1/session', { headers: { cookie } }),
    'GET without session': await call(srv, 'GET', '/api/v1/session'),
    'bad body': await call(srv, 'POST', '/api/v1/session', { raw: '{', headers: { 'content-type': 'application/json' } }),
  };
  for (const [what, r] of Object.entries(answers)) {
    assertSecurityHeaders(r, what);
    if (r.text) assert.match(r.headers.get('content-type') ?? '', /^application\/json/, what);
  }
});

test('malformed sign-in requests are refused before any password check', async () => {
  const post = (opts) => call(srv, 'POST', '/api/v1/session', opts);
  const cases = [
    ['text/plain', 415, { raw: JSON.stringify(srv.admin), headers: { 'content-type': 'text/plain' } }],
    ['form', 415, { raw: 'tenant=demo', headers: { 'content-type': 'application/x-www-form-urlencoded' } }],
    ['not JSON', 400, { raw: 'tenant=demo', headers: { 'content-type': 'application/json' } }],
    ['an array', 400, { body: [srv.admin] }],
    ['missing password', 400, { body: { tenant: 'demo', email: srv.admin.email } }],
    ['number password', 400, { body: { ...srv.admin, password: 12345 } }],
    ['empty email', 400, { body: { ...srv.admin, email: '' } }],
    ['duplicate keys', 400, { raw: `{"tenant":"demo","tenant":"x","email":"a@b.c","password":"p"}`,
      headers: { 'content-type': 'application/json' } }],
    ['deep nesting', 400, { raw: `{"tenant":${'['.repeat(100)}${']'.repeat(100)}}`,
      headers: { 'content-type': 'application/json' } }],
    ['a huge password', 400, { body: { ...srv.admin, password: 'x'.repeat(2000) } }],
    ['a huge body', 413, { body: { ...srv.admin, pad: 'x'.repeat(20000) } }],
  ];
  for (const [what, status, opts] of cases) {
    const r = await post(opts);
    assert.equal(r.status, status, `${what}: ${r.text}`);
    assert.equal(typeof r.json?.error?.code, 'string', what);
    assert.deepEqual(r.cookies, [], what);
  }
});

test('repeated failures are throttled with a growing Retry-After; the right password works after the wait', async () => {
  const s = await startAuthServer();
  const wrong = { ...s.admin, password: 'guess-1234' };
  for (let i = 1; i <= 5; i++) {
    const r = await signIn(s, wrong);
    assert.equal(r.status, 401, `free failure ${i}: ${r.text}`);
  }
  const t1 = await signIn(s, s.admin);
  assert.equal(t1.status, 429, `after 5 failures even the right password waits: ${t1.text}`);
  assert.equal(t1.json.error.code, 'rate_limited');
  assert.deepEqual(t1.cookies, []);
  const ra1 = Number(t1.headers.get('retry-after'));
  assert.ok(Number.isInteger(ra1) && ra1 >= 1, `Retry-After ${t1.headers.get('retry-after')}`);
  assertSecurityHeaders(t1, '429');

  await sleep(ra1 * 1000 + 100);
  const sixth = await signIn(s, wrong);
  assert.equal(sixth.status, 401, `after the wait an attempt is made: ${sixth.text}`);
  const t2 = await signIn(s, wrong);
  assert.equal(t2.status, 429);
  const ra2 = Number(t2.headers.get('retry-after'));
  assert.ok(ra2 > ra1, `Retry-After grows: ${ra1} then ${ra2}`);

  await sleep(ra2 * 1000 + 100);
  const ok = await signIn(s, s.admin);
  assert.equal(ok.status, 200, `the right password after the delay: ${ok.text}`);
  const me = await call(s, 'GET', '/api/v1/session', { headers: { cookie: sessionCookie(ok) } });
  assert.equal(me.status, 200);
  await s.terminate();
});

test('sessions survive a restart, and end 12 hours after sign-in (clock moved 13 h ahead)', async () => {
  const s = await startAuthServer();
  const { cookie } = await adminSession(s);
  assert.equal((await s.terminate()).code, 0);
  await s.restart();
  const kept = await call(s, 'GET', '/api/v1/session', { headers: { cookie } });
  assert.equal(kept.status, 200, `a session lives in the database: ${kept.text}`);

  await s.terminate();
  s.serveArgs = ['--now', isoFromNow(10 * 60 * 1000)];
  await s.restart();
  const soon = await call(s, 'GET', '/api/v1/session', { headers: { cookie } });
  assert.equal(soon.status, 200, `10 minutes later the session still works: ${soon.text}`);

  await s.terminate();
  s.serveArgs = ['--now', isoFromNow(13 * HOUR)];
  await s.restart();
  const late = await call(s, 'GET', '/api/v1/session', { headers: { cookie } });
  assert.equal(late.status, 401, late.text);
  assert.equal(late.json.error.code, 'unauthenticated');
  assertClearsCookie(late, 'an expired session');
  const fresh = await adminSession(s);
  assert.equal((await call(s, 'GET', '/api/v1/session', { headers: { cookie: fresh.cookie } })).status, 200,
    'signing in again works at the new time');
  await s.terminate();
});

test('a session idle for more than 30 minutes has ended', async () => {
  const s = await startAuthServer();
  const { cookie } = await adminSession(s);
  await s.terminate();
  s.serveArgs = ['--now', isoFromNow(31 * 60 * 1000)];
  await s.restart();
  const r = await call(s, 'GET', '/api/v1/session', { headers: { cookie } });
  assert.equal(r.status, 401, r.text);
  await s.terminate();
});
