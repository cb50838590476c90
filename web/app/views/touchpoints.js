// Touchpoints and flows: which conversations Hark starts and when
// (GET /api/v1/touchpoints), and the flows they run (GET /api/v1/flows).
// A flow's JSON can be edited and saved as a new version
// (POST /api/v1/flows {name, json}); the server validates it and names the
// node of each problem. Conversations already under way keep the version they started
// with.

import { get, post } from '../api.js';
import { h, append, heading, notice, failure, table, field, listOf, fmtTime, announce, problem } from '../dom.js';

export async function render(main, ctx) {
  const tpBox = h('div', { class: 'results' });
  const flowBox = h('div', { class: 'results' });
  const pane = h('div', { class: 'detail-box', 'aria-live': 'polite' });

  async function loadLists() {
    try {
      tpBox.replaceChildren(table({
        caption: 'Touchpoints',
        rowHeader: 0,
        columns: [
          { label: 'Name', get: (t) => t.name },
          { label: 'Kind', get: (t) => t.kind ?? '—' },
          { label: 'Rule', get: (t) => (t.rule && Object.keys(t.rule).length ? h('code', {}, JSON.stringify(t.rule)) : '—') },
          { label: 'Flow', get: (t) => (t.flow ? `${t.flow_name} v${t.flow.version}` : t.flow_name ?? '—') },
          { label: 'State', get: (t) => (t.active === false ? 'paused' : 'active') },
        ],
        rows: listOf(await get('/api/v1/touchpoints'), 'touchpoints'),
      }));
    } catch (e) {
      tpBox.replaceChildren(failure(e));
    }
    try {
      flowBox.replaceChildren(table({
        caption: 'Flows',
        rowHeader: 0,
        columns: [
          { label: 'Flow', get: (f) => h('a', { href: `#/touchpoints?flow=${f.latest.id}`, dataset: { flow: f.latest.id } }, f.name) },
          { label: 'Version in use', num: true, get: (f) => String(f.latest.version) },
          { label: 'Versions', num: true, get: (f) => String(f.versions?.length ?? 1) },
          { label: 'Whose', get: (f) => (f.latest.shared ? 'Hark default' : 'this tenant') },
          { label: 'Since', get: (f) => fmtTime(f.latest.created_at) },
        ],
        rows: listOf(await get('/api/v1/flows'), 'flows'),
      }));
    } catch (e) {
      flowBox.replaceChildren(failure(e));
    }
  }

  async function openFlow(id) {
    ctx.setParams({ flow: id });
    pane.replaceChildren(notice('info', 'Loading…'));
    let f;
    try {
      f = await get(`/api/v1/flows/${id}`);
    } catch (e) {
      pane.replaceChildren(failure(e));
      return;
    }
    const doc = f.json ?? {};
    const text = h('textarea', { name: 'definition', rows: '24', class: 'code', spellcheck: 'false' });
    text.value = typeof doc === 'string' ? doc : JSON.stringify(doc, null, 2);
    const status = h('div', { 'aria-live': 'polite' });
    const form = h('form', {}, field('Flow JSON', text, 'Saving makes a new version; conversations already under way keep theirs.'),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Save as a new version')), status);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      let parsed;
      try {
        parsed = JSON.parse(text.value);
      } catch (e) {
        status.replaceChildren(notice('error', `Not valid JSON: ${e.message}`));
        text.focus();
        return;
      }
      try {
        const r = await post('/api/v1/flows', { name: f.name, json: parsed });
        const v = r?.version;
        status.replaceChildren(notice('ok', v ? `Saved as version ${v}.` : 'Saved.'));
        announce('Flow saved');
        loadLists();
      } catch (e) {
        const list = e.body?.error?.problems;
        status.replaceChildren(notice('error', problem(e)),
          Array.isArray(list) ? h('ul', { class: 'problems' }, list.map((p) => h('li', {}, p.node ? `${p.node}: ${p.message}` : p.message ?? String(p)))) : null);
      }
    });
    pane.replaceChildren(h('section', { class: 'pane', 'aria-labelledby': 'flow-title' },
      h('h2', { id: 'flow-title', tabindex: '-1' }, `${f.name ?? 'Flow'} (version ${f.version ?? '?'})`), form));
    pane.querySelector('h2').focus();
  }

  flowBox.addEventListener('click', (ev) => {
    const a = ev.target.closest('a[data-flow]');
    if (!a) return;
    ev.preventDefault();
    openFlow(a.dataset.flow);
  });
  append(main, ...heading('Touchpoints and flows', 'The moments Hark starts a conversation, and what it asks.'), tpBox, flowBox, pane);
  await loadLists();
  if (ctx.params.flow) await openFlow(ctx.params.flow);
}
