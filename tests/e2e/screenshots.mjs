// Takes the README's screenshots: docs/screenshots/portal.png (a developer's
// app with its subscriptions) and docs/screenshots/console.png (a provider
// ADMIN's inbox of activation requests), from a world seeded through the API.
//
//   npm ci --prefix tests/e2e            (once; scripts/run-e2e.sh does it too)
//   GATEHOUSE_BIN=build/gatehouse node tests/e2e/screenshots.mjs [OUT_DIR]
//
// OUT_DIR defaults to docs/screenshots.  Same browser and flags as the tests.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { REPO, startServer, launchBrowser, seedWorld, useSession, settle } from './harness.mjs';

const out = resolve(process.argv[2] || join(REPO, 'docs', 'screenshots'));
mkdirSync(out, { recursive: true });

const server = await startServer();
const browser = await launchBrowser();
let failed = false;
try {
  const w = await seedWorld(server, { providerEmail: 'paula@acme.example', developerEmail: 'dana@globex.example' });
  // A second API with automatic approval, so the app shows an active
  // subscription beside the one waiting for the provider.
  const payments = await server.ok(201, 'POST', `/api/v1/orgs/${w.provider.id}/apis`, {
    as: w.providerAdmin,
    body: {
      name: 'Payments API',
      description: 'Card and SEPA payments with refunds and webhooks.',
      service: 'payments',
      audience: 'payments',
      path_prefixes: ['/payments'],
      auth_method: 'oauth2',
    },
  });
  const sandbox = await server.ok(201, 'POST', `/api/v1/apis/${payments.id}/plans`, {
    as: w.providerAdmin,
    body: { name: 'Sandbox', description: 'Test payments only; active at once.', approval: 'auto' },
  });
  await server.ok(201, 'POST', `/api/v1/apps/${w.app.id}/subscriptions`, {
    as: w.developer,
    body: { api: payments.id, plan: sandbox.id },
  });

  const shots = [
    { file: 'portal.png', person: w.developer, path: `/#/apps/${w.app.id}` },
    { file: 'console.png', person: w.providerAdmin, path: '/console/#/inbox' },
  ];
  for (const s of shots) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    const page = await context.newPage();
    await useSession(page, server, s.person);
    await page.goto(server.url(s.path), { waitUntil: 'networkidle' });
    await settle(page);
    await page.screenshot({ path: join(out, s.file) });
    await context.close();
    console.log(`wrote ${join(out, s.file)}`);
  }
} catch (err) {
  failed = true;
  console.error(err);
} finally {
  await browser.close();
  await server.stop();
}
process.exitCode = failed ? 1 : 0;
