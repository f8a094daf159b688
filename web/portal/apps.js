// One app's page: access status banners, details and authentication
// settings (editable as far as the person's app role allows), client
// credentials and secret rotation, "Get a token", subscriptions (request
// activation with a plan, status, history, request deactivation), API keys,
// TLS client certificates and members.
//
// The caller's role on the app: platform admins and ADMINs of the app's
// partner organization act as OWNER; otherwise the role in the app's member
// list. DEVELOPER edits details but not authentication settings; READ_ONLY
// edits nothing.

import { get, post, patch, del, path, getAll } from '../lib/api.js';
import { h, mount, table, deflist, when, lines } from '../lib/dom.js';
import {
  form,
  field,
  button,
  badge,
  banner,
  empty,
  section,
  confirmDialog,
  secretPanel,
  notify,
  link,
  copyButton,
  showErrors,
  clearErrors,
} from '../lib/ui.js';
import { state, orgRole, isPlatformAdmin } from './state.js';
import { tokenPanel } from './token.js';
import { authLabel, limits } from './catalog.js';

const nullIfEmpty = (s) => (s === undefined || s === null || String(s).trim() === '' ? null : String(s).trim());

const ROLE_NOTE = {
  OWNER: 'You are an OWNER of this app: you can change everything.',
  DEVELOPER:
    'You are a DEVELOPER on this app: you can edit its details and subscriptions; authentication settings are read-only.',
  READ_ONLY: 'You have READ_ONLY access to this app: everything is read-only.',
};

function appRole(app, members) {
  if (isPlatformAdmin() || orgRole(app.org_id) === 'ADMIN') return 'OWNER';
  const me = members.find((m) => m.user_id === state.me.user.id);
  return me ? me.role : 'READ_ONLY';
}

export async function appPage({ app: appId }) {
  const [{ body: app }, members] = await Promise.all([
    get(path(['apps', appId])),
    getAll(path(['apps', appId, 'members'])),
  ]);
  const role = appRole(app, members);
  const can = {
    details: role === 'OWNER' || role === 'DEVELOPER',
    auth: role === 'OWNER',
    subscribe: role === 'OWNER' || role === 'DEVELOPER',
    members: role === 'OWNER',
  };
  const [access, subs, org] = await Promise.all([
    getAll(path(['apps', appId, 'access-status'])),
    getAll(path(['apps', appId, 'subscriptions'])),
    get(path(['orgs', app.org_id])).then(
      (r) => r.body,
      () => null,
    ),
  ]);
  const ctx = { app, role, can, org, members, subs };

  const secret = state.newSecret && state.newSecret.appId === app.id ? state.newSecret.secret : null;
  state.newSecret = null;

  const red = access.filter((a) => a.status === 'red');
  return h(
    'div',
    null,
    h(
      'p',
      { class: 'muted' },
      link('/', 'My organizations'),
      ' / ',
      org ? link('/orgs/' + org.id, org.name) : 'organization',
      ' / ',
      app.name,
    ),
    h('h1', null, app.name),
    red.map((a) =>
      banner(
        'red',
        `Access blocked by ${a.provider_org_name}: `,
        a.reason || 'no reason given',
        a.set_at ? ` (since ${when(a.set_at)})` : '',
      ),
    ),
    app.disabled ? banner('warning', 'This app is disabled: it gets no tokens.') : null,
    h('p', { class: 'role-note', 'data-role': role }, ROLE_NOTE[role]),
    secret
      ? secretPanel({
          title: 'Your app is created: here is its client secret',
          label: 'Client secret',
          value: secret,
          note: 'Use it with the client_id below to get tokens. If you lose it, rotate the secret.',
        })
      : null,
    credentialsSection(ctx),
    await tokenSection(ctx),
    subscriptionsSection(ctx),
    accessSection(access),
    detailsSection(ctx),
    keysSection(ctx),
    certificatesSection(ctx),
    membersSection(ctx),
    can.auth ? dangerSection(ctx) : null,
  );
}

// ---------------------------------------------------------------- details

const DETAIL_FIELDS = [
  'name',
  'description',
  'token_name',
  'scopes',
  'access_token_validity_secs',
  'refresh_token_validity_secs',
  'id_token_validity_mins',
];
const AUTH_FIELDS = ['confidential', 'disabled', 'token_type', 'grant_types', 'redirect_uris', 'logout_uris'];

