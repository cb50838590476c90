// Small DOM helpers shared by the views: an element builder, tables with
// headers, labelled form fields, notices and number formats. No framework,
// no innerHTML with data (every text goes in as a text node), and no style
// attributes (the page's CSP has no 'unsafe-inline' for styles).

let ids = 0;

/** A fresh id for label/field pairs. */
export function uid(prefix = 'f') {
  ids += 1;
  return `${prefix}-${ids}`;
}

/**
 * Builds an element. ATTRS: `class`, `text`, `on` ({event: handler}),
 * `dataset` ({key: value}), boolean properties (hidden, disabled, checked,
 * selected, required, multiple) and other attributes (null/undefined/false
 * are left out). CHILDREN: nodes, strings, numbers, arrays of them, or null.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') el.className = Array.isArray(v) ? v.filter(Boolean).join(' ') : v;
    else if (k === 'text') el.textContent = String(v);
    else if (k === 'on') for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
    else if (k === 'dataset') for (const [dk, dv] of Object.entries(v)) el.dataset[dk] = String(dv);
    else if (['hidden', 'disabled', 'checked', 'selected', 'required', 'multiple', 'value'].includes(k)) el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

/** Appends CHILDREN (as h accepts them) to EL; returns EL. */
export function append(el, ...children) {
  for (const c of [children].flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** Removes every child of EL; returns EL. */
export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

/** A notice paragraph: kind is info, error, ok or warn; errors are announced. */
export function notice(kind, text) {
  return h('p', { class: ['notice', kind], role: kind === 'error' ? 'alert' : 'status' }, text);
}

/** The message to show for a failed API call E (api.js ApiError or other). */
export function problem(e) {
  if (e?.status === 404 && e?.code === 'not_found' && e?.missingEndpoint)
    return 'This part of the API is not available on this server yet.';
  if (e?.status === 403) return `Not allowed: ${e.message}`;
  return e?.message ?? String(e);
}

/** An error notice for a failed call. */
export function failure(e) {
  return notice('error', problem(e));
}

/**
 * A table with a caption and column headers. COLUMNS: [{label, get(row) ->
 * string|number|Node, num (right-aligned), key (data-col)}]; ROWS: array;
 * opts.rowHeader: index of the column whose cells are row headers.
 */
export function table({ caption, columns, rows, empty = 'Nothing to show.', rowHeader = -1, className }) {
  if (!rows.length) return notice('info', empty);
  const head = h('tr', {}, columns.map((c) => h('th', { scope: 'col', class: c.num ? 'num' : null }, c.label)));
  const body = rows.map((r) =>
    h('tr', {}, columns.map((c, i) => {
      const v = c.get(r);
      return h(i === rowHeader ? 'th' : 'td', {
        scope: i === rowHeader ? 'row' : null,
        class: c.num ? 'num' : null,
        dataset: c.key ? { col: c.key } : null,
      }, v === null || v === undefined ? '—' : v);
    })));
  // The box scrolls sideways on a phone: focusable, so a keyboard can scroll it.
  return h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': caption ?? 'Table' },
    h('table', { class: ['data', className] }, caption ? h('caption', {}, caption) : null,
      h('thead', {}, head), h('tbody', {}, body)));
}

/** A labelled field: the label names CONTROL (an input, select or textarea). */
export function field(label, control, hint) {
  if (!control.id) control.id = uid();
  let hintEl = null;
  if (hint) {
    hintEl = h('p', { class: 'hint', id: `${control.id}-hint` }, hint);
    control.setAttribute('aria-describedby', hintEl.id);
  }
  return h('div', { class: 'field' }, h('label', { for: control.id }, label), control, hintEl);
}

/** A select of OPTIONS ([value, label] pairs or strings) with VALUE chosen. */
export function select(name, options, value) {
  return h('select', { name },
    options.map((o) => {
      const [v, l] = Array.isArray(o) ? o : [o, o];
      return h('option', { value: v, selected: String(v) === String(value ?? '') }, l);
    }));
}

/** A button; KIND: primary, quiet or danger. */
export function button(text, onClick, kind = 'primary', attrs = {}) {
  return h('button', { type: 'button', class: kind, on: { click: onClick }, ...attrs }, text);
}

const intFmt = new Intl.NumberFormat('en', { maximumFractionDigits: 0 });

/** 1234 -> "1,234"; null -> "—". */
export function fmtInt(n) {
  return typeof n === 'number' && Number.isFinite(n) ? intFmt.format(n) : '—';
}

/** 0.634 -> "63%" (DIGITS decimals). */
export function fmtPct(x, digits = 0) {
  return typeof x === 'number' && Number.isFinite(x) ? `${(x * 100).toFixed(digits)}%` : '—';
}

/** 3.8123 -> "3.8". */
export function fmtNum(x, digits = 1) {
  return typeof x === 'number' && Number.isFinite(x) ? x.toFixed(digits) : '—';
}

/** A signed integer: 12 -> "+12", -3 -> "−3". */
export function fmtSigned(x) {
  if (typeof x !== 'number' || !Number.isFinite(x)) return '—';
  const r = Math.round(x);
  return r > 0 ? `+${r}` : r < 0 ? `−${-r}` : '0';
}

/** Unix ms (or ISO text) -> "2026-03-14 09:30" in the browser's zone. */
export function fmtTime(t) {
  if (t === null || t === undefined || t === '') return '—';
  const d = new Date(typeof t === 'number' ? t : String(t));
  if (Number.isNaN(d.getTime())) return String(t);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** "2026-03" -> "Mar 2026". */
export function fmtMonth(m) {
  const [y, mo] = String(m).split('-').map(Number);
  if (!y || !mo) return String(m);
  return new Date(Date.UTC(y, mo - 1, 1)).toLocaleDateString('en', { month: 'short', year: 'numeric', timeZone: 'UTC' });
}

/** Says TEXT to screen readers through the page's live region. */
export function announce(text) {
  const live = document.getElementById('live');
  if (!live) return;
  live.textContent = '';
  setTimeout(() => { live.textContent = text; }, 30);
}

/** A page heading with an optional lead paragraph; the router focuses it. */
export function heading(title, lead) {
  return [h('h1', { tabindex: '-1', class: 'page-title' }, title), lead ? h('p', { class: 'lead' }, lead) : null];
}

/** Asks for confirmation in a modal <dialog>; resolves true or false. */
export function confirmDialog(title, text, action = 'Confirm', kind = 'danger') {
  return new Promise((resolve) => {
    const dlg = h('dialog', { class: 'dialog', 'aria-labelledby': uid('dlg') });
    const titleEl = h('h2', { id: dlg.getAttribute('aria-labelledby') }, title);
    const done = (v) => {
      dlg.close();
      dlg.remove();
      resolve(v);
    };
    append(dlg, [titleEl, h('p', {}, text),
      h('div', { class: 'actions' }, button('Cancel', () => done(false), 'quiet'), button(action, () => done(true), kind))]);
    dlg.addEventListener('cancel', (ev) => {
      ev.preventDefault();
      done(false);
    });
    document.body.append(dlg);
    dlg.showModal();
  });
}

/** The array of a list answer: BODY[KEY], BODY.items, or BODY itself. */
export function listOf(body, key) {
  if (Array.isArray(body)) return body;
  if (body && Array.isArray(body[key])) return body[key];
  if (body && Array.isArray(body.items)) return body.items;
  return [];
}

/** A <dl> of [term, value] pairs (values may be nodes); null values are left out. */
export function details(pairs) {
  return h('dl', {}, pairs.filter(([, v]) => v !== null && v !== undefined && v !== '')
    .map(([t, v]) => [h('dt', {}, t), h('dd', {}, v)]));
}
