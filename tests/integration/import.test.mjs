// `hark import employees` as an operator runs it: a CSV of 2,000 employees
// into a tenant made with `hark tenant create`, then the same people again
// with changes (updated in place by external id: no duplicates), then a file
// with mistakes, which exits 1 with FILE:LINE:COLUMN messages and changes
// nothing; standard input ("-") and the usage errors (exit 2). What is
// stored is checked from the outside: a re-import reports every row
// unchanged only if the database holds exactly the file, and `hark invite`
// finds an employee by email.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { HARK_BIN, runHark, stopAll } from './harness.mjs';

let dir; // the data dir, also holding the CSV files

before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'hark-import-'));
  await runHark(['tenant', 'create', 'acme', '--name', 'Acme', '--admin', 'admin@acme.test', '--data-dir', dir]);
});
after(async () => {
  await stopAll();
  if (!process.env.HARK_KEEP_DATA) await fs.rm(dir, { recursive: true, force: true });
});

const HEADER = 'external_id,email,first_name,last_name,department,location,manager_email,hire_date,exit_date,timezone';
const DEPARTMENTS = ['Engineering', 'Sales', 'Support', 'R&D, "Labs"', 'People'];
const ZONES = ['Europe/Paris', 'America/New_York', 'Asia/Tokyo', 'UTC', ''];

/** One CSV field, quoted when it must be (RFC 4180). */
const field = (v) => (/[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);

const pad2 = (n) => String(n).padStart(2, '0');

/** Employee I as a record; CHANGES (by index) override its fields. */
function employee(i, changes = {}) {
  return {
    external_id: `E${String(i).padStart(5, '0')}`,
    email: `person${i}@acme.test`,
    first_name: i % 7 === 0 ? 'Zoë' : `First${i}`,
    last_name: i % 11 === 0 ? "O'Brien, Jr." : `Last${i}`,
    department: DEPARTMENTS[i % DEPARTMENTS.length],
    location: i % 2 ? 'Paris' : 'New York',
    manager_email: i ? `person${Math.floor(i / 10)}@acme.test` : '',
    hire_date: `${2010 + (i % 15)}-${pad2(1 + (i % 12))}-${pad2(1 + (i % 28))}`,
    exit_date: i % 50 === 0 ? '2030-01-31' : '',
    timezone: ZONES[i % ZONES.length],
    ...(changes[i] ?? {}),
  };
}

function csv(rows, eol = '\r\n') {
  const cols = HEADER.split(',');
  return [HEADER, ...rows.map((r) => cols.map((c) => field(r[c])).join(','))].join(eol) + eol;
}

async function writeCsv(name, text) {
  const file = path.join(dir, name);
  await fs.writeFile(file, text);
  return file;
}

const importFile = (file) =>
  runHark(['import', 'employees', '--tenant', 'acme', file, '--data-dir', dir], { allowFail: true, timeout: 60000 });

/** `hark import employees --tenant acme -` with INPUT on stdin. */
function importStdin(input) {
  const r = spawnSync(HARK_BIN, ['import', 'employees', '--data-dir', dir, '--tenant', 'acme', '-'], {
    input,
    encoding: 'utf8',
    timeout: 60000,
  });
  if (r.error) throw new Error(`cannot run ${HARK_BIN}: ${r.error.message} (set HARK_BIN or build first)`);
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Whether the tenant has an employee with EMAIL (`hark invite` finds them). */
async function hasEmployee(email) {
  const r = await runHark(['invite', '--tenant', 'acme', '--employee', email, '--data-dir', dir], { allowFail: true });
  if (r.code === 0) {
    assert.match(r.stdout, /\/c\/[A-Za-z0-9_-]+/);
    return true;
  }
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /no employee with that email/);
  return false;
}

/** The problems printed on stderr, as [{file, line, column, message}]. */
function problems(stderr) {
  return stderr
    .split('\n')
    .map((l) => /^(.+?):(\d+):(\d+): (.+)$/.exec(l))
    .filter(Boolean)
    .map((m) => ({ file: m[1], line: +m[2], column: +m[3], message: m[4] }));
}

const N = 2000;
const base = Array.from({ length: N }, (_, i) => employee(i));
// The second file: 200 change department, 20 change email (same external
// id), 10 are new.
const changes = {};
for (let i = 0; i < N; i += 10) changes[i] = { department: 'Moved' };
for (let i = 5; i < 400; i += 20) changes[i] = { email: `renamed${i}@acme.test` };
const second = [
  ...Array.from({ length: N }, (_, i) => employee(i, changes)),
  ...Array.from({ length: 10 }, (_, k) => employee(N + k)),
];

test('imports 2,000 employees into a new tenant', async () => {
  const file = await writeCsv('employees.csv', csv(base));
  const r = await importFile(file);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `imported ${N} employees (${N} new, 0 updated, 0 unchanged)\n`);
  assert.equal(problems(r.stderr).length, 0);
  assert.ok(await hasEmployee('person0@acme.test'));
  assert.ok(await hasEmployee(`person${N - 1}@acme.test`));
  assert.ok(!(await hasEmployee(`person${N}@acme.test`)));
  // The same file again: every row is already there, exactly.
  const again = await importFile(file);
  assert.equal(again.stdout, `imported ${N} employees (0 new, 0 updated, ${N} unchanged)\n`);
});

