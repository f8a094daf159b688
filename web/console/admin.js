// Platform-admin pages: organizations (tenant, customer numbers, partner
// roles), developers (search, view, delete) and custom client credentials.

import * as api from './client.js';
import {
  h,
  mount,
  on,
  button,
  loading,
  empty,
  banner,
  table,
  fmtTime,
  Form,
  confirmAction,
  focusHeading,
} from './kit.js';

const enc = encodeURIComponent;
const orNull = (s) => (s.trim() === '' ? null : s.trim());

// ---- organizations --------------------------------------------------------

export async function orgsView(ctx, main, q = '') {
  document.title = 'Organizations — gatehouse console';
  const results = h('div', {}, loading('organizations'));
  const search = new Form(
    [{ name: 'q', label: 'Search organizations by name', type: 'search', value: q }],
    'Search',
    async (f) => ctx.go(`/admin/orgs?q=${enc(f.value('q').trim())}`),
    { label: 'Search organizations' },
  );
  const create = new Form(
    [
      { name: 'name', label: 'Name', required: true },
      { name: 'description', label: 'Description', type: 'textarea' },
      { name: 'provider', label: 'Provider (publishes APIs)', type: 'checkbox' },
      { name: 'partner', label: 'Partner (uses APIs)', type: 'checkbox', checked: true },
      { name: 'tenant', label: 'Tenant key', hint: 'Partners only: a-z, 0-9 and "-", e.g. acme.' },
      { name: 'responsible_email', label: 'Responsible person (email)', type: 'email' },
    ],
    'Create organization',
    async (f) => {
      const partner = f.value('partner');
      const body = {
        name: f.value('name').trim(),
        description: orNull(f.value('description')),
        provider: f.value('provider'),
        partner,
        responsible_email: orNull(f.value('responsible_email')),
      };
      const tenant = orNull(f.value('tenant'));
      if (tenant !== null || partner) body.tenant = tenant;
      const org = await api.post('/orgs', body);
      ctx.go(`/admin/orgs/${enc(org.id)}`);
    },
    { label: 'New organization' },
  );
  mount(
    main,
    h('h1', {}, 'Organizations'),
    search.el,
    results,
    h(
      'section',
      { 'aria-labelledby': 'new-org-h', class: 'card' },
      h('h2', { id: 'new-org-h' }, 'New organization'),
      create.el,
    ),
  );
  const doc = await api.get('/orgs', { q, per_page: 100 });
  mount(
    results,
    doc.items.length
      ? table(
          ['Name', 'Kind', 'Tenant', 'Customer numbers', 'Roles', 'Created'],
          doc.items.map((o) => [
            h('a', { href: `#/admin/orgs/${enc(o.id)}` }, o.name),
            [o.provider ? 'provider' : null, o.partner ? 'partner' : null].filter(Boolean).join(', '),
            o.tenant || '—',
            String(o.customer_numbers.length),
            o.roles.join(', ') || '—',
            fmtTime(o.created_at),
          ]),
          doc.total > doc.items.length
            ? `First ${doc.items.length} of ${doc.total} organizations`
            : 'Organizations',
        )
      : empty(q ? `No organization's name contains "${q}".` : 'No organizations yet.'),
  );
}

