/*!
 * Bloonio chat widget — one script tag, no framework, no build step.
 *
 *   <script src="https://relay.example.com/widget.js" data-widget-key="bwk_…" defer></script>
 *
 * Draws a launcher bubble and a chat panel inside a Shadow DOM (the host page's CSS cannot reach it), talks to the
 * relay's widget API (GET /api/v1/widget/config, POST /api/v1/widget/sessions) and to /hubs/visitor over SignalR.
 * The session is resumed across page loads (resume token in localStorage, keyed by the widget key); messages are
 * merged by their per-session seq, History(after_seq) catches up after every (re)connect, and what the visitor sends
 * waits in an outbox (also in localStorage) until the relay acknowledges it, so a network drop or a reload loses
 * nothing (the relay de-duplicates by client_message_id).
 * The connection opens a WebSocket straight away (no negotiate request, so no sticky load balancer is needed); if that
 * fails it negotiates and lets the client fall back to server-sent events or long polling, and if WebSockets still
 * break after negotiating, it leaves them out. data-transports="long-polling" (or "websockets", "server-sent-events",
 * comma-separated) fixes the choice instead, for networks whose proxies break one of them.
 *
 * Public API: window.BloonioChat = { open(), close(), toggle(), state() }.
 * Test hooks: host #bloonio-chat-widget; data-testid launcher, unread-badge, panel, message-list, message (data-seq,
 * data-sender), input, send, human, queue-status, operator-name, typing, read-receipt, new-conversation.
 */
