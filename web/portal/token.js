// "Get a token" (seed 003 in one step): the exact curl command for
// POST /connect/token with the app's client_id, a placeholder for the
// secret, scope, resource and acr_values=tenant:<key>, and the same request
// as a Postman collection (v2.1) built here and downloaded as a Blob.

import { h } from '../lib/dom.js';
import { section, copyButton, button, download, field } from '../lib/ui.js';

export const SECRET_PLACEHOLDER = '<your client secret>';

export function tokenUrl() {
  return `${location.origin}/connect/token`;
}

// The form parameters of the token request, in seed 003's order.
export function tokenParams({ clientId, scope, resource, tenant, secret }) {
  const p = [
    ['grant_type', 'client_credentials'],
    ['client_id', clientId],
    ['client_secret', secret || SECRET_PLACEHOLDER],
  ];
  if (scope) p.push(['scope', scope]);
  if (resource) p.push(['resource', resource]);
  p.push(['acr_values', `tenant:${tenant || '<your tenant key>'}`]);
  return p;
}

const shq = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;

export function curlCommand(o) {
  const lines = [`curl -X POST ${shq(tokenUrl())}`, `  -H 'Content-Type: application/x-www-form-urlencoded'`];
  for (const [k, v] of tokenParams(o)) lines.push(`  --data-urlencode ${shq(`${k}=${v}`)}`);
  return lines.join(' \\\n');
}

// A Postman v2.1 collection with the token request prefilled; the secret is
// the collection variable {{client_secret}} (empty: the person fills it in
// Postman), and a test script keeps the answer's access_token in
// {{access_token}}.
export function postmanCollection(o) {
  const url = new URL(tokenUrl());
  const params = tokenParams({ ...o, secret: '{{client_secret}}' });
  const id = crypto.randomUUID ? crypto.randomUUID() : String(Date.now());
  return {
    info: {
      _postman_id: id,
      name: `gatehouse – ${o.appName}`,
      description: `Get an access token for the app "${o.appName}" (client_id ${o.clientId}). Set the collection variable client_secret first.`,
      schema: 'https://schema.getpostman.com/json/collection/v2.1.0/collection.json',
    },
    item: [
      {
        name: 'Get an access token',
        event: [
          {
            listen: 'test',
            script: {
              type: 'text/javascript',
              exec: [
                'const body = pm.response.json();',
                "if (body.access_token) pm.collectionVariables.set('access_token', body.access_token);",
              ],
            },
          },
        ],
        request: {
          method: 'POST',
          header: [{ key: 'Content-Type', value: 'application/x-www-form-urlencoded' }],
          body: {
            mode: 'urlencoded',
            urlencoded: params.map(([key, value]) => ({ key, value, type: 'text' })),
          },
          url: {
            raw: url.href,
            protocol: url.protocol.replace(':', ''),
            host: url.hostname.split('.'),
            port: url.port || undefined,
            path: url.pathname.split('/').filter(Boolean),
          },
        },
      },
    ],
    variable: [
      { key: 'client_secret', value: '', type: 'string' },
      { key: 'access_token', value: '', type: 'string' },
    ],
  };
}

// The panel. resources: [{label, audience}] of the app's subscribed APIs.
export function tokenPanel({ app, tenant, resources }) {
  const scope = app.scopes && app.scopes.length ? app.scopes.join(' ') : 'profile';
  const opts = {
    clientId: app.client_id,
    scope,
    tenant,
    appName: app.name,
    resource: resources.length ? resources[0].audience : 'connectapi',
  };
  const pre = h('pre', { 'aria-label': 'curl command' }, h('code', null, curlCommand(opts)));
  const pick =
    resources.length > 1
      ? field({
          label: 'API (resource)',
          name: 'resource',
          options: resources.map((r) => ({ value: r.audience, label: `${r.label} (${r.audience})` })),
          value: opts.resource,
        })
      : null;
  if (pick) {
    pick.querySelector('select').addEventListener('change', (ev) => {
      opts.resource = ev.target.value;
      pre.firstChild.textContent = curlCommand(opts);
    });
  }
  return section(
    'Get a token',
    h(
      'p',
      null,
      'Ask the token service for an access token with the client credentials grant. Replace ',
      h('code', null, SECRET_PLACEHOLDER),
      " with your app's client secret. The token is valid for ",
      String(app.access_token_validity_secs || 86400),
      ' seconds; reuse it until it expires.',
    ),
    tenant
      ? null
      : h(
          'p',
          { class: 'hint' },
          'Your organization has no tenant key yet: ask a platform admin, then use it in acr_values.',
        ),
    pick,
    pre,
    h(
      'div',
      { class: 'actions' },
      copyButton(() => pre.textContent, 'Copy curl command'),
      button('Download Postman collection', () => {
        const c = postmanCollection(opts);
        const safe = app.name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'app';
        download(`gatehouse-${safe}.postman_collection.json`, 'application/json', JSON.stringify(c, null, 2));
      }),
    ),
  );
}