export async function orgView(ctx, main, id, notice) {
  mount(main, h('h1', {}, 'Organization'), loading('the organization'));
  const base = `/orgs/${enc(id)}`;
  const [o, members, apps] = await Promise.all([
    api.get(base),
    api.getAll(`${base}/members`),
    api.getAll(`${base}/apps`).catch(() => []),
  ]);
  document.title = `${o.name} — gatehouse console`;
  // After a change the page is drawn again from the server's answer, so the
  // summary at the top shows what is stored now.
  const show = async (text) => {
    await orgView(ctx, main, id, text);
    focusHeading(main);
  };
  const details = new Form(
    [
      { name: 'name', label: 'Name', value: o.name, required: true },
      { name: 'description', label: 'Description', type: 'textarea', value: o.description },
      { name: 'provider', label: 'Provider (publishes APIs)', type: 'checkbox', checked: o.provider },
      { name: 'partner', label: 'Partner (uses APIs)', type: 'checkbox', checked: o.partner },
      {
        name: 'tenant',
        label: 'Tenant key',
        value: o.tenant || '',
        hint: 'Partners only (acr_values=tenant:<key>).',
      },
      {
        name: 'responsible_email',
        label: 'Responsible person (email)',
        type: 'email',
        value: o.responsible_email || '',
      },
      { name: 'contact.address', label: 'Contact address', type: 'textarea', value: o.contact.address || '' },
      { name: 'contact.phone', label: 'Contact phone', type: 'tel', value: o.contact.phone || '' },
      { name: 'contact.email', label: 'Contact email', type: 'email', value: o.contact.email || '' },
    ],
    'Save organization',
    async (f) => {
      const res = await api.patch(base, {
        name: f.value('name').trim(),
        description: orNull(f.value('description')),
        provider: f.value('provider'),
        partner: f.value('partner'),
        tenant: orNull(f.value('tenant')),
        responsible_email: orNull(f.value('responsible_email')),
        contact: {
          address: orNull(f.value('contact.address')),
          phone: orNull(f.value('contact.phone')),
          email: orNull(f.value('contact.email')),
        },
      });
      await show(`Saved ${res.name}.`);
    },
    { label: 'Organization details' },
  );
  const numbers = new Form(
    [
      {
        name: 'customer_numbers',
        label: 'Customer numbers',
        type: 'textarea',
        rows: 4,
        value: o.customer_numbers.join('\n'),
        hint: 'One per line; replaces the whole list.',
      },
    ],
    'Save customer numbers',
    async (f) => {
      const res = await api.put(`${base}/customer-numbers`, { customer_numbers: f.list('customer_numbers') });
      await show(`${res.name} has ${res.customer_numbers.length} customer number(s).`);
    },
  );
  const roles = new Form(
    [
      {
        name: 'roles',
        label: 'Partner roles',
        value: o.roles.join(', '),
        hint: 'Comma-separated; APIs may require them. Replaces the whole list.',
      },
    ],
    'Save partner roles',
    async (f) => {
      const res = await api.put(`${base}/roles`, { roles: f.list('roles') });
      await show(`${res.name} holds the roles: ${res.roles.join(', ') || 'none'}.`);
    },
  );
  const del = button(
    'Delete organization',
    async () => {
      const yes = await confirmAction(
        `Delete ${o.name}?`,
        'Its members lose access and everything it owns is deleted. This cannot be undone.',
        'Delete organization',
      );
      if (!yes) return;
      await api.del(base);
      ctx.go('/admin/orgs');
    },
    'danger',
  );
  mount(
    main,
    h('h1', {}, o.name),
    h('p', {}, h('a', { href: '#/admin/orgs' }, '← All organizations')),
    h(
      'dl',
      { class: 'deflist' },
      h('dt', {}, 'Id'),
      h('dd', {}, h('code', {}, o.id)),
      h('dt', {}, 'Kind'),
      h('dd', {}, [o.provider ? 'provider' : null, o.partner ? 'partner' : null].filter(Boolean).join(', ')),
      h('dt', {}, 'Tenant'),
      h('dd', {}, o.tenant || '—'),
      h('dt', {}, 'Customer numbers'),
      h('dd', {}, o.customer_numbers.join(', ') || '—'),
      h('dt', {}, 'Partner roles'),
      h('dd', {}, o.roles.join(', ') || '—'),
      h('dt', {}, 'Created'),
      h('dd', {}, fmtTime(o.created_at)),
    ),
    notice ? banner('success', notice) : null,
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'od-h' },
      h('h2', { id: 'od-h' }, 'Details'),
      details.el,
    ),
    o.partner
      ? h(
          'section',
          { class: 'card', 'aria-labelledby': 'cn-h' },
          h('h2', { id: 'cn-h' }, 'Customer numbers and roles'),
          numbers.el,
          roles.el,
        )
      : null,
    h(
      'section',
      { 'aria-labelledby': 'mem-h' },
      h('h2', { id: 'mem-h' }, 'Members'),
      members.length
        ? table(
            ['Name', 'Email', 'Role'],
            members.map((m) => [m.name || '', m.email || '', m.role || '']),
            `Members of ${o.name}`,
          )
        : empty('No members.'),
    ),
    o.partner
      ? h(
          'section',
          { 'aria-labelledby': 'apps-h' },
          h('h2', { id: 'apps-h' }, 'Apps'),
          apps.length
            ? table(
                ['App', 'client_id', 'Created', 'Actions'],
                apps.map((a) => [
                  a.name,
                  h('code', {}, a.client_id),
                  fmtTime(a.created_at),
                  h(
                    'a',
                    { href: `#/admin/credentials?app=${enc(a.id)}` },
                    `Set client credentials of ${a.name}`,
                  ),
                ]),
                `Apps of ${o.name}`,
              )
            : empty('No apps.'),
        )
      : null,
    h(
      'section',
      { class: 'danger-zone', 'aria-labelledby': 'odel-h' },
      h('h2', { id: 'odel-h' }, 'Delete'),
      del,
    ),
  );
}

// ---- developers -----------------------------------------------------------