function detailsSection({ app, can }) {
  const ro = !can.details;
  const roAuth = !can.auth;
  const grant = (g) =>
    field({
      label: g,
      name: `grant_types:${g}`,
      type: 'checkbox',
      value: app.grant_types.includes(g),
      readonly: roAuth,
    });
  const grantSet = h(
    'fieldset',
    { class: 'field', 'aria-describedby': 'grant-hint' },
    h('legend', null, 'Grant types'),
    ['client_credentials', 'authorization_code', 'refresh_token'].map(grant),
    h('p', { class: 'hint', id: 'grant-hint' }, 'None ticked: all grant types are allowed.'),
    h('p', { class: 'field-error', 'data-error-for': 'grant_types', hidden: true }),
  );
  const f = form({
    label: 'App settings',
    readonly: ro,
    submit: 'Save settings',
    fields: [
      h('h3', null, 'Details'),
      { label: 'Name', name: 'name', required: true, value: app.name, readonly: ro },
      { label: 'Description', name: 'description', multiline: true, value: app.description, readonly: ro },
      {
        label: 'Token name',
        name: 'token_name',
        value: app.token_name || '',
        readonly: ro,
        hint: 'A non-default token configuration; empty: the default.',
      },
      {
        label: 'Scopes',
        name: 'scopes',
        multiline: true,
        rows: 3,
        value: app.scopes.join('\n'),
        readonly: ro,
        hint: 'One per line; none: all scopes are allowed.',
      },
      {
        label: 'Access token validity (secs)',
        name: 'access_token_validity_secs',
        type: 'number',
        min: 0,
        value: app.access_token_validity_secs,
        readonly: ro,
      },
      {
        label: 'Refresh token validity (secs)',
        name: 'refresh_token_validity_secs',
        type: 'number',
        min: 0,
        value: app.refresh_token_validity_secs,
        readonly: ro,
        hint: '0: the default.',
      },
      {
        label: 'ID token validity (mins)',
        name: 'id_token_validity_mins',
        type: 'number',
        min: 0,
        value: app.id_token_validity_mins,
        readonly: ro,
        hint: '0: the default.',
      },
      h(
        'h3',
        null,
        'Authentication settings',
        roAuth ? h('span', { class: 'muted' }, ' (read-only for your role)') : null,
      ),
      {
        label: 'Confidential client (must send its client secret)',
        name: 'confidential',
        type: 'checkbox',
        value: app.confidential,
        readonly: roAuth,
      },
      { label: 'Disabled (gets no tokens)', name: 'disabled', type: 'checkbox', value: app.disabled, readonly: roAuth },
      {
        label: 'Access token type',
        name: 'token_type',
        options: [
          { value: 'jwt', label: 'JWT' },
          { value: 'uuid', label: 'UUID' },
        ],
        value: app.token_type,
        readonly: roAuth,
      },
      grantSet,
      {
        label: 'Redirect URIs',
        name: 'redirect_uris',
        multiline: true,
        rows: 3,
        value: app.redirect_uris.join('\n'),
        readonly: roAuth,
        hint: 'One per line; https (http only for localhost).',
      },
      {
        label: 'Logout URIs',
        name: 'logout_uris',
        multiline: true,
        rows: 3,
        value: app.logout_uris.join('\n'),
        readonly: roAuth,
        hint: 'One per line.',
      },
    ],
    async onSubmit(v) {
      const body = {};
      const int = (x) => (x === null || Number.isNaN(x) ? null : x);
      if (can.details) {
        body.name = v.name.trim();
        body.description = v.description;
        body.token_name = nullIfEmpty(v.token_name);
        body.scopes = lines(v.scopes);
        body.access_token_validity_secs = int(v.access_token_validity_secs);
        body.refresh_token_validity_secs = int(v.refresh_token_validity_secs);
        body.id_token_validity_mins = int(v.id_token_validity_mins);
      }
      if (can.auth) {
        body.confidential = v.confidential;
        body.disabled = v.disabled;
        body.token_type = v.token_type;
        body.grant_types = Object.keys(v)
          .filter((k) => k.startsWith('grant_types:') && v[k])
          .map((k) => k.slice(12));
        body.redirect_uris = lines(v.redirect_uris);
        body.logout_uris = lines(v.logout_uris);
      }
      const { body: saved } = await patch(path(['apps', app.id]), body);
      Object.assign(app, saved);
      notify('Settings saved.');
    },
  });
  return section('Settings', f);
}

