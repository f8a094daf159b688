// Provider ADMIN pages: the org's APIs and their plans, the inbox of
// activation requests, all subscriptions (with access-token hashes) and the
// apps' access status, and the org's audit log.

import * as api from './client.js';
import {
  h,
  mount,
  on,
  button,
  loading,
  empty,
  banner,
  badge,
  table,
  fmtTime,
  Form,
  confirmAction,
  focusHeading,
  askReason,
} from './kit.js';

const AUTH_METHODS = [
  ['manual_handover', 'Manual handover (default)'],
  ['access_token', 'Access token (provider sees the hash)'],
  ['api_key', 'API key'],
  ['oauth2', 'OAuth2 bearer token'],
  ['basic', 'Basic (client_id / client_secret)'],
  ['mtls', 'TLS client certificate (mTLS)'],
];

const orgApis = (ctx) => api.getAll('/apis', { org: ctx.org.id });

// ---- APIs ---------------------------------------------------------------

export async function apisView(ctx, main) {
  document.title = 'APIs — gatehouse console';
  mount(main, h('h1', {}, 'APIs'), loading('APIs'));
  const apis = await orgApis(ctx);
  const list = apis.length
    ? table(
        ['Name', 'Service', 'Authentication', 'Path prefixes', 'Subscription required'],
        apis.map((a) => [
          h('a', { href: `#/apis/${encodeURIComponent(a.id)}` }, a.name),
          h('code', {}, a.service),
          a.auth_method,
          a.path_prefixes.join(', '),
          a.subscription_required ? 'yes' : 'no',
        ]),
        `APIs of ${ctx.org.name}`,
      )
    : empty(`${ctx.org.name} has not published an API yet.`);
  mount(
    main,
    h('h1', {}, 'APIs'),
    h('p', {}, h('a', { href: '#/apis/new', class: 'btn btn-primary' }, 'New API')),
    list,
  );
}

function apiSpecs(a) {
  const cn = (a && a.customer_number) || null;
  return [
    { name: 'name', label: 'Name', value: a ? a.name : '', required: true },
    { name: 'description', label: 'Description', type: 'textarea', value: a ? a.description : '' },
    {
      name: 'service',
      label: 'Service',
      value: a ? a.service : '',
      hint: 'The service name tokens carry, e.g. "ola".',
      required: true,
    },
    {
      name: 'audience',
      label: 'Audience',
      value: a && a.audience ? a.audience : '',
      hint: 'The resource clients ask for (RFC 8707), e.g. "connectapi". Empty: none.',
    },
    {
      name: 'path_prefixes',
      label: 'Path prefixes',
      type: 'textarea',
      value: a ? a.path_prefixes.join('\n') : '',
      hint: 'One per line, each starting with "/".',
      required: true,
    },
    {
      name: 'auth_method',
      label: 'Authentication method',
      type: 'select',
      options: AUTH_METHODS,
      value: a ? a.auth_method : 'manual_handover',
    },
    {
      name: 'access_token_hash_method',
      label: 'Access-token hash method',
      type: 'select',
      options: [
        ['sha256', 'SHA-256'],
        ['sha512', 'SHA-512'],
      ],
      value: a ? a.access_token_hash_method : 'sha256',
    },
    {
      name: 'subscription_required',
      label: 'Subscription required',
      type: 'checkbox',
      checked: a ? a.subscription_required : true,
    },
    {
      name: 'required_roles',
      label: 'Required partner roles',
      value: a ? a.required_roles.join(', ') : '',
      hint: 'Comma-separated; a partner must hold all of them. Empty: every partner.',
    },
    {
      name: 'customer_number.in',
      label: 'Customer number carried in',
      type: 'select',
      options: [
        ['', 'Not carried'],
        ['header', 'Header'],
        ['query', 'Query parameter'],
        ['path', 'Path'],
      ],
      value: cn ? cn.in : '',
    },
    {
      name: 'customer_number.name',
      label: 'Customer number name',
      value: cn && cn.name ? cn.name : '',
      hint: 'The header, query parameter or path placeholder; default customerId.',
    },
    {
      name: 'customer_number.template',
      label: 'Customer number path template',
      value: cn && cn.template ? cn.template : '',
      hint: 'Path only, e.g. /ola/customers/{customerId}/loans.',
    },
  ];
}

