// Measures the dashboard's read endpoints on a running `hark serve`: signs
// in, then sends each query ROUNDS times one after another over one
// keep-alive connection (after WARMUP unmeasured rounds) and prints, per
// query, the median, p95 and max latency in ms as one tab-separated line.
// Usage: node bench/dashboard.mjs URL TENANT EMAIL PASSWORD [ROUNDS] [WARMUP]
import http from 'node:http';

const [url, tenant, email, password, roundsArg, warmupArg] = process.argv.slice(2);
const ROUNDS = Number(roundsArg ?? 200), WARMUP = Number(warmupArg ?? 20);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function request(method, path, headers = {}, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(url + path, { method, headers, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    if (body) req.end(body);
    else req.end();
  });
}

const login = await request('POST', '/api/v1/session', { 'content-type': 'application/json' },
  JSON.stringify({ tenant, email, password }));
if (login.status !== 200) throw new Error(`sign-in: ${login.status} ${login.body}`);
const cookie = login.headers['set-cookie'][0].split(';')[0];
const seg = JSON.parse((await request('GET', '/api/v1/dashboard/segments', { cookie })).body);
const dept = encodeURIComponent(seg.departments[1]), loc = encodeURIComponent(seg.locations[2]);
const queries = [
  ['overview', '/api/v1/dashboard/overview'],
  ['overview department', `/api/v1/dashboard/overview?department=${dept}`],
  ['overview department+location+band', `/api/v1/dashboard/overview?department=${dept}&location=${loc}&band=2-5y`],
  ['heatmap department x touchpoint', '/api/v1/dashboard/heatmap?rows=department&cols=touchpoint'],
  ['heatmap department x month', '/api/v1/dashboard/heatmap?rows=department&cols=month&measure=enps'],
  ['heatmap location x band, one department', `/api/v1/dashboard/heatmap?rows=location&cols=band&department=${dept}`],
  ['heatmap manager x month, one department', `/api/v1/dashboard/heatmap?rows=manager&cols=month&department=${dept}`],
];
for (const [name, path] of queries) {
  const ms = [];
  for (let i = 0; i < WARMUP + ROUNDS; i++) {
    const t0 = process.hrtime.bigint();
    const r = await request('GET', path, { cookie });
    const t = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 200) throw new Error(`${path}: ${r.status} ${r.body}`);
    if (i >= WARMUP) ms.push(t);
  }
  ms.sort((a, b) => a - b);
  const q = (p) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))];
  console.log([name, q(0.5).toFixed(1), q(0.95).toFixed(1), ms[ms.length - 1].toFixed(1)].join('\t'));
}
agent.destroy();
