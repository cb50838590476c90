// The baseline of bench/run.sh's "sentiment" scenario: the npm package
// vader-sentiment (the JavaScript port of VADER) doing the same job as
// `hark sentiment`. Reads one text per line on stdin (a trailing CR is
// dropped; a last line without a newline counts) and writes one line per
// text to stdout: compound, pos, neu, neg, tab-separated, 4 decimals. It
// reads and writes in large blocks so that the figure is the package's
// scoring speed, not the cost of node's line-by-line I/O.
//   node bench/vader-node.mjs < texts.txt > scores.tsv
import vader from 'vader-sentiment';

const analyzer = vader.SentimentIntensityAnalyzer;
const OUT_BLOCK = 1 << 16;
let out = [];
let outLen = 0;
let rest = '';

function flush() {
  if (out.length) process.stdout.write(out.join(''));
  out = [];
  outLen = 0;
}

function score(line) {
  if (line.endsWith('\r')) line = line.slice(0, -1);
  const s = analyzer.polarity_scores(line);
  const row = `${s.compound.toFixed(4)}\t${s.pos.toFixed(4)}\t${s.neu.toFixed(4)}\t${s.neg.toFixed(4)}\n`;
  out.push(row);
  outLen += row.length;
  if (outLen >= OUT_BLOCK) flush();
}

process.stdin.setEncoding('utf8');
for await (const chunk of process.stdin) {
  const lines = (rest + chunk).split('\n');
  rest = lines.pop();
  for (const line of lines) score(line);
}
if (rest.length) score(rest);
flush();
