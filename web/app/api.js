// The dashboard's client of /api/v1: JSON in and out, the session cookie
// (sent by the browser), the CSRF token on every state-changing request, and
// one error type. A 401 on anything but sign-in tells the app the session has
// ended (the "hark:signed-out" event), which shows the sign-in view.

let csrfToken = null;

/** Remembers the CSRF token from the sign-in answer or GET /api/v1/session. */
export function setCsrf(token) {
  csrfToken = token || null;
}

/** A failed call: HTTP status, the API's error code and message, and for
 * 429 the seconds to wait (Retry-After). */
export class ApiError extends Error {
  constructor(status, code, message, extra = {}) {
    super(message);
    this.status = status;
    this.code = code;
    Object.assign(this, extra);
  }
}

/** "?a=1&b=x" from an object, leaving out empty values; "" when none. */
export function qs(params = {}) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : '';
}

/**
 * Calls the API. BODY: an object sent as JSON, or {raw, type} sent as is.
 * Resolves to the parsed JSON (null for an empty answer); rejects with
 * ApiError. A 404 whose body is not the API's JSON error means the endpoint
 * itself is missing (e.missingEndpoint).
 */
export async function api(method, path, body) {
  const headers = { accept: 'application/json' };
  const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['x-csrf-token'] = csrfToken;
  if (body && body.raw !== undefined) {
    headers['content-type'] = body.type;
    init.body = body.raw;
  } else if (body !== undefined) {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, 'network', 'The server cannot be reached. Check the connection and try again.');
  }
  const text = await res.text();
  let json = null;
  if (text) {
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
  }
  if (res.ok) return json;
  const err = json?.error ?? {};
  const e = new ApiError(res.status, err.code ?? `http_${res.status}`, err.message ?? `${res.status} ${res.statusText}`, {
    body: json,
    retryAfter: Number(res.headers.get('retry-after')) || null,
  });
  // The router's answer for a path no route matches (web_router.c).
  if (res.status === 404 && err.message === 'no such endpoint') e.missingEndpoint = true;
  if (res.status === 401 && !(method === 'POST' && path === '/api/v1/session')) {
    window.dispatchEvent(new CustomEvent('hark:signed-out', { detail: e }));
  }
  throw e;
}

export const get = (path, params) => api('GET', path + qs(params));
export const post = (path, body) => api('POST', path, body ?? {});
export const patch = (path, body) => api('PATCH', path, body);
export const put = (path, body) => api('PUT', path, body);
export const del = (path) => api('DELETE', path);
