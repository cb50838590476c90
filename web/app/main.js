// The HR dashboard and admin panel: a single-page app of plain ES modules
// served from the binary (web/ is embedded; "/" is web/index.html). This file
// is the shell: the session, the hash router (#/overview, #/heatmap?rows=...),
// the navigation shown for the signed-in role, and sign-out. Each view is a
// module in views/ exporting `render(main, ctx)`, which may return a cleanup
// function. The server enforces every role on every endpoint; hiding a view
// here only spares a user links they cannot use.

import { api, get, setCsrf } from './api.js';
import { h, clear, append, notice, announce } from './dom.js';

const ALL = ['owner', 'admin', 'hrbp', 'viewer'];
const HR = ['owner', 'admin', 'hrbp'];
const ADMIN = ['owner', 'admin'];

/** The views: hash name, title, who may use it (the roles of the view's main
 * GET endpoint in the server's route table: `hark routes`; the browser test
 * checks the two agree), navigation group, module. */
export const ROUTES = [
  { name: 'overview', title: 'Overview', roles: ALL, group: 'Dashboard', load: () => import('./views/overview.js') },
  { name: 'heatmap', title: 'Heatmap', roles: ALL, group: 'Dashboard', load: () => import('./views/heatmap.js') },
  { name: 'comments', title: 'Comments', roles: HR, group: 'Dashboard', load: () => import('./views/comments.js') },
  { name: 'escalations', title: 'Escalations', roles: HR, group: 'Dashboard', load: () => import('./views/escalations.js') },
  {
    name: 'people', title: 'People to meet', roles: HR, group: 'Dashboard', confidential: true,
    load: () => import('./views/people.js'),
  },
  { name: 'outreach', title: 'Outreach', roles: ADMIN, group: 'Dashboard', load: () => import('./views/outreach.js') },
  { name: 'employees', title: 'Employees', roles: HR, group: 'Administration', load: () => import('./views/employees.js') },
  { name: 'users', title: 'Users', roles: ADMIN, group: 'Administration', load: () => import('./views/users.js') },
  {
    name: 'touchpoints', title: 'Touchpoints and flows', roles: ADMIN, group: 'Administration',
    load: () => import('./views/touchpoints.js'),
  },
  { name: 'settings', title: 'Settings', roles: ALL, group: 'Administration', load: () => import('./views/settings.js') },
  { name: 'webhooks', title: 'Webhooks', roles: ADMIN, group: 'Administration', load: () => import('./views/webhooks.js') },
  { name: 'tokens', title: 'API tokens', roles: ADMIN, group: 'Administration', load: () => import('./views/tokens.js') },
  { name: 'audit', title: 'Audit log', roles: ADMIN, group: 'Administration', load: () => import('./views/audit.js') },
];
const SIGN_IN = { name: 'sign-in', title: 'Sign in', roles: null, load: () => import('./views/signin.js') };

const state = {
  session: null, // the GET /api/v1/session body: {user: {email, role}, tenant, csrf_token, expires_at}
  tenant: { mode: null, k: null }, // from GET /api/v1/settings when readable
  after: null, // the hash to return to after signing in
  notice: null, // a message for the sign-in view (signed out, session ended)
  cleanup: null,
  seq: 0,
};

/** {name, params} of the current hash ("#/heatmap?rows=location"). */
function parseHash() {
  const raw = location.hash.startsWith('#/') ? location.hash.slice(2) : '';
  const q = raw.indexOf('?');
  const name = (q < 0 ? raw : raw.slice(0, q)) || '';
  const params = Object.fromEntries(new URLSearchParams(q < 0 ? '' : raw.slice(q + 1)));
  return { name, params };
}

function mayUse(r) {
  const role = state.session?.user?.role;
  if (!r.roles.includes(role)) return false;
  if (r.confidential && state.tenant.mode !== 'confidential') return false;
  return true;
}

/** The route for NAME that the user may use, or the first they may. */
function routeFor(name) {
  return ROUTES.find((r) => r.name === name && mayUse(r)) ?? ROUTES.find(mayUse);
}

function renderNav(current) {
  const nav = document.getElementById('nav');
  clear(nav);
  const groups = new Map();
  for (const r of ROUTES.filter(mayUse)) {
    if (!groups.has(r.group)) groups.set(r.group, []);
    groups.get(r.group).push(r);
  }
  for (const [group, routes] of groups) {
    const id = `nav-${group.toLowerCase()}`;
    append(nav, h('div', { class: 'nav-group' }, h('h2', { id }, group),
      h('ul', { 'aria-labelledby': id }, routes.map((r) =>
        h('li', {}, h('a', { href: `#/${r.name}`, 'aria-current': r.name === current ? 'page' : null, dataset: { route: r.name } }, r.title))))));
  }
  nav.hidden = false;
}

function renderChrome(current) {
  const signedIn = !!state.session;
  const who = document.getElementById('who');
  who.textContent = signedIn ? `${state.session.user.email} · ${state.session.user.role} · ${state.session.tenant}` : '';
  document.getElementById('sign-out').hidden = !signedIn;
  document.getElementById('menu-button').hidden = !signedIn;
  if (signedIn) renderNav(current);
  else {
    clear(document.getElementById('nav'));
    document.getElementById('nav').hidden = true;
  }
  document.body.classList.remove('nav-open');
  document.getElementById('menu-button').setAttribute('aria-expanded', 'false');
}