// ---------------------------------------------------------------- credentials

function credentialsSection({ app, can }) {
  const box = h('div', null);
  const idId = 'client-id-' + app.id;
  const rotate = can.auth
    ? form({
        label: 'Rotate the client secret',
        submit: 'Rotate client secret',
        danger: true,
        fields: [
          {
            label: 'Keep the current secret working for (seconds)',
            name: 'grace_seconds',
            type: 'number',
            min: 0,
            max: 604800,
            value: 0,
            hint: '0: the current secret stops working at once; at most 604800 (7 days).',
          },
        ],
        async onSubmit(v) {
          const ok = await confirmDialog({
            title: 'Rotate the client secret?',
            message: v.grace_seconds
              ? `The current secret keeps working for ${v.grace_seconds} seconds.`
              : 'The current secret stops working now.',
            confirm: 'Rotate',
          });
          if (!ok) return;
          const { body } = await post(path(['apps', app.id, 'client-secret']), { grace_seconds: v.grace_seconds || 0 });
          mount(
            box,
            secretPanel({ title: 'Your new client secret', label: 'Client secret', value: body.client_secret }),
          );
          box.querySelector('input').focus();
        },
      })
    : h('p', { class: 'muted' }, 'Only OWNERs rotate the client secret.');
  return section(
    'Client credentials',
    h(
      'div',
      { class: 'field' },
      h('label', { for: idId }, 'Client ID'),
      h(
        'div',
        { class: 'secret-row' },
        h('input', { id: idId, type: 'text', readOnly: true, value: app.client_id, class: 'secret-value' }),
        copyButton(() => app.client_id, 'Copy client ID'),
      ),
    ),
    deflist([
      ['Client secret', 'shown once when created or rotated; gatehouse keeps only a hash'],
      ['Previous secret valid until', app.previous_secret_expires_at ? when(app.previous_secret_expires_at) : null],
    ]),
    box,
    rotate,
  );
}

async function tokenSection({ app, org, subs }) {
  const seen = new Map();
  for (const s of subs) {
    if (seen.has(s.api_id)) continue;
    try {
      const { body } = await get(path(['apis', s.api_id]));
      if (body.audience) seen.set(s.api_id, { label: body.name, audience: body.audience });
    } catch (e) {
      // An API the person can no longer see offers no resource.
    }
  }
  return tokenPanel({ app, tenant: org && org.tenant, resources: [...seen.values()] });
}

// ---------------------------------------------------------------- subscriptions

const PARTNER_MOVES = {
  'request-deactivation': 'Request deactivation',
  'request-activation': 'Request activation again',
};

function historyTable(events) {
  return table(
    'History',
    [
      { label: 'When', cell: (e) => when(e.at) },
      { label: 'Action', cell: (e) => e.action },
      {
        label: 'By',
        cell: (e) =>
          `${e.side}${e.actor && (e.actor.email || e.actor.name) ? ': ' + (e.actor.email || e.actor.name) : ''}`,
      },
      { label: 'Status', cell: (e) => [e.from ? badge(e.from) : null, e.from ? ' → ' : null, badge(e.to)] },
      { label: 'Reason', cell: (e) => e.reason || '—' },
    ],
    events,
  );
}

