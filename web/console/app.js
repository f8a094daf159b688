// The provider and platform-admin console: who is logged in, what they may
// see, and the hash router (#/path) that shows one view at a time.

import * as api from './client.js';
import { h, mount, on, banner } from './kit.js';
import { nav as libNav } from '../lib/ui.js';
import { loginView, logout } from './login.js';
import * as provider from './provider.js';
import * as admin from './admin.js';

// ctx is what every view gets: the person (null with an admin token), the
// provider orgs they are ADMIN of, the chosen one, and whether they are a
// platform admin.
const ctx = {
  user: null,
  providerOrgs: [],
  org: null,
  platformAdmin: false,
  signedIn: false,
  go: (path) => {
    if (location.hash === '#' + path) route();
    else location.hash = path;
  },
  signedInAs: async (who) => {
    await identify(who);
    ctx.go(home());
  },
  signOut: () => {
    api.forget();
    Object.assign(ctx, { user: null, providerOrgs: [], org: null, platformAdmin: false, signedIn: false });
    ctx.go('/login');
  },
};

const routes = [
  ['/login', (p, main) => loginView(ctx, main), 'public'],
  ['/nothing', (p, main) => nothingView(main), 'any'],
  ['/apis', (p, main) => provider.apisView(ctx, main), 'provider'],
  ['/apis/new', (p, main) => provider.apiEditView(ctx, main, null), 'provider'],
  ['/apis/:id', (p, main) => provider.apiEditView(ctx, main, p.id), 'provider'],
  ['/inbox', (p, main) => provider.inboxView(ctx, main), 'provider'],
  ['/subscriptions', (p, main) => provider.subscriptionsView(ctx, main), 'provider'],
  ['/audit', (p, main) => provider.auditView(ctx, main), 'provider'],
  ['/admin/orgs', (p, main, q) => admin.orgsView(ctx, main, q.q), 'admin'],
  ['/admin/orgs/:id', (p, main) => admin.orgView(ctx, main, p.id), 'admin'],
  ['/admin/developers', (p, main, q) => admin.developersView(ctx, main, q.q), 'admin'],
  ['/admin/developers/:id', (p, main) => admin.developerView(ctx, main, p.id), 'admin'],
  ['/admin/audit', (p, main) => provider.auditView(ctx, main, {}, 1, true), 'admin'],
  ['/admin/credentials', (p, main, q) => admin.credentialsView(ctx, main, q.app), 'admin'],
];

function match(path) {
  for (const [pattern, view, need] of routes) {
    const a = pattern.split('/');
    const b = path.split('/');
    if (a.length !== b.length) continue;
    const params = {};
    let ok = true;
    for (let i = 0; i < a.length && ok; i++) {
      if (a[i].startsWith(':')) params[a[i].slice(1)] = decodeURIComponent(b[i]);
      else ok = a[i] === b[i];
    }
    if (ok) return { view, need, params };
  }
  return null;
}

// Where someone lands after logging in: their first page, or the page
// saying the console has nothing for them.
function home() {
  if (ctx.org) return '/inbox';
  if (ctx.platformAdmin) return '/admin/orgs';
  return '/nothing';
}

// Fills ctx from GET /api/v1/me (a person) or from the admin token.
async function identify(who) {
  if (who && who.adminToken) {
    Object.assign(ctx, { user: null, providerOrgs: [], org: null, platformAdmin: true, signedIn: true });
    return;
  }
  const me = await api.get('/me', undefined, { quiet401: true });
  ctx.user = me.user;
  ctx.platformAdmin = !!me.user.platform_admin;
  ctx.providerOrgs = me.orgs.filter((o) => o.provider && o.role === 'ADMIN');
  ctx.org = ctx.providerOrgs.find((o) => ctx.org && o.id === ctx.org.id) || ctx.providerOrgs[0] || null;
  ctx.signedIn = true;
}

function nothingView(main) {
  document.title = 'Nothing here — gatehouse console';
  mount(
    main,
    h('h1', {}, 'Nothing for you here'),
    h(
      'p',
      {},
      'The console is for administrators of API providers and for platform administrators. ',
      'Your account is neither.',
    ),
    h('p', {}, 'The developer portal is at ', h('a', { href: '../' }, 'the developer portal (/)'), '.'),
  );
}

