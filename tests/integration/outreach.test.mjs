// Outreach end to end against the real binary and a real SMTP server
// (tests/smtp/sink.py): 10,000 employees due today get exactly one invite
// each, with a link that opens their own conversation; reminders reach the
// non-responders only; kill -9 at random moments loses nothing and doubles
// at most one message per kill; an unreachable mail server is waited for
// with growing pauses, not a tight loop; a rejected address is recorded
// with the server's reply; a red-flag answer reaches the tenant's admins
// within 5 s, once, without the answer's text.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import net from 'node:net';
import {
  Server, converse, runHark, sleep, spawnHark, startSink, stopAll, tempDataDir,
} from './harness.mjs';

after(stopAll);

const DAY = '2026-12-02'; // a Wednesday
const NOW = `${DAY}T16:00:00Z`; // 10:00 has passed in every zone below, none is in quiet hours
const ZONES = ['Europe/Paris', 'Europe/London', 'America/New_York', 'America/Sao_Paulo', ''];
const TOKEN_RE = /\/c\/([A-Za-z0-9_-]+)/;

/** A tenant "acme" with N employees and one campaign due today; the
 * default touchpoints are switched off so exactly one invite is due each. */
async function tenantWithCampaign(n, opts = {}) {
  const dataDir = await tempDataDir('hark-outreach-');
  const d = ['--data-dir', dataDir];
  await runHark(['tenant', 'create', 'acme', '--name', 'Acme Ünited', '--admin', 'owner@acme.example',
    '--timezone', 'Europe/Paris', ...d]);
  let csv = 'external_id,email,first_name,last_name,department,location,manager_email,hire_date,exit_date,timezone\n';
  for (let i = 1; i <= n; i++) {
    const id = String(i).padStart(5, '0');
    csv += `E${id},e${id}@acme.example,First${id},Last,Dept${i % 7},Site,,2020-01-15,,${ZONES[i % ZONES.length]}\n`;
  }
  const file = path.join(dataDir, 'people.csv');
  await fs.writeFile(file, csv);
  await runHark(['import', 'employees', '--tenant', 'acme', file, ...d], { timeout: 60000 });
  for (const tp of ['onboarding', 'tenure', 'pulse', 'exit']) {
    await runHark(['touchpoint', 'set', '--tenant', 'acme', '--name', tp, '--active', 'false', ...d]);
  }
  await runHark(['touchpoint', 'set', '--tenant', 'acme', '--name', 'launch', '--kind', 'adhoc', '--flow', 'pulse',
    '--rule', JSON.stringify({ date: DAY }), ...d]);
  if (opts.schedule) await runHark(['schedule', '--tenant', 'acme', ...opts.schedule, ...d]);
  return { dataDir, d };
}

function outreachArgs(sink, d, extra = []) {
  return ['--now', NOW, '--smtp-url', `smtp://127.0.0.1:${sink.port}`, '--smtp-tls', 'off', '--outreach-rate', '0',
    '--smtp-conns', '8', ...d, ...extra];
}

/** Who got what: Map rcpt -> [message meta], and the total. */
async function byRecipient(sink) {
  const all = await sink.messages();
  const map = new Map();
  for (const m of all) {
    for (const r of m.rcpt_tos) {
      if (!map.has(r)) map.set(r, []);
      map.get(r).push(m);
    }
  }
  return { all, map };
}

