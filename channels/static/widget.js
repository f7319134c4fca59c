/*
 * Balcão chat widget. Embed with one tag, no framework or build step:
 *
 *   <script src="https://your-server/static/widget.js"
 *           data-server="https://your-server" data-language="en"
 *           data-title="Help" data-open="false"
 *           data-customer-id="C00042" data-identifier-hash="<hex HMAC-SHA256 of it>" defer></script>
 *
 * Talks to the server over a WebSocket (/ws). Keeps the session id in
 * localStorage, replays history on reconnect, queues messages typed while
 * offline (sent once: the server de-duplicates by client message id).
 *
 * When the customer logs out of the host site, call Balcao.logout() (also
 * BalcaoWidget.logout()): it forgets the stored session and starts a fresh one, so
 * the next person at this browser does not continue the conversation. A stored session
 * made under another data-customer-id is dropped on load too.
 * Every text is rendered with textContent: nothing from the network is HTML.
 */
(function () {
  "use strict";
  if (window.BalcaoWidget) return;

  var script = document.currentScript || document.querySelector("script[src*='widget.js']");
  var data = (script && script.dataset) || {};
  var serverUrl = (data.server || (script ? new URL(script.src, location.href).origin : location.origin)).replace(/\/$/, "");
  var storageKey = "balcao:" + serverUrl;
  var language = data.language || (document.documentElement.lang || "en").slice(0, 2);
  var LABELS = {
    en: { title: "Help", placeholder: "Type your question…", send: "Send", open: "Chat with us", close: "Close chat", offline: "Reconnecting…", typing: "Assistant is typing", you: "You", bot: "Assistant", agent: "Agent",
          queue: "You are number {n} in the queue", wait: " (about {m} min)", helpful: "Helpful", unhelpful: "Not helpful", suggest: "How should we have answered? (optional)", thanks: "Thanks for the feedback" },
    pt: { title: "Ajuda", placeholder: "Escreva a sua pergunta…", send: "Enviar", open: "Fale connosco", close: "Fechar conversa", offline: "A ligar novamente…", typing: "O assistente está a escrever", you: "Você", bot: "Assistente", agent: "Agente",
          queue: "Está em {n}.º lugar na fila", wait: " (cerca de {m} min)", helpful: "Útil", unhelpful: "Não foi útil", suggest: "Como devíamos ter respondido? (opcional)", thanks: "Obrigado pela opinião" },
    es: { title: "Ayuda", placeholder: "Escribe tu pregunta…", send: "Enviar", open: "Chatea con nosotros", close: "Cerrar chat", offline: "Reconectando…", typing: "El asistente está escribiendo", you: "Tú", bot: "Asistente", agent: "Agente",
          queue: "Eres el número {n} en la cola", wait: " (unos {m} min)", helpful: "Útil", unhelpful: "No me ha servido", suggest: "¿Cómo deberíamos haber respondido? (opcional)", thanks: "Gracias por tu opinión" }
  };
  var L = LABELS[language] || LABELS.en;

  // ---- persistent state -------------------------------------------------
  function load() {
    try { return JSON.parse(localStorage.getItem(storageKey)) || {}; } catch (e) { return {}; }
  }
  function save() {
    try {
      localStorage.setItem(storageKey, JSON.stringify({ sessionId: state.sessionId, customerId: data.customerId || null, outbox: state.outbox, open: state.open }));
    } catch (e) { /* storage full or disabled: the widget still works for this page */ }
  }
  var saved = load();
  if (saved.sessionId && (saved.customerId || null) !== (data.customerId || null)) {
    saved = { open: saved.open };  // someone else's conversation: not resumed here
  }
  var state = {
    sessionId: saved.sessionId || null,
    outbox: saved.outbox || [],      // [{id, text, payload}] not yet acknowledged
    open: saved.open != null ? saved.open : data.open === "true",
    seen: {},                        // seq -> true, messages already shown
    ws: null, ready: false, retry: 0
  };

  // ---- DOM --------------------------------------------------------------
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text != null) node.textContent = text;
    return node;
  }
  var css = el("link");
  css.rel = "stylesheet";
  css.href = serverUrl + "/static/widget.css";
  document.head.appendChild(css);

  var root = el("div", "balcao-widget");
  root.setAttribute("data-state", "closed");
  var launcher = el("button", "balcao-launcher", L.open);
  launcher.type = "button";
  launcher.setAttribute("aria-expanded", "false");
  launcher.setAttribute("aria-controls", "balcao-panel");
  var panel = el("section", "balcao-panel");
  panel.id = "balcao-panel";
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", data.title || L.title);
  panel.hidden = true;
  var header = el("header", "balcao-header");
  header.appendChild(el("h2", "balcao-title", data.title || L.title));
  var status = el("span", "balcao-status", "");
  status.setAttribute("role", "status");
  header.appendChild(status);
  var closeBtn = el("button", "balcao-close", "×");
  closeBtn.type = "button";
  closeBtn.setAttribute("aria-label", L.close);
  header.appendChild(closeBtn);
  var log = el("ol", "balcao-log");
  log.setAttribute("aria-live", "polite");
  log.setAttribute("aria-relevant", "additions");
  log.setAttribute("tabindex", "0");
  var typing = el("div", "balcao-typing");
  typing.setAttribute("aria-label", L.typing);
  typing.hidden = true;
  for (var i = 0; i < 3; i++) typing.appendChild(el("span", "balcao-dot"));
  var form = el("form", "balcao-form");
  var input = el("textarea", "balcao-input");
  input.rows = 1;
  input.placeholder = L.placeholder;
  input.setAttribute("aria-label", L.placeholder);
  input.maxLength = 2000;
  var send = el("button", "balcao-send", L.send);
  send.type = "submit";
  form.appendChild(input);
  form.appendChild(send);
  panel.appendChild(header);
  panel.appendChild(log);
  panel.appendChild(typing);
  panel.appendChild(form);
  root.appendChild(panel);
  root.appendChild(launcher);

  function setOpen(open) {
    state.open = open;
    panel.hidden = !open;
    root.setAttribute("data-state", open ? "open" : "closed");
    launcher.setAttribute("aria-expanded", String(open));
    save();
    if (open) { input.focus(); scroll(); }
  }
  launcher.addEventListener("click", function () { setOpen(!state.open); });
  closeBtn.addEventListener("click", function () { setOpen(false); launcher.focus(); });
  panel.addEventListener("keydown", function (e) {
    if (e.key === "Escape") { setOpen(false); launcher.focus(); }
  });
  var typingSent = 0;
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); form.requestSubmit ? form.requestSubmit() : submit(); return; }
    var now = Date.now();
    if (state.ready && now - typingSent > 2000) {  // tell the agent, at most every 2 s
      typingSent = now;
      state.ws.send(JSON.stringify({ type: "typing", on: true }));
    }
  });
  form.addEventListener("submit", function (e) { e.preventDefault(); submit(); });

  function scroll() { log.scrollTop = log.scrollHeight; }

  // ---- rendering (text only) ---------------------------------------------
  function renderMessage(msg) {
    var key = msg.seq ? "s" + msg.seq : (msg.id ? "c" + msg.id : null);
    if (msg.seq && state.seen["s" + msg.seq]) return;
    // our own message shown while pending: attach its seq instead of a copy
    if (msg.id && state.seen["c" + msg.id]) {
      var pending = state.seen["c" + msg.id];
      if (pending.nodeType) {
        pending.classList.remove("balcao-pending");
        if (msg.seq) { state.seen["s" + msg.seq] = true; pending.dataset.seq = msg.seq; }
      }
      return;
    }
    var role = msg.role || "bot";
    var item = el("li", "balcao-msg balcao-" + role);
    if (msg.seq) item.dataset.seq = msg.seq;
    var who = el("span", "balcao-who", (role === "user" ? L.you : role === "agent" ? (msg.name || L.agent) : L.bot) + ": ");
    if (role === "agent" && msg.name) item.appendChild(el("span", "balcao-agent-name", msg.name));
    item.appendChild(who);
    if (msg.text) item.appendChild(role === "bot" ? renderMarkdown(msg.text) : el("p", "balcao-text", msg.text));
    if (msg.custom && msg.custom.type === "card") item.appendChild(renderCard(msg.custom));
    if (msg.buttons && msg.buttons.length) item.appendChild(renderButtons(msg.buttons));
    if (role === "bot" && msg.entry && msg.seq) item.appendChild(renderRating(msg.entry, msg.seq));
    log.appendChild(item);
    if (key) state.seen[key] = msg.seq ? true : item;
    if (msg.pending) item.classList.add("balcao-pending");
    scroll();
    return item;
  }
  // A small Markdown subset (paragraphs, "- " lists, **bold**, *italic*, [text](https://...)),
  // built node by node: text always goes through textContent, never innerHTML.
  function renderMarkdown(text) {
    var box = el("div", "balcao-text");
    var list = null;
    text.split(/\n/).forEach(function (line) {
      var item = /^\s*(?:[-*]|\d+[.)])\s+(.*)$/.exec(line);
      if (item) {
        if (!list) { list = el("ul", "balcao-list"); box.appendChild(list); }
        var li = el("li");
        inline(li, item[1]);
        list.appendChild(li);
        return;
      }
      list = null;
      if (!line.trim()) return;
      var p = el("p");
      inline(p, line.replace(/^#+\s*/, ""));
      box.appendChild(p);
    });
    return box;
  }
  function inline(parent, text) {
    var pattern = /\*\*([^*]+)\*\*|\*([^*]+)\*|\[([^\]]+)\]\((https?:\/\/[^\s)]+|mailto:[^\s)]+)\)/g;
    var last = 0, m;
    while ((m = pattern.exec(text))) {
      if (m.index > last) parent.appendChild(document.createTextNode(text.slice(last, m.index)));
      if (m[1]) parent.appendChild(el("strong", null, m[1]));
      else if (m[2]) parent.appendChild(el("em", null, m[2]));
      else {
        var a = el("a", null, m[3]);
        a.href = m[4]; a.target = "_blank"; a.rel = "noopener noreferrer";
        parent.appendChild(a);
      }
      last = pattern.lastIndex;
    }
    if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
  }

  function renderRating(entry, seq) {
    var box = el("div", "balcao-rating");
    var up = el("button", "balcao-thumb", "👍");
    var down = el("button", "balcao-thumb", "👎");
    up.type = down.type = "button";
    up.setAttribute("aria-label", L.helpful);
    down.setAttribute("aria-label", L.unhelpful);
    function done() { box.textContent = ""; box.appendChild(el("span", "balcao-rated", L.thanks)); }
    up.addEventListener("click", function () { sendFeedback(entry, seq, true, null); done(); });
    down.addEventListener("click", function () {
      box.textContent = "";
      var form = el("form", "balcao-suggest");
      var field = el("input", "balcao-suggest-input");
      field.placeholder = L.suggest;
      field.setAttribute("aria-label", L.suggest);
      field.maxLength = 2000;
      var ok = el("button", "balcao-button", L.send);
      ok.type = "submit";
      form.appendChild(field);
      form.appendChild(ok);
      form.addEventListener("submit", function (e) {
        e.preventDefault();
        sendFeedback(entry, seq, false, field.value.trim() || null);
        done();
      });
      box.appendChild(form);
      field.focus();
    });
    box.appendChild(up);
    box.appendChild(down);
    return box;
  }
  function sendFeedback(entry, seq, helpful, suggestion) {
    if (!state.ready) return;
    var frame = { type: "feedback", entry: entry, seq: seq, helpful: helpful };
    if (suggestion) frame.suggestion = suggestion;
    state.ws.send(JSON.stringify(frame));
  }

  function renderCard(card) {
    var box = el("div", "balcao-card");
    if (card.title) box.appendChild(el("strong", "balcao-card-title", card.title));
    if (card.subtitle) box.appendChild(el("span", "balcao-card-subtitle", card.subtitle));
    (card.fields || []).forEach(function (f) {
      var row = el("div", "balcao-card-field");
      row.appendChild(el("span", "balcao-card-label", f.label));
      row.appendChild(el("span", "balcao-card-value", f.value));
      box.appendChild(row);
    });
    if (card.url && /^https?:\/\//.test(card.url)) {
      var a = el("a", "balcao-card-link", card.link_text || card.url);
      a.href = card.url; a.target = "_blank"; a.rel = "noopener noreferrer";
      box.appendChild(a);
    }
    return box;
  }
  function renderButtons(buttons) {
    var group = el("div", "balcao-buttons");
    group.setAttribute("role", "group");
    buttons.forEach(function (b) {
      var btn = el("button", "balcao-button", b.title);
      btn.type = "button";
      btn.addEventListener("click", function () {
        group.querySelectorAll("button").forEach(function (x) { x.disabled = true; });
        post(b.title, b.payload);
      });
      group.appendChild(btn);
    });
    return group;
  }

  // ---- sending ----------------------------------------------------------
  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "m" + Date.now().toString(36) + Math.random().toString(36).slice(2, 10);
  }
  function submit() {
    var text = input.value.trim();
    if (!text) return;
    input.value = "";
    post(text, null);
  }
  function post(text, payload) {
    var msg = { id: newId(), text: text };
    if (payload) msg.payload = payload;
    state.outbox.push(msg);
    save();
    renderMessage({ role: "user", text: text, id: msg.id, pending: true });
    flush();
  }
  function flush() {
    if (!state.ready) return;
    state.outbox.forEach(function (m) {
      var frame = { type: "message", id: m.id, text: m.text };
      if (m.payload) frame.payload = m.payload;
      state.ws.send(JSON.stringify(frame));
    });
  }
  function acknowledge(id) {
    state.outbox = state.outbox.filter(function (m) { return m.id !== id; });
    save();
  }

  // ---- connection -------------------------------------------------------
  function connect() {
    var url = serverUrl.replace(/^http/, "ws") + "/ws";
    var ws = new WebSocket(url);
    state.ws = ws;
    ws.onopen = function () {
      state.retry = 0;
      var hello = { type: "hello", session_id: state.sessionId, language: language };
      if (data.customerId && data.identifierHash) {
        hello.metadata = { customer_id: data.customerId, identifier_hash: data.identifierHash };
      }
      ws.send(JSON.stringify(hello));
    };
    ws.onmessage = function (event) {
      var frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      handle(frame);
    };
    ws.onclose = function () {
      if (state.ws !== ws) return;  // replaced (logout): no reconnect from this one
      state.ready = false;
      root.setAttribute("data-connection", "offline");
      status.textContent = L.offline;
      typing.hidden = true;
      var delay = Math.min(10000, 500 * Math.pow(2, state.retry++)) + Math.random() * 300;
      setTimeout(connect, delay);
    };
  }
  function handle(frame) {
    switch (frame.type) {
      case "welcome":
        if (state.sessionId && frame.session_id !== state.sessionId) {
          // the server did not know our session: start over cleanly
          log.textContent = "";
          state.seen = {};
        }
        state.sessionId = frame.session_id;
        save();
        if (!log.querySelector(".balcao-greeting")) {
          var greet = renderMessage({ role: "bot", text: frame.greeting });
          greet.classList.add("balcao-greeting");
        }
        (frame.history || []).forEach(renderMessage);
        state.outbox.forEach(function (m) {
          if (!state.seen["c" + m.id]) renderMessage({ role: "user", text: m.text, id: m.id, pending: true });
        });
        state.ready = true;
        root.setAttribute("data-connection", "online");
        status.textContent = "";
        flush();
        break;
      case "reset":  // the conversation was erased: forget it here too, then reconnect fresh
        state.sessionId = null;
        state.outbox = [];
        state.seen = {};
        log.textContent = "";
        save();
        break;
      case "message":
        if (frame.role === "agent") { typing.hidden = true; status.textContent = ""; }
        renderMessage(frame);
        break;
      case "ack":
        acknowledge(frame.id);
        var node = state.seen["c" + frame.id];
        if (node && node.nodeType) {
          node.classList.remove("balcao-pending");
          if (frame.seq) { node.dataset.seq = frame.seq; state.seen["s" + frame.seq] = true; }
        }
        break;
      case "typing":
        typing.hidden = !frame.on;
        typing.setAttribute("aria-label", frame.who === "agent" ? L.agent : L.typing);
        if (frame.on) scroll();
        break;
      case "queue":
        var line = L.queue.replace("{n}", frame.position);
        if (frame.wait_s != null) line += L.wait.replace("{m}", Math.max(1, Math.round(frame.wait_s / 60)));
        status.textContent = line;
        break;
      case "error":
        if (frame.code === "rate_limited") {
          // keep the message in the outbox and send it again in a while: nothing typed is lost
          if (!state.retryTimer) state.retryTimer = setTimeout(function () { state.retryTimer = null; flush(); }, 15000);
        } else if (frame.id) {
          acknowledge(frame.id);
        }
        renderMessage({ role: "error", text: frame.message });
        break;
    }
  }

  function start() {
    document.body.appendChild(root);
    setOpen(state.open);
    connect();
  }
  // The host site's logout: forget this browser's conversation and start a fresh one.
  function logout() {
    var old = state.ws;
    state.ws = null;
    state.ready = false;
    if (old) old.close();
    state.sessionId = null;
    state.outbox = [];
    state.seen = {};
    log.textContent = "";
    typing.hidden = true;
    status.textContent = "";
    try { localStorage.removeItem(storageKey); } catch (e) { /* storage disabled */ }
    save();
    connect();
  }
  window.BalcaoWidget = window.Balcao = {
    open: function () { setOpen(true); }, close: function () { setOpen(false); }, logout: logout
  };
  if (document.body) start(); else document.addEventListener("DOMContentLoaded", start);
})();
