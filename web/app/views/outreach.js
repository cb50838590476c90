// Outreach status: invitations by day and touchpoint and their states over
// the last days, from GET /api/v1/outreach/status?days=N (rows of {day,
// touchpoint, status, count}). The state columns are whatever the server
// reports, so a new state shows without a change here.

import { get } from '../api.js';
import { h, append, heading, failure, table, field, select, listOf, fmtInt } from '../dom.js';

export async function render(main, ctx) {
  let days = ['7', '14', '30', '90'].includes(ctx.params.days) ? ctx.params.days : '14';
  const box = h('div', { class: 'results', 'aria-live': 'polite' });

  async function load() {
    box.dataset.loaded = 'false';
    let body;
    try {
      body = await get('/api/v1/outreach/status', { days });
    } catch (e) {
      box.replaceChildren(failure(e));
      return;
    }
    // One row per day, touchpoint and state: pivoted to one row per day and
    // touchpoint with a column per state.
    const byKey = new Map();
    const states = [];
    for (const r of listOf(body, 'rows')) {
      const key = `${r.day}|${r.touchpoint_id}`;
      if (!byKey.has(key)) byKey.set(key, { day: r.day, touchpoint: r.touchpoint, counts: {} });
      byKey.get(key).counts[r.status] = (byKey.get(key).counts[r.status] ?? 0) + r.count;
      if (!states.includes(r.status)) states.push(r.status);
    }
    const rows = [...byKey.values()].sort((a, b) => (a.day < b.day ? 1 : a.day > b.day ? -1 : String(a.touchpoint).localeCompare(String(b.touchpoint))));
    const countsOf = (r) => r.counts;
    box.replaceChildren(table({
      caption: `Outreach over the last ${days} days`,
      empty: 'Nothing was sent or planned in these days.',
      rowHeader: 0,
      columns: [
        { label: 'Day', get: (r) => r.day ?? r.date ?? '—' },
        { label: 'Touchpoint', get: (r) => r.touchpoint ?? '—' },
        ...states.map((s) => ({ label: s.replace(/_/g, ' '), num: true, key: s, get: (r) => fmtInt(countsOf(r)[s] ?? 0) })),
      ],
      rows,
    }));
    box.dataset.loaded = 'true';
  }

  const sel = select('days', [['7', '7 days'], ['14', '14 days'], ['30', '30 days'], ['90', '90 days']], days);
  const form = h('form', { class: 'inline filters' }, field('Period', sel), h('button', { type: 'submit', class: 'primary' }, 'Show'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    days = sel.value;
    ctx.setParams({ days });
    load();
  });
  append(main, ...heading('Outreach', 'Invitations and reminders: what went out, what is planned, what failed.'), form, box);
  await load();
}
