// Escalations inbox: red-flagged answers for HR to act on
// (GET /api/v1/escalations), by state. Opening one shows its detail and notes
// (GET /api/v1/escalations/ID); HR acknowledges or resolves it and assigns
// it (PATCH /api/v1/escalations/ID) and adds notes
// (POST /api/v1/escalations/ID/notes). #/escalations?id=N opens one. In
// anonymous mode the server sends no employee and only days, not times.

import { get, patch, post } from '../api.js';
import { h, append, heading, notice, failure, table, fmtTime, listOf, select, field, details, announce, button } from '../dom.js';

const STATES = [['open', 'Open'], ['acknowledged', 'Acknowledged'], ['resolved', 'Resolved'], ['', 'All']];
const KINDS = {
  self_harm: 'Self-harm', harassment: 'Harassment', violence: 'Violence', discrimination: 'Discrimination',
  safety: 'Safety', fraud: 'Fraud',
};

const kindLabel = (k) => KINDS[k] ?? String(k ?? '').replace(/_/g, ' ');
const statusOf = (e) => e.status ?? e.state ?? '';
const assigneeOf = (e) => e.assignee?.email ?? e.assignee_email ?? (e.assignee_id ? `user ${e.assignee_id}` : null);

function badge(status) {
  return h('span', { class: `badge ${status}`, dataset: { status } }, status || '—');
}