function subscriptionsSection(ctx) {
  const { app, can } = ctx;
  const listBox = h('div', null);
  const secretBox = h('div', null);

  async function refresh() {
    ctx.subs = await getAll(path(['apps', app.id, 'subscriptions']));
    renderList();
  }

  function renderList() {
    if (!ctx.subs.length) {
      mount(listBox, empty('No subscriptions yet. Request activation of an API below.'));
      return;
    }
    mount(
      listBox,
      ctx.subs.map((s) => {
        const hist = h('div', null);
        const moves = can.subscribe ? s.allowed_actions.filter((a) => PARTNER_MOVES[a]) : [];
        return h(
          'article',
          { class: 'card subscription', 'aria-label': `Subscription to ${s.api_name}` },
          h('h3', null, s.api_name, ' ', badge(s.status)),
          deflist([
            ['Provider', s.provider_org_name],
            ['Plan', s.plan_name],
            ['Authentication', authLabel(s.auth_method)],
            ['Status', badge(s.status)],
            ['Updated', when(s.updated_at)],
          ]),
          h(
            'div',
            { class: 'actions' },
            moves.map((a) =>
              button(
                PARTNER_MOVES[a],
                async () => {
                  const ok = await confirmDialog({
                    title: `${PARTNER_MOVES[a]} for ${s.api_name}?`,
                    message:
                      a === 'request-deactivation'
                        ? 'The provider is asked to block this access.'
                        : 'The provider is asked to activate this access again.',
                    confirm: PARTNER_MOVES[a],
                    danger: a === 'request-deactivation',
                  });
                  if (!ok) return;
                  const { body } = await post(path(['subscriptions', s.id, a]), { reason: null });
                  notify(`${s.api_name}: ${body.status}.`);
                  if (body.access_token) showAccessToken(body);
                  await refresh();
                },
                { kind: a === 'request-deactivation' ? 'danger' : null },
              ),
            ),
            button('Show history', async (ev) => {
              const btn = ev.currentTarget;
              if (hist.firstChild) {
                mount(hist);
                btn.textContent = 'Show history';
                btn.setAttribute('aria-expanded', 'false');
                return;
              }
              const events = await getAll(path(['subscriptions', s.id, 'history']));
              mount(hist, historyTable(events));
              btn.textContent = 'Hide history';
              btn.setAttribute('aria-expanded', 'true');
            }),
          ),
          hist,
        );
      }),
    );
  }

  function showAccessToken(body) {
    mount(
      secretBox,
      secretPanel({
        title: `Access token for ${body.api_name}`,
        label: 'Access token',
        value: body.access_token,
        note: 'Send it to the API as your credential; the provider keeps only its hash.',
      }),
    );
  }

  renderList();

  let requestForm = null;
  if (can.subscribe) {
    const apiSel = field({
      label: 'API',
      name: 'api',
      options: [{ value: '', label: 'Loading APIs…' }],
      required: true,
    });
    const planSel = field({
      label: 'Plan',
      name: 'plan',
      options: [{ value: '', label: 'Choose an API first' }],
      required: true,
    });
    const planInfo = h('p', { class: 'hint', 'aria-live': 'polite' });
    let plans = [];
    const apiSelect = apiSel.querySelector('select');
    const planSelect = planSel.querySelector('select');
    const showPlan = () => {
      const p = plans.find((x) => x.id === planSelect.value);
      planInfo.textContent = p
        ? `${p.description ? p.description + ' · ' : ''}Limits: ${limits(p)} · ${p.approval === 'auto' ? 'active at once' : 'the provider approves the request'}`
        : '';
    };
    apiSelect.addEventListener('change', async () => {
      plans = apiSelect.value ? await getAll(path(['apis', apiSelect.value, 'plans'])) : [];
      mount(
        planSelect,
        plans.length
          ? plans.map((p) => h('option', { value: p.id }, p.name))
          : h('option', { value: '' }, apiSelect.value ? 'No plans offered' : 'Choose an API first'),
      );
      showPlan();
    });
    planSelect.addEventListener('change', showPlan);
    getAll(path(['apis'])).then(
      (apis) => {
        mount(
          apiSelect,
          h('option', { value: '' }, apis.length ? 'Choose an API' : 'No APIs available'),
          apis.map((a) => h('option', { value: a.id }, `${a.name} (${a.org_name})`)),
        );
      },
      (e) => notify(e.message, 'error'),
    );
    requestForm = form({
      label: 'Request activation of an API',
      submit: 'Request activation',
      fields: [apiSel, planSel, planInfo],
      async onSubmit(v, f) {
        if (!v.api || !v.plan) {
          clearErrors(f);
          showErrors(f, { message: 'Choose an API and a plan.' });
          return;
        }
        const { body } = await post(path(['apps', app.id, 'subscriptions']), { api: v.api, plan: v.plan });
        notify(`Requested ${body.api_name}: ${body.status}.`);
        if (body.access_token) showAccessToken(body);
        await refresh();
      },
    });
  }

  return section(
    'Subscriptions',
    secretBox,
    listBox,
    requestForm
      ? [h('h3', null, 'Request activation of an API'), requestForm]
      : h('p', { class: 'muted' }, 'Your role cannot request activations.'),
  );
}

