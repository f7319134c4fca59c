/* Balcão admin dashboard. Every text goes in with textContent; charts are hand-written SVG. */
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var TOKEN_KEY = "balcao-admin-token";
  var $ = function (id) { return document.getElementById(id); };

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function svg(tag, attrs, text) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, String(attrs[k])); });
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function pct(x) { return x === null || x === undefined ? "–" : (x * 100).toFixed(1) + "%"; }
  function num(x, digits) { return x === null || x === undefined ? "–" : Number(x).toFixed(digits || 0); }
  function seconds(x) {
    if (x === null || x === undefined) return "–";
    return x < 90 ? Math.round(x) + " s" : (x / 60).toFixed(1) + " min";
  }

  function token() { return sessionStorage.getItem(TOKEN_KEY); }

  function api(method, path, body) {
    var headers = { "Authorization": "Bearer " + token() };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    return fetch(path, { method: method, headers: headers, body: body === undefined ? undefined : JSON.stringify(body) })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          if (response.status === 401 || response.status === 403) { showLogin((data.error || {}).message); throw new Error("auth"); }
          if (!response.ok) throw new Error((data.error || {}).message || response.statusText);
          return data;
        });
      });
  }

  function query() {
    var parts = [];
    if ($("from").value) parts.push("from=" + encodeURIComponent($("from").value));
    if ($("to").value) parts.push("to=" + encodeURIComponent($("to").value));
    return parts.length ? "?" + parts.join("&") : "";
  }

  function showLogin(message) {
    $("dashboard").hidden = true; $("logout").hidden = true; $("login").hidden = false;
    $("who").textContent = "";
    $("login-error").textContent = message || "";
  }

  function showDashboard() {
    $("login").hidden = true; $("dashboard").hidden = false; $("logout").hidden = false;
    load();
  }

  function load() {
    $("status").textContent = "Loading…";
    var q = query();
    Promise.all([
      api("GET", "/api/analytics/summary" + q).then(renderSummary),
      api("GET", "/api/analytics/unanswered" + q).then(renderUnanswered),
      api("GET", "/api/analytics/suggestions").then(renderSuggestions),
      api("GET", "/api/analytics/conversations" + q).then(renderConversations),
      api("GET", "/api/analytics/proactive").then(renderProactive).catch(function (err) {
        if (err.message === "auth") throw err;
        proactiveStatus(err.message);  // notices off: the rest of the dashboard stands
      })
    ]).then(function () { $("status").textContent = "Updated " + new Date().toLocaleTimeString(); })
      .catch(function (err) { if (err.message !== "auth") $("status").textContent = "Error: " + err.message; });
  }

  function kpi(label, value, name) {
    var box = el("div", { "class": "kpi", "data-kpi": name });
    box.appendChild(el("div", { "class": "label" }, label));
    box.appendChild(el("div", { "class": "value" }, value));
    return box;
  }

  // Reason ids in words.
  var REASONS = {
    asked_for_person: "Asked for a person", complaint: "Complaint", fallback: "The bot did not understand",
    unhelpful: "Answers did not help", at_risk: "Customer at risk", verification_failed: "Could not verify the customer"
  };
  function reasonWords(id) {
    if (REASONS[id]) return REASONS[id];
    var m = /^(.*)_needs_person$/.exec(id);
    var words = (m ? m[1] : id).replace(/_/g, " ");
    words = words.charAt(0).toUpperCase() + words.slice(1);
    return m ? words + ": needs a person" : words;
  }
  // Every table can be downloaded as CSV (built here, from the data shown).
  var tables = {};
  function csvCell(v) {
    var text = v == null ? "" : String(v);
    if (/^[=+\-@\t\r]/.test(text)) text = "'" + text;  // no formulas in a spreadsheet
    return /[",\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
  }
  function downloadCsv(name) {
    var t = tables[name];
    if (!t) return;
    var lines = [t.header].concat(t.rows).map(function (r) { return r.map(csvCell).join(","); });
    var blob = new Blob([lines.join("\r\n") + "\r\n"], { type: "text/csv;charset=utf-8" });
    var a = el("a", { href: URL.createObjectURL(blob), download: "balcao-" + name + ".csv" });
    document.body.appendChild(a); a.click(); a.remove();
  }
  document.querySelectorAll("[data-csv]").forEach(function (b) {
    b.addEventListener("click", function () { downloadCsv(b.getAttribute("data-csv")); });
  });

  function renderSummary(data) {
    var t = data.total, box = $("kpis");
    clear(box);
    box.appendChild(kpi("Conversations", t.conversations, "conversations"));
    box.appendChild(kpi("Automated resolution", pct(t.automated_resolution_rate), "automated_resolution"));
    box.appendChild(kpi("Escalation rate", pct(t.escalation_rate), "escalation"));
    box.appendChild(kpi("Fallback rate", pct(t.fallback_rate), "fallback"));
    box.appendChild(kpi("Average wait for an agent", seconds(t.average_wait_seconds), "wait"));
    box.appendChild(kpi("CSAT (4–5)", pct(t.csat) + (t.average_rating ? " · " + num(t.average_rating, 2) + "/5" : ""), "csat"));
    var days = Object.keys(data.by_day);
    trend($("trend"), days.map(function (d) {
      return { label: d.slice(5), bar: data.by_day[d].conversations, line: data.by_day[d].automated_resolution_rate };
    }));
    tables.days = { header: ["day", "conversations", "automated_resolution_rate"], rows: days.map(function (d) { return [d, data.by_day[d].conversations, data.by_day[d].automated_resolution_rate]; }) };
    tables.reasons = { header: ["reason", "reason_id", "conversations"], rows: Object.keys(t.escalation_reasons).map(function (k) { return [reasonWords(k), k, t.escalation_reasons[k]]; }) };
    tables.languages = { header: ["language", "conversations", "automated_resolution_rate"], rows: Object.keys(data.by_language).map(function (k) { return [k, data.by_language[k].conversations, data.by_language[k].automated_resolution_rate]; }) };
    bars($("reasons"), Object.keys(t.escalation_reasons).map(function (k) { return { label: reasonWords(k), value: t.escalation_reasons[k] }; }));
    bars($("languages"), Object.keys(data.by_language).map(function (k) {
      var f = data.by_language[k];
      return { label: k + " · " + pct(f.automated_resolution_rate) + " automated", value: f.conversations };
    }));
  }

  /* Bars for conversations per day, a line for the automated-resolution rate (0-100%). */
  function trend(box, points) {
    clear(box);
    if (!points.length) { box.appendChild(el("p", { "class": "muted" }, "No conversations in this period.")); return; }
    var W = 720, H = 230, L = 36, R = 40, T = 22, B = 28;
    var max = Math.max.apply(null, points.map(function (p) { return p.bar; }).concat([1]));
    var step = (W - L - R) / points.length;
    var barWidth = Math.min(step * 0.7, 48);  // one day is one slim bar, not a wall
    var every = points.length <= 16 ? 1 : Math.ceil(points.length / 12);
    var chart = svg("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": "Conversations and automated resolution per day" });
    chart.appendChild(svg("line", { x1: L, y1: H - B, x2: W - R, y2: H - B, "class": "axis" }));
    chart.appendChild(svg("text", { x: 2, y: T + 8 }, max));
    chart.appendChild(svg("text", { x: W - R + 4, y: T + 8 }, "100%"));
    var path = [];
    points.forEach(function (p, i) {
      var x = L + i * step, h = (H - T - B) * p.bar / max;
      var rect = svg("rect", { x: x + (step - barWidth) / 2, y: H - B - h, width: barWidth, height: h, "class": "bar" });
      rect.appendChild(svg("title", {}, p.label + ": " + p.bar + " conversations, " + pct(p.line) + " automated"));
      chart.appendChild(rect);
      if (i % every === 0) {
        chart.appendChild(svg("text", { x: x + step / 2, y: H - 10, "text-anchor": "middle", "class": "day" }, p.label));
        if (points.length <= 31 && p.bar) chart.appendChild(svg("text", { x: x + step / 2, y: H - B - h - 4, "text-anchor": "middle", "class": "count" }, p.bar));
      }
      if (p.line !== null && p.line !== undefined) {
        var y = H - B - (H - T - B) * p.line;
        path.push((path.length ? "L" : "M") + (x + step / 2).toFixed(1) + " " + y.toFixed(1));
        var dot = svg("circle", { cx: x + step / 2, cy: y, r: points.length > 45 ? 2 : 3, "class": "dot" });
        dot.appendChild(svg("title", {}, p.label + ": " + pct(p.line) + " automated"));
        chart.appendChild(dot);
        if (points.length <= 7) chart.appendChild(svg("text", { x: x + step / 2 + 6, y: y - 6, "class": "rate" }, pct(p.line) + " automated"));
      }
    });
    if (path.length > 1) chart.appendChild(svg("path", { d: path.join(" "), "class": "line" }));
    box.appendChild(chart);
    var legend = el("p", { "class": "legend muted" }, "Bars: conversations per day (left scale) · green line and dots: share resolved automatically (right scale)");
    box.appendChild(legend);
  }

  function bars(box, items) {
    clear(box);
    if (!items.length) { box.appendChild(el("p", { "class": "muted" }, "Nothing in this period.")); return; }
    var W = 360, row = 26, H = items.length * row + 4, LABEL = 170;
    var max = Math.max.apply(null, items.map(function (i) { return i.value; }).concat([1]));
    var chart = svg("svg", { viewBox: "0 0 " + W + " " + H, role: "img" });
    items.forEach(function (item, i) {
      var y = i * row + 4, w = (W - LABEL - 40) * item.value / max;
      chart.appendChild(svg("text", { x: 0, y: y + 14 }, item.label));
      chart.appendChild(svg("rect", { x: LABEL, y: y + 3, width: Math.max(w, 1), height: row - 10, "class": "bar" }));
      chart.appendChild(svg("text", { x: LABEL + w + 6, y: y + 14 }, item.value));
    });
    box.appendChild(chart);
  }

  // ---- proactive: notices per trigger, tier and stage, against the holdout -------------
  var PROACTIVE = [  // field, heading, what it counts
    ["sent", "Sent", "notices sent (email and widget)"],
    ["shown", "Shown", "shown in the customer's widget"],
    ["holdout", "Held out", "eligible customers kept out: the control group"],
    ["suppressed", "Suppressed", "not sent: no consent, opted out, the weekly cap, no template"],
    ["unsubscribed", "Unsubscribed", "customers who opted out after the notice"],
    ["sent_ordered_7d", "Ordered: sent", "of those sent it, how many ordered within 7 days"],
    ["holdout_ordered_7d", "Ordered: held out", "of the holdout, how many ordered within 7 days"],
    ["sent_order_rate", "Rate: sent", "share of those sent it who ordered within 7 days"],
    ["holdout_order_rate", "Rate: held out", "share of the holdout who ordered within 7 days"],
    ["uplift", "Uplift", "rate of the sent minus rate of the holdout, in percentage points"]
  ];
  var SEGMENT = { tier: ["Tier", "unrated"], stage: ["Lifecycle stage", "unknown"] };
  function figure(field, value) {
    if (field === "uplift") {
      if (value === null || value === undefined) return "–";
      var points = value * 100;
      return (points > 0 ? "+" : points < 0 ? "−" : "") + Math.abs(points).toFixed(1) + " pts";
    }
    return /_rate$/.test(field) ? pct(value) : num(value);
  }
  function proactiveStatus(message) {
    $("proactive-status").textContent = message;
    $("proactive-status").hidden = !message;
    $("proactive-tables").hidden = !!message;
  }
  function proactiveTable(table, rows, segment) {
    clear(table);
    var head = el("tr");
    head.appendChild(el("th", { scope: "col" }, "Trigger"));
    if (segment) head.appendChild(el("th", { scope: "col" }, SEGMENT[segment][0]));
    PROACTIVE.forEach(function (f) { head.appendChild(el("th", { scope: "col", "class": "number", title: f[2] }, f[1])); });
    table.appendChild(el("thead")).appendChild(head);
    var body = table.appendChild(el("tbody"));
    rows.forEach(function (r) {
      var tr = el("tr", { "data-trigger": r.trigger });
      tr.appendChild(el("th", { scope: "row" }, r.trigger));
      if (segment) {
        tr.setAttribute("data-" + segment, r[segment]);
        tr.appendChild(el("td", { "data-field": segment, "class": "segment" }, r[segment] || SEGMENT[segment][1]));
      }
      PROACTIVE.forEach(function (f) {
        var cell = el("td", { "data-field": f[0], "class": "number" }, figure(f[0], r[f[0]]));
        if (f[0] === "uplift" && r.uplift) cell.classList.add(r.uplift > 0 ? "up" : "down");
        tr.appendChild(cell);
      });
      body.appendChild(tr);
    });
  }
  function renderProactive(data) {
    proactiveStatus(data.triggers.length ? "" : "No notices yet.");
    proactiveTable($("proactive-triggers"), data.triggers, null);
    proactiveTable($("proactive-by-tier"), data.by_tier, "tier");
    proactiveTable($("proactive-by-stage"), data.by_stage, "stage");
    var fields = PROACTIVE.map(function (f) { return f[0]; });
    tables.proactive = {
      header: ["trigger", "tier", "stage"].concat(fields),
      rows: data.segments.map(function (r) {
        return [r.trigger, r.tier, r.stage].concat(fields.map(function (f) { return r[f]; }));
      })
    };
  }

  function renderUnanswered(data) {
    var body = $("unanswered").querySelector("tbody");
    clear(body);
    $("unanswered-empty").hidden = data.clusters.length > 0;
    tables.unanswered = { header: ["asked", "language", "question", "similar"], rows: data.clusters.map(function (c) { return [c.count, c.language, c.label, c.examples.slice(1).join(" | ")]; }) };
    data.clusters.forEach(function (c) {
      var tr = el("tr", { "data-cluster": c.id });
      tr.appendChild(el("td", { "class": "count" }, c.count));
      tr.appendChild(el("td", {}, c.language));
      var cell = el("td", {});
      cell.appendChild(el("div", { "class": "label" }, c.label));
      var list = el("ul", { "class": "examples" });
      c.examples.slice(1).forEach(function (x) { list.appendChild(el("li", {}, x)); });
      if (list.firstChild) cell.appendChild(list);
      tr.appendChild(cell);
      var action = el("td", {});
      var button = el("button", { type: "button" }, "Draft an entry");
      button.addEventListener("click", function () {
        button.disabled = true;
        api("POST", "/api/analytics/unanswered/" + encodeURIComponent(c.id) + "/draft" + query())
          .then(function (r) { action.replaceChildren(el("span", { "class": "muted" }, "Draft written: " + r.path)); })
          .catch(function (err) { button.disabled = false; action.appendChild(el("div", { "class": "error" }, err.message)); });
      });
      action.appendChild(button);
      tr.appendChild(action);
      body.appendChild(tr);
    });
  }

  function renderSuggestions(data) {
    var list = $("suggestions");
    clear(list);
    $("suggestions-empty").hidden = data.suggestions.length > 0;
    data.suggestions.forEach(function (s) {
      var li = el("li", { "data-suggestion": s.id });
      li.appendChild(el("div", { "class": "muted" }, (s.entry || "no entry") + " · " + (s.language || "") + (s.question ? " · " + s.question : "")));
      li.appendChild(el("div", { "class": "text" }, s.text));
      var actions = el("div", { "class": "actions" });
      [["example", "Add as example"], ["answer", "Use as answer"]].forEach(function (pair) {
        var b = el("button", { type: "button" }, pair[1]);
        b.addEventListener("click", function () { decide(li, "/accept", { mode: pair[0] }, "Accepted (" + pair[1].toLowerCase() + ")"); });
        actions.appendChild(b);
      });
      var dismiss = el("button", { type: "button", "class": "secondary" }, "Dismiss");
      dismiss.addEventListener("click", function () { decide(li, "/dismiss", undefined, "Dismissed"); });
      actions.appendChild(dismiss);
      li.appendChild(actions);
      list.appendChild(li);
    });
  }

  function decide(li, path, body, done) {
    var id = li.getAttribute("data-suggestion");
    li.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
    api("POST", "/api/analytics/suggestions/" + encodeURIComponent(id) + path, body)
      .then(function () { li.querySelector(".actions").replaceChildren(el("span", { "class": "muted" }, done)); })
      .catch(function (err) {
        li.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
        li.appendChild(el("div", { "class": "error" }, err.message));
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    $("login").addEventListener("submit", function (event) {
      event.preventDefault();
      $("login-error").textContent = "";
      fetch("/api/auth/login", {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ email: $("email").value, password: $("password").value })
      }).then(function (r) { return r.json().then(function (d) { return { ok: r.ok, data: d }; }); })
        .then(function (r) {
          if (!r.ok) { $("login-error").textContent = (r.data.error || {}).message || "Login failed"; return; }
          if (r.data.agent && r.data.agent.role !== "admin") { $("login-error").textContent = "This page needs the admin role."; return; }
          sessionStorage.setItem(TOKEN_KEY, r.data.token);
          $("who").textContent = r.data.agent ? r.data.agent.name : "";
          showDashboard();
        }).catch(function () { $("login-error").textContent = "The server did not answer."; });
    });
    $("logout").addEventListener("click", function () {
      fetch("/api/auth/logout", { method: "POST", headers: { "Authorization": "Bearer " + token() } });
      sessionStorage.removeItem(TOKEN_KEY);
      showLogin();
    });
    $("range").addEventListener("submit", function (event) { event.preventDefault(); load(); });
    if (token()) showDashboard(); else showLogin();
  });

  // ---- conversations, ratings and comments; the transcript viewer --------------
  function renderConversations(data) {
    var body = $("conversations").querySelector("tbody");
    clear(body);
    tables.conversations = { header: ["started", "conversation", "channel", "language", "messages", "handed_off_for", "rating", "comment"], rows: [] };
    data.conversations.forEach(function (c) {
      var when = c.started ? new Date(c.started * 1000).toISOString().slice(0, 16).replace("T", " ") : "";
      var reasons = c.reasons.map(reasonWords).join(", ");
      tables.conversations.rows.push([when, c.conversation_id, c.channel, c.language, c.messages, reasons, c.rating, c.comment]);
      var tr = el("tr");
      [when, c.channel, c.language || "", String(c.messages), reasons || (c.handed_off ? "yes" : ""), c.rating == null ? "" : c.rating + "/5"].forEach(function (v) { tr.appendChild(el("td", {}, v)); });
      tr.appendChild(el("td", { "class": "comment" }, c.comment || ""));
      var cell = el("td");
      var view = el("button", { type: "button", "class": "secondary" }, "Transcript");
      view.addEventListener("click", function () { showTranscript(c.conversation_id); });
      cell.appendChild(view);
      tr.appendChild(cell);
      body.appendChild(tr);
    });
    $("conversations-empty").hidden = data.conversations.length > 0;
  }
  function showTranscript(id) {
    api("GET", "/api/analytics/conversations/" + encodeURIComponent(id)).then(function (data) {
      var box = $("transcript-view");
      clear(box);
      box.hidden = false;
      box.appendChild(el("h3", {}, id));
      var list = el("ol", { "class": "transcript" });
      data.transcript.forEach(function (line) {
        var li = el("li", { "class": "line " + line.kind + (line.redacted ? " redacted" : "") });
        li.appendChild(el("span", { "class": "who" }, { user: "Customer", bot: "Bot", agent: "Agent", note: "Note" }[line.kind] + " · " + new Date(line.timestamp * 1000).toLocaleTimeString()));
        li.appendChild(el("div", {}, line.text));
        list.appendChild(li);
      });
      box.appendChild(list);
      box.scrollIntoView();
    }).catch(function (err) { $("status").textContent = "Error: " + err.message; });
  }
})();
