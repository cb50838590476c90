// People to meet: employees whose recent answers show a low mood or a
// strongly negative comment, for HR to reach out to. Confidential mode only:
// in anonymous mode the server refuses it and the navigation hides it.
// Every view of it is audited by the server (identified answers).

import { get } from '../api.js';
import { h, append, heading, notice, failure, table, listOf, fmtTime, fmtNum } from '../dom.js';

const nameOf = (p) => {
  const e = p.employee ?? p;
  return [e.first_name, e.last_name].filter(Boolean).join(' ') || e.email || `#${e.id ?? e.employee_id}`;
};

function reason(r) {
  if (r.kind === 'low_mood') return `low mood (${fmtNum(r.mood, 1)} of 5)`;
  if (r.kind === 'negative_comment') return `strongly negative comment (${fmtNum(r.compound, 2)})`;
  return String(r.kind ?? '').replace(/_/g, ' ');
}

export async function render(main, ctx) {
  append(main, ...heading('People to meet', 'Low mood or strongly negative comments lately. A conversation in person helps more than a survey.'));
  if (ctx.tenant.mode && ctx.tenant.mode !== 'confidential') {
    append(main, notice('info', 'This tenant is in anonymous mode: nobody can see who said what, so there is no list of people.'));
    return;
  }
  let body;
  try {
    body = await get('/api/v1/people-to-meet');
  } catch (e) {
    append(main, failure(e));
    return;
  }
  const rows = listOf(body, 'people');
  append(main, notice('info', 'Viewing this list is recorded in the audit log.'), table({
    caption: 'People to meet',
    empty: 'Nobody stands out right now.',
    rowHeader: 0,
    columns: [
      { label: 'Name', get: (p) => nameOf(p) },
      { label: 'Department', get: (p) => p.employee?.department ?? p.department ?? '—' },
      { label: 'Why', get: (p) => (p.reasons ?? []).map(reason).join('; ') || '—' },
      { label: 'Touchpoint', get: (p) => p.touchpoint?.name ?? '—' },
      { label: 'Conversation', get: (p) => p.date ?? fmtTime(p.started_at) },
    ],
    rows,
  }));
}
