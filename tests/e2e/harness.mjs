// End-to-end harness: the real gatehouse binary, a real headless Chromium.
//
// Node 20's built-in test runner (node:test) and playwright-core (pinned in
// package.json / package-lock.json, installed by scripts/run-e2e.sh with
// `npm ci`).  The binary is $GATEHOUSE_BIN (default build/gatehouse); the
// browser is Debian's /usr/bin/chromium ($GATEHOUSE_CHROMIUM overrides),
// launched with the flags of issue 9.  Screenshots go to
// $GATEHOUSE_E2E_ARTIFACTS (default build/e2e-artifacts).
//
//   import { test, before, after } from 'node:test';
//   import { startServer, launchBrowser, newPage } from './harness.mjs';
//
//   let server, browser;
//   before(async () => { server = await startServer(); browser = await launchBrowser(); });
//   after(async () => { await browser?.close(); await server?.stop(); });
//
//   test('the portal opens', async (t) => {
//     const page = await newPage(t, browser, server);   // fresh cookies
//     await page.goto(server.url('/'));
//     await page.getByRole('heading', { name: 'Log in' }).waitFor();
//   });
//
// Each server runs in its own temporary directory (database gh.db, mail
// directory mail/, its stdout and stderr) on a free loopback port, with
// --public-url pointing at that port, so links in mails open in the browser.
// server.admin is a platform-admin bearer token (`gatehouse admin-token
// create`, like tests/integration/api.py).  newPage() gives each test a
// browser context of its own; when the test ends it saves a screenshot of
// the last page and fails the test if the page saw a Content-Security-Policy
// violation (a `securitypolicyviolation` event).  server.stop() fails if the
// server counted any CSP report (gatehouse_csp_violations_total) or exited
// with a status other than 0 (under AddressSanitizer that is the leak check).

import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, openSync, closeSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import assert from 'node:assert/strict';

import { chromium } from 'playwright-core';

const run = promisify(execFile);

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = resolve(process.env.GATEHOUSE_BIN || join(REPO, 'build', 'gatehouse'));
export const CHROMIUM = process.env.GATEHOUSE_CHROMIUM || '/usr/bin/chromium';
export const ARTIFACTS = resolve(process.env.GATEHOUSE_E2E_ARTIFACTS || join(REPO, 'build', 'e2e-artifacts'));
// Generous: sanitizer builds start and answer slower.
export const START_TIMEOUT_MS = Number(process.env.GATEHOUSE_START_TIMEOUT || 15) * 1000;
const KEEP_TMP = process.env.GATEHOUSE_KEEP_TMP === '1';

// Issue 9: exactly these Chromium flags.
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
];

export const PASSWORD = 'correct horse battery staple 42';
let seq = 0;

/** A unique address for a new person ("dev-<pid>-<n>@example.test"). */
export function uniqueEmail(stem = 'dev') {
  seq += 1;
  return `${stem}-${process.pid}-${seq}@example.test`;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A loopback port that was free a moment ago. */
export function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.unref();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

// ---- mail -------------------------------------------------------------------

function decodeQuotedPrintable(s) {
  const bytes = [];
  const text = s.replace(/=\r?\n/g, '');
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      for (const b of Buffer.from(c, 'utf8')) bytes.push(b);
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function decodeWords(s) {
  return s.replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_, _cs, enc, data) =>
    enc.toUpperCase() === 'B'
      ? Buffer.from(data, 'base64').toString('utf8')
      : decodeQuotedPrintable(data.replace(/_/g, ' ')),
  );
}

function splitMessage(raw) {
  const at = raw.search(/\r?\n\r?\n/);
  const head = at < 0 ? raw : raw.slice(0, at);
  const body = at < 0 ? '' : raw.slice(at).replace(/^\r?\n\r?\n/, '');
  const headers = {};
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return { headers, body };
}

function decodeBody(part) {
  const enc = (part.headers['content-transfer-encoding'] || '').toLowerCase();
  if (enc === 'quoted-printable') return decodeQuotedPrintable(part.body);
  if (enc === 'base64') return Buffer.from(part.body.replace(/\s+/g, ''), 'base64').toString('utf8');
  return part.body;
}