// The header: brand, the links this person may use, the provider org they
// act for (a picker when they administer several), who they are, log out.
function renderHeader(header) {
  const path = location.hash.replace(/^#/, '').split('?')[0] || '/';
  const brand = h('a', { class: 'brand', href: '#/' }, 'gatehouse console');
  if (!ctx.signedIn) {
    mount(header, brand, libNav('Main', [{ path: '/login', label: 'Log in' }], path));
    return;
  }
  const links = [];
  if (ctx.org) {
    links.push(
      { path: '/inbox', label: 'Activation requests' },
      { path: '/subscriptions', label: 'Subscriptions' },
      { path: '/apis', label: 'APIs' },
      { path: '/audit', label: 'Audit log' },
    );
  }
  if (ctx.platformAdmin) {
    links.push(
      { path: '/admin/orgs', label: 'Organizations' },
      { path: '/admin/developers', label: 'Developers' },
      { path: '/admin/credentials', label: 'Client credentials' },
      { path: '/admin/audit', label: ctx.org ? 'All audit events' : 'Audit log' },
    );
  }
  links.push({ label: 'Log out', onClick: () => logout(ctx) });
  let orgPicker = null;
  if (ctx.providerOrgs.length > 1) {
    const sel = h(
      'select',
      { id: 'org-picker' },
      ...ctx.providerOrgs.map((o) => h('option', { value: o.id }, o.name)),
    );
    sel.value = ctx.org.id;
    on(sel, 'change', () => {
      ctx.org = ctx.providerOrgs.find((o) => o.id === sel.value);
      route();
    });
    orgPicker = h('span', { class: 'org-picker' }, h('label', { for: 'org-picker' }, 'Provider '), sel);
  }
  const who = ctx.user ? ctx.user.email : 'a platform-admin token';
  mount(
    header,
    brand,
    libNav('Main', links, path),
    h(
      'span',
      { class: 'who' },
      orgPicker,
      ctx.org && !orgPicker ? ['Provider ', h('strong', {}, ctx.org.name), ' · '] : null,
      'Signed in as ',
      h('strong', {}, who),
    ),
  );
}

let routing = 0;

// Shows the view of location.hash; sends people who may not see it home.
async function route() {
  const seq = ++routing;
  const main = document.getElementById('main');
  const header = document.getElementById('site-header');
  const [hashPath, qs] = location.hash.replace(/^#/, '').split('?');
  const query = Object.fromEntries(new URLSearchParams(qs || ''));
  let path = hashPath || '/';
  if (!ctx.signedIn && path !== '/login') {
    if (path !== '/') sessionReturn = path;
    ctx.go('/login');
    return;
  }
  let m = match(path);
  const allowed =
    m &&
    (m.need === 'public' ||
      m.need === 'any' ||
      (m.need === 'provider' && ctx.org) ||
      (m.need === 'admin' && ctx.platformAdmin));
  if (ctx.signedIn && (!allowed || path === '/login')) {
    const target = sessionReturn && match(sessionReturn) ? sessionReturn : home();
    sessionReturn = null;
    if (target !== path) {
      ctx.go(target);
      return;
    }
    m = match(target);
  }
  renderHeader(header);
  try {
    await m.view(m.params, main, query);
  } catch (e) {
    if (seq === routing && !(e instanceof api.ApiError && e.status === 401)) {
      mount(main, h('h1', {}, 'Something went wrong'), banner('error', e.message));
    }
  }
  if (seq === routing) {
    const h1 = main.querySelector('h1');
    if (h1) {
      h1.setAttribute('tabindex', '-1');
      if (document.activeElement === document.body || !main.contains(document.activeElement)) h1.focus();
    }
  }
}

let sessionReturn = null;

api.setUnauthorizedHandler(() => {
  if (ctx.signedIn) {
    ctx.signOut();
  }
});

on(window, 'hashchange', route);

// A session from an earlier login in this tab (the console's or the
// portal's) carries on; otherwise the login page shows.
(async () => {
  if (api.mayHaveSession()) {
    try {
      await identify({ session: true });
    } catch (e) {
      api.forget();
    }
  }
  route();
})();
