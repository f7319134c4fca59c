/* Balcão agent console: the Community view. Reported posts with Approve and Hide, accepted
   answers with Promote to draft (admins), over the community's moderation API. Every text
   goes through textContent, never innerHTML. */
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var role = null, open = false;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text != null) node.textContent = text;
    return node;
  }
  async function api(method, path) {
    var token = sessionStorage.getItem("balcao:token");
    var resp = await fetch(path, { method: method, headers: token ? { Authorization: "Bearer " + token } : {} });
    var data = null;
    try { data = await resp.json(); } catch (e) { /* empty body */ }
    if (!resp.ok) throw new Error((data && data.error && data.error.message) || resp.statusText);
    return data;
  }
  function status(text, undo) {
    var box = $("moderation-status");
    box.textContent = text;
    if (undo) {
      var button = el("button", "link", "Undo");
      button.type = "button";
      button.addEventListener("click", undo);
      box.appendChild(document.createTextNode(" "));
      box.appendChild(button);
    }
  }
  function link(item) {
    var a = el("a", "title", item.title);
    a.href = item.url;
    a.target = "_blank";
    a.rel = "noopener";
    return a;
  }
  function button(label, cls, action) {
    var b = el("button", cls, label);
    b.type = "button";
    b.addEventListener("click", async function () {
      b.disabled = true;
      try { await action(); } catch (err) { status(err.message); b.disabled = false; }
    });
    return b;
  }
  async function act(kind, id, action) {
    await api("POST", "/api/community/" + kind + "/" + id + "/" + action);
  }

  function flaggedItem(f) {
    var li = el("li", "item flagged");
    li.dataset.kind = f.kind;
    li.dataset.id = String(f.id);
    var head = el("div", "row");
    head.appendChild(link(f));
    head.appendChild(el("span", "tag at-risk", f.reports + (f.reports === 1 ? " report" : " reports")));
    li.appendChild(head);
    li.appendChild(el("p", "post", f.body));
    var row = el("div", "row");
    row.appendChild(el("span", "meta", (f.kind === "question" ? "Question" : "Answer") + " by " + f.author_name + " · " + f.language));
    var actions = el("span", "actions-inline");
    actions.appendChild(button("Approve", "approve", async function () {
      await act(f.kind, f.id, "approve");
      status("Approved: kept on the community.");
      await load();
    }));
    actions.appendChild(document.createTextNode(" "));
    actions.appendChild(button("Hide", "hide", async function () {
      await act(f.kind, f.id, "hide");
      status("Hidden from the community.", async function () {
        await act(f.kind, f.id, "unhide");
        status("Shown again.");
        await load();
      });
      await load();
    }));
    row.appendChild(actions);
    li.appendChild(row);
    return li;
  }

  function awaitingItem(q) {
    var li = el("li", "item awaiting");
    li.dataset.id = String(q.id);
    var head = el("div", "row");
    head.appendChild(link(q));
    head.appendChild(el("span", "meta", q.language + " · " + q.views + " views"));
    li.appendChild(head);
    var promote = button("Promote to draft", "promote", async function () {
      var made = await api("POST", "/api/admin/community/questions/" + q.id + "/promote");
      status("Draft written: " + made.draft + ". Rename it to " + made.publish_by_renaming_to + " to publish.");
      await load();
    });
    if (role !== "admin") {
      promote.disabled = true;
      promote.title = "Only admins promote answers into the knowledge base";
    }
    li.appendChild(promote);
    return li;
  }

  function fill(list, items, render, empty) {
    list.replaceChildren();
    if (!items.length) list.appendChild(el("li", "meta", empty));
    items.forEach(function (item) { list.appendChild(render(item)); });
  }

  async function load() {
    var queue = await api("GET", "/api/community/moderation");
    $("community-count").textContent = String(queue.flagged.length);
    $("flagged-count").textContent = String(queue.flagged.length);
    fill($("flagged"), queue.flagged, flaggedItem, "Nothing reported.");
    fill($("awaiting"), queue.awaiting_promotion, awaitingItem, "No accepted answers waiting.");
  }

  async function show(on) {
    open = on;
    $("moderation").hidden = !on;
    document.querySelector(".columns").hidden = on;
    $("community-toggle").setAttribute("aria-expanded", String(on));
    if (on) {
      if (role === null) role = (await api("GET", "/api/me")).role;
      status("");
      await load();
    }
  }
  $("community-toggle").addEventListener("click", function () {
    show(!open).catch(function (err) { status(err.message); });
  });
  // the count in the bar: read when the console opens after login, then every 30 s
  function refresh() {
    if (sessionStorage.getItem("balcao:token") && !$("app").hidden) load().catch(function () { /* next time */ });
  }
  new MutationObserver(refresh).observe($("app"), { attributes: true, attributeFilter: ["hidden"] });
  setInterval(refresh, 30000);
  refresh();
})();
