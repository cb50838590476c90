// `hark sentiment` measured as the issue asks, against the real binary:
// - parity: --compat agrees with the npm reference (vader-sentiment 1.1.3)
//   within 0.001 on at least 99.5% of the 14,805 texts of tests/data/sentiment,
//   both run here on the same texts;
// - against humans: the default mode reaches Pearson r 0.87 on tweets and 0.43
//   on movie snippets (the reference: 0.879 and 0.418);
// - bad input: every line gets exactly one output line, never a crash.
// The figures themselves go to docs/sentiment.md (tools/sentiment-report.mjs).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { HARK_BIN, ROOT } from './harness.mjs';
import {
  CORPORA, readCorpus, harkScores, referenceScores, pearson, agreement, f1,
} from '../../tools/sentiment-report.mjs';

const DATA = path.join(ROOT, 'tests', 'data', 'sentiment');

function sentiment(args, input) {
  const r = spawnSync(HARK_BIN, ['sentiment', ...args], { input, timeout: 60000, maxBuffer: 1 << 26 });
  if (r.error) throw new Error(`cannot run ${HARK_BIN}: ${r.error.message}`);
  assert.equal(r.signal, null, `hark sentiment was killed by ${r.signal}\n${r.stderr}`);
  return { code: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

test('--compat agrees with the npm reference on the 14,805 texts', () => {
  let total = 0, agree = 0;
  for (const c of CORPORA) {
    const texts = readCorpus(DATA, c.file).map((d) => d.text);
    const ref = referenceScores(texts);
    const ours = harkScores(HARK_BIN, texts, ['--compat']);
    const a = agreement(ours, ref, 0.001);
    total += texts.length;
    agree += Math.round(a.share * texts.length);
    const worst = a.bad.slice(0, 3).map((i) => `${JSON.stringify(texts[i])}: ${JSON.stringify(ours[i])} vs ${JSON.stringify(ref[i])}`);
    assert.ok(a.share >= 0.995, `${c.name}: ${(a.share * 100).toFixed(2)}% agree; e.g.\n${worst.join('\n')}`);
  }
  assert.equal(total, 14805, 'the whole corpus was compared');
  assert.ok(agree / total >= 0.995);
});

test('the default mode correlates with the human ratings', () => {
  const want = { tweets: 0.87, 'movie snippets': 0.43 };
  for (const c of CORPORA) {
    const rows = readCorpus(DATA, c.file);
    const ours = harkScores(HARK_BIN, rows.map((d) => d.text));
    assert.ok(ours.every((s) => !s.error), 'every text scored');
    const human = rows.map((d) => d.human);
    const r = pearson(ours.map((s) => s.compound), human);
    const f = f1(ours.map((s) => s.compound), human);
    assert.ok(r >= want[c.name], `${c.name}: Pearson r ${r.toFixed(3)} < ${want[c.name]}`);
    // A sanity bound, far below the measured figure: 3-class F1 is reported in docs.
    assert.ok(f.weighted > 0.5, `${c.name}: weighted F1 ${f.weighted.toFixed(3)}`);
  }
});

test('flags column: kind:severity, comma-separated, empty when none', () => {
  const { code, stdout } = sentiment([], 'I want to kill myself\nThe team is great\n');
  assert.equal(code, 0);
  const lines = stdout.split('\n');
  assert.equal(lines.length, 3);
  assert.match(lines[0], /^-?\d\.\d{4}\t\d\.\d{4}\t\d\.\d{4}\t\d\.\d{4}\tself_harm:3$/);
  assert.match(lines[1], /^0\.\d{4}\t\d\.\d{4}\t\d\.\d{4}\t\d\.\d{4}\t$/);
});

test('bad input: one line out per line in, errors named, never a crash', () => {
  const emoji = '\u{1F600}'.repeat(5000);
  const input = Buffer.concat([
    Buffer.from('\n'), // empty
    Buffer.from('x'.repeat(70000) + '\n'), // over the 64 KiB bound
    Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x80, 0x0a]), // binary garbage with a NUL byte
    Buffer.from([0x6f, 0x6b, 0x20, 0xed, 0xa0, 0x80, 0x0a]), // a lone surrogate, encoded
    Buffer.from(emoji + '\n'), // thousands of emoji
    Buffer.from('fine &amp; dandy &#39;ok&#39; &lt;3\n'), // HTML entities
    Buffer.from('A'.repeat(1000) + ' good'), // a long word; the last line without a newline
  ]);
  const { code, stdout, stderr } = sentiment([], input);
  assert.equal(code, 0, stderr);
  const out = stdout.split('\n');
  assert.equal(out.pop(), '');
  assert.equal(out.length, 7);
  assert.match(out[0], /^0\.0000\t0\.0000\t1\.0000\t0\.0000\t$/);
  assert.equal(out[1], 'error\tline longer than 65536 bytes');
  assert.equal(out[2], 'error\tinvalid UTF-8');
  assert.equal(out[3], 'error\tinvalid UTF-8');
  assert.ok(Number(out[4].split('\t')[0]) > 0.9, out[4]); // thousands of 😀: positive, bounded
  assert.ok(Number(out[4].split('\t')[0]) <= 1, out[4]);
  assert.match(out[5], /^0\.\d{4}\t/);
  assert.match(out[6], /^0\.\d{4}\t/);
});

test('bad arguments exit 2 naming the problem; --help lists the rules', () => {
  let r = sentiment(['--without', 'nonsense'], '');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown rule 'nonsense'/);
  r = sentiment(['--frobnicate'], '');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown argument '--frobnicate'/);
  r = sentiment(['--help'], '');
  assert.equal(r.code, 0);
  for (const rule of ['case', 'tokens', 'no', 'supplement', 'elongated', 'senses', 'dampen', 'clause'])
    assert.match(r.stdout, new RegExp(`\\n {6}${rule} `));
});
