#!/usr/bin/env node
// Measures Hark's sentiment scorer against the human ratings of
// tests/data/sentiment (Hutto & Gilbert 2014) and against the reference
// implementation (npm vader-sentiment 1.1.3) on the same texts, and prints the
// Markdown tables of docs/sentiment.md. Usage:
//   node tools/sentiment-report.mjs [--hark build/hark] [--data DIR] [--ablation]
// Also imported by tests/integration/sentiment.test.mjs for the same figures.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

export const CORPORA = [
  { name: 'tweets', file: 'tweets_GroundTruth.txt' },
  { name: 'movie snippets', file: 'movieReviewSnippets_GroundTruth.txt' },
];

// Reads one corpus: `id <TAB> mean rating <TAB> text` lines with CRLF ends.
export function readCorpus(dir, file) {
  const rows = [];
  for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
    const l = line.replace(/\r$/, '');
    if (!l) continue;
    const a = l.indexOf('\t'), b = l.indexOf('\t', a + 1);
    rows.push({ id: l.slice(0, a), human: Number(l.slice(a + 1, b)), text: l.slice(b + 1) });
  }
  return rows;
}

// Runs `hark sentiment ARGS` over the texts; returns [{compound, pos, neu, neg, flags}].
export function harkScores(bin, texts, args = []) {
  const r = spawnSync(bin, ['sentiment', ...args], { input: texts.join('\n') + '\n', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`hark sentiment ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  const lines = r.stdout.toString().split('\n');
  lines.pop();
  if (lines.length !== texts.length) throw new Error(`${lines.length} output lines for ${texts.length} texts`);
  return lines.map((l) => {
    const f = l.split('\t');
    if (f[0] === 'error') return { error: f[1] };
    return { compound: +f[0], pos: +f[1], neu: +f[2], neg: +f[3], flags: f[4] };
  });
}

export function referenceScores(texts) {
  const vader = require('vader-sentiment');
  return texts.map((t) => vader.SentimentIntensityAnalyzer.polarity_scores(t));
}

export function pearson(xs, ys) {
  const n = xs.length;
  let mx = 0, my = 0;
  for (let i = 0; i < n; i++) { mx += xs[i]; my += ys[i]; }
  mx /= n; my /= n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i] - mx, dy = ys[i] - my;
    sxy += dx * dy; sxx += dx * dx; syy += dy * dy;
  }
  return sxy / Math.sqrt(sxx * syy);
}

// Three classes with the paper's threshold: compound above 0.05 positive,
// below -0.05 negative; the human mean (-4..4) with the same threshold.
const cls = (x) => (x > 0.05 ? 1 : x < -0.05 ? -1 : 0);

// Returns {macro, weighted} F1 over the three classes.
export function f1(pred, human) {
  const classes = [1, 0, -1];
  let macro = 0, weighted = 0;
  for (const c of classes) {
    let tp = 0, fp = 0, fn = 0, support = 0;
    for (let i = 0; i < pred.length; i++) {
      const p = cls(pred[i]), h = cls(human[i]);
      if (h === c) support++;
      if (p === c && h === c) tp++;
      else if (p === c) fp++;
      else if (h === c) fn++;
    }
    const prec = tp + fp ? tp / (tp + fp) : 0, rec = tp + fn ? tp / (tp + fn) : 0;
    const f = prec + rec ? (2 * prec * rec) / (prec + rec) : 0;
    macro += f / classes.length;
    weighted += (f * support) / pred.length;
  }
  return { macro, weighted };
}

// Share of texts where every field agrees within TOL.
export function agreement(ours, ref, tol = 0.001) {
  let ok = 0;
  const bad = [];
  for (let i = 0; i < ours.length; i++) {
    const a = ours[i], b = ref[i];
    const same = !a.error && ['compound', 'pos', 'neu', 'neg'].every((k) => Math.abs(a[k] - b[k]) <= tol);
    if (same) ok++;
    else bad.push(i);
  }
  return { share: ok / ours.length, bad };
}

function main() {
  const args = process.argv.slice(2);
  const opt = (name, def) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : def; };
  const bin = opt('--hark', process.env.HARK_BIN || join(root, 'build/hark'));
  const dir = opt('--data', join(root, 'tests/data/sentiment'));
  const ablation = args.includes('--ablation');
  const fmt = (x) => x.toFixed(3);
  const configs = [['Hark default', []], ['Hark --compat', ['--compat']]];
  if (ablation) {
    const help = spawnSync(bin, ['sentiment', '--help']).stdout.toString();
    for (const m of help.matchAll(/^ {6}(\S+) {2,}/gm)) configs.push([`default without ${m[1]}`, ['--without', m[1]]]);
  }
  const rows = [];
  let parity = [];
  for (const c of CORPORA) {
    const data = readCorpus(dir, c.file);
    const texts = data.map((d) => d.text), human = data.map((d) => d.human);
    const ref = referenceScores(texts);
    const compat = harkScores(bin, texts, ['--compat']);
    const agr = agreement(compat, ref);
    parity.push(`| ${c.name} | ${texts.length} | ${(agr.share * 100).toFixed(2)}% | ${agr.bad.length} |`);
    const line = (name, comp) => {
      const f = f1(comp, human);
      rows.push({ corpus: c.name, name, r: pearson(comp, human), macro: f.macro, weighted: f.weighted });
    };
    line('reference (npm vader-sentiment 1.1.3)', ref.map((s) => s.compound));
    for (const [name, a] of configs) {
      const s = a[0] === '--compat' ? compat : harkScores(bin, texts, a);
      line(name, s.map((x) => x.compound ?? 0));
    }
    if (process.env.SHOW_BAD) for (const i of agr.bad.slice(0, +process.env.SHOW_BAD)) console.error(JSON.stringify(texts[i]), JSON.stringify(compat[i]), JSON.stringify(ref[i]));
  }
  console.log('| corpus | texts | within 0.001 of the reference | differing |\n| --- | ---: | ---: | ---: |');
  console.log(parity.join('\n'));
  console.log('\n| corpus | scorer | Pearson r | F1 macro | F1 weighted |\n| --- | --- | ---: | ---: | ---: |');
  for (const r of rows) console.log(`| ${r.corpus} | ${r.name} | ${fmt(r.r)} | ${fmt(r.macro)} | ${fmt(r.weighted)} |`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
