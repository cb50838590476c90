// Heatmap: one measure (mood, eNPS or response rate) of groups (department,
// location or tenure band) by touchpoint or month, from
// GET /api/v1/dashboard/heatmap, as a table with row and column headers and
// totals. A cell the server withheld is drawn hatched with its reason
// ("fewer than k", "hidden to protect another group"); the colour of the
// others is a five-step scale with the value written in the cell, so
// nothing depends on colour alone.

import { get } from '../api.js';
import { h, append, heading, notice, failure, fmtInt, fmtNum, fmtPct, fmtSigned, select, announce } from '../dom.js';
import { filterBar, pickFilters, segments } from '../filters.js';
import { hiddenText, isHidden } from '../anon.js';

const ROWS = [['department', 'Department'], ['location', 'Location'], ['band', 'Tenure band'], ['manager', 'Manager']];
const COLS = [['month', 'Month'], ['touchpoint', 'Touchpoint']];
const MEASURES = [['mood', 'Mood (1–5)'], ['enps', 'eNPS (−100 to 100)'], ['response_rate', 'Response rate']];

const SCALE = {
  mood: { min: 1, max: 5, fmt: (v) => fmtNum(v, 1) },
  enps: { min: -100, max: 100, fmt: (v) => fmtSigned(v) },
  response_rate: { min: 0, max: 1, fmt: (v) => fmtPct(v) },
};

/** One cell: td (or th for totals) with value, n, and the heat class. */
function cell(c, measure, k, tag = 'td', more = {}) {
  const td = cellOf(c, measure, k, tag);
  if (more.class) td.classList.add(more.class);
  for (const [key, v] of Object.entries(more.dataset ?? {})) td.dataset[key] = v;
  return td;
}

function cellOf(c, measure, k, tag) {
  if (!c || typeof c !== 'object') return h(tag, { class: 'cell empty'}, '—');
  if (isHidden(c)) {
    return h(tag, { class: 'cell suppressed', dataset: { hidden: c.hidden }},
      h('span', { class: 'cell-text' }, hiddenText(c.hidden, k)));
  }
  if (!c.n || c.value === null || c.value === undefined) {
    return h(tag, { class: 'cell empty', dataset: { n: c.n ?? 0 }}, h('span', { class: 'cell-text' }, 'no answers'));
  }
  const s = SCALE[measure];
  const t = Math.min(1, Math.max(0, (c.value - s.min) / (s.max - s.min)));
  const step = Math.min(4, Math.floor(t * 5));
  return h(tag, { class: `cell heat-${step}`, dataset: { n: c.n, value: c.value }},
    h('span', { class: 'cell-value' }, s.fmt(c.value)),
    h('span', { class: 'cell-n' }, `n=${fmtInt(c.n)}`));
}

function grid(m, q) {
  const rowLabel = ROWS.find(([v]) => v === q.rows)?.[1] ?? q.rows;
  const measureLabel = MEASURES.find(([v]) => v === q.measure)?.[1] ?? q.measure;
  const k = m.k;
  const hasRowTotals = Array.isArray(m.row_totals);
  const head = h('tr', {}, h('th', { scope: 'col' }, rowLabel),
    m.cols.map((c) => h('th', { scope: 'col' }, c.label ?? c.key)),
    hasRowTotals ? h('th', { scope: 'col', class: 'total' }, 'All') : null);
  const body = m.rows.map((r, i) => h('tr', { dataset: { row: r.key } },
    h('th', { scope: 'row' }, r.label ?? r.key),
    m.cols.map((c, j) => cell(m.cells?.[i]?.[j], q.measure, k, 'td', { dataset: { col: c.key } })),
    hasRowTotals ? cell(m.row_totals[i], q.measure, k, 'td', { class: 'total' }) : null));
  const foot = Array.isArray(m.col_totals) || m.total
    ? h('tfoot', {}, h('tr', {}, h('th', { scope: 'row' }, 'All'),
      m.cols.map((c, j) => cell(m.col_totals?.[j], q.measure, k)),
      hasRowTotals ? cell(m.total, q.measure, k) : null))
    : null;
  for (const td of foot ? foot.querySelectorAll('td') : []) td.classList.add('total');
  return h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': 'Heatmap' },
    h('table', { class: 'heatmap' },
      h('caption', {}, `${measureLabel} by ${rowLabel.toLowerCase()} and ${q.cols}`),
      h('thead', {}, head), h('tbody', {}, body), foot));
}

function legend(k) {
  return h('div', { class: 'heat-legend' },
    h('span', {}, 'Low'),
    [0, 1, 2, 3, 4].map((i) => h('span', { class: `swatch heat-${i}`, 'aria-hidden': 'true' })),
    h('span', {}, 'High'),
    h('span', { class: 'swatch suppressed', 'aria-hidden': 'true' }),
    h('span', {}, `Hatched: hidden (a group under ${k ?? 'k'} people, or one that would let such a group be worked out)`));
}

export async function render(main, ctx) {
  const segs = await segments();
  const q = {
    rows: ROWS.some(([v]) => v === ctx.params.rows) ? ctx.params.rows : 'department',
    cols: COLS.some(([v]) => v === ctx.params.cols) ? ctx.params.cols : 'month',
    measure: MEASURES.some(([v]) => v === ctx.params.measure) ? ctx.params.measure : 'mood',
  };
  let filters = pickFilters(ctx.params);
  const results = h('div', { class: 'results', 'aria-live': 'polite' });

  async function load() {
    results.replaceChildren(notice('info', 'Loading…'));
    results.dataset.loaded = 'false';
    let m;
    try {
      m = await get('/api/v1/dashboard/heatmap', { ...q, ...filters });
    } catch (e) {
      results.replaceChildren(failure(e));
      return;
    }
    ctx.noteMode(m.mode);
    if (m.shown === false) {
      results.replaceChildren(notice('warn', 'Nothing to show for this selection: the groups are too small.'));
    } else if (!m.rows?.length || !m.cols?.length) {
      results.replaceChildren(notice('info', 'No answers for this selection.'));
    } else {
      results.replaceChildren(legend(m.k), grid(m, q));
    }
    results.dataset.loaded = 'true';
  }

  const extra = [
    ['rows', 'Rows', select('rows', ROWS, q.rows)],
    ['cols', 'Columns', select('cols', COLS, q.cols)],
    ['measure', 'Measure', select('measure', MEASURES, q.measure)],
  ];
  const bar = filterBar(segs, filters, (v) => {
    q.rows = v.rows ?? q.rows;
    q.cols = v.cols ?? q.cols;
    q.measure = v.measure ?? q.measure;
    filters = pickFilters(v);
    ctx.setParams({ ...q, ...filters });
    load().then(() => announce('Heatmap updated'));
  }, { extra });
  append(main, ...heading('Heatmap', 'Compare groups side by side. Small groups are never shown.'), bar, results);
  await load();
}
