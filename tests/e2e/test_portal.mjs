// The developer portal in a real browser (issue 9): a new person registers,
// verifies the address from the mail link, logs in, creates a partner
// organization and an app (the client secret is shown once and is gone after
// a reload), requests activation of an API (the provider world is set up
// through the admin API), sees the provider's decisions (active, a red
// access status with its reason), gets a working token with the "Get a
// token" panel's parameters and downloads the Postman collection; a
// READ_ONLY member sees the app read-only and a DEVELOPER its
// authentication settings read-only; API errors appear next to the field
// they name. Elements are found by role and label, so this also checks the
// labelling.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

import { startServer, launchBrowser, newPage, uniqueEmail, PASSWORD } from './harness.mjs';

let server;
let browser;
let provider;
let api;
let plan;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  provider = await server.ok(201, 'POST', '/api/v1/orgs', {
    as: 'admin',
    body: { name: 'Cube Provider', provider: true },
  });
  api = await server.ok(201, 'POST', `/api/v1/orgs/${provider.id}/apis`, {
    as: 'admin',
    body: {
      name: 'Connect API',
      description: 'Customer data for partners.',
      service: 'ola',
      audience: 'connectapi',
      path_prefixes: ['/connect'],
      auth_method: 'oauth2',
    },
  });
  plan = await server.ok(201, 'POST', `/api/v1/apis/${api.id}/plans`, {
    as: 'admin',
    body: {
      name: 'Gold',
      description: 'Plenty of calls.',
      approval: 'provider',
      rate_limit: { requests: 100, window_secs: 60 },
    },
  });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** The text of the error slot beside the control labelled `label`. */
async function fieldError(page, label) {
  const control = page.getByLabel(label, { exact: true });
  await page.waitForFunction((el) => el.getAttribute('aria-invalid') === 'true', await control.elementHandle());
  const ids = (await control.getAttribute('aria-describedby')).split(/\s+/);
  const texts = [];
  for (const id of ids) {
    const el = page.locator(`[id="${id}"].field-error`);
    if (await el.count()) texts.push(await el.textContent());
  }
  return texts.join(' ');
}

// A fresh page; waits are bounded at 10 s so a broken step fails fast.
async function portalPage(t) {
  const page = await newPage(t, browser, server);
  page.setDefaultTimeout(10000);
  return page;
}

