// The HR dashboard in a real browser (Debian's chromium driven by
// playwright-core) against `hark demo` + `hark serve`: sign in with the
// demo's printed login, the overview's figures equal the API's (fetched by
// the page itself, with the same session), a CSV import (a bad file listed
// by line and column, then a good one), a heatmap with suppressed small
// groups, an escalation acknowledged, noted and resolved, sign-out; the
// navigation of each role matches the server's route table; the layout at
// phone width; sign-in throttling. No CSP violation or script error may
// happen anywhere. Screenshots of each page go to the artifacts directory
// printed at the start (HARK_ARTIFACTS, else $TMPDIR/hark-dashboard).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { stopAll, runHark } from '../integration/harness.mjs';
import { startApiServer, adminApi } from '../integration/api.mjs';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = process.env.HARK_ARTIFACTS ?? path.join(os.tmpdir(), 'hark-dashboard');

let srv;
let browser;
before(async () => {
  await fs.mkdir(ARTIFACTS, { recursive: true });
  console.log(`# dashboard screenshots: ${ARTIFACTS}`);
  [srv, browser] = await Promise.all([
    // 60 employees over 8 departments: several department x touchpoint
    // groups have fewer than k = 5 respondents.
    startApiServer({ employees: 60 }),
    chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'],
    }),
  ]);
});
after(async () => {
  await browser?.close();
  await stopAll();
});

/** A new page of WIDTH x HEIGHT that records script errors and CSP violations. */
async function newPage(width = 1280, height = 900) {
  const context = await browser.newContext({ viewport: { width, height }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  page.problems = [];
  page.on('pageerror', (e) => page.problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) page.problems.push(`console: ${m.text()}`);
  });
  return page;
}

function until(page, fn, arg, timeout = 15000) {
  return page.waitForFunction(fn, arg, { timeout, polling: 50 });
}

/** Waits until view NAME has rendered (the shell sets body data-view/state). */
async function viewReady(page, name) {
  await until(page, (n) => document.body.dataset.view === n && document.body.dataset.state === 'ready', name);
}

