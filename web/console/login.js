// Logging in to the console on its own: a person's email and password
// (POST /api/v1/session, the same as the portal's), or a platform-admin API
// token kept only in memory for this page.

import * as api from './client.js';
import { h, mount, Form } from './kit.js';

export function loginView(ctx, main) {
  document.title = 'Log in — gatehouse console';
  const person = new Form(
    [
      { name: 'email', label: 'Email', type: 'email', autocomplete: 'username', required: true },
      {
        name: 'password',
        label: 'Password',
        type: 'password',
        autocomplete: 'current-password',
        required: true,
      },
    ],
    'Log in',
    async (f) => {
      const s = await api.post(
        '/session',
        { email: f.value('email').trim(), password: f.value('password') },
        { quiet401: true },
      );
      api.useSession(s.csrf_token);
      await ctx.signedInAs({ session: true });
    },
    { label: 'Log in with email and password' },
  );
  const token = new Form(
    [
      {
        name: 'token',
        label: 'Platform-admin token',
        type: 'password',
        hint: 'From `gatehouse admin-token create`. Kept in this page only: a reload asks for it again.',
        required: true,
      },
    ],
    'Use token',
    async (f) => {
      const t = f.value('token').trim();
      if (!t) throw new api.ApiError(422, { errors: [{ message: 'enter a token', field: 'token' }] });
      api.useAdminToken(t);
      try {
        // Only platform admins may list developers: proves the token is one.
        await api.get('/developers', { per_page: 1 }, { quiet401: true });
      } catch (e) {
        api.useAdminToken(null);
        const msg =
          e.status === 401 || e.status === 403 ? 'This is not a valid platform-admin token.' : e.message;
        throw new api.ApiError(e.status, { errors: [{ message: msg, field: 'token' }] });
      }
      await ctx.signedInAs({ adminToken: true });
    },
    { label: 'Sign in with a platform-admin token' },
  );
  mount(
    main,
    h('h1', {}, 'Gatehouse console'),
    h(
      'p',
      {},
      'For administrators of API providers and platform administrators. Developers: ',
      h('a', { href: '../' }, 'go to the developer portal'),
      '.',
    ),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'login-person' },
      h('h2', { id: 'login-person' }, 'Log in'),
      person.el,
    ),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'login-token' },
      h('h2', { id: 'login-token' }, 'Platform-admin token'),
      token.el,
    ),
  );
}

// Ends the session (DELETE /api/v1/session) or forgets the admin token.
export async function logout(ctx) {
  if (!api.hasAdminToken()) {
    try {
      await api.del('/session', { quiet401: true });
    } catch (e) {
      // Already over (expired, or the CSRF token is gone): only the local part is left.
      if (e.status !== 401 && e.status !== 403) throw e;
    }
  }
  ctx.signOut();
}