async function logIn(page, email, password = PASSWORD) {
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

test('register, verify, log in, create an org and an app, request activation, see the provider decide', async (t) => {
  const page = await portalPage(t);
  const email = uniqueEmail('portal');

  await page.goto(server.url('/'));
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
  await page.getByRole('link', { name: 'Register as a developer' }).click();
  await page.getByRole('heading', { name: 'Register' }).waitFor();
  await page.getByLabel('Name').fill('Paula Partner');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Register' }).click();
  await page.getByText('Check your mail.').waitFor();

  // The mail's link opens the portal, which completes the verification.
  const link = server.mailLink(await server.waitMail(email), '/verify-email');
  await page.goto(link);
  await page.getByText('Your email address is verified').waitFor();
  assert.ok(!page.url().includes('token='), 'the token left the address bar');

  await logIn(page, email);
  await page.getByRole('heading', { name: 'My organizations' }).waitFor();

  // The catalog: what the API does, its authentication method and plans.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'API catalog' }).click();
  const entry = page.getByRole('article', { name: 'Connect API' });
  await entry.getByText('Customer data for partners.').waitFor();
  await entry.getByText('OAuth2 bearer token').waitFor();
  await entry.getByRole('cell', { name: 'Gold' }).waitFor();
  await entry.getByRole('cell', { name: '100 requests per 60 s' }).waitFor();

  await page.getByRole('link', { name: 'My organizations' }).click();
  await page.getByRole('link', { name: 'Create a partner organization' }).click();
  await page.getByLabel('Name').fill('Acme Partner');
  await page.getByLabel('Tenant key').fill(`acme-${process.pid}`);
  await page.getByRole('button', { name: 'Create organization' }).click();
  await page.getByRole('heading', { name: 'Acme Partner', level: 1 }).waitFor();

  await page.getByLabel('App name').fill('Shop Backend');
  await page.getByRole('button', { name: 'Create app' }).click();
  await page.getByRole('heading', { name: 'Shop Backend', level: 1 }).waitFor();
  const panel = page.getByRole('region', { name: 'Your app is created: here is its client secret' });
  await panel.getByText('you will not see this again').waitFor();
  const secret = await panel.getByLabel('Client secret').inputValue();
  assert.ok(secret.length >= 20, `a client secret is shown: ${secret}`);
  const clientId = await page.getByLabel('Client ID').inputValue();
  assert.match(clientId, /^app-/);
  const appId = new URL(page.url()).hash.split('/').pop();

  // Shown once: gone after a reload, and never in web storage.
  await page.reload();
  await page.getByRole('heading', { name: 'Shop Backend', level: 1 }).waitFor();
  assert.equal(await page.getByLabel('Client secret', { exact: true }).count(), 0, 'the secret is gone after a reload');
  assert.ok(!(await page.content()).includes(secret), 'the secret is nowhere in the page');
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
  assert.ok(!stored.includes(secret), 'the secret is not kept in web storage');

  // Request activation of the provider's API with its plan.
  const form = page.getByRole('form', { name: 'Request activation of an API' });
  await form.getByLabel('API').selectOption({ label: 'Connect API (Cube Provider)' });
  await form.getByLabel('Plan').selectOption({ label: 'Gold' });
  await form.getByRole('button', { name: 'Request activation' }).click();
  const sub = page.getByRole('article', { name: 'Subscription to Connect API' });
  await sub.locator('[data-status="activation-requested"]').first().waitFor();
  const subs = await server.ok(200, 'GET', `/api/v1/apps/${appId}/subscriptions`, { as: 'admin' });
  assert.equal(subs.items.length, 1);
  assert.equal(subs.items[0].plan_id, plan.id);
  assert.equal(subs.items[0].status, 'activation-requested');

  // The provider approves: the partner sees active, and the history.
  await server.ok(200, 'POST', `/api/v1/subscriptions/${subs.items[0].id}/activate`, {
    as: 'admin',
    body: { reason: 'welcome' },
  });
  await page.reload();
  await sub.locator('[data-status="active"]').first().waitFor();
  await sub.getByRole('button', { name: 'Show history' }).click();
  await sub.getByRole('cell', { name: 'welcome' }).waitFor();

  // "Get a token": the curl command's parameters, with the secret filled in, get a token.
  const curl = await page.getByLabel('curl command').textContent();
  const params = new URLSearchParams();
  for (const m of curl.matchAll(/--data-urlencode '([^=]+)=([^']*)'/g)) params.append(m[1], m[2]);
  assert.equal(params.get('client_id'), clientId);
  assert.equal(params.get('client_secret'), '<your client secret>');
  assert.equal(params.get('acr_values'), `tenant:acme-${process.pid}`);
  assert.equal(params.get('resource'), 'connectapi');
  assert.ok(curl.includes(server.url('/connect/token')), curl);
  params.set('client_secret', secret);
  const tok = await fetch(server.url('/connect/token'), { method: 'POST', body: params });
  const tokBody = await tok.json();
  assert.equal(tok.status, 200, JSON.stringify(tokBody));
  assert.ok(tokBody.access_token);

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Download Postman collection' }).click(),
  ]);
  const collection = JSON.parse(readFileSync(await download.path(), 'utf8'));
  assert.equal(collection.info.schema, 'https://schema.getpostman.com/json/collection/v2.1.0/collection.json');
  const req = collection.item[0].request;
  assert.equal(req.method, 'POST');
  assert.equal(req.url.raw, server.url('/connect/token'));
  const body = Object.fromEntries(req.body.urlencoded.map((p) => [p.key, p.value]));
  assert.deepEqual(body, {
    grant_type: 'client_credentials',
    client_id: clientId,
    client_secret: '{{client_secret}}',
    scope: 'profile',
    resource: 'connectapi',
    acr_values: `tenant:acme-${process.pid}`,
  });

  // Ask the provider to deactivate: confirmed first, then deactivation-requested.
  await sub.getByRole('button', { name: 'Request deactivation' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Request deactivation' }).click();
  await sub.locator('h3 [data-status="deactivation-requested"]').waitFor();
  const after = await server.ok(200, 'GET', `/api/v1/subscriptions/${subs.items[0].id}`, { as: 'admin' });
  assert.equal(after.status, 'deactivation-requested');

  // The provider blocks the app: a red banner with the provider's reason.
  await server.ok(200, 'PUT', `/api/v1/apps/${appId}/access-status`, {
    as: 'admin',
    body: { provider_org: provider.id, status: 'red', reason: 'Unpaid invoice 4711' },
  });
  await page.reload();
  const red = page.getByRole('alert').filter({ hasText: 'Access blocked by Cube Provider' });
  await red.getByText('Unpaid invoice 4711').waitFor();

  // Log out: the session ends, the portal's pages ask for a login again.
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
  await page.goto(server.url(`/#/apps/${appId}`));
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
});

test('a READ_ONLY member sees the app read-only, a DEVELOPER its authentication settings read-only', async (t) => {
  const owner = await server.newPerson({ name: 'Olga Owner' });
  const org = await server.ok(201, 'POST', '/api/v1/orgs', {
    as: owner,
    body: { name: 'Ro Partner', partner: true, tenant: `ro-${process.pid}` },
  });
  const app = await server.ok(201, 'POST', `/api/v1/orgs/${org.id}/apps`, {
    as: owner,
    body: { name: 'Ro App', redirect_uris: ['https://ro.example/cb'] },
  });
  const reader = await server.newPerson({ name: 'Rita Reader' });
  await server.ok(201, 'POST', `/api/v1/orgs/${org.id}/members`, {
    as: owner,
    body: { email: reader.email, role: 'DEVELOPER' },
  });
  await server.ok(201, 'POST', `/api/v1/apps/${app.id}/members`, {
    as: owner,
    body: { email: reader.email, role: 'READ_ONLY' },
  });

  const page = await portalPage(t);
  await page.goto(server.url('/'));
  await logIn(page, reader.email);
  await page.getByRole('heading', { name: 'My organizations' }).waitFor();
  await page.goto(server.url(`/#/apps/${app.id}`));
  await page.getByRole('heading', { name: 'Ro App', level: 1 }).waitFor();
  await page.getByText('You have READ_ONLY access').waitFor();

  const settings = page.getByRole('form', { name: 'App settings' });
  assert.ok((await settings.locator('input, textarea, select').count()) > 5, 'the settings are shown');
  assert.equal(
    await settings.locator('input:enabled, textarea:enabled, select:enabled').count(),
    0,
    'no enabled input',
  );
  assert.equal(await page.getByLabel('Redirect URIs').inputValue(), 'https://ro.example/cb');
  for (const name of [
    'Save settings',
    'Rotate client secret',
    'Create API key',
    'Add certificate',
    'Add app member',
    'Request activation',
    'Delete app',
  ]) {
    assert.equal(await page.getByRole('button', { name }).count(), 0, `no "${name}" button`);
  }
  assert.equal(await page.getByRole('combobox', { name: /App role of/ }).count(), 0, 'member roles are not editable');

  // As DEVELOPER: details editable, authentication settings not.
  await server.ok(200, 'PATCH', `/api/v1/apps/${app.id}/members/${reader.user.id}`, {
    as: owner,
    body: { role: 'DEVELOPER' },
  });
  await page.reload();
  await page.getByText('You are a DEVELOPER on this app').waitFor();
  assert.ok(await page.getByLabel('Name', { exact: true }).isEnabled());
  assert.ok(await page.getByLabel('Redirect URIs').isDisabled());
  assert.ok(await page.getByLabel('Access token type').isDisabled());
  await page.getByLabel('Description').fill('Edited by the developer');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await page.getByText('Settings saved.').waitFor();
  const saved = await server.ok(200, 'GET', `/api/v1/apps/${app.id}`, { as: 'admin' });
  assert.equal(saved.description, 'Edited by the developer');
  assert.deepEqual(saved.redirect_uris, ['https://ro.example/cb']);
  assert.equal(await page.getByRole('button', { name: 'Rotate client secret' }).count(), 0);
});

test('API errors appear next to the field they name', async (t) => {
  const page = await portalPage(t);
  const person = await server.newPerson();

  // A wrong password: the login's error (it names no field) sits beside Password.
  await page.goto(server.url('/#/login'));
  await logIn(page, person.email, 'not the right password at all');
  assert.match(await fieldError(page, 'Password'), /email or password is wrong/);
  assert.equal(await page.getByRole('heading', { name: 'Log in' }).count(), 1, 'still on the login page');

  // A 400 naming "token": a mail link with a bad token.
  await page.goto(server.url('/verify-email?token=not-a-real-token'));
  assert.notEqual(await fieldError(page, 'Verification token'), '');

  // A 422 naming "password" when registering.
  await page.goto(server.url('/#/register'));
  await page.getByLabel('Name').fill('Shorty');
  await page.getByLabel('Email').fill(uniqueEmail('short'));
  await page.getByLabel('Password').fill('abc');
  await page.getByRole('button', { name: 'Register' }).click();
  assert.match(await fieldError(page, 'Password'), /10/);
});

test('an OWNER manages org members, API keys (shown once), certificates and the client secret; removals confirm first', async (t) => {
  const owner = await server.newPerson({ name: 'Oscar Owner' });
  const mate = await server.newPerson({ name: 'Mia Mate' });
  const org = await server.ok(201, 'POST', '/api/v1/orgs', {
    as: owner,
    body: { name: 'Keys Partner', partner: true, tenant: `keys-${process.pid}` },
  });
  const app = await server.ok(201, 'POST', `/api/v1/orgs/${org.id}/apps`, { as: owner, body: { name: 'Keys App' } });

  const page = await portalPage(t);
  await page.goto(server.url('/'));
  await logIn(page, owner.email);
  await page.getByRole('link', { name: 'Keys Partner' }).click();
  await page.getByRole('heading', { name: 'Keys Partner', level: 1 }).waitFor();

  // Members: add by email, change the role, remove after confirming.
  await page.getByLabel('Member email').fill(mate.email);
  await page.getByRole('button', { name: 'Add member' }).click();
  const role = page.getByRole('combobox', { name: `Role of ${mate.email}` });
  await role.waitFor();
  await role.selectOption('ADMIN');
  await page.getByText(`${mate.email} is now ADMIN.`).waitFor();
  let members = await server.ok(200, 'GET', `/api/v1/orgs/${org.id}/members`, { as: 'admin' });
  assert.equal(members.items.find((m) => m.email === mate.email).role, 'ADMIN');
  await page.getByRole('button', { name: `Remove ${mate.email}` }).click();
  const dialog = page.getByRole('dialog', { name: `Remove ${mate.email}?` });
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  members = await server.ok(200, 'GET', `/api/v1/orgs/${org.id}/members`, { as: 'admin' });
  assert.ok(
    members.items.some((m) => m.email === mate.email),
    'Cancel keeps the member',
  );
  await page.getByRole('button', { name: `Remove ${mate.email}` }).click();
  await dialog.getByRole('button', { name: 'Remove' }).click();
  await page.getByText(`${mate.email} removed.`).waitFor();
  members = await server.ok(200, 'GET', `/api/v1/orgs/${org.id}/members`, { as: 'admin' });
  assert.ok(!members.items.some((m) => m.email === mate.email), 'the member is removed');

  // API keys: the key is shown once; revoking confirms first.
  await page.getByRole('link', { name: 'Keys App' }).click();
  await page.getByRole('heading', { name: 'Keys App', level: 1 }).waitFor();
  await page.getByLabel('Key name').fill('billing job');
  await page.getByRole('button', { name: 'Create API key' }).click();
  const keyPanel = page.getByRole('region', { name: 'Your new API key "billing job"' });
  const key = await keyPanel.getByLabel('API key').inputValue();
  assert.match(key, /^ghak_/);
  await keyPanel.getByText('you will not see this again').waitFor();
  await page.getByRole('cell', { name: 'billing job', exact: true }).waitFor();
  await page.getByRole('button', { name: 'Revoke API key billing job' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Revoke' }).click();
  await page.getByText('No API keys.').waitFor();
  const keys = await server.ok(200, 'GET', `/api/v1/apps/${app.id}/api-keys`, { as: 'admin' });
  assert.equal(keys.items.length, 0);

  // Certificates: a bad PEM is refused next to the field, a good one is listed.
  await page.getByLabel('Certificate (PEM)').fill('not a certificate');
  await page.getByRole('button', { name: 'Add certificate' }).click();
  assert.notEqual(await fieldError(page, 'Certificate (PEM)'), '');
  const pem = execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      '/dev/null',
      '-subj',
      '/CN=e2e-portal-client',
      '-days',
      '2',
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
  );
  await page
    .getByLabel('Certificate file')
    .setInputFiles({ name: 'client.pem', mimeType: 'text/plain', buffer: Buffer.from(pem) });
  await page.waitForFunction(() => document.querySelector('textarea[name="pem"]').value.includes('BEGIN CERTIFICATE'));
  await page.getByRole('button', { name: 'Add certificate' }).click();
  await page
    .getByRole('cell', { name: /CN=e2e-portal-client/ })
    .first()
    .waitFor();
  const certs = await server.ok(200, 'GET', `/api/v1/apps/${app.id}/certificates`, { as: 'admin' });
  assert.equal(certs.items.length, 1);

  // Rotating the client secret confirms first and shows the new secret once.
  await page.getByLabel('Keep the current secret working for (seconds)').fill('3600');
  await page.getByRole('button', { name: 'Rotate client secret' }).click();
  await page.getByRole('dialog', { name: 'Rotate the client secret?' }).getByRole('button', { name: 'Rotate' }).click();
  const rotated = page.getByRole('region', { name: 'Your new client secret' });
  const secret = await rotated.getByLabel('Client secret', { exact: true }).inputValue();
  assert.ok(secret.length >= 20);
  const tok = await fetch(server.url('/connect/token'), {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: app.client_id, client_secret: secret }),
  });
  assert.equal(tok.status, 200, 'the new secret works');
  const later = await server.ok(200, 'GET', `/api/v1/apps/${app.id}`, { as: 'admin' });
  assert.ok(later.previous_secret_expires_at, 'the old secret keeps working for the grace period');
});

test('password reset from the mail link, on a phone-sized screen without sideways scrolling', async (t) => {
  const person = await server.newPerson();
  const page = await newPage(t, browser, server, { viewport: { width: 390, height: 844 } });
  page.setDefaultTimeout(10000);
  await page.goto(server.url('/#/login'));
  await page.getByRole('link', { name: 'Forgot your password?' }).click();
  await page.getByLabel('Email').fill(person.email);
  await page.getByRole('button', { name: 'Send reset link' }).click();
  await page.getByText('a mail with a reset link is on its way').waitFor();

  const link = server.mailLink(await server.waitMail(person.email, { count: 2 }), '/password-reset');
  await page.goto(link);
  await page.getByRole('heading', { name: 'Set a new password' }).waitFor();
  const fresh = 'another long passphrase 1984';
  await page.getByLabel('New password', { exact: true }).fill(fresh);
  await page.getByRole('button', { name: 'Set password' }).click();
  await page.getByText('Your password is changed').waitFor();
  await logIn(page, person.email, fresh);
  await page.getByRole('heading', { name: 'My organizations' }).waitFor();
  const wide = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
  assert.equal(wide, false, 'the page fits the phone screen');
});
