// The developer portal: shell, router and the account pages (register,
// verify email, log in / out, password reset). Organization, app and
// catalog pages live in their own modules.

import { post, del, setCsrf, clearCsrf, onUnauthorized, ApiError } from '../lib/api.js';
import { h, mount } from '../lib/dom.js';
import { form, banner, nav, createRouter, setFieldError, notify, link } from '../lib/ui.js';
import { state, loadMe } from './state.js';
import { homePage, orgNewPage, orgPage } from './orgs.js';
import { appPage } from './apps.js';
import { catalogPage, apiPage } from './catalog.js';

const PUBLIC = new Set(['/login', '/register', '/verify-email', '/password-reset']);

// A mail link (/verify-email?token=… or /password-reset?token=…) opens this
// page: keep the token in memory, and move to the hash route with a clean
// address (the token leaves the address bar and the history).
function takeMailLink() {
  const p = location.pathname.replace(/\/+$/, '');
  const token = new URLSearchParams(location.search).get('token');
  if (p === '/verify-email' || p === '/password-reset') {
    if (token) state.mailToken = { kind: p === '/verify-email' ? 'verify' : 'reset', token };
    history.replaceState(null, '', '/#' + p);
  }
}

function header(path) {
  const el = document.getElementById('site-header');
  const links = state.me
    ? [
        { path: '/', label: 'My organizations' },
        { path: '/catalog', label: 'API catalog' },
        { label: 'Log out', onClick: logout },
      ]
    : [
        { path: '/catalog', label: 'API catalog' },
        { path: '/login', label: 'Log in' },
        { path: '/register', label: 'Register' },
      ];
  mount(
    el,
    h('a', { class: 'brand', href: '#/' }, 'gatehouse developer portal'),
    nav('Main', links, path),
    state.me ? h('span', { class: 'who' }, 'Signed in as ', h('strong', null, state.me.user.email)) : null,
  );
}

async function logout() {
  try {
    await del('/api/v1/session', { quiet401: true });
  } catch (e) {
    if (!(e instanceof ApiError && (e.status === 401 || e.status === 403))) throw e;
  }
  clearCsrf();
  state.me = null;
  notify('You are logged out.');
  location.hash = '#/login';
}

// ---------------------------------------------------------------- pages

function loginPage(_params, query) {
  const f = form({
    label: 'Log in',
    submit: 'Log in',
    fields: [
      { label: 'Email', name: 'email', type: 'email', required: true, autocomplete: 'username' },
      { label: 'Password', name: 'password', type: 'password', required: true, autocomplete: 'current-password' },
    ],
    async onSubmit(v, fm) {
      try {
        const { body } = await post('/api/v1/session', { email: v.email, password: v.password }, { quiet401: true });
        setCsrf(body.csrf_token);
      } catch (e) {
        // "email or password is wrong" names no field: it belongs beside the password.
        if (e instanceof ApiError && e.errors.every((x) => !x.field)) {
          for (const x of e.errors) setFieldError(fm, 'password', x.message);
          fm.querySelector('[name="password"]').focus();
          return;
        }
        throw e;
      }
      await loadMe();
      location.hash = '#' + (query.next && query.next.startsWith('/') ? query.next : '/');
    },
  });
  return h(
    'div',
    { class: 'narrow' },
    h('h1', null, 'Log in'),
    query.verified ? banner('success', 'Your email address is verified. Log in to continue.') : null,
    query.reset ? banner('success', 'Your password is changed. Log in with the new one.') : null,
    h('div', { class: 'card' }, f),
    h('p', null, link('/password-reset', 'Forgot your password?')),
    h('p', null, 'New here? ', link('/register', 'Register as a developer')),
  );
}

function registerPage() {
  const box = h('div', { class: 'card' });
  const f = form({
    label: 'Register',
    submit: 'Register',
    fields: [
      { label: 'Name', name: 'name', required: true, autocomplete: 'name' },
      { label: 'Email', name: 'email', type: 'email', required: true, autocomplete: 'email' },
      {
        label: 'Password',
        name: 'password',
        type: 'password',
        required: true,
        autocomplete: 'new-password',
        hint: 'At least 10 characters; a passphrase is welcome.',
      },
    ],
    async onSubmit(v) {
      await post('/api/v1/register', { name: v.name, email: v.email, password: v.password });
      mount(
        box,
        banner(
          'success',
          h('strong', null, 'Check your mail. '),
          `We sent a verification link to ${v.email}. Open it to finish registering.`,
        ),
      );
    },
  });
  box.append(f);
  return h(
    'div',
    { class: 'narrow' },
    h('h1', null, 'Register'),
    box,
    h('p', null, 'Already registered? ', link('/login', 'Log in')),
  );
}

