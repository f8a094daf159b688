// The portal's session state: who is logged in (GET /api/v1/me) and what
// the mail links brought. Kept in memory only; the CSRF token lives in
// sessionStorage through lib/api.js.

import { get, getCsrf, clearCsrf } from '../lib/api.js';

export const state = {
  me: null, // {user, orgs} or null when logged out
  mailToken: null, // {kind: 'verify' | 'reset', token} from a mail link
  newSecret: null, // {appId, secret} right after creating an app (shown once)
};

// Load /me; logged out (null) on 401 or when the CSRF token is missing
// (a new tab: the cookie alone cannot make changes, so log in again).
export async function loadMe() {
  if (!getCsrf()) {
    state.me = null;
    return null;
  }
  try {
    const { body } = await get('/api/v1/me', { quiet401: true });
    state.me = body;
  } catch (e) {
    if (e.status === 401 || e.status === 403) {
      clearCsrf();
      state.me = null;
    } else throw e;
  }
  return state.me;
}

export function orgRole(orgId) {
  const o = state.me && state.me.orgs.find((x) => x.id === orgId);
  return o ? o.role : null;
}

export function isPlatformAdmin() {
  return !!(state.me && state.me.user.platform_admin);
}
