/* Balcão agent console. Vanilla JS; every text goes through textContent, never innerHTML. */
(function () {
  "use strict";
  var token = sessionStorage.getItem("balcao:token");
  var me = null, ws = null, current = null, handoffs = [], waitingTotal = null, typingTimer = null, seen = {};
  var known = null, unread = 0, opened = {}, canned = [], audio = null;
  var BASE_TITLE = document.title;
  var $ = function (id) { return document.getElementById(id); };

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text != null) node.textContent = text;
    return node;
  }
  async function api(method, path, body) {
    var resp = await fetch(path, {
      method: method,
      headers: Object.assign({ "Content-Type": "application/json" }, token ? { Authorization: "Bearer " + token } : {}),
      body: body ? JSON.stringify(body) : undefined
    });
    var data = null;
    try { data = await resp.json(); } catch (e) { /* empty body */ }
    if (resp.status === 401 && path !== "/api/auth/login") { logout(); }
    if (!resp.ok) throw new Error((data && data.error && data.error.message) || resp.statusText);
    return data;
  }

  // ---- login ---------------------------------------------------------------
  $("login-form").addEventListener("submit", async function (e) {
    e.preventDefault();
    $("login-error").textContent = "";
    try {
      var data = await api("POST", "/api/auth/login", { email: $("login-email").value, password: $("login-password").value });
      token = data.token;
      sessionStorage.setItem("balcao:token", token);
      await start();
    } catch (err) { $("login-error").textContent = err.message; }
  });
  function logout() {
    if (token) fetch("/api/auth/logout", { method: "POST", headers: { Authorization: "Bearer " + token } });
    token = null;
    sessionStorage.removeItem("balcao:token");
    if (ws) ws.close();
    $("app").hidden = true;
    $("login").hidden = false;
  }
  $("logout").addEventListener("click", logout);

  async function start() {
    me = await api("GET", "/api/me");
    $("login").hidden = true;
    $("app").hidden = false;
    $("me").textContent = me.name + " · " + me.email + " · " + me.role;
    if (me.status === "offline") me = await api("POST", "/api/agents/me/status", { status: "online" });
    $("status").value = me.status;
    connect();
    loadAgents();
  }
  $("status").addEventListener("change", async function () {
    me = await api("POST", "/api/agents/me/status", { status: $("status").value });
  });

  // ---- live updates -----------------------------------------------------------
  function connect() {
    ws = new WebSocket(location.origin.replace(/^http/, "ws") + "/api/agent/ws");
    ws.onopen = function () { ws.send(JSON.stringify({ type: "auth", token: token })); };
    ws.onmessage = function (event) {
      var frame = JSON.parse(event.data);
      if (frame.type === "ready" && current) ws.send(JSON.stringify({ type: "watch", handoff_id: current }));
      else if (frame.type === "queue") { handoffs = frame.handoffs; waitingTotal = frame.waiting; noticeArrivals(); renderQueue(); }
      else if (frame.type === "event" && frame.handoff_id === current) addEvent(frame);
      else if (frame.type === "forgotten") forget(frame.conversations || []);
      else if (frame.type === "typing" && frame.handoff_id === current) {
        $("customer-typing").hidden = !frame.on;
      }
    };
    ws.onclose = function (event) { if (token && event.code !== 4401) setTimeout(connect, 1500); };
  }

  // ---- alerts: title badge, desktop notification, a short WebAudio beep --------
  function relevant(h) { return h.status === "waiting" || (h.status === "assigned" && h.agent === me.email); }
  function noticeArrivals() {
    var ids = handoffs.filter(relevant).map(function (h) { return h.id; });
    if (known === null) { known = {}; ids.forEach(function (id) { known[id] = true; }); return; }
    var fresh = handoffs.filter(function (h) { return relevant(h) && !known[h.id]; });
    ids.forEach(function (id) { known[id] = true; });
    if (!fresh.length) return;
    unread += fresh.length;  // cleared when the agent opens a conversation or comes back
    showUnread();
    beep();
    if (window.Notification && Notification.permission === "granted") {
      fresh.forEach(function (h) { new Notification("New conversation", { body: (h.title || "") + " · " + h.reason.replace(/_/g, " "), tag: "balcao-" + h.id }); });
    }
  }
  function showUnread() { document.title = (unread ? "(" + unread + ") " : "") + BASE_TITLE; }
  function beep() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      var osc = audio.createOscillator(), gain = audio.createGain();
      osc.frequency.value = 880;
      gain.gain.setValueAtTime(0.15, audio.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.3);
      osc.connect(gain); gain.connect(audio.destination);
      osc.start(); osc.stop(audio.currentTime + 0.3);
      window.__balcaoBeeps = (window.__balcaoBeeps || 0) + 1;
    } catch (e) { /* no audio: the badge and the notification still tell */ }
  }
  window.addEventListener("focus", function () { unread = 0; showUnread(); });
  $("alerts").addEventListener("click", async function () {
    try { audio = audio || new (window.AudioContext || window.webkitAudioContext)(); await audio.resume(); } catch (e) { /* no audio */ }
    if (window.Notification && Notification.permission === "default") await Notification.requestPermission();
    this.textContent = window.Notification && Notification.permission === "granted" ? "Alerts on" : "Sound on";
  });

  function renderQueue() {
    var waiting = handoffs.filter(function (h) { return h.status === "waiting"; });
    var mine = handoffs.filter(function (h) { return h.status === "assigned" && h.agent === me.email; });
    // the queue frame carries the queue's head (the ones to serve first) and the whole count
    $("waiting-count").textContent = String(waitingTotal == null ? waiting.length : Math.max(waitingTotal, waiting.length));
    $("mine-count").textContent = String(mine.length);
    fill($("waiting"), waiting, true);
    fill($("mine"), mine, false);
    if (current && !handoffs.some(function (h) { return h.id === current; }) && !viewingPast) closeChat();
  }
  // A customer was erased (`forget`): nothing of hers stays on screen, in any list.
  function forget(conversations) {
    var gone = {};
    conversations.forEach(function (c) { gone[c] = true; });
    handoffs = handoffs.filter(function (h) { return !gone[h.conversation_id]; });
    document.querySelectorAll("li[data-conversation]").forEach(function (li) {
      if (gone[li.dataset.conversation]) li.remove();
    });
    if (current && gone[currentConversation]) closeChat();
    renderQueue();
  }
  function fill(list, items, claimable, past) {
    list.textContent = "";
    items.forEach(function (h) {
      var li = el("li", "item" + (h.id === current ? " active" : ""));
      li.dataset.handoff = h.id;
      li.dataset.conversation = h.conversation_id || "";
      var top = el("div", "row");
      top.appendChild(el("strong", "title", h.title || h.sender));
      top.appendChild(el("span", "meta", Math.round(h.waiting_s / 60) + " min"));
      li.appendChild(top);
      var tags = el("div", "row");
      tags.appendChild(el("span", "tag" + (h.reason === "complaint" ? " at-risk" : ""), h.reason.replace(/_/g, " ")));
      tags.appendChild(el("span", "tag", h.language));
      if (h.tier) tags.appendChild(el("span", "tag" + (h.tier === "top" ? " top" : ""), h.tier));
      if (h.account_manager) tags.appendChild(el("span", "tag", "AM " + h.account_manager));
      if (!claimable && !past && !opened[h.id]) tags.appendChild(el("span", "tag new", "auto · new"));
      if (past) tags.appendChild(el("span", "tag", h.status));
      li.appendChild(tags);
      if (h.snippet) li.appendChild(el("span", "meta snippet", h.snippet));
      var button = el("button", null, claimable ? "Claim" : "Open");
      button.type = "button";
      button.addEventListener("click", async function () {
        try {
          if (claimable) await api("POST", "/api/handoffs/" + h.id + "/claim");
          openChat(h.id, past);
        } catch (err) { $("chat-error").textContent = err.message; }
      });
      li.appendChild(button);
      list.appendChild(li);
    });
  }

  // ---- one conversation ---------------------------------------------------------
  var viewingPast = false, currentConversation = null;
  // Everything of the previous conversation goes before anything of the next is loaded.
  function resetChat() {
    seen = {};
    $("transcript").textContent = "";
    $("chat-title").textContent = "";
    $("chat-meta").textContent = "";
    $("chat-error").textContent = "";
    $("customer-typing").hidden = true;
    $("reply").value = "";
    $("as-note").checked = false;
    $("canned-picker").hidden = true;
    renderCustomer(null);
    $("earlier").textContent = "";
  }
  async function openChat(id, past) {
    if (current && ws) ws.send(JSON.stringify({ type: "unwatch", handoff_id: current }));
    current = id;
    viewingPast = !!past;
    opened[id] = true;
    unread = 0; showUnread();
    resetChat();
    var detail = await api("GET", "/api/handoffs/" + id);
    if (current !== id) return;  // the agent moved on while this was loading
    $("empty").hidden = true;
    $("chat").hidden = false;
    $("composer").hidden = $("resolve").hidden = detail.handoff.status === "resolved";
    currentConversation = detail.handoff.conversation_id;
    $("chat-title").textContent = detail.handoff.title || detail.handoff.sender;
    $("chat-meta").textContent = [detail.handoff.reason.replace(/_/g, " "), detail.handoff.language, detail.handoff.tier || "unrated", detail.contact_email || ""].filter(Boolean).join(" · ");
    $("transcript").textContent = "";
    detail.transcript.forEach(function (t) { addEvent({ seq: t.seq, kind: t.kind, data: t }); });
    renderCustomer(detail.customer);
    fill($("earlier"), detail.earlier || [], false, true);
    if (detail.customer && detail.handoff.status === "assigned") loadAllowance(id);
    loadCanned(detail.handoff.language);
    if (ws) ws.send(JSON.stringify({ type: "watch", handoff_id: id }));
    renderQueue();
    $("reply").focus();
  }
  function closeChat() {
    current = null;
    currentConversation = null;
    viewingPast = false;
    resetChat();
    $("chat").hidden = true;
    $("empty").hidden = false;
    renderQueue();
  }
  async function loadAllowance(id) {
    try {
      var a = await api("GET", "/api/handoffs/" + id + "/goodwill");
      if (current !== id) return;
      $("goodwill-limit").textContent = a.remaining == null
        ? "No limit (admin) · " + a.granted + " " + a.currency + " granted in " + a.period_days + " days"
        : a.remaining + " " + a.currency + " left of " + a.limit + " (" + (a.tier || "unrated") + ", " + a.period_days + " days)";
      $("goodwill-amount").max = a.remaining == null ? "" : a.remaining;
      $("goodwill-amount").placeholder = "Amount " + a.currency;
      var select = $("goodwill-order");
      select.length = 1;
      a.orders.forEach(function (o) { var opt = el("option", null, o); opt.value = o; select.appendChild(opt); });
      if (a.orders.length) select.selectedIndex = 1;
    } catch (err) { $("goodwill-limit").textContent = err.message; }
  }
  function addEvent(frame) {
    if (frame.seq && seen[frame.seq]) return;
    seen[frame.seq] = true;
    var data = frame.data || {};
    var kind = frame.kind;
    if (kind === "handoff") {
      var status = data.status;
      var label = { requested: "Asked for a person", queued: "Queued", claimed: (data.auto ? "Auto-assigned to " : "Claimed by ") + data.agent, transferred: "Transferred to " + data.agent, resolved: "Resolved" }[status] || status;
      $("transcript").appendChild(el("li", "msg system", label));
      return;
    }
    var item = el("li", "msg " + kind);
    var who = { user: "Customer", bot: "Bot", agent: data.name || "Agent", note: "Note · " + (data.agent || "") }[kind];
    item.appendChild(el("span", "who", who));
    item.appendChild(el("span", "text", data.text || ""));
    if (data.attachment) item.appendChild(renderAttachment(data.attachment));
    if (data.buttons && data.buttons.length) {  // what the bot offered, as the customer saw it
      var offered = el("div", "offered");
      data.buttons.forEach(function (b) { offered.appendChild(el("span", "chip", b.title)); });
      item.appendChild(offered);
    }
    var ts = frame.timestamp || data.timestamp;
    if (ts) item.appendChild(el("time", "ts", new Date(ts * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })));
    $("transcript").appendChild(item);
    $("transcript").scrollTop = $("transcript").scrollHeight;
    if (kind === "user") $("customer-typing").hidden = true;
  }
  // A customer's file: fetched with the agent's token, shown from a blob: URL (never as HTML).
  function renderAttachment(a) {
    var box = el("div", "attachment");
    var label = (a.type === "application/pdf" ? "PDF" : "Photo") + " · " + Math.max(1, Math.round(a.size / 1024)) + " KB";
    var link = el("button", "link", "Download " + label);
    link.type = "button";
    box.appendChild(link);
    var blob = fetch("/api/attachments/" + encodeURIComponent(a.id), { headers: { Authorization: "Bearer " + token } })
      .then(function (r) { if (!r.ok) throw new Error(r.statusText); return r.blob(); });
    if (/^image\/(png|jpeg|webp)$/.test(a.type)) {
      blob.then(function (b) {
        var img = el("img", "photo");
        img.alt = "Photo from the customer";
        img.src = URL.createObjectURL(b);
        box.insertBefore(img, link);
      }).catch(function (err) { box.appendChild(el("span", "meta", err.message)); });
    }
    link.addEventListener("click", function () {
      blob.then(function (b) {
        var d = el("a");
        d.href = URL.createObjectURL(b);
        d.download = a.id + (a.type === "application/pdf" ? ".pdf" : "");
        document.body.appendChild(d); d.click(); d.remove();
      });
    });
    return box;
  }
  function renderCustomer(customer) {
    var box = $("customer");
    box.textContent = "";
    $("goodwill").hidden = !customer;
    $("goodwill").reset();
    $("goodwill-limit").textContent = "";
    $("goodwill-result").textContent = "";
    $("goodwill-order").length = 1;
    if (!customer) { box.appendChild(el("p", "meta", "Not verified: no personal data.")); return; }
    var dl = el("dl");
    function row(k, v) { dl.appendChild(el("dt", null, k)); dl.appendChild(el("dd", null, v == null ? "—" : String(v))); }
    row("Name", customer.name);
    row("Email", customer.email);
    row("Customer", customer.customer_id);
    row("Tier", customer.tier);
    row("Stage", customer.stage);
    row("RFM", customer.rfm ? customer.rfm.code : null);
    row("Lifetime value", customer.lifetime_value ? "€" + customer.lifetime_value : null);
    row("Account manager", customer.account_manager);
    box.appendChild(dl);
    box.appendChild(el("h3", null, "Recent orders"));
    var orders = el("ul", "list");
    customer.recent_orders.forEach(function (o) {
      orders.appendChild(el("li", "item", o.order_id + " · " + o.status + " · " + o.total + " " + o.currency + " · " + o.created_at.slice(0, 10)));
    });
    box.appendChild(orders);
  }
  async function loadCanned(language) {
    var items = await api("GET", "/api/canned?language=" + encodeURIComponent(language));
    canned = items;
    var select = $("canned");
    select.length = 1;
    items.forEach(function (c) { var o = el("option", null, c.title); o.value = c.text; select.appendChild(o); });
  }
  $("canned").addEventListener("change", function () {
    if (this.value) { $("reply").value = this.value; this.selectedIndex = 0; $("reply").focus(); }
  });
  async function loadAgents() {
    var agents = await api("GET", "/api/agents");
    var select = $("transfer-to");
    select.length = 1;
    agents.filter(function (a) { return a.email !== me.email; }).forEach(function (a) {
      var o = el("option", null, a.name + " (" + a.status + ", " + a.load + "/" + a.max_chats + ")");
      o.value = a.email;
      select.appendChild(o);
    });
  }
  $("transfer-to").addEventListener("focus", loadAgents);

  $("composer").addEventListener("submit", async function (e) {
    e.preventDefault();
    var text = $("reply").value.trim();
    if (!text || !current) return;
    $("chat-error").textContent = "";
    try {
      await api("POST", "/api/handoffs/" + current + ($("as-note").checked ? "/notes" : "/messages"), { text: text });
      $("reply").value = "";
      $("as-note").checked = false;
      sendTyping(false);
    } catch (err) { $("chat-error").textContent = err.message; }
  });
  // "/" at the start of the reply picks a canned reply: type to filter, Enter to take the first.
  function pickerItems() {
    var q = $("reply").value.slice(1).toLowerCase();
    return canned.filter(function (c) { return (c.title + " " + c.text).toLowerCase().indexOf(q) >= 0; }).slice(0, 8);
  }
  function renderPicker() {
    var picker = $("canned-picker");
    if ($("reply").value.charAt(0) !== "/") { picker.hidden = true; return; }
    picker.textContent = "";
    pickerItems().forEach(function (c) {
      var li = el("li", "pick", c.title);
      li.setAttribute("role", "option");
      li.addEventListener("mousedown", function (e) { e.preventDefault(); take(c); });
      picker.appendChild(li);
    });
    picker.hidden = !picker.childNodes.length;
  }
  function take(c) { $("reply").value = c.text; $("canned-picker").hidden = true; $("reply").focus(); }
  $("reply").addEventListener("input", renderPicker);
  $("reply").addEventListener("keydown", function (e) {
    if (e.key === "Escape") { $("canned-picker").hidden = true; return; }
    if (e.key === "Enter" && !e.shiftKey) {
      e.preventDefault();
      if (!$("canned-picker").hidden) { var first = pickerItems()[0]; if (first) take(first); return; }
      $("composer").requestSubmit();
      return;
    }
    sendTyping(true);
  });
  // Keyboard: Alt+J next conversation, Alt+R resolve, "/" (outside a field) a canned reply.
  document.addEventListener("keydown", function (e) {
    if ($("app").hidden) return;
    var inField = /^(INPUT|TEXTAREA|SELECT)$/.test((e.target && e.target.tagName) || "");
    if (e.altKey && (e.key === "j" || e.key === "J" || e.code === "KeyJ")) { e.preventDefault(); nextConversation(); }
    else if (e.altKey && (e.key === "r" || e.key === "R" || e.code === "KeyR")) { e.preventDefault(); if (current && !$("resolve").hidden) $("resolve").click(); }
    else if (e.key === "/" && !inField && current) { e.preventDefault(); $("reply").value = "/"; $("reply").focus(); renderPicker(); }
  });
  function nextConversation() {
    var mine = handoffs.filter(function (h) { return h.status === "assigned" && h.agent === me.email; });
    if (!mine.length) return;
    var at = mine.findIndex(function (h) { return h.id === current; });
    openChat(mine[(at + 1) % mine.length].id);
  }
  $("search-form").addEventListener("submit", async function (e) {
    e.preventDefault();
    var q = $("search").value.trim();
    if (!q) { $("results-box").hidden = true; return; }
    var found = await api("GET", "/api/conversations?q=" + encodeURIComponent(q));
    $("results-box").hidden = false;
    fill($("results"), found, false, true);
    if (!found.length) $("results").appendChild(el("li", "meta", "Nothing found."));
  });
  $("clear-search").addEventListener("click", function () { $("search").value = ""; $("results-box").hidden = true; });
  function sendTyping(on) {
    if (!ws || !current || $("as-note").checked) return;
    clearTimeout(typingTimer);
    ws.send(JSON.stringify({ type: "typing", handoff_id: current, on: on }));
    if (on) typingTimer = setTimeout(function () { sendTyping(false); }, 3000);
  }
  $("resolve").addEventListener("click", async function () {
    try {
      var done = current;
      await api("POST", "/api/handoffs/" + done + "/resolve");
      handoffs = handoffs.filter(function (h) { return h.id !== done; });
      closeChat();
      nextConversation();  // the next one starts clean
    }
    catch (err) { $("chat-error").textContent = err.message; }
  });
  $("transfer").addEventListener("click", async function () {
    var to = $("transfer-to").value;
    if (!to) return;
    try { await api("POST", "/api/handoffs/" + current + "/transfer", { agent: to }); closeChat(); }
    catch (err) { $("chat-error").textContent = err.message; }
  });
  $("goodwill").addEventListener("submit", async function (e) {
    e.preventDefault();
    try {
      var id = current;
      var r = await api("POST", "/api/handoffs/" + id + "/goodwill", { kind: $("goodwill-kind").value, amount: $("goodwill-amount").value, order_id: $("goodwill-order").value });
      $("goodwill-result").textContent = r.kind + " " + r.amount + " " + r.currency + " recorded (" + r.transaction_id + "); the customer was told";
      $("goodwill-amount").value = "";
      loadAllowance(id);
    } catch (err) { $("goodwill-result").textContent = err.message; }
  });

  if (token) start().catch(logout);
})();
