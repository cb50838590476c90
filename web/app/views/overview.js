// Overview: the tenant's figures for the chosen months and segment
// (GET /api/v1/dashboard/overview): invited, started, completed, response
// rate, mood (average and distribution), eNPS and the share of negative
// comments, and the monthly trends as uPlot charts with tables beside them.
// Every figure is shown exactly as the API gives it; withheld ones say why.
// Each figure carries data-figure="NAME" (the browser test compares them
// with the API's answer).

import { get, qs } from '../api.js';
import { h, append, clear, heading, notice, failure, fmtInt, fmtPct, fmtNum, fmtSigned, fmtMonth, announce } from '../dom.js';
import { filterBar, pickFilters, segments } from '../filters.js';
import { hiddenText, hiddenExplain, isHidden } from '../anon.js';
import { monthChart } from '../charts.js';

function card(title, figure, name, detail, extra) {
  return h('section', { class: 'card', dataset: { card: name } },
    h('h3', {}, title),
    h('p', { class: 'figure', dataset: { figure: name } }, figure),
    detail ? h('p', { class: 'detail' }, detail) : null,
    extra ?? null);
}

function hiddenCard(title, name, v, k) {
  return h('section', { class: 'card is-hidden', dataset: { card: name, hidden: v.hidden } },
    h('h3', {}, title),
    h('p', { class: 'figure', dataset: { figure: name } }, h('span', { class: 'hatch' }, hiddenText(v.hidden, k))),
    h('p', { class: 'detail' }, hiddenExplain(v.hidden, k)));
}

/** The mood distribution as a stacked bar (widths set from script) and a list. */
function moodBar(dist) {
  const total = dist.reduce((a, b) => a + b, 0) || 1;
  const bar = h('div', { class: 'dist-bar', 'aria-hidden': 'true' });
  dist.forEach((n, i) => {
    const seg = h('span', { class: `dist-seg mood-${i + 1}` });
    seg.style.width = `${(100 * n) / total}%`;
    bar.append(seg);
  });
  const list = h('ul', { class: 'dist-list', 'aria-label': 'Mood answers by value' },
    dist.map((n, i) => h('li', {}, h('span', { class: `swatch mood-${i + 1}`, 'aria-hidden': 'true' }),
      `${i + 1}: `, h('span', { dataset: { figure: `mood-${i + 1}` } }, fmtInt(n)))));
  return h('div', { class: 'dist' }, bar, list);
}

function cards(o) {
  const k = o.k;
  const out = [
    card('Invited', fmtInt(o.invited), 'invited'),
    card('Started', fmtInt(o.started), 'started'),
    card('Completed', fmtInt(o.completed), 'completed'),
    isHidden(o.response_rate) ? hiddenCard('Response rate', 'response_rate', o.response_rate, k)
      : card('Response rate', fmtPct(o.response_rate), 'response_rate', 'started of invited'),
  ];
  if (!o.mood || isHidden(o.mood)) out.push(hiddenCard('Mood', 'mood', o.mood ?? { hidden: 'fewer_than_k' }, k));
  else {
    out.push(card('Mood', fmtNum(o.mood.average, 1), 'mood', `average of ${fmtInt(o.mood.n)} answers, 1 (low) to 5 (high)`,
      Array.isArray(o.mood.distribution) ? moodBar(o.mood.distribution) : null));
  }
  if (!o.enps || isHidden(o.enps)) out.push(hiddenCard('eNPS', 'enps', o.enps ?? { hidden: 'fewer_than_k' }, k));
  else {
    out.push(card('eNPS', fmtSigned(o.enps.score), 'enps',
      `${fmtInt(o.enps.promoters)} promoters, ${fmtInt(o.enps.passives)} passives, ${fmtInt(o.enps.detractors)} detractors (${fmtInt(o.enps.n)} answers)`));
  }
  if (!o.comments || isHidden(o.comments)) out.push(hiddenCard('Negative comments', 'negative_share', o.comments ?? { hidden: 'fewer_than_k' }, k));
  else {
    out.push(card('Negative comments', fmtPct(o.comments.negative_share), 'negative_share', `of ${fmtInt(o.comments.n)} comments`));
  }
  return h('div', { class: 'cards' }, out);
}

export async function render(main, ctx) {
  const segs = await segments();
  let filters = pickFilters(ctx.params);
  const results = h('div', { class: 'results', 'aria-live': 'polite' });
  let charts = [];
  const exportLink = h('a', { class: 'button quiet', download: 'responses.csv', href: '#' }, 'Download the answers (CSV)');
  const updateExport = () => {
    exportLink.href = `/api/v1/export/responses.csv${qs(filters)}`;
  };
  updateExport();

  const destroyCharts = () => {
    charts.forEach((c) => c.destroy());
    charts = [];
  };

  async function load() {
    destroyCharts();
    results.replaceChildren(notice('info', 'Loading…'));
    results.dataset.loaded = 'false';
    let o;
    try {
      o = await get('/api/v1/dashboard/overview', filters);
    } catch (e) {
      results.replaceChildren(failure(e));
      return;
    }
    ctx.noteMode(o.mode);
    clear(results);
    if (o.shown === false) {
      results.append(h('div', { class: 'notice warn', dataset: { hidden: o.hidden ?? 'fewer_than_k' } },
        `Nothing to show for this selection: ${hiddenExplain(o.hidden, o.k)}`));
      results.dataset.loaded = 'true';
      return;
    }
    const range = o.range ? `${fmtMonth(o.range.from)} to ${fmtMonth(o.range.to)}` : 'all months';
    results.append(h('p', { class: 'meta' }, `${range} · groups under ${o.k} people are hidden · `,
      o.mode === 'confidential' ? 'confidential mode' : 'anonymous mode'));
    results.append(cards(o));
    const trend = Array.isArray(o.trend) ? o.trend : [];
    if (trend.length) {
      const months = trend.map((t) => t.month);
      const num = (v) => (typeof v === 'number' ? v : null);
      const c1 = monthChart({
        title: 'Conversations by month',
        months,
        series: [
          { label: 'Started', values: trend.map((t) => num(t.started)), fmt: (v) => fmtInt(v) },
          { label: 'Completed', values: trend.map((t) => num(t.completed)), fmt: (v) => fmtInt(v) },
        ],
      });
      const c2 = monthChart({
        title: 'Mood and eNPS by month (gaps: hidden or no answers)',
        months,
        series: [
          { label: 'Mood average', values: trend.map((t) => num(t.mood)), scale: 'mood', range: [1, 5], fmt: (v) => fmtNum(v, 1) },
          { label: 'eNPS', values: trend.map((t) => num(t.enps)), scale: 'enps', range: [-100, 100], fmt: (v) => fmtSigned(v) },
        ],
      });
      charts = [c1, c2];
      results.append(h('section', { class: 'trends' }, h('h2', {}, 'Trends'), h('div', { class: 'chart-grid' }, c1.el, c2.el)));
      charts.forEach((c) => c.mount());
    }
    results.dataset.loaded = 'true';
  }

  const bar = filterBar(segs, filters, (v) => {
    filters = v;
    ctx.setParams(filters);
    updateExport();
    load().then(() => announce('Overview updated'));
  });
  append(main, ...heading('Overview', 'How the conversations went, for the months and groups you choose.'),
    segs.error ? notice('warn', 'The filter lists could not be loaded; type values instead.') : null,
    bar,
    ctx.may(['owner', 'admin', 'hrbp']) ? h('p', { class: 'export' }, exportLink) : null,
    results);
  await load();
  return destroyCharts;
}
