// Test harness for Hark's black-box tests: spawns the real binary on a fresh
// data directory and a free port, and talks to it as clients do (a WebSocket
// client with a message queue, a raw-socket client for malformed frames and
// requests). Used by tests/integration/*.test.mjs and tests/browser/.
//
// The binary is $HARK_BIN (default build/hark under the repository root).
// Every server a test file starts is killed when the file ends (call
// `after(stopAll)`), and on process exit as a last resort.

import { spawn } from 'node:child_process';
import { randomBytes, createHash } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import WebSocket from 'ws';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const HARK_BIN = process.env.HARK_BIN ? path.resolve(process.env.HARK_BIN) : path.join(ROOT, 'build', 'hark');
export const TOUCHPOINTS = ['onboarding', 'tenure', 'pulse', 'exit'];

const TOKEN_RE = /\/c\/([A-Za-z0-9_-]+)/g;
const SAMPLE_RE = /sample employee: (\S+)/;
const LISTEN_RE = /listening on (http:\/\/\S+)/;

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A random client message id (hex), as the chat page makes them. */
export function newId(bytes = 8) {
  return randomBytes(bytes).toString('hex');
}

/* ------------------------------------------------------------------ */
/* Processes                                                           */
/* ------------------------------------------------------------------ */

const live = new Set(); // child processes still running
const tempDirs = new Set();

function killLive() {
  for (const p of live) {
    try {
      p.kill('SIGKILL');
    } catch {
      /* gone */
    }
  }
}
process.on('exit', killLive);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    killLive();
    process.exit(130);
  });
}

/**
 * Runs `hark ARGS...` to completion. Resolves {code, stdout, stderr}; rejects
 * when it exits non-zero (unless opts.allowFail) or runs past opts.timeout.
 */
