// The console's connection to the management API (/api/v1), on top of
// web/lib/api.js.
//
// Two ways in, both documented in src/portal/openapi.json:
//  - a person's session: POST /api/v1/session sets the gh_session cookie and
//    answers a csrf_token, which lib/api.js keeps (sessionStorage, shared with
//    the portal in the same tab) and sends with every POST/PUT/PATCH/DELETE;
//  - a platform-admin API token (`gatehouse admin-token create`), sent as
//    `Authorization: Bearer …`. It is a real secret, so it lives only in this
//    module's memory: a reload forgets it and the console asks again.

import * as lib from '../lib/api.js';

export const ApiError = lib.ApiError;

let adminToken = null;

export function useSession(csrfToken) {
  adminToken = null;
  lib.setCsrf(csrfToken);
}

// token: a platform-admin token for every following call; null drops it.
export function useAdminToken(token) {
  adminToken = token;
}

export function forget() {
  adminToken = null;
  lib.clearCsrf();
}

export function hasAdminToken() {
  return adminToken !== null;
}

// True when this tab may still have a session (a CSRF token from a login).
export function mayHaveSession() {
  return !!lib.getCsrf();
}

// fn(err) runs on a 401 (or a CSRF 403): the session or token is gone.
export function setUnauthorizedHandler(fn) {
  lib.onUnauthorized(fn);
}

// "/api/v1" + path + "?k=v&…", leaving out empty values.
export function apiPath(path, query) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query || {})) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const qs = q.toString();
  return '/api/v1' + path + (qs ? '?' + qs : '');
}

// request(method, path, body, query, opts) → the answer's JSON body (null
// for 204). Throws ApiError for every answer that is not 2xx. opts.quiet401:
// a 401 does not end the console session (login probes).
export async function request(method, path, body, query, opts = {}) {
  const o = { ...opts };
  if (adminToken) o.headers = { ...(o.headers || {}), Authorization: 'Bearer ' + adminToken };
  const res = await lib.api(method, apiPath(path, query), body, o);
  return res.body;
}

export const get = (path, query, opts) => request('GET', path, undefined, query, opts);
export const post = (path, body, opts) =>
  request('POST', path, body === undefined ? {} : body, undefined, opts);
export const put = (path, body) => request('PUT', path, body);
export const patch = (path, body) => request('PATCH', path, body);
export const del = (path, opts) => request('DELETE', path, undefined, undefined, opts);

// Every page of a list endpoint (items, page, per_page, total), up to limit items.
export async function getAll(path, query, limit = 1000) {
  const items = [];
  for (let page = 1; ; page++) {
    const doc = await get(path, { ...(query || {}), page, per_page: 100 });
    items.push(...doc.items);
    if (doc.items.length === 0 || items.length >= doc.total || items.length >= limit) return items;
  }
}