/** Parses one .eml file: { to, subject, text (the text/plain part), html, file }. */
export function parseMail(file) {
  const raw = readFileSync(file, 'utf8');
  const msg = splitMessage(raw);
  const mail = { file, to: decodeWords(msg.headers.to || ''), subject: decodeWords(msg.headers.subject || ''), text: '', html: '' };
  const ctype = msg.headers['content-type'] || 'text/plain';
  const boundary = /boundary="?([^";]+)"?/i.exec(ctype);
  const parts = boundary
    ? msg.body.split(`--${boundary[1]}`).slice(1).filter((p) => !p.startsWith('--')).map((p) => splitMessage(p.replace(/^\r?\n/, '')))
    : [msg];
  for (const p of parts) {
    const t = (p.headers['content-type'] || 'text/plain').toLowerCase();
    if (t.startsWith('text/plain') && !mail.text) mail.text = decodeBody(p);
    else if (t.startsWith('text/html') && !mail.html) mail.html = decodeBody(p);
  }
  return mail;
}

// ---- the server ------------------------------------------------------------------

export class Server {
  constructor({ args = [], env = {} } = {}) {
    this.args = args;
    this.env = env;
    this.proc = null;
    this.exit = null;
  }

  get mailDir() {
    return join(this.tmpdir, 'mail');
  }

  get db() {
    return join(this.tmpdir, 'gh.db');
  }

  /** An absolute URL on this server. */
  url(path = '/') {
    return `${this.base}${path}`;
  }

  stderrText() {
    try {
      return readFileSync(join(this.tmpdir, 'stderr.log'), 'utf8');
    } catch {
      return '';
    }
  }

