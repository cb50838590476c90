/* The employee chat page. It speaks chat wire protocol v1 over /chat/ws
 * (docs/protocol.md): hello with the highest seq seen, replay without
 * duplicates, answers that are shown at once and confirmed by their ack,
 * pending answers re-sent with the same id after a reconnect, a heartbeat
 * that notices dead connections, and reconnects with exponential backoff and
 * full jitter so that a crowd of clients never retries in step. It holds no
 * state across page loads: a reload simply asks for the whole replay.
 *
 * For tests the page exposes its state on <body data-state=...> (connecting,
 * open, reconnecting, done, closed) and every bubble as .msg.bot / .msg.you
 * with data-seq (a bubble still waiting for its ack has class "pending" and
 * no data-seq yet). */

const HEARTBEAT_MS = 20000;       /* send {"t":"ping"} this often */
const PONG_TIMEOUT_MS = 10000;    /* no message at all this long after a ping: reconnect */
const WELCOME_TIMEOUT_MS = 10000; /* socket opening + hello -> welcome */
const BACKOFF_BASE_MS = 500;
const BACKOFF_CAP_MS = 30000;
const MAX_TEXT_BYTES = 4096;      /* the server's default chat_max_text */

const TEXTS = {
  expired: 'This invitation has expired. Thank you for your interest — your HR team can send you a new link.',
  bad_token: 'This link is not valid.',
  bad_request: 'Something went wrong with this chat. Please reload the page to continue.',
  replaced: 'This chat was opened in another window.',
  ended: 'This chat has ended. You can close this page.',
  too_large: 'Your last answer was too long to send. Please shorten it and try again.',
};

const $ = (id) => document.getElementById(id);
const ui = {
  body: document.body,
  log: $('log'),
  composer: $('composer'),
  banner: $('banner'),
  placeholder: $('placeholder'),
};

const S = {
  token: tokenFromPath(location.pathname),
  ws: null,
  connId: 0,
  phase: 'connecting',  /* mirrored on body[data-state] */
  lastSeq: 0,           /* highest seq seen (messages and acks) */
  msgs: new Map(),      /* seq -> {t, seq, text, input?, id?} */
  awaiting: null,       /* seq of the open question, if any */
  welcomeLastSeq: 0,    /* the server's last seq at the latest welcome */
  replayDone: false,    /* the latest welcome's replay has fully arrived */
  pending: [],          /* answers sent but not acknowledged: {id, text, question, connId, el} */
  attempt: 0,           /* reconnect attempts since the last welcome */
  lastError: null,      /* the latest error frame on the current socket */
  done: false,
  notice: null,         /* {text, action} shown in place of the composer when closed */
  flash: null,          /* a one-off note shown above the answer controls */
  draft: '',            /* text to put back into the next textarea (a refused answer) */
  composerKey: '',
  keyboard: false,      /* the person navigates with the keyboard: move focus for them */
  rxSincePing: true,
  timers: {},
};

/* ---- helpers ---- */

function tokenFromPath(pathname) {
  const parts = pathname.split('/').filter(Boolean);
  return parts.length ? parts[parts.length - 1] : '';
}

function randomId() {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

function utf8Bytes(s) {
  return new TextEncoder().encode(s).length;
}

function clearTimer(name) {
  if (S.timers[name]) {
    clearTimeout(S.timers[name]);
    clearInterval(S.timers[name]);
    S.timers[name] = 0;
  }
}

function h(tag, props, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'className') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c) e.append(c);
  return e;
}

const reducedMotion = window.matchMedia('(prefers-reduced-motion: reduce)');
const finePointer = window.matchMedia('(pointer: fine)');

function scrollToEnd() {
  ui.log.scrollTo({ top: ui.log.scrollHeight, behavior: reducedMotion.matches ? 'auto' : 'smooth' });
}

/* ---- connection ---- */

function wsUrl() {
  return (location.protocol === 'https:' ? 'wss' : 'ws') + '://' + location.host + '/chat/ws';
}

function setPhase(p) {
  S.phase = p;
  ui.body.dataset.state = p;
  const hide = p !== 'reconnecting';
  if (ui.banner.hidden !== hide) {
    /* The banner takes room from the conversation: keep its end in view. */
    const atEnd = ui.log.scrollHeight - ui.log.scrollTop - ui.log.clientHeight < 24;
    ui.banner.hidden = hide;
    if (atEnd) ui.log.scrollTop = ui.log.scrollHeight;
  }
}

