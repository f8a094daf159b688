// Partner organizations: the home page (my organizations), creating a
// partner organization, and one organization's page (details, members,
// apps).

import { get, post, patch, del, path, getAll } from '../lib/api.js';
import { h, mount, table, deflist, when } from '../lib/dom.js';
import { form, button, badge, empty, section, confirmDialog, notify, link, banner } from '../lib/ui.js';
import { state, loadMe, orgRole, isPlatformAdmin } from './state.js';

const nullIfEmpty = (s) => (s === undefined || s === null || String(s).trim() === '' ? null : String(s).trim());

function contactBody(v) {
  return {
    address: nullIfEmpty(v['contact.address']),
    phone: nullIfEmpty(v['contact.phone']),
    email: nullIfEmpty(v['contact.email']),
  };
}

function contactFields(c, readonly) {
  c = c || {};
  return [
    { label: 'Contact address', name: 'contact.address', multiline: true, rows: 2, value: c.address || '', readonly },
    { label: 'Contact phone', name: 'contact.phone', type: 'tel', value: c.phone || '', readonly, autocomplete: 'tel' },
    { label: 'Contact email', name: 'contact.email', type: 'email', value: c.email || '', readonly },
  ];
}

export async function homePage() {
  await loadMe();
  const orgs = state.me.orgs;
  return h(
    'div',
    null,
    h('h1', null, 'My organizations'),
    state.me.user.platform_admin
      ? banner(
          'info',
          'You are a platform admin: the provider and admin pages are in the ',
          h('a', { href: '/console/' }, 'console'),
          '.',
        )
      : null,
    section(
      'Organizations',
      orgs.length
        ? table(
            'Organizations you belong to',
            [
              { label: 'Name', cell: (o) => link('/orgs/' + o.id, o.name) },
              {
                label: 'Kind',
                cell: (o) => [
                  o.partner ? 'partner' : null,
                  o.partner && o.provider ? ', ' : null,
                  o.provider ? 'provider' : null,
                ],
              },
              { label: 'Your role', cell: (o) => o.role },
            ],
            orgs,
          )
        : empty(
            'You are not in any organization yet. Create a partner organization to register apps, or ask an organization admin to add you.',
          ),
      h('p', null, h('a', { href: '#/orgs/new', class: 'btn btn-primary' }, 'Create a partner organization')),
    ),
  );
}

export function orgNewPage() {
  const f = form({
    label: 'Create a partner organization',
    submit: 'Create organization',
    fields: [
      { label: 'Name', name: 'name', required: true },
      { label: 'Description', name: 'description', multiline: true },
      {
        label: 'Tenant key',
        name: 'tenant',
        required: true,
        hint: "Your organization's unique key, sent as acr_values=tenant:<key> when your apps get tokens: 2–63 characters of a–z, 0–9 and '-'.",
      },
      {
        label: 'Responsible person (email)',
        name: 'responsible_email',
        type: 'email',
        hint: 'Receives notifications, e.g. when a provider blocks an app.',
      },
      ...contactFields(null, false),
    ],
    async onSubmit(v) {
      const { body } = await post('/api/v1/orgs', {
        name: v.name.trim(),
        description: nullIfEmpty(v.description),
        partner: true,
        tenant: nullIfEmpty(v.tenant),
        responsible_email: nullIfEmpty(v.responsible_email),
        contact: contactBody(v),
      });
      await loadMe();
      notify(`Organization ${body.name} created.`);
      location.hash = '#/orgs/' + body.id;
    },
  });
  return h('div', { class: 'narrow' }, h('h1', null, 'Create a partner organization'), h('div', { class: 'card' }, f));
}

