// Employees: search and page through the list (GET /api/v1/employees; an
// hrbp sees the departments in their scope, read-only), edit
// one (PATCH /api/v1/employees/ID), erase one after a confirmation (DELETE:
// removes personal data and answer text, keeps anonymous aggregates), and
// import a CSV file (POST /api/v1/employees/import, text/csv, all or
// nothing) with every problem listed by line and column.

import { get, patch, del, api } from '../api.js';
import { h, append, heading, notice, failure, table, field, listOf, fmtInt, confirmDialog, announce, button, problem } from '../dom.js';

const PAGE = 50;
const EDITABLE = [
  ['first_name', 'First name', 'text'], ['last_name', 'Last name', 'text'], ['email', 'E-mail', 'email'],
  ['department', 'Department', 'text'], ['location', 'Location', 'text'], ['manager_email', 'Manager e-mail', 'email'],
  ['hire_date', 'Hire date', 'date'], ['exit_date', 'Exit date', 'date'], ['timezone', 'Time zone', 'text'],
];

const nameOf = (e) => [e.first_name, e.last_name].filter(Boolean).join(' ') || e.email || `#${e.id}`;

export async function render(main, ctx) {
  const isAdmin = ctx.may(['owner', 'admin']);
  const state = { q: ctx.params.q ?? '', pages: [null], page: 0, next: null };
  const listBox = h('div', { class: 'results', 'aria-live': 'polite' });
  const pane = h('div', { class: 'detail-box' });
  const importBox = h('div', { class: 'import-result', 'aria-live': 'polite' });

  async function loadList() {
    listBox.dataset.loaded = 'false';
    let body;
    try {
      body = await get('/api/v1/employees', { q: state.q, after: state.pages[state.page] ?? undefined, limit: PAGE });
    } catch (e) {
      listBox.replaceChildren(failure(e));
      return;
    }
    const rows = listOf(body, 'employees');
    state.next = body?.next_after ?? null;
    const pager = h('div', { class: 'pager' },
      button('Previous page', () => { state.page -= 1; loadList(); }, 'quiet', { disabled: state.page === 0 }),
      h('span', {}, `Page ${state.page + 1}${body?.total !== undefined ? ` · ${fmtInt(body.total)} employees` : ''}`),
      button('Next page', () => {
        state.pages[state.page + 1] = state.next;
        state.page += 1;
        loadList();
      }, 'quiet', { disabled: !state.next }));
    listBox.replaceChildren(table({
      caption: state.q ? `Employees matching "${state.q}"` : 'Employees',
      empty: state.q ? 'No employee matches.' : 'No employees yet: import a CSV file.',
      rowHeader: 0,
      columns: [
        { label: 'Name', get: (e) => h('a', { href: `#/employees?id=${e.id}`, dataset: { employee: e.id } }, nameOf(e)) },
        { label: 'External id', get: (e) => e.external_id || '—' },
        { label: 'E-mail', get: (e) => e.email || '—' },
        { label: 'Department', get: (e) => e.department || '—' },
        { label: 'Location', get: (e) => e.location || '—' },
        { label: 'Status', get: (e) => (e.erased_at ? 'erased' : e.exit_date ? `leaving ${e.exit_date}` : e.status || 'active') },
      ],
      rows,
    }), pager);
    listBox.dataset.loaded = 'true';
  }

  async function openOne(id) {
    ctx.setParams({ q: state.q, id });
    pane.replaceChildren(notice('info', 'Loading…'));
    let e;
    try {
      e = await get(`/api/v1/employees/${id}`);
      e = e?.employee ?? e;
    } catch (err) {
      pane.replaceChildren(failure(err));
      return;
    }
    const inputs = {};
    const form = h('form', { class: 'employee-form' },
      EDITABLE.map(([key, label, type]) => {
        const input = h('input', { name: key, type, readonly: !isAdmin });
        input.value = e[key] ?? '';
        inputs[key] = input;
        return field(label, input);
      }),
      isAdmin ? h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Save changes'),
        button('Erase this employee…', () => erase(e), 'danger')) : null);
    const status = h('div', { 'aria-live': 'polite' });
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const changes = {};
      for (const [key] of EDITABLE) if ((e[key] ?? '') !== inputs[key].value) changes[key] = inputs[key].value;
      if (!Object.keys(changes).length) {
        status.replaceChildren(notice('info', 'Nothing changed.'));
        return;
      }
      try {
        const r = await patch(`/api/v1/employees/${id}`, changes);
        Object.assign(e, r?.employee ?? r ?? changes);
        status.replaceChildren(notice('ok', 'Saved.'));
        announce('Saved');
        loadList();
      } catch (err) {
        status.replaceChildren(failure(err));
      }
    });
    pane.replaceChildren(h('section', { class: 'pane', 'aria-labelledby': 'emp-title' },
      h('h2', { id: 'emp-title', tabindex: '-1' }, nameOf(e)),
      e.erased_at ? notice('warn', 'This employee was erased: their personal data is gone.') : form,
      status));
    pane.querySelector('h2').focus();
  }

  async function erase(e) {
    const ok = await confirmDialog(`Erase ${nameOf(e)}?`,
      'This removes their name, e-mail and every answer text for good. Anonymous totals stay. The erasure is recorded in the audit log. It cannot be undone.',
      'Erase for good');
    if (!ok) return;
    try {
      await del(`/api/v1/employees/${e.id}`);
      pane.replaceChildren(notice('ok', 'Erased.'));
      announce('Erased');
      loadList();
    } catch (err) {
      pane.prepend(failure(err));
    }
  }

  // ---- search ----
  const q = h('input', { name: 'q', type: 'search', autocomplete: 'off' });
  q.value = state.q;
  const search = h('form', { class: 'inline filters', role: 'search' }, field('Search by name, e-mail, id or department', q),
    h('button', { type: 'submit', class: 'primary' }, 'Search'));
  search.addEventListener('submit', (ev) => {
    ev.preventDefault();
    state.q = q.value.trim();
    state.pages = [null];
    state.page = 0;
    ctx.setParams({ q: state.q });
    loadList();
  });

  // ---- CSV import ----
  const file = h('input', { name: 'file', type: 'file', accept: '.csv,text/csv' });
  const importForm = h('form', { class: 'pane import' },
    h('h2', {}, 'Import employees from CSV'),
    h('p', { class: 'hint' }, 'A header line, then one employee per line. Columns: email (required), external_id, first_name, last_name, department, location, manager_email, hire_date, exit_date (YYYY-MM-DD), timezone. Employees are matched by external id, else e-mail. A file with any problem changes nothing.'),
    field('CSV file', file),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Import')),
    importBox);
  importForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = file.files?.[0];
    if (!f) {
      importBox.replaceChildren(notice('error', 'Choose a CSV file first.'));
      file.focus();
      return;
    }
    importBox.replaceChildren(notice('info', `Importing ${f.name}…`));
    importBox.dataset.state = 'busy';
    try {
      const r = await api('POST', '/api/v1/employees/import', { raw: await f.arrayBuffer(), type: 'text/csv' });
      const rep = r?.report ?? r ?? {};
      importBox.replaceChildren(notice('ok',
        `Imported ${fmtInt(rep.rows)} rows: ${fmtInt(rep.created ?? rep.inserted)} new, ${fmtInt(rep.updated)} updated, ${fmtInt(rep.unchanged)} unchanged.`));
      importBox.dataset.state = 'ok';
      announce('Import done');
      state.pages = [null];
      state.page = 0;
      loadList();
    } catch (e) {
      const problems = e.body?.error?.problems ?? e.body?.problems ?? [];
      const total = e.body?.error?.problems_total ?? e.body?.error?.nproblems ?? problems.length;
      importBox.replaceChildren(notice('error', problems.length
        ? `Nothing was imported: the file has ${fmtInt(total)} problem${total === 1 ? '' : 's'}.`
        : `Nothing was imported: ${problem(e)}`));
      if (problems.length) {
        importBox.append(table({
          caption: total > problems.length ? `The first ${problems.length} problems` : 'Problems',
          className: 'problems',
          columns: [
            { label: 'Line', num: true, get: (p) => String(p.line) },
            { label: 'Column', num: true, get: (p) => String(p.column) },
            { label: 'Problem', get: (p) => p.message },
          ],
          rows: problems,
        }));
      }
      importBox.dataset.state = 'failed';
    }
  });

  listBox.addEventListener('click', (ev) => {
    const a = ev.target.closest('a[data-employee]');
    if (!a) return;
    ev.preventDefault();
    openOne(a.dataset.employee);
  });
  append(main, ...heading('Employees', 'Who Hark talks to. Import, search, correct and erase.'),
    search, listBox, pane, isAdmin ? importForm : null);
  await loadList();
  if (ctx.params.id) await openOne(ctx.params.id);
}