function connect() {
  clearTimer('reconnect');
  if (S.done || S.phase === 'closed' || S.ws) return;
  let ws;
  try {
    ws = new WebSocket(wsUrl());
  } catch (e) {
    scheduleReconnect(0);
    return;
  }
  S.ws = ws;
  S.connId++;
  S.lastError = null;
  S.replayDone = false;
  S.timers.welcome = setTimeout(() => {
    if (S.ws === ws) drop();
  }, WELCOME_TIMEOUT_MS);
  ws.onopen = () => {
    if (S.ws !== ws) return;
    send({ t: 'hello', token: S.token, last_seq: S.lastSeq });
    startHeartbeat(ws);
  };
  ws.onmessage = (ev) => onFrame(ws, ev.data);
  ws.onclose = (ev) => onClose(ws, ev.code);
  ws.onerror = () => {}; /* a close event always follows */
  render();
}

function send(obj) {
  const ws = S.ws;
  if (!ws || ws.readyState !== WebSocket.OPEN) return false;
  try {
    ws.send(JSON.stringify(obj));
    return true;
  } catch (e) {
    return false;
  }
}

/* Abandons the current socket without waiting for its close handshake (it may
 * be dead) and schedules a reconnect. */
function drop() {
  const ws = S.ws;
  if (!ws) return;
  ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
  try {
    ws.close(1000);
  } catch (e) { /* already closing */ }
  detach();
  scheduleReconnect(0);
}

function detach() {
  S.ws = null;
  clearTimer('heartbeat');
  clearTimer('pong');
  clearTimer('welcome');
}

function startHeartbeat(ws) {
  clearTimer('heartbeat');
  S.rxSincePing = true;
  S.timers.heartbeat = setInterval(() => {
    if (S.ws !== ws || ws.readyState !== WebSocket.OPEN) return;
    S.rxSincePing = false;
    send({ t: 'ping' });
    clearTimer('pong');
    S.timers.pong = setTimeout(() => {
      if (S.ws === ws && !S.rxSincePing) drop();
    }, PONG_TIMEOUT_MS);
  }, HEARTBEAT_MS);
}

/* Full jitter: the first retry waits 0-1 s, the next 0-2 s, 0-4 s, ... up to
 * 0-30 s; never less than the server's retry_after_ms. */
function scheduleReconnect(minDelayMs) {
  clearTimer('reconnect');
  if (S.done || S.phase === 'closed') return;
  S.attempt++;
  const cap = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** S.attempt);
  const delay = Math.max(Math.random() * cap, minDelayMs || 0);
  setPhase('reconnecting');
  S.timers.reconnect = setTimeout(connect, delay);
  render();
}

function onClose(ws, code) {
  if (S.ws !== ws) return;
  detach();
  const err = S.lastError;
  S.lastError = null;
  if (S.done) {
    setPhase('done');
  } else if (code === 1000) {
    closeFor(TEXTS.ended);
  } else if (code === 1008) {
    const c = err && err.code;
    closeFor(c === 'expired' ? TEXTS.expired : c === 'bad_token' ? TEXTS.bad_token : TEXTS.bad_request);
  } else if (code === 4001) {
    closeFor(TEXTS.replaced, { label: 'Continue here', run: resumeHere });
  } else if (code === 1009) {
    /* The server refused our last answer as too large: forget it (it was not
     * stored) so the reconnect does not send it again, and let the person
     * answer again. */
    for (const p of S.pending.splice(0)) {
      p.el.remove();
      S.draft = p.text;
    }
    S.flash = TEXTS.too_large;
    scheduleReconnect(0);
  } else {
    /* 1001 going away, 1006 dropped, 1011 internal, 1013 overloaded, ... */
    scheduleReconnect(err && Number(err.retry_after_ms) > 0 ? Number(err.retry_after_ms) : 0);
  }
  render();
}

function closeFor(text, action) {
  clearTimer('reconnect');
  S.notice = { text, action: action || null };
  setPhase('closed');
}

function resumeHere() {
  S.notice = null;
  for (const old of ui.log.querySelectorAll('.notice-alone')) old.remove();
  S.attempt = 0;
  setPhase('connecting');
  connect();
}

/* ---- protocol ---- */

function onFrame(ws, data) {
  if (S.ws !== ws) return;
  S.rxSincePing = true;
  clearTimer('pong');
  let m;
  try {
    m = JSON.parse(data);
  } catch (e) {
    return;
  }
  if (!m || typeof m !== 'object') return;
  switch (m.t) {
    case 'welcome': onWelcome(m); break;
    case 'bot':
    case 'you': onMessage(m); break;
    case 'ack': onAck(m); break;
    case 'done': onDone(); break;
    case 'error': S.lastError = m; break;
    default: break; /* pong, or something newer than this page */
  }
  render();
}