describe('outreach over SMTP', { timeout: 600000 }, () => {
  test('10,000 employees due today: one invite each, working links, reminders to non-responders only', async () => {
    const N = 10000;
    const { dataDir, d } = await tenantWithCampaign(N);
    const sink = await startSink();
    const r = await runHark([...outreachArgs(sink, d), 'outreach', '--once'], { timeout: 240000 });
    assert.match(r.stdout, /planned 10000 invites/);
    assert.match(r.stdout, /sent 10000,/);
    const { all, map } = await byRecipient(sink);
    assert.equal(all.length, N, 'exactly one message per employee');
    assert.equal(map.size, N);
    for (let i = 1; i <= N; i += 997) {
      const id = String(i).padStart(5, '0');
      assert.ok(map.has(`e${id}@acme.example`), `e${id} got no invite`);
    }
    // A run again sends nothing new.
    const again = await runHark([...outreachArgs(sink, d), 'outreach', '--once'], { timeout: 120000 });
    assert.match(again.stdout, /planned 0 invites/);
    assert.equal((await sink.messages()).length, N);

    // Links open a conversation for the right employee (its first bot
    // message greets them by first name); ten of them answer.
    const srv = new Server(dataDir, ['--outreach', 'false', '--now', NOW], {});
    await srv.start('127.0.0.1:0');
    const responders = new Set();
    for (let i = 3; i <= N; i += 1111) {
      const id = String(i).padStart(5, '0');
      const [meta] = map.get(`e${id}@acme.example`);
      const eml = await sink.eml(meta.n);
      const token = TOKEN_RE.exec(eml.replace(/=\r?\n/g, ''))[1];
      const c = await srv.connect();
      c.send({ t: 'hello', token, last_seq: 0 });
      const welcome = await c.next();
      const first = await c.next();
      assert.equal(first.t, 'bot');
      assert.match(first.text, new RegExp(`First${id}`), 'the link opens the conversation of the right employee');
      c.close();
      responders.add(`e${id}@acme.example`);
      void welcome;
    }
    await srv.terminate();

    // 48 hours and a bit later: reminders for everyone else, none for those who started.
    const later = '2026-12-04T16:05:00Z';
    const rem = await runHark(['--now', later, ...outreachArgs(sink, d).slice(2), 'outreach', '--once'],
      { timeout: 240000 });
    assert.match(rem.stdout, new RegExp(`sent ${N - responders.size},`), rem.stdout);
    const after2 = await byRecipient(sink);
    for (const [rcpt, msgs] of after2.map) {
      assert.equal(msgs.length, responders.has(rcpt) ? 1 : 2, `${rcpt}: ${msgs.length} messages`);
    }
    const status = await runHark(['outreach', 'status', '--tenant', 'acme', '--now', later, ...d]);
    assert.match(status.stdout, /reminder\tsent\t9991/);
    await sink.stop();
  });

  test('kill -9 at random moments: every invite delivered, duplicates at most the kills', async () => {
    const N = 10000;
    const KILLS = 10;
    const { d } = await tenantWithCampaign(N);
    const sink = await startSink();
    // One connection: a message is then the only one that can be between
    // the server's 250 and the mark in the database when the kill comes, so
    // duplicates are at most one per kill (with C connections, at most C:
    // docs/outreach.md).
    const base = ['--smtp-url', `smtp://127.0.0.1:${sink.port}`, '--smtp-tls', 'off', '--outreach-rate', '0',
      '--smtp-conns', '1', '--outreach-lease-ms', '1500', '--outreach-batch', '100', ...d];
    // --now starts each process's clock at the given time; advancing it with
    // the real time keeps one clock across the processes, as machines share
    // one (a lease taken by a killed process must run out for the next).
    const t0 = Date.now();
    const now = () => new Date(Date.parse(NOW) + (Date.now() - t0)).toISOString().replace(/\.\d+Z$/, 'Z');
    let kills = 0;
    for (let k = 0; k < KILLS; k++) {
      const child = spawnHark(['--now', now(), ...base, 'outreach'], { stdio: ['ignore', 'ignore', 'ignore'] });
      await sleep(300 + Math.floor(Math.random() * 1200));
      assert.equal(child.exitCode, null, 'the outreach process was still running when it was killed');
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
      kills++;
    }
    // Then one run to the end, once the killed runs' leases have run out.
    await sleep(1600);
    const last = await runHark(['--now', now(), ...base, 'outreach', '--once'], { timeout: 240000 });
    const { all, map } = await byRecipient(sink);
    assert.equal(map.size, N, `every employee got the invite\n${last.stdout}`);
    const dups = all.length - N;
    console.log(`# crash test: ${kills} kills, ${all.length} messages for ${N} invites, ${dups} duplicates`);
    assert.ok(dups <= kills, `${dups} duplicates for ${kills} kills`);
    // Every duplicate carries the same Message-ID as its first copy.
    for (const msgs of map.values()) {
      if (msgs.length > 1) assert.equal(new Set(msgs.map((m) => m.message_id)).size, 1);
    }
    await sink.stop();
  });

  test('mail server down for a while: growing pauses, no tight loop, nothing lost', async () => {
    const N = 50;
    const { d } = await tenantWithCampaign(N);
    // A port nobody listens on yet.
    const port = await new Promise((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = s.address().port;
        s.close(() => resolve(p));
      });
    });
    const args = ['--now', NOW, '--smtp-url', `smtp://127.0.0.1:${port}`, '--smtp-tls', 'off', '--outreach-rate', '0',
      '--outreach-retry-base-ms', '200', '--outreach-poll-ms', '100', ...d, 'outreach'];
    const child = spawnHark(args);
    let log = '';
    child.stderr.setEncoding('utf8').on('data', (x) => (log += x));
    child.stdout.resume();
    await sleep(6000);
    const pauses = [...log.matchAll(/pausing (\d+) ms/g)].map((m) => Number(m[1]));
    assert.ok(pauses.length >= 2, `expected the mailer to pause while the server is down:\n${log}`);
    assert.ok(pauses.length <= 12, `${pauses.length} connection attempts in 6 s is a tight loop`);
    assert.ok(pauses[pauses.length - 1] > pauses[0], `pauses should grow: ${pauses}`);
    const sink = await startSink({ port });
    const deadline = Date.now() + 60000;
    while ((await sink.messages()).length < N && Date.now() < deadline) await sleep(250);
    child.kill('SIGTERM');
    await new Promise((resolve) => child.on('exit', resolve));
    const { map } = await byRecipient(sink);
    assert.equal(map.size, N, 'all delivered once the server is back');
    await sink.stop();
  });

  test('a refused login pauses the mailer instead of failing every message', async () => {
    const N = 30;
    const { d } = await tenantWithCampaign(N);
    const sink = await startSink({ args: ['--auth', 'hark:right'] });
    const child = spawnHark(['--now', NOW, '--smtp-url', `smtp://hark:wrong@127.0.0.1:${sink.port}`, '--smtp-tls',
      'off', '--outreach-rate', '0', '--outreach-retry-base-ms', '200', '--outreach-poll-ms', '100', ...d, 'outreach']);
    let log = '';
    child.stderr.setEncoding('utf8').on('data', (x) => (log += x));
    child.stdout.resume();
    await sleep(4000);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
    const pauses = [...log.matchAll(/refusing us .*pausing (\d+) ms/g)].length;
    assert.ok(pauses >= 1 && pauses <= 10, `expected a few growing pauses, got ${pauses}:\n${log}`);
    const stats = JSON.parse(await fs.readFile(path.join(sink.dir, 'stats.json'), 'utf8'));
    assert.ok(stats.connections <= 12, `${stats.connections} connections in 4 s is hammering the server`);
    const status = await runHark(['outreach', 'status', '--tenant', 'acme', '--now', NOW, ...d]);
    assert.doesNotMatch(status.stdout, /invite\tfailed/, 'a wrong password must not fail the invites for good');
    assert.equal((await sink.messages()).length, 0);
    await sink.stop();
  });

  test('a rejected address fails for good with the server reply; the others are sent', async () => {
    const N = 20;
    const { d } = await tenantWithCampaign(N);
    const sink = await startSink({ args: ['--reject-rcpt', '^e0000[37]@'] });
    const r = await runHark([...outreachArgs(sink, d), 'outreach', '--once'], { timeout: 60000 });
    assert.match(r.stdout, /sent 18, to retry later 0, failed 2/);
    const status = await runHark(['outreach', 'status', '--tenant', 'acme', '--now', NOW, ...d]);
    assert.match(status.stdout, /invite\tfailed\t2/);
    assert.equal((await sink.messages()).length, 18);
    await sink.stop();
  });

  test('a template with an unknown placeholder is refused with the reason', async () => {
    const { dataDir, d } = await tenantWithCampaign(1);
    const file = path.join(dataDir, 'bad.txt');
    await fs.writeFile(file, 'Subject: Hello {{first_name}}\n\nHi {{frist_name}}, {{link}}\n');
    const r = await runHark(['template', 'set', '--tenant', 'acme', 'invite-adhoc.txt', file, ...d],
      { allowFail: true });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /line 3.*frist_name/);
  });
});