  /** The server's JSON log records (stderr), parsed; other lines skipped. */
  logRecords() {
    const out = [];
    for (const line of this.stderrText().split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        out.push(JSON.parse(line));
      } catch {
        // a line being written right now
      }
    }
    return out;
  }

  async start() {
    this.tmpdir = mkdtempSync(join(tmpdir(), 'gh-e2e-'));
    mkdirSync(this.mailDir);
    // A port chosen before the start, so --public-url can name it; another
    // process may take it meanwhile, hence the retries.
    for (let attempt = 1; ; attempt++) {
      this.port = await freePort();
      this.base = `http://127.0.0.1:${this.port}`;
      const argv = [
        'serve',
        '--listen', `127.0.0.1:${this.port}`,
        '--db', this.db,
        '--mail-dir', this.mailDir,
        '--public-url', this.base,
        ...this.args,
      ];
      const out = openSync(join(this.tmpdir, 'stdout.log'), 'w');
      const err = openSync(join(this.tmpdir, 'stderr.log'), 'w');
      this.exit = null;
      this.proc = spawn(BIN, argv, { cwd: this.tmpdir, env: { ...process.env, ...this.env }, stdio: ['ignore', out, err] });
      closeSync(out);
      closeSync(err);
      this.exited = new Promise((res) => this.proc.on('exit', (code, signal) => res((this.exit = { code, signal }))));
      const ok = await this.waitListening();
      if (ok) break;
      const bindFailed = /cannot listen on .*address already in use/i.test(this.stderrText());
      if (!bindFailed || attempt === 3) throw new Error(`gatehouse did not start (exit ${JSON.stringify(this.exit)}):\n${this.stderrText()}`);
    }
    const tok = await run(BIN, ['admin-token', 'create', '--db', this.db, '--name', 'e2e'], { cwd: this.tmpdir });
    this.admin = tok.stdout.trim();
    assert.ok(this.admin, 'admin-token create printed no token');
    return this;
  }

  async waitListening() {
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (this.logRecords().some((r) => r.msg === 'server.listening')) return true;
      if (this.exit) return false;
      await sleep(20);
    }
    this.proc.kill('SIGKILL');
    throw new Error(`no server.listening log line within ${START_TIMEOUT_MS} ms:\n${this.stderrText()}`);
  }

  /**
   * One HTTP request with fetch.  as: undefined (anonymous), 'admin' (the
   * platform-admin token), a Person ({cookie, csrf}: session cookie and, on
   * writes, X-CSRF-Token) or {token} (any bearer token).  body (an object)
   * is sent as JSON.  Returns { status, headers, body (parsed JSON, or the
   * text) }.
   */
  async api(method, path, { body, as, headers = {} } = {}) {
    const h = { ...headers };
    if (body !== undefined) h['Content-Type'] ??= 'application/json';
    if (as === 'admin') h.Authorization = `Bearer ${this.admin}`;
    else if (as?.token) h.Authorization = `Bearer ${as.token}`;
    else if (as?.cookie) {
      h.Cookie = `gh_session=${as.cookie}`;
      if (method !== 'GET' && method !== 'HEAD') h['X-CSRF-Token'] = as.csrf;
    }
    const r = await fetch(this.url(path), {
      method,
      headers: h,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      redirect: 'manual',
    });
    const text = await r.text();
    let parsed = text;
    if ((r.headers.get('content-type') || '').startsWith('application/json') && text) parsed = JSON.parse(text);
    return { status: r.status, headers: r.headers, body: parsed };
  }

  /** Like api(), asserting the status; returns the body. */
  async ok(status, method, path, opts) {
    const r = await this.api(method, path, opts);
    assert.equal(r.status, status, `${method} ${path}: ${JSON.stringify(r.body)}`);
    return r.body;
  }

  /** A metric's value from /metrics (the sum over its label sets; 0 if absent). */
  // name may include the start of the label set to narrow it:
  // 'gatehouse_http_requests_total{route="/"'.
  async metric(name) {
    const r = await fetch(this.url('/metrics'));
    let sum = 0;
    for (const line of (await r.text()).split('\n')) {
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
      if (m && (m[1] === name || (name.includes('{') && line.startsWith(name)))) sum += Number(m[3]);
    }
    return sum;
  }

  // ---- mail ----

  /** Mails to address (case-insensitive), oldest first. */
  mailsTo(address) {
    let names = [];
    try {
      names = readdirSync(this.mailDir).filter((n) => n.endsWith('.eml'));
    } catch {
      return [];
    }
    return names
      .map((n) => join(this.mailDir, n))
      .map((f) => ({ f, t: statSync(f).mtimeMs }))
      .sort((a, b) => a.t - b.t)
      .map(({ f }) => parseMail(f))
      .filter((m) => m.to.toLowerCase().includes(address.toLowerCase()));
  }

  /** Waits until at least count mails to address exist; returns the newest. */
  async waitMail(address, { count = 1, timeoutMs = 10000 } = {}) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const mails = this.mailsTo(address);
      if (mails.length >= count) return mails[mails.length - 1];
      if (Date.now() > deadline) throw new Error(`no mail #${count} to ${address} in ${this.mailDir} within ${timeoutMs} ms (have ${mails.length})`);
      await sleep(50);
    }
  }

  /** The first link in a mail's text that starts with this server's URL + path (e.g. '/verify-email'). */
  mailLink(mail, path) {
    const prefix = this.url(path);
    const m = mail.text.split(/\s+/).find((w) => w.startsWith(prefix));
    assert.ok(m, `no link to ${prefix} in mail "${mail.subject}":\n${mail.text}`);
    return m.replace(/[>),.]+$/, '');
  }

  // ---- people (through the API, for arranging a test's world) ----

  /** Registers, verifies and logs in a new person; returns { email, password, user, cookie, csrf }. */
  async newPerson({ email = uniqueEmail(), name = 'Dana Developer', password = PASSWORD } = {}) {
    await this.ok(202, 'POST', '/api/v1/register', { body: { email, password, name } });
    const link = this.mailLink(await this.waitMail(email), '/verify-email');
    const token = new URL(link).searchParams.get('token');
    await this.ok(200, 'POST', '/api/v1/verify-email', { body: { token } });
    return this.login(email, password);
  }

  async login(email, password = PASSWORD) {
    const r = await this.api('POST', '/api/v1/session', { body: { email, password } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const cookie = /gh_session=([^;]*)/.exec(r.headers.getSetCookie().join('\n'))?.[1];
    assert.ok(cookie, 'no gh_session cookie');
    return { email, password, user: r.body.user, cookie, csrf: r.body.csrf_token };
  }

  /**
   * Stops the server with SIGTERM and asserts exit status 0 and that no
   * browser reported a CSP violation to it (unless allowCspReports: for a
   * test that provokes one).  Removes the temp dir unless
   * GATEHOUSE_KEEP_TMP=1 (or the stop failed).
   */
  async stop({ allowCspReports = false } = {}) {
    if (!this.proc) return;
    let violations = null;
    if (!this.exit) {
      try {
        violations = await this.metric('gatehouse_csp_violations_total');
      } catch {
        // the server is not answering: the exit status below says more
      }
      this.proc.kill('SIGTERM');
    }
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 15000);
    const { code, signal } = await this.exited;
    clearTimeout(timer);
    const reports = this.logRecords().filter((r) => r.msg === 'web.csp_violation');
    if (allowCspReports && violations !== null) violations = 0;
    const ok = code === 0 && !violations;
    if (!ok || KEEP_TMP) console.error(`# server temp dir kept: ${this.tmpdir}`);
    else rmSync(this.tmpdir, { recursive: true, force: true });
    this.proc = null;
    assert.ok(code === 0, `gatehouse exited with ${code ?? signal}:\n${this.stderrText().slice(-4000)}`);
    assert.equal(violations, 0, `browsers reported CSP violations to the server: ${JSON.stringify(reports)}`);
  }
}

