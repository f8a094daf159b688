// How gatehouse serves the web portal and console, seen from a real browser:
// every page and asset carries the security headers, assets come from the
// versioned /static/<hash>/ prefix and are cached for a year, pages
// revalidate with their ETag, and no page breaks its own
// Content-Security-Policy (no `securitypolicyviolation` event in the page,
// no report reaching /csp-report: the harness checks both at the end of
// each test and when the server stops).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import {
  startServer,
  launchBrowser,
  newPage,
  assertNoCspViolations,
  seedWorld,
  useSession,
  crawlHashRoutes,
  settle,
} from './harness.mjs';

const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; " +
  'report-uri /csp-report';

const PAGES = ['/', '/verify-email?token=not-a-real-token', '/password-reset?token=not-a-real-token', '/console/', '/console'];

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

function assertSecurityHeaders(r, what) {
  const h = r.headers();
  assert.equal(h['content-security-policy'], CSP, `${what}: CSP`);
  assert.equal(h['x-content-type-options'], 'nosniff', `${what}: X-Content-Type-Options`);
  assert.equal(h['referrer-policy'], 'no-referrer', `${what}: Referrer-Policy`);
  assert.equal(h['x-frame-options'], 'DENY', `${what}: X-Frame-Options`);
}

/** Loads path in the page, recording every response from the server. */
async function load(page, path) {
  const responses = [];
  const onResponse = (r) => {
    if (r.url().startsWith(server.url('/'))) responses.push(r);
  };
  page.on('response', onResponse);
  const doc = await page.goto(server.url(path), { waitUntil: 'networkidle' });
  page.off('response', onResponse);
  return { doc, responses };
}

for (const path of PAGES) {
  const names = { '/': '/ (the portal)', '/console/': '/console/ (with the slash)' };
  const name = names[path] ?? path.split('?')[0];
  test(`${name} loads with its assets, the security headers and no CSP violation`, async (t) => {
    const page = await newPage(t, browser, server);
    const { doc, responses } = await load(page, path);
    assert.equal(doc.status(), 200);
    assert.equal(doc.headers()['content-type'], 'text/html; charset=utf-8');
    assert.equal(doc.headers()['cache-control'], 'no-cache');
    assert.match(doc.headers().etag, /^"[0-9a-f]{64}"$/);
    assertSecurityHeaders(doc, path);

    const assets = responses.filter((r) => new URL(r.url()).pathname.startsWith('/static/'));
    assert.ok(assets.some((r) => r.request().resourceType() === 'script'), 'the page loads its script from /static/');
    assert.ok(assets.some((r) => r.request().resourceType() === 'stylesheet'), 'the page loads its stylesheet from /static/');
    const prefix = new URL(assets[0].url()).pathname.split('/').slice(0, 3).join('/');
    assert.match(prefix, /^\/static\/[0-9a-f]{16}$/);
    for (const r of assets) {
      const what = new URL(r.url()).pathname;
      assert.ok(what.startsWith(`${prefix}/`), `${what}: one prefix for every asset`);
      assert.equal(r.status(), 200, what);
      assert.equal(r.headers()['cache-control'], 'public, max-age=31536000, immutable', what);
      assertSecurityHeaders(r, what);
    }
    // The page's scripts ran: the document is more than its static markup.
    await page.waitForFunction(() => document.body && document.body.innerText.trim().length > 0);
    assert.deepEqual(page.pageErrors, [], 'uncaught errors in the page');
    assertNoCspViolations(page);
  });
}

