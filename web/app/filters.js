// The dashboard's filter bar: month range, department, location, tenure band
// and touchpoint, from GET /api/v1/dashboard/segments. The values live in
// the hash (#/overview?from=2026-01&department=Sales) so a view can be
// bookmarked and reloaded; "Apply" reloads the view's figures.

import { get } from './api.js';
import { h, field, select, uid } from './dom.js';

export const FILTER_KEYS = ['from', 'to', 'department', 'location', 'band', 'touchpoint'];

let cache = null;

/** The segments (cached for the page's life); {} when they cannot be read. */
export async function segments() {
  if (cache) return cache;
  try {
    cache = (await get('/api/v1/dashboard/segments')) ?? {};
  } catch (e) {
    if (e.status === 401) throw e;
    return { error: e };
  }
  return cache;
}

/** The filter values of PARAMS. */
export function pickFilters(params) {
  const f = {};
  for (const k of FILTER_KEYS) if (params[k]) f[k] = params[k];
  return f;
}

const labelOf = (x) => (typeof x === 'object' && x !== null ? x.label ?? x.name ?? x.key ?? x.id : x);
const valueOf = (x) => (typeof x === 'object' && x !== null ? x.key ?? x.id ?? x.name : x);

/**
 * The filter form. SEGS: segments(); VALUES: current filters; ON_APPLY(values)
 * is called on submit. opts.omit: keys not offered; opts.extra: more
 * [key, label, control] fields first (the heatmap's axes). Returns the form.
 */
export function filterBar(segs, values, onApply, opts = {}) {
  const omit = new Set(opts.omit ?? []);
  const months = Array.isArray(segs.months) ? segs.months : [];
  const controls = {};
  const monthControl = (name) => {
    if (months.length) return select(name, [['', name === 'from' ? 'Earliest' : 'Latest'], ...months], values[name]);
    const el = h('input', { name, type: 'month', placeholder: 'YYYY-MM', pattern: '\\d{4}-\\d{2}' });
    el.value = values[name] ?? '';
    return el;
  };
  const listControl = (name, list, all) => {
    if (Array.isArray(list) && list.length)
      return select(name, [['', all], ...list.map((x) => [valueOf(x), labelOf(x)])], values[name]);
    const el = h('input', { name, type: 'text' });
    el.value = values[name] ?? '';
    return el;
  };
  const parts = [];
  const add = (key, label, control) => {
    if (omit.has(key)) return;
    controls[key] = control;
    parts.push(field(label, control));
  };
  for (const [key, label, control] of opts.extra ?? []) add(key, label, control);
  add('from', 'From month', monthControl('from'));
  add('to', 'To month', monthControl('to'));
  add('department', 'Department', listControl('department', segs.departments, 'All departments'));
  add('location', 'Location', listControl('location', segs.locations, 'All locations'));
  add('band', 'Tenure band', listControl('band', segs.bands, 'All tenures'));
  add('touchpoint', 'Touchpoint', listControl('touchpoint', segs.touchpoints, 'All touchpoints'));
  const headingId = uid('filters');
  const form = h('form', { class: 'filters', 'aria-labelledby': headingId },
    h('h2', { id: headingId, class: 'visually-hidden' }, 'Filters'),
    h('div', { class: 'filter-fields' }, parts),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'primary' }, 'Apply'),
      h('button', { type: 'reset', class: 'quiet' }, 'Clear filters')));
  const read = () => {
    const v = {};
    for (const [k, el] of Object.entries(controls)) if (el.value) v[k] = el.value;
    return v;
  };
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    onApply(read());
  });
  form.addEventListener('reset', () => {
    setTimeout(() => {
      for (const [k, el] of Object.entries(controls)) if (!(opts.extra ?? []).some(([x]) => x === k)) el.value = '';
      onApply(read());
    }, 0);
  });
  form.read = read;
  return form;
}

/** The label of touchpoint ID from the segments (or the id). */
export function touchpointName(segs, id) {
  const t = (segs.touchpoints ?? []).find((x) => String(valueOf(x)) === String(id));
  return t ? labelOf(t) : String(id);
}