/** Starts a server (see Server); stop it in an after() hook. */
export async function startServer(opts) {
  return new Server(opts).start();
}

// ---- the browser -----------------------------------------------------------------

/** Launches Debian's Chromium with issue 9's flags. */
export async function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

function fileSafe(s) {
  return s.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 100) || 'test';
}

/** Where test t's screenshot goes: <artifacts>/<test file>--<test name>.png. */
export function screenshotPath(t, suffix = '') {
  const file = fileSafe((process.argv[1] || 'e2e').split('/').pop().replace(/\.m?js$/, ''));
  return join(ARTIFACTS, `${file}--${fileSafe(t.name)}${suffix}.png`);
}

/**
 * A page in a fresh browser context (no cookies) for test t, with CSP
 * violations recorded: page.cspViolations is the list of
 * `securitypolicyviolation` events seen by any document the page loaded.
 * When t ends: a full-page screenshot of the page (the last one newPage
 * gave t: see screenshotPath), the context is closed, and the test fails
 * if there was a violation.  opts go to browser.newContext (e.g. viewport).
 */
export async function newPage(t, browser, server, opts = {}) {
  const context = await browser.newContext({ baseURL: server ? server.url('') : undefined, ...opts });
  // fail fast: a missing element is a failure, not something to wait 30 s for
  context.setDefaultTimeout(Number(process.env.GATEHOUSE_E2E_TIMEOUT_MS || 10000));
  const page = await context.newPage();
  page.cspViolations = [];
  page.pageErrors = [];
  await context.exposeBinding('__ghCspViolation', ({ frame }, v) => {
    page.cspViolations.push({ ...v, frame: frame.url() });
  });
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__ghCspViolation({
        directive: e.effectiveDirective,
        blocked: e.blockedURI,
        source: e.sourceFile,
        line: e.lineNumber,
        sample: e.sample,
      });
    });
  });
  page.on('pageerror', (err) => page.pageErrors.push(String(err)));
  t.after(async () => {
    try {
      if (!page.isClosed()) {
        mkdirSync(ARTIFACTS, { recursive: true });
        await page.screenshot({ path: screenshotPath(t), fullPage: true });
      }
    } finally {
      await context.close();
    }
    assert.deepEqual(page.cspViolations, [], 'the page saw Content-Security-Policy violations');
  });
  return page;
}

/** Asserts that the page saw no CSP violation so far (also checked when the test ends). */
export function assertNoCspViolations(page) {
  assert.deepEqual(page.cspViolations, [], 'the page saw Content-Security-Policy violations');
}

/**
 * Gives the page's browser context person's session (from server.login /
 * server.newPerson), as if they had logged in through the page: the
 * gh_session cookie, and the CSRF token where web/lib/api.js keeps it
 * (sessionStorage "gatehouse.csrf"), set before any page script runs.
 */
export async function useSession(page, server, person) {
  const context = page.context();
  await context.addCookies([{ name: 'gh_session', value: person.cookie, url: server.url('/') }]);
  await context.addInitScript(([key, value]) => {
    window.sessionStorage.setItem(key, value);
  }, ['gatehouse.csrf', person.csrf]);
}

/**
 * Waits until the page has had no request in flight for quietMs (after a
 * same-document navigation, e.g. a hash route, where Playwright's load
 * states do not wait again).
 */
