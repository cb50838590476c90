// Sign-in: tenant, e-mail and password (POST /api/v1/session). Shows the
// server's answer: wrong credentials, or throttling with the seconds to wait
// (429 Retry-After), counting down before the button works again.

import { post } from '../api.js';
import { h, append, field, notice, heading, problem } from '../dom.js';

export async function render(main, ctx) {
  const tenant = h('input', { name: 'tenant', autocomplete: 'organization', required: true, autocapitalize: 'none', spellcheck: 'false' });
  const email = h('input', { name: 'email', type: 'email', autocomplete: 'username', required: true });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  tenant.value = localStorage.getItem('hark.tenant') ?? '';
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
  const status = h('div', { class: 'form-status' });
  if (ctx.params.notice) status.append(notice('info', ctx.params.notice));
  let timer = null;

  const form = h('form', { class: 'signin', novalidate: true },
    field('Company (tenant)', tenant, 'The short name of your company in Hark, for example "acme".'),
    field('E-mail', email),
    field('Password', password),
    h('div', { class: 'actions' }, submit),
    status);

  function wait(seconds) {
    let left = Math.max(1, Math.ceil(seconds));
    submit.disabled = true;
    const msg = notice('error', '');
    msg.dataset.retryAfter = String(left);
    const tick = () => {
      msg.textContent = `Too many failed attempts. Try again in ${left} s.`;
      msg.dataset.retryAfter = String(left);
      if (left <= 0) {
        clearInterval(timer);
        timer = null;
        submit.disabled = false;
        msg.textContent = 'You can try again now.';
        return;
      }
      left -= 1;
    };
    tick();
    timer = setInterval(tick, 1000);
    status.replaceChildren(msg);
  }

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const missing = [[tenant, 'Company'], [email, 'E-mail'], [password, 'Password']].filter(([el]) => !el.value.trim());
    if (missing.length) {
      status.replaceChildren(notice('error', `Fill in: ${missing.map(([, n]) => n).join(', ')}.`));
      missing[0][0].focus();
      return;
    }
    submit.disabled = true;
    status.replaceChildren(notice('info', 'Signing in…'));
    try {
      const body = await post('/api/v1/session', { tenant: tenant.value.trim(), email: email.value.trim(), password: password.value });
      localStorage.setItem('hark.tenant', tenant.value.trim());
      password.value = '';
      await ctx.signedIn(body);
    } catch (e) {
      password.value = '';
      if (e.status === 429) {
        wait(e.retryAfter ?? 1);
        return;
      }
      submit.disabled = false;
      status.replaceChildren(notice('error', e.code === 'bad_credentials'
        ? 'The company, e-mail or password is wrong.'
        : problem(e)));
      password.focus();
    }
  });

  append(main, h('section', { class: 'signin-wrap' }, heading('Sign in to Hark'), form));
  (tenant.value ? email : tenant).focus();
  return () => {
    if (timer) clearInterval(timer);
  };
}