function apiBody(f) {
  const cnIn = f.value('customer_number.in');
  let cn = null;
  if (cnIn) {
    cn = { in: cnIn };
    const n = f.value('customer_number.name').trim();
    const t = f.value('customer_number.template').trim();
    if (n) cn.name = n;
    if (t) cn.template = t;
  }
  const description = f.value('description');
  const audience = f.value('audience').trim();
  return {
    name: f.value('name').trim(),
    description: description === '' ? null : description,
    service: f.value('service').trim(),
    audience: audience === '' ? null : audience,
    path_prefixes: f.list('path_prefixes'),
    auth_method: f.value('auth_method'),
    access_token_hash_method: f.value('access_token_hash_method'),
    subscription_required: f.value('subscription_required'),
    required_roles: f.list('required_roles'),
    customer_number: cn,
  };
}

export async function apiEditView(ctx, main, id) {
  if (!id) {
    document.title = 'New API — gatehouse console';
    const form = new Form(apiSpecs(null), 'Create API', async (f) => {
      const created = await api.post(`/orgs/${encodeURIComponent(ctx.org.id)}/apis`, apiBody(f));
      ctx.go(`/apis/${encodeURIComponent(created.id)}`);
    });
    mount(main, h('h1', {}, 'New API'), h('p', {}, h('a', { href: '#/apis' }, '← All APIs')), form.el);
    return;
  }
  mount(main, h('h1', {}, 'API'), loading('the API'));
  const a = await api.get(`/apis/${encodeURIComponent(id)}`);
  document.title = `${a.name} — gatehouse console`;
  const status = h('div', { 'aria-live': 'polite' });
  const form = new Form(apiSpecs(a), 'Save API', async (f) => {
    const saved = await api.patch(`/apis/${encodeURIComponent(id)}`, apiBody(f));
    mount(status, banner('success', `Saved ${saved.name}.`));
  });
  const del = button(
    'Delete API',
    async () => {
      const yes = await confirmAction(
        `Delete ${a.name}?`,
        'Its plans and every subscription to it are deleted too. This cannot be undone.',
        'Delete API',
      );
      if (!yes) return;
      await api.del(`/apis/${encodeURIComponent(id)}`);
      ctx.go('/apis');
    },
    'danger',
  );
  const plans = h('section', { 'aria-labelledby': 'plans-h' });
  mount(
    main,
    h('h1', {}, a.name),
    h('p', {}, h('a', { href: '#/apis' }, '← All APIs')),
    status,
    h('section', { 'aria-labelledby': 'api-h' }, h('h2', { id: 'api-h' }, 'Settings'), form.el),
    plans,
    h(
      'section',
      { 'aria-labelledby': 'danger-h', class: 'danger-zone' },
      h('h2', { id: 'danger-h' }, 'Delete'),
      del,
    ),
  );
  await renderPlans(ctx, plans, a);
}

// ---- plans --------------------------------------------------------------

function planSpecs(p) {
  return [
    { name: 'name', label: 'Plan name', value: p ? p.name : '', required: true },
    { name: 'description', label: 'Plan description', type: 'textarea', value: p ? p.description : '' },
    {
      name: 'rate_limit.requests',
      label: 'Rate limit: requests',
      type: 'number',
      value: p && p.rate_limit ? p.rate_limit.requests : '',
      hint: 'Empty: no rate limit.',
    },
    {
      name: 'rate_limit.window_secs',
      label: 'Rate limit: per seconds',
      type: 'number',
      value: p && p.rate_limit ? p.rate_limit.window_secs : '',
    },
    {
      name: 'quota.requests',
      label: 'Quota: requests',
      type: 'number',
      value: p && p.quota ? p.quota.requests : '',
      hint: 'Empty: no quota.',
    },
    {
      name: 'quota.period',
      label: 'Quota: per',
      type: 'select',
      options: [
        ['day', 'day'],
        ['month', 'month'],
      ],
      value: p && p.quota ? p.quota.period : 'month',
    },
    {
      name: 'approval',
      label: 'Approval',
      type: 'select',
      options: [
        ['provider', 'By the provider'],
        ['auto', 'Automatic'],
      ],
      value: p ? p.approval : 'provider',
    },
  ];
}

