// The agent desktop: state controls, the pushed screen-pop, unknown callers, chats, wrap-up.
// The websocket reconnects by itself and acknowledges each pop once it is on screen.
"use strict";

(function () {
  const { h, duration } = Render;
  const $ = (id) => document.getElementById(id);
  const desk = {
    me: null, agent: null, pop: null, cursor: null, socket: null, backoff: 500,
    wrapTimer: null, recent: [], watching: null, leaving: false,
  };

  async function api(method, url, body) {
    const options = { method, credentials: "same-origin", headers: {} };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const response = await fetch(url, options);
    if (response.status === 401) {
      location.assign("/?error=" + encodeURIComponent("Your session ended; sign in again."));
      throw new Error("signed out");
    }
    let data = null;
    try { data = await response.json(); } catch (err) { data = null; }
    if (!response.ok) {
      const error = new Error((data && data.message) || response.statusText);
      error.field = data && data.field;
      throw error;
    }
    return data;
  }

  // --- state --------------------------------------------------------------------------------

  function showState(view) {
    const badge = $("state");
    badge.dataset.state = view.state;
    badge.textContent = view.state.replace("_", " ") + (view.reason ? " · " + view.reason : "");
    clearInterval(desk.wrapTimer);
    const countdown = $("wrapup-countdown");
    countdown.hidden = view.state !== "wrap_up";
    $("btn-ready").textContent = view.state === "wrap_up" ? "End wrap-up" : "Ready";
    if (view.state === "wrap_up" && view.wrap_up_left_s != null) {
      const until = Date.now() + view.wrap_up_left_s * 1000;
      const tick = () => {
        const left = (until - Date.now()) / 1000;
        countdown.textContent = "wrap-up " + duration(left);
        if (left <= 0) { clearInterval(desk.wrapTimer); refreshState(); }
      };
      tick();
      desk.wrapTimer = setInterval(tick, 1000);
    }
  }

  async function refreshState() {
    try { showState(await api("GET", "/api/agents/" + desk.agent)); $("state-error").textContent = ""; }
    catch (err) { $("state-error").textContent = err.message; }
  }

  async function setState(state, reason) {
    $("state-error").textContent = "";
    try { showState(await api("PUT", "/api/agents/" + desk.agent + "/state", { state, reason })); }
    catch (err) { $("state-error").textContent = err.message; }
  }

  // --- the pop ------------------------------------------------------------------------------

  function fill(id, nodes) {
    const el = $(id);
    el.replaceChildren(...[nodes].flat(3).filter((n) => n !== null && n !== undefined && n !== false));
    el.hidden = el.childElementCount === 0;
  }

  function showPop(pop) {
    desk.pop = pop;
    desk.cursor = pop.timeline ? pop.timeline.next_cursor : null;
    const forAgent = pop.agent_id && pop.agent_id !== desk.me.id ? pop.agent_id : null;
    fill("contact", Render.contact(pop, forAgent));
    fill("customer", pop.customer ? Render.customer(pop) : unknownCard(pop));
    fill("routing", Render.routing(pop.routing || {}));
    fill("journey", Render.journey(pop.journey));
    const open = pop.open_matters || [];
    fill("open-matters", open.length ? [h("h2", { text: "Open matters (" + open.length + ")" }),
      h("ul", { class: "timeline" }, open.map(Render.item))] : []);
    const items = pop.timeline ? pop.timeline.items : [];
    fill("timeline", [
      h("h2", {}, "History on every channel ", h("span", { class: "muted", text: items.length ? "newest first" : "" })),
      items.length ? h("ul", { class: "timeline", id: "timeline-list" }, items.map(Render.item))
        : h("p", { class: "muted", text: pop.customer ? "No earlier contact." : "Unknown caller: no history." }),
      desk.cursor ? h("button", { id: "more", type: "button", text: "Older…" }) : null,
    ]);
    if ($("more")) $("more").addEventListener("click", loadMore);
    $("idle").hidden = true;
    $("pop").hidden = false;
    $("wrapup").hidden = forAgent !== null;
    $("wu-result").textContent = "";
    DeskChat.show(pop, api);
    remember(pop);
  }

  function remember(pop) {
    desk.recent = [pop, ...desk.recent.filter((p) => p.id !== pop.id)].slice(0, 6);
    const list = desk.recent.slice(1).map((p) =>
      h("button", { type: "button", class: "recent-pop", "data-id": p.id },
        (p.customer && p.customer.name) || p.contact.caller || p.contact.call_id));
    fill("recent", list.length ? [h("span", { class: "muted", text: "Earlier: " }), list] : []);
    for (const button of $("recent").querySelectorAll("button")) {
      button.addEventListener("click", () => showPop(desk.recent.find((p) => p.id === button.dataset.id)));
    }
  }

  async function loadMore() {
    const button = $("more");
    button.disabled = true;
    try {
      const page = await api("GET", "/desktop/contacts/" + encodeURIComponent(desk.pop.contact.call_id) +
        "/timeline?before=" + encodeURIComponent(desk.cursor));
      $("timeline-list").append(...page.items.map(Render.item));
      desk.cursor = page.next_cursor;
      if (!desk.cursor) button.remove(); else button.disabled = false;
    } catch (err) {
      button.textContent = err.message;
    }
  }

  function unknownCard(pop) {
    const call = encodeURIComponent(pop.contact.call_id);
    const status = h("p", { class: "error", role: "alert" });
    const create = h("form", { class: "row", id: "create-customer" },
      h("input", { id: "new-name", placeholder: "Customer name", required: true, maxlength: 200 }),
      h("button", { type: "submit", class: "primary", text: "Create customer" }));
    const search = h("form", { class: "row", id: "find-customer" },
      h("input", { id: "find-value", placeholder: "phone or e-mail of an existing customer", required: true }),
      h("button", { type: "submit", text: "Find" }));
    const results = h("ul", { class: "found" });
    create.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        const answer = await api("POST", "/desktop/contacts/" + call + "/customer",
          { action: "create", name: $("new-name").value });
        showPop(answer.pop);
      } catch (err) { status.textContent = err.message; }
    });
    search.addEventListener("submit", async (event) => {
      event.preventDefault();
      const value = $("find-value").value.trim();
      const kind = value.includes("@") ? "email" : "phone";
      try {
        const found = await api("GET", "/desktop/customers?" + kind + "=" + encodeURIComponent(value));
        results.replaceChildren(...found.customers.map((c) => {
          const link = h("button", { type: "button", text: "Link this caller" });
          link.addEventListener("click", async () => {
            try {
              const answer = await api("POST", "/desktop/contacts/" + call + "/customer",
                { action: "link", customer_id: c.id });
              showPop(answer.pop);
            } catch (err) { status.textContent = err.message; }
          });
          return h("li", {}, (c.name || "Customer #" + c.id) + " ", link);
        }));
        status.textContent = found.customers.length ? "" : "No customer has that identity.";
      } catch (err) { status.textContent = err.message; }
    });
    return [
      h("h2", { id: "customer-name" }, "Unknown caller ", h("span", { class: "maybe", text: pop.contact.caller || "withheld" })),
      h("p", { class: "muted", text: "No customer has this number. Create one, or link it to an existing customer." }),
      create, search, results, status,
    ];
  }

  // --- wrap-up ------------------------------------------------------------------------------

  async function saveWrapup(event) {
    event.preventDefault();
    const result = $("wu-result");
    result.className = "";
    result.textContent = "saving…";
    const outcome = document.querySelector("input[name=wu-outcome]:checked").value;
    try {
      const saved = await api("POST", "/desktop/wrapup", {
        call_id: desk.pop.contact.call_id,
        notes: $("wu-notes").value,
        disposition: $("wu-disposition").value,
        topic: $("wu-topic").value,
        outcome,
      });
      result.className = "ok";
      result.textContent = saved.duplicate ? "Already saved for this contact." : "Saved to the timeline ✓";
      const list = $("timeline-list");
      if (list && !saved.duplicate) list.prepend(Render.item(saved.interaction));
    } catch (err) {
      result.className = "error";
      result.textContent = err.message;
    }
  }

  // --- the websocket ------------------------------------------------------------------------

  function setConn(state, text) {
    $("conn").dataset.conn = state;
    $("conn").textContent = text;
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(scheme + "://" + location.host + "/ws/agent");
    desk.socket = socket;
    socket.addEventListener("open", () => {
      desk.backoff = 500;
      setConn("up", "connected");
      if (desk.watching) socket.send(JSON.stringify({ type: "subscribe", agent: desk.watching }));
    });
    socket.addEventListener("message", (event) => {
      let message;
      try { message = JSON.parse(event.data); } catch (err) { return; }
      if (message.type === "pop") {
        showPop(message.pop);
        // acknowledged once painted (the frame after the DOM change); at once if hidden
        const ack = () => socket.send(JSON.stringify({ type: "ack", id: message.pop.id, agent: message.agent }));
        if (document.hidden) ack();
        else requestAnimationFrame(() => setTimeout(ack, 0));
      } else if (DeskChat.onSocket(message)) {
        // a chat message or the end of a chat, shown in the chat panel
      } else if (message.type === "state" && message.agent === desk.agent) {
        showState(message.state);
      } else if (message.type === "refused") {
        $("state-error").textContent = "Cannot watch agent " + message.agent + ": " + message.reason;
      }
    });
    socket.addEventListener("close", (event) => {
      if (desk.leaving) return;
      if (event.code === 4401) {
        location.assign("/?error=" + encodeURIComponent("Your session ended; sign in again."));
        return;
      }
      if (event.code === 4409) {  // an admin changed this agent's role or team: redraw for it
        location.reload();
        return;
      }
      setConn("down", "reconnecting…");
      setTimeout(connect, desk.backoff);
      desk.backoff = Math.min(desk.backoff * 2, 10000);
    });
  }

  // --- start --------------------------------------------------------------------------------

  async function start() {
    desk.me = await api("GET", "/auth/me");
    desk.agent = desk.me.id;
    $("me").textContent = desk.me.login + " · " + desk.me.role + (desk.me.team ? " · " + desk.me.team : "");
    $("watch-form").hidden = desk.me.role === "agent";
    $("staff-links").hidden = desk.me.role === "agent";
    $("admin-link").hidden = desk.me.role !== "admin";
    $("btn-ready").addEventListener("click", () => setState("ready", null));
    $("btn-not-ready").addEventListener("click", () => setState("not_ready", $("nr-reason").value));
    $("wrapup").addEventListener("submit", saveWrapup);
    DeskChat.start();
    $("signout").addEventListener("submit", () => { desk.leaving = true; });
    $("watch-form").addEventListener("submit", (event) => {
      event.preventDefault();
      desk.watching = Number($("watch-agent").value);
      desk.socket.send(JSON.stringify({ type: "subscribe", agent: desk.watching }));
    });
    await refreshState();
    const current = await api("GET", "/desktop/current");
    if (current.pop) showPop(current.pop);
    connect();
  }

  start().catch((err) => setConn("down", err.message));
})();
