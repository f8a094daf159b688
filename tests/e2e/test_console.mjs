// End-to-end tests of the provider and platform-admin console (/console/).
//
// The partner side is arranged through the API (provider org with an API and
// a plan, a partner org with an app that requested activation); then people
// use the console in the browser: the provider ADMIN approves the request
// from the inbox and blocks the app (red, with a reason) and the partner sees
// both in the developer portal; a platform admin searches a developer and
// views an organization; someone with no provider or admin role is told the
// console has nothing for them.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  BIN,
  startServer,
  launchBrowser,
  newPage,
  uniqueEmail,
  assertNoCspViolations,
  screenshotPath,
} from './harness.mjs';

let server;
let browser;
// The world the tests share (see before()).
const w = {};

const APP = 'Acme Loans App';
const API = 'Loans API';

before(async () => {
  server = await startServer();
  browser = await launchBrowser();

  const provider = await server.ok(201, 'POST', '/api/v1/orgs', {
    as: 'admin',
    body: { name: 'Ola Bank', provider: true },
  });
  w.providerAdmin = await server.newPerson({ email: uniqueEmail('petra'), name: 'Petra Provider' });
  await server.ok(201, 'POST', `/api/v1/orgs/${provider.id}/members`, {
    as: 'admin',
    body: { email: w.providerAdmin.email, role: 'ADMIN' },
  });
  const api = await server.ok(201, 'POST', `/api/v1/orgs/${provider.id}/apis`, {
    as: w.providerAdmin,
    body: { name: API, service: 'ola', path_prefixes: ['/ola'], auth_method: 'access_token' },
  });
  const plan = await server.ok(201, 'POST', `/api/v1/apis/${api.id}/plans`, {
    as: w.providerAdmin,
    body: { name: 'Gold', approval: 'provider' },
  });

  w.partner = await server.newPerson({ email: uniqueEmail('paul'), name: 'Paul Partner' });
  w.partnerOrg = await server.ok(201, 'POST', '/api/v1/orgs', {
    as: w.partner,
    body: { name: 'Acme Corp', partner: true, tenant: 'acme', responsible_email: w.partner.email },
  });
  w.app = await server.ok(201, 'POST', `/api/v1/orgs/${w.partnerOrg.id}/apps`, {
    as: w.partner,
    body: { name: APP },
  });
  w.sub = await server.ok(201, 'POST', `/api/v1/apps/${w.app.id}/subscriptions`, {
    as: w.partner,
    body: { api: api.id, plan: plan.id },
  });
  assert.equal(w.sub.status, 'activation-requested');
  w.api = api;
  w.plan = plan;
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

// A fresh browser page for test t (harness.newPage: screenshot and CSP check
// at the end) that also fails the test on an uncaught JavaScript error.
async function openPage(t, opts) {
  const page = await newPage(t, browser, server, opts);
  t.after(() => assert.deepEqual(page.pageErrors, [], 'uncaught errors in the page'));
  return page;
}

// Logs in through the console's own form.
async function consoleLogin(page, person) {
  await page.goto(server.url('/console/'));
  await page.getByRole('heading', { name: 'Gatehouse console' }).waitFor();
  const form = page.getByRole('form', { name: 'Log in with email and password' });
  await form.getByLabel('Email').fill(person.email);
  await form.getByLabel('Password').fill(person.password);
  await form.getByRole('button', { name: 'Log in' }).click();
}

// Logs in through the developer portal's form and opens the app's page.
async function portalAppPage(page, person, appId) {
  await page.goto(server.url('/#/login'));
  const form = page.getByRole('form', { name: 'Log in' });
  await form.getByLabel('Email').fill(person.email);
  await form.getByLabel('Password').fill(person.password);
  await form.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL((u) => !u.hash.startsWith('#/login'));
  await page.goto(server.url(`/#/apps/${appId}`));
}

test('provider approves an activation request, then blocks the app with a reason', async (t) => {
  const page = await openPage(t);
  await consoleLogin(page, w.providerAdmin);

  // The inbox is the provider's first page; the request waits there.
  await page.getByRole('heading', { name: 'Activation requests', level: 1 }).waitFor();
  const request = page.getByRole('listitem', { name: `${APP} requests ${API}` });
  await request.getByText('Acme Corp').waitFor();
  await request.getByText('activation-requested').waitFor();
  await request.getByLabel('Reason (told to the partner)').fill('Welcome aboard');
  await request.getByRole('button', { name: 'Approve' }).click();
  await page.getByText(`Approved: ${APP} may now use ${API}.`).waitFor();
  await page.getByText('No activation requests are waiting.').waitFor();
  const sub = await server.ok(200, 'GET', `/api/v1/subscriptions/${w.sub.id}`, { as: 'admin' });
  assert.equal(sub.status, 'active');

  // The partner sees the subscription active in the portal.
  const partner = await openPage(t);
  await portalAppPage(partner, w.partner, w.app.id);
  await partner.getByText('active', { exact: true }).first().waitFor();

  // All subscriptions: active, with the access-token hash and its method (seed 000).
  await page.getByRole('link', { name: 'Subscriptions' }).click();
  await page.getByRole('heading', { name: 'Subscriptions', level: 1 }).waitFor();
  const row = page.getByRole('row').filter({ hasText: APP });
  await row.getByText('active', { exact: true }).waitFor();
  assert.match(await row.locator('code.hash').textContent(), /^[0-9a-f]{64}$/);
  await row.getByText('sha256').waitFor();

  // Red needs a reason: the API's error appears next to the reason field.
  const card = page.getByRole('listitem', { name: `App ${APP}` });
  await card.getByRole('combobox', { name: `Access status of ${APP}` }).selectOption('red');
  await card.getByRole('button', { name: `Set access status of ${APP}` }).click();
  await page
    .getByRole('dialog', { name: `Block ${APP}?` })
    .getByRole('button', { name: 'Set red' })
    .click();
  const reasonError = card.locator('[data-error-for="reason"]');
  await reasonError.waitFor();
  assert.ok((await reasonError.textContent()).length > 0);

  // With a reason, after confirming, the app is red.
  const reason = 'Unpaid invoice 2026-11';
  await card.getByRole('textbox', { name: `Reason for ${APP}` }).fill(reason);
  await card.getByRole('button', { name: `Set access status of ${APP}` }).click();
  const dialog = page.getByRole('dialog', { name: `Block ${APP}?` });
  await dialog.getByRole('button', { name: 'Set red' }).click();
  await page
    .getByRole('listitem', { name: `App ${APP}` })
    .getByText(`— ${reason}`)
    .waitFor();
  const statuses = await server.ok(200, 'GET', `/api/v1/apps/${w.app.id}/access-status`, { as: 'admin' });
  assert.equal(statuses.items[0].status, 'red');
  assert.equal(statuses.items[0].reason, reason);
  await page.screenshot({ path: screenshotPath(t, '--console'), fullPage: true });

  // The partner's portal shows the block with the provider's reason.
  await partner.reload();
  await partner.getByText('Access blocked').first().waitFor();
  await partner.getByText(reason).first().waitFor();

  // Green again (after confirming) restores access; the subscription stayed active.
  await card.getByRole('combobox', { name: `Access status of ${APP}` }).selectOption('green');
  await card.getByRole('button', { name: `Set access status of ${APP}` }).click();
  await page
    .getByRole('dialog', { name: `Restore access for ${APP}?` })
    .getByRole('button', { name: 'Set green' })
    .click();
  await card.getByText('green', { exact: true }).first().waitFor();
  const after = await server.ok(200, 'GET', `/api/v1/apps/${w.app.id}/access-status`, { as: 'admin' });
  assert.equal(after.items[0].status, 'green');
  assert.equal(
    (await server.ok(200, 'GET', `/api/v1/subscriptions/${w.sub.id}`, { as: 'admin' })).status,
    'active',
  );
  assertNoCspViolations(page);
  assertNoCspViolations(partner);
});

test('provider rejects a request with a reason and finds it in the audit log', async (t) => {
  const other = await server.ok(201, 'POST', `/api/v1/orgs/${w.partnerOrg.id}/apps`, {
    as: w.partner,
    body: { name: 'Acme Side Project' },
  });
  const sub = await server.ok(201, 'POST', `/api/v1/apps/${other.id}/subscriptions`, {
    as: w.partner,
    body: { api: w.api.id, plan: w.plan.id },
  });
  const page = await openPage(t);
  await consoleLogin(page, w.providerAdmin);
  const request = page.getByRole('listitem', { name: `Acme Side Project requests ${API}` });
  await request.getByLabel('Reason (told to the partner)').fill('Not for side projects');
  await request.getByRole('button', { name: 'Reject' }).click();
  // Cancel first: nothing happens.
  const dialog = page.getByRole('dialog', { name: "Reject Acme Side Project's request?" });
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await dialog.waitFor({ state: 'detached' });
  assert.equal(
    (await server.ok(200, 'GET', `/api/v1/subscriptions/${sub.id}`, { as: 'admin' })).status,
    'activation-requested',
  );
  await request.getByRole('button', { name: 'Reject' }).click();
  await dialog.getByRole('button', { name: 'Reject request' }).click();
  await page.getByText(`Rejected Acme Side Project's request for ${API}.`).waitFor();
  assert.equal(
    (await server.ok(200, 'GET', `/api/v1/subscriptions/${sub.id}`, { as: 'admin' })).status,
    'inactive',
  );
  const history = await server.ok(200, 'GET', `/api/v1/subscriptions/${sub.id}/history`, { as: 'admin' });
  assert.equal(history.items.at(-1).reason, 'Not for side projects');

  await page.getByRole('link', { name: 'Audit log' }).click();
  await page.getByRole('heading', { name: 'Audit log', level: 1 }).waitFor();
  await page.getByRole('textbox', { name: 'Object id' }).fill(sub.id);
  await page.getByRole('button', { name: 'Filter' }).click();
  const row = page.getByRole('row').filter({ hasText: `subscription ${sub.id}` });
  await row.getByText('Not for side projects').waitFor();
  assert.equal(await page.getByRole('row').filter({ hasText: 'app.access_status.set' }).count(), 0);
});

test('provider publishes an API with a plan; errors sit next to their field', async (t) => {
  const page = await openPage(t);
  await consoleLogin(page, w.providerAdmin);
  await page.getByRole('heading', { name: 'Activation requests', level: 1 }).waitFor();
  await page.getByRole('link', { name: 'APIs' }).click();
  await page.getByRole('link', { name: 'New API' }).click();
  await page.getByRole('heading', { name: 'New API' }).waitFor();
  await page.getByRole('textbox', { name: 'Name', exact: true }).fill('Accounts API');
  await page.getByRole('textbox', { name: 'Service', exact: true }).fill('Not A Service!');
  await page.getByLabel('Path prefixes').fill('/accounts');
  await page.getByLabel('Authentication method').selectOption('oauth2');
  await page.getByLabel('Customer number carried in').selectOption('path');
  await page.getByLabel('Customer number path template').fill('/accounts/{customerId}/balance');
  await page.getByRole('button', { name: 'Create API' }).click();
  const serviceError = page.locator('[data-error-for="service"]');
  await serviceError.waitFor();
  assert.ok((await serviceError.textContent()).length > 0);
  await page.getByRole('textbox', { name: 'Service', exact: true }).fill('accounts');
  await page.getByRole('button', { name: 'Create API' }).click();

  await page.getByRole('heading', { name: 'Accounts API', level: 1 }).waitFor();
  await page.getByText('No plans yet').waitFor();
  const planForm = page.getByRole('form', { name: 'New plan' });
  await planForm.getByLabel('Plan name').fill('Silver');
  await planForm.getByLabel('Rate limit: requests').fill('100');
  await planForm.getByLabel('Rate limit: per seconds').fill('60');
  await planForm.getByLabel('Approval').selectOption('auto');
  await planForm.getByRole('button', { name: 'Add plan' }).click();
  await page.getByRole('row').filter({ hasText: 'Silver' }).getByText('100 per 60 s').waitFor();

  // Editing: the changed settings are stored.
  await page.getByRole('textbox', { name: 'Audience' }).fill('accountsapi');
  await page.getByRole('textbox', { name: 'Required partner roles' }).fill('gold, banking');
  await page.getByRole('button', { name: 'Save API' }).click();
  await page.getByText('Saved Accounts API.').waitFor();

  const apis = await server.ok(200, 'GET', '/api/v1/apis?q=accounts', { as: 'admin' });
  const created = apis.items.find((a) => a.name === 'Accounts API');
  assert.equal(created.auth_method, 'oauth2');
  assert.equal(created.audience, 'accountsapi');
  assert.deepEqual(created.required_roles, ['gold', 'banking']);
  assert.deepEqual(created.customer_number, {
    in: 'path',
    name: 'customerId',
    template: '/accounts/{customerId}/balance',
  });

  // Plans: edit (quota instead of a rate limit), then delete after confirming.
  await page.getByRole('button', { name: 'Edit plan Silver' }).click();
  const edit = page.getByRole('form', { name: 'Edit plan Silver' });
  await edit.getByLabel('Rate limit: requests').fill('');
  await edit.getByLabel('Rate limit: per seconds').fill('');
  await edit.getByLabel('Quota: requests').fill('5000');
  await edit.getByLabel('Quota: per').selectOption('day');
  await edit.getByRole('button', { name: 'Save plan' }).click();
  const silver = page.getByRole('row').filter({ hasText: 'Silver' });
  await silver.getByText('5000 per day').waitFor();
  await silver.getByText('unlimited').waitFor();
  await page.getByRole('button', { name: 'Delete plan Silver' }).click();
  await page
    .getByRole('dialog', { name: 'Delete plan Silver?' })
    .getByRole('button', { name: 'Delete plan' })
    .click();
  await page.getByText('No plans yet').waitFor();
  assert.equal((await server.ok(200, 'GET', `/api/v1/apis/${created.id}/plans`, { as: 'admin' })).total, 0);
});

test('platform admin searches a developer and views an organization', async (t) => {
  const page = await openPage(t);
  await page.goto(server.url('/console/'));
  const form = page.getByRole('form', { name: 'Sign in with a platform-admin token' });
  await form.getByLabel('Platform-admin token').fill('ghadm_not-a-real-token');
  await form.getByRole('button', { name: 'Use token' }).click();
  await form.getByText('This is not a valid platform-admin token.').waitFor();
  await form.getByLabel('Platform-admin token').fill(server.admin);
  await form.getByRole('button', { name: 'Use token' }).click();

  await page.getByRole('heading', { name: 'Organizations', level: 1 }).waitFor();
  await page.getByRole('link', { name: 'Developers' }).click();
  await page.getByLabel('Search developers by email or name').fill('paul');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByRole('link', { name: 'Paul Partner' }).click();
  await page.getByRole('heading', { name: 'Paul Partner', level: 1 }).waitFor();
  await page.getByText(w.partner.email).waitFor();
  await page.getByRole('button', { name: 'Delete developer' }).waitFor();

  await page.getByRole('link', { name: 'Organizations' }).click();
  await page.getByRole('link', { name: 'Acme Corp' }).click();
  await page.getByRole('heading', { name: 'Acme Corp', level: 1 }).waitFor();
  await page.getByRole('row').filter({ hasText: APP }).getByText(w.app.client_id).waitFor();
  await page.getByRole('textbox', { name: 'Customer numbers' }).fill('10001\n10002');
  await page.getByRole('button', { name: 'Save customer numbers' }).click();
  await page.getByText('Acme Corp has 2 customer number(s).').waitFor();
  const org = await server.ok(200, 'GET', `/api/v1/orgs/${w.partnerOrg.id}`, { as: 'admin' });
  assert.deepEqual(org.customer_numbers, ['10001', '10002']);
  await page.getByRole('term').filter({ hasText: 'Customer numbers' }).waitFor();
  await page.getByText('10001, 10002').waitFor();

  // Custom client credentials (seed 002: platform admins only); the API's
  // error lands next to client_id.
  await page.getByRole('link', { name: `Set client credentials of ${APP}` }).click();
  await page.getByRole('heading', { name: 'Custom client credentials' }).waitFor();
  assert.equal(await page.getByRole('combobox', { name: 'App' }).inputValue(), w.app.id);
  const replace = page.getByRole('dialog', { name: 'Replace the client credentials?' });
  await page.getByRole('textbox', { name: 'New client_id' }).fill('acme loans');
  await page.getByRole('button', { name: 'Set client credentials' }).click();
  await replace.getByRole('button', { name: 'Replace credentials' }).click();
  await page.locator('[data-error-for="client_id"]').waitFor();
  await page.getByRole('textbox', { name: 'New client_id' }).fill('acme-loans');
  await page.getByLabel('New client_secret').fill('s3cret-that-is-long-enough-to-pass-32');
  await page.getByRole('button', { name: 'Set client credentials' }).click();
  await replace.getByRole('button', { name: 'Replace credentials' }).click();
  await page.getByText(`${APP} now has client_id acme-loans and the new secret.`).waitFor();
  assert.equal(await page.getByLabel('New client_secret').inputValue(), '');
  const app = await server.ok(200, 'GET', `/api/v1/apps/${w.app.id}`, { as: 'admin' });
  assert.equal(app.client_id, 'acme-loans');

  // Creating an organization: the API's error sits next to the tenant key.
  await page.getByRole('link', { name: 'Organizations' }).click();
  const create = page.getByRole('form', { name: 'New organization' });
  await create.getByRole('textbox', { name: 'Name' }).fill('Globex');
  await create.getByRole('textbox', { name: 'Tenant key' }).fill('acme');
  await create.getByRole('button', { name: 'Create organization' }).click();
  await create.locator('[data-error-for="tenant"]').waitFor();
  await create.getByRole('textbox', { name: 'Tenant key' }).fill('globex');
  await create.getByRole('button', { name: 'Create organization' }).click();
  await page.getByRole('heading', { name: 'Globex', level: 1 }).waitFor();
  await page.getByRole('textbox', { name: 'Contact phone' }).fill('+45 1234 5678');
  await page.getByRole('button', { name: 'Save organization' }).click();
  await page.getByText('Saved Globex.').waitFor();
  const globex = (await server.ok(200, 'GET', '/api/v1/orgs?q=globex', { as: 'admin' })).items[0];
  assert.equal(globex.tenant, 'globex');
  assert.equal(globex.contact.phone, '+45 1234 5678');

  // Deleting a developer asks first.
  const zed = await server.newPerson({ email: uniqueEmail('zed'), name: 'Zed Zimmer' });
  await page.getByRole('link', { name: 'Developers' }).click();
  await page.getByLabel('Search developers by email or name').fill('zimmer');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByRole('link', { name: 'Zed Zimmer' }).click();
  await page.getByRole('button', { name: 'Delete developer' }).click();
  await page
    .getByRole('dialog', { name: `Delete Zed Zimmer (${zed.email})?` })
    .getByRole('button', { name: 'Delete developer' })
    .click();
  await page.getByRole('heading', { name: 'Developers', level: 1 }).waitFor();
  assert.equal((await server.api('GET', `/api/v1/developers/${zed.user.id}`, { as: 'admin' })).status, 404);
});

test('a person made platform admin with the command line gets the admin pages at login', async (t) => {
  const person = await server.newPerson({ email: uniqueEmail('ada'), name: 'Ada Admin' });
  execFileSync(BIN, ['platform-admin', 'grant', person.email, '--db', server.db], { stdio: 'pipe' });
  const page = await openPage(t);
  await consoleLogin(page, person);
  await page.getByRole('heading', { name: 'Organizations', level: 1 }).waitFor();
  await page.getByRole('link', { name: 'Developers' }).click();
  await page.getByLabel('Search developers by email or name').fill('ada');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByRole('link', { name: 'Ada Admin' }).waitFor();
});

test('someone who is neither a provider ADMIN nor a platform admin is sent to the portal', async (t) => {
  const page = await openPage(t);
  await consoleLogin(page, { email: w.partner.email, password: 'not the password' });
  await page.getByRole('alert').filter({ hasText: 'email or password is wrong' }).waitFor();
  await consoleLogin(page, w.partner);
  await page.getByRole('heading', { name: 'Nothing for you here' }).waitFor();
  await page.getByRole('link', { name: 'the developer portal (/)' }).waitFor();
});

test('the console fits a phone screen', async (t) => {
  const page = await openPage(t, { viewport: { width: 375, height: 740 } });
  await consoleLogin(page, w.providerAdmin);
  await page.getByRole('heading', { name: 'Activation requests', level: 1 }).waitFor();
  for (const link of ['Subscriptions', 'APIs']) {
    await page.getByRole('link', { name: link, exact: true }).click();
    await page.getByRole('heading', { name: link, level: 1 }).waitFor();
    await page.getByRole('table').first().waitFor();
    // Wide tables scroll inside their box; the page itself never scrolls sideways.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${link}: the page is ${overflow}px wider than the phone`);
  }
});

test('the inbox works with the keyboard alone', async (t) => {
  const app = await server.ok(201, 'POST', `/api/v1/orgs/${w.partnerOrg.id}/apps`, {
    as: w.partner,
    body: { name: 'Acme Keyboard App' },
  });
  const sub = await server.ok(201, 'POST', `/api/v1/apps/${app.id}/subscriptions`, {
    as: w.partner,
    body: { api: w.api.id, plan: w.plan.id },
  });
  const page = await openPage(t);
  await page.goto(server.url('/console/'));
  const login = page.getByRole('form', { name: 'Log in with email and password' });
  await login.getByLabel('Email').focus();
  await page.keyboard.type(w.providerAdmin.email);
  await page.keyboard.press('Tab');
  await page.keyboard.type(w.providerAdmin.password);
  await page.keyboard.press('Enter');
  const request = page.getByRole('listitem', { name: `Acme Keyboard App requests ${API}` });
  await request.getByRole('button', { name: 'Reject' }).focus();
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog', { name: "Reject Acme Keyboard App's request?" });
  await dialog.waitFor();
  // Focus starts on Cancel, so Enter alone never destroys; Escape closes.
  assert.equal(
    await dialog.getByRole('button', { name: 'Cancel' }).evaluate((b) => b === document.activeElement),
    true,
  );
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
  await request.getByRole('button', { name: 'Approve' }).focus();
  await page.keyboard.press('Enter');
  await page.getByText(`Approved: Acme Keyboard App may now use ${API}.`).waitFor();
  assert.equal(
    (await server.ok(200, 'GET', `/api/v1/subscriptions/${sub.id}`, { as: 'admin' })).status,
    'active',
  );
});

test('provider deactivates an active subscription with a reason and reads its history', async (t) => {
  const app = await server.ok(201, 'POST', `/api/v1/orgs/${w.partnerOrg.id}/apps`, {
    as: w.partner,
    body: { name: 'Acme Batch App' },
  });
  const sub = await server.ok(201, 'POST', `/api/v1/apps/${app.id}/subscriptions`, {
    as: w.partner,
    body: { api: w.api.id, plan: w.plan.id },
  });
  await server.ok(200, 'POST', `/api/v1/subscriptions/${sub.id}/activate`, { as: w.providerAdmin, body: {} });
  const page = await openPage(t);
  await consoleLogin(page, w.providerAdmin);
  await page.getByRole('heading', { name: 'Activation requests', level: 1 }).waitFor();
  await page.getByRole('link', { name: 'Subscriptions' }).click();
  await page.getByRole('button', { name: `Deactivate Acme Batch App → ${API}` }).click();
  const dialog = page.getByRole('dialog', { name: "Deactivate Acme Batch App's subscription?" });
  await dialog.getByRole('textbox', { name: 'Reason (told to the partner)' }).fill('Contract ended');
  await dialog.getByRole('button', { name: 'Deactivate' }).click();
  const row = page.getByRole('row').filter({ hasText: 'Acme Batch App' });
  await row.getByText('inactive', { exact: true }).waitFor();
  assert.equal(await row.getByRole('button', { name: /^Deactivate/ }).count(), 0);
  await page.getByRole('button', { name: `History of Acme Batch App → ${API}` }).click();
  const history = page.getByRole('region', { name: `History of Acme Batch App → ${API}` });
  await history.getByRole('row').filter({ hasText: 'Contract ended' }).getByText('deactivate').waitFor();
  assert.equal(await history.getByRole('row').count(), 1 + 3); // header + create, activate, deactivate
});