function onWelcome(m) {
  clearTimer('welcome');
  S.attempt = 0;
  S.welcomeLastSeq = Number.isInteger(m.last_seq) ? m.last_seq : 0;
  S.awaiting = Number.isInteger(m.awaiting) ? m.awaiting : null;
  setPhase('open');
  if (S.lastSeq >= S.welcomeLastSeq) finishReplay();
}

function onMessage(m) {
  if (!Number.isInteger(m.seq) || m.seq < 1) return;
  if (m.seq > S.lastSeq) S.lastSeq = m.seq;
  if (!S.msgs.has(m.seq)) {
    if (m.t === 'you') {
      const p = S.pending.find((x) => x.id === m.id);
      if (p) confirm(p, m.seq);
      else addMessage({ t: 'you', seq: m.seq, id: m.id, text: String(m.text ?? '') });
    } else {
      const input = m.input && typeof m.input === 'object' ? m.input : null;
      addMessage({ t: 'bot', seq: m.seq, text: String(m.text ?? ''), input });
      /* A question that arrives after the welcome's replay is the new open one. */
      if (input && m.seq > S.welcomeLastSeq) S.awaiting = m.seq;
    }
  }
  if (!S.replayDone && S.lastSeq >= S.welcomeLastSeq) finishReplay();
}

function onAck(m) {
  if (Number.isInteger(m.seq) && m.seq > S.lastSeq) S.lastSeq = m.seq;
  const p = S.pending.find((x) => x.id === m.id);
  if (p && Number.isInteger(m.seq)) confirm(p, m.seq);
}

function onDone() {
  S.done = true;
  S.awaiting = null;
  clearTimer('heartbeat');
  clearTimer('pong');
  setPhase('done');
}

/* The replay after a welcome is complete: settle the answers sent on an
 * earlier connection that got no ack. Those found in the replay were confirmed
 * already; one whose question is still open is sent again with the same id
 * (the server stores an id once and acks a repeat with the original seq); any
 * other was overtaken and is dropped. */
function finishReplay() {
  S.replayDone = true;
  for (const p of S.pending.slice()) {
    if (p.connId === S.connId) continue;
    if (S.awaiting !== null && p.question === S.awaiting) {
      p.connId = S.connId;
      send({ t: 'say', id: p.id, text: p.text });
    } else {
      S.pending.splice(S.pending.indexOf(p), 1);
      p.el.remove();
    }
  }
}

function confirm(p, seq) {
  S.pending.splice(S.pending.indexOf(p), 1);
  S.msgs.set(seq, { t: 'you', seq, id: p.id, text: p.text });
  p.el.classList.remove('pending');
  p.el.dataset.seq = String(seq);
  p.el.removeAttribute('title');
  const status = p.el.querySelector('.sr-status');
  if (status) status.remove();
  place(p.el, seq);
  if (S.awaiting === p.question) S.awaiting = null;
}

function canAnswer() {
  return S.phase === 'open' && S.replayDone && S.awaiting !== null &&
    !!S.ws && S.ws.readyState === WebSocket.OPEN &&
    !S.pending.some((p) => p.question === S.awaiting);
}

function say(text) {
  if (!canAnswer()) return;
  const q = S.msgs.get(S.awaiting);
  const p = { id: randomId(), text, question: S.awaiting, connId: S.connId, el: null };
  p.el = bubble({ t: 'you', seq: null, text }, q && q.input);
  p.el.classList.add('pending');
  p.el.title = 'Sending…';
  p.el.append(h('span', { className: 'sr-only sr-status', text: ' (sending)' }));
  ui.log.append(p.el);
  S.pending.push(p);
  S.flash = null;
  send({ t: 'say', id: p.id, text });
  render();
  scrollToEnd();
}

/* ---- rendering ---- */

function addMessage(msg) {
  S.msgs.set(msg.seq, msg);
  const prev = S.msgs.get(msg.seq - 1);
  const e = bubble(msg, msg.t === 'you' && prev && prev.t === 'bot' ? prev.input : null);
  place(e, msg.seq);
  scrollToEnd();
}

/* Builds a bubble. For an answer to a scale whose every point is labelled,
 * the label is shown next to the number. */
