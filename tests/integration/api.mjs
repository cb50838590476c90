// Shared by the HR API tests: a demo company served by `hark serve`, and a
// small client that signs in like the dashboard does (session cookie, CSRF
// token on unsafe methods, same-origin Origin) or uses an API token.

import assert from 'node:assert/strict';
import { runHark, Server, tempDataDir } from './harness.mjs';

const ADMIN_RE = /admin login: (\S+) \/ (\S+)/;
const SAMPLE_RE = /sample employee: (\S+)/;

/** `hark demo --employees N` on a fresh data dir (more flags in
 * opts.demoArgs), then `hark serve`; srv.admin holds the printed login
 * {tenant, email, password}. */
export async function startApiServer(opts = {}) {
  const dataDir = await tempDataDir();
  const demo = await runHark(['demo', '--data-dir', dataDir, '--employees', String(opts.employees ?? 40), ...(opts.demoArgs ?? [])]);
  const admin = ADMIN_RE.exec(demo.stdout);
  assert.ok(admin, `hark demo printed no "admin login: EMAIL / PASSWORD" line:\n${demo.stdout}`);
  const sample = SAMPLE_RE.exec(demo.stdout);
  const srv = new Server(dataDir, opts.serveArgs ?? [], { demoLinks: [], sampleEmail: sample?.[1] });
  await srv.start('127.0.0.1:0');
  srv.admin = { tenant: 'demo', email: admin[1], password: admin[2] };
  srv.demoOutput = demo.stdout;
  return srv;
}

/** A client of one server: anonymous until signIn or useToken. */
export class Api {
  constructor(srv) {
    this.srv = srv;
    this.cookie = null;
    this.csrf = null;
    this.token = null;
  }

  /** Signs in with {tenant, email, password}; asserts 200. Returns the body. */
  async signIn(creds) {
    const r = await this.call('POST', '/api/v1/session', { body: creds });
    assert.equal(r.status, 200, `sign-in as ${creds.email}: ${r.status} ${r.text}`);
    const c = r.cookies.find((x) => /^(__Host-)?hark_session=/.test(x));
    assert.ok(c, 'sign-in sets the session cookie');
    this.cookie = c.split(';')[0];
    this.csrf = r.json.csrf_token;
    return r.json;
  }

  useToken(token) {
    this.token = token;
    this.cookie = null;
    this.csrf = null;
  }

  /** One request. BODY: an object sent as JSON; RAW: a string or Buffer sent
   * as is (set content-type in HEADERS). Returns {status, headers, text,
   * json, cookies}. */
  async call(method, path, { body, raw, headers = {} } = {}) {
    const h = { ...headers };
    if (this.token) h.authorization = `Bearer ${this.token}`;
    if (this.cookie) h.cookie = this.cookie;
    if (this.csrf && !['GET', 'HEAD', 'OPTIONS'].includes(method)) {
      h['x-csrf-token'] ??= this.csrf;
      h.origin ??= this.srv.url;
    }
    const init = { method, headers: h, redirect: 'manual' };
    if (raw !== undefined) {
      init.body = raw;
    } else if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(this.srv.url + path, init);
    const text = await res.text();
    let json = null;
    try {
      json = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    return { status: res.status, headers: res.headers, text, json, cookies: res.headers.getSetCookie() };
  }

  get(path, opts) {
    return this.call('GET', path, opts);
  }
  post(path, body, opts = {}) {
    return this.call('POST', path, { ...opts, body });
  }
  patch(path, body, opts = {}) {
    return this.call('PATCH', path, { ...opts, body });
  }
  put(path, body, opts = {}) {
    return this.call('PUT', path, { ...opts, body });
  }
  del(path, opts) {
    return this.call('DELETE', path, opts);
  }

  /** GET that must answer 200; returns the JSON body. */
  async ok(path) {
    const r = await this.get(path);
    assert.equal(r.status, 200, `GET ${path}: ${r.status} ${r.text}`);
    return r.json;
  }
}

/** Signs the demo's admin in on a new Api. */
export async function adminApi(srv) {
  const api = new Api(srv);
  await api.signIn(srv.admin);
  return api;
}