// Numbers typed as text become numbers; text that is not one is sent as is
// so the API names the field.
const num = (s) => (s.trim() !== '' && Number.isFinite(Number(s)) ? Number(s) : s.trim());

function planBody(f) {
  const rr = f.value('rate_limit.requests').trim();
  const rw = f.value('rate_limit.window_secs').trim();
  const qr = f.value('quota.requests').trim();
  const description = f.value('description');
  return {
    name: f.value('name').trim(),
    description: description === '' ? null : description,
    rate_limit: rr || rw ? { requests: num(rr), window_secs: num(rw) } : null,
    quota: qr ? { requests: num(qr), period: f.value('quota.period') } : null,
    approval: f.value('approval'),
  };
}

const describeRate = (r) => (r ? `${r.requests} per ${r.window_secs} s` : 'unlimited');
const describeQuota = (q) => (q ? `${q.requests} per ${q.period}` : 'unlimited');

async function renderPlans(ctx, section, a) {
  const base = `/apis/${encodeURIComponent(a.id)}/plans`;
  const plans = await api.getAll(base);
  const editor = h('div', {});
  const again = () => renderPlans(ctx, section, a);
  const newForm = () =>
    new Form(
      planSpecs(null),
      'Add plan',
      async (f) => {
        await api.post(base, planBody(f));
        await again();
      },
      { label: 'New plan' },
    );
  const rows = plans.map((p) => {
    const edit = button(
      'Edit',
      () => {
        const f = new Form(
          planSpecs(p),
          'Save plan',
          async (form) => {
            await api.patch(`${base}/${encodeURIComponent(p.id)}`, planBody(form));
            await again();
          },
          {
            label: `Edit plan ${p.name}`,
            cancel: button('Cancel', () => mount(editor, h('h3', {}, 'New plan'), newForm().el)),
          },
        );
        mount(editor, h('h3', {}, `Edit plan ${p.name}`), f.el);
        f.input('name').focus();
      },
      null,
      `Edit plan ${p.name}`,
    );
    const del = button(
      'Delete',
      async () => {
        const yes = await confirmAction(
          `Delete plan ${p.name}?`,
          'A plan that subscriptions use cannot be deleted.',
          'Delete plan',
        );
        if (!yes) return;
        await api.del(`${base}/${encodeURIComponent(p.id)}`);
        await again();
      },
      'danger',
      `Delete plan ${p.name}`,
    );
    return [
      p.name,
      describeRate(p.rate_limit),
      describeQuota(p.quota),
      p.approval,
      h('div', { class: 'row-actions' }, edit, del),
    ];
  });
  mount(
    section,
    h('h2', { id: 'plans-h' }, 'Plans'),
    plans.length
      ? table(['Plan', 'Rate limit', 'Quota', 'Approval', 'Actions'], rows, `Plans of ${a.name}`)
      : empty('No plans yet: partners need a plan to request activation.'),
    mount(editor, h('h3', {}, 'New plan'), newForm().el),
  );
}

// ---- subscriptions --------------------------------------------------------

async function orgSubscriptions(ctx, status) {
  const apis = await orgApis(ctx);
  const lists = await Promise.all(
    apis.map((a) => api.getAll(`/apis/${encodeURIComponent(a.id)}/subscriptions`, { status })),
  );
  return lists
    .flat()
    .sort((x, y) => (x.created_at < y.created_at ? -1 : x.created_at > y.created_at ? 1 : 0));
}