// Completes verification with the mail link's token (or one pasted in).
function verifyPage() {
  const pending = state.mailToken && state.mailToken.kind === 'verify' ? state.mailToken.token : '';
  state.mailToken = null;
  const f = form({
    label: 'Verify email',
    submit: 'Verify',
    fields: [
      {
        label: 'Verification token',
        name: 'token',
        required: true,
        value: pending,
        hint: 'From the link in the mail we sent you.',
      },
    ],
    async onSubmit(v) {
      await post('/api/v1/verify-email', { token: v.token.trim() });
      location.hash = '#/login?verified=1';
    },
  });
  // Submit once the router has put the page in the document.
  if (pending) setTimeout(() => f.isConnected && f.requestSubmit(), 0);
  return h('div', { class: 'narrow' }, h('h1', null, 'Verify your email address'), h('div', { class: 'card' }, f));
}

function passwordResetPage() {
  const pending = state.mailToken && state.mailToken.kind === 'reset' ? state.mailToken.token : '';
  state.mailToken = null;
  if (pending) {
    const f = form({
      label: 'Set a new password',
      submit: 'Set password',
      fields: [
        { label: 'Reset token', name: 'token', required: true, value: pending, hint: 'From the link in the mail.' },
        {
          label: 'New password',
          name: 'password',
          type: 'password',
          required: true,
          autocomplete: 'new-password',
          hint: 'At least 10 characters.',
        },
      ],
      async onSubmit(v) {
        await post('/api/v1/password-reset/confirm', { token: v.token.trim(), password: v.password });
        location.hash = '#/login?reset=1';
      },
    });
    return h('div', { class: 'narrow' }, h('h1', null, 'Set a new password'), h('div', { class: 'card' }, f));
  }
  const box = h('div', { class: 'card' });
  box.append(
    form({
      label: 'Reset password',
      submit: 'Send reset link',
      fields: [{ label: 'Email', name: 'email', type: 'email', required: true, autocomplete: 'email' }],
      async onSubmit(v) {
        await post('/api/v1/password-reset', { email: v.email });
        mount(box, banner('success', 'If that address is registered, a mail with a reset link is on its way.'));
      },
    }),
  );
  return h(
    'div',
    { class: 'narrow' },
    h('h1', null, 'Reset your password'),
    box,
    h('p', null, 'Have a reset token already? ', link('/password-reset/confirm', 'Enter it here')),
  );
}

function passwordResetConfirmPage() {
  const f = form({
    label: 'Set a new password',
    submit: 'Set password',
    fields: [
      { label: 'Reset token', name: 'token', required: true },
      {
        label: 'New password',
        name: 'password',
        type: 'password',
        required: true,
        autocomplete: 'new-password',
        hint: 'At least 10 characters.',
      },
    ],
    async onSubmit(v) {
      await post('/api/v1/password-reset/confirm', { token: v.token.trim(), password: v.password });
      location.hash = '#/login?reset=1';
    },
  });
  return h('div', { class: 'narrow' }, h('h1', null, 'Set a new password'), h('div', { class: 'card' }, f));
}

// ---------------------------------------------------------------- start

async function start() {
  takeMailLink();
  const outlet = document.getElementById('main');
  await loadMe().catch(() => null);
  onUnauthorized(() => {
    clearCsrf();
    state.me = null;
    const here = location.hash.replace(/^#/, '').split('?')[0];
    if (!PUBLIC.has(here)) location.hash = '#/login?next=' + encodeURIComponent(here || '/');
  });
  const router = createRouter(
    outlet,
    [
      ['/login', loginPage],
      ['/register', registerPage],
      ['/verify-email', verifyPage],
      ['/password-reset', passwordResetPage],
      ['/password-reset/confirm', passwordResetConfirmPage],
      ['/', homePage],
      ['/orgs/new', orgNewPage],
      ['/orgs/:org', orgPage],
      ['/apps/:app', appPage],
      ['/catalog', catalogPage],
      ['/catalog/:api', apiPage],
    ],
    {
      title: 'gatehouse developer portal',
      before(path) {
        const open = PUBLIC.has(path) || path === '/password-reset/confirm';
        if (!state.me && !open) return '/login' + (path !== '/' ? '?next=' + encodeURIComponent(path) : '');
        if (state.me && (path === '/login' || path === '/register')) return '/';
        header(path);
        return null;
      },
    },
  );
  header(location.hash.replace(/^#/, '') || '/');
  if (!location.hash || location.hash === '#') location.replace('#/');
  else router.start();
}

start().catch((e) => {
  mount(
    document.getElementById('main'),
    h('h1', null, 'The portal cannot start'),
    banner('error', e.message || String(e)),
  );
});