export function runHark(args, opts = {}) {
  // `hark demo` writes a year of conversations: a second in a release build,
  // tens of seconds under the sanitizers with eight test files at once.
  const timeout = opts.timeout ?? (args[0] === 'demo' ? 180000 : 20000);
  return new Promise((resolve, reject) => {
    const child = spawn(HARK_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'], env: opts.env ?? process.env });
    live.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`hark ${args.join(' ')}: no exit after ${timeout} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, timeout);
    child.on('error', (e) => {
      clearTimeout(timer);
      live.delete(child);
      reject(new Error(`cannot run ${HARK_BIN}: ${e.message} (set HARK_BIN or build first)`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      live.delete(child);
      if ((code !== 0 || signal) && !opts.allowFail) {
        reject(new Error(`hark ${args.join(' ')} exited ${code ?? signal}\nstdout:\n${stdout}\nstderr:\n${stderr}`));
      } else {
        resolve({ code, signal, stdout, stderr });
      }
    });
  });
}

/** Kills every server and command still running; removes the temp data dirs
 * (kept when HARK_KEEP_DATA is set, for post-mortems). */
export async function stopAll() {
  const waits = [];
  for (const p of live) {
    if (p.exitCode === null && p.signalCode === null) {
      waits.push(once(p, 'exit').catch(() => {}));
      p.kill('SIGKILL');
    }
  }
  await Promise.all(waits);
  live.clear();
  if (!process.env.HARK_KEEP_DATA) {
    await Promise.all([...tempDirs].map((d) => fs.rm(d, { recursive: true, force: true })));
  }
  tempDirs.clear();
}

/**
 * Makes a fresh data dir, runs `hark demo` in it and starts `hark serve` on a
 * free port. opts.employees (default 30), opts.serveArgs (extra flags for
 * serve), opts.origin (Origin header for WebSocket clients; default the
 * server's own origin, as a browser on the chat page would send).
 */
export async function startServer(opts = {}) {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'hark-test-'));
  tempDirs.add(dataDir);
  const demo = await runHark(['demo', '--data-dir', dataDir, '--employees', String(opts.employees ?? 30)]);
  const links = [...demo.stdout.matchAll(TOKEN_RE)].map((m) => m[1]);
  const sample = SAMPLE_RE.exec(demo.stdout);
  assert.ok(sample, `hark demo printed no "sample employee: EMAIL" line:\n${demo.stdout}`);
  const srv = new Server(dataDir, opts.serveArgs ?? [], { demoLinks: links, sampleEmail: sample[1], origin: opts.origin });
  await srv.start('127.0.0.1:0');
  return srv;
}

export class Server {
  constructor(dataDir, serveArgs, { demoLinks, sampleEmail, origin }) {
    this.dataDir = dataDir;
    this.serveArgs = serveArgs;
    this.demoLinks = demoLinks;
    this.sampleEmail = sampleEmail;
    this.originOverride = origin;
    this.proc = null;
    this.url = null; // http://127.0.0.1:PORT
    this.port = 0;
    this.log = []; // last lines of the server's stdout and stderr
    this.tokensSeen = new Set();
    this.starts = 0;
  }

  get wsUrl() {
    return this.url.replace(/^http/, 'ws') + '/chat/ws';
  }

  get origin() {
    return this.originOverride ?? this.url;
  }

  /** Starts `hark serve` on LISTEN and waits for its "listening on URL" line. */
  async start(listen, timeout = 10000) {
    const args = ['serve', '--listen', listen, '--data-dir', this.dataDir, ...this.serveArgs];
    const child = spawn(HARK_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(child);
    this.proc = child;
    this.starts++;
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        live.delete(child);
        resolve({ code, signal });
      });
    });
    const url = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`hark ${args.join(' ')}: no "listening on" line within ${timeout} ms\n${this.logText()}`));
      }, timeout);
      const scan = (stream, name) => {
        let buf = '';
        stream.setEncoding('utf8').on('data', (d) => {
          buf += d;
          let i;
          while ((i = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, i);
            buf = buf.slice(i + 1);
            this.log.push(`[${name}] ${line}`);
            if (this.log.length > 400) this.log.shift();
            const m = LISTEN_RE.exec(line);
            if (m) {
              clearTimeout(timer);
              resolve(m[1].replace(/\/+$/, ''));
            }
          }
        });
      };
      scan(child.stdout, 'out');
      scan(child.stderr, 'err');
      child.on('error', (e) => {
        clearTimeout(timer);
        reject(new Error(`cannot run ${HARK_BIN}: ${e.message} (set HARK_BIN or build first)`));
      });
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`hark serve exited ${code ?? signal} before listening\n${this.logText()}`));
      });
    });
    this.url = url;
    this.port = Number(new URL(url).port);
    return this;
  }

  logText() {
    return this.log.join('\n');
  }

  /** kill -9, then wait until the process is gone. */
  async kill9() {
    const p = this.proc;
    if (p && p.exitCode === null && p.signalCode === null) {
      p.kill('SIGKILL');
      await this.exited;
    }
  }

  /** Starts the server again on the same data dir and port. The port may take
   * a moment to be free after a kill; retry a few times. */
  async restart() {
    let lastErr;
    for (let i = 0; i < 20; i++) {
      try {
        return await this.start(`127.0.0.1:${this.port}`);
      } catch (e) {
        lastErr = e;
        await sleep(100);
      }
    }
    throw lastErr;
  }

  /** SIGTERM; resolves {code, signal} once it has exited (SIGKILL after TIMEOUT). */
  async terminate(timeout = 10000) {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return this.exited;
    p.kill('SIGTERM');
    const t = setTimeout(() => p.kill('SIGKILL'), timeout);
    const r = await this.exited;
    clearTimeout(t);
    return r;
  }

  /**
   * `hark invite` for EMAIL (default the demo's sample employee) and
   * TOUCHPOINT. opts.now: an ISO time given as the global --now flag, to make
   * an invite in the past. Resolves {token, url} where url is on this server
   * (the printed link's host may be the configured public URL).
   */
  async invite(email, touchpoint = 'pulse', opts = {}) {
    const args = [];
    if (opts.now) args.push('--now', opts.now);
    args.push('invite', '--data-dir', this.dataDir, '--tenant', 'demo', '--employee', email ?? this.sampleEmail,
      '--touchpoint', touchpoint);
    const r = await runHark(args);
    const m = [...r.stdout.matchAll(TOKEN_RE)];
    assert.ok(m.length > 0, `hark ${args.join(' ')} printed no chat link:\n${r.stdout}\n${r.stderr}`);
    const token = m[m.length - 1][1];
    assert.ok(!this.tokensSeen.has(token),
      `hark invite returned a token it had returned before; the tests need a new invite (a new conversation) per call`);
    this.tokensSeen.add(token);
    return { token, url: `${this.url}/c/${token}` };
  }

  /** Opens a WebSocket to /chat/ws (see WsClient.connect). */
  connect(opts = {}) {
    return WsClient.connect(this.wsUrl, { origin: this.origin, ...opts });
  }

  /** Opens a socket, completes the WebSocket handshake by hand (RawWs). */
  raw(opts = {}) {
    return RawWs.connect(this.port, { origin: this.origin, ...opts });
  }

  /** Fails unless the server still answers: /healthz is 200 and a
   * conversation can say hello and ping. */
  async assertHealthy(msg = '') {
    const res = await fetch(`${this.url}/healthz`);
    assert.equal(res.status, 200, `${msg} /healthz`);
    await res.arrayBuffer();
    // A conversation of its own each time: tests running side by side may
    // check health at once, and two hellos on one conversation would
    // replace each other (4001).
    const { token } = await this.invite(undefined, 'pulse');
    const c = await this.connect();
    try {
      const w = await c.hello(token, 0);
      assert.equal(w.t, 'welcome', `${msg} hello on a good conversation`);
      c.send({ t: 'ping' });
      await c.waitFor((m) => m.t === 'pong', 3000);
    } finally {
      c.close();
    }
  }
}

/* ------------------------------------------------------------------ */
/* WebSocket client with a message queue                               */
/* ------------------------------------------------------------------ */

export class WsClient {
  constructor(ws) {
    this.ws = ws;
    this.queue = [];
    this.waiters = [];
    this.closeInfo = null;
    this.received = []; // every message, for assertions after the fact
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.closeInfo = { code, reason: reason.toString('utf8') };
        resolve(this.closeInfo);
        this.wake();
      });
    });
    ws.on('message', (data, isBinary) => {
      let m;
      try {
        m = JSON.parse(data.toString('utf8'));
      } catch {
        m = { t: '__not_json__', raw: data.toString('utf8'), binary: isBinary };
      }
      this.received.push(m);
      this.queue.push(m);
      this.wake();
    });
    ws.on('error', () => {}); // 'close' follows
  }

  /**
   * Connects to URL. opts.origin sets the Origin header. Rejects with
   * err.status set when the server answers the upgrade with an HTTP status.
   */
  static connect(url, opts = {}) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, {
        origin: opts.origin,
        headers: opts.headers,
        handshakeTimeout: opts.timeout ?? 5000,
        perMessageDeflate: false,
      });
      ws.once('open', () => resolve(new WsClient(ws)));
      ws.once('unexpected-response', (req, res) => {
        const err = new Error(`upgrade answered with HTTP ${res.statusCode}`);
        err.status = res.statusCode;
        res.resume();
        req.destroy();
        reject(err);
      });
      ws.once('error', reject);
    });
  }

  wake() {
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w();
  }

  send(obj) {
    this.ws.send(typeof obj === 'string' ? obj : JSON.stringify(obj));
  }

  /** Next message; rejects on timeout or if the connection closed first
   * (err.closeCode then holds the close code). */
  async next(timeoutMs = 5000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.queue.length) return this.queue.shift();
      if (this.closeInfo) {
        const e = new Error(`connection closed (${this.closeInfo.code} ${this.closeInfo.reason}) while waiting for a message`);
        e.closeCode = this.closeInfo.code;
        throw e;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no message within ${timeoutMs} ms`);
      await new Promise((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Skips messages until PRED holds; returns that message. */
  async waitFor(pred, timeoutMs = 5000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = await this.next(Math.max(1, deadline - Date.now()));
      if (pred(m)) return m;
    }
  }

  /** Sends hello and returns the first answer (a welcome, or an error). */
  async hello(token, lastSeq = 0, timeoutMs = 5000) {
    const msg = { t: 'hello', token };
    if (lastSeq !== undefined && lastSeq !== null) msg.last_seq = lastSeq;
    this.send(msg);
    return this.next(timeoutMs);
  }

  /** Resolves {code, reason} once closed; rejects after TIMEOUTMS. */
  async closedWithin(timeoutMs = 5000) {
    let t;
    const timeout = new Promise((_, reject) => {
      t = setTimeout(() => reject(new Error(`connection not closed within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([this.closed, timeout]);
    } finally {
      clearTimeout(t);
    }
  }

  /** Resolves after MS if no message arrived meanwhile; fails otherwise. */
  async expectSilence(ms) {
    await sleep(ms);
    assert.deepEqual(this.queue, [], 'expected no further message');
  }

  close(code = 1000) {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(code);
  }

  /** Drops the TCP connection without a close handshake. */
  terminate() {
    this.ws.terminate();
  }
}

/* ------------------------------------------------------------------ */
/* Raw WebSocket client: hand-built frames for malformed input         */
/* ------------------------------------------------------------------ */

export const OP = { CONT: 0, TEXT: 1, BINARY: 2, CLOSE: 8, PING: 9, PONG: 10 };

/** Builds a client frame (masked unless opts.mask === false). */
export function frame(opcode, payload, opts = {}) {
  const data = Buffer.isBuffer(payload) ? payload : Buffer.from(payload ?? '', 'utf8');
  const fin = opts.fin ?? true;
  const mask = opts.mask ?? true;
  const len = opts.declaredLength ?? data.length;
  let head;
  if (len < 126) {
    head = Buffer.alloc(2);
    head[1] = len;
  } else if (len < 65536) {
    head = Buffer.alloc(4);
    head[1] = 126;
    head.writeUInt16BE(len, 2);
  } else {
    head = Buffer.alloc(10);
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(len), 2);
  }
  head[0] = (fin ? 0x80 : 0) | ((opts.rsv ?? 0) << 4) | opcode;
  if (!mask) return Buffer.concat([head, data]);
  head[1] |= 0x80;
  const key = randomBytes(4);
  const body = Buffer.alloc(data.length);
  for (let i = 0; i < data.length; i++) body[i] = data[i] ^ key[i & 3];
  return Buffer.concat([head, key, body]);
}

/** A close frame payload: CODE (2 bytes) and REASON. */
export function closePayload(code, reason = '') {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(code, 0);
  return Buffer.concat([b, Buffer.from(reason, 'utf8')]);
}

export class RawWs {
  constructor(sock, rest) {
    this.sock = sock;
    this.buf = rest;
    this.frames = [];
    this.waiters = [];
    this.ended = false;
    this.error = null;
    sock.on('data', (d) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.parse();
    });
    sock.on('end', () => this.finish());
    sock.on('close', () => this.finish());
    sock.on('error', (e) => {
      this.error = e; // EPIPE / ECONNRESET after the server gave up on us
      this.finish();
    });
    this.parse();
  }

  /** Opens a TCP connection to 127.0.0.1:PORT and upgrades it by hand. */
  static async connect(port, opts = {}) {
    const sock = net.connect(port, '127.0.0.1');
    await once(sock, 'connect');
    const key = randomBytes(16).toString('base64');
    const lines = [
      `GET ${opts.path ?? '/chat/ws'} HTTP/1.1`,
      `Host: 127.0.0.1:${port}`,
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Key: ${key}`,
      'Sec-WebSocket-Version: 13',
    ];
    if (opts.origin) lines.push(`Origin: ${opts.origin}`);
    sock.write(lines.join('\r\n') + '\r\n\r\n');
    let buf = Buffer.alloc(0);
    const head = await new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no upgrade response within 5 s')), 5000);
      const onData = (d) => {
        buf = Buffer.concat([buf, d]);
        const i = buf.indexOf('\r\n\r\n');
        if (i >= 0) {
          clearTimeout(t);
          sock.off('data', onData);
          resolve(i);
        }
      };
      sock.on('data', onData);
      sock.once('close', () => reject(new Error('connection closed during the upgrade')));
    });
    const text = buf.subarray(0, head).toString('latin1');
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
    if (status !== 101) {
      sock.destroy();
      const e = new Error(`upgrade answered with ${text.split('\r\n')[0]}`);
      e.status = status;
      throw e;
    }
    const accept = createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
    assert.match(text, new RegExp(`\\r\\nsec-websocket-accept: *${accept.replace(/[+/=]/g, '\\$&')}`, 'i'));
    return new RawWs(sock, buf.subarray(head + 4));
  }

  parse() {
    for (;;) {
      const b = this.buf;
      if (b.length < 2) return;
      let len = b[1] & 0x7f;
      let off = 2;
      if (len === 126) {
        if (b.length < 4) return;
        len = b.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (b.length < 10) return;
        len = Number(b.readBigUInt64BE(2));
        off = 10;
      }
      if (b[1] & 0x80) off += 4; // servers must not mask; tolerate it for parsing
      if (b.length < off + len) return;
      const f = { fin: !!(b[0] & 0x80), opcode: b[0] & 0x0f, payload: b.subarray(off, off + len) };
      if (f.opcode === OP.CLOSE) {
        f.code = len >= 2 ? f.payload.readUInt16BE(0) : null;
        f.reason = len > 2 ? f.payload.subarray(2).toString('utf8') : '';
      }
      this.frames.push(f);
      this.buf = b.subarray(off + len);
      this.wake();
    }
  }

  finish() {
    if (!this.ended) {
      this.ended = true;
      this.wake();
    }
  }

  wake() {
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w();
  }

  write(buf) {
    if (this.sock.destroyed || this.sock.writableEnded) return;
    try {
      this.sock.write(buf);
    } catch {
      /* the server closed: what it sent is still read */
    }
  }

  sendFrame(opcode, payload, opts) {
    this.write(frame(opcode, payload, opts));
  }

  sendText(text, opts) {
    this.sendFrame(OP.TEXT, text, opts);
  }

  sendJSON(obj) {
    this.sendText(JSON.stringify(obj));
  }

  /** Next frame from the server, or null when the connection ended first. */
  async nextFrame(timeoutMs = 5000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.frames.length) return this.frames.shift();
      if (this.ended) return null;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no frame within ${timeoutMs} ms`);
      await new Promise((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** The next text frame parsed as JSON (skipping pings). */
  async nextJSON(timeoutMs = 5000) {
    for (;;) {
      const f = await this.nextFrame(timeoutMs);
      assert.ok(f, 'connection ended while waiting for a message');
      if (f.opcode === OP.PING) continue;
      assert.equal(f.opcode, OP.TEXT, `expected a text frame, got opcode ${f.opcode} (${f.code ?? ''})`);
      return JSON.parse(f.payload.toString('utf8'));
    }
  }

  /** Waits for the server's close frame and returns {code, reason}; code is
   * 1006 (as a browser would report) when the connection ends without one. */
  async closeFrame(timeoutMs = 5000) {
    for (;;) {
      const f = await this.nextFrame(timeoutMs);
      if (!f) return { code: 1006, reason: '', frames: false };
      if (f.opcode === OP.CLOSE) return { code: f.code ?? 1005, reason: f.reason };
    }
  }

  destroy() {
    this.sock.destroy();
  }
}

/* ------------------------------------------------------------------ */
/* Raw HTTP                                                            */
/* ------------------------------------------------------------------ */

/**
 * Opens a TCP connection to 127.0.0.1:PORT for hand-written HTTP. read()
 * returns the next complete response ({status, headers, body}); ended tells
 * whether the server closed.
 */
export async function rawHttp(port) {
  const sock = net.connect(port, '127.0.0.1');
  await once(sock, 'connect');
  const c = {
    sock,
    buf: Buffer.alloc(0),
    ended: false,
    waiters: [],
    write(s) {
      if (!sock.destroyed) sock.write(s, () => {});
    },
    wake() {
      const w = c.waiters;
      c.waiters = [];
      for (const f of w) f();
    },
    async waitChange(deadline) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise((resolve) => {
        const t = setTimeout(resolve, left);
        c.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
      return true;
    },
    /** The next response; null if the connection ended without one. */
    async read(timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const r = parseResponse(c.buf);
        if (r) {
          c.buf = c.buf.subarray(r.size);
          return r;
        }
        if (c.ended) return null;
        if (!(await c.waitChange(deadline))) throw new Error(`no complete HTTP response within ${timeoutMs} ms`);
      }
    },
    /** Resolves true once the server has closed the connection. */
    async waitEnd(timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (!c.ended) if (!(await c.waitChange(deadline))) return false;
      return true;
    },
    destroy() {
      sock.destroy();
    },
  };
  sock.on('data', (d) => {
    c.buf = Buffer.concat([c.buf, d]);
    c.wake();
  });
  const end = () => {
    c.ended = true;
    c.wake();
  };
  sock.on('end', end);
  sock.on('close', end);
  sock.on('error', end);
  return c;
}

function parseResponse(buf) {
  const i = buf.indexOf('\r\n\r\n');
  if (i < 0) return null;
  const lines = buf.subarray(0, i).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0])?.[1]);
  const headers = {};
  for (const l of lines.slice(1)) {
    const j = l.indexOf(':');
    if (j > 0) headers[l.slice(0, j).trim().toLowerCase()] = l.slice(j + 1).trim();
  }
  let size = i + 4;
  let body = Buffer.alloc(0);
  if (headers['transfer-encoding'] && /chunked/i.test(headers['transfer-encoding'])) {
    const chunks = [];
    let off = size;
    for (;;) {
      const e = buf.indexOf('\r\n', off);
      if (e < 0) return null;
      const n = parseInt(buf.subarray(off, e).toString('latin1'), 16);
      if (buf.length < e + 2 + n + 2) return null;
      chunks.push(buf.subarray(e + 2, e + 2 + n));
      off = e + 2 + n + 2;
      if (n === 0) break;
    }
    body = Buffer.concat(chunks);
    size = off;
  } else {
    const n = Number(headers['content-length'] ?? 0);
    if (buf.length < size + n) return null;
    body = buf.subarray(size, size + n);
    size += n;
  }
  return { status, statusLine: lines[0], headers, body: body.toString('utf8'), size };
}

/* ------------------------------------------------------------------ */
/* Conversations                                                       */
/* ------------------------------------------------------------------ */

export const ANSWER_TEXT = 'The team has been welcoming and I feel supported by my manager.';

/** The generic answer to INPUT: the top of a scale, the first choice, a sentence. */
export function genericAnswer(input) {
  if (input.kind === 'scale') return String(input.max);
  if (input.kind === 'choice') return String(input.options[0]);
  return ANSWER_TEXT;
}

/**
 * Reads a conversation after WELCOME on client C and answers every open
 * question with ANSWER(input, botMsg) (default genericAnswer), checking the
 * protocol as it goes: seqs dense from opts.lastSeq + 1, each say acked (with
 * its id and the next seq) before the bot's next message, the awaited
 * question carrying an input. Stops at `done` (returns with done: true),
 * after opts.maxAnswers answers once the next question is open, or when
 * opts.stopAt(msg) is true for a question (before answering it).
 * Returns {msgs, answers, lastSeq, done, open} where msgs are the bot/you
 * messages seen in order, answers [{id, text, seq, question}], open the
 * unanswered open question (or null).
 */
export async function converse(c, welcome, opts = {}) {
  assert.equal(welcome.t, 'welcome', `expected welcome, got ${JSON.stringify(welcome)}`);
  const answer = opts.answer ?? genericAnswer;
  const maxAnswers = opts.maxAnswers ?? Infinity;
  const timeout = opts.timeout ?? 5000;
  let expected = (opts.lastSeq ?? 0) + 1;
  const msgs = [];
  const answers = [];
  const known = new Map(opts.known ?? []); // seq -> bot message already held by the client
  assert.ok(Number.isInteger(welcome.last_seq) && welcome.last_seq >= (opts.lastSeq ?? 0),
    `welcome.last_seq ${welcome.last_seq} vs client's ${opts.lastSeq ?? 0}`);
  let open = null;
  const consider = (m) => {
    const live = m.seq > welcome.last_seq;
    if (m.t === 'bot' && m.input && (m.seq === welcome.awaiting || live)) open = m;
  };
  if (welcome.awaiting !== null && welcome.awaiting !== undefined && known.has(welcome.awaiting)) {
    const q = known.get(welcome.awaiting);
    assert.ok(q.input, `welcome.awaiting ${welcome.awaiting} names a message without input`);
    open = q;
  }
  for (let guard = 0; guard < 200; guard++) {
    if (open && expected > welcome.last_seq) {
      if (answers.length >= maxAnswers || (opts.stopAt && opts.stopAt(open))) {
        return { msgs, answers, lastSeq: expected - 1, done: false, open };
      }
      const q = open;
      open = null;
      const id = opts.newId ? opts.newId() : newId();
      const text = answer(q.input, q);
      c.send({ t: 'say', id, text });
      const ack = await c.next(timeout);
      assert.deepEqual({ t: ack.t, id: ack.id }, { t: 'ack', id },
        `after say ${id} to seq ${q.seq} expected its ack first, got ${JSON.stringify(ack)}`);
      assert.equal(ack.seq, expected, `ack seq for say ${id}`);
      answers.push({ id, text, seq: ack.seq, question: q.seq });
      expected++;
      if (opts.onAck) await opts.onAck(ack, answers);
      continue;
    }
    const m = await c.next(timeout);
    if (m.t === 'done') {
      assert.equal(open, null, `done while question ${open?.seq} was open`);
      assert.ok(expected - 1 >= welcome.last_seq, `done before the replay up to ${welcome.last_seq} was complete`);
      return { msgs, answers, lastSeq: expected - 1, done: true, open: null };
    }
    assert.ok(m.t === 'bot' || m.t === 'you', `unexpected message ${JSON.stringify(m)}`);
    assert.equal(m.seq, expected, `seqs must be dense: expected ${expected}, got ${JSON.stringify(m)}`);
    expected++;
    msgs.push(m);
    if (m.t === 'bot') {
      assert.equal(typeof m.text, 'string');
      if (m.seq === welcome.awaiting) assert.ok(m.input, `welcome.awaiting ${m.seq} names a message without input`);
    }
    consider(m);
  }
  throw new Error('conversation did not end within 200 steps');
}

/** Reconnects to the conversation of TOKEN with last_seq 0 and returns the full
 * replay: {welcome, msgs, done, client}. With opts.keep the client stays open. */
export async function replay(srv, token, opts = {}) {
  const c = await srv.connect();
  const welcome = await c.hello(token, 0);
  assert.equal(welcome.t, 'welcome', `replay hello: ${JSON.stringify(welcome)}`);
  const msgs = [];
  let done = false;
  while (msgs.length < welcome.last_seq) {
    const m = await c.next();
    assert.ok(m.t === 'bot' || m.t === 'you', `replay: unexpected ${JSON.stringify(m)}`);
    assert.equal(m.seq, msgs.length + 1, 'replay seqs must be dense from 1');
    msgs.push(m);
  }
  if (welcome.awaiting === null) {
    try {
      const m = await c.next(2000);
      if (m.t === 'done') done = true;
      else c.queue.unshift(m);
    } catch {
      /* nothing more: not done */
    }
  }
  if (!opts.keep) c.close();
  return { welcome, msgs, done, client: c };
}

/** Expects an error frame with CODE then a close with CLOSECODE on C. */
export async function expectError(c, code, closeCode, what = '') {
  let m;
  try {
    m = await c.waitFor((x) => x.t === 'error', 5000);
  } catch (e) {
    assert.fail(`${what}: expected an error "${code}" frame, but: ${e.message}`);
  }
  assert.equal(m.code, code, `${what}: error code (message: ${m.message})`);
  assert.equal(typeof m.message, 'string', `${what}: error message`);
  const { code: got } = await c.closedWithin(5000);
  assert.equal(got, closeCode, `${what}: close code`);
  return m;
}

/* ------------------------------------------------------------------ */
/* SMTP sink (tests/smtp/sink.py with Debian's python3-aiosmtpd)       */
/* ------------------------------------------------------------------ */

export const SINK_PY = path.join(ROOT, 'tests', 'smtp', 'sink.py');

/**
 * Starts the test SMTP server. opts.args: extra sink.py arguments;
 * opts.port: a fixed port (0: a free one). Resolves {port, dir, stop(),
 * messages()} where messages() lists the accepted messages in order as
 * {n, rcpt_tos, message_id, eml} (eml read lazily by eml(n)).
 */
export async function startSink(opts = {}) {
  const dir = opts.dir ?? await fs.mkdtemp(path.join(os.tmpdir(), 'hark-sink-'));
  tempDirs.add(dir);
  await fs.mkdir(dir, { recursive: true });
  const args = [SINK_PY, '--port', String(opts.port ?? 0), '--dir', dir, '--stats', path.join(dir, 'stats.json'),
    ...(opts.args ?? [])];
  const child = spawn('/usr/bin/python3', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d) => (err += d));
  const exited = new Promise((resolve) => child.on('exit', (code) => {
    live.delete(child);
    resolve(code);
  }));
  const port = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`SMTP sink did not start: ${err}`)), 10000);
    child.stdout.setEncoding('utf8').on('data', (d) => {
      out += d;
      const m = /listening on (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`SMTP sink exited ${code}: ${err} (python3-aiosmtpd missing? run scripts/bootstrap)`));
    });
  });
  return {
    port,
    dir,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
    async messages() {
      const names = (await fs.readdir(dir)).filter((f) => /^\d+\.json$/.test(f));
      const list = [];
      for (let i = 0; i < names.length; i += 64) { // bounded: 10,000 files must not exhaust descriptors
        const chunk = names.slice(i, i + 64);
        list.push(...await Promise.all(chunk.map(async (f) => JSON.parse(await fs.readFile(path.join(dir, f), 'utf8')))));
      }
      return list.sort((a, b) => a.n - b.n);
    },
    eml(n) {
      return fs.readFile(path.join(dir, `${n}.eml`), 'utf8');
    },
  };
}

/** Spawns `hark ARGS...` in the background, tracked like every process the
 * harness starts (killed by stopAll and on exit), so a test that is cut short
 * leaves no process behind. Resolves nothing: use the ChildProcess. */
export function spawnHark(args, opts = {}) {
  const child = spawn(HARK_BIN, args, { stdio: opts.stdio ?? ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  child.on('exit', () => live.delete(child));
  return child;
}

/** A fresh data directory (removed at exit). */
export async function tempDataDir(prefix = 'hark-test-') {
  const d = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  tempDirs.add(d);
  return d;
}
