// `hark themes` as a user runs it: about thirty employee comments piped in,
// the top themes out as TSV (term, term|phrase, comments, mean sentiment).
// Checks the themes a reader would expect, their counts and the sign of their
// sentiment, the line rules shared with `hark sentiment` (CRLF, skipped lines
// reported on stderr) and the exit code 2 for bad flags.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { HARK_BIN } from './harness.mjs';

/** Runs `hark themes ARGS` with INPUT on stdin; returns {code, stdout, stderr}. */
function themes(args, input) {
  const r = spawnSync(HARK_BIN, ['themes', ...args], { input, encoding: 'utf8', timeout: 20000 });
  if (r.error) throw new Error(`cannot run ${HARK_BIN}: ${r.error.message} (set HARK_BIN or build first)`);
  assert.equal(r.signal, null, `hark themes ${args.join(' ')} was killed\n${r.stderr}`);
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Parses the TSV output into [{term, kind, count, sentiment}], checking its shape. */
function parse(stdout) {
  assert.ok(stdout.endsWith('\n') || stdout === '', 'output ends with a newline');
  return stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((line) => {
      const f = line.split('\t');
      assert.equal(f.length, 4, `four tab-separated fields: ${JSON.stringify(line)}`);
      assert.match(f[1], /^(term|phrase)$/, line);
      assert.match(f[2], /^[1-9][0-9]*$/, line);
      assert.match(f[3], /^-?[01]\.[0-9]{4}$/, line);
      assert.equal(f[1] === 'phrase', f[0].includes(' '), `a phrase is two words: ${line}`);
      return { term: f[0], kind: f[1], count: Number(f[2]), sentiment: Number(f[3]) };
    });
}

// What people said, as they said it: managers and the team (praised), the
// workload, meetings and work-life balance (complained about), pay (unhappy).
const COMMENTS = [
  'My manager is supportive and always has time for the team.',
  'I love my team, everyone is helpful and kind.',
  'The workload is crushing and I am exhausted every week.',
  "Too many meetings, I can't focus on anything.",
  'My manager gives great feedback and clear goals to the team!',
  'Work life balance is terrible since the reorg.',
  'Our team is fantastic and we celebrate wins together.',
  'Salary is below market and the raise was disappointing.',
  'Onboarding was smooth and well organised.',
  'The workload keeps growing while the deadlines shrink.',
  'Meetings run late and waste hours of my day.',
  'I trust my manager completely, she is a great leader.',
  'Poor work life balance, I answer emails at midnight.',
  'The team culture is welcoming and positive.',
  'Salary reviews are unfair and opaque.',
  'My manager is amazing and very fair.',
  'Workload is unsustainable, burnout is coming.',
  'Onboarding was excellent, my manager and buddy helped so much.',
  'Endless status meetings, boring and pointless.',
  'Great team spirit, I am proud of my colleagues.',
  'The work life balance here is awful.',
  "I appreciate my manager's patience and support.",
  'Heavy workload, constant meetings and no help, I feel stressed.',
  'Salary is too low for the cost of living, frustrating.',
  'My team is happy and collaborative.',
  'Meetings are badly run and the workload suffers.',
  'Work life balance got worse with the new on-call rota.',
  'Managers here genuinely care about us, wonderful.',
  'The onboarding program was helpful and my manager was friendly.',
  'Workload doubled and nobody listens, it is awful.',
];

const byTerm = (rows) => new Map(rows.map((r) => [r.term, r]));

test('hark themes --top 10 finds what thirty comments talk about', () => {
  const r = themes(['--top', '10'], COMMENTS.join('\n') + '\n');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '', 'nothing skipped, nothing to report');
  const rows = parse(r.stdout);
  assert.equal(rows.length, 10);
  const got = byTerm(rows);
  // The most used first: manager (8, "managers" and "manager's" folded in),
  // team (7), workload (6), then meeting (5, "meetings" folded).
  assert.deepEqual(rows.slice(0, 4).map((x) => [x.term, x.count]),
    [['manager', 8], ['team', 7], ['workload', 6], ['meeting', 5]]);
  for (let i = 1; i < rows.length; i++) assert.ok(rows[i].count <= rows[i - 1].count, 'most used first');
  // The two-word phrases of "work life balance", never split by the clause rules.
  for (const p of ['work life', 'life balance']) {
    assert.ok(got.has(p), `phrase "${p}" in the top 10:\n${r.stdout}`);
    assert.equal(got.get(p).kind, 'phrase');
    assert.equal(got.get(p).count, 4);
  }
  // Praise and complaints keep their sign.
  for (const t of ['manager', 'team']) assert.ok(got.get(t).sentiment > 0, `${t} is praised: ${got.get(t).sentiment}`);
  for (const t of ['workload', 'meeting', 'work life']) {
    assert.ok(got.get(t).sentiment < 0, `${t} is a complaint: ${got.get(t).sentiment}`);
  }
  // Stop words and chat filler are never themes; plurals are folded.
  for (const w of ['the', 'and', 'my', 'is', 'was', 'very', 'so', 'managers', 'meetings']) {
    assert.ok(!got.has(w), `"${w}" is not a theme`);
  }
});

test('hark themes: CRLF, skipped lines and the phrase bar', () => {
  const long = 'workload '.repeat(8000); // over 64 KiB: skipped, not counted
  const input = [
    'Too many meetings\r',
    'meetings again\r',
    'team lunch was great',
    'team lunch again',
    '',
    'bad \xff byte',
    long,
    'team lunch',
  ].join('\n');
  // Latin-1 turns \xff into the single byte 0xFF: invalid UTF-8.
  const r = themes(['--min-phrase', '3'], Buffer.from(input, 'latin1'));
  assert.equal(r.code, 0, r.stderr);
  const got = byTerm(parse(r.stdout));
  assert.equal(got.get('meeting')?.count, 2, 'CR stripped, lines counted');
  assert.equal(got.get('team lunch')?.count, 3);
  assert.ok(!got.has('workload'), 'the over-long line is not counted');
  assert.ok(!got.has('byte'), 'the invalid line is not counted');
  assert.match(r.stderr, /skipped 2 lines \(1 longer than 65536 bytes, 1 not valid UTF-8\)/);

  const bar = themes(['--min-phrase=4'], Buffer.from(input, 'latin1'));
  assert.ok(!byTerm(parse(bar.stdout)).has('team lunch'), 'a phrase under --min-phrase is not reported');
  const few = themes(['--top', '2'], 'alpha beta gamma\n');
  assert.equal(parse(few.stdout).length, 2);
  const none = themes([], '');
  assert.equal(none.code, 0);
  assert.equal(none.stdout, '');
});

test('hark themes: bad flags exit 2 and name the flag', () => {
  const cases = [
    [['--top', 'abc'], /--top/],
    [['--top', '0'], /--top/],
    [['--top', '-3'], /--top/],
    [['--top', '99999999999999999999999'], /--top/],
    [['--min-phrase', '1.5'], /--min-phrase/],
    [['--min-phrase'], /--min-phrase/],
    [['--frobnicate'], /--frobnicate/],
    [['extra'], /extra/],
  ];
  for (const [args, re] of cases) {
    const r = themes(args, 'my manager is great\n');
    assert.equal(r.code, 2, `hark themes ${args.join(' ')}: exit code\n${r.stderr}`);
    assert.match(r.stderr, re, `hark themes ${args.join(' ')}`);
    assert.equal(r.stdout, '', 'no output on bad usage');
  }
});
