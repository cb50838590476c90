// Webhooks: endpoints that receive HMAC-signed POSTs for escalations and
// completed conversations (GET, POST /api/v1/webhooks, DELETE
// /api/v1/webhooks/ID). The signing secret is shown once when a webhook is
// made.

import { get, post, del } from '../api.js';
import { h, append, heading, notice, failure, table, field, listOf, fmtTime, announce, button, confirmDialog } from '../dom.js';

const EVENTS = [['escalation.created', 'An escalation is raised'], ['conversation.completed', 'A conversation is completed']];

export async function render(main) {
  const listBox = h('div', { class: 'results', 'aria-live': 'polite' });
  const status = h('div', { 'aria-live': 'polite' });

  async function loadList() {
    try {
      const rows = listOf(await get('/api/v1/webhooks'), 'webhooks');
      listBox.replaceChildren(table({
        caption: 'Webhooks',
        empty: 'No webhooks yet.',
        rowHeader: 0,
        columns: [
          { label: 'URL', get: (w) => h('code', {}, w.url) },
          { label: 'Events', get: (w) => (w.events ?? []).join(', ') },
          { label: 'Active', get: (w) => (w.active === false ? 'paused' : 'yes') },
          { label: 'Deliveries', get: (w) => (w.deliveries ? `${w.deliveries.sent} sent, ${w.deliveries.pending} pending, ${w.deliveries.failed} failed` : '—') },
          { label: 'Added', get: (w) => fmtTime(w.created_at) },
          { label: 'Remove', get: (w) => button(`Delete ${w.url}`, () => remove(w), 'danger') },
        ],
        rows,
      }));
    } catch (e) {
      listBox.replaceChildren(failure(e));
    }
  }

  async function remove(w) {
    if (!(await confirmDialog('Delete this webhook?', `${w.url} stops receiving events.`, 'Delete'))) return;
    try {
      await del(`/api/v1/webhooks/${w.id}`);
      announce('Webhook deleted');
      loadList();
    } catch (e) {
      status.replaceChildren(failure(e));
    }
  }

  const url = h('input', { name: 'url', type: 'url', required: true, placeholder: 'https://example.com/hark' });
  const boxes = EVENTS.map(([v, l]) => {
    const cb = h('input', { type: 'checkbox', name: 'events', value: v, id: `event-${v.replace('.', '-')}`, checked: true });
    return h('div', { class: 'check' }, cb, h('label', { for: cb.id }, `${l} (${v})`));
  });
  const form = h('form', { class: 'pane' }, h('h2', {}, 'New webhook'), field('URL', url, 'HTTPS; Hark signs each body with HMAC-SHA256 and retries with backoff.'),
    h('fieldset', {}, h('legend', {}, 'Events'), boxes),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Add webhook')), status);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const events = boxes.map((b) => b.querySelector('input')).filter((c) => c.checked).map((c) => c.value);
    try {
      const r = await post('/api/v1/webhooks', { url: url.value.trim(), events });
      const secret = r?.secret;
      status.replaceChildren(secret
        ? h('div', { class: 'notice ok', role: 'status' }, h('p', {}, 'Signing secret (shown once: copy it now):'), h('code', { class: 'secret' }, secret))
        : notice('ok', 'Webhook added.'));
      url.value = '';
      loadList();
    } catch (e) {
      status.replaceChildren(failure(e));
    }
  });
  append(main, ...heading('Webhooks', 'Tell other systems when something happens.'), listBox, form);
  await loadList();
}
