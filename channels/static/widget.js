/*
 * Balcão chat widget. Embed with one tag, no framework or build step:
 *
 *   <script src="https://your-server/static/widget.js"
 *           data-server="https://your-server" data-language="en"
 *           data-title="Help" data-open="false"
 *           data-shop-name="Casa Balcão" data-logo="https://shop.example/logo.svg"
 *           data-customer-id="C00042" data-identifier-hash="<hex HMAC-SHA256 of it>" defer></script>
 *
 * Opened with no conversation yet, it shows a home screen: the greeting, a search over the
 * help center with instant results, the most asked topics, "start a conversation" (or the
 * conversation to continue). A `topic` (an entry id, `?topic=` in the page's URL or
 * data-topic) opens it asking about that entry: the help center's "still need help?".
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
          queue: "You are number {n} in the queue", wait: " (about {m} min)", helpful: "Helpful", unhelpful: "Not helpful", online: "We usually reply in a few minutes", attach: "Send a photo or PDF", sending: "Sending…", photo: "Photo", away: "We're open: someone will be back shortly", back: "Back {when}", suggest: "How should we have answered? (optional)", thanks: "Thanks for the feedback",
          home: "Home", search: "Search our help center", popular: "Most asked", start: "Start a conversation", resume: "Continue the conversation", none: "Nothing found: ask us below", results: "Help center results" },
    pt: { title: "Ajuda", placeholder: "Escreva a sua pergunta…", send: "Enviar", open: "Fale connosco", close: "Fechar conversa", offline: "A ligar novamente…", typing: "O assistente está a escrever", you: "Você", bot: "Assistente", agent: "Agente",
          queue: "Está em {n}.º lugar na fila", wait: " (cerca de {m} min)", helpful: "Útil", unhelpful: "Não foi útil", online: "Respondemos normalmente em poucos minutos", attach: "Enviar uma foto ou PDF", sending: "A enviar…", photo: "Foto", away: "Estamos abertos: alguém volta em breve", back: "Voltamos {when}", suggest: "Como devíamos ter respondido? (opcional)", thanks: "Obrigado pela opinião",
          home: "Início", search: "Pesquisar no centro de ajuda", popular: "Mais perguntados", start: "Iniciar uma conversa", resume: "Continuar a conversa", none: "Nada encontrado: pergunte-nos abaixo", results: "Resultados do centro de ajuda" },
    es: { title: "Ayuda", placeholder: "Escribe tu pregunta…", send: "Enviar", open: "Chatea con nosotros", close: "Cerrar chat", offline: "Reconectando…", typing: "El asistente está escribiendo", you: "Tú", bot: "Asistente", agent: "Agente",
          queue: "Eres el número {n} en la cola", wait: " (unos {m} min)", helpful: "Útil", unhelpful: "No me ha servido", online: "Solemos responder en pocos minutos", attach: "Enviar una foto o PDF", sending: "Enviando…", photo: "Foto", away: "Estamos abiertos: alguien vuelve en breve", back: "Volvemos {when}", suggest: "¿Cómo deberíamos haber respondido? (opcional)", thanks: "Gracias por tu opinión",
          home: "Inicio", search: "Buscar en el centro de ayuda", popular: "Lo más preguntado", start: "Iniciar una conversación", resume: "Continuar la conversación", none: "No hay resultados: pregúntanos abajo", results: "Resultados del centro de ayuda" }
  };
  var L = LABELS[language] || LABELS.en;

  // ---- persistent state -------------------------------------------------
  function load() {
    try { return JSON.parse(localStorage.getItem(storageKey)) || {}; } catch (e) { return {}; }
  }
  function save() {
    try {
      localStorage.setItem(storageKey, JSON.stringify({ sessionId: state.sessionId, customerId: data.customerId || null, outbox: state.outbox, open: state.open, view: state.view }));
    } catch (e) { /* storage full or disabled: the widget still works for this page */ }
  }
  var saved = load();
  if (saved.sessionId && (saved.customerId || null) !== (data.customerId || null)) {
    saved = { open: saved.open };  // someone else's conversation: not resumed here
  }
  var askedTopic = data.topic || new URLSearchParams(location.search).get("topic") || null;
  var state = {
    sessionId: saved.sessionId || null,
    outbox: saved.outbox || [],      // [{id, text, payload}] not yet acknowledged
    open: saved.open != null ? saved.open : data.open === "true",
    view: saved.view === "chat" ? "chat" : "home",
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
  if (data.logo && /^(https?:\/\/|\/)/.test(data.logo)) {
    var logo = el("img", "balcao-logo");
    logo.src = data.logo; logo.alt = ""; logo.width = 32; logo.height = 32;
    header.appendChild(logo);
  }
  var identity = el("div", "balcao-identity");
  identity.appendChild(el("h2", "balcao-title", data.shopName || data.title || L.title));
  var availability = el("span", "balcao-availability", "");
  identity.appendChild(availability);
  var status = el("span", "balcao-status", "");
  status.setAttribute("role", "status");
  identity.appendChild(status);
  header.appendChild(identity);
  var homeBtn = el("button", "balcao-home-button");
  homeBtn.type = "button";
  homeBtn.setAttribute("aria-label", L.home);
  homeBtn.title = L.home;
  header.insertBefore(homeBtn, header.firstChild);
  var closeBtn = el("button", "balcao-close", "×");
  closeBtn.type = "button";
  closeBtn.setAttribute("aria-label", L.close);
  header.appendChild(closeBtn);
  var home = el("section", "balcao-home");
  home.setAttribute("aria-label", L.home);
  var greeting = el("h3", "balcao-greeting", "");
  var resume = el("button", "balcao-resume");
  resume.type = "button";
  var startBtn = el("button", "balcao-start", L.start);
  startBtn.type = "button";
  var search = el("form", "balcao-search");
  search.setAttribute("role", "search");
  var query = el("input", "balcao-search-input");
  query.type = "search";
  query.placeholder = L.search;
  query.setAttribute("aria-label", L.search);
  query.setAttribute("aria-controls", "balcao-results");
  query.autocomplete = "off";
  query.maxLength = 200;
  search.appendChild(query);
  var results = el("ul", "balcao-results");
  results.id = "balcao-results";
  results.setAttribute("aria-label", L.results);
  results.setAttribute("aria-live", "polite");
  var topicsTitle = el("h4", "balcao-topics-title", L.popular);
  var topics = el("ul", "balcao-topics");
  [greeting, resume, startBtn, search, results, topicsTitle, topics].forEach(function (n) { home.appendChild(n); });
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
  var attach = el("button", "balcao-attach");
  attach.type = "button";
  attach.setAttribute("aria-label", L.attach);
  attach.title = L.attach;
  var picker = el("input", "balcao-file");
  picker.type = "file";
  picker.accept = "image/png,image/jpeg,image/webp,application/pdf";
  picker.hidden = true;
  attach.addEventListener("click", function () { picker.click(); });
  picker.addEventListener("change", function () {
    var file = picker.files && picker.files[0];
    picker.value = "";
    if (file) sendFile(file);
  });
  form.appendChild(picker);
  form.appendChild(attach);
  form.appendChild(input);
  form.appendChild(send);
  panel.appendChild(header);
  panel.appendChild(home);
  panel.appendChild(log);
  panel.appendChild(typing);
  panel.appendChild(form);
  root.appendChild(panel);
  root.appendChild(launcher);

  // Only the customer's own click moves the focus (and so the page, or a phone's keyboard).
  function setOpen(open, byCustomer) {
    state.open = open;
    panel.hidden = !open;
    root.setAttribute("data-state", open ? "open" : "closed");
    launcher.setAttribute("aria-expanded", String(open));
    save();
    if (open && byCustomer) { (state.view === "home" ? query : input).focus({ preventScroll: true }); scroll(); }
  }
  // The home screen or the conversation; the composer stays below both.
  function setView(view) {
    state.view = view;
    home.hidden = view !== "home";
    log.hidden = view === "home";
    homeBtn.hidden = view === "home";
    root.setAttribute("data-view", view);
    if (view === "home") {
      var last = log.querySelectorAll(".balcao-msg:not(.balcao-error):not(.balcao-welcome) .balcao-text");
      var preview = last.length ? last[last.length - 1].textContent : "";
      resume.textContent = "";
      resume.appendChild(el("strong", null, L.resume));
      resume.appendChild(el("span", "balcao-resume-text", preview.length > 80 ? preview.slice(0, 79) + "…" : preview));
      resume.hidden = !preview;
      startBtn.hidden = !!preview;
    }
    save();
  }
  function renderTopics(list, items, empty) {
    list.textContent = "";
    items.forEach(function (t) {
      var li = el("li");
      var b = el("button", "balcao-topic", t.question);
      b.type = "button";
      b.addEventListener("click", function () { askAbout(t); });
      li.appendChild(b);
      list.appendChild(li);
    });
    if (!items.length && empty) list.appendChild(el("li", "balcao-none", empty));
  }
  // An entry asked by its id (a button payload): the bot answers it in the conversation.
  function askAbout(topic, id) {
    post(topic.question, "/" + topic.id, id);
    query.value = "";
    results.textContent = "";
    if (!id) input.focus({ preventScroll: true });  // a click's; not the page's own topic
  }
  homeBtn.addEventListener("click", function () { setView("home"); query.focus({ preventScroll: true }); });
  startBtn.addEventListener("click", function () { setView("chat"); input.focus({ preventScroll: true }); });
  resume.addEventListener("click", function () { setView("chat"); input.focus({ preventScroll: true }); scroll(); });
  var searchTimer = null;
  query.addEventListener("input", function () {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(function () {
      var q = query.value.trim();
      if (!q) { results.textContent = ""; return; }
      if (state.ready) state.ws.send(JSON.stringify({ type: "search", q: q }));
    }, 150);
  });
  // Enter in the search box asks the assistant itself
  search.addEventListener("submit", function (e) {
    e.preventDefault();
    var q = query.value.trim();
    if (!q) return;
    query.value = "";
    results.textContent = "";
    post(q, null);
    input.focus({ preventScroll: true });
  });
  launcher.addEventListener("click", function () { setOpen(!state.open, true); });
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
  // A new answer is shown from its start: long answers are read top-down.
  function reveal(item) {
    if (item.offsetHeight > log.clientHeight) log.scrollTop = item.offsetTop - 8;
    else scroll();
  }
  // A file goes as one binary frame, announced by {"type": "attachment", "id"} first; it
  // shows once the server relays it back (checked, stored, in the conversation).
  function sendFile(file) {
    if (!state.ready) return;
    status.textContent = L.sending;
    var id = newId();
    file.arrayBuffer().then(function (buffer) {
      state.ws.send(JSON.stringify({ type: "attachment", id: id }));
      state.ws.send(buffer);
    });
  }
  function renderFile(att) {
    var box = el("a", "balcao-file-link", (att.type === "application/pdf" ? "PDF" : L.photo) + " · " + Math.max(1, Math.round(att.size / 1024)) + " KB");
    // a link made for this one file, which runs out: never the session id, which would leak
    // the conversation through logs, Referer and history. A click asks for a fresh one.
    if (att.url) box.href = serverUrl + att.url;
    box.rel = "noopener noreferrer";
    box.dataset.attachment = att.id;
    box.addEventListener("click", function (e) {
      if (box.dataset.fresh === "1" || !state.ready) { box.dataset.fresh = ""; return; }
      e.preventDefault();
      state.ws.send(JSON.stringify({ type: "attachment_link", id: att.id }));
    });
    box.insertBefore(icon(CLIP, false), box.firstChild);
    return box;
  }
  var HOUSE = "M12 3 2 12h3v9h6v-6h2v6h6v-9h3L12 3z";
  var CLIP = "M16.5 6.5v10a4.5 4.5 0 0 1-9 0V5a3 3 0 0 1 6 0v10.5a1.5 1.5 0 0 1-3 0V6.5H9v9a3 3 0 0 0 6 0V5a4.5 4.5 0 0 0-9 0v11.5a6 6 0 0 0 12 0v-10h-1.5z";
  var SVG = "http://www.w3.org/2000/svg";
  var THUMB = "M7 10v11H3V10h4zm2 11h9.2a2 2 0 0 0 2-1.6l1.3-7A2 2 0 0 0 19.5 10H14l.9-4.4a1.6 1.6 0 0 0-2.9-1.2L9 10v11z";
  function icon(path, flip) {
    var svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "16"); svg.setAttribute("height", "16");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("class", "balcao-icon");
    if (flip) svg.setAttribute("transform", "rotate(180)");
    var p = document.createElementNS(SVG, "path");
    p.setAttribute("d", path);
    p.setAttribute("fill", "currentColor");
    svg.appendChild(p);
    return svg;
  }
  function clock(ts) {
    var d = ts ? new Date(ts * 1000) : new Date();
    var t = el("time", "balcao-time", d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }));
    t.dateTime = d.toISOString();
    return t;
  }
  function showTeam(team) {
    if (!team) return;
    availability.textContent = team.online ? L.online : team.open ? L.away : team.back ? L.back.replace("{when}", team.back) : "";
  }

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
    if (msg.attachment) { item.appendChild(renderFile(msg.attachment)); status.textContent = ""; }
    if (msg.custom && msg.custom.type === "card") item.appendChild(renderCard(msg.custom));
    if (msg.buttons && msg.buttons.length) item.appendChild(renderButtons(msg.buttons));
    if (role === "bot" && msg.entry && msg.seq && !msg.notice) item.appendChild(renderRating(msg.entry, msg.seq));
    if (role !== "error") item.appendChild(clock(msg.timestamp));
    if (msg.notice === "offline") item.classList.add("balcao-offline");
    if (msg.notice === "joined") {  // a person is here now: the "nobody is available" line goes
      log.querySelectorAll(".balcao-offline").forEach(function (n) { n.remove(); });
      availability.textContent = L.online;
    }
    log.appendChild(item);
    if (key) state.seen[key] = msg.seq ? true : item;
    if (msg.pending) item.classList.add("balcao-pending");
    if (role === "user") scroll(); else reveal(item);
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
    var up = el("button", "balcao-thumb");
    var down = el("button", "balcao-thumb");
    up.appendChild(icon(THUMB, false));
    down.appendChild(icon(THUMB, true));
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
  function post(text, payload, id) {
    setView("chat");
    var msg = { id: id || newId(), text: text };
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
      if (askedTopic) hello.topic = askedTopic;
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
        showTeam(frame.team);
        if (!log.querySelector(".balcao-welcome")) {
          var greet = renderMessage({ role: "bot", text: frame.greeting });
          greet.classList.add("balcao-welcome");
        }
        greeting.textContent = frame.greeting;
        (frame.history || []).forEach(renderMessage);
        var homeData = frame.home || {};
        renderTopics(topics, homeData.topics || [], null);
        topicsTitle.hidden = !(homeData.topics || []).length;
        setView((frame.history || []).length || state.outbox.length ? state.view : "home");
        state.outbox.forEach(function (m) {
          if (!state.seen["c" + m.id]) renderMessage({ role: "user", text: m.text, id: m.id, pending: true });
        });
        state.ready = true;
        root.setAttribute("data-connection", "online");
        status.textContent = "";
        flush();
        if (askedTopic && homeData.topic) {  // "ask about this": once, even across reloads
          var topicId = "topic-" + homeData.topic.id.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 58);
          var asked = (frame.history || []).some(function (m) { return m.id === topicId; });
          if (!asked && !state.seen["c" + topicId]) { setOpen(true, false); askAbout(homeData.topic, topicId); }
        }
        askedTopic = null;
        break;
      case "results":
        if (frame.q === query.value.trim()) renderTopics(results, frame.results || [], L.none);
        break;
      case "notice":  // a message Balcão sent first, live or at this visit; once
        if (frame.id != null) { if (state.seen["n" + frame.id]) break; state.seen["n" + frame.id] = true; }
        setView("chat");
        var shown = renderMessage({ role: "bot", text: frame.text, notice: "notice" });
        shown.classList.add("balcao-notice");
        if (frame.title) shown.insertBefore(el("strong", "balcao-notice-title", frame.title), shown.querySelector(".balcao-text"));
        break;
      case "attachment_link":  // the fresh link a click asked for: follow it
        log.querySelectorAll(".balcao-file-link").forEach(function (a) {
          if (a.dataset.attachment !== frame.id) return;
          a.href = serverUrl + frame.url;
          a.dataset.fresh = "1";
          a.click();
        });
        break;
      case "reset":  // the conversation was erased: forget it here too, then reconnect fresh
        state.sessionId = null;
        state.outbox = [];
        state.seen = {};
        log.textContent = "";
        setView("home");
        break;
      case "message":
        if (frame.role === "agent") { typing.hidden = true; status.textContent = ""; }
        if (renderMessage(frame)) setView("chat");
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
        if (/^attachment/.test(frame.code)) status.textContent = "";
        renderMessage({ role: "error", text: frame.message });
        break;
    }
  }

  function start() {
    attach.appendChild(icon(CLIP, false));
    homeBtn.appendChild(icon(HOUSE, false));
    setView(state.view);
    document.body.appendChild(root);
    setOpen(state.open, false);
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
    state.view = "home";
    setView("home");
    try { localStorage.removeItem(storageKey); } catch (e) { /* storage disabled */ }
    save();
    connect();
  }
  window.BalcaoWidget = window.Balcao = {
    open: function () { setOpen(true, true); }, close: function () { setOpen(false); }, logout: logout
  };
  if (document.body) start(); else document.addEventListener("DOMContentLoaded", start);
})();