describe('red-flag alerts', { timeout: 120000 }, () => {
  test('the admins are told within 5 s of the answer, once, without the answer text', async () => {
    const { dataDir, d } = await tenantWithCampaign(1);
    const sink = await startSink();
    const srv = new Server(dataDir, ['--now', NOW, '--smtp-url', `smtp://127.0.0.1:${sink.port}`, '--smtp-tls', 'off',
      '--outreach-poll-ms', '200'], {});
    await srv.start('127.0.0.1:0');
    // The campaign invite is planned and sent by the running server.
    let invite;
    for (let i = 0; i < 100 && !invite; i++) {
      invite = (await sink.messages()).find((m) => m.rcpt_tos.includes('e00001@acme.example'));
      if (!invite) await sleep(100);
    }
    assert.ok(invite, 'the running server sent the campaign invite');
    const token = TOKEN_RE.exec((await sink.eml(invite.n)).replace(/=\r?\n/g, ''))[1];
    const c = await srv.connect();
    c.send({ t: 'hello', token, last_seq: 0 });
    const SECRET = 'I will hurt my manager tomorrow, I have a plan';
    let ackAt = 0;
    await converse(c, await c.next(), {
      maxAnswers: 3,
      answer: (input) => (input.kind === 'text' ? SECRET : input.kind === 'scale' ? String(input.min) : input.options[0]),
      onAck: () => { ackAt = Date.now(); },
    });
    let alert;
    while (!alert && Date.now() - ackAt < 5000) {
      alert = (await sink.messages()).find((m) => m.rcpt_tos.includes('owner@acme.example'));
      if (!alert) await sleep(50);
    }
    assert.ok(alert, `no alert within 5 s:\n${srv.logText()}`);
    const eml = await sink.eml(alert.n);
    assert.ok(!eml.includes('hurt my manager'), 'the alert must not carry the answer');
    assert.ok(!eml.includes('e00001@acme.example') && !eml.includes('First00001'), 'nor the employee');
    assert.match(eml.replace(/=\r?\n/g, ''), /#\/escalations\/\d+/);
    c.close();
    await sleep(1000);
    const alerts = (await sink.messages()).filter((m) => m.rcpt_tos.includes('owner@acme.example'));
    assert.equal(alerts.length, 1, 'once per escalation');
    await srv.terminate();
    await sink.stop();
  });
});