function accessSection(access) {
  return section(
    'Access status',
    h(
      'p',
      { class: 'hint' },
      'Whether each provider lets this app in at all (all of its APIs). A red status blocks the app until the provider sets it green again.',
    ),
    access.length
      ? table(
          'Access status per provider',
          [
            { label: 'Provider', cell: (a) => a.provider_org_name },
            { label: 'Status', cell: (a) => badge(a.status) },
            { label: 'Reason', cell: (a) => a.reason || '—' },
            { label: 'Since', cell: (a) => when(a.set_at) },
          ],
          access,
        )
      : empty('No provider has set a status: access is green.'),
  );
}

// ---------------------------------------------------------------- API keys

function keysSection({ app, can }) {
  const listBox = h('div', null);
  const secretBox = h('div', null);
  async function refresh() {
    const keys = await getAll(path(['apps', app.id, 'api-keys']));
    mount(
      listBox,
      keys.length
        ? table(
            'API keys',
            [
              { label: 'Name', cell: (k) => k.name },
              { label: 'Starts with', cell: (k) => (k.key_hint ? h('code', null, k.key_hint + '…') : '—') },
              { label: 'Created', cell: (k) => when(k.created_at) },
              { label: 'Expires', cell: (k) => (k.expires_at ? when(k.expires_at) : 'never') },
              { label: 'Last used', cell: (k) => (k.last_used_at ? when(k.last_used_at) : 'never') },
              {
                label: 'Actions',
                cell: (k) =>
                  can.auth
                    ? button(
                        'Revoke',
                        async () => {
                          const ok = await confirmDialog({
                            title: `Revoke the API key "${k.name}"?`,
                            message: 'Calls with this key fail from now on. This cannot be undone.',
                            confirm: 'Revoke',
                          });
                          if (!ok) return;
                          await del(path(['apps', app.id, 'api-keys', k.id]));
                          notify(`API key ${k.name} revoked.`);
                          await refresh();
                        },
                        { kind: 'danger', class: 'btn-small', ariaLabel: `Revoke API key ${k.name}` },
                      )
                    : null,
              },
            ],
            keys,
          )
        : empty('No API keys.'),
    );
  }
  refresh().catch((e) => mount(listBox, banner('error', e.message)));
  return section(
    'API keys',
    secretBox,
    listBox,
    can.auth
      ? [
          h('h3', null, 'Create an API key'),
          form({
            label: 'Create an API key',
            submit: 'Create API key',
            fields: [
              { label: 'Key name', name: 'name', required: true, hint: 'What the key is for.' },
              {
                label: 'Expires in (days)',
                name: 'expires_in_days',
                type: 'number',
                min: 1,
                hint: 'Empty: never expires.',
              },
            ],
            async onSubmit(v, f) {
              const body = { name: v.name.trim() };
              if (v.expires_in_days !== null) body.expires_in_days = v.expires_in_days;
              const { body: k } = await post(path(['apps', app.id, 'api-keys']), body);
              f.reset();
              mount(secretBox, secretPanel({ title: `Your new API key "${k.name}"`, label: 'API key', value: k.key }));
              await refresh();
              secretBox.querySelector('input').focus();
            },
          }),
        ]
      : h('p', { class: 'muted' }, 'Only OWNERs create and revoke API keys.'),
  );
}

// ---------------------------------------------------------------- certificates

function certificatesSection({ app, can }) {
  const listBox = h('div', null);
  async function refresh() {
    const certs = await getAll(path(['apps', app.id, 'certificates']));
    mount(
      listBox,
      certs.length
        ? table(
            'TLS client certificates',
            [
              { label: 'Subject', cell: (c) => c.subject },
              { label: 'Issuer', cell: (c) => c.issuer },
              { label: 'Valid', cell: (c) => `${when(c.not_before)} – ${when(c.not_after)}` },
              { label: 'SHA-256 thumbprint', cell: (c) => h('code', null, c.thumbprint_sha256) },
              {
                label: 'Actions',
                cell: (c) =>
                  can.auth
                    ? button(
                        'Remove',
                        async () => {
                          const ok = await confirmDialog({
                            title: 'Remove this certificate?',
                            message: `${c.subject}: clients presenting it are no longer recognised as this app.`,
                            confirm: 'Remove',
                          });
                          if (!ok) return;
                          await del(path(['apps', app.id, 'certificates', c.id]));
                          notify('Certificate removed.');
                          await refresh();
                        },
                        { kind: 'danger', class: 'btn-small', ariaLabel: `Remove certificate ${c.subject}` },
                      )
                    : null,
              },
            ],
            certs,
          )
        : empty('No certificates.'),
    );
  }
  refresh().catch((e) => mount(listBox, banner('error', e.message)));
  let upload = null;
  if (can.auth) {
    const pemField = field({
      label: 'Certificate (PEM)',
      name: 'pem',
      multiline: true,
      rows: 6,
      required: true,
      placeholder: '-----BEGIN CERTIFICATE-----',
      hint: 'Paste the PEM text or choose a file below.',
    });
    const fileField = field({
      label: 'Certificate file',
      name: 'pem_file',
      type: 'file',
      accept: '.pem,.crt,.cer,text/plain',
    });
    fileField.querySelector('input').addEventListener('change', async (ev) => {
      const file = ev.target.files && ev.target.files[0];
      if (file) pemField.querySelector('textarea').value = await file.text();
    });
    upload = form({
      label: 'Add a certificate',
      submit: 'Add certificate',
      fields: [pemField, fileField],
      async onSubmit(v, f) {
        await post(path(['apps', app.id, 'certificates']), { pem: v.pem });
        f.reset();
        notify('Certificate added.');
        await refresh();
      },
    });
  }
  return section(
    'TLS client certificates',
    listBox,
    upload
      ? [h('h3', null, 'Add a certificate'), upload]
      : h('p', { class: 'muted' }, 'Only OWNERs add and remove certificates.'),
  );
}

