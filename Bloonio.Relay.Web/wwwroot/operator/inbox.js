// Bloonio operator inbox: queue, several live conversations, transfer/release/hand back/close, availability.
// Plain JavaScript on the SignalR browser client (global `signalR`, served at /lib/signalr.min.js). No build step.
(() => {
  'use strict';

  const HUB_URL = '/hubs/operator';
  const HISTORY_PAGE = 200;
  const EARLIER_PAGE = 100;
  const MAX_TEXT = 4000;
  const TYPING_REFRESH_MS = 3000;
  const TYPING_IDLE_MS = 4000;
  const VISITOR_TYPING_TIMEOUT_MS = 10000;
  const KEYS = {
    token: 'bloonio.inbox.token',
    name: 'bloonio.inbox.operator_name',
    availability: 'bloonio.inbox.availability',
    visitors: 'bloonio.inbox.visitor_names',
    read: 'bloonio.inbox.read_seq',
    sound: 'bloonio.inbox.sound',
  };

  // ---------------------------------------------------------------------------------------------------------------
  // Where the operator token comes from. Today: `/operator#token=<operator_token>` (kept in sessionStorage for
  // reloads, removed from the address bar). The console will embed this page and supply the token here instead.
  // ---------------------------------------------------------------------------------------------------------------
  function operatorToken() {
    const hash = new URLSearchParams(location.hash.replace(/^#/, ''));
    const fromHash = hash.get('token');
    if (fromHash) {
      store.set(KEYS.token, fromHash);
      if (hash.get('name')) store.set(KEYS.name, hash.get('name'));
      history.replaceState(history.state, '', location.pathname + location.search);
      return fromHash;
    }
    return store.get(KEYS.token);
  }

  const store = {
    get(key) { try { return sessionStorage.getItem(key); } catch { return null; } },
    set(key, value) { try { sessionStorage.setItem(key, value); } catch { /* private mode: memory only */ } },
    json(key) { try { return JSON.parse(this.get(key) || '{}') || {}; } catch { return {}; } },
    setJson(key, value) { this.set(key, JSON.stringify(value)); },
  };

  // ---------------------------------------------------------------------------------------------------------------
  // State
  // ---------------------------------------------------------------------------------------------------------------
  const state = {
    token: null,
    operatorId: null,
    operatorName: store.get(KEYS.name),
    connection: null,
    conn: 'connecting',            // connecting | connected | reconnecting | offline
    everConnected: false,
    retryTimer: null,
    retries: 0,
    authFailed: false,
    availability: store.get(KEYS.availability) || 'available',
    availabilityChosen: !!store.get(KEYS.availability),
    queue: new Map(),              // assignment_id -> assignment
    accepting: new Set(),          // assignment ids being accepted by this page
    convs: new Map(),              // session_id -> conversation
    selected: null,                // session_id
    syncing: false,
    syncAgain: false,
    queueEvents: null,             // queue events seen while a ListQueue snapshot is in flight
    visitorNames: store.json(KEYS.visitors),
    readSeqs: store.json(KEYS.read),
    routingKeys: new Set(),
  };

  // ---------------------------------------------------------------------------------------------------------------
  // DOM
  // ---------------------------------------------------------------------------------------------------------------
  const $ = (selector, root = document) => root.querySelector(selector);
  const ui = {
    conn: $('[data-testid="connection-state"]'),
    connText: $('[data-testid="connection-state"] .conn-text'),
    availability: $('[data-testid="availability"]'),
    availabilityText: $('[data-testid="availability"] .availability-text'),
    me: $('[data-testid="operator-name"]'),
    meName: $('.me-name'),
    meAvatar: $('.me-avatar'),
    auth: $('[data-testid="auth-problem"]'),
    authText: $('.auth-text'),
    queue: $('[data-testid="queue"]'),
    queueEmpty: $('[data-empty="queue"]'),
    queueCount: $('[data-count="queue"]'),
    mine: $('[data-testid="mine"]'),
    mineEmpty: $('[data-empty="mine"]'),
    mineCount: $('[data-count="mine"]'),
    placeholder: $('.placeholder'),
    conversation: $('[data-testid="conversation"]'),
    convAvatar: $('.conv-avatar'),
    convTitle: $('.conv-title'),
    convSub: $('.conv-sub'),
    back: $('.back'),
    release: $('[data-testid="release"]'),
    transfer: $('[data-testid="transfer"]'),
    handback: $('[data-testid="handback"]'),
    close: $('[data-testid="close"]'),
    transferForm: $('#transfer-form'),
    transferInput: $('#transfer-input'),
    routingKeys: $('#routing-keys'),
    closeForm: $('#close-form'),
    closeInput: $('#close-input'),
    ended: $('[data-testid="ended"]'),
    endedText: $('.ended-text'),
    dismiss: $('[data-testid="dismiss"]'),
    scroller: $('.scroller'),
    earlier: $('.earlier'),
    logSlot: $('.log-slot'),
    jump: $('.jump'),
    typing: $('[data-testid="typing"]'),
    typingText: $('.typing-text'),
    composerForm: $('.composer'),
    composer: $('[data-testid="composer"]'),
    fileInput: $('[data-testid="file-input"]'),
    attach: $('[data-testid="attach"]'),
    send: $('[data-testid="send"]'),
    announcer: $('[data-announcer]'),
    toasts: $('.toasts'),
    searchForm: $('[data-testid="search-form"]'),
    search: $('[data-testid="search"]'),
    searchStatus: $('[data-testid="search-status"]'),
    searchResults: $('[data-testid="search-results"]'),
    review: $('[data-testid="review"]'),
    reviewTitle: $('.review-title'),
    reviewSub: $('.review-sub'),
    reviewLog: $('[data-testid="review-log"]'),
    reviewClose: $('[data-testid="review-close"]'),
    tagsForm: $('[data-testid="tags-form"]'),
    tags: $('[data-testid="tags"]'),
    viewers: $('[data-testid="viewers"]'),
    context: $('[data-testid="visitor-context"]'),
    teammates: $('[data-testid="teammates"]'),
    cannedPicker: $('[data-testid="canned-picker"]'),
    noteToggle: $('[data-testid="note-toggle"]'),
    notify: $('[data-testid="notify"]'),
  };

  const timeFormat = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' });
  const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  const dayFormat = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });

  // ---------------------------------------------------------------------------------------------------------------
  // Small helpers
  // ---------------------------------------------------------------------------------------------------------------
  function el(tag, props = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === 'class') node.className = value;
      else if (key === 'text') node.textContent = value;
      else if (key === 'dataset') Object.assign(node.dataset, value);
      else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? '' : value);
    }
    for (const child of children) if (child !== null && child !== undefined) node.append(child);
    return node;
  }

  function uuid() {
    if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  function decodeJwt(token) {
    try {
      let part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
      part += '='.repeat((4 - (part.length % 4)) % 4);
      const bytes = Uint8Array.from(atob(part), (c) => c.charCodeAt(0));
      return JSON.parse(new TextDecoder().decode(bytes));
    } catch {
      return null;
    }
  }

  const shortId = (id) => (id || '').replace(/-/g, '').slice(-6);

  function initials(name) {
    const words = (name || '').trim().split(/\s+/).filter(Boolean);
    if (words.length === 0) return '?';
    return (words[0][0] + (words.length > 1 ? words[words.length - 1][0] : '')).toUpperCase();
  }

  function hue(seed) {
    let h = 0;
    for (const c of seed || '') h = (h * 31 + c.charCodeAt(0)) >>> 0;
    return h % 360;
  }

  function paintAvatar(node, name, seed) {
    node.textContent = seed && name === `Visitor ${shortId(seed)}` ? 'V' : initials(name);
    node.style.setProperty('--avatar-hue', hue(seed || name));
  }

  function waitingText(since) {
    const seconds = Math.max(0, Math.floor((Date.now() - Date.parse(since)) / 1000));
    if (seconds < 60) return seconds < 10 ? 'waiting just now' : `waiting ${seconds} s`;
    const minutes = Math.floor(seconds / 60);
    if (minutes < 60) return `waiting ${minutes} min`;
    const hours = Math.floor(minutes / 60);
    return `waiting ${hours} h ${String(minutes % 60).padStart(2, '0')} min`;
  }

  function waitingLevel(since) {
    const seconds = (Date.now() - Date.parse(since)) / 1000;
    return seconds >= 300 ? 'late' : seconds >= 120 ? 'warn' : 'ok';
  }

  function shortTime(iso) {
    if (!iso) return '';
    const d = new Date(iso);
    const today = new Date();
    return d.toDateString() === today.toDateString() ? timeFormat.format(d) : dayFormat.format(d);
  }

  /** "…HubException: already_assigned: Another operator accepted this assignment" → {code, text}. */
  function parseError(error) {
    const message = String(error?.message ?? error ?? '');
    const at = message.indexOf('HubException: ');
    if (at >= 0) {
      const rest = message.slice(at + 'HubException: '.length).trim();
      const match = /^([a-z0-9_]+):\s*([\s\S]*)$/.exec(rest);
      if (match) return { hub: true, code: match[1], text: sentence(match[2] || match[1].replace(/_/g, ' ')) };
      return { hub: true, code: '', text: sentence(rest) };
    }
    return { hub: false, code: 'connection', text: 'The connection to the relay was interrupted.' };
  }

  function sentence(text) {
    const t = text.trim();
    if (!t) return 'Something went wrong.';
    const capital = t[0].toUpperCase() + t.slice(1);
    return /[.!?)]$/.test(capital) ? capital : `${capital}.`;
  }

  const isAuthError = (error) => /\b401\b|unauthori[sz]ed|membership_inactive|token_revoked|tenant_suspended|invalid_token/i
    .test(String(error?.message ?? error ?? ''));

  function announce(text) {
    ui.announcer.textContent = '';
    // A fresh text node in a new frame so screen readers announce repeats too.
    requestAnimationFrame(() => { ui.announcer.textContent = text; });
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Toasts (non-blocking)
  // ---------------------------------------------------------------------------------------------------------------
  function toast(text, { kind = 'info', code = '', timeout } = {}) {
    const node = el('div', {
      class: `toast toast--${kind}`, 'data-testid': 'toast', role: kind === 'error' ? 'alert' : 'status',
      dataset: code ? { code } : undefined,
    },
    el('span', { class: 'toast-icon', 'aria-hidden': 'true' }),
    el('span', { class: 'toast-text', text }),
    el('button', { type: 'button', class: 'toast-close', 'aria-label': 'Dismiss notification', text: '×', onclick: () => remove() }));
    function remove() {
      node.classList.add('toast--leaving');
      setTimeout(() => node.remove(), 180);
    }
    ui.toasts.append(node);
    while (ui.toasts.children.length > 4) ui.toasts.firstElementChild.remove();
    setTimeout(remove, timeout ?? (kind === 'error' ? 7000 : 4500));
    return node;
  }

  function toastError(error, fallback) {
    const parsed = parseError(error);
    if (!parsed.hub && fallback) return toast(fallback, { kind: 'error', code: parsed.code });
    return toast(parsed.text, { kind: 'error', code: parsed.code });
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Connection
  // ---------------------------------------------------------------------------------------------------------------
  const connected = () => state.connection?.state === signalR.HubConnectionState.Connected;

  function invoke(method, ...args) {
    if (!connected()) return Promise.reject(new Error('offline'));
    return state.connection.invoke(method, ...args);
  }

  function setConnection(value) {
    state.conn = value;
    ui.conn.dataset.state = value;
    ui.connText.textContent = {
      connecting: 'Connecting…', connected: 'Connected', reconnecting: 'Reconnecting…', offline: 'Offline',
    }[value];
    ui.conn.title = value === 'offline' ? 'Offline — messages you send are kept and sent when the connection is back' : '';
    document.body.dataset.connection = value;
    for (const conv of state.convs.values()) if (conv.pending.size) renderReceipt(conv);
  }

  function buildConnection() {
    const connection = new signalR.HubConnectionBuilder()
      .withUrl(HUB_URL, { accessTokenFactory: () => state.token })
      .withAutomaticReconnect({
        nextRetryDelayInMilliseconds(context) {
          if (isAuthError(context.retryReason)) return null;
          if (context.elapsedMilliseconds > 45000) setConnection('offline');
          return [0, 1000, 3000, 5000, 10000][context.previousRetryCount] ?? 15000;
        },
      })
      .configureLogging(signalR.LogLevel.Warning)
      .build();

    connection.onreconnecting(() => setConnection(navigator.onLine === false ? 'offline' : 'reconnecting'));
    connection.onreconnected(() => {
      setConnection('connected');
      sync();
    });
    connection.onclose((error) => {
      if (isAuthError(error)) return authProblem(error);
      setConnection('offline');
      scheduleStart();
    });

    connection.on('assignment_waiting', onAssignmentWaiting);
    connection.on('assignment_removed', onAssignmentRemoved);
    connection.on('assignment_assigned', onAssignmentAssigned);
    connection.on('message', onMessage);
    connection.on('typing', onTyping);
    connection.on('read', onRead);
    connection.on('session_closed', onSessionClosed);
    connection.on('note', onNote);
    connection.on('viewing', onViewing);
    return connection;
  }

  async function start() {
    clearTimeout(state.retryTimer);
    if (state.authFailed || connected() || state.connection.state === signalR.HubConnectionState.Connecting) return;
    setConnection(state.everConnected ? 'reconnecting' : 'connecting');
    try {
      await state.connection.start();
      state.everConnected = true;
      state.retries = 0;
      setConnection('connected');
      await sync();
    } catch (error) {
      if (isAuthError(error)) return authProblem(error);
      setConnection('offline');
      scheduleStart();
    }
  }

  function scheduleStart() {
    clearTimeout(state.retryTimer);
    const delay = Math.min(30000, 1000 * 2 ** Math.min(state.retries++, 5));
    state.retryTimer = setTimeout(start, delay);
  }

  function authProblem(error) {
    state.authFailed = true;
    setConnection('offline');
    const text = /membership_inactive|token_revoked/i.test(String(error?.message ?? ''))
      ? 'Your access to this inbox was removed. Ask your administrator for a new link.'
      : /tenant_suspended/i.test(String(error?.message ?? ''))
        ? 'This workspace is suspended.'
        : 'Your sign-in link has expired or is not valid. Ask your administrator for a new link.';
    showAuthProblem(text);
  }

  function showAuthProblem(text) {
    ui.authText.textContent = text;
    ui.auth.hidden = false;
    document.body.classList.add('is-locked');
  }

  /** On every (re)connect: the queue, my conversations, and every open conversation's messages after its last seq. */
  async function sync() {
    if (state.syncing) { state.syncAgain = true; return; }
    state.syncing = true;
    try {
      const startedAt = performance.now();
      state.queueEvents = [];
      const [queue, mine] = await Promise.all([invoke('ListQueue'), invoke('ListMine')]);
      // Queue events that raced the snapshot are replayed on top of it.
      const raced = state.queueEvents;
      state.queueEvents = null;
      reconcileQueue(queue || []);
      for (const [kind, payload] of raced) {
        if (kind === 'waiting') state.queue.set(payload.assignment_id, payload);
        else state.queue.delete(payload.assignment_id);
      }
      if (raced.length) renderQueue();
      reconcileMine(mine || [], startedAt);
      await Promise.all([...state.convs.values()].filter((c) => c.active).map((c) => catchUp(c)));
      await flushPending();
      if (state.availabilityChosen) {
        invoke('SetAvailability', { status: state.availability }).catch(() => {});
      }
    } catch (error) {
      if (connected()) toastError(error, 'Could not load your inbox. Retrying…');
    } finally {
      state.queueEvents = null;
      state.syncing = false;
      if (state.syncAgain) { state.syncAgain = false; sync(); }
    }
  }

  let syncSoonTimer = null;
  function syncSoon() {
    clearTimeout(syncSoonTimer);
    syncSoonTimer = setTimeout(() => { if (connected()) sync(); }, 300);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Queue
  // ---------------------------------------------------------------------------------------------------------------
  function reconcileQueue(list) {
    state.queue = new Map(list.filter((a) => !a.status || a.status === 'waiting').map((a) => [a.assignment_id, a]));
    for (const a of state.queue.values()) rememberRoutingKey(a.routing_key);
    renderQueue();
  }

  function onAssignmentWaiting(a) {
    if (a.status && a.status !== 'waiting') return;
    state.queueEvents?.push(['waiting', a]);
    const known = state.queue.has(a.assignment_id);
    state.queue.set(a.assignment_id, a);
    rememberRoutingKey(a.routing_key);
    renderQueue();
    if (!known) {
      announce(`New visitor waiting${a.routing_key ? ` in ${a.routing_key}` : ''}.`);
      pulseTitle();
      notify(`${a.visitor_display_name || 'A visitor'} is waiting${a.routing_key ? ` in ${a.routing_key}` : ''}`, a.preview || '', a.session_id);
    }
  }

  function onAssignmentRemoved({ assignment_id: id, reason }) {
    state.queueEvents?.push(['removed', { assignment_id: id }]);
    if (state.queue.delete(id)) renderQueue();
    const conv = [...state.convs.values()].find((c) => c.assignmentId === id);
    if (conv && conv.active && reason && reason !== 'accepted') {
      endConversation(conv, reason);
    }
  }

  const queueNodes = new Map();

  function renderQueue() {
    const items = [...state.queue.values()].sort((a, b) => Date.parse(a.waiting_since) - Date.parse(b.waiting_since));
    for (const [id, node] of queueNodes) {
      if (!state.queue.has(id)) { node.remove(); queueNodes.delete(id); }
    }
    items.forEach((a, index) => {
      let node = queueNodes.get(a.assignment_id);
      if (!node) { node = queueItem(a); queueNodes.set(a.assignment_id, node); }
      updateQueueItem(node, a);
      if (ui.queue.children[index] !== node) ui.queue.insertBefore(node, ui.queue.children[index] || null);
    });
    ui.queueEmpty.hidden = items.length > 0;
    ui.queueCount.textContent = String(items.length);
    ui.queueCount.dataset.value = String(items.length);
    updateTitle();
  }

  function queueItem(a) {
    const accept = el('button', { type: 'button', class: 'btn btn--primary btn--sm', 'data-testid': 'accept', text: 'Accept' });
    accept.addEventListener('click', () => acceptAssignment(a.assignment_id, accept));
    return el('li', {
      class: 'queue-item', 'data-testid': 'queue-item',
      dataset: { assignmentId: a.assignment_id, sessionId: a.session_id },
    },
    el('span', { class: 'avatar avatar--sm avatar--muted', 'aria-hidden': 'true' }),
    el('div', { class: 'qi-body' },
      el('div', { class: 'qi-name' }),
      el('div', { class: 'qi-preview', 'data-testid': 'queue-preview' }),
      el('div', { class: 'qi-meta' },
        el('span', { class: 'badge', hidden: true }),
        el('span', { class: 'wait', 'data-testid': 'waiting-time' }))),
    accept);
  }

  function updateQueueItem(node, a) {
    if (a.visitor_display_name) rememberVisitorName(a.session_id, a.visitor_display_name);
    const name = a.visitor_display_name || a.visitor_email || visitorName(a.session_id);
    const preview = node.querySelector('.qi-preview');
    preview.textContent = a.preview || '';
    preview.title = [a.visitor_email, a.visitor_verified ? 'verified user' : null].filter(Boolean).join(' · ');
    paintAvatar(node.querySelector('.avatar'), name, a.session_id);
    node.querySelector('.qi-name').textContent = name;
    const badge = node.querySelector('.badge');
    badge.hidden = !a.routing_key;
    badge.textContent = a.routing_key || '';
    node.querySelector('[data-testid="accept"]').setAttribute('aria-label',
      `Accept ${name}${a.routing_key ? ` (${a.routing_key})` : ''}`);
    updateWait(node, a);
  }

  function updateWait(node, a) {
    const wait = node.querySelector('.wait');
    const text = waitingText(a.waiting_since);
    if (wait.textContent !== text) wait.textContent = text;
    wait.dataset.level = waitingLevel(a.waiting_since);
  }

  async function acceptAssignment(id, button) {
    if (!connected()) return toast('You are offline. Accept again when the connection is back.', { kind: 'error' });
    const a = state.queue.get(id);
    button.disabled = true;
    button.textContent = 'Accepting…';
    state.accepting.add(id);
    try {
      const result = await invoke('Accept', { assignment_id: id });
      state.queue.delete(id);
      renderQueue();
      const conv = openFromAccept(result);
      select(conv.sessionId);
      announce(`Conversation with ${conv.visitorName} opened.`);
    } catch (error) {
      const parsed = parseError(error);
      toastError(error, 'Could not accept: the connection was interrupted.');
      if (['already_assigned', 'assignment_not_found', 'not_found', 'forbidden_routing_key'].includes(parsed.code)) {
        state.queue.delete(id);
        renderQueue();
      }
    } finally {
      state.accepting.delete(id);
      button.disabled = false;
      button.textContent = 'Accept';
      if (a && state.queue.has(id)) updateWait(button.closest('li'), a);
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Conversations
  // ---------------------------------------------------------------------------------------------------------------
  function visitorName(sessionId) {
    return state.visitorNames[sessionId] || `Visitor ${shortId(sessionId)}`;
  }

  function rememberVisitorName(sessionId, name) {
    const clean = (name || '').trim();
    if (!clean || state.visitorNames[sessionId] === clean) return;
    state.visitorNames[sessionId] = clean;
    store.setJson(KEYS.visitors, state.visitorNames);
    const conv = state.convs.get(sessionId);
    if (conv) {
      conv.visitorName = clean;
      renderMineItem(conv);
      if (state.selected === sessionId) renderHeader(conv);
    }
  }

  function rememberRoutingKey(key) {
    if (!key || state.routingKeys.has(key)) return;
    state.routingKeys.add(key);
    ui.routingKeys.append(el('option', { value: key }));
  }

  function ensureConv(a) {
    let conv = state.convs.get(a.session_id);
    if (!conv) {
      conv = {
        sessionId: a.session_id,
        assignmentId: a.assignment_id,
        routingKey: a.routing_key ?? null,
        mode: null,
        active: true,
        endedReason: null,
        visitorName: visitorName(a.session_id),
        messages: new Map(),       // seq -> message
        nodes: new Map(),          // seq -> li
        pending: new Map(),        // client_message_id -> pending send
        lastSeq: 0,
        firstSeq: 0,
        readSeq: state.readSeqs[a.session_id] || 0,   // what I have read
        visitorReadSeq: 0,                               // what the visitor has read
        visitorTyping: false,
        visitorTypingTimer: null,
        typingSent: false,
        typingSentAt: 0,
        typingIdleTimer: null,
        draft: '',
        scrollTop: null,
        lastActivity: a.waiting_since || new Date().toISOString(),
        addedAt: performance.now(),
        log: el('ol', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions', 'aria-label': 'Messages' }),
        receipt: el('div', { class: 'receipt', 'data-testid': 'receipt', 'aria-live': 'off' }),
        loadingHistory: null,
      };
      conv.log.addEventListener('click', (event) => {
        const retry = event.target.closest('[data-retry]');
        if (retry) retrySend(conv, retry.dataset.retry);
      });
      state.convs.set(a.session_id, conv);
    } else {
      conv.assignmentId = a.assignment_id ?? conv.assignmentId;
      conv.routingKey = a.routing_key ?? conv.routingKey;
      if (!conv.active) {
        conv.active = true;
        conv.endedReason = null;
        conv.addedAt = performance.now();
      }
    }
    rememberRoutingKey(conv.routingKey);
    return conv;
  }

  function openFromAccept(result) {
    const { assignment, session, history: messages } = result;
    if (session?.visitor_display_name) rememberVisitorName(session.session_id, session.visitor_display_name);
    const conv = ensureConv({ ...assignment, session_id: assignment.session_id || session.session_id });
    conv.mode = session?.mode ?? conv.mode;
    for (const m of messages || []) addMessage(conv, m);
    if (session && session.last_seq > conv.lastSeq) catchUp(conv);
    renderMine();
    return conv;
  }

  function reconcileMine(list, startedAt) {
    const seen = new Set();
    for (const a of list) {
      if (a.status && a.status !== 'assigned') continue;
      seen.add(a.session_id);
      ensureConv(a);
    }
    for (const conv of state.convs.values()) {
      if (conv.active && !seen.has(conv.sessionId) && conv.addedAt < startedAt) {
        endConversation(conv, 'unassigned');
      }
    }
    renderMine();
    if (state.selected) renderConversation();
  }

  function onAssignmentAssigned(a) {
    state.queueEvents?.push(['removed', a]);
    if (state.queue.delete(a.assignment_id)) renderQueue();
    if (a.operator_id && state.operatorId && a.operator_id !== state.operatorId) return;
    const existing = state.convs.get(a.session_id);
    const isNew = !existing || !existing.active;
    const conv = ensureConv(a);
    renderMine();
    if (isNew) {
      const byMe = state.accepting.has(a.assignment_id);
      if (!byMe && !state.selected) select(conv.sessionId, { focus: false });
      catchUp(conv).then(() => {
        if (byMe || !state.convs.has(conv.sessionId)) return;
        toast(`${conv.visitorName} was assigned to you.`, { kind: 'success' });
        announce(`New conversation assigned to you: ${conv.visitorName}.`);
        pulseTitle();
      });
    }
    if (state.selected === conv.sessionId) renderConversation();
  }

  /** Messages after the last seq I have, page by page (also used to fill a gap). */
  function catchUp(conv) {
    if (conv.loadingHistory) return conv.loadingHistory.then(() => conv.active && fetchAfter(conv));
    conv.loadingHistory = fetchAfter(conv).finally(() => { conv.loadingHistory = null; });
    return conv.loadingHistory;
  }

  async function fetchAfter(conv) {
    try {
      for (let page = 0; page < 100; page++) {
        const after = conv.lastSeq;
        const messages = await invoke('History', { session_id: conv.sessionId, after_seq: after, limit: HISTORY_PAGE });
        const stick = state.selected === conv.sessionId && nearBottom();
        let added = 0;
        for (const m of messages || []) if (addMessage(conv, m)) added++;
        if (added) afterCatchUp(conv, stick);
        if (!messages || messages.length < HISTORY_PAGE || conv.lastSeq === after) break;
      }
    } catch (error) {
      const parsed = parseError(error);
      if (parsed.hub && /not_found/.test(parsed.code)) endConversation(conv, 'unassigned');
    }
  }

  /** After messages arrived from History: the list item, unread counts, and the open view. */
  function afterCatchUp(conv, stick) {
    renderMineItem(conv);
    sortMine();
    updateTitle();
    if (state.selected === conv.sessionId) {
      if (stick) scrollToBottom(false);
      else ui.jump.hidden = false;
      markRead(conv);
    }
  }

  /** A live message jumped ahead (seq from+1 … to-1 missing): fetch exactly those; they land in seq order. */
  async function fillGap(conv, from, to) {
    try {
      const messages = await invoke('History', { session_id: conv.sessionId, after_seq: from, limit: Math.min(HISTORY_PAGE, to - from - 1) });
      const stick = state.selected === conv.sessionId && nearBottom();
      for (const m of messages || []) addMessage(conv, m);
      afterCatchUp(conv, stick);
    } catch {
      /* the next (re)connect catches up */
    }
  }

  async function loadEarlier(conv) {
    if (conv.firstSeq <= 1) return;
    const count = Math.min(EARLIER_PAGE, conv.firstSeq - 1);
    ui.earlier.disabled = true;
    try {
      const before = ui.scroller.scrollHeight - ui.scroller.scrollTop;
      const messages = await invoke('History', { session_id: conv.sessionId, after_seq: conv.firstSeq - 1 - count, limit: count });
      for (const m of messages || []) addMessage(conv, m, { quiet: true });
      if (state.selected === conv.sessionId) ui.scroller.scrollTop = ui.scroller.scrollHeight - before;
    } catch (error) {
      toastError(error, 'Could not load earlier messages while offline.');
    } finally {
      ui.earlier.disabled = false;
      renderEarlier(conv);
    }
  }

  /** Inserts a journal message in seq order; returns false when it was already there. */
  function addMessage(conv, m, { quiet = false } = {}) {
    if (!m || typeof m.seq !== 'number') return false;
    if (m.client_message_id && conv.pending.has(m.client_message_id)) {
      confirmPending(conv, m.client_message_id, m);
      return true;
    }
    if (conv.messages.has(m.seq)) return false;

    conv.messages.set(m.seq, m);
    const node = messageNode(m);
    conv.nodes.set(m.seq, node);
    insertBySeq(conv, node, m.seq);
    conv.lastSeq = Math.max(conv.lastSeq, m.seq);
    conv.firstSeq = conv.firstSeq ? Math.min(conv.firstSeq, m.seq) : m.seq;
    if (!quiet && m.created_at && Date.parse(m.created_at) > Date.parse(conv.lastActivity || 0)) conv.lastActivity = m.created_at;

    const sender = m.sender || {};
    if (sender.type === 'visitor' && sender.display_name) rememberVisitorName(conv.sessionId, sender.display_name);
    if (sender.type === 'operator' && sender.id && sender.id === state.operatorId && sender.display_name) setOperatorName(sender.display_name);
    if (sender.type === 'visitor') setVisitorTyping(conv, false);

    regroup(conv, node);
    renderReceipt(conv);
    if (state.selected === conv.sessionId) renderEarlier(conv);
    return true;
  }

  function insertBySeq(conv, node, seq) {
    // Confirmed messages in seq order; pending sends stay after them.
    let before = null;
    for (const child of conv.log.children) {
      if (child.dataset.pending === 'true' || Number(child.dataset.seq) > seq) { before = child; break; }
    }
    conv.log.insertBefore(node, before);
  }

  function messageNode(m) {
    const type = m.sender?.type || 'system';
    const mine = type === 'operator' && !!m.sender?.id && m.sender.id === state.operatorId;
    const node = el('li', {
      class: `msg msg--${type}${mine ? ' msg--mine' : type === 'operator' ? ' msg--colleague' : ''}`, 'data-testid': 'message',
      dataset: { seq: String(m.seq), sender: type, messageId: m.message_id, author: m.sender?.id || type },
    });
    fillMessage(node, m, type);
    return node;
  }

  function fillMessage(node, m, type) {
    node.replaceChildren();
    if (type === 'system') {
      node.append(el('div', { class: 'msg-bubble' }, ...linkify(m.text || '')));
      return;
    }
    const author = type === 'operator'
      ? (m.sender?.id && m.sender.id === state.operatorId ? 'You' : m.sender?.display_name || 'Operator')
      : type === 'bot' ? (m.sender?.display_name || 'Assistant')
        : (m.sender?.display_name || (m.session_id ? visitorName(m.session_id) : 'Visitor'));
    const when = m.created_at ? new Date(m.created_at) : null;
    node.append(
      el('div', { class: 'msg-meta' },
        el('span', { class: 'msg-author', text: author }),
        type === 'bot' ? el('span', { class: 'tag tag--bot', text: 'Bot' }) : null,
        when ? el('time', { datetime: m.created_at, title: dateTimeFormat.format(when), text: timeFormat.format(when) }) : null),
      // A message that is only files reads as their names (transcripts, search): the files say it here.
      m.attachments?.length && (m.text || '') === m.attachments.map((a) => a.name).join(', ')
        ? null : el('div', { class: 'msg-bubble' }, ...linkify(m.text || '')),
      m.attachments?.length ? el('div', { class: 'msg-files', 'data-testid': 'attachments' }, ...m.attachments.map(fileNode)) : null);
  }

  // Attachments: their bytes through short-lived signed links, asked for with the operator token (kept 4 minutes).
  const fileLinks = new Map();

  function fileLink(id) {
    const hit = fileLinks.get(id);
    if (hit && hit.until > Date.now()) return hit.promise;
    const promise = fetch(`/api/v1/operator/attachments/${id}/link`, { headers: { Authorization: `Bearer ${state.token}`, Accept: 'application/json' } })
      .then(async (res) => {
        const env = await res.json().catch(() => null);
        if (!res.ok) throw new Error(env?.message || `HTTP ${res.status}`);
        return env.data;
      });
    fileLinks.set(id, { promise, until: Date.now() + 240000 });
    promise.catch(() => fileLinks.delete(id));
    return promise;
  }

  /** An image as its thumbnail (opening the original), any other file as a link with its name. */
  function fileNode(a) {
    const link = el('a', { class: 'msg-file', target: '_blank', rel: 'noopener noreferrer', 'data-testid': 'attachment', title: `Open ${a.name}` });
    const img = a.thumbnail ? el('img', { class: 'msg-thumb', alt: a.name, 'data-testid': 'attachment-thumbnail' }) : null;
    link.append(img || el('span', { class: 'msg-file-name', text: `📄 ${a.name}` }));
    fileLink(a.attachment_id).then((l) => {
      link.href = l.url;
      if (img && l.thumbnail_url) img.src = l.thumbnail_url;
    }, (error) => console.warn('attachment link', error));
    return link;
  }

  /** Uploads a file into the selected conversation and sends it as a message. */
  async function attachFile(conv, file) {
    toast(`Sending ${file.name}…`);
    const form = new FormData();
    form.append('file', file, file.name);
    const res = await fetch(`/api/v1/operator/attachments?session_id=${conv.sessionId}`, {
      method: 'POST', headers: { Authorization: `Bearer ${state.token}`, Accept: 'application/json' }, body: form,
    });
    const env = await res.json().catch(() => null);
    if (!res.ok) {
      toast(`Not sent: ${env?.message || `HTTP ${res.status}`}`, { kind: 'error', code: env?.error_code || '' });
      return;
    }
    queueSend(conv, '', [env.data]);
  }

  function linkify(text) {
    const parts = [];
    const pattern = /\bhttps?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]]/gi;
    let last = 0;
    for (const match of text.matchAll(pattern)) {
      if (match.index > last) parts.push(document.createTextNode(text.slice(last, match.index)));
      parts.push(el('a', { href: match[0], target: '_blank', rel: 'noopener noreferrer nofollow', text: match[0] }));
      last = match.index + match[0].length;
    }
    if (last < text.length) parts.push(document.createTextNode(text.slice(last)));
    return parts;
  }

  /** Consecutive messages of the same sender within 5 minutes are grouped (meta line shown once). */
  function regroup(conv, node) {
    const fix = (li) => {
      if (!li || li.classList.contains('msg--system')) return;
      const prev = li.previousElementSibling;
      const same = prev && prev.dataset.author === li.dataset.author && !prev.classList.contains('msg--system')
        && Math.abs(timeOf(li) - timeOf(prev)) < 5 * 60 * 1000;
      li.classList.toggle('msg--cont', !!same);
    };
    fix(node);
    fix(node.nextElementSibling);
  }

  function timeOf(li) {
    const t = li.querySelector('time');
    return t ? Date.parse(t.getAttribute('datetime')) : Date.now();
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Sending (pending until acked; retried with the same client_message_id after a reconnect)
  // ---------------------------------------------------------------------------------------------------------------
  function queueSend(conv, text, attachments) {
    const p = { cmid: uuid(), text, attachments, createdAt: new Date().toISOString(), state: 'pending', inflight: false };
    conv.pending.set(p.cmid, p);
    const node = el('li', {
      class: 'msg msg--operator msg--mine msg--pending', 'data-testid': 'message',
      dataset: { sender: 'operator', pending: 'true', clientMessageId: p.cmid, author: state.operatorId || 'operator' },
    });
    fillMessage(node, { text: text || (attachments || []).map((a) => a.name).join(', '), attachments, created_at: p.createdAt,
      sender: { type: 'operator', id: state.operatorId } }, 'operator');
    p.node = node;
    conv.log.append(node);
    regroup(conv, node);
    conv.lastActivity = p.createdAt;
    renderReceipt(conv);
    renderMineItem(conv);
    scrollToBottom(true);
    trySend(conv, p);
  }

  async function trySend(conv, p) {
    if (p.inflight || !conv.pending.has(p.cmid)) return;
    if (!connected()) {
      p.state = 'queued';
      renderReceipt(conv);
      return;
    }
    p.inflight = true;
    p.state = 'pending';
    renderReceipt(conv);
    try {
      const ack = await invoke('Send', { session_id: conv.sessionId, client_message_id: p.cmid, text: p.text,
        attachments: p.attachments ? p.attachments.map((a) => a.attachment_id) : null });
      confirmPending(conv, p.cmid, {
        message_id: ack.message_id, seq: ack.seq, created_at: ack.created_at, session_id: conv.sessionId,
        text: p.text || (p.attachments || []).map((a) => a.name).join(', '), attachments: p.attachments,
        client_message_id: p.cmid, sender: { type: 'operator', id: state.operatorId, display_name: state.operatorName },
      });
    } catch (error) {
      const parsed = parseError(error);
      if (parsed.hub) {
        p.state = 'failed';
        toast(`Not sent: ${parsed.text}`, { kind: 'error', code: parsed.code });
      } else {
        p.state = 'queued';   // sent again after the reconnect, with the same client_message_id
      }
    } finally {
      p.inflight = false;
      if (conv.pending.has(p.cmid)) renderReceipt(conv);
    }
  }

  function confirmPending(conv, cmid, m) {
    const p = conv.pending.get(cmid);
    if (!p) return;
    conv.pending.delete(cmid);
    p.node.remove();
    if (!conv.messages.has(m.seq)) {
      const full = { ...m, text: m.text ?? p.text, sender: m.sender || { type: 'operator', id: state.operatorId } };
      conv.messages.set(m.seq, full);
      const node = messageNode(full);
      conv.nodes.set(m.seq, node);
      insertBySeq(conv, node, m.seq);
      conv.lastSeq = Math.max(conv.lastSeq, m.seq);
      conv.firstSeq = conv.firstSeq ? Math.min(conv.firstSeq, m.seq) : m.seq;
      if (full.sender?.display_name && full.sender.id === state.operatorId) setOperatorName(full.sender.display_name);
      regroup(conv, node);
    }
    renderReceipt(conv);
  }

  async function flushPending() {
    await Promise.all([...state.convs.values()].filter((c) => c.active && c.pending.size).map(async (conv) => {
      for (const p of [...conv.pending.values()]) {
        if (p.state === 'failed') continue;
        await trySend(conv, p);
        if (!connected()) return;
      }
    }));
  }

  function retrySend(conv, cmid) {
    const p = conv.pending.get(cmid);
    if (!p) return;
    p.state = 'pending';
    trySend(conv, p);
  }

  /** The read state under my last message: Sending… / Will send when back online / Not sent · Retry / Sent / Seen. */
  function renderReceipt(conv) {
    const mine = conv.log.querySelectorAll('.msg--mine');
    const last = mine[mine.length - 1];
    const receipt = conv.receipt;
    if (!last) { receipt.remove(); return; }
    let text;
    let status;
    receipt.replaceChildren();
    if (last.dataset.pending === 'true') {
      const p = conv.pending.get(last.dataset.clientMessageId);
      status = p?.state === 'failed' ? 'failed' : connected() ? 'sending' : 'queued';
      text = status === 'failed' ? 'Not sent' : status === 'sending' ? 'Sending…' : 'Waiting for connection…';
      receipt.append(el('span', { text }));
      if (status === 'failed') {
        receipt.append(el('button', { type: 'button', class: 'link', 'data-retry': p.cmid, text: 'Retry' }));
      }
    } else {
      status = Number(last.dataset.seq) <= conv.visitorReadSeq ? 'seen' : 'sent';
      receipt.append(el('span', { text: status === 'seen' ? 'Seen' : 'Sent' }));
    }
    receipt.dataset.status = status;
    for (const node of conv.log.querySelectorAll('.msg--pending')) {
      const p = conv.pending.get(node.dataset.clientMessageId);
      node.classList.toggle('msg--failed', p?.state === 'failed');
    }
    if (receipt.parentElement !== last) last.append(receipt);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Live events
  // ---------------------------------------------------------------------------------------------------------------
  function onMessage(m) {
    const conv = state.convs.get(m.session_id);
    if (!conv) { syncSoon(); return; }
    if (conv.lastSeq > 0 && m.seq > conv.lastSeq + 1) fillGap(conv, conv.lastSeq, m.seq);
    const stick = state.selected === conv.sessionId && nearBottom();
    const added = addMessage(conv, m);
    if (!added) return;
    const type = m.sender?.type;
    if (state.selected === conv.sessionId) {
      if (stick || type === 'operator') scrollToBottom(true);
      else if (type !== 'operator') ui.jump.hidden = false;
      markRead(conv);
    }
    if (type === 'visitor' && (state.selected !== conv.sessionId || document.visibilityState !== 'visible')) {
      announce(`New message from ${conv.visitorName}: ${m.text}`);
      pulseTitle();
      notify(conv.visitorName, m.text, conv.sessionId);
    }
    renderMineItem(conv);
    sortMine();
    updateTitle();
  }

  function onTyping(e) {
    if (e?.sender?.type !== 'visitor') return;
    const conv = state.convs.get(e.session_id);
    if (conv) setVisitorTyping(conv, !!e.is_typing);
  }

  function setVisitorTyping(conv, typing) {
    clearTimeout(conv.visitorTypingTimer);
    if (typing) conv.visitorTypingTimer = setTimeout(() => setVisitorTyping(conv, false), VISITOR_TYPING_TIMEOUT_MS);
    if (conv.visitorTyping === typing) return;
    conv.visitorTyping = typing;
    renderMineItem(conv);
    if (state.selected === conv.sessionId) renderTyping(conv);
  }

  function onRead(e) {
    if (e?.reader?.type !== 'visitor') return;
    const conv = state.convs.get(e.session_id);
    if (!conv || !(e.seq > conv.visitorReadSeq)) return;
    conv.visitorReadSeq = e.seq;
    renderReceipt(conv);
  }

  function onSessionClosed({ session_id: sessionId }) {
    const conv = state.convs.get(sessionId);
    if (conv && conv.active) endConversation(conv, 'closed');
  }

  const ENDED_TEXT = {
    closed: 'This conversation was closed.',
    timeout: 'This conversation timed out.',
    abandoned: 'This conversation went back to the queue while you were away.',
    transferred: 'This conversation was transferred.',
    unassigned: 'This conversation is no longer assigned to you.',
  };

  /** Ended from outside (visitor or backend closed it, it was taken away): kept readable until dismissed. */
  function endConversation(conv, reason) {
    if (!conv.active) return;
    conv.active = false;
    conv.endedReason = reason;
    stopTyping(conv);
    setVisitorTyping(conv, false);
    for (const p of conv.pending.values()) if (p.state !== 'failed') p.state = 'failed';
    renderReceipt(conv);
    renderMine();
    if (state.selected === conv.sessionId) renderConversation();
    toast(`${conv.visitorName}: ${ENDED_TEXT[reason] || ENDED_TEXT.closed}`, { kind: 'info' });
  }

  /** Gone after my own action (release, transfer, hand back, close) or a dismiss. */
  function removeConversation(conv) {
    stopTyping(conv);
    clearTimeout(conv.visitorTypingTimer);
    state.convs.delete(conv.sessionId);
    delete state.readSeqs[conv.sessionId];
    store.setJson(KEYS.read, state.readSeqs);
    if (state.selected === conv.sessionId) {
      state.selected = null;
      renderConversation();
      ui.placeholder.focus({ preventScroll: true });
    }
    renderMine();
    renderQueue();
  }

  // ---------------------------------------------------------------------------------------------------------------
  // My conversations list
  // ---------------------------------------------------------------------------------------------------------------
  const mineNodes = new Map();

  /** Visitor messages after what I have read; anything before my own last reply counts as read too. */
  function unreadCount(conv) {
    let floor = conv.readSeq;
    for (const m of conv.messages.values()) {
      if (m.sender?.type === 'operator' && m.sender.id === state.operatorId && m.seq > floor) floor = m.seq;
    }
    let n = 0;
    for (const m of conv.messages.values()) if (m.sender?.type === 'visitor' && m.seq > floor) n++;
    return n;
  }

  function lastMessage(conv) {
    let last = null;
    for (const m of conv.messages.values()) if (!last || m.seq > last.seq) last = m;
    const pendings = [...conv.pending.values()];
    if (pendings.length) {
      const p = pendings[pendings.length - 1];
      return { text: p.text, sender: { type: 'operator', id: state.operatorId }, created_at: p.createdAt };
    }
    return last;
  }

  function renderMine() {
    for (const [id, node] of mineNodes) {
      if (!state.convs.has(id)) { node.remove(); mineNodes.delete(id); }
    }
    for (const conv of state.convs.values()) renderMineItem(conv);
    sortMine();
    const active = [...state.convs.values()].filter((c) => c.active).length;
    ui.mineEmpty.hidden = state.convs.size > 0;
    ui.mineCount.textContent = String(active);
    ui.mineCount.dataset.value = String(active);
    updateTitle();
  }

  function sortMine() {
    const convs = [...state.convs.values()].sort((a, b) =>
      (b.active - a.active) || (Date.parse(b.lastActivity || 0) - Date.parse(a.lastActivity || 0)));
    convs.forEach((conv, index) => {
      const node = mineNodes.get(conv.sessionId);
      if (node && ui.mine.children[index] !== node) ui.mine.insertBefore(node, ui.mine.children[index] || null);
    });
  }

  function renderMineItem(conv) {
    let node = mineNodes.get(conv.sessionId);
    if (!node) {
      const button = el('button', { type: 'button', class: 'ci' },
        el('span', { class: 'avatar', 'aria-hidden': 'true' }),
        el('span', { class: 'ci-body' },
          el('span', { class: 'ci-top' },
            el('span', { class: 'ci-name' }),
            el('span', { class: 'badge badge--sm', hidden: true }),
            el('time', { class: 'ci-time' })),
          el('span', { class: 'ci-bottom' },
            el('span', { class: 'ci-preview' }),
            el('span', { class: 'unread', 'data-testid': 'unread', hidden: true }))));
      button.addEventListener('click', () => select(conv.sessionId));
      node = el('li', { class: 'conv-item', 'data-testid': 'conversation-item', dataset: { sessionId: conv.sessionId } }, button);
      mineNodes.set(conv.sessionId, node);
      ui.mine.append(node);
    }
    const unread = conv.active ? unreadCount(conv) : 0;
    const last = lastMessage(conv);
    const button = node.querySelector('.ci');
    paintAvatar(node.querySelector('.avatar'), conv.visitorName, conv.sessionId);
    node.querySelector('.ci-name').textContent = conv.visitorName;
    const badge = node.querySelector('.badge');
    badge.hidden = !conv.routingKey;
    badge.textContent = conv.routingKey || '';
    const time = node.querySelector('.ci-time');
    time.textContent = last ? shortTime(last.created_at) : '';
    if (last?.created_at) time.setAttribute('datetime', last.created_at);
    const preview = node.querySelector('.ci-preview');
    preview.classList.toggle('ci-preview--typing', conv.visitorTyping && conv.active);
    preview.textContent = !conv.active ? (ENDED_TEXT[conv.endedReason] || 'Ended').replace(/^This conversation /, 'Conversation ')
      : conv.visitorTyping ? 'typing…'
        : last ? `${last.sender?.type === 'operator' && last.sender.id === state.operatorId ? 'You: ' : ''}${last.text}` : 'No messages yet';
    const badgeUnread = node.querySelector('.unread');
    badgeUnread.hidden = unread === 0;
    badgeUnread.textContent = unread > 99 ? '99+' : String(unread);
    node.dataset.unread = String(unread);
    node.classList.toggle('conv-item--unread', unread > 0);
    node.classList.toggle('conv-item--ended', !conv.active);
    node.classList.toggle('conv-item--selected', state.selected === conv.sessionId);
    if (state.selected === conv.sessionId) button.setAttribute('aria-current', 'true');
    else button.removeAttribute('aria-current');
    button.setAttribute('aria-label', [
      conv.visitorName, conv.routingKey ? `queue ${conv.routingKey}` : '', unread ? `${unread} unread` : '',
      !conv.active ? 'ended' : conv.visitorTyping ? 'typing' : '',
    ].filter(Boolean).join(', '));
  }

  // ---------------------------------------------------------------------------------------------------------------
  // The open conversation
  // ---------------------------------------------------------------------------------------------------------------
  function select(sessionId, { focus = true } = {}) {
    const previous = state.convs.get(state.selected);
    if (previous && previous.sessionId !== sessionId) {
      previous.scrollTop = nearBottom() ? null : ui.scroller.scrollTop;
      previous.draft = ui.composer.value;
      stopTyping(previous);
    }
    hideForms();
    if (previous && previous.sessionId !== sessionId) signalViewing(previous.sessionId, false);
    state.selected = sessionId;
    renderConversation();
    if (state.convs.has(sessionId)) { signalViewing(sessionId, true); loadWorkspace(state.convs.get(sessionId)); }
    renderMine();
    const conv = state.convs.get(sessionId);
    if (!conv) return;
    if (conv.scrollTop === null) scrollToBottom(false);
    else ui.scroller.scrollTop = conv.scrollTop;
    markRead(conv);
    if (focus && window.matchMedia('(max-width: 760px)').matches) ui.conversation.scrollIntoView({ block: 'start' });
    if (focus) (conv.active ? ui.composer : ui.scroller).focus({ preventScroll: true });
  }

  function renderConversation() {
    const conv = state.convs.get(state.selected);
    ui.placeholder.hidden = !!conv;
    ui.conversation.hidden = !conv;
    document.body.classList.toggle('has-conversation', !!conv);
    if (!conv) {
      delete ui.conversation.dataset.sessionId;
      ui.logSlot.replaceChildren();
      ui.composer.value = '';
      return;
    }
    if (ui.conversation.dataset.sessionId !== conv.sessionId) {
      ui.conversation.dataset.sessionId = conv.sessionId;
      ui.logSlot.replaceChildren(conv.log);
      ui.composer.value = conv.draft;
      ui.tags.value = (conv.tags || []).join(', ');
      ui.context.textContent = conv.context || '';
      renderViewers();
      autosize();
      ui.jump.hidden = true;
    }
    ui.conversation.dataset.status = conv.active ? 'assigned' : 'ended';
    renderHeader(conv);
    renderTyping(conv);
    renderEarlier(conv);
    const disabled = !conv.active;
    for (const button of [ui.release, ui.transfer, ui.handback, ui.close]) button.disabled = disabled;
    ui.composer.disabled = disabled;
    ui.attach.disabled = disabled;
    updateSendButton();
    ui.ended.hidden = conv.active;
    ui.endedText.textContent = conv.active ? '' : ENDED_TEXT[conv.endedReason] || ENDED_TEXT.closed;
    if (disabled) hideForms();
  }

  function renderHeader(conv) {
    paintAvatar(ui.convAvatar, conv.visitorName, conv.sessionId);
    ui.convTitle.textContent = conv.visitorName;
    ui.composer.placeholder = conv.active ? `Reply to ${conv.visitorName}…` : 'This conversation has ended';
    const sub = [];
    if (conv.routingKey) sub.push(el('span', { class: 'badge', text: conv.routingKey }));
    sub.push(el('span', { class: `status status--${conv.active ? 'assigned' : 'ended'}`, text: conv.active ? 'Assigned to you' : 'Ended' }));
    if (conv.mode === 'bot') sub.push(el('span', { class: 'muted', text: 'escalated from the bot' }));
    sub.push(el('span', { class: 'muted mono', title: conv.sessionId, text: `#${shortId(conv.sessionId)}` }));
    ui.convSub.replaceChildren(...sub);
  }

  function renderTyping(conv) {
    const typing = conv.active && conv.visitorTyping;
    ui.typing.hidden = !typing;
    ui.typingText.textContent = typing ? `${conv.visitorName} is typing…` : '';
  }

  function renderEarlier(conv) {
    ui.earlier.hidden = !(conv.firstSeq > 1) || !conv.active;
  }

  function nearBottom() {
    return ui.scroller.scrollHeight - ui.scroller.scrollTop - ui.scroller.clientHeight < 80;
  }

  function scrollToBottom(smooth) {
    ui.jump.hidden = true;
    requestAnimationFrame(() => {
      ui.scroller.scrollTo({ top: ui.scroller.scrollHeight, behavior: smooth ? 'smooth' : 'auto' });
    });
  }

  function markRead(conv) {
    if (!conv || !conv.active || state.selected !== conv.sessionId || document.visibilityState !== 'visible') return;
    if (conv.lastSeq <= conv.readSeq) return;
    conv.readSeq = conv.lastSeq;
    state.readSeqs[conv.sessionId] = conv.readSeq;
    store.setJson(KEYS.read, state.readSeqs);
    renderMineItem(conv);
    updateTitle();
    if (connected()) invoke('MarkRead', { session_id: conv.sessionId, seq: conv.readSeq }).catch(() => {});
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Composer
  // ---------------------------------------------------------------------------------------------------------------
  function autosize() {
    ui.composer.style.height = 'auto';
    ui.composer.style.height = `${Math.min(ui.composer.scrollHeight, 200)}px`;
  }

  function updateSendButton() {
    const conv = state.convs.get(state.selected);
    ui.send.disabled = !conv || !conv.active || !ui.composer.value.trim();
  }

  function submitComposer() {
    const conv = state.convs.get(state.selected);
    if (!conv || !conv.active) return;
    const text = ui.composer.value;
    if (!text.trim()) return;
    if (text.length > MAX_TEXT) {
      toast(`Messages are limited to ${MAX_TEXT} characters.`, { kind: 'error' });
      return;
    }
    ui.composer.value = '';
    conv.draft = '';
    autosize();
    updateSendButton();
    stopTyping(conv);
    hideCanned();
    if (state.noteMode) addNote(conv, text);
    else queueSend(conv, text);
    ui.composer.focus();
  }

  function typingActivity() {
    const conv = state.convs.get(state.selected);
    if (!conv || !conv.active) return;
    conv.draft = ui.composer.value;
    if (!ui.composer.value.trim()) { stopTyping(conv); return; }
    const now = Date.now();
    if (connected() && (!conv.typingSent || now - conv.typingSentAt > TYPING_REFRESH_MS)) {
      conv.typingSent = true;
      conv.typingSentAt = now;
      invoke('Typing', { session_id: conv.sessionId, is_typing: true }).catch(() => {});
    }
    clearTimeout(conv.typingIdleTimer);
    conv.typingIdleTimer = setTimeout(() => stopTyping(conv), TYPING_IDLE_MS);
  }

  function stopTyping(conv) {
    clearTimeout(conv.typingIdleTimer);
    if (!conv.typingSent) return;
    conv.typingSent = false;
    if (connected() && conv.active) invoke('Typing', { session_id: conv.sessionId, is_typing: false }).catch(() => {});
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Actions: release, transfer, hand back, close
  // ---------------------------------------------------------------------------------------------------------------
  function hideForms() {
    ui.transferForm.hidden = true;
    ui.closeForm.hidden = true;
    ui.transfer.setAttribute('aria-expanded', 'false');
    ui.close.setAttribute('aria-expanded', 'false');
  }

  function toggleForm(form, button, input) {
    const open = form.hidden;
    hideForms();
    if (open) {
      form.hidden = false;
      button.setAttribute('aria-expanded', 'true');
      input.value = '';
      input.focus();
    } else {
      button.focus();
    }
  }

  async function runAction(button, method, args, done) {
    const conv = state.convs.get(state.selected);
    if (!conv || !conv.active) return;
    if (!connected()) {
      toast('You are offline. Try again when the connection is back.', { kind: 'error' });
      return;
    }
    const buttons = [ui.release, ui.transfer, ui.handback, ui.close, ...ui.conversation.querySelectorAll('.inline-form button')];
    buttons.forEach((b) => { b.disabled = true; });
    button.setAttribute('aria-busy', 'true');
    try {
      await invoke(method, { assignment_id: conv.assignmentId, ...args });
      hideForms();
      removeConversation(conv);
      const text = done(conv);
      toast(text, { kind: 'success' });
      announce(text);
    } catch (error) {
      toastError(error, 'The connection was interrupted. Try again.');
    } finally {
      button.removeAttribute('aria-busy');
      buttons.forEach((b) => { b.disabled = false; });
      if (state.selected) renderConversation();
    }
  }

  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

  // ---------------------------------------------------------------------------------------------------------------
  // Availability, operator name, title
  // ---------------------------------------------------------------------------------------------------------------
  function renderAvailability() {
    const available = state.availability === 'available';
    ui.availability.dataset.status = state.availability;
    ui.availability.setAttribute('aria-checked', String(available));
    ui.availabilityText.textContent = available ? 'Available' : 'Away';
    ui.availability.setAttribute('aria-label',
      available ? 'Availability: Available (press to set yourself away)' : 'Availability: Away (press to become available)');
    document.body.dataset.availability = state.availability;
  }

  async function toggleAvailability() {
    const next = state.availability === 'available' ? 'away' : 'available';
    const previous = state.availability;
    state.availability = next;
    renderAvailability();
    if (!connected()) {
      state.availabilityChosen = true;
      store.set(KEYS.availability, next);
      toast(`You will be ${next === 'away' ? 'away' : 'available'} once reconnected.`);
      return;
    }
    ui.availability.disabled = true;
    try {
      const result = await invoke('SetAvailability', { status: next });
      state.availability = result?.status || next;
      state.availabilityChosen = true;
      store.set(KEYS.availability, state.availability);
      toast(state.availability === 'away' ? 'You are away: no new conversations are assigned to you.' : 'You are available.', { kind: 'success' });
    } catch (error) {
      state.availability = previous;
      toastError(error, 'Could not change your availability while offline.');
    } finally {
      ui.availability.disabled = false;
      renderAvailability();
    }
  }

  function setOperatorName(name) {
    const clean = (name || '').trim();
    if (!clean) return;
    if (clean !== state.operatorName) {
      state.operatorName = clean;
      store.set(KEYS.name, clean);
    }
    ui.me.hidden = false;
    ui.meName.textContent = clean;
    paintAvatar(ui.meAvatar, clean, state.operatorId || clean);
    ui.me.title = `Signed in as ${clean}`;
  }

  let titleFlash = null;
  function updateTitle() {
    let unread = 0;
    for (const conv of state.convs.values()) if (conv.active) unread += unreadCount(conv);
    const waiting = state.queue.size;
    const count = unread + waiting;
    document.title = `${count ? `(${count}) ` : ''}Inbox · Bloonio`;
  }

  // Desktop notifications and a short sound for background tabs: permission asked for on a click (browsers require a
  // gesture); the sound is a choice of this tab's session.
  function notify(title, body, tag) {
    if (document.visibilityState === 'visible') return;
    if (store.get(KEYS.sound) === 'on') beep();
    if (!('Notification' in window) || Notification.permission !== 'granted') return;
    try {
      const n = new Notification(title, { body: (body || '').slice(0, 140), tag, renotify: true, silent: true });
      n.onclick = () => { window.focus(); if (state.convs.has(tag)) select(tag); n.close(); };
    } catch { /* some browsers only allow notifications from a service worker */ }
  }

  let audio = null;
  function beep() {
    try {
      audio = audio || new AudioContext();
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.frequency.value = 880;
      gain.gain.setValueAtTime(0.08, audio.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + 0.25);
      osc.connect(gain).connect(audio.destination);
      osc.start();
      osc.stop(audio.currentTime + 0.25);
    } catch { /* no audio */ }
  }

  function renderNotifyButton() {
    const granted = 'Notification' in window && Notification.permission === 'granted';
    const sound = store.get(KEYS.sound) === 'on';
    ui.notify.textContent = granted ? (sound ? 'Alerts + sound' : 'Alerts on') : 'Enable alerts';
    ui.notify.setAttribute('aria-pressed', String(granted));
  }

  async function toggleNotifications() {
    if ('Notification' in window && Notification.permission === 'default') await Notification.requestPermission();
    else if ('Notification' in window && Notification.permission === 'granted') store.set(KEYS.sound, store.get(KEYS.sound) === 'on' ? 'off' : 'on');
    renderNotifyButton();
  }

  function pulseTitle() {
    if (document.visibilityState === 'visible' || titleFlash) return;
    let on = false;
    titleFlash = setInterval(() => {
      on = !on;
      if (on) document.title = '• New activity · Inbox';
      else updateTitle();
    }, 1200);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Wiring
  // ---------------------------------------------------------------------------------------------------------------
  // ---------------------------------------------------------------------------------------------------------------
  // Workspace: search and review, notes, canned responses, tags, teammates, who else is viewing
  // ---------------------------------------------------------------------------------------------------------------
  async function runSearch() {
    // "#vip refund": the #word is a tag filter, the rest is searched.
    const words = ui.search.value.trim().split(/\s+/).filter(Boolean);
    const tag = words.find((w) => w.startsWith('#') && w.length > 1)?.slice(1).toLowerCase() || null;
    const q = words.filter((w) => !w.startsWith('#')).join(' ');
    const offline = ui.searchStatus.value === 'offline' ? true : null;
    const status = offline ? null : ui.searchStatus.value || null;
    if (!q && !status && !tag && !offline) { ui.searchResults.replaceChildren(); return; }
    try {
      const page = await invoke('ListConversations', { q: q || null, status, tag, offline, limit: 20 });
      ui.searchResults.replaceChildren(...page.items.map(searchItem));
      if (!page.items.length) ui.searchResults.append(el('li', { class: 'empty', text: 'No conversation matches.' }));
      announce(`${page.items.length} conversations found.`);
    } catch (error) { toastError(error, 'The search failed.'); }
  }

  function searchItem(item) {
    const name = item.visitor?.display_name || item.visitor?.email || `Visitor ${shortId(item.session_id)}`;
    const snippet = el('span', { class: 'result-snippet' });
    // The server escapes the message's text and adds only <mark> around the hit.
    if (item.snippet) snippet.innerHTML = item.snippet; else snippet.textContent = item.preview || '';
    const button = el('button', { type: 'button', class: 'result', 'data-testid': 'search-result', dataset: { sessionId: item.session_id } },
      el('span', { class: 'result-name', text: name }),
      el('span', { class: `status status--${item.status}`, text: item.offline ? 'offline message' : item.status }),
      ...item.tags.map((t) => el('span', { class: 'badge', text: `#${t}` })),
      snippet);
    button.addEventListener('click', () => openReview(item.session_id));
    return el('li', {}, button);
  }

  async function openReview(sessionId) {
    try {
      const c = await invoke('GetConversation', { session_id: sessionId });
      const s = c.summary;
      ui.reviewTitle.textContent = s.visitor?.display_name || s.visitor?.email || `Visitor ${shortId(sessionId)}`;
      const sub = [s.status, s.routing_key ? `queue ${s.routing_key}` : null, s.ticket_id ? `ticket ${s.ticket_id}` : null,
        s.tags.length ? s.tags.map((t) => `#${t}`).join(' ') : null, s.visitor?.email, s.visitor?.verified ? 'verified user' : null,
        s.rating ? `rated ${s.rating}/5${c.rating_comment ? `: “${c.rating_comment}”` : ''}` : null].filter(Boolean);
      ui.reviewSub.textContent = sub.join(' · ');
      const notes = [...c.notes];
      const items = [];
      for (const m of c.messages) {
        while (notes.length && notes[0].after_seq < m.seq) items.push(noteNode(notes.shift()));
        items.push(messageNode(m));
      }
      items.push(...notes.map(noteNode));
      const assignments = c.assignments.map((a) => `${a.status}${a.operator_id ? ` (${a.operator_id === state.operatorId ? 'you' : `#${shortId(a.operator_id)}`})` : ''} since ${shortTime(a.assigned_at || a.waiting_since)}`);
      if (assignments.length) items.push(el('li', { class: 'review-history', 'data-testid': 'assignment-history', text: `Queue history: ${assignments.join(' → ')}` }));
      if (c.past_sessions.length) {
        items.push(el('li', { class: 'review-past', 'data-testid': 'past-sessions' }, el('span', { class: 'muted', text: 'Earlier conversations: ' }),
          ...c.past_sessions.map((p) => {
            const link = el('button', { type: 'button', class: 'btn btn--ghost btn--sm', text: `${shortTime(p.created_at)} · ${p.status}${p.preview ? ` · ${p.preview.slice(0, 40)}` : ''}` });
            link.addEventListener('click', () => openReview(p.session_id));
            return link;
          })));
      }
      ui.reviewLog.replaceChildren(...items);
      // An open conversation held by someone else: they see that you are looking at it.
      if (ui.review.dataset.sessionId && ui.review.dataset.sessionId !== sessionId) signalViewing(ui.review.dataset.sessionId, false);
      ui.review.dataset.sessionId = sessionId;
      if (s.status !== 'closed') signalViewing(sessionId, true);
      if (!ui.review.open) ui.review.showModal();
    } catch (error) { toastError(error, 'The conversation could not be opened.'); }
  }

  function noteNode(n) {
    const when = n.created_at ? new Date(n.created_at) : null;
    return el('li', { class: 'msg msg--note', 'data-testid': 'note', dataset: { noteId: n.note_id, seq: String(n.after_seq + 0.5) } },
      el('div', { class: 'msg-meta' },
        el('span', { class: 'msg-author', text: n.author_display_name || 'Note' }),
        el('span', { class: 'tag tag--note', text: 'Internal note' }),
        when ? el('time', { datetime: n.created_at, text: timeFormat.format(when) }) : null),
      el('div', { class: 'msg-bubble' }, ...linkify(n.text || '')));
  }

  function showNote(conv, n) {
    conv.notes = conv.notes || new Set();
    if (conv.notes.has(n.note_id)) return;
    conv.notes.add(n.note_id);
    const node = noteNode(n);
    let before = null;
    for (const child of conv.log.children) {
      if (child.dataset.pending === 'true' || Number(child.dataset.seq) > n.after_seq + 0.5) { before = child; break; }
    }
    conv.log.insertBefore(node, before);
  }

  function onNote(n) {
    const conv = state.convs.get(n.session_id);
    if (conv) showNote(conv, n);
  }

  async function addNote(conv, text) {
    try {
      showNote(conv, await invoke('AddNote', { session_id: conv.sessionId, text }));
      scrollToBottom(true);
    } catch (error) {
      toastError(error, 'The note was not saved.');
      ui.composer.value = text;
    }
  }

  function setNoteMode(on) {
    state.noteMode = on;
    ui.noteToggle.setAttribute('aria-pressed', String(on));
    ui.composerForm.classList.toggle('composer--note', on);
    ui.composer.placeholder = on ? 'Internal note: only operators see it…' : 'Write a reply…';
  }

  async function loadWorkspace(conv) {
    if (conv.workspaceLoaded) return;
    conv.workspaceLoaded = true;
    try {
      const c = await invoke('GetConversation', { session_id: conv.sessionId });
      conv.tags = c.summary.tags;
      const v = c.summary.visitor || {};
      const m = c.metadata || {};
      conv.context = [v.email, v.verified ? 'verified user' : null, v.external_user_id ? `user ${v.external_user_id}` : null,
        m.page_url ? `on ${m.page_url}` : null, m.referrer ? `from ${m.referrer}` : null, m.locale || null, c.summary.ticket_id ? `ticket ${c.summary.ticket_id}` : null,
        c.past_sessions.length ? `${c.past_sessions.length} earlier conversation${c.past_sessions.length > 1 ? 's' : ''}` : null]
        .filter(Boolean).join(' · ');
      for (const n of c.notes) showNote(conv, n);
      if (state.selected === conv.sessionId) { ui.tags.value = conv.tags.join(', '); ui.context.textContent = conv.context; }
    } catch { conv.workspaceLoaded = false; }
  }

  async function saveTags() {
    const conv = state.convs.get(state.selected);
    if (!conv) return;
    const tags = ui.tags.value.split(',').map((t) => t.trim().toLowerCase()).filter(Boolean);
    try {
      const result = await invoke('SetTags', { session_id: conv.sessionId, tags });
      conv.tags = result.tags;
      ui.tags.value = conv.tags.join(', ');
      announce('Tags saved.');
    } catch (error) { toastError(error, 'The tags were not saved.'); }
  }

  async function suggestCanned() {
    const conv = state.convs.get(state.selected);
    const match = /^\/([a-z0-9_-]*)$/.exec(ui.composer.value);
    if (!conv || !match) { hideCanned(); return; }
    if (!conv.canned) {
      try { conv.canned = await invoke('ListCannedResponses', { session_id: conv.sessionId }); } catch { conv.canned = []; }
    }
    const found = conv.canned.filter((c) => c.shortcut.startsWith(match[1])).slice(0, 8);
    ui.cannedPicker.replaceChildren(...found.map((c, i) => {
      const option = el('li', { role: 'option', 'aria-selected': String(i === 0), class: 'canned-option', dataset: { text: c.rendered ?? c.text } },
        el('strong', { text: `/${c.shortcut}` }), el('span', { text: ` ${c.title}` }));
      option.addEventListener('mousedown', (event) => { event.preventDefault(); pickCanned(option); });
      return option;
    }));
    ui.cannedPicker.hidden = found.length === 0;
  }

  function pickCanned(option) {
    ui.composer.value = option.dataset.text;
    hideCanned();
    autosize();
    updateSendButton();
    ui.composer.focus();
  }

  function hideCanned() {
    ui.cannedPicker.hidden = true;
    ui.cannedPicker.replaceChildren();
  }

  async function loadTeammates() {
    try {
      const team = await invoke('ListTeammates');
      ui.teammates.replaceChildren(...team.filter((t) => t.operator_id !== state.operatorId).map((t) => {
        const button = el('button', { type: 'button', class: 'teammate', 'data-testid': 'teammate', dataset: { operatorId: t.operator_id } },
          el('span', { class: `presence presence--${t.presence}`, 'aria-hidden': 'true' }),
          el('span', { class: 'teammate-name', text: t.display_name }),
          el('span', { class: 'muted', text: ` ${t.presence} · ${t.open}/${t.capacity}` }));
        button.addEventListener('click', () => { ui.transferInput.value = t.operator_id; ui.transferForm.requestSubmit(); });
        return el('li', {}, button);
      }));
    } catch { ui.teammates.replaceChildren(); }
  }

  function signalViewing(sessionId, viewing) {
    if (connected()) invoke('Viewing', { session_id: sessionId, viewing }).catch(() => { /* a hint only */ });
  }

  function onViewing(v) {
    if (v.operator_id === state.operatorId) return;
    const conv = state.convs.get(v.session_id);
    if (!conv) return;
    conv.viewers = conv.viewers || new Map();
    if (v.viewing) conv.viewers.set(v.operator_id, v); else conv.viewers.delete(v.operator_id);
    renderViewers();
  }

  function renderViewers() {
    const conv = state.convs.get(state.selected);
    const viewers = conv?.viewers ? [...conv.viewers.values()] : [];
    ui.viewers.textContent = viewers.map((v) => `${v.display_name} is ${v.typing ? 'typing' : 'viewing'}`).join(' · ');
  }

  function wire() {
    ui.availability.addEventListener('click', toggleAvailability);

    ui.composerForm.addEventListener('submit', (event) => { event.preventDefault(); submitComposer(); });
    ui.attach.addEventListener('click', () => ui.fileInput.click());
    ui.fileInput.addEventListener('change', () => {
      const file = ui.fileInput.files?.[0];
      ui.fileInput.value = '';
      const conv = state.convs.get(state.selected);
      if (file && conv?.active) attachFile(conv, file).catch((error) => toastError(error, 'The file could not be sent'));
    });
    ui.composer.addEventListener('keydown', (event) => {
      if (!ui.cannedPicker.hidden && (event.key === 'Enter' || event.key === 'Tab') && ui.cannedPicker.firstElementChild) {
        event.preventDefault();
        pickCanned(ui.cannedPicker.querySelector('[aria-selected="true"]') || ui.cannedPicker.firstElementChild);
        return;
      }
      if (!ui.cannedPicker.hidden && event.key === 'Escape') { hideCanned(); return; }
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
        event.preventDefault();
        submitComposer();
      }
    });
    ui.composer.addEventListener('input', () => { autosize(); updateSendButton(); typingActivity(); suggestCanned(); });
    ui.noteToggle.addEventListener('click', () => setNoteMode(!state.noteMode));
    ui.notify.addEventListener('click', toggleNotifications);
    renderNotifyButton();
    ui.searchForm.addEventListener('submit', (event) => { event.preventDefault(); runSearch(); });
    ui.searchStatus.addEventListener('change', runSearch);
    ui.reviewClose.addEventListener('click', () => ui.review.close());
    ui.review.addEventListener('close', () => {
      if (ui.review.dataset.sessionId) signalViewing(ui.review.dataset.sessionId, false);
      delete ui.review.dataset.sessionId;
    });
    ui.tagsForm.addEventListener('submit', (event) => { event.preventDefault(); saveTags(); });
    ui.composer.addEventListener('blur', () => {
      const conv = state.convs.get(state.selected);
      if (conv) stopTyping(conv);
    });

    ui.release.addEventListener('click', () => runAction(ui.release, 'Release', {},
      (conv) => `${conv.visitorName} is back in the queue.`));
    ui.handback.addEventListener('click', () => runAction(ui.handback, 'HandBack', {},
      (conv) => `${conv.visitorName} is back with the assistant.`));
    ui.transfer.addEventListener('click', () => { toggleForm(ui.transferForm, ui.transfer, ui.transferInput); loadTeammates(); });
    ui.close.addEventListener('click', () => toggleForm(ui.closeForm, ui.close, ui.closeInput));

    ui.transferForm.addEventListener('submit', (event) => {
      event.preventDefault();
      const target = ui.transferInput.value.trim();
      if (!target) { ui.transferInput.focus(); return; }
      if (!UUID.test(target) && !/^[A-Za-z0-9_.:-]{1,64}$/.test(target)) {
        toast('A routing key is 1 to 64 characters: letters, digits and _ . : -', { kind: 'error' });
        ui.transferInput.focus();
        return;
      }
      const args = UUID.test(target) ? { operator_id: target } : { routing_key: target };
      runAction(ui.transferForm.querySelector('[type=submit]'), 'Transfer', args,
        (conv) => `${conv.visitorName} was transferred to ${args.routing_key || 'another operator'}.`);
    });
    ui.closeForm.addEventListener('submit', (event) => {
      event.preventDefault();
      const resolution = ui.closeInput.value.trim();
      runAction(ui.closeForm.querySelector('[type=submit]'), 'Close', { resolution: resolution || null },
        (conv) => `Conversation with ${conv.visitorName} closed.`);
    });
    for (const cancel of document.querySelectorAll('[data-cancel]')) {
      cancel.addEventListener('click', () => {
        const form = cancel.closest('form');
        hideForms();
        (form === ui.transferForm ? ui.transfer : ui.close).focus();
      });
    }

    ui.dismiss.addEventListener('click', () => {
      const conv = state.convs.get(state.selected);
      if (conv && !conv.active) removeConversation(conv);
    });
    ui.earlier.addEventListener('click', () => {
      const conv = state.convs.get(state.selected);
      if (conv) loadEarlier(conv);
    });
    ui.jump.addEventListener('click', () => scrollToBottom(true));
    ui.scroller.addEventListener('scroll', () => { if (nearBottom()) ui.jump.hidden = true; }, { passive: true });
    ui.back.addEventListener('click', (event) => {
      event.preventDefault();
      document.querySelector('.sidebar').scrollIntoView({ block: 'start' });
      const item = mineNodes.get(state.selected)?.querySelector('button');
      (item || ui.queue).focus({ preventScroll: true });
    });

    document.addEventListener('keydown', (event) => {
      if (event.key === 'Escape' && (!ui.transferForm.hidden || !ui.closeForm.hidden)) {
        const button = !ui.transferForm.hidden ? ui.transfer : ui.close;
        hideForms();
        button.focus();
        return;
      }
      if (event.altKey && (event.key === 'ArrowDown' || event.key === 'ArrowUp')) {
        const order = [...ui.mine.children].map((li) => li.dataset.sessionId);
        if (!order.length) return;
        event.preventDefault();
        const at = order.indexOf(state.selected);
        const next = event.key === 'ArrowDown' ? (at + 1) % order.length : (at - 1 + order.length) % order.length;
        select(order[at === -1 ? 0 : next]);
      }
    });

    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') {
        clearInterval(titleFlash);
        titleFlash = null;
        updateTitle();
        markRead(state.convs.get(state.selected));
      }
    });
    window.addEventListener('focus', () => markRead(state.convs.get(state.selected)));
    window.addEventListener('online', () => { if (!connected()) start(); });
    window.addEventListener('offline', () => { if (!connected()) setConnection('offline'); });
    window.addEventListener('hashchange', () => {
      if (/(^|[#&])token=/.test(location.hash)) {
        operatorToken();
        location.reload();
      }
    });

    // Waiting times tick every second.
    setInterval(() => {
      for (const [id, node] of queueNodes) {
        const a = state.queue.get(id);
        if (a) updateWait(node, a);
      }
    }, 1000);
  }

  function boot() {
    renderAvailability();
    if (state.operatorName) setOperatorName(state.operatorName);
    renderQueue();
    renderMine();
    renderConversation();
    wire();

    state.token = operatorToken();
    const claims = state.token ? decodeJwt(state.token) : null;
    if (!state.token || !claims) {
      setConnection('offline');
      showAuthProblem('Open the inbox from the link your team gave you (it ends with #token=…).');
      return;
    }
    if (claims.exp && claims.exp * 1000 < Date.now()) {
      setConnection('offline');
      showAuthProblem('Your sign-in link has expired. Ask your administrator for a new link.');
      return;
    }
    state.operatorId = claims.sub || null;
    if (typeof signalR === 'undefined') {
      setConnection('offline');
      toast('The real-time client could not be loaded. Reload the page.', { kind: 'error', timeout: 60000 });
      return;
    }
    state.connection = buildConnection();
    start();
  }

  boot();
})();