test('a re-import with changes updates in place: no duplicates', async () => {
  const file = await writeCsv('employees-2.csv', csv(second, '\n'));
  const r = await importFile(file);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `imported ${N + 10} employees (10 new, 220 updated, ${N - 220} unchanged)\n`);
  assert.ok(await hasEmployee('renamed5@acme.test'));
  assert.ok(!(await hasEmployee('person5@acme.test')), 'the old address is gone, not kept as a second employee');
  assert.ok(await hasEmployee(`person${N + 9}@acme.test`));
  const again = await importFile(file);
  assert.equal(again.stdout, `imported ${N + 10} employees (0 new, 0 updated, ${N + 10} unchanged)\n`);
});

test('a file with mistakes exits 1 with FILE:LINE:COLUMN problems and changes nothing', async () => {
  // Good updates and new people around the mistakes: none may be written.
  const rows = second.slice(0, 30).map((e) => ({ ...e, department: 'Should not stick' }));
  rows.push(employee(5000));
  rows[3].hire_date = '2023-02-29'; // line 5 (header on line 1), column 8
  rows[6].timezone = 'Mars/Olympus'; // line 8, column 10
  rows[9].email = rows[2].email.toUpperCase(); // line 11, column 2: also on line 4
  rows[12].first_name = 'Two\nlines'; // lines 14-15: refused at 14, column 3
  rows[13].exit_date = '2001-01-01'; // line 16 (one down from the line break above), column 9
  rows[20].email = 'not-an-address'; // line 23, column 2
  const file = await writeCsv('bad.csv', csv(rows));
  const r = await importFile(file);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.equal(r.stdout, '');
  const got = problems(r.stderr).map((p) => `${p.line}:${p.column}`);
  assert.deepEqual(got, ['5:8', '8:10', '11:2', '14:3', '16:9', '23:2'], r.stderr);
  for (const p of problems(r.stderr)) assert.equal(p.file, file);
  const byLine = Object.fromEntries(problems(r.stderr).map((p) => [p.line, p.message]));
  assert.match(byLine[5], /hire_date '2023-02-29' is not a date/);
  assert.match(byLine[8], /timezone 'Mars\/Olympus' is not a known IANA time zone/);
  assert.match(byLine[11], /email is also on line 4/);
  assert.match(byLine[14], /first_name contains a control character/);
  assert.match(byLine[16], /exit_date is before hire_date/);
  assert.match(byLine[23], /email is not an email address/);
  assert.match(r.stderr, /nothing was imported \(6 problems\)/);
  // Nothing changed: the last good file still matches row for row.
  assert.ok(!(await hasEmployee('person5000@acme.test')));
  const check = await importFile(path.join(dir, 'employees-2.csv'));
  assert.equal(check.stdout, `imported ${N + 10} employees (0 new, 0 updated, ${N + 10} unchanged)\n`);
});

test('a bad header is one problem at line 1', async () => {
  const file = await writeCsv('header.csv', 'email,shoe_size\na@acme.test,42\n');
  const r = await importFile(file);
  assert.equal(r.code, 1);
  const p = problems(r.stderr);
  assert.equal(p.length, 1, r.stderr);
  assert.deepEqual([p[0].file, p[0].line, p[0].column], [file, 1, 2]);
  assert.match(p[0].message, /^unknown column 'shoe_size'/);
});

test('reads standard input with -', () => {
  const ok = importStdin('\uFEFFemail,first_name\r\nstdin1@acme.test,"Ann, the first"\r\n');
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout, 'imported 1 employee (1 new, 0 updated, 0 unchanged)\n');
  const bad = importStdin('email,hire_date\nstdin2@acme.test,yesterday\n');
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^<stdin>:2:2: hire_date 'yesterday' is not a date/m);
});

test('bad usage exits 2', async () => {
  const file = path.join(dir, 'employees.csv');
  const cases = [
    [['import', 'employees', file], /usage: hark import employees --tenant SLUG/],
    [['import', 'employees', '--tenant', 'acme'], /usage: hark import employees/],
    [['import', 'people', '--tenant', 'acme', file], /usage: hark import employees/],
    [['import', 'employees', '--tenant', 'acme', file, file], /unknown argument/],
    [['import', 'employees', '--tenant', 'nope', file], /--tenant: no tenant 'nope'/],
  ];
  for (const [args, re] of cases) {
    const r = await runHark([...args, '--data-dir', dir], { allowFail: true });
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
  }
  const missing = await importFile(path.join(dir, 'no-such.csv'));
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /cannot open .*no-such\.csv/);
});