function bubble(msg, answeredInput) {
  const e = h('div', { className: 'msg ' + msg.t });
  if (msg.seq !== null) e.dataset.seq = String(msg.seq);
  if (msg.t === 'bot') {
    e.id = 'm-' + msg.seq;
    e.append(h('span', { className: 'text', text: msg.text }));
  } else {
    e.append(h('span', { className: 'sr-only', text: 'You: ' }));
    if (msg.text === '') {
      e.append(h('span', { className: 'text skipped', text: 'Skipped' }));
    } else {
      e.append(h('span', { className: 'text', text: msg.text }));
      const label = scaleLabel(answeredInput, msg.text);
      if (label) e.append(h('span', { className: 'label', text: label }));
    }
  }
  return e;
}

function scaleLabel(input, text) {
  if (!input || input.kind !== 'scale' || !Array.isArray(input.labels)) return '';
  const n = input.max - input.min + 1;
  const v = Number(text);
  if (input.labels.length !== n || !Number.isInteger(v) || v < input.min || v > input.max) return '';
  return String(input.labels[v - input.min]);
}

/* Inserts E in seq order: before the first bubble with a larger seq, or before
 * the first pending (seq-less) bubble, else at the end. */
function place(e, seq) {
  let before = null;
  for (const k of ui.log.querySelectorAll('.msg')) {
    if (k === e) continue;
    if (k.dataset.seq === undefined || Number(k.dataset.seq) > seq) {
      before = k;
      break;
    }
  }
  ui.log.insertBefore(e, before);
}

function render() {
  if (ui.placeholder && (S.msgs.size > 0 || S.pending.length > 0 || S.phase === 'closed')) {
    ui.placeholder.remove();
    ui.placeholder = null;
  }
  ui.body.dataset.awaiting = S.awaiting === null ? '' : String(S.awaiting);
  renderComposer();
}

function renderComposer() {
  let key;
  let q = null;
  if (S.phase === 'done') key = 'done';
  else if (S.phase === 'closed') key = 'closed';
  else {
    q = S.awaiting !== null ? S.msgs.get(S.awaiting) : null;
    const open = q && q.input && !S.pending.some((p) => p.question === q.seq);
    key = open ? 'q' + q.seq : 'idle';
    if (!open) q = null;
  }
  const c = ui.composer;
  if (key !== S.composerKey) {
    const a = document.activeElement;
    const hadFocus = !a || a === document.body || c.contains(a);
    S.composerKey = key;
    c.replaceChildren();
    delete c.dataset.kind;
    delete c.dataset.question;
    if (key === 'done') c.append(closingCard());
    else if (key === 'closed' && ui.log.querySelector('.msg')) c.append(noticeCard());
    else if (key === 'closed') ui.log.append(noticeCard('notice-alone'));
    else if (q) {
      c.dataset.kind = q.input.kind;
      c.dataset.question = String(q.seq);
      c.append(answerControls(q));
    }
    if (S.flash && key !== 'done' && key !== 'closed') {
      c.prepend(h('p', { className: 'flash', role: 'alert', text: S.flash }));
    }
    syncEnabled();
    /* Keep keyboard users in the answer area; on a touch screen, do not pop
     * the keyboard up uninvited. */
    if (hadFocus && q && (S.keyboard || (q.input.kind === 'text' && finePointer.matches))) {
      const first = c.querySelector('textarea, button:not([disabled])');
      if (first) first.focus({ preventScroll: true });
    }
    if (key === 'done' || key === 'closed') scrollToEnd();
    return;
  }
  syncEnabled();
}

function syncEnabled() {
  const on = canAnswer();
  ui.composer.classList.toggle('is-disabled', !on);
  for (const b of ui.composer.querySelectorAll('[data-answer]')) b.disabled = !on;
  const form = ui.composer.querySelector('form.text');
  if (form) updateTextForm(form, on);
}

function answerControls(q) {
  const input = q.input;
  const labelledby = 'm-' + q.seq;
  if (input.kind === 'scale') return scaleControls(input, labelledby);
  if (input.kind === 'choice') return choiceControls(input, labelledby);
  return textControls(input, labelledby);
}

function scaleControls(input, labelledby) {
  const min = Number(input.min);
  const max = Number(input.max);
  const labels = Array.isArray(input.labels) ? input.labels.map(String) : [];
  const full = labels.length === max - min + 1;
  const lo = labels.length ? labels[0] : '';
  const hi = labels.length > 1 ? labels[labels.length - 1] : '';
  const row = h('div', { className: 'scale-buttons' });
  for (let v = min; v <= max; v++) {
    let label = '';
    if (full) label = labels[v - min];
    else if (v === min) label = lo;
    else if (v === max) label = hi;
    row.append(h('button', {
      type: 'button',
      className: 'scale-button',
      'data-answer': true,
      'data-value': String(v),
      title: label || undefined,
      'aria-label': label ? v + ' – ' + label : String(v),
      onclick: () => say(String(v)),
    }, String(v)));
  }
  if (max - min + 1 > 7) row.classList.add('many');
  const ends = h('div', { className: 'scale-ends', 'aria-hidden': 'true' },
    h('span', { text: lo }), h('span', { text: hi }));
  return h('div', { className: 'scale', role: 'group', 'aria-labelledby': labelledby }, row, (lo || hi) ? ends : null);
}