export async function render(main, ctx) {
  const state = { status: STATES.some(([v]) => v === ctx.params.status) ? ctx.params.status : 'open', id: ctx.params.id ?? null, pages: [null], page: 0 };
  const listBox = h('div', { class: 'results', 'aria-live': 'polite' });
  const pane = h('div', { class: 'detail-box' });
  let users = null;

  // Who can be assigned: the active owners, admins and hrbps (every HR role
  // may read this list; the server checks an hrbp's departments on assignment).
  async function loadUsers() {
    if (users) return users;
    try {
      users = listOf(await get('/api/v1/escalations/assignees'), 'assignees');
    } catch {
      users = [];
    }
    return users;
  }

  async function loadList() {
    listBox.dataset.loaded = 'false';
    let body;
    try {
      body = await get('/api/v1/escalations', { status: state.status || undefined, after: state.pages[state.page] ?? undefined, limit: 25 });
      ctx.noteMode(body?.mode);
    } catch (e) {
      listBox.replaceChildren(failure(e));
      return;
    }
    const rows = listOf(body, 'escalations');
    listBox.replaceChildren(table({
      caption: `${STATES.find(([v]) => v === state.status)?.[1] ?? 'All'} escalations`,
      empty: 'No escalations here.',
      rowHeader: 0,
      columns: [
        { label: 'Escalation', get: (e) => h('a', { href: `#/escalations?status=${state.status}&id=${e.id}`, dataset: { escalation: e.id } }, `#${e.id} ${kindLabel(e.kind)}`) },
        { label: 'What was said', get: (e) => (e.excerpt ? `“${e.excerpt}${e.excerpt_truncated ? '…' : ''}”` : '—') },
        { label: 'Severity', get: (e) => h('span', { class: `badge sev-${e.severity}` }, String(e.severity ?? '—')) },
        { label: 'Status', get: (e) => badge(statusOf(e)) },
        { label: 'Assigned to', get: (e) => assigneeOf(e) ?? 'nobody' },
        { label: 'Raised', get: (e) => e.created_on ?? fmtTime(e.created_at) },
        { label: 'Notes', num: true, get: (e) => String(e.notes ?? 0) },
      ],
      rows,
    }), h('div', { class: 'pager' },
      button('Previous page', () => { state.page -= 1; loadList(); }, 'quiet', { disabled: state.page === 0 }),
      h('span', {}, `Page ${state.page + 1}`),
      button('Next page', () => { state.pages[state.page + 1] = body.next_after; state.page += 1; loadList(); }, 'quiet', { disabled: !body?.next_after })));
    listBox.dataset.loaded = 'true';
  }

  async function act(id, body, done) {
    try {
      await patch(`/api/v1/escalations/${id}`, body);
      announce(done);
      await Promise.all([loadList(), openOne(id, done)]);
    } catch (e) {
      pane.prepend(failure(e));
    }
  }

  async function openOne(id, message) {
    state.id = id;
    ctx.setParams({ status: state.status, id });
    pane.replaceChildren(notice('info', 'Loading…'));
    let e;
    try {
      e = await get(`/api/v1/escalations/${id}`);
    } catch (err) {
      pane.replaceChildren(failure(err));
      return;
    }
    const status = statusOf(e);
    const notes = Array.isArray(e.notes_list) ? e.notes_list : [];
    const noteBox = h('textarea', { name: 'note', rows: '3', maxlength: '4000' });
    const noteForm = h('form', { class: 'note-form' }, field('Add a note', noteBox, 'Notes are for HR; the employee never sees them.'),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'quiet' }, 'Add note')));
    noteForm.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const text = noteBox.value.trim();
      if (!text) {
        noteBox.focus();
        return;
      }
      try {
        await post(`/api/v1/escalations/${id}/notes`, { text });
        announce('Note added');
        await openOne(id, 'Note added.');
      } catch (err) {
        noteForm.append(failure(err));
      }
    });
    const actions = h('div', { class: 'actions' },
      status === 'open' ? button('Acknowledge', () => act(id, { status: 'acknowledged' }, 'Acknowledged.'), 'primary', { dataset: { action: 'acknowledge' } }) : null,
      status !== 'resolved' ? button('Resolve', () => act(id, { status: 'resolved' }, 'Resolved.'), status === 'open' ? 'quiet' : 'primary', { dataset: { action: 'resolve' } }) : null,
      status === 'resolved' ? button('Reopen', () => act(id, { status: 'open' }, 'Reopened.'), 'quiet', { dataset: { action: 'reopen' } }) : null);

    const list = await loadUsers();
    const current = e.assignee?.id ?? '';
    const choices = [['', 'Nobody'], ...list.map((u) => [u.id, `${u.email} (${u.role})`])];
    if (current && !list.some((u) => u.id === current)) choices.push([current, e.assignee.email]);
    const who = select('assignee', choices, current);
    const assign = h('form', { class: 'inline assign' }, field('Assigned to', who), h('button', { type: 'submit', class: 'quiet' }, 'Assign'));
    assign.addEventListener('submit', (ev) => {
      ev.preventDefault();
      act(id, { assignee_id: who.value ? Number(who.value) : null }, 'Assignment saved.');
    });

    pane.replaceChildren(h('section', { class: 'pane', 'aria-labelledby': 'esc-title', dataset: { escalation: id, status } },
      h('h2', { id: 'esc-title', tabindex: '-1' }, `Escalation #${e.id}: ${kindLabel(e.kind)}`),
      message ? notice('ok', message) : null,
      details([
        ['Status', badge(status)],
        ['Severity', String(e.severity ?? '—')],
        ['Raised', e.created_at ? fmtTime(e.created_at) : e.created_on],
        ['Last change', e.updated_at ? fmtTime(e.updated_at) : e.updated_on],
        ['Employee', e.employee ? [e.employee.first_name, e.employee.last_name].filter(Boolean).join(' ') || e.employee.email : null],
        ['Department', e.employee?.department ?? null],
        ['What was said', e.excerpt ? `“${e.excerpt}${e.excerpt_truncated ? '…' : ''}”` : null],
        ['Assigned to', assigneeOf(e) ?? 'nobody'],
      ]),
      actions, assign,
      h('h3', {}, 'Notes'),
      notes.length ? h('ul', { class: 'notes' }, notes.map((n) => h('li', {},
        h('p', {}, n.text ?? ''), h('p', { class: 'meta' }, `${n.author?.email ?? 'a former user'} · ${n.created_at ? fmtTime(n.created_at) : n.created_on}`)))) : h('p', { class: 'meta' }, 'No notes yet.'),
      noteForm,
      h('p', {}, h('a', { href: `#/escalations?status=${state.status}` }, 'Back to the list'))));
    if (!message) pane.querySelector('h2').focus();
  }

  const statusSel = select('status', STATES, state.status);
  const filter = h('form', { class: 'inline filters' }, field('Show', statusSel), h('button', { type: 'submit', class: 'primary' }, 'Show'));
  filter.addEventListener('submit', (ev) => {
    ev.preventDefault();
    state.status = statusSel.value;
    state.pages = [null];
    state.page = 0;
    ctx.setParams({ status: state.status });
    pane.replaceChildren();
    loadList();
  });
  listBox.addEventListener('click', (ev) => {
    const a = ev.target.closest('a[data-escalation]');
    if (!a) return;
    ev.preventDefault();
    openOne(a.dataset.escalation);
  });
  append(main, ...heading('Escalations', 'Answers that raised a red flag. Acknowledge them, act, note what was done, and resolve them.'),
    filter, listBox, pane);
  await loadList();
  if (state.id) await openOne(state.id);
}