export async function inboxView(ctx, main, notice) {
  document.title = 'Activation requests — gatehouse console';
  mount(main, h('h1', {}, 'Activation requests'), loading('activation requests'));
  const subs = await orgSubscriptions(ctx, 'activation-requested');
  const items = subs.map((s) => {
    const reasonId = `reason-${s.id}`;
    const reason = h('textarea', { id: reasonId, rows: 2, maxlength: 1000 });
    const decide = async (action, done) => {
      const body = reason.value.trim() ? { reason: reason.value.trim() } : {};
      await api.post(`/subscriptions/${encodeURIComponent(s.id)}/${action}`, body);
      await inboxView(ctx, main, done);
    };
    const approve = button(
      'Approve',
      () => decide('activate', `Approved: ${s.app_name} may now use ${s.api_name}.`),
      'primary',
    );
    const reject = button(
      'Reject',
      async () => {
        const yes = await confirmAction(
          `Reject ${s.app_name}'s request?`,
          `The subscription to ${s.api_name} becomes inactive and the partner is told${reason.value.trim() ? ' the reason' : ''}.`,
          'Reject request',
        );
        if (yes) await decide('deactivate', `Rejected ${s.app_name}'s request for ${s.api_name}.`);
      },
      'danger',
    );
    return h(
      'li',
      { class: 'card request', 'aria-label': `${s.app_name} requests ${s.api_name}` },
      h('h2', {}, `${s.app_name} → ${s.api_name}`),
      h(
        'dl',
        { class: 'deflist' },
        h('dt', {}, 'Partner'),
        h('dd', {}, s.partner_org_name),
        h('dt', {}, 'Plan'),
        h('dd', {}, s.plan_name),
        h('dt', {}, 'Authentication'),
        h('dd', {}, s.auth_method),
        h('dt', {}, 'Requested'),
        h('dd', {}, fmtTime(s.created_at)),
        h('dt', {}, 'Status'),
        h('dd', {}, badge(s.status)),
      ),
      h('div', { class: 'field' }, h('label', { for: reasonId }, 'Reason (told to the partner)'), reason),
      h('div', { class: 'actions' }, approve, reject),
    );
  });
  mount(
    main,
    h('h1', {}, 'Activation requests'),
    notice ? banner('success', notice) : null,
    items.length
      ? h('ul', { class: 'cards', 'aria-label': 'Requests waiting for a decision' }, ...items)
      : empty('No activation requests are waiting.'),
  );
  if (notice) focusHeading(main);
}

const STATUSES = ['activation-requested', 'active', 'deactivation-requested', 'inactive'];
const ACTION_LABELS = {
  activate: 'Activate',
  deactivate: 'Deactivate',
};

