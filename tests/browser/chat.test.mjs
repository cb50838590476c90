// The chat page in a real browser (Debian's chromium driven by
// playwright-core): a whole pulse conversation by clicking and typing, and a
// conversation that survives the server being killed and restarted, without
// duplicate bubbles. Leaves a screenshot in /tmp/hark-chat.png.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { startServer, stopAll } from '../integration/harness.mjs';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const SCREENSHOT = '/tmp/hark-chat.png';

let srv;
let browser;
before(async () => {
  [srv, browser] = await Promise.all([
    startServer(),
    chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'],
    }),
  ]);
});
after(async () => {
  await browser?.close();
  await stopAll();
});

/** A new phone-sized page that records script errors and CSP violations. */
async function newPage() {
  const context = await browser.newContext({ viewport: { width: 400, height: 820 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  page.problems = [];
  page.on('pageerror', (e) => page.problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) {
      page.problems.push(`console: ${m.text()}`);
    }
  });
  return page;
}

const state = (page) => page.evaluate(() => document.body.dataset.state);

/** page.waitForFunction with interval polling: requestAnimationFrame polling
 * stalls in a page that is not in front. */
function until(page, fn, arg, timeout = 10000) {
  return page.waitForFunction(fn, arg, { timeout, polling: 50 });
}

const stateIs = (page, want, timeout = 10000) =>
  until(page, (w) => document.body.dataset.state === w, want, timeout);

/**
 * Answers open questions until done (or until opts.stopAfter answers have
 * been acknowledged): the last button of a scale, the first choice, a typed
 * sentence sent with Enter. Returns the number of answers given.
 */
async function answerQuestions(page, opts = {}) {
  let answered = 0;
  for (let i = 0; i < 40; i++) {
    const handle = await until(page, () => {
      if (document.body.dataset.state === 'done') return 'done';
      const c = document.getElementById('composer');
      if (c.dataset.question && !c.classList.contains('is-disabled')) return c.dataset.kind + ':' + c.dataset.question;
      return false;
    }, null, 15000);
    const what = await handle.jsonValue();
    if (what === 'done') return answered;
    if (opts.stopAfter !== undefined && answered >= opts.stopAfter) return answered;
    const [kind, seq] = what.split(':');
    if (opts.beforeAnswer) await opts.beforeAnswer(page, answered, kind);
    if (kind === 'scale') {
      const buttons = page.locator('#composer .scale-button');
      assert.ok((await buttons.count()) >= 2, 'a scale has buttons');
      await buttons.last().click();
    } else if (kind === 'choice') {
      await page.locator('#composer .choice').first().click();
    } else {
      const box = page.locator('#composer textarea');
      await box.click();
      await box.pressSequentially('Mostly good.');
      await box.press('Shift+Enter');
      await box.pressSequentially('The team is kind and I am learning a lot.');
      await box.press('Enter');
    }
    answered++;
    // the answer shows at once, then is confirmed by its ack.
    await until(page, (s) => document.getElementById('composer').dataset.question !== s, seq);
    await until(page, () => !document.querySelector('.msg.you.pending'));
  }
  throw new Error('no end after 40 questions');
}

/** The bubbles must be exactly seqs 1..N, once each, in order, none pending. */
async function assertBubbles(page) {
  const seqs = await page.$$eval('.msg', (els) => els.map((e) => (e.dataset.seq === undefined ? null : Number(e.dataset.seq))));
  assert.ok(seqs.length > 0, 'bubbles shown');
  assert.deepEqual(seqs, seqs.map((_, i) => i + 1), `bubbles by seq: ${seqs.join(',')}`);
  const classes = await page.$$eval('.msg', (els) => els.map((e) => e.className));
  for (const c of classes) assert.match(c, /^msg (bot|you)$/, `bubble class "${c}"`);
  return seqs.length;
}

test('a pulse conversation by clicking and typing ends in the closing state', async () => {
  const { token } = await srv.invite(undefined, 'pulse');
  const page = await newPage();
  await page.goto(`${srv.url}/c/${token}`);
  await stateIs(page, 'open', 10000);
  await page.waitForSelector('.msg.bot[data-seq="1"]');

  const answered = await answerQuestions(page, {
    beforeAnswer: async (p, n) => {
      if (n === 1) await p.screenshot({ path: SCREENSHOT });
    },
  });
  assert.ok(answered >= 2, `answered ${answered} questions`);
  await stateIs(page, 'done');
  assert.match(await page.locator('#composer').innerText(), /Thank you/);
  assert.equal(await page.locator('#banner').isVisible(), false);
  assert.equal(await page.locator('.msg.you').count(), answered);
  await assertBubbles(page);

  // a reload shows the same conversation, replayed, and done again.
  const before = await page.$$eval('.msg', (els) => els.map((e) => e.className + '|' + e.dataset.seq + '|' + e.textContent));
  await page.reload();
  await stateIs(page, 'done', 10000);
  const afterReload = await page.$$eval('.msg', (els) => els.map((e) => e.className + '|' + e.dataset.seq + '|' + e.textContent));
  assert.deepEqual(afterReload, before);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('the page shows "Reconnecting…" while the server is down and resumes without duplicates', async () => {
  const { token } = await srv.invite(undefined, 'pulse');
  const page = await newPage();
  await page.goto(`${srv.url}/c/${token}`);
  await stateIs(page, 'open', 10000);
  const first = await answerQuestions(page, { stopAfter: 1 });
  assert.equal(first, 1);

  await srv.kill9();
  await page.waitForSelector('#banner', { state: 'visible', timeout: 10000 });
  assert.match(await page.locator('#banner').innerText(), /Reconnecting/);
  assert.equal(await state(page), 'reconnecting');
  // while disconnected nothing can be answered.
  assert.equal(await page.locator('#composer button:not([disabled])').count(), 0);

  await srv.restart();
  await stateIs(page, 'open', 20000);
  await page.waitForSelector('#banner', { state: 'hidden' });
  const rest = await answerQuestions(page);
  assert.ok(rest >= 1, 'the flow went on after the restart');
  assert.equal(await state(page), 'done');
  assert.equal(await page.locator('.msg.you').count(), first + rest);
  await assertBubbles(page);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('an expired link shows a polite message and does not retry', async () => {
  const { token } = await srv.invite(undefined, 'pulse', { now: '2020-01-06T09:00:00Z' });
  const page = await newPage();
  await page.goto(`${srv.url}/c/${token}`);
  await stateIs(page, 'closed', 10000);
  assert.match(await page.locator('.notice').innerText(), /This invitation has expired/);
  const bad = await newPage();
  const mid = Math.floor(token.length / 2);
  await bad.goto(`${srv.url}/c/${token.slice(0, mid)}${token[mid] === 'A' ? 'B' : 'A'}${token.slice(mid + 1)}`);
  await stateIs(bad, 'closed', 10000);
  assert.match(await bad.locator('.notice').innerText(), /This link is not valid/);
  await page.waitForTimeout(1500);
  assert.equal(await state(page), 'closed', 'no reconnect after 1008');
  await page.context().close();
  await bad.context().close();
});

test('a second window takes the conversation over; the first one says so and can take it back', async () => {
  const { token } = await srv.invite(undefined, 'pulse');
  const one = await newPage();
  await one.goto(`${srv.url}/c/${token}`);
  await stateIs(one, 'open', 10000);
  const two = await one.context().newPage();
  await two.goto(`${srv.url}/c/${token}`);
  await stateIs(two, 'open', 10000);
  await stateIs(one, 'closed', 10000);
  assert.match(await one.locator('.notice').innerText(), /This chat was opened in another window/);
  await one.waitForTimeout(1500);
  assert.equal(await state(one), 'closed', 'no automatic reconnect after 4001');
  assert.equal(await state(two), 'open');

  await one.bringToFront();
  await one.getByRole('button', { name: 'Continue here' }).click();
  await stateIs(one, 'open', 10000);
  await stateIs(two, 'closed', 10000);
  const n = await answerQuestions(one);
  assert.ok(n >= 1);
  await assertBubbles(one);
  assert.deepEqual(one.problems, []);
  await one.context().close();
});
