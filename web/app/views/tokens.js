// API tokens for integrations: the list (never the secret), a new token
// with its scopes (the secret is shown once, here, and never again), and
// revocation (GET, POST /api/v1/tokens, DELETE /api/v1/tokens/ID).

import { get, post, del } from '../api.js';
import { h, append, heading, failure, table, field, listOf, fmtTime, announce, button, confirmDialog, notice } from '../dom.js';

const SCOPES = [
  ['read:dashboard', 'Read the dashboard figures'], ['read:comments', 'Read comments'],
  ['read:employees', 'Read employees'], ['write:employees', 'Change and import employees'],
  ['read:escalations', 'Read escalations'], ['write:escalations', 'Act on escalations'], ['read:audit', 'Read the audit log'],
];

export async function render(main) {
  const listBox = h('div', { class: 'results', 'aria-live': 'polite' });
  const status = h('div', { 'aria-live': 'polite' });

  async function loadList() {
    try {
      const rows = listOf(await get('/api/v1/tokens', { limit: 100 }), 'tokens');
      listBox.replaceChildren(table({
        caption: 'API tokens',
        empty: 'No API tokens yet.',
        rowHeader: 0,
        columns: [
          { label: 'Name', get: (t) => t.name },
          { label: 'Starts with', get: (t) => h('code', {}, t.prefix ?? '') },
          { label: 'Scopes', get: (t) => (t.scopes ?? []).join(', ') },
          { label: 'Last used', get: (t) => fmtTime(t.last_used_at) },
          { label: 'State', get: (t) => (t.revoked_at ? `revoked ${fmtTime(t.revoked_at)}` : button(`Revoke ${t.name}`, () => revoke(t), 'danger')) },
        ],
        rows,
      }));
    } catch (e) {
      listBox.replaceChildren(failure(e));
    }
  }

  async function revoke(t) {
    if (!(await confirmDialog(`Revoke ${t.name}?`, 'Integrations using it stop working at once.', 'Revoke'))) return;
    try {
      await del(`/api/v1/tokens/${t.id}`);
      announce('Token revoked');
      status.replaceChildren(notice('ok', `${t.name} is revoked.`));
      loadList();
    } catch (e) {
      status.replaceChildren(failure(e));
    }
  }

  const name = h('input', { name: 'name', type: 'text', required: true, autocomplete: 'off' });
  const boxes = SCOPES.map(([v, l]) => {
    const cb = h('input', { type: 'checkbox', name: 'scopes', value: v, id: `scope-${v.replace(':', '-')}` });
    return h('div', { class: 'check' }, cb, h('label', { for: cb.id }, `${l} (${v})`));
  });
  const form = h('form', { class: 'pane' }, h('h2', {}, 'New token'),
    field('Name', name, 'What uses it, for example "HRIS sync".'),
    h('fieldset', {}, h('legend', {}, 'Scopes'), boxes),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Create token')), status);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const scopes = boxes.map((b) => b.querySelector('input')).filter((c) => c.checked).map((c) => c.value);
    try {
      const r = await post('/api/v1/tokens', { name: name.value.trim(), scopes });
      status.replaceChildren(h('div', { class: 'notice ok', role: 'status' },
        h('p', {}, 'The token (shown once: copy it now):'), h('code', { class: 'secret', dataset: { secret: 'token' } }, r.token)));
      name.value = '';
      loadList();
    } catch (e) {
      status.replaceChildren(failure(e));
    }
  });
  append(main, ...heading('API tokens', 'For integrations: each token has only the scopes it needs.'), listBox, form);
  await loadList();
}
