// The API catalog: every API the person may see, with what it does, how
// partners authenticate to it, and its plans.

import { get, path, getAll } from '../lib/api.js';
import { h, mount, table, deflist, text } from '../lib/dom.js';
import { empty, section, link, form, loading } from '../lib/ui.js';

export const AUTH_METHODS = {
  manual_handover: 'Manual handover (credentials exchanged directly with the provider)',
  access_token: 'Access token (issued by the portal on activation; the provider keeps its hash)',
  api_key: 'API key',
  oauth2: 'OAuth2 bearer token (client credentials)',
  basic: 'HTTP Basic with client_id and client_secret',
  mtls: 'TLS client certificate',
};

export const authLabel = (m) => AUTH_METHODS[m] || m;

export function limits(p) {
  const parts = [];
  if (p.rate_limit) parts.push(`${p.rate_limit.requests} requests per ${p.rate_limit.window_secs} s`);
  if (p.quota) parts.push(`${p.quota.requests} requests per ${p.quota.period}`);
  return parts.length ? parts.join('; ') : 'unlimited';
}

export function plansTable(api, plans) {
  return plans.length
    ? table(
        `Plans of ${api.name}`,
        [
          { label: 'Plan', cell: (p) => h('strong', null, p.name) },
          { label: 'Description', cell: (p) => p.description || '—' },
          { label: 'Limits', cell: (p) => limits(p) },
          { label: 'Approval', cell: (p) => (p.approval === 'auto' ? 'active at once' : 'approved by the provider') },
        ],
        plans,
      )
    : empty('No plans offered yet.');
}

function apiCard(api, plans) {
  return h(
    'article',
    { class: 'card', 'aria-label': api.name },
    h('h2', null, link('/catalog/' + api.id, api.name)),
    h('p', { class: 'muted' }, 'by ', api.org_name),
    api.description ? text('p', api.description) : empty('No description.'),
    deflist([
      ['Authentication', authLabel(api.auth_method)],
      ['Resource (audience)', api.audience ? h('code', null, api.audience) : null],
    ]),
    plansTable(api, plans),
  );
}

export async function catalogPage(_p, query) {
  const q = query.q || '';
  const apis = await getAll(path(['apis'], { q }));
  const plans = await Promise.all(apis.map((a) => getAll(path(['apis', a.id, 'plans']))));
  const results = h('div', null);
  mount(
    results,
    apis.length
      ? apis.map((a, i) => apiCard(a, plans[i]))
      : empty(q ? `No API matches "${q}".` : 'No APIs are published yet.'),
  );
  return h(
    'div',
    null,
    h('h1', null, 'API catalog'),
    h(
      'div',
      { class: 'card', role: 'search' },
      form({
        label: 'Search APIs',
        submit: 'Search',
        fields: [{ label: 'Search by name or service', name: 'q', type: 'search', value: q }],
        async onSubmit(v) {
          mount(results, loading());
          location.hash = '#/catalog' + (v.q.trim() ? '?q=' + encodeURIComponent(v.q.trim()) : '');
        },
      }),
    ),
    results,
  );
}

export async function apiPage({ api: apiId }) {
  const [{ body: api }, plans] = await Promise.all([
    get(path(['apis', apiId])),
    getAll(path(['apis', apiId, 'plans'])),
  ]);
  return h(
    'div',
    null,
    h('p', { class: 'muted' }, link('/catalog', 'API catalog'), ' / ', api.name),
    h('h1', null, api.name),
    api.description ? text('p', api.description) : null,
    section(
      'About this API',
      deflist([
        ['Provider', api.org_name],
        ['Authentication', authLabel(api.auth_method)],
        ['Service', h('code', null, api.service)],
        ['Resource (audience)', api.audience ? h('code', null, api.audience) : null],
        ['Paths', (api.path_prefixes || []).join(', ')],
        ['Subscription', api.subscription_required ? 'required' : 'not required'],
        ['Required partner roles', (api.required_roles || []).join(', ')],
      ]),
    ),
    section('Plans', plansTable(api, plans)),
    h('p', null, 'To use this API, open one of your apps and request activation with a plan.'),
  );
}