/** Waits until the view's results box says its data is in. */
async function loaded(page, sel = '.results') {
  await until(page, (s) => [...document.querySelectorAll(s)].every((e) => e.dataset.loaded === 'true'), sel);
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** GET PATH from inside the page: the browser's own session cookie. */
async function pageApi(page, p) {
  return page.evaluate(async (u) => {
    const r = await fetch(u, { credentials: 'same-origin' });
    return { status: r.status, json: await r.json().catch(() => null) };
  }, p);
}

async function signIn(page, creds) {
  await page.goto(`${srv.url}/`);
  await viewReady(page, 'sign-in');
  await page.getByLabel('Company (tenant)').fill(creds.tenant);
  await page.getByLabel('E-mail').fill(creds.email);
  await page.getByLabel('Password').fill(creds.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await viewReady(page, 'overview');
}

// The page's number formats (web/app/dom.js), to compare figures as shown.
const fmtInt = (n) => new Intl.NumberFormat('en', { maximumFractionDigits: 0 }).format(n);
const fmtPct = (x) => `${(x * 100).toFixed(0)}%`;
const fmtSigned = (x) => {
  const r = Math.round(x);
  return r > 0 ? `+${r}` : r < 0 ? `\u2212${-r}` : '0';
};

/** The overview's figures as shown, against the API's answer O. */
async function assertOverviewMatches(page, o, what) {
  const shown = await page.$$eval('[data-figure]', (els) => Object.fromEntries(els.map((e) => [e.dataset.figure, e.textContent.trim()])));
  assert.equal(o.shown, true, `${what}: the demo's overview is shown`);
  assert.equal(shown.invited, fmtInt(o.invited), `${what}: invited`);
  assert.equal(shown.started, fmtInt(o.started), `${what}: started`);
  assert.equal(shown.completed, fmtInt(o.completed), `${what}: completed`);
  if (typeof o.response_rate === 'number') assert.equal(shown.response_rate, fmtPct(o.response_rate), `${what}: response rate`);
  const hiddenOr = (v, name, fmt) => {
    if (v?.hidden) assert.match(shown[name], /fewer than|hidden/, `${what}: ${name} is hidden`);
    else assert.equal(shown[name], fmt(v), `${what}: ${name}`);
  };
  hiddenOr(o.mood, 'mood', (m) => m.average.toFixed(1));
  hiddenOr(o.enps, 'enps', (e) => fmtSigned(e.score));
  hiddenOr(o.comments, 'negative_share', (c) => fmtPct(c.negative_share));
  if (!o.mood?.hidden) {
    for (let i = 0; i < 5; i++) assert.equal(shown[`mood-${i + 1}`], fmtInt(o.mood.distribution[i]), `${what}: mood ${i + 1} count`);
  }
  // The trend: two uPlot charts, and their tables hold one row per month.
  assert.equal(await page.locator('.chart .uplot canvas').count(), 2, `${what}: two uPlot charts`);
  const rows = await page.locator('.chart-data').first().locator('tbody tr').count();
  assert.equal(rows, o.trend.length, `${what}: one table row per month of the trend`);
}

test('sign in, overview equals the API, CSV import, heatmap suppression, an escalation handled, sign out', async () => {
  const page = await newPage();
  await page.goto(`${srv.url}/`);
  await viewReady(page, 'sign-in');
  await shot(page, '01-sign-in');
  await signIn(page, srv.admin);
  await loaded(page);
  await shot(page, '02-overview');

  // The overview equals the API's answer, whole and for one department.
  let o = await pageApi(page, '/api/v1/dashboard/overview');
  assert.equal(o.status, 200, JSON.stringify(o.json));
  await assertOverviewMatches(page, o.json, 'overview');
  const segs = (await pageApi(page, '/api/v1/dashboard/segments')).json;
  assert.ok(segs.departments.length > 1, 'the demo has departments');
  const dept = segs.departments.map((d) => (typeof d === 'object' ? d.key ?? d.name : d))[0];
  await page.getByLabel('Department').selectOption(dept);
  await page.getByRole('button', { name: 'Apply' }).click();
  await until(page, (d) => new URLSearchParams(location.hash.split('?')[1] ?? '').get('department') === d, dept);
  await loaded(page);
  o = await pageApi(page, `/api/v1/dashboard/overview?department=${encodeURIComponent(dept)}`);
  assert.equal(o.status, 200);
  if (o.json.shown === false) {
    assert.match(await page.locator('.results').innerText(), /Nothing to show/);
  } else {
    await assertOverviewMatches(page, o.json, `overview of ${dept}`);
  }
  await shot(page, '03-overview-department');

  // Heatmap: department x month, mood (the default). Small groups are hatched with
  // their reason, exactly where the API hides them, and no cell shows n < k.
  await page.getByRole('link', { name: 'Heatmap' }).click();
  await viewReady(page, 'heatmap');
  await loaded(page);
  const hm = (await pageApi(page, '/api/v1/dashboard/heatmap?rows=department&cols=month&measure=mood')).json;
  const hiddenApi = hm.cells.flat().filter((c) => c.hidden).length;
  assert.ok(hiddenApi > 0, 'the demo has a suppressed department x month group');
  const cells = await page.$$eval('table.heatmap tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td:not(.total)')].map((td) => ({
    hidden: td.dataset.hidden ?? null, n: td.dataset.n === undefined ? null : Number(td.dataset.n), text: td.textContent.trim(),
  }))));
  assert.equal(cells.length, hm.rows.length, 'one table row per heatmap row');
  hm.cells.forEach((row, i) => row.forEach((c, j) => {
    const td = cells[i][j];
    if (c.hidden) {
      assert.equal(td.hidden, c.hidden, `cell ${i},${j} hidden as the API says`);
      assert.equal(td.text, c.hidden === 'fewer_than_k' ? `fewer than ${hm.k}` : 'hidden to protect another group');
    } else {
      assert.equal(td.hidden, null, `cell ${i},${j} not hidden`);
      assert.equal(td.n, c.n ?? 0, `cell ${i},${j} n`);
      assert.ok(!(td.n > 0 && td.n < hm.k), `cell ${i},${j} shows a group of ${td.n} < k`);
    }
  }));
  assert.ok(await page.locator('td.cell.suppressed', { hasText: /fewer than|hidden to protect/ }).count() > 0);
  await shot(page, '04-heatmap');
  // Another layout through the form: location x month.
  await page.getByLabel('Rows').selectOption('location');
  await page.getByLabel('Columns').selectOption('month');
  await page.getByRole('button', { name: 'Apply' }).click();
  await until(page, () => location.hash.includes('rows=location') && location.hash.includes('cols=month'));
  await loaded(page);
  const hm2 = (await pageApi(page, '/api/v1/dashboard/heatmap?rows=location&cols=month&measure=mood')).json;
  assert.equal(await page.locator('table.heatmap tbody tr').count(), hm2.rows.length);
  await shot(page, '05-heatmap-location-month');

  // Employees: a bad CSV lists its problems and imports nothing; a good one imports.
  await page.getByRole('link', { name: 'Employees' }).click();
  await viewReady(page, 'employees');
  await loaded(page);
  const total0 = (await pageApi(page, '/api/v1/employees?limit=1')).json.total;
  const bad = 'email,first_name,hire_date\nnew.one@lumenoak.example,New,2026-02-30\nnot-an-email,Two,2025-01-01\n';
  await page.getByLabel('CSV file').setInputFiles({ name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from(bad) });
  await page.getByRole('button', { name: 'Import' }).click();
  await until(page, () => document.querySelector('.import-result')?.dataset.state === 'failed');
  const problems = await page.$$eval('.import-result table tbody tr', (trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent.trim())));
  assert.ok(problems.length >= 2, `problems listed: ${JSON.stringify(problems)}`);
  assert.deepEqual(problems.map((p) => p.slice(0, 2)), [['2', '3'], ['3', '1']], 'line and column of each problem');
  assert.match(await page.locator('.import-result').innerText(), /Nothing was imported/);
  assert.equal((await pageApi(page, '/api/v1/employees?limit=1')).json.total, total0, 'a failed import changes nothing');
  await shot(page, '06-import-problems');
  const good = 'external_id,email,first_name,last_name,department,location,hire_date\n' +
    'X9001,ada.brow@lumenoak.example,Ada,Brow,Legal,Berlin,2024-03-01\n' +
    'X9002,"bo.quill@lumenoak.example",Bo,"Quill, Jr",Legal,Lisbon,2025-07-15\n';
  await page.getByLabel('CSV file').setInputFiles({ name: 'good.csv', mimeType: 'text/csv', buffer: Buffer.from(good) });
  await page.getByRole('button', { name: 'Import' }).click();
  await until(page, () => document.querySelector('.import-result')?.dataset.state === 'ok');
  assert.match(await page.locator('.import-result').innerText(), /Imported 2 rows: 2 new, 0 updated, 0 unchanged/);
  assert.equal((await pageApi(page, '/api/v1/employees?limit=1')).json.total, total0 + 2);
  await page.getByLabel(/Search by name/).fill('Quill');
  await page.getByRole('button', { name: 'Search' }).click();
  await until(page, () => /Quill, Jr/.test(document.querySelector('.results')?.textContent ?? ''));
  await shot(page, '07-employees-imported');

  // Escalations: open the first open one, acknowledge it, add a note, resolve it.
  await page.getByRole('link', { name: 'Escalations' }).click();
  await viewReady(page, 'escalations');
  await loaded(page);
  const list = (await pageApi(page, '/api/v1/escalations?status=open')).json;
  assert.ok(list.items.length > 0, 'the demo has open escalations');
  const esc = list.items[0];
  await shot(page, '08-escalations');
  await page.locator(`a[data-escalation="${esc.id}"]`).click();
  await page.waitForSelector(`section.pane[data-escalation="${esc.id}"][data-status="open"]`);
  await page.getByRole('button', { name: 'Acknowledge' }).click();
  await page.waitForSelector(`section.pane[data-escalation="${esc.id}"][data-status="acknowledged"]`);
  assert.equal((await pageApi(page, `/api/v1/escalations/${esc.id}`)).json.status, 'acknowledged');
  await page.getByLabel('Add a note').fill('Called the team lead; a workload review is booked.');
  await page.getByRole('button', { name: 'Add note' }).click();
  await until(page, () => /workload review is booked/.test(document.querySelector('.notes')?.textContent ?? ''));
  await shot(page, '09-escalation-acknowledged');
  await page.getByRole('button', { name: 'Resolve' }).click();
  await page.waitForSelector(`section.pane[data-escalation="${esc.id}"][data-status="resolved"]`);
  const done = (await pageApi(page, `/api/v1/escalations/${esc.id}`)).json;
  assert.equal(done.status, 'resolved');
  assert.equal(done.notes_list.length, 1);
  await shot(page, '10-escalation-resolved');

  // The other views render without errors.
  for (const v of ['comments', 'outreach', 'users', 'touchpoints', 'settings', 'webhooks', 'tokens', 'audit']) {
    await page.locator(`#nav a[data-route="${v}"]`).click();
    await viewReady(page, v);
    assert.equal(await page.locator('main .notice.error').count(), 0, `${v}: ${await page.locator('main').innerText()}`);
    await shot(page, `11-${v}`);
  }
  const audit = (await pageApi(page, '/api/v1/audit?limit=50')).json.entries.map((e) => e.action);
  assert.ok(audit.includes('escalation.update'), `audited: ${audit.join(', ')}`);

  // Sign out: back to the sign-in view, and the session is gone.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await viewReady(page, 'sign-in');
  assert.match(await page.locator('main').innerText(), /You are signed out/);
  assert.equal((await pageApi(page, '/api/v1/session')).status, 401);
  await shot(page, '12-signed-out');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

