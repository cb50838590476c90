// The dashboard's figures and the anonymity rules they pass (issue 5):
// overview and heatmap on the demo company, every group the API shows has
// 0 or at least k respondents, in every view, filter and export; and the
// ways a client could recover a hidden group by subtraction (from a total,
// from sibling filters, from two date ranges) give nothing under k.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { stopAll } from './harness.mjs';
import { startApiServer, adminApi } from './api.mjs';

let srv, api, seg, K;

const q = (params) => {
  const s = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== '')).toString();
  return s ? `?${s}` : '';
};

/** Asserts that a shown count is 0 or at least k. */
function assertSafe(n, what) {
  assert.ok(n === 0 || n >= K, `${what}: a group of ${n} is shown (k = ${K})`);
}

before(async () => {
  srv = await startApiServer({ employees: 300, serveArgs: ['--outreach', 'false'] });
  api = await adminApi(srv);
  seg = await api.ok('/api/v1/dashboard/segments');
  K = seg.k;
  assert.equal(K, 5, 'the demo keeps the default k');
});

after(stopAll);

test('the overview adds up: trend months sum to the totals, rates and averages match the counts', async () => {
  const o = await api.ok('/api/v1/dashboard/overview');
  assert.equal(o.shown, true);
  assert.ok(o.started > 100 && o.started <= o.invited && o.completed <= o.started, JSON.stringify(o).slice(0, 300));
  assert.equal(o.response_rate, Math.round((o.started / o.invited) * 100) / 100);
  const months = o.trend.filter((m) => !m.hidden);
  assert.equal(months.length, o.trend.length, 'the whole company has no hidden month');
  assert.equal(months.reduce((s, m) => s + m.started, 0), o.started, 'trend started sums to the total');
  assert.equal(months.reduce((s, m) => s + m.invited, 0), o.invited, 'trend invited sums to the total');
  assert.equal(o.mood.distribution.reduce((s, v) => s + v, 0), o.mood.n, 'the mood distribution sums to its n');
  const avg = o.mood.distribution.reduce((s, v, i) => s + v * (i + 1), 0) / o.mood.n;
  assert.ok(Math.abs(avg - o.mood.average) < 0.006, `mood average ${o.mood.average} vs ${avg}`);
  assert.equal(o.enps.promoters + o.enps.passives + o.enps.detractors, o.enps.n);
  assert.equal(o.enps.score, Math.round((100 * (o.enps.promoters - o.enps.detractors)) / o.enps.n));
  // The heatmap's grand total is the overview's.
  const h = await api.ok('/api/v1/dashboard/heatmap?rows=department&cols=touchpoint');
  assert.equal(h.total.n, o.started, 'the heatmap total equals the overview');
  assert.ok(h.rows.some((r) => r.key === 'Legal'), 'the small Legal team is a row');
});

test('no endpoint shows a group of 1..k-1: overview, trend, heatmap cells and totals, export', async () => {
  const dims = ['department', 'location', 'band'];
  const cols = ['touchpoint', 'month', 'department', 'location', 'band'];
  const filters = [{}, ...seg.departments.map((department) => ({ department })), ...seg.locations.map((location) => ({ location })),
    ...seg.bands.map((band) => ({ band })), ...seg.touchpoints.map((t) => ({ touchpoint: t.id }))];
  let hidden = 0, shown = 0;
  for (const f of filters) {
    const o = await api.ok(`/api/v1/dashboard/overview${q(f)}`);
    if (!o.shown) {
      hidden++;
      assert.ok(['fewer_than_k', 'protects_another_group'].includes(o.hidden), JSON.stringify(o));
      assert.equal(o.started, undefined, 'a refused view carries no figures');
      continue;
    }
    shown++;
    assertSafe(o.started, `overview ${q(f)}`);
    if (!o.mood.hidden) assertSafe(o.mood.n, `overview ${q(f)} mood`);
    if (!o.enps.hidden) assertSafe(o.enps.n, `overview ${q(f)} eNPS`);
    if (!o.comments.hidden) assertSafe(o.comments.n, `overview ${q(f)} comments`);
    for (const m of o.trend) if (!m.hidden) assertSafe(m.started, `trend ${m.month} ${q(f)}`);
    for (const rows of dims) {
      for (const c of cols) {
        if (c === rows) continue;
        const h = await api.ok(`/api/v1/dashboard/heatmap${q({ ...f, rows, cols: c })}`);
        if (!h.shown) continue;
        const cells = [...h.cells.flat(), ...h.row_totals, ...h.col_totals, h.total];
        for (const cell of cells) {
          if (cell.hidden) {
            hidden++;
            assert.equal(cell.n, undefined, 'a hidden cell carries no count');
          } else {
            assertSafe(cell.n, `heatmap ${rows} x ${c} ${q(f)}`);
          }
        }
      }
    }
  }
  assert.ok(hidden > 20 && shown > 10, `the sweep met hidden groups (${hidden}) and shown views (${shown})`);
  const csv = await api.get('/api/v1/export/responses.csv');
  assert.equal(csv.status, 200);
  const lines = csv.text.trim().split('\r\n');
  assert.equal(lines[0], 'department,month,invited,responses,completed,mood_average,enps,negative_comment_share,hidden');
  for (const line of lines.slice(1)) {
    const f = line.split(',');
    if (f[8]) assert.equal(f[3], '', `a hidden export row has no count: ${line}`);
    else assertSafe(Number(f[3]), `export row ${line}`);
  }
});