export async function subscriptionsView(ctx, main, filter = '') {
  document.title = 'Subscriptions — gatehouse console';
  mount(main, h('h1', {}, 'Subscriptions'), loading('subscriptions'));
  const subs = await orgSubscriptions(ctx, filter || undefined);
  const pick = h(
    'select',
    { id: 'sub-filter' },
    h('option', { value: '' }, 'All'),
    ...STATUSES.map((s) => h('option', { value: s }, s)),
  );
  pick.value = filter;
  on(pick, 'change', () => subscriptionsView(ctx, main, pick.value));
  const history = h('section', { class: 'card', hidden: true });
  const rows = subs.map((s) => {
    const acts = s.allowed_actions
      .filter((a) => ACTION_LABELS[a])
      .map((a) => {
        const b = button(
          ACTION_LABELS[a],
          async () => {
            let body = {};
            if (a === 'deactivate') {
              const reason = await askReason(
                `Deactivate ${s.app_name}'s subscription?`,
                `${s.app_name} can no longer call ${s.api_name} until the partner asks again and you activate it.`,
                'Reason (told to the partner)',
                'Deactivate',
              );
              if (reason === null) return;
              if (reason) body = { reason };
            }
            await api.post(`/subscriptions/${encodeURIComponent(s.id)}/${a}`, body);
            await subscriptionsView(ctx, main, filter);
            focusHeading(main);
          },
          a === 'deactivate' ? 'danger' : 'primary',
          `${ACTION_LABELS[a]} ${s.app_name} → ${s.api_name}`,
        );
        return b;
      });
    acts.push(
      button('History', () => showHistory(history, s), null, `History of ${s.app_name} → ${s.api_name}`),
    );
    return [
      s.app_name,
      s.partner_org_name,
      s.api_name,
      s.plan_name,
      badge(s.status),
      s.access_token_hash ? h('code', { class: 'hash' }, s.access_token_hash) : '—',
      s.access_token_hash_method || '—',
      fmtTime(s.updated_at),
      h('div', { class: 'row-actions' }, ...acts),
    ];
  });
  const access = h('section', { 'aria-labelledby': 'access-h' });
  mount(
    main,
    h('h1', {}, 'Subscriptions'),
    h('div', { class: 'field inline' }, h('label', { for: 'sub-filter' }, 'Status'), pick),
    subs.length
      ? table(
          [
            'App',
            'Partner',
            'API',
            'Plan',
            'Status',
            'Access-token hash',
            'Hash method',
            'Changed',
            'Actions',
          ],
          rows,
          `Subscriptions to the APIs of ${ctx.org.name}`,
        )
      : empty(filter ? `No subscriptions are ${filter}.` : 'No app subscribes to your APIs yet.'),
    history,
    access,
  );
  await renderAccess(ctx, access, subs);
}

// A subscription's history (seed 000 moves: who, when, from, to, why) in
// the box under the subscriptions table.
async function showHistory(box, s) {
  const events = await api.getAll(`/subscriptions/${encodeURIComponent(s.id)}/history`);
  const id = `history-${s.id}`;
  box.hidden = false;
  box.setAttribute('aria-labelledby', id);
  mount(
    box,
    h('h2', { id }, `History of ${s.app_name} → ${s.api_name}`),
    table(
      ['When', 'Who', 'Side', 'Action', 'From', 'To', 'Reason'],
      events.map((e) => [
        fmtTime(e.at),
        e.actor.name || e.actor.email || e.actor.kind,
        e.side,
        e.action,
        e.from ? badge(e.from) : '—',
        badge(e.to),
        e.reason || '—',
      ]),
      'Oldest first',
    ),
  );
  focusHeading(box, 'h2');
}

// One card per app that subscribes to the org's APIs: its access status
// towards this provider (seed 000) and a form to set it red or green.
async function renderAccess(ctx, section, subs) {
  const apps = new Map();
  for (const s of subs) if (!apps.has(s.app_id)) apps.set(s.app_id, s);
  const cards = await Promise.all(
    [...apps.values()].map(async (s) => {
      const list = await api.getAll(`/apps/${encodeURIComponent(s.app_id)}/access-status`);
      const cur = list.find((x) => x.provider_org === ctx.org.id) || { status: 'green', reason: null };
      const form = new Form(
        [
          {
            name: 'status',
            label: `Access status of ${s.app_name}`,
            type: 'select',
            options: [
              ['green', 'green — access allowed'],
              ['red', 'red — access blocked'],
            ],
            value: cur.status,
          },
          {
            name: 'reason',
            label: `Reason for ${s.app_name}`,
            type: 'textarea',
            // Empty, not the current reason: a new status gets its own reason.
            value: '',
            hint: 'Required for red; mailed to the partner.',
          },
        ],
        `Set access status of ${s.app_name}`,
        async (f) => {
          const st = f.value('status');
          const reason = f.value('reason').trim();
          const yes =
            st === 'red'
              ? await confirmAction(
                  `Block ${s.app_name}?`,
                  `${s.app_name} loses access to all APIs of ${ctx.org.name}; the partner is told the reason.`,
                  'Set red',
                )
              : await confirmAction(
                  `Restore access for ${s.app_name}?`,
                  `${s.app_name} may call the APIs of ${ctx.org.name} again as its subscriptions allow.`,
                  'Set green',
                );
          if (!yes) return;
          await api.put(`/apps/${encodeURIComponent(s.app_id)}/access-status`, {
            provider_org: ctx.org.id,
            status: st,
            reason: reason === '' ? null : reason,
          });
          await renderAccess(ctx, section, subs);
          focusHeading(section, 'h2');
        },
        { label: `Access status of ${s.app_name}` },
      );
      return h(
        'li',
        { class: 'card', 'aria-label': `App ${s.app_name}` },
        h('h3', {}, `${s.app_name} (${s.partner_org_name})`),
        h(
          'p',
          {},
          'Now: ',
          badge(cur.status),
          cur.reason ? ` — ${cur.reason}` : '',
          cur.set_at ? ` (set ${fmtTime(cur.set_at)})` : '',
        ),
        form.el,
      );
    }),
  );
  mount(
    section,
    h('h2', { id: 'access-h' }, 'App access status'),
    h(
      'p',
      { class: 'hint' },
      'Red blocks the app from all your APIs without changing its subscriptions or credentials; green restores access as it was.',
    ),
    cards.length ? h('ul', { class: 'cards' }, ...cards) : empty('No apps subscribe to your APIs.'),
  );
}

