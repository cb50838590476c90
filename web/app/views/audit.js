// Audit log: every admin action, export and view of identified answers,
// newest first (GET /api/v1/audit?before=&limit=&action=), paged backwards.

import { get } from '../api.js';
import { h, append, heading, failure, table, field, listOf, fmtTime, button } from '../dom.js';

export async function render(main, ctx) {
  const state = { action: ctx.params.action ?? '', stack: [null], page: 0, next: null };
  const listBox = h('div', { class: 'results', 'aria-live': 'polite' });

  async function load() {
    listBox.dataset.loaded = 'false';
    let body;
    try {
      body = await get('/api/v1/audit', { action: state.action, before: state.stack[state.page] ?? undefined, limit: 50 });
    } catch (e) {
      listBox.replaceChildren(failure(e));
      return;
    }
    state.next = body?.next_before ?? null;
    listBox.replaceChildren(table({
      caption: 'Audit log, newest first',
      empty: 'No entries.',
      columns: [
        { label: 'When', get: (a) => fmtTime(a.at) },
        { label: 'Action', get: (a) => h('code', {}, a.action) },
        { label: 'Target', get: (a) => a.target || '—' },
        { label: 'By', get: (a) => (a.user_email ?? (a.user_id ? `user ${a.user_id}` : a.token_id ? `token ${a.token_id}` : 'system')) },
        { label: 'Detail', get: (a) => (a.detail && Object.keys(a.detail).length ? h('code', { class: 'detail-json' }, JSON.stringify(a.detail)) : '—') },
      ],
      rows: listOf(body, 'entries'),
    }), h('div', { class: 'pager' },
      button('Newer', () => { state.page -= 1; load(); }, 'quiet', { disabled: state.page === 0 }),
      h('span', {}, `Page ${state.page + 1}`),
      button('Older', () => { state.stack[state.page + 1] = state.next; state.page += 1; load(); }, 'quiet', { disabled: !state.next })));
    listBox.dataset.loaded = 'true';
  }

  const action = h('input', { name: 'action', type: 'search', placeholder: 'employee.' });
  action.value = state.action;
  const form = h('form', { class: 'inline filters' }, field('Actions starting with', action), h('button', { type: 'submit', class: 'primary' }, 'Show'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    state.action = action.value.trim();
    state.stack = [null];
    state.page = 0;
    ctx.setParams({ action: state.action });
    load();
  });
  append(main, ...heading('Audit log', 'Who did what, and who looked at identified answers.'), form, listBox);
  await load();
}
