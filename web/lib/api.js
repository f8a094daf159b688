// Fetch wrapper for the gatehouse management API (/api/v1).
//
// Every call is same-origin with the session cookie; state-changing calls
// (POST, PUT, PATCH, DELETE) carry the session's CSRF token in X-CSRF-Token.
// The token comes from POST /api/v1/session and there is no endpoint that
// hands it out again, so it is kept in sessionStorage: it is not a secret
// shown once (it is worthless without the HttpOnly gh_session cookie), and it
// must survive a reload of the page. Real secrets never go there.
//
// api() resolves to {status, body} for 2xx answers and throws an ApiError
// (status, code, errors[] of {message, field}) otherwise, so forms can put
// each message next to the field it names.

const CSRF_KEY = 'gatehouse.csrf';

export class ApiError extends Error {
  constructor(status, body) {
    const errors =
      body && Array.isArray(body.errors) && body.errors.length
        ? body.errors
        : [{ message: `request failed (HTTP ${status})` }];
    super(errors.map((e) => e.message).join('; '));
    this.name = 'ApiError';
    this.status = status;
    this.code = body && body.code ? body.code : status;
    this.errors = errors;
    this.body = body;
  }

  // The errors that name `field` (exactly, or as "field.x" / "field[3]").
  forField(field) {
    return this.errors.filter((e) => e.field && fieldRoot(e.field) === field);
  }

  // True when this is the 403 of a missing or stale X-CSRF-Token.
  get isCsrf() {
    return this.status === 403 && /csrf/i.test(this.message);
  }
}

// "redirect_uris[2]" and "contact.email" blame "redirect_uris" / "contact".
export function fieldRoot(field) {
  const m = /^[^.[]+/.exec(String(field));
  return m ? m[0] : String(field);
}

export function setCsrf(token) {
  if (token) sessionStorage.setItem(CSRF_KEY, token);
  else sessionStorage.removeItem(CSRF_KEY);
}

export function getCsrf() {
  return sessionStorage.getItem(CSRF_KEY);
}

export function clearCsrf() {
  sessionStorage.removeItem(CSRF_KEY);
}

// What happens on a 401 (no or expired session) or a CSRF 403: by default
// the page goes to its login route. A page may replace it (e.g. to remember
// where the person was).
let unauthorizedHandler = () => {
  clearCsrf();
  if (!location.hash.startsWith('#/login')) location.hash = '#/login';
};

export function onUnauthorized(fn) {
  unauthorizedHandler = fn;
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

// api(method, path, body?, {quiet401?: bool, headers?: {}})
// quiet401: do not run the unauthorized handler (used by the login probe).
export async function api(method, path, body, opts = {}) {
  const m = method.toUpperCase();
  const headers = { Accept: 'application/json', ...(opts.headers || {}) };
  const init = { method: m, credentials: 'same-origin', headers, cache: 'no-store' };
  if (body !== undefined && body !== null) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  if (UNSAFE.has(m)) {
    const t = getCsrf();
    if (t) headers['X-CSRF-Token'] = t;
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, {
      code: 0,
      errors: [{ message: 'the server cannot be reached; check your connection and try again' }],
    });
  }
  let data = null;
  const text = await res.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch (e) {
      data = text;
    }
  }
  if (res.ok) return { status: res.status, body: data };
  const err = new ApiError(res.status, data && typeof data === 'object' ? data : null);
  if (!opts.quiet401 && (res.status === 401 || err.isCsrf)) unauthorizedHandler(err);
  throw err;
}

export const get = (path, opts) => api('GET', path, null, opts);
export const post = (path, body, opts) => api('POST', path, body === undefined ? {} : body, opts);
export const put = (path, body, opts) => api('PUT', path, body, opts);
export const patch = (path, body, opts) => api('PATCH', path, body, opts);
export const del = (path, opts) => api('DELETE', path, null, opts);

// Build "/api/v1/a/b?x=1" with each segment and query value encoded.
export function path(segments, query) {
  let p = '/api/v1/' + segments.map((s) => encodeURIComponent(String(s))).join('/');
  if (query) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) {
      if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
    }
    const qs = q.toString();
    if (qs) p += '?' + qs;
  }
  return p;
}

// Read every page of a paged list (page/per_page/total answers) up to
// `max` items and return the items.
export async function getAll(p, max = 1000) {
  const out = [];
  const sep = p.includes('?') ? '&' : '?';
  for (let page = 1; ; page++) {
    const { body } = await get(`${p}${sep}page=${page}&per_page=100`);
    const items = (body && body.items) || [];
    out.push(...items);
    if (!items.length || out.length >= ((body && body.total) || 0) || out.length >= max) return out;
  }
}