// ---- audit log ----------------------------------------------------------

// The audit log (GET /api/v1/audit), newest first, 50 a page. Provider
// ADMINs see their org's events (org= is required for them); platform
// admins (admin true) see everything and may filter by organization.
export async function auditView(ctx, main, filters = {}, page = 1, admin = false) {
  document.title = 'Audit log — gatehouse console';
  const results = h('div', {}, loading('audit events'));
  const again = (f, p) => auditView(ctx, main, f, p, admin);
  const form = new Form(
    [
      admin ? { name: 'org', label: 'Organization id', value: filters.org || '' } : null,
      { name: 'object', label: 'Object id', value: filters.object || '' },
      { name: 'actor', label: 'Actor id', value: filters.actor || '' },
      {
        name: 'since',
        label: 'Since',
        value: filters.since || '',
        hint: 'RFC 3339 (2026-11-23T16:00:00Z) or Unix seconds.',
      },
    ].filter(Boolean),
    'Filter',
    async (f) => {
      const next = {};
      for (const k of ['org', 'object', 'actor', 'since']) if (f.input(k)) next[k] = f.value(k).trim();
      await again(next, 1);
    },
    { label: 'Filter the audit log' },
  );
  mount(main, h('h1', {}, 'Audit log'), form.el, results);
  let doc;
  try {
    doc = await api.get('/audit', { ...filters, org: admin ? filters.org : ctx.org.id, page, per_page: 50 });
  } catch (e) {
    if (e.status === 401) throw e;
    mount(results);
    form.showErrors(e);
    return;
  }
  const pages = Math.max(1, Math.ceil(doc.total / doc.per_page));
  const prev = button('Previous page', () => again(filters, page - 1));
  const next = button('Next page', () => again(filters, page + 1));
  prev.disabled = page <= 1;
  next.disabled = page >= pages;
  mount(
    results,
    doc.items.length
      ? table(
          ['When', 'Who', 'Action', 'Object', 'Changes', 'From'],
          doc.items.map((e) => [
            fmtTime(e.at),
            `${e.actor.kind}${e.actor.id ? ' ' + e.actor.id : ''}`,
            h('code', {}, e.action),
            `${e.object.type} ${e.object.id}`,
            h('code', { class: 'changes' }, JSON.stringify(e.changes)),
            e.client_addr,
          ]),
          admin ? 'Audit events, newest first' : `Audit events of ${ctx.org.name}, newest first`,
        )
      : empty('No audit events match.'),
    h(
      'nav',
      { class: 'pager', 'aria-label': 'Audit pages' },
      prev,
      h('span', {}, `Page ${page} of ${pages} (${doc.total} events)`),
      next,
    ),
  );
}