function choiceControls(input, labelledby) {
  const box = h('div', { className: 'choices', role: 'group', 'aria-labelledby': labelledby });
  for (const opt of Array.isArray(input.options) ? input.options.map(String) : []) {
    box.append(h('button', {
      type: 'button',
      className: 'choice',
      'data-answer': true,
      'data-value': opt,
      onclick: () => say(opt),
    }, opt));
  }
  return box;
}

function textControls(input, labelledby) {
  const optional = !!input.optional;
  const area = h('textarea', {
    id: 'answer',
    rows: '2',
    'aria-labelledby': labelledby,
    'aria-describedby': 'answer-hint',
    placeholder: 'Type your answer…',
    enterkeyhint: 'send',
    autocomplete: 'off',
  });
  area.value = S.draft;
  S.draft = '';
  const hint = h('span', { id: 'answer-hint', className: 'hint', text: 'Enter to send · Shift+Enter for a new line' });
  const skip = optional
    ? h('button', { type: 'button', className: 'skip', 'data-answer': true, onclick: () => say('') }, 'Skip')
    : null;
  const sendBtn = h('button', { type: 'submit', className: 'send' }, 'Send');
  const form = h('form', { className: 'text', novalidate: true },
    area, h('div', { className: 'text-actions' }, hint, skip, sendBtn));
  const submit = () => {
    const text = area.value;
    if (!canAnswer() || !textSendable(text)) return;
    say(text);
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    submit();
  });
  area.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      submit();
    }
  });
  area.addEventListener('input', () => updateTextForm(form, canAnswer()));
  return form;
}

function textSendable(text) {
  return text.trim() !== '' && utf8Bytes(text) <= MAX_TEXT_BYTES;
}

function updateTextForm(form, on) {
  const area = form.querySelector('textarea');
  const sendBtn = form.querySelector('button.send');
  const hint = form.querySelector('.hint');
  const over = utf8Bytes(area.value) - MAX_TEXT_BYTES;
  area.readOnly = !on;
  area.setAttribute('aria-disabled', on ? 'false' : 'true');
  sendBtn.disabled = !on || !textSendable(area.value);
  if (over > 0) {
    hint.textContent = 'That is a little long — please shorten it a bit to send.';
    hint.classList.add('warn');
  } else {
    hint.textContent = 'Enter to send · Shift+Enter for a new line';
    hint.classList.remove('warn');
  }
}

function closingCard() {
  return h('div', { className: 'closing', role: 'status' },
    h('span', { className: 'closing-mark', 'aria-hidden': 'true' }),
    h('div', {},
      h('p', { className: 'closing-title', text: 'Thank you.' }),
      h('p', { text: 'Your answers have been saved. You can close this page now.' })));
}

/* The message for a closed chat: under the conversation, or on its own in
 * the middle of the page when there is no conversation to show. */
function noticeCard(extraClass) {
  for (const old of ui.log.querySelectorAll('.notice-alone')) old.remove();
  const n = S.notice || { text: TEXTS.ended, action: null };
  const card = h('div', { className: 'notice' + (extraClass ? ' ' + extraClass : ''), role: 'alert' },
    h('p', { text: n.text }));
  if (n.action) {
    card.append(h('button', { type: 'button', className: 'notice-action', onclick: n.action.run }, n.action.label));
  }
  return card;
}

/* ---- start ---- */

document.addEventListener('keydown', (e) => {
  if (e.key === 'Tab' || e.key === 'Enter' || e.key === ' ') S.keyboard = true;
}, true);
document.addEventListener('pointerdown', () => { S.keyboard = false; }, true);

window.addEventListener('online', () => {
  /* Back online: retry soon, but still with jitter so that a whole office
   * coming back at once does not reconnect in the same instant. */
  if (S.phase === 'reconnecting' && !S.ws) {
    clearTimer('reconnect');
    S.timers.reconnect = setTimeout(connect, Math.random() * 1000);
  }
});

if (!S.token) {
  closeFor(TEXTS.bad_token);
  render();
} else {
  setPhase('connecting');
  connect();
}