export async function developersView(ctx, main, q = '') {
  document.title = 'Developers — gatehouse console';
  const results = h('div', {}, loading('developers'));
  const search = new Form(
    [{ name: 'q', label: 'Search developers by email or name', type: 'search', value: q }],
    'Search',
    async (f) => ctx.go(`/admin/developers?q=${enc(f.value('q').trim())}`),
    { label: 'Search developers' },
  );
  mount(main, h('h1', {}, 'Developers'), search.el, results);
  const doc = await api.get('/developers', { q, per_page: 100 });
  mount(
    results,
    doc.items.length
      ? table(
          ['Name', 'Email', 'Email verified', 'Platform admin', 'Registered'],
          doc.items.map((u) => [
            h('a', { href: `#/admin/developers/${enc(u.id)}` }, u.name),
            u.email,
            u.email_verified ? 'yes' : 'no',
            u.platform_admin ? 'yes' : 'no',
            fmtTime(u.created_at),
          ]),
          doc.total > doc.items.length
            ? `First ${doc.items.length} of ${doc.total} developers`
            : 'Developers',
        )
      : empty(q ? `No developer matches "${q}".` : 'No developers have registered yet.'),
  );
}

export async function developerView(ctx, main, id) {
  mount(main, h('h1', {}, 'Developer'), loading('the developer'));
  const u = await api.get(`/developers/${enc(id)}`);
  document.title = `${u.name} — gatehouse console`;
  const del = button(
    'Delete developer',
    async () => {
      const yes = await confirmAction(
        `Delete ${u.name} (${u.email})?`,
        'Their sessions, personal tokens and memberships are deleted too. This cannot be undone.',
        'Delete developer',
      );
      if (!yes) return;
      await api.del(`/developers/${enc(id)}`);
      ctx.go('/admin/developers');
    },
    'danger',
  );
  mount(
    main,
    h('h1', {}, u.name),
    h('p', {}, h('a', { href: '#/admin/developers' }, '← All developers')),
    h(
      'dl',
      { class: 'deflist' },
      h('dt', {}, 'Email'),
      h('dd', {}, u.email),
      h('dt', {}, 'Email verified'),
      h('dd', {}, u.email_verified ? 'yes' : 'no'),
      h('dt', {}, 'Platform admin'),
      h('dd', {}, u.platform_admin ? 'yes' : 'no'),
      h('dt', {}, 'Id'),
      h('dd', {}, h('code', {}, u.id)),
      h('dt', {}, 'Registered'),
      h('dd', {}, fmtTime(u.created_at)),
      h('dt', {}, 'Changed'),
      h('dd', {}, fmtTime(u.updated_at)),
    ),
    h(
      'section',
      { class: 'danger-zone', 'aria-labelledby': 'udel-h' },
      h('h2', { id: 'udel-h' }, 'Delete'),
      del,
    ),
  );
}

// ---- custom client credentials ---------------------------------------------

export async function credentialsView(ctx, main, preselect) {
  document.title = 'Client credentials — gatehouse console';
  mount(main, h('h1', {}, 'Custom client credentials'), loading('apps'));
  const orgs = await api.getAll('/orgs', { partner: true }, 300);
  const perOrg = await Promise.all(
    orgs.map((o) => api.getAll(`/orgs/${enc(o.id)}/apps`).then((apps) => apps.map((a) => [o, a]))),
  );
  const apps = perOrg.flat();
  const done = h('div', { 'aria-live': 'polite' });
  if (!apps.length) {
    mount(main, h('h1', {}, 'Custom client credentials'), empty('No partner has an app yet.'));
    return;
  }
  const form = new Form(
    [
      {
        name: 'app',
        label: 'App',
        type: 'select',
        options: apps.map(([o, a]) => [a.id, `${o.name} — ${a.name} (${a.client_id})`]),
        value: preselect,
      },
      {
        name: 'client_id',
        label: 'New client_id',
        hint: '3..128 of A-Z, a-z, 0-9 and . _ ~ -; unique across all apps. Empty: keep the current one.',
      },
      {
        name: 'client_secret',
        label: 'New client_secret',
        type: 'password',
        autocomplete: 'new-password',
        hint: '32..256 printable characters without spaces; stored hashed, never shown again. Empty: keep the current one.',
      },
    ],
    'Set client credentials',
    async (f) => {
      const body = {};
      const cid = f.value('client_id').trim();
      const secret = f.value('client_secret');
      if (cid) body.client_id = cid;
      if (secret) body.client_secret = secret;
      if (!cid && !secret) {
        throw new api.ApiError(422, {
          errors: [{ message: 'give a client_id, a client_secret or both', field: 'client_id' }],
        });
      }
      const yes = await confirmAction(
        'Replace the client credentials?',
        'Clients using the old client_id or secret stop getting tokens at once.',
        'Replace credentials',
      );
      if (!yes) return;
      const app = await api.put(`/apps/${enc(f.value('app'))}/client-credentials`, body);
      f.input('client_secret').value = '';
      mount(
        done,
        banner(
          'success',
          `${app.name} now has client_id ${app.client_id}${secret ? ' and the new secret' : ''}.`,
        ),
      );
    },
  );
  on(form.input('app'), 'change', () => mount(done));
  mount(
    main,
    h('h1', {}, 'Custom client credentials'),
    h('p', {}, 'Seed 002: only platform admins set a non-generated client_id or client_secret.'),
    done,
    form.el,
  );
}
