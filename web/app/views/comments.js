// Comments: the employees' free-text answers with their sentiment and
// themes (GET /api/v1/comments), filtered like the other dashboard views and
// by sentiment. The server sends no identity and no exact time (a month),
// and withholds comments of groups under k and of months too small; in
// confidential mode HR may ask for who said what (identified=1, audited).

import { get } from '../api.js';
import { h, append, heading, notice, failure, fmtMonth, fmtTime, fmtNum, listOf, select, announce } from '../dom.js';
import { filterBar, pickFilters, segments, touchpointName } from '../filters.js';
import { hiddenExplain, isHidden } from '../anon.js';

const SENTIMENTS = [['', 'Any sentiment'], ['negative', 'Negative'], ['neutral', 'Neutral'], ['positive', 'Positive']];

function sentimentOf(c) {
  const s = c.sentiment;
  if (typeof s === 'string') return { label: s, score: c.score ?? null };
  if (s && typeof s === 'object') return { label: s.label ?? '', score: s.score ?? s.compound ?? null };
  return { label: c.label ?? '', score: c.score ?? null };
}

function commentItem(c, segs) {
  const s = sentimentOf(c);
  const when = c.created_at ? fmtTime(c.created_at) : c.month ? fmtMonth(c.month) : null;
  const who = c.employee ? [c.employee.first_name, c.employee.last_name].filter(Boolean).join(' ') || c.employee.email : null;
  const themes = Array.isArray(c.themes) ? c.themes.map((t) => (typeof t === 'string' ? t : t.label ?? t.name ?? t.theme)) : [];
  return h('li', { class: 'comment', dataset: { sentiment: s.label } },
    h('blockquote', {}, c.text ?? ''),
    h('div', { class: 'tags' },
      s.label ? h('span', { class: `badge ${s.label}` }, s.score === null ? s.label : `${s.label} (${fmtNum(s.score, 2)})`) : null,
      themes.map((t) => h('span', { class: 'badge' }, t)),
      c.touchpoint_id !== undefined ? h('span', {}, touchpointName(segs, c.touchpoint_id)) : null,
      c.employee?.department ? h('span', {}, c.employee.department) : null,
      when ? h('span', {}, when) : null,
      who ? h('span', { class: 'who-said' }, `said by ${who}`) : null));
}

export async function render(main, ctx) {
  const segs = await segments();
  let filters = pickFilters(ctx.params);
  let sentiment = ctx.params.sentiment ?? '';
  const results = h('div', { class: 'results', 'aria-live': 'polite' });
  let cursor = null;

  async function load(more = false) {
    if (!more) {
      results.replaceChildren(notice('info', 'Loading…'));
      cursor = null;
    }
    results.dataset.loaded = 'false';
    let body;
    try {
      body = await get('/api/v1/comments', { ...filters, sentiment, identified: identified ? 1 : undefined, after: more ? cursor : undefined });
    } catch (e) {
      results.replaceChildren(failure(e));
      return;
    }
    ctx.noteMode(body?.mode);
    if (!more) results.replaceChildren();
    results.querySelector('.more')?.remove();
    if (isHidden(body) || body?.shown === false) {
      results.append(notice('warn', hiddenExplain(body.hidden, body.k)));
    } else {
      const items = listOf(body, 'comments');
      let list = results.querySelector('ul.comment-list');
      if (!list) {
        if (identified) results.append(notice('info', 'Who said what is shown: this view is recorded in the audit log.'));
        if (Array.isArray(body?.themes) && body.themes.length) {
          results.append(h('p', { class: 'themes' }, 'Themes: ', body.themes.map((t, i) => [i ? ', ' : '', `${t.term} (${t.count})`])));
        }
        if (Array.isArray(body?.hidden_months) && body.hidden_months.length) {
          results.append(notice('warn', `Comments of ${body.hidden_months.map(fmtMonth).join(', ')} are hidden: too few people answered in those months.`));
        }
        if (!items.length) results.append(notice('info', 'No comments for this selection.'));
        list = h('ul', { class: 'comment-list' });
        results.append(list);
      }
      items.forEach((c) => list.append(commentItem(c, segs)));
      cursor = body?.next ?? null;
      if (cursor) results.append(h('p', { class: 'more' }, h('button', { type: 'button', class: 'quiet', on: { click: () => load(true) } }, 'Show more comments')));
    }
    results.dataset.loaded = 'true';
  }

  const sentimentSelect = select('sentiment', SENTIMENTS, sentiment);
  let identified = ctx.params.identified === '1' && ctx.tenant.mode === 'confidential';
  const extra = [['sentiment', 'Sentiment', sentimentSelect]];
  if (ctx.tenant.mode === 'confidential') {
    extra.push(['identified', 'Show who said what', select('identified', [['', 'No: anonymous'], ['1', 'Yes (audited)']], identified ? '1' : '')]);
  }
  const bar = filterBar(segs, { ...filters }, (v) => {
    sentiment = v.sentiment ?? '';
    identified = v.identified === '1';
    filters = pickFilters(v);
    ctx.setParams({ ...filters, sentiment, identified: identified ? 1 : '' });
    load().then(() => announce('Comments updated'));
  }, { extra, omit: ['band'] });
  append(main, ...heading('Comments', 'What people wrote, with its sentiment and themes.'), bar, results);
  await load();
}