test('a heatmap by manager: the same totals, no group under k, and no location or band filter', async () => {
  const o = await api.ok('/api/v1/dashboard/overview');
  for (const cols of ['month', 'touchpoint', 'department']) {
    const h = await api.ok(`/api/v1/dashboard/heatmap?rows=manager&cols=${cols}`);
    assert.equal(h.shown, true);
    assert.ok(h.rows.length >= 9, `the demo's team leads are rows (${h.rows.length})`);
    assert.ok(h.rows.every((r) => /^lead\d\.[a-z-]+@lumenoak\.example$/.test(r.key)), JSON.stringify(h.rows.slice(0, 3)));
    assert.equal(h.total.n, o.started, `rows=manager&cols=${cols}: the total is the overview's`);
    for (const cell of [...h.cells.flat(), ...h.row_totals, ...h.col_totals]) if (!cell.hidden) assertSafe(cell.n, `manager x ${cols}`);
  }
  const one = await api.ok('/api/v1/dashboard/heatmap?rows=manager&cols=month&department=Engineering');
  assert.ok(one.rows.every((r) => r.key.endsWith('.engineering@lumenoak.example')), 'a department filter keeps its managers');
  const bad = await api.get('/api/v1/dashboard/heatmap?rows=manager&location=Berlin');
  assert.equal(bad.status, 400);
  assert.match(bad.json.error.message, /by manager/);
});

test('sibling filters cannot be subtracted from their total to reveal a hidden group', async () => {
  // A parent view and its children along one more condition: what is
  // hidden must not be derivable as parent - (shown children) to a group
  // under k. Parents: each department (children: its locations) and each
  // department x location (children: its tenure bands).
  const families = [];
  for (const department of seg.departments) {
    families.push([{ department }, 'location', seg.locations]);
    for (const location of seg.locations) families.push([{ department, location }, 'band', seg.bands]);
  }
  let tried = 0;
  for (const [parentFilter, dim, values] of families) {
    const whole = await api.ok(`/api/v1/dashboard/overview${q(parentFilter)}`);
    if (!whole.shown || whole.started === 0) continue;
    const parts = [];
    for (const v of values) parts.push(await api.ok(`/api/v1/dashboard/overview${q({ ...parentFilter, [dim]: v })}`));
    const hiddenParts = parts.filter((o) => !o.shown);
    if (hiddenParts.length === 0) continue;
    tried++;
    const rest = whole.started - parts.filter((o) => o.shown).reduce((s, o) => s + o.started, 0);
    // One hidden child would be recovered exactly; two or more must hide at
    // least k between them.
    assert.ok(rest === 0 || rest >= K,
      `${JSON.stringify(parentFilter)} by ${dim}: ${hiddenParts.length} hidden holding ${rest} together`);
  }
  assert.ok(tried > 10, `families with hidden children: ${tried}`);
});

test('two date ranges cannot be subtracted to reveal a month under k', async () => {
  const months = seg.months;
  for (const department of ['Legal', 'Finance', 'People']) {
    const seen = [];
    for (let i = 0; i < months.length; i++) {
      for (let j = i; j < months.length; j++) {
        const o = await api.ok(`/api/v1/dashboard/overview${q({ department, from: months[i], to: months[j] })}`);
        if (o.shown) seen.push({ from: o.range.from, to: o.range.to, n: o.started });
      }
    }
    // Every pair of nested ranges differs by 0 or at least k.
    for (const x of seen) {
      for (const y of seen) {
        if (x.from <= y.from && y.to <= x.to) {
          const d = x.n - y.n;
          assert.ok(d === 0 || d >= K, `${department}: ${x.from}..${x.to} (${x.n}) minus ${y.from}..${y.to} (${y.n}) = ${d}`);
        }
      }
    }
  }
});

test('a refused filter says why, and bad parameters name themselves', async () => {
  const bad = [
    ['/api/v1/dashboard/overview?from=2026-13', /from must be a month/],
    ['/api/v1/dashboard/overview?from=2026-05&to=2026-01', /from is after to/],
    ['/api/v1/dashboard/overview?band=old', /band must be one of/],
    ['/api/v1/dashboard/overview?touchpoint=x', /touchpoint must be/],
    ['/api/v1/dashboard/heatmap?rows=month', /rows must be/],
    ['/api/v1/dashboard/heatmap?rows=department&cols=department', /cols must be/],
    ['/api/v1/dashboard/heatmap?measure=joy', /measure must be/],
    ['/api/v1/outreach/status?days=0', /days must be/],
  ];
  for (const [p, re] of bad) {
    const r = await api.get(p);
    assert.equal(r.status, 400, `${p}: ${r.status}`);
    assert.match(r.json.error.message, re, p);
  }
  const legal = await api.ok('/api/v1/dashboard/overview?department=Legal&location=Berlin');
  if (!legal.shown) assert.ok(['fewer_than_k', 'protects_another_group'].includes(legal.hidden));
});
