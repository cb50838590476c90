// Settings: the tenant's time zone, outreach schedule, anonymity threshold k
// and confidentiality mode (GET and PATCH /api/v1/settings). Every role
// reads them; owners and admins change the schedule; only an owner changes
// k and the mode (the server refuses the others, so the page does not offer
// it). A PATCH sends only the fields that changed.

import { get, patch } from '../api.js';
import { h, append, heading, notice, failure, field, select, announce } from '../dom.js';

const DAYS = [['mon', 'Mon'], ['tue', 'Tue'], ['wed', 'Wed'], ['thu', 'Thu'], ['fri', 'Fri'], ['sat', 'Sat'], ['sun', 'Sun']];

export async function render(main, ctx) {
  let s;
  try {
    s = await get('/api/v1/settings');
  } catch (e) {
    append(main, ...heading('Settings'), failure(e));
    return;
  }
  s = s?.settings ?? s;
  const canEdit = ctx.may(['owner', 'admin']);
  const isOwner = ctx.may(['owner']);
  const input = (name, type, value, attrs = {}) => {
    const el = h('input', { name, type, disabled: !canEdit, ...attrs });
    el.value = value ?? '';
    return el;
  };
  const f = {
    timezone: input('timezone', 'text', s.timezone, { autocomplete: 'off' }),
    send_time: input('send_time', 'time', s.send_time),
    quiet_hours: input('quiet_hours', 'text', s.quiet_hours ?? '', { placeholder: '20:00-08:00' }),
    frequency_cap_days: input('frequency_cap_days', 'number', s.frequency_cap_days, { min: '0' }),
    reminders: input('reminders', 'number', s.reminders, { min: '0' }),
    reminder_hours: input('reminder_hours', 'number', s.reminder_hours, { min: '1' }),
    invite_ttl_days: input('invite_ttl_days', 'number', s.invite_ttl_days, { min: '1' }),
    anon_k: input('anon_k', 'number', s.anon_k, { min: '3', disabled: !isOwner }),
  };
  const mode = select('confidentiality', [['anonymous', 'Anonymous: HR never sees who said what'], ['confidential', 'Confidential: HR may see who said what (audited)']], s.confidentiality);
  mode.disabled = !isOwner;
  const days = DAYS.map(([v, l]) => {
    const cb = h('input', { type: 'checkbox', name: 'working_days', value: v, id: `day-${v}`, checked: (s.working_days ?? []).includes(v), disabled: !canEdit });
    return h('span', { class: 'check' }, cb, h('label', { for: cb.id }, l));
  });
  const status = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'settings' },
    h('section', { class: 'pane' }, h('h2', {}, 'Outreach schedule'),
      h('div', { class: 'filter-fields' },
        field('Time zone', f.timezone, 'An IANA name such as Europe/Berlin: employees without their own zone get this one.'),
        field('Send invitations at', f.send_time),
        field('Quiet hours', f.quiet_hours, 'HH:MM-HH:MM, or empty for none.'),
        field('At most one invitation every … days', f.frequency_cap_days),
        field('Reminders', f.reminders),
        field('Hours before a reminder', f.reminder_hours),
        field('Chat links stay valid for … days', f.invite_ttl_days)),
      h('fieldset', { class: 'days' }, h('legend', {}, 'Working days'), h('div', { class: 'actions' }, days))),
    h('section', { class: 'pane' }, h('h2', {}, 'Anonymity'),
      isOwner ? null : notice('info', 'Only an owner can change the threshold and the mode.'),
      field('Smallest group shown (k)', f.anon_k, 'Groups with fewer people are hidden everywhere, with as many others as it takes to stop subtraction. At least 3; default 5.'),
      field('Mode', mode)),
    canEdit ? h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Save settings')) : null,
    status);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = {};
    const numeric = ['frequency_cap_days', 'reminders', 'reminder_hours', 'invite_ttl_days', 'anon_k'];
    for (const [k, el] of Object.entries(f)) {
      if (el.disabled) continue;
      const now = numeric.includes(k) ? Number(el.value) : el.value.trim();
      const was = s[k] ?? (numeric.includes(k) ? null : '');
      if (now !== was) body[k] = k === 'quiet_hours' && now === '' ? null : now;
    }
    if (!mode.disabled && mode.value !== s.confidentiality) body.confidentiality = mode.value;
    const chosen = days.map((d) => d.querySelector('input')).filter((c) => c.checked).map((c) => c.value);
    if (canEdit && chosen.join() !== (s.working_days ?? []).join()) body.working_days = chosen;
    if (!Object.keys(body).length) {
      status.replaceChildren(notice('info', 'Nothing changed.'));
      return;
    }
    try {
      const r = await patch('/api/v1/settings', body);
      s = r?.settings ?? r ?? { ...s, ...body };
      ctx.noteMode(s.confidentiality);
      status.replaceChildren(notice('ok', 'Saved.'));
      announce('Settings saved');
    } catch (e) {
      status.replaceChildren(failure(e));
    }
  });
  append(main, ...heading('Settings', `The tenant ${s.name ?? s.tenant ?? ''}: schedule and anonymity.`), form);
}