/** Reads the tenant's mode and k (GET /api/v1/settings; every role may). */
async function loadTenant() {
  try {
    const s = await get('/api/v1/settings');
    const set = s?.settings ?? s ?? {};
    state.tenant = { mode: set.confidentiality ?? null, k: set.anon_k ?? null };
  } catch {
    state.tenant = { mode: null, k: null };
  }
}

/** The context a view gets. */
function context(route, params) {
  return {
    route,
    params,
    session: state.session,
    role: state.session?.user?.role,
    tenant: state.tenant,
    may: (roles) => roles.includes(state.session?.user?.role),
    /** Replaces the hash's parameters without rendering again. */
    setParams(p) {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(p)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
      const s = q.toString();
      history.replaceState(null, '', `#/${route.name}${s ? `?${s}` : ''}`);
    },
    /** Learns the tenant's mode from a dashboard answer (refreshing the nav once when it changes). */
    noteMode(mode) {
      if (mode && mode !== state.tenant.mode) {
        state.tenant.mode = mode;
        renderNav(route.name);
      }
    },
    signedIn: (session) => signedIn(session),
  };
}

async function render() {
  const seq = ++state.seq;
  const { name, params } = parseHash();
  const main = document.getElementById('main');
  if (state.cleanup) {
    try {
      state.cleanup();
    } catch {
      /* a view's cleanup must not stop the next view */
    }
    state.cleanup = null;
  }
  let route;
  if (!state.session) {
    if (name && name !== 'sign-in') state.after = location.hash;
    route = SIGN_IN;
  } else {
    route = name === 'sign-in' ? routeFor('') : routeFor(name);
    if (`#/${route.name}` !== location.hash.split('?')[0]) {
      history.replaceState(null, '', `#/${route.name}`);
    }
  }
  renderChrome(route.name);
  document.body.dataset.view = route.name;
  document.body.dataset.state = 'loading';
  document.title = `${route.title} · Hark`;
  clear(main);
  main.setAttribute('aria-busy', 'true');
  try {
    const mod = await route.load();
    if (seq !== state.seq) return;
    const ctx = context(route, route === SIGN_IN ? { ...params, notice: state.notice } : params);
    state.notice = null;
    const cleanup = await mod.render(main, ctx);
    if (seq !== state.seq) {
      if (typeof cleanup === 'function') cleanup();
      return;
    }
    state.cleanup = typeof cleanup === 'function' ? cleanup : null;
    document.body.dataset.state = 'ready';
  } catch (e) {
    if (seq !== state.seq) return;
    append(main, notice('error', `This page could not be shown: ${e.message ?? e}`));
    document.body.dataset.state = 'error';
  } finally {
    if (seq === state.seq) main.removeAttribute('aria-busy');
  }
  if (seq === state.seq) {
    const title = main.querySelector('h1');
    if (title && document.activeElement?.closest?.('main') === null) title.focus({ preventScroll: true });
    else if (title && !main.contains(document.activeElement)) title.focus({ preventScroll: true });
  }
}

/** Called by the sign-in view with the POST /api/v1/session answer. */
async function signedIn(session) {
  state.session = session;
  setCsrf(session.csrf_token);
  await loadTenant();
  const target = state.after && state.after !== '#/sign-in' ? state.after : '#/overview';
  state.after = null;
  if (location.hash === target) render();
  else location.hash = target;
}

async function signOut() {
  try {
    await api('DELETE', '/api/v1/session');
  } catch {
    /* signed out either way: the server ends the session or it had ended */
  }
  state.session = null;
  setCsrf(null);
  state.after = null;
  state.notice = 'You are signed out.';
  announce('Signed out');
  if (location.hash === '#/sign-in') render();
  else location.hash = '#/sign-in';
}

window.addEventListener('hark:signed-out', () => {
  if (!state.session) return;
  state.session = null;
  setCsrf(null);
  state.notice = 'Your session has ended. Sign in again to go on.';
  if (location.hash !== '#/sign-in') state.after = location.hash;
  location.hash = '#/sign-in';
});

async function start() {
  document.getElementById('sign-out').addEventListener('click', signOut);
  const menu = document.getElementById('menu-button');
  menu.addEventListener('click', () => {
    const open = menu.getAttribute('aria-expanded') !== 'true';
    menu.setAttribute('aria-expanded', String(open));
    document.body.classList.toggle('nav-open', open);
    if (open) document.querySelector('#nav a')?.focus();
  });
  document.getElementById('skip').addEventListener('click', (ev) => {
    ev.preventDefault();
    const t = document.querySelector('#main h1') ?? document.getElementById('main');
    t.focus();
  });
  document.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape' && document.body.classList.contains('nav-open')) {
      document.body.classList.remove('nav-open');
      menu.setAttribute('aria-expanded', 'false');
      menu.focus();
    }
  });
  window.addEventListener('hashchange', render);
  try {
    const s = await get('/api/v1/session');
    state.session = s;
    setCsrf(s.csrf_token);
    await loadTenant();
  } catch {
    state.session = null;
  }
  render();
}

start();