export async function orgPage({ org: orgId }) {
  const [{ body: org }, members, apps] = await Promise.all([
    get(path(['orgs', orgId])),
    getAll(path(['orgs', orgId, 'members'])),
    getAll(path(['orgs', orgId, 'apps'])),
  ]);
  const admin = orgRole(orgId) === 'ADMIN' || isPlatformAdmin();
  const root = h('div', null);
  const rerender = async () => mount(root, await orgPage({ org: orgId }));

  const details = section(
    'Details',
    deflist([
      ['Kinds', [org.partner ? 'partner ' : '', org.provider ? 'provider' : ''].join('').trim()],
      ['Tenant key', org.tenant ? h('code', null, org.tenant) : null],
      ['Customer numbers', (org.customer_numbers || []).join(', ')],
      ['Partner roles', (org.roles || []).join(', ')],
      ['Created', when(org.created_at)],
    ]),
    h('h3', null, admin ? 'Edit details' : 'Details (read-only: only organization ADMINs change them)'),
    form({
      label: 'Organization details',
      readonly: !admin,
      submit: 'Save details',
      fields: [
        { label: 'Name', name: 'name', required: true, value: org.name },
        { label: 'Description', name: 'description', multiline: true, value: org.description },
        {
          label: 'Responsible person (email)',
          name: 'responsible_email',
          type: 'email',
          value: org.responsible_email || '',
        },
        ...contactFields(org.contact, !admin),
      ],
      async onSubmit(v) {
        await patch(path(['orgs', orgId]), {
          name: v.name.trim(),
          description: v.description,
          responsible_email: nullIfEmpty(v.responsible_email),
          contact: contactBody(v),
        });
        await loadMe();
        notify('Saved.');
        await rerender();
      },
    }),
  );

  const memberRows = table(
    'Members',
    [
      { label: 'Name', cell: (m) => m.name },
      { label: 'Email', cell: (m) => m.email },
      {
        label: 'Role',
        cell: (m) => {
          if (!admin) return m.role;
          const sel = h(
            'select',
            { 'aria-label': `Role of ${m.email}` },
            ['ADMIN', 'DEVELOPER'].map((r) => h('option', { value: r, selected: r === m.role }, r)),
          );
          sel.addEventListener('change', async () => {
            try {
              await patch(path(['orgs', orgId, 'members', m.user_id]), { role: sel.value });
              notify(`${m.email} is now ${sel.value}.`);
              if (m.user_id === state.me.user.id) await loadMe();
            } catch (e) {
              sel.value = m.role;
              notify(e.message, 'error');
            }
          });
          return sel;
        },
      },
      { label: 'Since', cell: (m) => when(m.created_at) },
      {
        label: 'Actions',
        cell: (m) =>
          admin || m.user_id === state.me.user.id
            ? button(
                m.user_id === state.me.user.id ? 'Leave' : 'Remove',
                async () => {
                  const self = m.user_id === state.me.user.id;
                  const ok = await confirmDialog({
                    title: self ? `Leave ${org.name}?` : `Remove ${m.email}?`,
                    message: self
                      ? 'You lose access to its apps.'
                      : `${m.email} loses access to ${org.name} and its apps.`,
                    confirm: self ? 'Leave' : 'Remove',
                  });
                  if (!ok) return;
                  await del(path(['orgs', orgId, 'members', m.user_id]));
                  notify(self ? `You left ${org.name}.` : `${m.email} removed.`);
                  if (self) {
                    await loadMe();
                    location.hash = '#/';
                  } else await rerender();
                },
                {
                  kind: 'danger',
                  class: 'btn-small',
                  ariaLabel: m.user_id === state.me.user.id ? `Leave ${org.name}` : `Remove ${m.email}`,
                },
              )
            : null,
      },
    ],
    members,
  );

  const memberSection = section(
    'Members',
    memberRows,
    admin
      ? [
          h('h3', null, 'Add a member'),
          h('p', { class: 'hint' }, 'The person must have registered and verified their email address.'),
          form({
            label: 'Add a member',
            submit: 'Add member',
            fields: [
              { label: 'Member email', name: 'email', type: 'email', required: true },
              { label: 'Organization role', name: 'role', options: ['DEVELOPER', 'ADMIN'], value: 'DEVELOPER' },
            ],
            async onSubmit(v) {
              await post(path(['orgs', orgId, 'members']), { email: v.email.trim(), role: v.role });
              notify(`${v.email} added.`);
              await rerender();
            },
          }),
        ]
      : null,
  );

  const appSection = section(
    'Apps',
    apps.length
      ? table(
          'Apps of this organization',
          [
            { label: 'Name', cell: (a) => link('/apps/' + a.id, a.name) },
            { label: 'Client ID', cell: (a) => h('code', null, a.client_id) },
            { label: 'State', cell: (a) => (a.disabled ? badge('disabled') : badge('active', 'enabled')) },
            { label: 'Created', cell: (a) => when(a.created_at) },
          ],
          apps,
        )
      : empty('No apps you can see yet.'),
    org.partner
      ? [
          h('h3', null, 'Create an app'),
          form({
            label: 'Create an app',
            submit: 'Create app',
            fields: [
              { label: 'App name', name: 'name', required: true },
              { label: 'App description', name: 'description', multiline: true },
            ],
            async onSubmit(v) {
              const { body } = await post(path(['orgs', orgId, 'apps']), {
                name: v.name.trim(),
                description: nullIfEmpty(v.description),
              });
              // The secret is shown once on the app's page, then forgotten.
              state.newSecret = { appId: body.id, secret: body.client_secret };
              location.hash = '#/apps/' + body.id;
            },
          }),
        ]
      : null,
  );

  mount(
    root,
    h('p', { class: 'muted' }, link('/', 'My organizations'), ' / ', org.name),
    h('h1', null, org.name),
    org.description ? h('p', null, org.description) : null,
    appSection,
    memberSection,
    details,
  );
  return root;
}
