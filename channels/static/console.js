/* Balcão agent console. Vanilla JS; every text goes through textContent, never innerHTML. */
(function () {
  "use strict";
  var token = sessionStorage.getItem("balcao:token");
  var me = null, ws = null, current = null, handoffs = [], typingTimer = null, seen = {};
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
      else if (frame.type === "queue") { handoffs = frame.handoffs; renderQueue(); }
      else if (frame.type === "event" && frame.handoff_id === current) addEvent(frame);
      else if (frame.type === "typing" && frame.handoff_id === current) {
        $("customer-typing").hidden = !frame.on;
      }
    };
    ws.onclose = function (event) { if (token && event.code !== 4401) setTimeout(connect, 1500); };
  }

  function renderQueue() {
    var waiting = handoffs.filter(function (h) { return h.status === "waiting"; });
    var mine = handoffs.filter(function (h) { return h.status === "assigned" && h.agent === me.email; });
    $("waiting-count").textContent = String(waiting.length);
    fill($("waiting"), waiting, true);
    fill($("mine"), mine, false);
    if (current && !handoffs.some(function (h) { return h.id === current; })) closeChat();
  }
  function fill(list, items, claimable) {
    list.textContent = "";
    items.forEach(function (h) {
      var li = el("li", "item" + (h.id === current ? " active" : ""));
      li.dataset.handoff = h.id;
      var top = el("div", "row");
      top.appendChild(el("strong", null, h.sender));
      top.appendChild(el("span", "meta", Math.round(h.waiting_s / 60) + " min"));
      li.appendChild(top);
      var tags = el("div", "row");
      tags.appendChild(el("span", "tag" + (h.reason === "complaint" ? " at-risk" : ""), h.reason.replace(/_/g, " ")));
      tags.appendChild(el("span", "tag", h.language));
      if (h.tier) tags.appendChild(el("span", "tag" + (h.tier === "top" ? " top" : ""), h.tier));
      if (h.account_manager) tags.appendChild(el("span", "tag", "AM " + h.account_manager));
      li.appendChild(tags);
      var button = el("button", null, claimable ? "Claim" : "Open");
      button.type = "button";
      button.addEventListener("click", async function () {
        try {
          if (claimable) await api("POST", "/api/handoffs/" + h.id + "/claim");
          openChat(h.id);
        } catch (err) { alert(err.message); }
      });
      li.appendChild(button);
      list.appendChild(li);
    });
  }

  // ---- one conversation ---------------------------------------------------------
  async function openChat(id) {
    if (current && ws) ws.send(JSON.stringify({ type: "unwatch", handoff_id: current }));
    current = id;
    seen = {};
    var detail = await api("GET", "/api/handoffs/" + id);
    $("empty").hidden = true;
    $("chat").hidden = false;
    $("chat-title").textContent = detail.handoff.sender;
    $("chat-meta").textContent = [detail.handoff.reason.replace(/_/g, " "), detail.handoff.language, detail.handoff.tier || "unrated", detail.contact_email || ""].filter(Boolean).join(" · ");
    $("transcript").textContent = "";
    detail.transcript.forEach(function (t) { addEvent({ seq: t.seq, kind: t.kind, data: t }); });
    renderCustomer(detail.customer);
    loadCanned(detail.handoff.language);
    if (ws) ws.send(JSON.stringify({ type: "watch", handoff_id: id }));
    renderQueue();
    $("reply").focus();
  }
  function closeChat() {
    current = null;
    $("chat").hidden = true;
    $("empty").hidden = false;
  }
  function addEvent(frame) {
    if (frame.seq && seen[frame.seq]) return;
    seen[frame.seq] = true;
    var data = frame.data || {};
    var kind = frame.kind;
    if (kind === "handoff") {
      var status = data.status;
      var label = { requested: "Asked for a person", queued: "Queued", claimed: "Claimed by " + data.agent, transferred: "Transferred to " + data.agent, resolved: "Resolved" }[status] || status;
      $("transcript").appendChild(el("li", "msg system", label));
      return;
    }
    var item = el("li", "msg " + kind);
    var who = { user: "Customer", bot: "Bot", agent: data.name || "Agent", note: "Note · " + (data.agent || "") }[kind];
    item.appendChild(el("span", "who", who));
    item.appendChild(el("span", "text", data.text || ""));
    $("transcript").appendChild(item);
    $("transcript").scrollTop = $("transcript").scrollHeight;
    if (kind === "user") $("customer-typing").hidden = true;
  }
  function renderCustomer(customer) {
    var box = $("customer");
    box.textContent = "";
    $("goodwill").hidden = !customer;
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
  $("reply").addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); $("composer").requestSubmit(); return; }
    sendTyping(true);
  });
  function sendTyping(on) {
    if (!ws || !current || $("as-note").checked) return;
    clearTimeout(typingTimer);
    ws.send(JSON.stringify({ type: "typing", handoff_id: current, on: on }));
    if (on) typingTimer = setTimeout(function () { sendTyping(false); }, 3000);
  }
  $("resolve").addEventListener("click", async function () {
    try { await api("POST", "/api/handoffs/" + current + "/resolve"); closeChat(); }
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
      var r = await api("POST", "/api/handoffs/" + current + "/goodwill", { kind: $("goodwill-kind").value, amount: $("goodwill-amount").value });
      $("goodwill-result").textContent = r.kind + " " + r.amount + " " + r.currency + " recorded (" + r.transaction_id + ")";
    } catch (err) { $("goodwill-result").textContent = err.message; }
  });

  if (token) start().catch(logout);
})();