(function () {
  "use strict";

  if (window.BloonioChat && window.BloonioChat.__bloonio) {
    return; // included twice: the first copy wins
  }

  // ── where we come from ────────────────────────────────────────────────────────────────────────────────────────
  var script = document.currentScript || Array.prototype.slice.call(document.getElementsByTagName("script"))
    .filter(function (s) { return /\/widget\.js(?:[?#]|$)/.test(s.src || ""); }).pop();
  if (!script || !script.src) {
    console.error("[Bloonio] widget.js could not find its own <script> tag");
    return;
  }
  var WIDGET_KEY = (script.getAttribute("data-widget-key") || "").trim();
  if (!WIDGET_KEY) {
    console.error("[Bloonio] the widget's <script> tag has no data-widget-key");
    return;
  }
  // The relay's base URL: the script's URL without "/widget.js" (its origin, plus any path prefix of a proxy).
  var SRC = new URL(script.src, location.href);
  var BASE = SRC.origin + SRC.pathname.replace(/\/widget\.js$/, "");
  var SAME_ORIGIN = SRC.origin === location.origin;
  var DEBUG = script.hasAttribute("data-debug");
  var TRANSPORTS = (script.getAttribute("data-transports") || "").toLowerCase().split(",")
    .map(function (t) { return t.trim(); }).filter(Boolean);

  var API_CONFIG = "/api/v1/widget/config";
  var API_SESSIONS = "/api/v1/widget/sessions";
  var MAX_TEXT = 4000;
  var HISTORY_PAGE = 200;
  var TYPING_THROTTLE_MS = 2000;
  var TYPING_IDLE_MS = 5000;
  var REMOTE_TYPING_TTL_MS = 8000;
  var BOT_WAIT_MS = 25000;
  var RECONNECT_DELAYS = [0, 1000, 2000, 4000, 8000, 15000];

  var T = {
    openChat: "Open chat",
    closeChat: "Close chat",
    unread: function (n) { return n === 1 ? "1 unread message" : n + " unread messages"; },
    assistant: "Assistant",
    agent: "Agent",
    botTag: "Bot",
    subtitleBot: "Ask us anything",
    subtitleHuman: "We usually reply in minutes",
    subtitleWaiting: "Waiting for a person…",
    subtitleAssigned: "is here to help",
    subtitleClosed: "This conversation has ended",
    online: "Online",
    talkToHuman: "Talk to a human",
    requesting: "Requesting…",
    queue: function (p) { return "You are #" + p + " in the queue"; },
    queueUnknown: "Waiting for the next available person…",
    eta: function (s) { return s < 60 ? "under a minute" : "about " + Math.round(s / 60) + " min"; },
    typing: function (name) { return name + " is typing…"; },
    placeholder: "Write a message…",
    inputLabel: "Message",
    send: "Send message",
    attach: "Attach a file",
    uploading: function (name) { return "Sending " + name + "…"; },
    openFile: function (name) { return "Open " + name; },
    sending: "Sending…",
    sent: "Sent",
    read: "Read",
    notSent: "Not sent",
    retry: "Retry",
    ended: "This conversation has ended.",
    away: function (when) { return when ? "We are away right now. We are back " + when + "." : "Nobody is available right now."; },
    leaveMessage: "Leave a message",
    offlineEmail: "Your email",
    offlineText: "Your message",
    offlineSend: "Send",
    offlineThanks: function (email) { return "Thank you! We will reply to " + email + "."; },
    offlineFailed: "Your message could not be sent; please check your email address and try again.",
    transferred: function (name) { return "You are now chatting with " + name + "."; },
    rate: "How was this conversation?",
    star: function (n) { return n + " of 5"; },
    ratingComment: "Anything to add? (optional)",
    ratingSend: "Send rating",
    ratingThanks: "Thank you for your feedback!",
    ratingFailed: "Your rating could not be sent; please try again.",
    transcript: "Download the conversation",
    newConversation: "Start a new conversation",
    endConversation: "End conversation",
    endConfirm: "End this conversation?",
    endYes: "End chat",
    cancel: "Cancel",
    reconnecting: "Reconnecting…",
    connecting: "Connecting…",
    unavailable: "Chat is unavailable right now. Please try again later.",
    conversation: "Conversation",
    poweredBy: "Powered by Bloonio",
    tooLong: function (n) { return n + " / " + MAX_TEXT; },
    errors: {
      rate_limited: "You are sending messages quickly; we will send this in a moment.",
      quota_exceeded: "Chat is busy right now. Please try again later.",
      session_closed: "This conversation has ended.",
      validation_failed: "This message could not be sent.",
      human: "Could not reach a person right now. Please try again.",
      generic: "Something went wrong. Please try again."
    }
  };

  // ── state ─────────────────────────────────────────────────────────────────────────────────────────────────────
  // The widget's strings in other languages (English above is the fallback for any string missing here). Arabic is
  // drawn right to left. The language: the first of the browser's languages the widget speaks, else the tenant's.
  var LANGS = {
    fr: {
      attach: "Joindre un fichier", uploading: function (name) { return "Envoi de " + name + "…"; },
      openFile: function (name) { return "Ouvrir " + name; },
      openChat: "Ouvrir le chat", closeChat: "Fermer le chat",
      unread: function (n) { return n === 1 ? "1 message non lu" : n + " messages non lus"; },
      assistant: "Assistant", agent: "Conseiller", botTag: "Bot",
      subtitleBot: "Posez-nous vos questions", subtitleHuman: "Nous répondons en général en quelques minutes",
      subtitleWaiting: "En attente d’une personne…", subtitleAssigned: "est là pour vous aider", subtitleClosed: "Cette conversation est terminée",
      online: "En ligne", talkToHuman: "Parler à une personne", requesting: "Demande en cours…",
      queue: function (p) { return "Vous êtes n°" + p + " dans la file"; }, queueUnknown: "En attente de la prochaine personne disponible…",
      eta: function (s) { return s < 60 ? "moins d’une minute" : "environ " + Math.round(s / 60) + " min"; },
      typing: function (name) { return name + " écrit…"; },
      placeholder: "Écrivez un message…", inputLabel: "Message", send: "Envoyer le message", sending: "Envoi…", sent: "Envoyé", read: "Lu",
      notSent: "Non envoyé", retry: "Réessayer", ended: "Cette conversation est terminée.",
      transferred: function (name) { return "Vous discutez maintenant avec " + name + "."; },
      away: function (when) { return when ? "Nous sommes absents pour le moment. Retour " + when + "." : "Personne n’est disponible pour le moment."; },
      leaveMessage: "Laisser un message", offlineEmail: "Votre e-mail", offlineText: "Votre message", offlineSend: "Envoyer",
      offlineThanks: function (email) { return "Merci ! Nous répondrons à " + email + "."; },
      offlineFailed: "Votre message n’a pas pu être envoyé ; vérifiez votre adresse e-mail et réessayez.",
      rate: "Comment s’est passée cette conversation ?", star: function (n) { return n + " sur 5"; },
      ratingComment: "Un commentaire ? (facultatif)", ratingSend: "Envoyer la note", ratingThanks: "Merci pour votre avis !",
      ratingFailed: "Votre note n’a pas pu être envoyée ; réessayez.", transcript: "Télécharger la conversation",
      newConversation: "Commencer une nouvelle conversation", endConversation: "Terminer la conversation", endConfirm: "Terminer cette conversation ?",
      endYes: "Terminer", cancel: "Annuler", reconnecting: "Reconnexion…", connecting: "Connexion…",
      unavailable: "Le chat n’est pas disponible pour le moment. Réessayez plus tard.", conversation: "Conversation", poweredBy: "Propulsé par Bloonio",
      errors: {
        rate_limited: "Vous écrivez vite ; nous enverrons ceci dans un instant.", quota_exceeded: "Le chat est saturé. Réessayez plus tard.",
        session_closed: "Cette conversation est terminée.", validation_failed: "Ce message n’a pas pu être envoyé.",
        human: "Impossible de joindre une personne pour le moment. Réessayez.", generic: "Une erreur est survenue. Réessayez."
      }
    },
    de: {
      openChat: "Chat öffnen", closeChat: "Chat schließen",
      unread: function (n) { return n === 1 ? "1 ungelesene Nachricht" : n + " ungelesene Nachrichten"; },
      assistant: "Assistent", agent: "Mitarbeiter", botTag: "Bot",
      subtitleBot: "Fragen Sie uns alles", subtitleHuman: "Wir antworten meist innerhalb von Minuten",
      subtitleWaiting: "Warten auf eine Person…", subtitleAssigned: "hilft Ihnen gern", subtitleClosed: "Diese Unterhaltung ist beendet",
      online: "Online", talkToHuman: "Mit einer Person sprechen", requesting: "Wird angefragt…",
      queue: function (p) { return "Sie sind Nr. " + p + " in der Warteschlange"; }, queueUnknown: "Warten auf die nächste freie Person…",
      eta: function (s) { return s < 60 ? "unter einer Minute" : "etwa " + Math.round(s / 60) + " Min."; },
      typing: function (name) { return name + " schreibt…"; },
      placeholder: "Nachricht schreiben…", inputLabel: "Nachricht", send: "Nachricht senden", sending: "Wird gesendet…", sent: "Gesendet",
      read: "Gelesen", notSent: "Nicht gesendet", retry: "Erneut versuchen", ended: "Diese Unterhaltung ist beendet.",
      transferred: function (name) { return "Sie chatten jetzt mit " + name + "."; },
      attach: "Datei anhängen", uploading: function (name) { return name + " wird gesendet…"; },
      openFile: function (name) { return name + " öffnen"; },
      away: function (when) { return when ? "Wir sind gerade nicht da. Wir sind zurück: " + when + "." : "Gerade ist niemand erreichbar."; },
      leaveMessage: "Nachricht hinterlassen", offlineEmail: "Ihre E-Mail", offlineText: "Ihre Nachricht", offlineSend: "Senden",
      offlineThanks: function (email) { return "Danke! Wir antworten an " + email + "."; },
      offlineFailed: "Ihre Nachricht konnte nicht gesendet werden; bitte prüfen Sie Ihre E-Mail-Adresse und versuchen Sie es erneut.",
      rate: "Wie war diese Unterhaltung?", star: function (n) { return n + " von 5"; },
      ratingComment: "Möchten Sie etwas hinzufügen? (optional)", ratingSend: "Bewertung senden", ratingThanks: "Danke für Ihr Feedback!",
      ratingFailed: "Ihre Bewertung konnte nicht gesendet werden; bitte erneut versuchen.", transcript: "Unterhaltung herunterladen",
      newConversation: "Neue Unterhaltung beginnen", endConversation: "Unterhaltung beenden", endConfirm: "Diese Unterhaltung beenden?",
      endYes: "Beenden", cancel: "Abbrechen", reconnecting: "Verbindung wird wiederhergestellt…", connecting: "Verbinden…",
      unavailable: "Der Chat ist gerade nicht verfügbar. Bitte später erneut versuchen.", conversation: "Unterhaltung", poweredBy: "Bereitgestellt von Bloonio",
      errors: {
        rate_limited: "Sie schreiben schnell; wir senden dies gleich.", quota_exceeded: "Der Chat ist gerade ausgelastet. Bitte später erneut versuchen.",
        session_closed: "Diese Unterhaltung ist beendet.", validation_failed: "Diese Nachricht konnte nicht gesendet werden.",
        human: "Gerade ist niemand erreichbar. Bitte erneut versuchen.", generic: "Etwas ist schiefgelaufen. Bitte erneut versuchen."
      }
    },
    es: {
      openChat: "Abrir el chat", closeChat: "Cerrar el chat",
      unread: function (n) { return n === 1 ? "1 mensaje sin leer" : n + " mensajes sin leer"; },
      assistant: "Asistente", agent: "Agente", botTag: "Bot",
      subtitleBot: "Pregúntanos lo que quieras", subtitleHuman: "Solemos responder en minutos",
      subtitleWaiting: "Esperando a una persona…", subtitleAssigned: "está aquí para ayudarte", subtitleClosed: "Esta conversación ha terminado",
      online: "En línea", talkToHuman: "Hablar con una persona", requesting: "Solicitando…",
      queue: function (p) { return "Eres el n.º " + p + " en la cola"; }, queueUnknown: "Esperando a la próxima persona disponible…",
      eta: function (s) { return s < 60 ? "menos de un minuto" : "unos " + Math.round(s / 60) + " min"; },
      typing: function (name) { return name + " está escribiendo…"; },
      placeholder: "Escribe un mensaje…", inputLabel: "Mensaje", send: "Enviar mensaje", sending: "Enviando…", sent: "Enviado", read: "Leído",
      notSent: "No enviado", retry: "Reintentar", ended: "Esta conversación ha terminado.",
      transferred: function (name) { return "Ahora hablas con " + name + "."; },
      attach: "Adjuntar un archivo", uploading: function (name) { return "Enviando " + name + "…"; },
      openFile: function (name) { return "Abrir " + name; },
      away: function (when) { return when ? "Ahora no estamos. Volvemos " + when + "." : "Ahora no hay nadie disponible."; },
      leaveMessage: "Dejar un mensaje", offlineEmail: "Tu correo electrónico", offlineText: "Tu mensaje", offlineSend: "Enviar",
      offlineThanks: function (email) { return "¡Gracias! Responderemos a " + email + "."; },
      offlineFailed: "No se pudo enviar tu mensaje; revisa tu correo electrónico e inténtalo de nuevo.",
      rate: "¿Qué tal ha ido esta conversación?", star: function (n) { return n + " de 5"; },
      ratingComment: "¿Algo que añadir? (opcional)", ratingSend: "Enviar valoración", ratingThanks: "¡Gracias por tu opinión!",
      ratingFailed: "No se pudo enviar tu valoración; inténtalo de nuevo.", transcript: "Descargar la conversación",
      newConversation: "Empezar una nueva conversación", endConversation: "Terminar la conversación", endConfirm: "¿Terminar esta conversación?",
      endYes: "Terminar", cancel: "Cancelar", reconnecting: "Reconectando…", connecting: "Conectando…",
      unavailable: "El chat no está disponible ahora. Inténtalo más tarde.", conversation: "Conversación", poweredBy: "Con la tecnología de Bloonio",
      errors: {
        rate_limited: "Escribes rápido; lo enviaremos en un momento.", quota_exceeded: "El chat está ocupado. Inténtalo más tarde.",
        session_closed: "Esta conversación ha terminado.", validation_failed: "No se pudo enviar este mensaje.",
        human: "No hay nadie disponible ahora. Inténtalo de nuevo.", generic: "Algo salió mal. Inténtalo de nuevo."
      }
    },
    ar: {
      attach: "إرفاق ملف", uploading: function (name) { return "جارٍ إرسال " + name + "…"; },
      openFile: function (name) { return "فتح " + name; },
      openChat: "فتح المحادثة", closeChat: "إغلاق المحادثة",
      unread: function (n) { return n === 1 ? "رسالة واحدة غير مقروءة" : n + " رسائل غير مقروءة"; },
      assistant: "المساعد", agent: "موظف", botTag: "آلي",
      subtitleBot: "اسألنا عن أي شيء", subtitleHuman: "نرد عادةً خلال دقائق",
      subtitleWaiting: "في انتظار موظف…", subtitleAssigned: "هنا لمساعدتك", subtitleClosed: "انتهت هذه المحادثة",
      online: "متصل", talkToHuman: "التحدث إلى موظف", requesting: "جارٍ الطلب…",
      queue: function (p) { return "ترتيبك " + p + " في قائمة الانتظار"; }, queueUnknown: "في انتظار أول موظف متاح…",
      eta: function (s) { return s < 60 ? "أقل من دقيقة" : "حوالي " + Math.round(s / 60) + " دقيقة"; },
      typing: function (name) { return name + " يكتب…"; },
      placeholder: "اكتب رسالة…", inputLabel: "رسالة", send: "إرسال الرسالة", sending: "جارٍ الإرسال…", sent: "أُرسلت", read: "قُرئت",
      notSent: "لم تُرسل", retry: "إعادة المحاولة", ended: "انتهت هذه المحادثة.",
      transferred: function (name) { return "أنت الآن تتحدث مع " + name + "."; },
      away: function (when) { return when ? "نحن غير متاحين الآن. نعود " + when + "." : "لا يوجد أحد متاح الآن."; },
      leaveMessage: "اترك رسالة", offlineEmail: "بريدك الإلكتروني", offlineText: "رسالتك", offlineSend: "إرسال",
      offlineThanks: function (email) { return "شكرًا! سنرد على " + email + "."; },
      offlineFailed: "تعذّر إرسال رسالتك؛ تحقّق من بريدك الإلكتروني وحاول مرة أخرى.",
      rate: "كيف كانت هذه المحادثة؟", star: function (n) { return n + " من 5"; },
      ratingComment: "هل تود إضافة شيء؟ (اختياري)", ratingSend: "إرسال التقييم", ratingThanks: "شكرًا لملاحظاتك!",
      ratingFailed: "تعذر إرسال تقييمك؛ يُرجى المحاولة مرة أخرى.", transcript: "تنزيل المحادثة",
      newConversation: "بدء محادثة جديدة", endConversation: "إنهاء المحادثة", endConfirm: "إنهاء هذه المحادثة؟",
      endYes: "إنهاء", cancel: "إلغاء", reconnecting: "جارٍ إعادة الاتصال…", connecting: "جارٍ الاتصال…",
      unavailable: "المحادثة غير متاحة حاليًا. يُرجى المحاولة لاحقًا.", conversation: "المحادثة", poweredBy: "مدعوم من Bloonio",
      errors: {
        rate_limited: "أنت ترسل بسرعة؛ سنرسل هذه بعد لحظة.", quota_exceeded: "المحادثة مشغولة حاليًا. يُرجى المحاولة لاحقًا.",
        session_closed: "انتهت هذه المحادثة.", validation_failed: "تعذر إرسال هذه الرسالة.",
        human: "تعذر الوصول إلى موظف الآن. يُرجى المحاولة مرة أخرى.", generic: "حدث خطأ ما. يُرجى المحاولة مرة أخرى."
      }
    }
  };
  var RTL = { ar: true };
  var LANG = "en";

  function chooseLanguage(tenantDefault) {
    var wanted = (navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || ""])
      .map(function (l) { return String(l).toLowerCase().split("-")[0]; });
    for (var i = 0; i < wanted.length; i++) if (wanted[i] === "en" || LANGS[wanted[i]]) return wanted[i];
    return tenantDefault === "en" || LANGS[tenantDefault] ? tenantDefault : "en";
  }

  function useLanguage(lang) {
    LANG = lang;
    var table = LANGS[lang];
    if (!table) return;
    for (var k in table) {
      if (k === "errors") T.errors = assign({}, T.errors, table.errors);
      else T[k] = table[k];
    }
  }

  var DEFAULT_BRANDING = { title: "Chat with us", greeting: "Hi! How can we help?", primary_color: "#4F46E5", avatar_url: null, position: "right" };
  var DEFAULT_FLAGS = { bot: true, human_handoff: true, typing_indicators: true };

  var S = {
    config: null,
    branding: assign({}, DEFAULT_BRANDING),
    flags: assign({}, DEFAULT_FLAGS),
    session: null,          // the last POST /widget/sessions answer
    knownSessionId: null,   // the session this page's stored state belongs to
    resumeToken: null,
    status: null,           // open | waiting | assigned | closed (null: no session yet)
    messages: new Map(),    // seq → message
    sorted: null,           // cache of the messages ordered by seq
    lastSeq: 0,             // highest seq seen
    contiguousSeq: 0,       // every seq up to this one is here (History asks after it)
    outbox: [],             // {client_message_id, text, created_at, state: queued|sending|failed, error?, attempts}
    queue: null,            // {position, eta}
    operator: null,         // {display_name, avatar_url}
    remoteTyping: null,     // {type, name}
    readSeq: 0,             // the operator read up to here
    seenSeq: 0,             // the visitor saw up to here (the unread badge counts after it)
    markedSeq: 0,           // last MarkRead sent on this page
    botWaitUntil: 0,        // show the assistant "typing" dots until then
    conn: null,
    connected: false,
    disconnectedAt: 0,
    open: false,
    unavailable: false,
    humanPending: false,
    confirmEnd: false,
    notice: null
  };

  // ── small helpers ─────────────────────────────────────────────────────────────────────────────────────────────
  function assign(target) {
    for (var i = 1; i < arguments.length; i++) {
      var src = arguments[i];
      if (src) { for (var k in src) { if (Object.prototype.hasOwnProperty.call(src, k) && src[k] !== undefined && src[k] !== null) target[k] = src[k]; } }
    }
    return target;
  }

  function sleep(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }

  function backoff(attempt) {
    var base = Math.min(30000, 500 * Math.pow(2, Math.min(attempt, 10)));
    return Math.round(base * (0.8 + Math.random() * 0.4));
  }

  function uuid() {
    if (window.crypto && typeof crypto.randomUUID === "function") return crypto.randomUUID();
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function log() {
    if (DEBUG) console.debug.apply(console, ["[Bloonio]"].concat(Array.prototype.slice.call(arguments)));
  }

  /** The error code of a hub error ("… HubException: already_escalated: …"), or null for a connection failure. */
  function hubCode(error) {
    var msg = String((error && error.message) || "");
    var m = msg.match(/HubException:\s*([a-z_]+):/) || msg.match(/^([a-z_]+):\s/);
    return m ? m[1] : null;
  }

  function secondsIn(error) {
    var m = String((error && error.message) || "").match(/(\d+)\s*s\b/);
    return m ? Number(m[1]) : 0;
  }

  function isHex(c) { return typeof c === "string" && /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i.test(c); }

  function rgb(hex) {
    var h = hex.slice(1);
    if (h.length === 3) h = h.replace(/./g, "$&$&");
    return [0, 2, 4].map(function (i) { return parseInt(h.slice(i, i + 2), 16); });
  }

  function luminance(hex) {
    var c = rgb(hex).map(function (v) { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  }

  function mix(hex, other, weight) {
    var a = rgb(hex), b = rgb(other);
    return "rgb(" + a.map(function (v, i) { return Math.round(v * weight + b[i] * (1 - weight)); }).join(",") + ")";
  }

  function initials(name) {
    var parts = String(name || "").trim().split(/\s+/).filter(Boolean);
    return ((parts[0] || "?")[0] + (parts.length > 1 ? parts[parts.length - 1][0] : "")).toUpperCase();
  }

  function safeUrl(u) {
    try { var url = new URL(u); return url.protocol === "https:" || url.protocol === "http:" ? url.href : null; } catch (e) { return null; }
  }

  function timeOf(iso) {
    var d = iso ? new Date(iso) : null;
    return d && !isNaN(d) ? d.toLocaleTimeString([], { hour: "numeric", minute: "2-digit" }) : "";
  }

  // ── storage (localStorage, keyed by the widget key; an in-memory fallback where it is unavailable) ────────────
  var STORE_KEY = "bloonio-chat:" + WIDGET_KEY;
  var memoryStore = null;

  function loadStored() {
    try { return JSON.parse(localStorage.getItem(STORE_KEY) || "null") || {}; } catch (e) { return memoryStore || {}; }
  }

  function persist() {
    if (!S.knownSessionId && !S.outbox.length) return;
    var data = {
      session_id: S.knownSessionId,
      resume_token: S.resumeToken,
      seen_seq: S.seenSeq,
      read_seq: S.readSeq,
      status: S.status,
      queue: S.queue,
      operator: S.operator,
      last_operator: S.lastOperatorName || null,
      open: !!S.open,
      outbox: S.outbox.map(function (o) {
        return { client_message_id: o.client_message_id, text: o.text, created_at: o.created_at, quick_reply: o.quick_reply,
          attachments: o.attachments, failed: o.state === "failed" ? (o.error || true) : undefined };
      })
    };
    memoryStore = data;
    try { localStorage.setItem(STORE_KEY, JSON.stringify(data)); } catch (e) { /* private mode: memory only */ }
  }

  function restore() {
    var d = loadStored();
    if (d.status === "closed") {
      // Closed sessions cannot be resumed: start afresh when the visitor next opens the chat.
      d = { outbox: (d.outbox || []).filter(function (o) { return !o.failed; }) };
    }
    S.knownSessionId = d.session_id || null;
    S.resumeToken = d.resume_token || null;
    S.seenSeq = Number(d.seen_seq) || 0;
    S.readSeq = Number(d.read_seq) || 0;
    S.status = d.session_id ? d.status || null : null;
    S.queue = d.queue || null;
    S.operator = d.operator || null;
    S.lastOperatorName = d.last_operator || null;
    // The panel reopens as it was before the reload (an ended conversation starts afresh, closed).
    if (d.open && d.session_id) pendingOpen = true;
    S.outbox = Array.isArray(d.outbox) ? d.outbox.filter(function (o) { return o && o.client_message_id && (o.text || o.attachments); }).map(function (o) {
      return { client_message_id: o.client_message_id, text: o.text, created_at: o.created_at, state: o.failed ? "failed" : "queued",
        error: typeof o.failed === "string" ? o.failed : undefined, attempts: 0, attachments: Array.isArray(o.attachments) ? o.attachments : undefined };
    }) : [];
  }

  // ── REST ──────────────────────────────────────────────────────────────────────────────────────────────────────
  function api(method, path, body) {
    var headers = { "X-Bloonio-Widget-Key": WIDGET_KEY, "Accept": "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    return fetch(BASE + path, {
      method: method, headers: headers, body: body === undefined ? undefined : JSON.stringify(body),
      mode: "cors", credentials: "omit", cache: "no-store"
    }).then(readEnvelope);
  }

  function readEnvelope(res) {
    return res.json().catch(function () { return null; }).then(function (env) {
      if (!res.ok) {
        var err = new Error((env && env.message) || "HTTP " + res.status);
        err.status = res.status;
        err.code = env && env.error_code;
        err.retryAfter = Number(res.headers.get("Retry-After")) || 0;
        throw err;
      }
      return env ? env.data : null;
    });
  }

  /** The session's visitor token: attachments are the conversation's, so the token (not the widget key) opens them. */
  function withToken(path, init) {
    init.headers = assign({ "Authorization": "Bearer " + (S.session ? S.session.visitor_token : ""), "Accept": "application/json" }, init.headers);
    init.mode = "cors"; init.credentials = "omit"; init.cache = "no-store";
    return fetch(BASE + path, init).then(readEnvelope);
  }

  /** Uploads a file into the conversation; resolves with what a message carries of it. */
  function uploadFile(file) {
    return ensureSession().then(function () {
      var form = new FormData();
      form.append("file", file, file.name);
      return withToken("/api/v1/widget/attachments", { method: "POST", body: form });
    });
  }

  // Download links are short-lived (5 minutes): kept 4.
  var fileLinks = new Map();

  function fileLink(id) {
    var hit = fileLinks.get(id);
    if (hit && hit.until > Date.now()) return hit.promise;
    var promise = withToken("/api/v1/widget/attachments/" + id + "/link", { method: "GET" });
    fileLinks.set(id, { promise: promise, until: Date.now() + 240000 });
    promise.catch(function () { fileLinks.delete(id); });
    return promise;
  }

  // ── SignalR client (served by the relay) ──────────────────────────────────────────────────────────────────────
  var signalRLoading = null;

  function loadSignalR() {
    if (window.signalR && window.signalR.HubConnectionBuilder) return Promise.resolve(window.signalR);
    if (signalRLoading) return signalRLoading;
    signalRLoading = new Promise(function (resolve, reject) {
      var s = document.createElement("script");
      s.src = BASE + "/lib/signalr.min.js";
      s.async = true;
      s.onload = function () {
        if (window.signalR && window.signalR.HubConnectionBuilder) resolve(window.signalR);
        else { signalRLoading = null; reject(new Error("the SignalR client did not define window.signalR")); }
      };
      s.onerror = function () { signalRLoading = null; s.remove(); reject(new Error("the SignalR client failed to load")); };
      (document.head || document.documentElement).appendChild(s);
    });
    return signalRLoading;
  }

  // ── session ───────────────────────────────────────────────────────────────────────────────────────────────────
  var sessionOpening = null;

  /** Opens (or resumes, with the stored resume token) the visitor's session; retries while the relay is unreachable. */
  function ensureSession() {
    if (S.session) return Promise.resolve(S.session);
    if (S.unavailable) return Promise.reject(new Error("unavailable"));
    if (!sessionOpening) {
      sessionOpening = openSession(S.resumeToken).then(function (s) { sessionOpening = null; return s; },
        function (e) { sessionOpening = null; throw e; });
    }
    return sessionOpening;
  }

  // Where the visitor is, for the operator's context panel: the page (without its query or fragment, which may hold
  // tokens), the referring page likewise, and the browser's language.
  function pageContext() {
    var context = { page_url: (location.origin + location.pathname).slice(0, 500), locale: (navigator.language || "").slice(0, 35) };
    try {
      if (document.referrer) {
        var r = new URL(document.referrer);
        context.referrer = (r.origin + r.pathname).slice(0, 500);
      }
    } catch (e) { /* an odd referrer: left out */ }
    return context;
  }

  function openSession(resumeToken) {
    var attempt = 0;
    function tryOnce() {
      return api("POST", API_SESSIONS, resumeToken ? { resume_token: resumeToken } : { metadata: pageContext() }).then(function (data) {
        adoptSession(data);
        return S.session;
      }, function (e) {
        if (e.status === 429) {
          return sleep((e.retryAfter || 5) * 1000).then(tryOnce);
        }
        if (e.status && e.status < 500 && e.status !== 408) {
          console.error("[Bloonio] the relay refused the chat session: " + (e.code || e.status) + " " + e.message);
          S.unavailable = true;
          render();
          throw e;
        }
        attempt++;
        render();
        return sleep(backoff(attempt)).then(tryOnce);
      });
    }
    return tryOnce();
  }

  /** Takes a session answer; a different session than the stored one (new, or the old one closed) starts afresh. */
  function adoptSession(data) {
    if (data.session_id !== S.knownSessionId) {
      log("new session", data.session_id, "(was", S.knownSessionId, ")");
      resetConversation(true);
      S.knownSessionId = data.session_id;
    }
    S.session = data;
    S.resumeToken = data.resume_token || S.resumeToken;
    if (data.status) {
      if (S.status !== data.status) { S.queue = data.status === "waiting" ? S.queue : null; }
      S.status = data.status;
      if (S.status !== "assigned") S.operator = null;
    }
    persist();
    render();
  }

  function resetConversation(keepOutbox) {
    S.messages = new Map();
    S.sorted = null;
    S.lastSeq = 0;
    S.contiguousSeq = 0;
    S.readSeq = 0;
    S.seenSeq = 0;
    S.markedSeq = 0;
    S.queue = null;
    S.operator = null;
    S.remoteTyping = null;
    S.botWaitUntil = 0;
    S.status = null;
    S.confirmEnd = false;
    S.outbox = keepOutbox ? S.outbox.filter(function (o) { return o.state !== "failed"; }) : [];
    S.outbox.forEach(function (o) { o.state = "queued"; o.attempts = 0; });
    if (ui) ui.list.textContent = "";
    if (ui) ui.items = new Map();
  }

  /** A fresh visitor token for the same session, before the old one expires; a closed session becomes a new one. */
  function refreshToken() {
    var current = S.session;
    if (!current) return Promise.resolve();
    return api("POST", API_SESSIONS, { resume_token: S.resumeToken }).then(function (data) {
      if (data.session_id === current.session_id) {
        S.session = data;
        persist();
      } else {
        setTimeout(function () { switchSession(data); }, 0);
      }
    });
  }

  function switchSession(data) {
    stopConnection();
    S.session = null;
    adoptSession(data);
    connect();
  }

  // ── connection ────────────────────────────────────────────────────────────────────────────────────────────────
  var connectedWaiters = [];
  var restartTimer = null;

  function whenConnected(timeoutMs) {
    if (S.connected) return Promise.resolve();
    return new Promise(function (resolve, reject) {
      var w = { resolve: resolve };
      connectedWaiters.push(w);
      setTimeout(function () {
        var i = connectedWaiters.indexOf(w);
        if (i >= 0) { connectedWaiters.splice(i, 1); reject(new Error("not connected")); }
      }, timeoutMs || 15000);
    });
  }

  function tokenFactory() {
    var s = S.session;
    if (s && s.expires_at && s.expires_at * 1000 - Date.now() < 120000) {
      return refreshToken().catch(function () {}).then(function () { return S.session ? S.session.visitor_token : ""; });
    }
    return s ? s.visitor_token : "";
  }

  // 0: a WebSocket without negotiating; 1: negotiate, every transport; 2: negotiate, no WebSockets. Moves on after a
  // failed start, unless data-transports chose.
  var fallbackLevel = 0;
  var failedRounds = 0; // rounds of all three ways that failed in a row, for the pause between rounds

  function connectionOptions(signalR) {
    var options = { accessTokenFactory: tokenFactory };
    var chosen = transportFlags(signalR);
    var T = signalR.HttpTransportType;
    if (chosen) {
      options.transport = chosen;
      if (chosen === T.WebSockets) options.skipNegotiation = true;
    } else if (fallbackLevel === 0) {
      options.transport = T.WebSockets;
      options.skipNegotiation = true;
    } else if (fallbackLevel === 2) {
      options.transport = T.ServerSentEvents | T.LongPolling;
    }
    return options;
  }

  /** data-transports as SignalR's flags; 0 (the client's default order) when absent or unknown. */
  function transportFlags(signalR) {
    var names = { "websockets": "WebSockets", "server-sent-events": "ServerSentEvents", "sse": "ServerSentEvents", "long-polling": "LongPolling" };
    return TRANSPORTS.reduce(function (flags, t) {
      return names[t] ? flags | signalR.HttpTransportType[names[t]] : flags;
    }, 0);
  }

  function connect() {
    if (S.conn || !S.session || S.status === "closed") return Promise.resolve();
    clearTimeout(restartTimer);
    return loadSignalR().then(function (signalR) {
      if (S.conn || !S.session) return;
      var options = connectionOptions(signalR);
      var conn = new signalR.HubConnectionBuilder()
        .withUrl(BASE + (S.session.hub_url || "/hubs/visitor"), options)
        .withAutomaticReconnect({
          nextRetryDelayInMilliseconds: function (ctx) {
            var d = RECONNECT_DELAYS[Math.min(ctx.previousRetryCount, RECONNECT_DELAYS.length - 1)];
            return d + Math.round(Math.random() * Math.min(1000, d / 4)); // never gives up
          }
        })
        .configureLogging(DEBUG ? signalR.LogLevel.Information : signalR.LogLevel.None)
        .build();

      conn.on("message", onMessage);
      conn.on("session_state", onSessionState);
      conn.on("typing", onTyping);
      conn.on("read", onRead);
      conn.onreconnecting(function () {
        if (S.conn !== conn) return;
        setConnected(false);
      });
      conn.onreconnected(function () {
        if (S.conn !== conn) return;
        setConnected(true);
        afterConnect(true);
      });
      conn.onclose(function (error) {
        if (S.conn !== conn) return;
        log("connection closed", error && error.message);
        S.conn = null;
        setConnected(false);
        scheduleRestart(1);
      });
      S.conn = conn;
      return startConnection(conn, 0);
    }).catch(function (e) {
      log("cannot connect", e && e.message);
      S.conn = null;
      scheduleRestart(2);
    });
  }

  function startConnection(conn, attempt) {
    return conn.start().then(function () {
      if (S.conn !== conn) { conn.stop(); return; }
      failedRounds = 0;
      setConnected(true);
      afterConnect(false);
    }, function (e) {
      if (S.conn !== conn) return;
      log("start failed", e && e.message);
      var wait = backoff(attempt + 1);
      var unauthorized = e && (e.statusCode === 401 || /\b401\b/.test(e.message || ""));
      if (!unauthorized && !TRANSPORTS.length) {
        // A proxy may block or break WebSockets: try the next way at once; after the last, start over after a pause
        // (the relay may just have been away, and a cluster without sticky sessions needs the first way).
        fallbackLevel = (fallbackLevel + 1) % 3;
        log("next connection method", fallbackLevel);
        S.conn = null;
        conn.stop().catch(function () {});
        if (fallbackLevel > 0) return connect();
        scheduleRestart(++failedRounds);
        return;
      }
      if (unauthorized) {
        return refreshToken().catch(function () {}).then(function () { return sleep(wait); })
          .then(function () { if (S.conn === conn) return startConnection(conn, attempt + 1); });
      }
      return sleep(wait).then(function () { if (S.conn === conn) return startConnection(conn, attempt + 1); });
    });
  }

  function scheduleRestart(attempt) {
    clearTimeout(restartTimer);
    if (!S.session || S.status === "closed") return;
    restartTimer = setTimeout(function () { connect(); }, backoff(attempt));
  }

  function stopConnection() {
    var conn = S.conn;
    S.conn = null;
    setConnected(false);
    if (conn) conn.stop().catch(function () {});
  }

  function setConnected(on) {
    if (S.connected === on) return;
    S.connected = on;
    S.disconnectedAt = on ? 0 : Date.now();
    if (on) {
      connectedWaiters.splice(0).forEach(function (w) { w.resolve(); });
    } else {
      typingOn = false;
      // Show "Reconnecting…" only when the drop lasts (no flicker on a quick reconnect).
      setTimeout(render, 1600);
    }
    render();
  }

  function invokeQuietly(method, arg) {
    var conn = S.conn;
    if (!conn || !S.connected) return;
    conn.invoke(method, arg).catch(function (e) { log(method, "failed", e && e.message); });
  }

  /** After start and every reconnect: catch up on history, flush the outbox, mark what is on screen as read. */
  function afterConnect(reconnected) {
    catchUp(reconnected).then(function () {
      pumpOutbox();
      markSeen();
    });
  }

  var catchingUp = null;
  var catchUpAgain = false;

  function catchUp(reconnected) {
    if (catchingUp) { catchUpAgain = true; return catchingUp; }
    function page() {
      var conn = S.conn;
      if (!conn || !S.connected) return Promise.resolve();
      var after = S.contiguousSeq;
      return conn.invoke("History", { after_seq: after, limit: HISTORY_PAGE }).then(function (messages) {
        (messages || []).forEach(function (m) { addMessage(m, { historical: true, reconnected: reconnected }); });
        if (messages && messages.length >= HISTORY_PAGE && S.contiguousSeq > after) return page();
        if (catchUpAgain) { catchUpAgain = false; return page(); }
      });
    }
    catchingUp = page().catch(function (e) {
      var code = hubCode(e);
      log("History failed", e && e.message);
      if (code === "session_not_found") forgetSession();
    }).then(function () { catchingUp = null; render(); });
    return catchingUp;
  }

  /** The stored session is unknown to the relay (deleted, retention): start from nothing. */
  function forgetSession() {
    stopConnection();
    S.session = null;
    S.knownSessionId = null;
    S.resumeToken = null;
    resetConversation(true);
    persist();
    render();
    if (S.open) ensureSession().then(connect, function () {});
  }

  // ── incoming ──────────────────────────────────────────────────────────────────────────────────────────────────
  function isCurrent(payload) {
    return !payload || !payload.session_id || !S.session || payload.session_id === S.session.session_id;
  }

  function onMessage(m) {
    if (!isCurrent(m)) return;
    addMessage(m, { historical: false });
  }

  function addMessage(m, opts) {
    if (!m || typeof m.seq !== "number" || m.seq < 1 || S.messages.has(m.seq)) return;
    S.messages.set(m.seq, m);
    S.sorted = null;
    while (S.messages.has(S.contiguousSeq + 1)) S.contiguousSeq++;
    if (m.seq > S.lastSeq) S.lastSeq = m.seq;
    if (m.client_message_id) removeFromOutbox(m.client_message_id);

    var type = (m.sender && m.sender.type) || "system";
    if (type !== "visitor") {
      S.botWaitUntil = 0;
      if (S.remoteTyping && S.remoteTyping.type === type) S.remoteTyping = null;
    }
    if (type === "operator" && S.status !== "closed") {
      // After a reload or a long drop no session_state tells who is there: an operator's message does.
      if (S.status === "waiting" || (S.status === "assigned" && !S.operator)) {
        S.status = "assigned";
        S.queue = null;
        if (!S.operator && m.sender.display_name) S.operator = { display_name: m.sender.display_name, avatar_url: null };
        persist();
      }
    }
    if (!opts.historical && m.seq > S.contiguousSeq) catchUp(true); // a gap: fetch what is missing
    if (S.open && isPageVisible()) markSeenSoon();
    scheduleRender();
  }

  function onSessionState(s) {
    if (!isCurrent(s) || !s.status) return;
    S.status = s.status;
    if (s.status === "waiting") {
      S.queue = {
        position: s.queue_position != null ? s.queue_position : (S.queue && S.queue.position),
        eta: s.estimated_wait_seconds != null ? s.estimated_wait_seconds : (S.queue && S.queue.eta)
      };
      S.operator = null;
    } else {
      S.queue = null;
    }
    if (s.status === "assigned") {
      S.operator = s.operator || S.operator;
      var name = S.operator && S.operator.display_name;
      // Handed to someone else (a transfer, a release and a new accept): say who the visitor is talking to now.
      if (name && S.lastOperatorName && name !== S.lastOperatorName) S.handover = T.transferred(name);
      if (name) S.lastOperatorName = name;
    }
    if (s.status === "open") S.operator = null;
    if (s.status !== "assigned") S.remoteTyping = null;
    if (s.status !== "open") S.botWaitUntil = 0;
    if (s.status === "closed") onClosed();
    persist();
    render();
  }

  function onClosed() {
    S.remoteTyping = null;
    S.confirmEnd = false;
    stopTyping();
    // Keep the connection a moment for the closing notice, then free it (it counts against the tenant's quota).
    setTimeout(function () {
      if (S.status === "closed") catchUp(true).then(function () { if (S.status === "closed") stopConnection(); });
    }, 1500);
  }

  var remoteTypingTimer = null;

  function onTyping(t) {
    var type = t && t.sender && t.sender.type;
    if (!type || type === "visitor" || !isCurrent(t)) return;
    clearTimeout(remoteTypingTimer);
    if (t.is_typing) {
      S.remoteTyping = { type: type, name: t.sender.display_name || null };
      remoteTypingTimer = setTimeout(function () { S.remoteTyping = null; render(); }, REMOTE_TYPING_TTL_MS);
    } else {
      S.remoteTyping = null;
    }
    render();
  }

  function onRead(r) {
    var type = r && r.reader && r.reader.type;
    if (!type || type === "visitor" || !isCurrent(r)) return;
    if (typeof r.seq === "number" && r.seq > S.readSeq) {
      S.readSeq = r.seq;
      persist();
      render();
    }
  }

  // ── outgoing ──────────────────────────────────────────────────────────────────────────────────────────────────
  function removeFromOutbox(clientMessageId) {
    var before = S.outbox.length;
    S.outbox = S.outbox.filter(function (o) { return o.client_message_id !== clientMessageId; });
    if (S.outbox.length !== before) persist();
  }

  function queueMessage(text, quickReply, attachments) {
    var item = { client_message_id: uuid(), text: text, created_at: new Date().toISOString(), state: "queued", attempts: 0, quick_reply: quickReply,
      attachments: attachments };
    S.outbox.push(item);
    persist();
    stickToBottom = true;
    render();
    ensureSession().then(connect).then(pumpOutbox, function () {});
    pumpOutbox();
  }

  var pumping = false;

  /** Sends the outbox in order, one at a time; what fails for want of a connection waits for the next connect. */
  function pumpOutbox() {
    if (pumping) return;
    pumping = true;
    function next() {
      var conn = S.conn;
      var item = S.outbox.filter(function (o) { return o.state !== "failed"; })[0];
      if (!item || !conn || !S.connected) return Promise.resolve();
      item.state = "sending";
      item.attempts = (item.attempts || 0) + 1;
      scheduleRender();
      return conn.invoke("Send", { client_message_id: item.client_message_id, text: item.text, quick_reply: item.quick_reply || null,
        attachments: item.attachments ? item.attachments.map(function (a) { return a.attachment_id; }) : null }).then(function (ack) {
        acknowledge(item, ack);
        return next();
      }, function (e) {
        var code = hubCode(e);
        log("Send failed", code, e && e.message);
        if (S.outbox.indexOf(item) < 0) return next(); // acknowledged meanwhile by its echo
        if (!code || code === "internal_error") {
          item.state = "queued";
          if (item.attempts >= 6) { item.state = "failed"; item.error = T.errors.generic; persist(); render(); return next(); }
          if (!code || !S.connected) return; // retried on reconnect
          return sleep(backoff(item.attempts)).then(next);
        }
        if (code === "rate_limited") {
          item.state = "queued";
          item.attempts--;
          showNotice(T.errors.rate_limited);
          return sleep((secondsIn(e) || 5) * 1000).then(next);
        }
        item.state = "failed";
        item.error = T.errors[code] || (code === "validation_failed" ? T.errors.validation_failed : T.errors.generic);
        persist();
        render();
        if (code === "session_closed") {
          onSessionState({ status: "closed" });
          return;
        }
        return next();
      });
    }
    next().then(function () {
      pumping = false;
      render();
      if (S.connected && S.outbox.some(function (o) { return o.state === "queued"; })) setTimeout(pumpOutbox, 2000);
    }, function () { pumping = false; });
  }

  function acknowledge(item, ack) {
    removeFromOutbox(item.client_message_id);
    var replied = sortedMessages().some(function (m) { return m.seq > ack.seq && m.sender && m.sender.type !== "visitor"; });
    addMessage({
      message_id: ack.message_id, session_id: S.session && S.session.session_id, seq: ack.seq,
      sender: { type: "visitor", id: S.session && S.session.visitor_id }, text: item.text, created_at: ack.created_at,
      client_message_id: item.client_message_id
    }, { historical: true });
    if (!replied && S.status === "open" && S.flags.bot && (!S.session || S.session.mode !== "human")) {
      S.botWaitUntil = Date.now() + BOT_WAIT_MS;
      setTimeout(render, BOT_WAIT_MS + 50);
    }
    render();
  }

  function retry(item) {
    item.state = "queued";
    item.attempts = 0;
    item.error = undefined;
    persist();
    render();
    ensureSession().then(connect).then(pumpOutbox, function () {});
    pumpOutbox();
  }

  function requestHuman() {
    if (S.humanPending) return;
    S.humanPending = true;
    render();
    ensureSession().then(connect).then(function () { return whenConnected(20000); }).then(function () {
      return S.conn.invoke("RequestHuman", { reason: "visitor asked for a human" });
    }).then(function () {
      // The session_state events (with the queue position) may already be here: only move forward.
      if (S.status === "open") { S.status = "waiting"; S.botWaitUntil = 0; persist(); }
    }, function (e) {
      var code = hubCode(e);
      if (code === "already_escalated") {
        if (S.status === "open") S.status = "waiting";
      } else if (code === "handoff_disabled") {
        S.flags.human_handoff = false;
      } else if (code === "session_closed") {
        onSessionState({ status: "closed" });
      } else {
        showNotice(T.errors.human);
      }
    }).then(function () {
      S.humanPending = false;
      render();
    });
  }

  function endConversation() {
    S.confirmEnd = false;
    render();
    if (!S.conn || !S.connected) return;
    S.conn.invoke("Close").catch(function (e) { log("Close failed", e && e.message); showNotice(T.errors.generic); });
  }

  function resetRating() {
    if (!ui) return;
    chooseStars(0);
    ui.ratingSend.disabled = true;
    ui.ratingSend.hidden = false;
    ui.ratingComment.hidden = false;
    ui.ratingComment.value = "";
    ui.ratingThanks.hidden = true;
  }

  function startNewConversation() {
    resetRating();
    S.handover = null;
    S.lastOperatorName = null;
    stopConnection();
    S.session = null;
    S.knownSessionId = null;
    S.resumeToken = null;
    resetConversation(false);
    S.unavailable = false;
    try { localStorage.removeItem(STORE_KEY); } catch (e) { /* ignore */ }
    memoryStore = null;
    render();
    ensureSession().then(connect, function () {});
    if (ui) focusInput();
  }

  // typing (ours)
  var typingOn = false;
  var typingSentAt = 0;
  var typingIdle = null;

  function onInputTyping() {
    if (!ui.input.value.trim()) { stopTyping(); return; }
    if (!S.flags.typing_indicators || !S.connected || S.status === "closed") return;
    var now = Date.now();
    if (now - typingSentAt >= TYPING_THROTTLE_MS) {
      typingSentAt = now;
      typingOn = true;
      invokeQuietly("Typing", { is_typing: true });
    }
    clearTimeout(typingIdle);
    typingIdle = setTimeout(stopTyping, TYPING_IDLE_MS);
  }

  function stopTyping() {
    clearTimeout(typingIdle);
    if (!typingOn) return;
    typingOn = false;
    typingSentAt = 0;
    invokeQuietly("Typing", { is_typing: false });
  }

  // seen / read
  function isPageVisible() { return document.visibilityState !== "hidden"; }

  var markTimer = null;

  function markSeenSoon() {
    clearTimeout(markTimer);
    markTimer = setTimeout(markSeen, 150);
  }

  function markSeen() {
    if (!S.open || !isPageVisible()) return;
    if (S.lastSeq > S.seenSeq) {
      S.seenSeq = S.lastSeq;
      persist();
      scheduleRender();
    }
    if (S.connected && S.lastSeq > S.markedSeq) {
      var unseenFromOthers = sortedMessages().some(function (m) { return m.seq > S.markedSeq && m.sender && m.sender.type !== "visitor"; });
      var seq = S.lastSeq;
      S.markedSeq = seq;
      if (unseenFromOthers) invokeQuietly("MarkRead", { seq: seq });
    }
  }

  function sortedMessages() {
    if (!S.sorted) S.sorted = Array.from(S.messages.values()).sort(function (a, b) { return a.seq - b.seq; });
    return S.sorted;
  }

  function unreadCount() {
    var n = 0;
    sortedMessages().forEach(function (m) { if (m.seq > S.seenSeq && m.sender && m.sender.type !== "visitor") n++; });
    return n;
  }

  var noticeTimer = null;

  function showNotice(text) {
    S.notice = text;
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(function () { S.notice = null; render(); }, 6000);
    render();
  }

  // ── DOM ───────────────────────────────────────────────────────────────────────────────────────────────────────
  var ICONS = {
    attach: '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" d="m21 11-8.5 8.5a5 5 0 0 1-7-7L14 4a3.4 3.4 0 0 1 4.8 4.8l-8.4 8.4a1.7 1.7 0 0 1-2.4-2.4L15.5 7"/></svg>',
    chat: '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path fill="currentColor" d="M12 3C6.9 3 3 6.6 3 11c0 2.3 1.1 4.4 2.9 5.9-.2 1.3-.8 2.6-1.8 3.6-.2.2-.1.6.2.6 2.1 0 3.9-.7 5.2-1.6.8.2 1.6.3 2.5.3 5.1 0 9-3.6 9-8s-3.9-8.8-9-8.8Z"/></svg>',
    close: '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" d="M6 6l12 12M18 6L6 18"/></svg>',
    down: '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" stroke-linejoin="round" d="M6 9l6 6 6-6"/></svg>',
    send: '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path fill="currentColor" d="M3.4 20.4 21 12 3.4 3.6l-.01 6.53L15 12 3.39 13.87z"/></svg>',
    person: '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path fill="currentColor" d="M12 12a4.5 4.5 0 1 0 0-9 4.5 4.5 0 0 0 0 9Zm0 2c-4.4 0-8 2.2-8 5v1.5c0 .3.2.5.5.5h15c.3 0 .5-.2.5-.5V19c0-2.8-3.6-5-8-5Z"/></svg>',
    end: '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" d="M15 4h3a2 2 0 0 1 2 2v12a2 2 0 0 1-2 2h-3M10 17l-5-5 5-5M5 12h11"/></svg>',
    bot: '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path fill="currentColor" d="M12 2a1.5 1.5 0 0 1 .75 2.8V6H17a3 3 0 0 1 3 3v8a3 3 0 0 1-3 3H7a3 3 0 0 1-3-3V9a3 3 0 0 1 3-3h4.25V4.8A1.5 1.5 0 0 1 12 2ZM9 11.5a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3Zm6 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3Z"/></svg>',
    check: '<svg viewBox="0 0 24 16" aria-hidden="true" focusable="false"><path fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" d="M1.5 8.5 5.5 12.5 13 4M9.5 12.5 17 4M13.5 12.5"/></svg>',
    clock: '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><circle cx="12" cy="12" r="9" fill="none" stroke="currentColor" stroke-width="2"/><path fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" d="M12 7v5l3 2"/></svg>'
  };

  var CSS = [
    ":host{all:initial!important;position:fixed!important;z-index:2147483000!important;bottom:0!important;right:0!important;width:0!important;height:0!important;display:block!important}",
    "*,*::before,*::after{box-sizing:border-box}",
    ".root{--p:#4F46E5;--on-p:#fff;--ink:#4F46E5;--p-soft:#eef2ff;--p-ring:rgba(79,70,229,.28);--p-dark:#3730a3;",
    "  font-family:system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,'Noto Sans',sans-serif;font-size:16px;line-height:1.5;",
    "  color:#0f172a;letter-spacing:normal;text-align:left;-webkit-font-smoothing:antialiased;-moz-osx-font-smoothing:grayscale}",
    "button,textarea{font:inherit;color:inherit;letter-spacing:inherit;margin:0}",
    "button{background:none;border:0;padding:0;cursor:pointer;-webkit-tap-highlight-color:transparent}",
    "button:disabled{cursor:default}",
    ":focus{outline:none}",
    ":focus-visible{outline:2px solid var(--ink);outline-offset:2px}",
    "svg{display:block}",
    ".sr-only{position:absolute!important;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0,0,0,0);white-space:nowrap;border:0}",

    /* launcher */
    ".launcher{position:fixed;bottom:20px;right:20px;width:60px;height:60px;border-radius:50%;background:var(--p);color:var(--on-p);",
    "  display:flex;align-items:center;justify-content:center;box-shadow:0 8px 24px rgba(15,23,42,.24),0 2px 6px rgba(15,23,42,.14);",
    "  transition:transform .16s ease,box-shadow .16s ease}",
    ".left .launcher{left:20px;right:auto}",
    ".launcher:hover{transform:scale(1.06);box-shadow:0 12px 30px rgba(15,23,42,.28),0 3px 8px rgba(15,23,42,.16)}",
    ".launcher:active{transform:scale(.96)}",
    ".launcher:focus-visible{outline:3px solid var(--p);outline-offset:3px}",
    ".launcher .ico{position:absolute;width:30px;height:30px;transition:transform .2s ease,opacity .2s ease}",
    ".launcher .ico svg{width:100%;height:100%}",
    ".launcher .ico-close{width:26px;height:26px;opacity:0;transform:rotate(-90deg) scale(.5)}",
    ".open .launcher .ico-chat{opacity:0;transform:rotate(90deg) scale(.5)}",
    ".open .launcher .ico-close{opacity:1;transform:none}",
    ".badge{position:absolute;top:-3px;right:-3px;min-width:22px;height:22px;padding:0 6px;border-radius:11px;background:#ef4444;color:#fff;",
    "  font-size:12px;font-weight:700;line-height:22px;text-align:center;box-shadow:0 0 0 2px #fff;animation:pop .24s ease}",
    ".left .badge{right:auto;left:-3px}",
    "@keyframes pop{from{transform:scale(.4);opacity:0}to{transform:none;opacity:1}}",

    /* panel */
    ".panel{position:fixed;bottom:96px;right:20px;width:384px;height:680px;max-height:calc(100vh - 116px);max-height:calc(100dvh - 116px);",
    "  display:flex;flex-direction:column;background:#fff;border-radius:18px;overflow:hidden;",
    "  box-shadow:0 24px 64px rgba(15,23,42,.22),0 6px 18px rgba(15,23,42,.10),0 0 0 1px rgba(15,23,42,.06);",
    "  opacity:0;transform:translateY(12px) scale(.98);transform-origin:bottom right;visibility:hidden;",
    "  transition:opacity .18s ease,transform .18s ease,visibility 0s linear .18s}",
    ".left .panel{left:20px;right:auto;transform-origin:bottom left}",
    ".open .panel{opacity:1;transform:none;visibility:visible;transition:opacity .18s ease,transform .18s ease,visibility 0s}",

    /* header */
    ".header{flex:none;display:flex;align-items:center;gap:12px;padding:16px 12px 16px 18px;color:var(--on-p);",
    "  background:linear-gradient(135deg,var(--p) 0%,var(--p-dark) 100%)}",
    ".header :focus-visible{outline-color:var(--on-p)}",
    ".avatar{flex:none;position:relative;width:40px;height:40px;border-radius:50%;display:flex;align-items:center;justify-content:center;",
    "  background:rgba(255,255,255,.2);font-weight:700;font-size:16px;overflow:visible}",
    ".avatar img{width:100%;height:100%;border-radius:50%;object-fit:cover;display:block}",
    ".avatar svg{width:24px;height:24px}",
    ".avatar .dot{position:absolute;right:0;bottom:0;width:11px;height:11px;border-radius:50%;background:#22c55e;box-shadow:0 0 0 2px var(--p)}",
    ".titles{flex:1;min-width:0}",
    ".title{margin:0;font-size:17px;font-weight:650;line-height:1.3;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}",
    ".subtitle{margin:2px 0 0;font-size:13.5px;line-height:1.35;opacity:.88;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}",
    ".subtitle b{font-weight:650}",
    ".hbtns{flex:none;display:flex;gap:2px;margin-right:-2px}",
    ".hbtn{flex:none;width:36px;height:36px;border-radius:10px;display:flex;align-items:center;justify-content:center;color:var(--on-p);",
    "  opacity:.85;transition:background-color .15s ease,opacity .15s ease}",
    ".hbtn:hover{background:rgba(255,255,255,.16);opacity:1}",
    ".hbtn svg{width:21px;height:21px}",

    /* banners */
    ".bar{flex:none;display:flex;align-items:center;gap:8px;padding:8px 16px;font-size:13.5px;border-bottom:1px solid #e2e8f0}",
    ".bar-warn{background:#fffbeb;color:#92400e;border-color:#fde68a}",
    ".bar-confirm{background:#f8fafc;color:#0f172a;justify-content:space-between}",
    ".bar-confirm div{display:flex;gap:8px}",
    ".spinner{width:14px;height:14px;border-radius:50%;border:2px solid currentColor;border-right-color:transparent;animation:spin .8s linear infinite}",
    "@keyframes spin{to{transform:rotate(360deg)}}",

    /* messages */
    ".list{flex:1;min-height:0;overflow-y:auto;overscroll-behavior:contain;padding:16px 16px 8px;background:#f8fafc;display:flex;flex-direction:column}",
    ".list:focus-visible{outline-offset:-3px}",
    ".msg{display:flex;flex-direction:column;align-items:flex-start;max-width:100%;margin-top:3px}",
    ".msg.first{margin-top:14px}",
    ".list>.msg:first-child{margin-top:0}",
    ".msg-label{display:flex;align-items:center;gap:6px;margin:0 0 4px 40px;font-size:12.5px;font-weight:600;color:#475569}",
    ".tag{font-size:10.5px;font-weight:700;text-transform:uppercase;letter-spacing:.04em;padding:1px 6px;border-radius:6px;background:#e2e8f0;color:#475569}",
    ".msg-row{display:flex;align-items:flex-end;gap:8px;max-width:88%}",
    ".msg-avatar{flex:none;width:32px;height:32px;border-radius:50%;display:flex;align-items:center;justify-content:center;font-size:12.5px;font-weight:700;",
    "  background:var(--p-soft);color:var(--ink);visibility:hidden}",
    ".msg-avatar img{width:100%;height:100%;border-radius:50%;object-fit:cover}",
    ".msg-avatar svg{width:18px;height:18px}",
    ".msg.last .msg-avatar{visibility:visible}",
    ".bubble{padding:9px 14px;border-radius:18px;white-space:pre-wrap;overflow-wrap:anywhere;word-break:break-word;min-width:0;font-size:15.5px;line-height:1.45}",
    ".bubble a{color:inherit;text-decoration:underline;text-underline-offset:2px}",
    ".msg.bot .bubble{background:#eef2f6;color:#0f172a;border-bottom-left-radius:6px}",
    ".msg.bot:not(.first) .bubble{border-top-left-radius:6px}",
    ".msg.operator .bubble{background:#fff;color:#0f172a;border:1px solid #e2e8f0;box-shadow:0 1px 2px rgba(15,23,42,.05);border-bottom-left-radius:6px}",
    ".msg.operator:not(.first) .bubble{border-top-left-radius:6px}",
    ".msg.visitor{align-items:flex-end}",
    ".msg.visitor .msg-row{flex-direction:row-reverse}",
    ".msg.visitor .msg-avatar{display:none}",
    ".msg.visitor .bubble{background:var(--p);color:var(--on-p);border-bottom-right-radius:6px}",
    ".msg.visitor:not(.first) .bubble{border-top-right-radius:6px}",
    ".msg.visitor.pending .bubble{opacity:.7}",
    ".msg.visitor.failed .bubble{background:#fff;color:#991b1b;border:1px solid #fecaca}",
    ".msg.system{align-items:center;margin:12px 0 4px}",
    ".msg.system .msg-row{max-width:92%}",
    ".msg.system .msg-avatar{display:none}",
    ".msg.system .bubble{padding:4px 12px;font-size:13px;color:#64748b;background:#eef2f6;border-radius:12px;text-align:center}",
    ".meta{display:flex;align-items:center;gap:5px;margin:4px 4px 0 44px;font-size:12px;color:#94a3b8;min-height:16px}",
    ".msg.visitor .meta{margin:4px 4px 0 0}",
    ".meta svg{width:16px;height:12px}",
    ".meta .ico-clock svg{width:12px;height:12px}",
    ".receipt-read{color:var(--ink);font-weight:600;display:inline-flex;align-items:center;gap:3px}",
    ".meta .err{color:#b91c1c}",
    ".linkbtn{color:var(--ink);font-weight:600;text-decoration:underline;text-underline-offset:2px;font-size:12px;border-radius:4px}",
    ".greeting .bubble{background:#eef2f6}",

    /* dock: indicators, queue, human */
    ".dock{flex:none;background:#f8fafc;padding:0 16px 10px;display:flex;flex-direction:column;gap:8px}",
    ".dock:empty{display:none}",
    ".typing{display:flex;align-items:center;gap:8px;font-size:13px;color:#64748b}",
    ".dots{display:inline-flex;gap:3px;padding:8px 10px;border-radius:14px;background:#eef2f6}",
    ".dots i{width:6px;height:6px;border-radius:50%;background:#94a3b8;animation:blink 1.2s infinite ease-in-out}",
    ".dots i:nth-child(2){animation-delay:.15s}.dots i:nth-child(3){animation-delay:.3s}",
    "@keyframes blink{0%,80%,100%{opacity:.35;transform:translateY(0)}40%{opacity:1;transform:translateY(-2px)}}",
    ".queue{display:flex;align-items:center;gap:10px;padding:10px 12px;border-radius:12px;background:#fff;border:1px solid #e2e8f0;font-size:14px;color:#334155;",
    "  box-shadow:0 1px 2px rgba(15,23,42,.04)}",
    ".pulse{flex:none;width:10px;height:10px;border-radius:50%;background:var(--p);box-shadow:0 0 0 0 var(--p-ring);animation:pulse 1.6s infinite}",
    "@keyframes pulse{0%{box-shadow:0 0 0 0 var(--p-ring)}70%{box-shadow:0 0 0 8px rgba(0,0,0,0)}100%{box-shadow:0 0 0 0 rgba(0,0,0,0)}}",
    ".human{align-self:flex-start;display:inline-flex;align-items:center;gap:7px;padding:7px 14px;border-radius:999px;background:#fff;color:var(--ink);",
    "  border:1px solid var(--p-ring);font-size:14px;font-weight:600;box-shadow:0 1px 2px rgba(15,23,42,.05);transition:background-color .15s ease,border-color .15s ease}",
    ".human:hover:not(:disabled){background:var(--p-soft);border-color:var(--ink)}",
    ".human:disabled{opacity:.6}",
    ".human svg{width:16px;height:16px}",
    ".notice{font-size:13px;color:#92400e;background:#fffbeb;border:1px solid #fde68a;border-radius:10px;padding:7px 10px}",

    /* composer */
    ".composer{flex:none;display:flex;align-items:flex-end;gap:8px;padding:12px;border-top:1px solid #e2e8f0;background:#fff}",
    ".field{flex:1;min-width:0;position:relative}",
    ".input{display:block;width:100%;min-height:46px;max-height:140px;resize:none;border:1px solid #cbd5e1;border-radius:14px;padding:11px 14px;",
    "  background:#fff;color:#0f172a;font-size:16px;line-height:1.4;transition:border-color .15s ease,box-shadow .15s ease}",
    ".input::placeholder{color:#94a3b8}",
    ".input:focus{border-color:var(--p);box-shadow:0 0 0 3px var(--p-ring);outline:none}",
    ".count{position:absolute;right:10px;top:-20px;font-size:11.5px;color:#94a3b8}",
    ".count.over{color:#b91c1c}",
    ".send{flex:none;width:46px;height:46px;border-radius:50%;background:var(--p);color:var(--on-p);display:flex;align-items:center;justify-content:center;",
    "  transition:opacity .15s ease,transform .15s ease}",
    ".send svg{width:22px;height:22px;margin-left:2px}",
    ".send:disabled{opacity:.35}",
    ".send:not(:disabled):hover{transform:scale(1.05)}",
    ".send:focus-visible{outline:2px solid var(--p);outline-offset:2px}",
    ".ended{flex:none;padding:16px;border-top:1px solid #e2e8f0;background:#fff;text-align:center;font-size:14.5px;color:#475569}",
    ".ended p{margin:0 0 10px}",
    ".bar-info{background:#eef2ff;color:#3730a3}",
    ".away{display:flex;flex-direction:column;gap:8px;padding:4px 0}.away-text{margin:0;font-size:13.5px;color:#475569}",
    ".offline{display:flex;flex-direction:column;gap:6px}.offline [hidden]{display:none!important}",
    ".offline input,.offline textarea{box-sizing:border-box;width:100%;padding:8px;border:1px solid #cbd5e1;border-radius:8px;font:inherit}",
    ".offline textarea{min-height:64px;resize:vertical}",
    ".sources{display:flex;flex-wrap:wrap;gap:4px 10px;margin:4px 0 0 44px;font-size:12.5px}.sources a{color:var(--p)}.sources span{color:#64748b}",
    ".quick{display:flex;flex-wrap:wrap;gap:6px;margin:8px 0 0 44px}",
    ".chip{border:1px solid var(--p);background:#fff;color:var(--p);border-radius:16px;padding:6px 12px;font:inherit;font-size:13.5px;cursor:pointer}",
    ".chip:hover,.chip:focus-visible{background:var(--p);color:var(--on-p)}",
    "[dir=rtl] .sources,[dir=rtl] .quick{margin:4px 44px 0 0}",
    ".files{display:flex;flex-wrap:wrap;gap:6px;margin:4px 0 0 44px}.msg.visitor .files{justify-content:flex-end;margin:4px 0 0}",
    ".file{display:inline-flex;align-items:center;max-width:220px;border:1px solid #e2e8f0;border-radius:10px;overflow:hidden;color:var(--p);text-decoration:none;background:#fff}",
    ".file .thumb{display:block;max-width:220px;height:auto}.file-name{padding:8px 10px;font-size:13px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}",
    ".file-input{display:none}.attach{flex:none;width:40px;height:40px;border:0;border-radius:10px;background:transparent;color:#64748b;cursor:pointer;display:flex;align-items:center;justify-content:center}",
    ".attach:hover{background:#f1f5f9;color:var(--p)}.attach:focus-visible{outline:2px solid var(--p);outline-offset:2px}.attach svg{width:22px;height:22px}",
    "[dir=rtl] .send svg{transform:scaleX(-1);margin-left:0;margin-right:2px}",
    ".rating [hidden]{display:none!important}.rating{margin:0 0 12px}.stars{display:flex;justify-content:center;gap:4px;margin:0 0 8px}",
    ".star{border:0;background:none;cursor:pointer;font-size:26px;line-height:1;color:#cbd5e1;padding:2px}",
    ".star[aria-checked=true]{color:#f59e0b}.star:focus-visible{outline:2px solid #6366f1;border-radius:4px}",
    ".rating textarea{width:100%;box-sizing:border-box;min-height:52px;margin:0 0 8px;padding:8px;border:1px solid #cbd5e1;border-radius:8px;font:inherit;resize:vertical}",
    ".linkish{border:0;background:none;color:#4f46e5;text-decoration:underline;cursor:pointer;font:inherit;font-size:13px;margin:8px 0 0}",
    ".primary{display:inline-flex;align-items:center;justify-content:center;gap:8px;padding:10px 18px;border-radius:12px;background:var(--p);color:var(--on-p);",
    "  font-weight:600;font-size:15px;box-shadow:0 2px 6px rgba(15,23,42,.12)}",
    ".primary:hover{filter:brightness(1.06)}",
    ".primary:focus-visible{outline:2px solid var(--p);outline-offset:2px}",
    ".secondary{padding:6px 12px;border-radius:10px;font-size:13.5px;font-weight:600;color:#334155;border:1px solid #cbd5e1;background:#fff}",
    ".danger{padding:6px 12px;border-radius:10px;font-size:13.5px;font-weight:600;color:#fff;background:#dc2626}",
    ".footer{flex:none;padding:0 0 8px;background:#fff;text-align:center;font-size:11.5px;color:#94a3b8}",
    ".unavailable{flex:1;display:flex;align-items:center;justify-content:center;padding:24px;text-align:center;color:#475569;background:#f8fafc}",

    /* phones: the panel takes the screen */
    "@media (max-width:480px){",
    "  .panel{top:0;left:0;right:0;bottom:0;width:100%;height:100%;max-height:none;border-radius:0;transform:translateY(24px)}",
    "  .left .panel{left:0;right:0}",
    "  .open .panel{transform:none}",
    "  .open .launcher{opacity:0;visibility:hidden;pointer-events:none}",
    "  .header{padding-top:max(16px,env(safe-area-inset-top))}",
    "  .composer{padding-bottom:max(12px,env(safe-area-inset-bottom))}",
    "  .launcher{bottom:max(16px,env(safe-area-inset-bottom));right:16px}",
    "  .left .launcher{left:16px}",
    "}",
    "@media (prefers-reduced-motion:reduce){*,*::before,*::after{transition:none!important;animation:none!important}}",
    "@media print{.root{display:none}}"
  ].join("\n");

  var ui = null;
  var stickToBottom = true;

  // Rating an ended conversation (1-5 and a comment), and its transcript as a text file.
  var chosenStars = 0;

  // An ended conversation has no connection any more: one is opened for the call and closed after it.
  function invokeOnce(method, arg) {
    if (S.conn) return arg === undefined ? S.conn.invoke(method) : S.conn.invoke(method, arg);
    if (!S.session) return Promise.reject(new Error("no session"));
    return loadSignalR().then(function (signalR) {
      var conn = new signalR.HubConnectionBuilder()
        .withUrl(BASE + (S.session.hub_url || "/hubs/visitor"), connectionOptions(signalR))
        .configureLogging(DEBUG ? signalR.LogLevel.Information : signalR.LogLevel.None)
        .build();
      return conn.start().then(function () { return arg === undefined ? conn.invoke(method) : conn.invoke(method, arg); })
        .then(function (result) { conn.stop().catch(function () {}); return result; },
          function (e) { conn.stop().catch(function () {}); throw e; });
    });
  }
  function chooseStars(n) {
    chosenStars = n;
    ui.stars.forEach(function (star, i) { star.setAttribute("aria-checked", String(i < n)); });
    ui.ratingSend.disabled = false;
  }

  function sendRating() {
    if (!chosenStars) return;
    ui.ratingSend.disabled = true;
    invokeOnce("Rate", { score: chosenStars, comment: ui.ratingComment.value.trim() || null }).then(function () {
      ui.ratingThanks.textContent = T.ratingThanks;
      ui.ratingThanks.hidden = false;
      ui.ratingComment.hidden = true;
      ui.ratingSend.hidden = true;
    }, function (e) {
      log("Rate", "failed", e && e.message);
      ui.ratingThanks.textContent = T.ratingFailed;
      ui.ratingThanks.hidden = false;
      ui.ratingSend.disabled = false;
    });
  }

  function downloadTranscript() {
    invokeOnce("Transcript").then(function (text) {
      var link = document.createElement("a");
      link.href = URL.createObjectURL(new Blob([text], { type: "text/plain;charset=utf-8" }));
      link.download = "conversation.txt";
      document.body.appendChild(link);
      link.click();
      setTimeout(function () { URL.revokeObjectURL(link.href); link.remove(); }, 1000);
    }, function (e) { log("Transcript", "failed", e && e.message); });
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      for (var k in attrs) {
        var v = attrs[k];
        if (v === null || v === undefined || v === false) continue;
        if (k === "class") node.className = v;
        else if (k === "text") node.textContent = v;
        else if (k === "html") node.innerHTML = v; // only our own constant SVG
        else if (k.slice(0, 2) === "on") node.addEventListener(k.slice(2), v);
        else node.setAttribute(k, v === true ? "" : v);
      }
    }
    (children || []).forEach(function (c) { if (c) node.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return node;
  }

  function mount() {
    var host = document.getElementById("bloonio-chat-widget");
    if (host) host.remove();
    host = document.createElement("div");
    host.id = "bloonio-chat-widget";
    host.setAttribute("data-bloonio-widget", "");
    host.style.cssText = "all:initial;position:fixed;z-index:2147483000;bottom:0;right:0;width:0;height:0;display:block;";
    var shadow = host.attachShadow({ mode: "open" });
    // A constructed stylesheet where the browser has them: no <style> element, so an embedding site's CSP needs no
    // 'unsafe-inline' for styles (docs/security.md lists what it needs).
    if (typeof CSSStyleSheet === "function" && "adoptedStyleSheets" in shadow && "replaceSync" in CSSStyleSheet.prototype) {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      shadow.adoptedStyleSheets = [sheet];
    } else {
      var style = document.createElement("style");
      style.textContent = CSS;
      shadow.appendChild(style);
    }

    ui = { host: host, shadow: shadow, items: new Map() };

    ui.input = el("textarea", {
      class: "input", "data-testid": "input", rows: "1", maxlength: String(MAX_TEXT), placeholder: T.placeholder,
      "aria-label": T.inputLabel, enterkeyhint: "send", autocomplete: "off",
      oninput: function () { autosize(); updateComposer(); onInputTyping(); },
      onkeydown: function (e) {
        if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) { e.preventDefault(); submit(); }
      },
      onblur: function () { stopTyping(); }
    });
    ui.count = el("span", { class: "count", "aria-live": "polite" });
    ui.send = el("button", { class: "send", type: "submit", "data-testid": "send", "aria-label": T.send, html: ICONS.send, disabled: true });
    ui.file = el("input", { type: "file", class: "file-input", "data-testid": "file-input", tabindex: "-1", "aria-hidden": "true",
      accept: "image/png,image/jpeg,image/gif,image/webp,application/pdf",
      onchange: function () { var f = ui.file.files && ui.file.files[0]; ui.file.value = ""; if (f) attachFile(f); } });
    ui.attach = el("button", { class: "attach", type: "button", "data-testid": "attach", "aria-label": T.attach, title: T.attach, html: ICONS.attach,
      onclick: function () { ui.file.click(); } });
    ui.composer = el("form", { class: "composer", onsubmit: function (e) { e.preventDefault(); submit(); } },
      [ui.attach, ui.file, el("div", { class: "field" }, [ui.input, ui.count]), ui.send]);

    ui.newConversation = el("button", { class: "primary", type: "button", "data-testid": "new-conversation", text: T.newConversation, onclick: startNewConversation });
    ui.stars = [1, 2, 3, 4, 5].map(function (n) {
      return el("button", { class: "star", type: "button", role: "radio", "aria-checked": "false", "aria-label": T.star(n),
        "data-testid": "star-" + n, text: "\u2605", onclick: function () { chooseStars(n); } });
    });
    ui.ratingComment = el("textarea", { "data-testid": "rating-comment", maxlength: "1000", placeholder: T.ratingComment, "aria-label": T.ratingComment });
    ui.ratingSend = el("button", { class: "primary", type: "button", "data-testid": "rating-send", text: T.ratingSend, disabled: true, onclick: sendRating });
    ui.ratingThanks = el("p", { "data-testid": "rating-thanks", role: "status", text: T.ratingThanks, hidden: true });
    ui.rating = el("div", { class: "rating", "data-testid": "rating" }, [
      el("p", { text: T.rate }), el("div", { class: "stars", role: "radiogroup", "aria-label": T.rate }, ui.stars), ui.ratingComment, ui.ratingSend, ui.ratingThanks]);
    ui.transcript = el("button", { class: "linkish", type: "button", "data-testid": "transcript", text: T.transcript, onclick: downloadTranscript });
    ui.ended = el("div", { class: "ended" }, [el("p", { text: T.ended }), ui.rating, ui.newConversation, el("div", {}, [ui.transcript])]);

    ui.list = el("div", {
      class: "list", "data-testid": "message-list", role: "log", "aria-live": "polite", "aria-relevant": "additions", "aria-label": T.conversation, tabindex: "0",
      onscroll: function () { stickToBottom = ui.list.scrollHeight - ui.list.scrollTop - ui.list.clientHeight < 60; }
    });
    ui.dock = el("div", { class: "dock" });
    ui.noticeText = el("span");
    ui.notice = el("div", { class: "notice", role: "alert" }, [ui.noticeText]);
    ui.queueText = el("span");
    ui.queue = el("div", { class: "queue", "data-testid": "queue-status", role: "status" }, [el("span", { class: "pulse", "aria-hidden": "true" }), ui.queueText]);
    ui.typingText = el("span");
    ui.typing = el("div", { class: "typing", "data-testid": "typing" }, [el("span", { class: "dots", "aria-hidden": "true" }, [el("i"), el("i"), el("i")]), ui.typingText]);
    ui.botTyping = el("div", { class: "typing", "data-testid": "bot-typing" }, [
      el("span", { class: "dots", "aria-hidden": "true" }, [el("i"), el("i"), el("i")]), el("span", { class: "sr-only", text: T.typing(T.assistant) })]);
    ui.humanText = el("span");
    ui.human = el("button", { class: "human", type: "button", "data-testid": "human", onclick: requestHuman }, [el("span", { html: ICONS.person }), ui.humanText]);
    // Nobody to talk to (outside hours, nobody online): say so, and take an email and a message instead of a queue.
    ui.awayText = el("p", { class: "away-text", "data-testid": "away" });
    ui.leave = el("button", { class: "human", type: "button", "data-testid": "leave-message", text: T.leaveMessage,
      onclick: function () { S.offlineOpen = true; render(); ui.offlineEmail.focus(); } });
    ui.offlineEmail = el("input", { type: "email", "data-testid": "offline-email", placeholder: T.offlineEmail, "aria-label": T.offlineEmail, maxlength: "254" });
    ui.offlineText = el("textarea", { "data-testid": "offline-text", placeholder: T.offlineText, "aria-label": T.offlineText, maxlength: String(MAX_TEXT) });
    ui.offlineSend = el("button", { class: "primary", type: "submit", "data-testid": "offline-send", text: T.offlineSend });
    ui.offlineThanks = el("p", { role: "status", "data-testid": "offline-thanks", hidden: true });
    ui.offlineForm = el("form", { class: "offline", onsubmit: function (e) { e.preventDefault(); sendOffline(); } },
      [ui.offlineEmail, ui.offlineText, ui.offlineSend, ui.offlineThanks]);
    ui.away = el("div", { class: "away" }, [ui.awayText, ui.leave, ui.offlineForm]);
    ui.dockOrder = [ui.notice, ui.queue, ui.typing, ui.botTyping, ui.human, ui.away];
    ui.avatar = el("div", { class: "avatar", "aria-hidden": "true" });
    ui.title = el("h2", { class: "title", id: "bloonio-title" });
    ui.subtitle = el("p", { class: "subtitle" });
    ui.endBtn = el("button", { class: "hbtn", type: "button", "aria-label": T.endConversation, title: T.endConversation, html: ICONS.end,
      onclick: function () { S.confirmEnd = !S.confirmEnd; render(); if (S.confirmEnd) ui.confirmYes.focus(); } });
    ui.closeBtn = el("button", { class: "hbtn", type: "button", "data-testid": "close", "aria-label": T.closeChat, title: T.closeChat, html: ICONS.down,
      onclick: function () { close(true); } });
    ui.header = el("div", { class: "header" }, [ui.avatar, el("div", { class: "titles" }, [ui.title, ui.subtitle]), el("div", { class: "hbtns" }, [ui.endBtn, ui.closeBtn])]);

    ui.confirmYes = el("button", { class: "danger", type: "button", text: T.endYes, onclick: endConversation });
    ui.confirm = el("div", { class: "bar bar-confirm", role: "group", "aria-label": T.endConfirm }, [
      el("span", { text: T.endConfirm }),
      el("div", null, [el("button", { class: "secondary", type: "button", text: T.cancel, onclick: function () { S.confirmEnd = false; render(); } }), ui.confirmYes])
    ]);
    ui.banner = el("div", { class: "bar bar-warn", role: "status" });
    ui.handover = el("div", { class: "bar bar-info", role: "status", "data-testid": "handover" });
    ui.unavailable = el("div", { class: "unavailable", role: "status", text: T.unavailable });
    ui.footer = el("div", { class: "footer", text: T.poweredBy });

    ui.panel = el("div", {
      class: "panel", id: "bloonio-panel", "data-testid": "panel", role: "dialog", "aria-label": DEFAULT_BRANDING.title, tabindex: "-1",
      dir: RTL[LANG] ? "rtl" : "ltr", lang: LANG,
      onkeydown: function (e) { if (e.key === "Escape" || e.key === "Esc") { e.stopPropagation(); close(true); } }
    }, [ui.header, ui.confirm, ui.banner, ui.handover, ui.list, ui.unavailable, ui.dock, ui.composer, ui.ended, ui.footer]);

    ui.badge = el("span", { class: "badge", "data-testid": "unread-badge", "aria-hidden": "true" });
    ui.launcher = el("button", {
      class: "launcher", type: "button", "data-testid": "launcher", "aria-label": T.openChat, "aria-expanded": "false", "aria-controls": "bloonio-panel",
      "aria-haspopup": "dialog", onclick: function () { toggle(); }
    }, [
      el("span", { class: "ico ico-chat", html: ICONS.chat }),
      el("span", { class: "ico ico-close", html: ICONS.close })
    ]);

    ui.root = el("div", { class: "root" }, [ui.panel, ui.launcher]);
    shadow.appendChild(ui.root);
    (document.body || document.documentElement).appendChild(host);
    applyBranding();
  }

  function applyBranding() {
    if (!ui) return;
    var b = S.branding;
    var p = isHex(b.primary_color) ? b.primary_color : DEFAULT_BRANDING.primary_color;
    var lum = luminance(p);
    var style = ui.root.style;
    style.setProperty("--p", p);
    style.setProperty("--on-p", lum > 0.45 ? "#0f172a" : "#ffffff");
    style.setProperty("--ink", lum > 0.3 ? mix(p, "#000000", 0.45) : p);
    style.setProperty("--p-soft", mix(p, "#ffffff", 0.1));
    style.setProperty("--p-ring", "rgba(" + rgb(p).join(",") + ",.28)");
    style.setProperty("--p-dark", mix(p, "#000000", 0.78));
    ui.root.classList.toggle("left", b.position === "left");
    ui.panel.setAttribute("aria-label", b.title || DEFAULT_BRANDING.title);
  }

  function autosize() {
    var i = ui.input;
    i.style.height = "auto";
    i.style.height = Math.min(i.scrollHeight + 2, 140) + "px";
  }

  function updateComposer() {
    var len = ui.input.value.length;
    ui.send.disabled = !ui.input.value.trim() || len > MAX_TEXT;
    ui.count.textContent = len > MAX_TEXT - 500 ? T.tooLong(len) : "";
    ui.count.classList.toggle("over", len >= MAX_TEXT);
  }

  function sendOffline() {
    var email = ui.offlineEmail.value.trim(), text = ui.offlineText.value.trim();
    if (!email || !text) { (email ? ui.offlineText : ui.offlineEmail).focus(); return; }
    ui.offlineSend.disabled = true;
    api("POST", "/api/v1/widget/offline-messages", { email: email, text: text }).then(function (data) {
      S.offlineSent = true;
      ui.offlineThanks.textContent = T.offlineThanks(data.email || email);
      ui.offlineThanks.hidden = false;
      ui.offlineEmail.hidden = true;
      ui.offlineText.hidden = true;
      ui.offlineSend.hidden = true;
      render();
    }, function (e) {
      ui.offlineThanks.textContent = T.offlineFailed;
      ui.offlineThanks.hidden = false;
      ui.offlineSend.disabled = false;
      log("offline message", "failed", e && e.message);
    });
  }

  function tapQuickReply(m, q) {
    if (S.status === "closed" || S.unavailable) return;
    queueMessage(q.label, { message_id: m.message_id, value: q.value || null });
  }

  function submit() {
    var text = ui.input.value.trim();
    if (!text || text.length > MAX_TEXT || S.status === "closed" || S.unavailable) return;
    ui.input.value = "";
    autosize();
    updateComposer();
    stopTyping();
    queueMessage(text);
  }

  function focusInput() {
    var fine = window.matchMedia && window.matchMedia("(pointer: fine)").matches;
    var target = S.status === "closed" ? ui.newConversation : fine ? ui.input : ui.panel;
    setTimeout(function () { try { target.focus({ preventScroll: true }); } catch (e) { target.focus(); } }, 30);
  }

  // ── rendering ─────────────────────────────────────────────────────────────────────────────────────────────────
  var renderQueued = false;

  function scheduleRender() {
    if (renderQueued) return;
    renderQueued = true;
    Promise.resolve().then(function () { renderQueued = false; render(); });
  }

  function operatorName() {
    return (S.operator && S.operator.display_name) || null;
  }

  function avatarNode(url, name, fallbackIcon) {
    var safe = url && safeUrl(url);
    if (safe) {
      var img = el("img", { src: safe, alt: "", referrerpolicy: "no-referrer", loading: "lazy" });
      img.addEventListener("error", function () {
        img.replaceWith(name ? document.createTextNode(initials(name)) : el("span", { html: fallbackIcon || ICONS.chat }));
      });
      return img;
    }
    return name ? document.createTextNode(initials(name)) : el("span", { html: fallbackIcon || ICONS.chat });
  }

  function render() {
    if (!ui) return;
    var b = S.branding;
    var closed = S.status === "closed";
    var assigned = S.status === "assigned";
    var opName = operatorName();

    // launcher + badge
    var unread = S.open ? 0 : unreadCount();
    renderTitle(unread);
    ui.handover.textContent = S.handover || "";
    showIf(ui.handover, !!S.handover && S.status === "assigned");
    ui.root.classList.toggle("open", S.open);
    ui.launcher.setAttribute("aria-expanded", String(S.open));
    ui.launcher.setAttribute("aria-label", S.open ? T.closeChat : unread ? T.openChat + ", " + T.unread(unread) : T.openChat);
    if (unread > 0) {
      ui.badge.textContent = unread > 9 ? "9+" : String(unread);
      if (!ui.badge.parentNode) ui.launcher.appendChild(ui.badge);
    } else if (ui.badge.parentNode) {
      ui.badge.remove();
    }
    ui.panel.setAttribute("aria-hidden", String(!S.open));

    // header
    ui.title.textContent = assigned && opName ? opName : b.title || DEFAULT_BRANDING.title;
    if (assigned && opName) ui.title.setAttribute("data-testid", "operator-name"); else ui.title.removeAttribute("data-testid");
    var avatarKey = assigned && opName ? "op:" + opName + ":" + ((S.operator && S.operator.avatar_url) || "") : "brand:" + (b.avatar_url || "");
    if (ui.avatarKey !== avatarKey) {
      ui.avatarKey = avatarKey;
      ui.avatar.textContent = "";
      if (assigned && opName) {
        ui.avatar.appendChild(avatarNode(S.operator.avatar_url, opName));
        ui.avatar.appendChild(el("span", { class: "dot" }));
      } else {
        ui.avatar.appendChild(avatarNode(b.avatar_url, null, S.flags.bot ? ICONS.chat : ICONS.person));
      }
    }
    var subtitle = closed ? T.subtitleClosed
      : assigned && opName ? (b.title || DEFAULT_BRANDING.title) + " · " + T.online
      : S.status === "waiting" ? T.subtitleWaiting
      : S.flags.bot && !(S.session && S.session.mode === "human") ? T.subtitleBot : T.subtitleHuman;
    if (ui.subtitle.textContent !== subtitle) ui.subtitle.textContent = subtitle;
    showIf(ui.endBtn, !!S.session && !closed && S.connected);

    // bars
    showIf(ui.confirm, S.confirmEnd && !closed);
    var reconnecting = S.session && !S.connected && !closed && S.disconnectedAt && Date.now() - S.disconnectedAt > 1500;
    var connecting = !S.session && sessionOpening && !S.unavailable;
    var bannerText = reconnecting ? T.reconnecting : connecting ? T.connecting : "";
    if (bannerText && ui.bannerText !== bannerText) {
      ui.bannerText = bannerText;
      ui.banner.textContent = "";
      ui.banner.appendChild(el("span", { class: "spinner", "aria-hidden": "true" }));
      ui.banner.appendChild(document.createTextNode(bannerText));
    }
    showIf(ui.banner, !!(reconnecting || connecting));
    showIf(ui.unavailable, S.unavailable);
    showIf(ui.list, !S.unavailable);

    renderMessages();
    renderDock(opName);

    showIf(ui.composer, !closed && !S.unavailable);
    showIf(ui.attach, !!(S.flags && S.flags.attachments));
    showIf(ui.ended, closed);
    ui.input.disabled = S.unavailable;
    // Follow the conversation unless the visitor scrolled up to read.
    if (S.open && stickToBottom) ui.list.scrollTop = ui.list.scrollHeight;
  }

  function showIf(node, on) {
    if (on) node.removeAttribute("hidden"); else node.setAttribute("hidden", "");
    node.style.display = on ? "" : "none";
  }

  /** Puts node in parent at its place (after the nodes before it in `order`) or takes it out; the rest is untouched. */
  function place(parent, node, on) {
    if (!on) { if (node.parentNode) node.remove(); return; }
    if (node.parentNode === parent) return;
    var order = ui.dockOrder, idx = order.indexOf(node), before = null;
    for (var i = idx + 1; i < order.length; i++) { if (order[i].parentNode === parent) { before = order[i]; break; } }
    parent.insertBefore(node, before);
  }

  function setText(node, text) { if (node.textContent !== text) node.textContent = text; }

  function renderDock(opName) {
    var closed = S.status === "closed";

    if (S.notice) setText(ui.noticeText, S.notice);
    place(ui.dock, ui.notice, !!S.notice);

    var waiting = S.status === "waiting";
    if (waiting) {
      var q = S.queue || {};
      setText(ui.queueText, q.position ? T.queue(q.position) + (q.eta ? " · " + T.eta(q.eta) : "") : T.queueUnknown);
    }
    place(ui.dock, ui.queue, waiting);

    var typing = !closed && !!S.remoteTyping;
    if (typing) setText(ui.typingText, T.typing(S.remoteTyping.type === "bot" ? T.assistant : opName || S.remoteTyping.name || T.agent));
    place(ui.dock, ui.typing, typing);
    place(ui.dock, ui.botTyping, !typing && !closed && S.status === "open" && S.botWaitUntil > Date.now());

    var human = !!S.flags.human_handoff && (S.status === "open" || S.status === null) && !S.unavailable;
    var a = S.availability;
    var away = human && !!a && (!a.open || !a.operators_online);
    if (away) {
      var when = a.next_open_at ? new Date(a.next_open_at).toLocaleString(LANG, { weekday: "long", hour: "numeric", minute: "2-digit" }) : null;
      setText(ui.awayText, T.away(!a.open ? when : null));
      ui.leave.style.display = S.offlineOpen || S.offlineSent ? "none" : "";
      ui.offlineForm.style.display = S.offlineOpen ? "" : "none";
      // Outside hours nobody will take the queue: only the message. Within hours with nobody online yet, both: someone
      // may come online, or the visitor may prefer to leave a message.
      if (!a.open || S.offlineOpen || S.offlineSent) human = false;
    }
    place(ui.dock, ui.away, away);
    if (human) {
      ui.human.disabled = S.humanPending;
      setText(ui.humanText, S.humanPending ? T.requesting : T.talkToHuman);
    }
    place(ui.dock, ui.human, human);
    ui.dock.style.display = ui.dock.firstChild ? "" : "none";
  }

  /** Reconciles the message list with the state: one element per message (by client_message_id or seq), in order. */
  function renderMessages() {
    var list = ui.list;
    var items = [];
    var b = S.branding;

    if (b.greeting) items.push({ key: "greeting", greeting: true, type: "bot", text: b.greeting });
    sortedMessages().forEach(function (m) {
      items.push({ key: m.client_message_id ? "c:" + m.client_message_id : "s:" + m.seq, m: m, type: (m.sender && m.sender.type) || "system", text: m.text });
    });
    S.outbox.forEach(function (o) {
      var text = o.text || (o.attachments || []).map(function (a) { return a.name; }).join(", ");
      items.push({ key: "c:" + o.client_message_id, o: o, type: "visitor", text: text });
    });

    var lastVisitor = null;
    for (var i = items.length - 1; i >= 0; i--) { if (items[i].type === "visitor") { lastVisitor = items[i]; break; } }

    var seen = new Set();
    var cursor = list.firstChild;
    items.forEach(function (item, idx) {
      seen.add(item.key);
      var prev = items[idx - 1], next = items[idx + 1];
      var who = function (it) { return it ? it.type + "|" + (it.type === "operator" && it.m && it.m.sender ? it.m.sender.id || it.m.sender.display_name : "") : null; };
      var first = !prev || who(prev) !== who(item) || item.type === "system";
      var last = !next || who(next) !== who(item) || item.type === "system";
      var node = ui.items.get(item.key);
      if (!node) {
        node = createMessageNode(item);
        ui.items.set(item.key, node);
      }
      updateMessageNode(node, item, first, last, item === lastVisitor);
      if (node !== cursor) list.insertBefore(node, cursor);
      else cursor = cursor.nextSibling;
    });
    ui.items.forEach(function (node, key) {
      if (!seen.has(key)) { node.remove(); ui.items.delete(key); }
    });

  }

  function createMessageNode(item) {
    var type = item.type;
    var node = el("div", { class: "msg " + type + (item.greeting ? " greeting" : "") });
    if (item.greeting) node.setAttribute("data-testid", "greeting");
    else { node.setAttribute("data-testid", "message"); node.setAttribute("data-sender", type); }

    if (type === "bot" || type === "operator") {
      var label = el("div", { class: "msg-label" });
      node.appendChild(label);
    }
    var bubble = el("div", { class: "bubble" });
    appendRich(bubble, item.text || "");
    var avatar = el("div", { class: "msg-avatar", "aria-hidden": "true" });
    node.appendChild(el("div", { class: "msg-row" }, [avatar, bubble]));
    // A bot's sources as links under its answer; quick replies as buttons (shown while this is the newest message).
    var sources = item.m && item.m.sources;
    if (sources && sources.length) {
      node.appendChild(el("div", { class: "sources", "data-testid": "sources" }, sources.map(function (s) {
        return s.url && /^https?:\/\//i.test(s.url)
          ? el("a", { href: s.url, target: "_blank", rel: "noopener noreferrer", text: s.title })
          : el("span", { text: s.title });
      })));
    }
    var files = (item.m && item.m.attachments) || (item.o && item.o.attachments);
    if (files && files.length) {
      node.appendChild(el("div", { class: "files", "data-testid": "attachments" }, files.map(fileNode)));
      // A message that is only files reads as their names (transcripts, search): the files say it here.
      if ((item.text || "") === files.map(function (a) { return a.name; }).join(", ")) bubble.style.display = "none";
    }
    var replies = item.m && item.m.quick_replies;
    if (replies && replies.length) {
      node._quick = el("div", { class: "quick", "data-testid": "quick-replies", role: "group" }, replies.map(function (q) {
        return el("button", { type: "button", class: "chip", "data-testid": "quick-reply", text: q.label,
          onclick: function () { tapQuickReply(item.m, q); } });
      }));
      node.appendChild(node._quick);
    }
    node.appendChild(el("div", { class: "meta" }));
    node._bubble = bubble;
    node._avatar = avatar;
    node._metaKey = null;
    return node;
  }

  /** An image as its thumbnail (opening the original), any other file as a link with its name. */
  function fileNode(a) {
    var link = el("a", { class: "file", target: "_blank", rel: "noopener noreferrer", "data-testid": "attachment", title: T.openFile(a.name),
      "aria-label": T.openFile(a.name) });
    if (a.thumbnail) {
      var img = el("img", { class: "thumb", alt: a.name, "data-testid": "attachment-thumbnail" });
      if (a.width && a.height) { img.width = Math.min(220, a.width); img.height = Math.round(img.width * a.height / a.width); }
      link.appendChild(img);
    } else {
      link.appendChild(el("span", { class: "file-name", text: a.name }));
    }
    fileLink(a.attachment_id).then(function (l) {
      link.href = BASE + l.url;
      if (img && l.thumbnail_url) img.src = BASE + l.thumbnail_url;
    }, function (e) { log("attachment link", e && e.message); });
    return link;
  }

  function attachFile(file) {
    showNotice(T.uploading(file.name));
    uploadFile(file).then(function (sent) {
      if (S.notice === T.uploading(file.name)) { clearTimeout(noticeTimer); S.notice = null; }
      queueMessage("", null, [sent]);
    }, function (e) {
      showNotice((e && e.message) || T.errors.generic);
    });
  }

  function senderName(item) {
    if (item.type === "bot") return item.greeting ? (S.config && S.config.name) || T.assistant : T.assistant;
    if (item.type === "operator") return (item.m && item.m.sender && item.m.sender.display_name) || operatorName() || T.agent;
    return "";
  }

  function updateMessageNode(node, item, first, last, isLastVisitor) {
    var type = item.type;
    node.classList.toggle("first", first);
    node.classList.toggle("last", last);
    node.classList.toggle("pending", !!item.o && item.o.state !== "failed");
    node.classList.toggle("failed", !!item.o && item.o.state === "failed");
    if (item.m) { node.setAttribute("data-seq", String(item.m.seq)); node.removeAttribute("data-pending"); }
    else if (item.o) { node.removeAttribute("data-seq"); node.setAttribute("data-pending", "true"); }

    if (node._quick) node._quick.style.display = item.m && item.m.seq === S.lastSeq && !S.outbox.length && S.status !== "closed" ? "" : "none";
    var created = (item.m && item.m.created_at) || (item.o && item.o.created_at);
    if (created && node._bubble.title !== created) node._bubble.title = new Date(created).toLocaleString();

    var label = node.querySelector(".msg-label");
    if (label) {
      var name = senderName(item);
      var labelKey = first + "|" + name;
      if (label._key !== labelKey) {
        label._key = labelKey;
        label.textContent = "";
        label.style.display = first ? "" : "none";
        label.appendChild(document.createTextNode(name));
        if (type === "bot" && !item.greeting) label.appendChild(el("span", { class: "tag", text: T.botTag }));
      }
    }
    if (type === "bot" || type === "operator") {
      var avKey = type === "bot" ? "bot" : "op:" + senderName(item) + ":" + ((S.operator && S.operator.avatar_url) || "");
      if (node._avatar._key !== avKey) {
        node._avatar._key = avKey;
        node._avatar.textContent = "";
        if (type === "bot") node._avatar.appendChild(avatarNode(S.branding.avatar_url, null, ICONS.bot));
        else node._avatar.appendChild(avatarNode(S.operator && S.operator.display_name === senderName(item) ? S.operator.avatar_url : null, senderName(item)));
      }
    }

    // meta: time on the last of a group; the visitor's last message also says Sending… / Sent / Read
    var meta = node.lastChild;
    var state = item.o ? item.o.state : "acked";
    var read = !!item.m && type === "visitor" && isLastVisitor && S.readSeq >= item.m.seq;
    var showMeta = type !== "system" && !item.greeting && (last || !!item.o);
    var metaKey = [showMeta, state, item.o && item.o.error, isLastVisitor, read, created].join("|");
    if (node._metaKey === metaKey) return;
    node._metaKey = metaKey;
    meta.textContent = "";
    meta.style.display = showMeta ? "" : "none";
    if (!showMeta) return;
    if (item.o && state === "failed") {
      meta.appendChild(el("span", { class: "err", text: (item.o.error || T.notSent) + " " }));
      if (S.status !== "closed") meta.appendChild(el("button", { class: "linkbtn", type: "button", text: T.retry, onclick: function () { retry(item.o); } }));
      return;
    }
    if (item.o) {
      meta.appendChild(el("span", { html: ICONS.clock, class: "ico-clock" }));
      meta.appendChild(el("span", { text: T.sending }));
      return;
    }
    var t = timeOf(created);
    if (t) meta.appendChild(el("span", { text: t }));
    if (type === "visitor" && isLastVisitor) {
      if (t) meta.appendChild(el("span", { text: "·", "aria-hidden": "true" }));
      if (read) {
        meta.appendChild(el("span", { class: "receipt-read", "data-testid": "read-receipt" }, [el("span", { html: ICONS.check }), T.read]));
      } else {
        meta.appendChild(el("span", { text: T.sent }));
      }
    }
  }

  /** Text with http(s) links made clickable; never HTML from the message. */
  function appendRich(node, text) {
    var re = /\bhttps?:\/\/[^\s<>"']+/gi;
    var last = 0, m;
    while ((m = re.exec(text))) {
      var url = m[0].replace(/[.,;:!?)\]]+$/, "");
      node.appendChild(document.createTextNode(text.slice(last, m.index)));
      var a = el("a", { href: url, target: "_blank", rel: "noopener noreferrer nofollow", text: url });
      node.appendChild(a);
      last = m.index + url.length;
      re.lastIndex = last;
    }
    node.appendChild(document.createTextNode(text.slice(last)));
  }

  // The host page's title carries the unread count while the panel is closed ("(2) Page"), and is put back after.
  var baseTitle = null;
  function renderTitle(unread) {
    if (baseTitle === null) baseTitle = document.title;
    var wanted = unread ? "(" + unread + ") " + baseTitle : baseTitle;
    if (document.title !== wanted) {
      if (!/^\(\d+\) /.test(document.title)) baseTitle = document.title; // the page changed its own title meanwhile
      document.title = unread ? "(" + unread + ") " + baseTitle : baseTitle;
    }
  }

  // ── open / close ──────────────────────────────────────────────────────────────────────────────────────────────
  function open() {
    if (!ui) { pendingOpen = true; return; }
    if (S.open) return;
    S.open = true;
    stickToBottom = true;
    persist();
    render();
    ui.list.scrollTop = ui.list.scrollHeight;
    focusInput();
    if (!S.unavailable) ensureSession().then(connect, function () {});
    markSeen();
  }

  function close(returnFocus) {
    if (!ui || !S.open) return;
    S.open = false;
    S.confirmEnd = false;
    stopTyping();
    persist();
    render();
    if (returnFocus) ui.launcher.focus();
  }

  function toggle() { if (S.open) close(false); else open(); }

  var pendingOpen = false;

  window.BloonioChat = {
    __bloonio: true,
    open: open,
    close: function () { close(false); },
    toggle: toggle,
    state: function () {
      return {
        session_id: S.session ? S.session.session_id : null,
        status: S.status,
        last_seq: S.lastSeq,
        connected: S.connected,
        open: S.open,
        unread: unreadCount(),
        pending: S.outbox.length
      };
    }
  };

  // ── boot ──────────────────────────────────────────────────────────────────────────────────────────────────────
  function boot() {
    restore();
    loadSignalR().catch(function () {}); // warm up in parallel

    var config = api("GET", API_CONFIG).then(function (data) {
      S.config = data;
      S.branding = assign({}, DEFAULT_BRANDING, data && data.branding);
      S.availability = (data && data.availability) || null;
      S.flags = assign({}, DEFAULT_FLAGS, data && data.feature_flags);
      return true;
    }, function (e) {
      if (e.status === 403 && e.code === "origin_not_allowed" && SAME_ORIGIN) {
        // A same-origin GET carries no Origin header, which the relay asks for: keep going with default branding.
        console.warn("[Bloonio] widget config refused without an Origin header (same-origin page); using the default look");
        return true;
      }
      if (e.status === 401 || e.status === 403) {
        console.error("[Bloonio] the widget is disabled: " + (e.code || e.status) + " — " + e.message);
        return false;
      }
      return true; // relay unreachable: draw with the defaults, the session retries on its own
    });

    config.then(function (ok) {
      if (!ok) { window.BloonioChat.state = function () { return { session_id: null, status: null, last_seq: 0, connected: false }; }; return; }
      useLanguage(chooseLanguage(S.branding.language));
      if (S.branding.greetings && S.branding.greetings[LANG]) S.branding.greeting = S.branding.greetings[LANG];
      mount();
      render();
      // Resume at once (replies since the last visit show as unread), and deliver what waited in the outbox.
      if (S.resumeToken || S.outbox.some(function (o) { return o.state === "queued"; })) ensureSession().then(connect, function () {});
      if (pendingOpen) open();
    });

    document.addEventListener("visibilitychange", function () { if (isPageVisible()) markSeen(); else stopTyping(); });
    window.addEventListener("online", function () { if (S.session && !S.conn) connect(); });
    window.addEventListener("storage", function (e) {
      // Another tab started a new conversation: follow it.
      if (e.key !== STORE_KEY || !e.newValue) return;
      try {
        var d = JSON.parse(e.newValue);
        if (d.session_id && S.knownSessionId && d.session_id !== S.knownSessionId && d.resume_token) {
          stopConnection();
          S.session = null;
          S.resumeToken = d.resume_token;
          ensureSession().then(connect, function () {});
        }
      } catch (err) { /* ignore */ }
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
  else boot();
})();