// ---------------------------------------------------------------- members

function membersSection(ctx) {
  const { app, can } = ctx;
  const listBox = h('div', null);
  const ROLES = ['OWNER', 'DEVELOPER', 'READ_ONLY'];
  function render(members) {
    mount(
      listBox,
      members.length
        ? table(
            'App members',
            [
              { label: 'Name', cell: (m) => m.name },
              { label: 'Email', cell: (m) => m.email },
              {
                label: 'Role',
                cell: (m) => {
                  if (!can.members) return m.role;
                  const sel = h(
                    'select',
                    { 'aria-label': `App role of ${m.email}` },
                    ROLES.map((r) => h('option', { value: r, selected: r === m.role }, r)),
                  );
                  sel.addEventListener('change', async () => {
                    try {
                      await patch(path(['apps', app.id, 'members', m.user_id]), { role: sel.value });
                      notify(`${m.email} is now ${sel.value}.`);
                    } catch (e) {
                      sel.value = m.role;
                      notify(e.message, 'error');
                    }
                  });
                  return sel;
                },
              },
              {
                label: 'Actions',
                cell: (m) =>
                  can.members
                    ? button(
                        'Remove',
                        async () => {
                          const ok = await confirmDialog({
                            title: `Remove ${m.email} from ${app.name}?`,
                            confirm: 'Remove',
                          });
                          if (!ok) return;
                          await del(path(['apps', app.id, 'members', m.user_id]));
                          notify(`${m.email} removed.`);
                          render(await getAll(path(['apps', app.id, 'members'])));
                        },
                        { kind: 'danger', class: 'btn-small', ariaLabel: `Remove ${m.email} from the app` },
                      )
                    : null,
              },
            ],
            members,
          )
        : empty('No members.'),
    );
  }
  render(ctx.members);
  return section(
    'App members',
    listBox,
    can.members
      ? [
          h('h3', null, 'Add an app member'),
          form({
            label: 'Add an app member',
            submit: 'Add app member',
            fields: [
              {
                label: 'Member email',
                name: 'email',
                type: 'email',
                required: true,
                hint: 'A member of this organization.',
              },
              { label: 'App role', name: 'role', options: ROLES, value: 'DEVELOPER' },
            ],
            async onSubmit(v, f) {
              await post(path(['apps', app.id, 'members']), { email: v.email.trim(), role: v.role });
              f.reset();
              notify(`${v.email} added.`);
              render(await getAll(path(['apps', app.id, 'members'])));
            },
          }),
        ]
      : null,
  );
}

function dangerSection({ app }) {
  return section(
    'Delete this app',
    h('p', null, 'Deleting the app ends its subscriptions and revokes its credentials.'),
    button(
      'Delete app',
      async () => {
        const ok = await confirmDialog({
          title: `Delete ${app.name}?`,
          message: 'This cannot be undone.',
          confirm: 'Delete app',
        });
        if (!ok) return;
        await del(path(['apps', app.id]));
        notify(`${app.name} deleted.`);
        location.hash = '#/orgs/' + app.org_id;
      },
      { kind: 'danger' },
    ),
  );
}