/** The routes table of the server: [{method, path, roles: [..]}]. */
async function routeTable() {
  const r = await runHark(['routes']);
  return r.stdout.trim().split('\n').slice(1).map((l) => {
    const [method, p, roles] = l.trim().split(/\s+/);
    return { method, path: p, roles: roles === 'public' ? [] : roles.split(',') };
  });
}

test("each role's navigation shows exactly the views its role may read", async () => {
  // The view and its main GET endpoint.
  const VIEWS = {
    overview: '/api/v1/dashboard/overview', heatmap: '/api/v1/dashboard/heatmap', comments: '/api/v1/comments',
    escalations: '/api/v1/escalations', outreach: '/api/v1/outreach/status', employees: '/api/v1/employees',
    users: '/api/v1/users', touchpoints: '/api/v1/touchpoints', settings: '/api/v1/settings',
    webhooks: '/api/v1/webhooks', tokens: '/api/v1/tokens', audit: '/api/v1/audit',
  };
  const routes = await routeTable();
  const api = await adminApi(srv);
  for (const role of ['owner', 'admin', 'hrbp', 'viewer']) {
    let creds = srv.admin;
    if (role !== 'owner') {
      const r = await api.post('/api/v1/users', { email: `${role}.nav@lumenoak.example`, role, ...(role === 'hrbp' ? { departments: ['Sales'] } : {}) });
      assert.equal(r.status, 201, r.text);
      creds = { tenant: 'demo', email: `${role}.nav@lumenoak.example`, password: r.json.password };
    }
    const page = await newPage();
    await signIn(page, creds);
    const shown = await page.$$eval('#nav a[data-route]', (as) => as.map((a) => a.dataset.route));
    const want = Object.entries(VIEWS).filter(([, p]) => {
      const route = routes.find((x) => x.method === 'GET' && x.path === p);
      assert.ok(route, `the server has GET ${p}`);
      return route.roles.includes(role);
    }).map(([v]) => v);
    // People to meet: confidential mode only (the demo is anonymous).
    assert.deepEqual(shown.sort(), want.sort(), `${role}'s navigation`);
    await shot(page, `20-nav-${role}`);
    assert.deepEqual(page.problems, []);
    await page.context().close();
  }
});

