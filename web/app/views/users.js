// Users: the tenant's HR accounts and roles (GET /api/v1/users), adding one
// (POST: the answer holds a one-time password, shown once), changing a
// role, departments (an hrbp's scope) or disabled state (PATCH), and a new
// one-time password (POST /api/v1/users/ID/password-reset). The server
// decides who may manage whom (an admin never makes owners or admins).

import { get, post, patch } from '../api.js';
import { h, append, heading, notice, failure, table, field, select, listOf, fmtTime, announce, button, confirmDialog } from '../dom.js';

const ROLES = [['viewer', 'viewer: reads the dashboard'], ['hrbp', 'hrbp: HR for some departments'], ['admin', 'admin: runs the tenant'], ['owner', 'owner: everything, and anonymity settings']];

const deptText = (u) => (Array.isArray(u.departments) ? u.departments.join(', ') : '');
const deptList = (text) => text.split(/[,\n]/).map((s) => s.trim()).filter(Boolean);

export async function render(main, ctx) {
  const listBox = h('div', { class: 'results', 'aria-live': 'polite' });
  const pane = h('div', { class: 'detail-box', 'aria-live': 'polite' });
  let users = [];

  function oneTime(email, password) {
    return h('div', { class: 'notice ok', role: 'status' },
      h('p', {}, `One-time password for ${email} (shown once; they choose their own after signing in):`),
      h('code', { class: 'secret', dataset: { secret: 'password' } }, password));
  }

  async function loadList() {
    let body;
    try {
      body = await get('/api/v1/users', { limit: 100 });
    } catch (e) {
      listBox.replaceChildren(failure(e));
      return;
    }
    users = listOf(body, 'users');
    listBox.replaceChildren(table({
      caption: 'HR users',
      rowHeader: 0,
      columns: [
        { label: 'E-mail', get: (u) => h('a', { href: `#/users?id=${u.id}`, dataset: { user: u.id } }, u.email) },
        { label: 'Role', get: (u) => u.role },
        { label: 'Departments', get: (u) => deptText(u) || '—' },
        { label: 'State', get: (u) => (u.disabled ? `disabled ${fmtTime(u.disabled_at)}` : 'active') },
        { label: 'Added', get: (u) => fmtTime(u.created_at) },
      ],
      rows: users,
    }));
  }

  function openOne(id) {
    const u = users.find((x) => String(x.id) === String(id));
    if (!u) return;
    const role = select('role', ROLES, u.role);
    const depts = h('input', { name: 'departments', type: 'text' });
    depts.value = deptText(u);
    const disabled = h('input', { type: 'checkbox', name: 'disabled', id: `disabled-${u.id}`, checked: !!u.disabled });
    const status = h('div', { 'aria-live': 'polite' });
    const form = h('form', {},
      field('Role', role),
      field('Departments (hrbp only)', depts, 'Comma-separated department names, exactly as in the employee list.'),
      h('div', { class: 'check' }, disabled, h('label', { for: disabled.id }, 'Disabled (cannot sign in; sessions end)')),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Save'),
        button('New one-time password…', async () => {
          if (!(await confirmDialog('Reset the password?', `${u.email} gets a new one-time password and is signed out everywhere.`, 'Reset password'))) return;
          try {
            const r = await post(`/api/v1/users/${u.id}/password-reset`, {});
            status.replaceChildren(oneTime(u.email, r.password));
          } catch (e) {
            status.replaceChildren(failure(e));
          }
        }, 'quiet')),
      status);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const body = {};
      if (role.value !== u.role) body.role = role.value;
      if (deptText(u) !== depts.value.trim()) body.departments = deptList(depts.value);
      if (!!u.disabled !== disabled.checked) body.disabled = disabled.checked;
      if (!Object.keys(body).length) {
        status.replaceChildren(notice('info', 'Nothing changed.'));
        return;
      }
      try {
        await patch(`/api/v1/users/${u.id}`, body);
        status.replaceChildren(notice('ok', 'Saved.'));
        announce('Saved');
        await loadList();
      } catch (e) {
        status.replaceChildren(failure(e));
      }
    });
    pane.replaceChildren(h('section', { class: 'pane', 'aria-labelledby': 'user-title' }, h('h2', { id: 'user-title', tabindex: '-1' }, u.email), form));
    pane.querySelector('h2').focus();
  }

  const email = h('input', { name: 'email', type: 'email', required: true, autocomplete: 'off' });
  const role = select('role', ROLES, 'viewer');
  const depts = h('input', { name: 'departments', type: 'text' });
  const addStatus = h('div', { 'aria-live': 'polite' });
  const add = h('form', { class: 'pane' }, h('h2', {}, 'Add a user'),
    h('div', { class: 'filter-fields' }, field('E-mail', email), field('Role', role), field('Departments (hrbp only)', depts, 'Comma-separated.')),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Add user')), addStatus);
  add.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = { email: email.value.trim(), role: role.value };
    if (depts.value.trim()) body.departments = deptList(depts.value);
    try {
      const r = await post('/api/v1/users', body);
      addStatus.replaceChildren(oneTime(r.user?.email ?? body.email, r.password));
      email.value = '';
      depts.value = '';
      await loadList();
    } catch (e) {
      addStatus.replaceChildren(failure(e));
    }
  });

  listBox.addEventListener('click', (ev) => {
    const a = ev.target.closest('a[data-user]');
    if (!a) return;
    ev.preventDefault();
    ctx.setParams({ id: a.dataset.user });
    openOne(a.dataset.user);
  });
  append(main, ...heading('Users', 'Who can sign in to this dashboard, and what they may do.'), listBox, pane, add);
  await loadList();
  if (ctx.params.id) openOne(ctx.params.id);
}