test('a page revalidates with its ETag: 304 and no body, then 200 once it differs', async () => {
  const first = await server.api('GET', '/');
  assert.equal(first.status, 200);
  const etag = first.headers.get('etag');
  const again = await server.api('GET', '/', { headers: { 'If-None-Match': etag } });
  assert.equal(again.status, 304);
  assert.equal(again.body, '');
  assert.equal(again.headers.get('etag'), etag);
  assert.equal(again.headers.get('cache-control'), 'no-cache');
  assert.equal(again.headers.get('content-security-policy'), CSP);
  const other = await server.api('GET', '/', { headers: { 'If-None-Match': '"0000"' } });
  assert.equal(other.status, 200);
  assert.match(other.body, /<script type="module" src="\/static\/[0-9a-f]{16}\//);
  assert.doesNotMatch(other.body, /\{\{static\}\}/);
});

test('a second visit takes the assets from the browser cache and revalidates only the page', async (t) => {
  const page = await newPage(t, browser, server);
  const staticRoute = 'gatehouse_http_requests_total{route="/static/{hash}/{path...}"';
  const pageRoute = 'gatehouse_http_requests_total{route="/"';
  const { responses } = await load(page, '/');
  assert.ok(responses.length > 2);
  const staticBefore = await server.metric(staticRoute);
  const pageBefore = await server.metric(pageRoute);
  await load(page, '/');
  assert.equal(await server.metric(staticRoute), staticBefore, 'an immutable asset was fetched again');
  assert.equal(await server.metric(pageRoute), pageBefore + 1, 'the page was not revalidated');
});

test('a script the page did not ship is blocked, seen in the page and reported to /csp-report', async (t) => {
  const control = await startServer();
  try {
    const page = await newPage(t, browser, control);
    await page.goto(control.url('/'), { waitUntil: 'networkidle' });
    const ran = await page.evaluate(() => {
      window.__injected = false;
      const s = document.createElement('script');
      s.textContent = 'window.__injected = true;';
      document.body.append(s);
      return window.__injected;
    });
    assert.equal(ran, false, 'an inline script ran despite the CSP');
    await page.waitForFunction(() => true);
    for (let i = 0; i < 100 && page.cspViolations.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(page.cspViolations.length, 1, JSON.stringify(page.cspViolations));
    assert.match(page.cspViolations[0].directive, /^script-src/);
    let counted = 0;
    for (let i = 0; i < 100 && counted === 0; i++) {
      counted = await control.metric('gatehouse_csp_violations_total');
      if (!counted) await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(counted, 1);
    const logged = control.logRecords().filter((r) => r.msg === 'web.csp_violation');
    assert.equal(logged.length, 1);
    assert.match(logged[0].directive, /^script-src/);
    assert.equal(logged[0].document_uri, control.url('/'));
    page.cspViolations.length = 0; // expected here; the harness would fail the test
  } finally {
    await control.stop({ allowCspReports: true });
  }
});

// The main routes of both apps: every hash route reachable through links,
// for the people who see the most (a developer with an org, an app and a
// subscription; a provider ADMIN; a platform admin).
let world;
async function theWorld() {
  world ??= await seedWorld(server);
  return world;
}

async function crawlAs(t, path, person, minRoutes) {
  const page = await newPage(t, browser, server);
  if (person) await useSession(page, server, person);
  await page.goto(server.url(path), { waitUntil: 'networkidle' });
  const routes = await crawlHashRoutes(page);
  assert.ok(routes.length >= minRoutes, `only these routes are reachable: ${JSON.stringify(routes)}`);
  assert.deepEqual(page.pageErrors, [], 'uncaught errors in the page');
  assertNoCspViolations(page);
  t.diagnostic(`routes: ${routes.join(' ')}`);
  return { page, routes };
}

test('every portal route a developer reaches has no CSP violation and no page error', async (t) => {
  const w = await theWorld();
  await crawlAs(t, '/', w.developer, 2);
});

test('every console route a provider ADMIN reaches has no CSP violation and no page error', async (t) => {
  const w = await theWorld();
  await crawlAs(t, '/console/', w.providerAdmin, 2);
});

test('every console route a platform admin reaches has no CSP violation and no page error', async (t) => {
  await theWorld();
  const page = await newPage(t, browser, server);
  await page.goto(server.url('/console/'), { waitUntil: 'networkidle' });
  const token = page.getByRole('textbox', { name: 'Platform-admin token' });
  await token.fill(server.admin);
  await token.press('Enter'); // submits its form, as a keyboard user would
  await settle(page);
  const routes = await crawlHashRoutes(page);
  assert.ok(routes.length >= 2, `only these routes are reachable: ${JSON.stringify(routes)}`);
  assert.deepEqual(page.pageErrors, [], 'uncaught errors in the page');
  assertNoCspViolations(page);
  t.diagnostic(`routes: ${routes.join(' ')}`);
});