test('at phone width the menu folds, nothing overflows sideways, and it works from the keyboard', async () => {
  const page = await newPage(390, 844);
  await signIn(page, srv.admin);
  await loaded(page);
  const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok((await overflow()) <= 0, `overview overflows by ${await overflow()}px`);
  assert.equal(await page.locator('#nav').isVisible(), false, 'the navigation is folded');
  await shot(page, '30-phone-overview');
  await page.locator('#menu-button').focus();
  await page.keyboard.press('Enter');
  await until(page, () => document.activeElement?.matches('#nav a'));
  assert.equal(await page.locator('#menu-button').getAttribute('aria-expanded'), 'true');
  await shot(page, '31-phone-menu');
  // Tab to Heatmap and open it with Enter.
  for (let i = 0; i < 10 && !(await page.evaluate(() => document.activeElement?.dataset.route === 'heatmap')); i++) await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await viewReady(page, 'heatmap');
  await loaded(page);
  assert.ok((await overflow()) <= 0, 'the heatmap scrolls inside its box, not the page');
  assert.equal(await page.evaluate(() => document.activeElement?.tagName), 'H1', 'focus moves to the new view');
  await shot(page, '32-phone-heatmap');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

// Last: it throttles sign-in from this address.
test('sign-in shows wrong credentials, then the wait when throttled', async () => {
  const page = await newPage();
  await page.goto(`${srv.url}/`);
  await viewReady(page, 'sign-in');
  const email = 'nobody.here@lumenoak.example';
  let throttled = false;
  for (let i = 0; i < 12 && !throttled; i++) {
    await page.getByLabel('Company (tenant)').fill('demo');
    await page.getByLabel('E-mail').fill(email);
    await page.getByLabel('Password').fill('wrong password');
    await until(page, () => !document.querySelector('form.signin button[type=submit]').disabled, null, 40000);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const msg = await until(page, () => {
      const t = document.querySelector('.form-status')?.textContent ?? '';
      return /wrong|Try again in/.test(t) ? t : false;
    }, null, 40000);
    const text = await msg.jsonValue();
    if (/Try again in (\d+) s/.test(text)) throttled = true;
    else assert.match(text, /The company, e-mail or password is wrong/);
  }
  assert.ok(throttled, 'repeated failures end in "Try again in N s"');
  assert.equal(await page.getByRole('button', { name: 'Sign in' }).isDisabled(), true, 'the button waits');
  await shot(page, '40-sign-in-throttled');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});