export async function settle(page, { quietMs = 250, timeoutMs = 10000 } = {}) {
  let inflight = 0;
  let last = Date.now();
  const up = () => {
    inflight += 1;
    last = Date.now();
  };
  const down = () => {
    inflight = Math.max(0, inflight - 1);
    last = Date.now();
  };
  page.on('request', up);
  page.on('requestfinished', down);
  page.on('requestfailed', down);
  try {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (inflight === 0 && Date.now() - last >= quietMs) return;
      await sleep(25);
    }
    throw new Error(`the page still had ${inflight} requests in flight after ${timeoutMs} ms`);
  } finally {
    page.off('request', up);
    page.off('requestfinished', down);
    page.off('requestfailed', down);
  }
}

/**
 * Visits every hash route (#/…) reachable through links from the current
 * page, breadth first, at most max of them, by same-document navigation
 * (a signed-in state kept only in memory survives).  Returns the routes
 * visited, in order.  Links whose text or address says log out / sign out
 * are not followed.
 */
export async function crawlHashRoutes(page, { max = 30 } = {}) {
  const links = () =>
    page.$$eval('a[href^="#/"]', (as) =>
      as.filter((a) => !/log ?out|sign ?out/i.test(`${a.textContent} ${a.getAttribute('href')}`)).map((a) => a.getAttribute('href')),
    );
  await settle(page);
  const seen = new Set();
  const queue = [...new Set(await links())];
  const visited = [];
  while (queue.length && visited.length < max) {
    const href = queue.shift();
    if (seen.has(href)) continue;
    seen.add(href);
    await page.evaluate((h) => {
      window.location.hash = h;
    }, href);
    await settle(page);
    visited.push(href);
    for (const h of await links()) if (!seen.has(h)) queue.push(h);
  }
  return visited;
}

let worldSeq = 0;

/**
 * A small world through the API, as the seeds describe it: a provider
 * organization ("Acme APIs") whose ADMIN is providerAdmin, with an OAuth2
 * API and a plan needing the provider's approval; a partner organization
 * ("Globex") owned by developer, with an app and a subscription request
 * (status requested) for that API.  Names get a suffix after the first
 * world on a server; the two people's addresses are unique unless given.
 * Returns every object created and both people.
 */
export async function seedWorld(server, { providerEmail = uniqueEmail('provider'), developerEmail = uniqueEmail('partner') } = {}) {
  worldSeq += 1;
  const sfx = worldSeq === 1 ? '' : ` ${worldSeq}`;
  const tag = worldSeq === 1 ? '' : `-${worldSeq}`; // unique names for services, prefixes, tenants
  const providerAdmin = await server.newPerson({ email: providerEmail, name: 'Paula Provider' });
  const provider = await server.ok(201, 'POST', '/api/v1/orgs', { as: 'admin', body: { name: `Acme APIs${sfx}`, provider: true } });
  await server.ok(201, 'POST', `/api/v1/orgs/${provider.id}/members`, { as: 'admin', body: { email: providerAdmin.email, role: 'ADMIN' } });
  const api = await server.ok(201, 'POST', `/api/v1/orgs/${provider.id}/apis`, {
    as: providerAdmin,
    body: {
      name: `Weather API${sfx}`,
      description: 'Forecasts and observations for any place on earth, updated every ten minutes.',
      service: `weather${tag}`,
      audience: `weather${tag}`,
      path_prefixes: [`/weather${tag}`],
      auth_method: 'oauth2',
    },
  });
  const plan = await server.ok(201, 'POST', `/api/v1/apis/${api.id}/plans`, {
    as: providerAdmin,
    body: { name: 'Standard', description: 'For production use; the provider approves each request.', approval: 'provider' },
  });
  const developer = await server.newPerson({ email: developerEmail, name: 'Dana Developer' });
  const partner = await server.ok(201, 'POST', '/api/v1/orgs', {
    as: developer,
    body: { name: `Globex${sfx}`, partner: true, provider: false, tenant: `globex${tag}`, responsible_email: developer.email },
  });
  const app = await server.ok(201, 'POST', `/api/v1/orgs/${partner.id}/apps`, { as: developer, body: { name: `Globex Shop${sfx}` } });
  const subscription = await server.ok(201, 'POST', `/api/v1/apps/${app.id}/subscriptions`, {
    as: developer,
    body: { api: api.id, plan: plan.id },
  });
  return { providerAdmin, provider, api, plan, developer, partner, app, subscription };
}
