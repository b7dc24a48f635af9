// Omnivox wallboard: renders the boards pushed on /ws/wallboard, reconnects on its own, and
// advances waits and times in state between pushes.
"use strict";

(() => {
  const STATES = ["ready", "reserved", "on_call", "wrap_up", "not_ready", "offline"];
  const LABELS = {
    ready: "ready", reserved: "ringing", on_call: "on call", wrap_up: "wrap-up",
    not_ready: "not ready", offline: "offline",
  };
  let board = null;
  let receivedAt = 0;
  let retryMs = 500;
  let stopped = false;

  const $ = (sel) => document.querySelector(sel);

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined) continue;
      if (name === "class") node.className = value;
      else node.setAttribute(name, String(value));
    }
    for (const child of children) {
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function clock(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    const pad = (n) => String(n).padStart(2, "0");
    return h ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
  }

  function elapsed() {
    return (Date.now() - receivedAt) / 1000;
  }

  function figure(cls, value, label, attrs) {
    return el("div", { class: `figure ${cls}`, ...attrs },
      el("div", { class: "value" }, value), el("div", { class: "label" }, label));
  }

  function chips(counts) {
    const box = el("div", { class: "chips" });
    for (const state of STATES) {
      if (state === "offline" || !counts[state]) continue;
      box.append(el("span", { class: "chip", "data-state": state },
        el("b", {}, counts[state]), ` ${LABELS[state] || state}`));
    }
    if (!box.childElementCount) box.append(el("span", { class: "muted" }, "no agent signed in"));
    return box;
  }

  function span(seconds) {
    if (seconds === null || seconds === undefined) return "";
    return seconds % 60 === 0 ? `${seconds / 60} min` : `${seconds} s`;
  }

  // the router's live level: its rolling window, "—" with nothing counted
  function liveFigure(s) {
    const live = s.live;
    const value = live.percent === null ? "—" : `${live.percent.toFixed(1)}%`;
    const counts = `${live.met} met · ${live.missed} missed · ${live.late} late`;
    const goal = s.sl.goal_percent === null ? "" : `goal ${s.sl.goal_percent}% in ${s.sl.target_s} s`;
    const title = live.measured
      ? `Live service level, last ${span(live.window_s)}: ${counts}. ${goal}`
      : "The router has not measured this service's level (yet).";
    const box = figure("live", value, `live, last ${span(live.window_s)}`,
      { "data-status": live.status, title });
    box.append(el("div", { class: "counts" }, live.measured ? counts : "not measured"));
    return box;
  }

  function serviceCard(s, extra) {
    const oldest = s.waiting ? s.oldest_wait_s + extra : 0;
    const target = s.sl.target_s;
    const level = !s.waiting || target === null ? "" : oldest >= target ? "bad"
      : oldest >= target / 2 ? "warn" : "";
    const sl = s.sl.percent === null ? "—" : `${s.sl.percent.toFixed(1)}%`;
    const goal = s.sl.goal_percent === null ? "" : `goal ${s.sl.goal_percent}% in ${target} s`;
    const behind = s.live.behind
      ? el("span", { class: "behind", role: "status" }, "▲ behind target") : "";
    return el("article", {
      class: "card", "data-service": s.name, "data-waiting": s.waiting,
      "data-at-risk": s.live.behind ? "true" : "false",
    },
      el("h3", {}, el("span", { class: "name" }, s.name, behind),
        el("span", { class: "muted" }, s.ringing ? `${s.ringing} ringing` : "")),
      el("div", { class: "figures" },
        figure("waiting", s.waiting, "waiting"),
        figure("oldest", s.waiting ? clock(oldest) : "—", "oldest wait", { "data-level": level }),
        liveFigure(s),
        figure("sl", sl, "service level today", { "data-status": s.sl.status })),
      el("div", { class: "detail" },
        `${s.sl.answered} answered (${s.sl.in_target} in target), ${s.sl.abandoned} abandoned,`
        + ` ${s.talking} talking · ${goal}`),
      chips(s.agents));
  }

  function render() {
    if (!board) return;
    const extra = elapsed();
    $("#services").replaceChildren(...board.services.map((s) => serviceCard(s, extra)));
    const rows = board.agents.map((a) => el("tr", { "data-agent": a.id, "data-state-row": a.state },
      el("td", {}, a.name),
      el("td", {}, el("span", { class: "state", "data-state": a.state },
        (LABELS[a.state] || a.state) + (a.reason ? ` · ${a.reason}` : ""))),
      el("td", { class: "time" }, clock(a.in_state_s + extra)),
      el("td", {}, a.services.join(", ")),
      el("td", {}, a.team || "")));
    $("#agents tbody").replaceChildren(...rows);
    $("#no-agents").hidden = rows.length > 0;
    const t = board.totals;
    $("#totals").replaceChildren(
      el("span", {}, el("b", { id: "total-waiting" }, t.waiting), " waiting"),
      el("span", { "data-behind": t.behind ? "true" : "false" },
        el("b", { id: "total-behind" }, t.behind), " behind target"),
      ...["ready", "on_call", "wrap_up", "not_ready"].map((state) =>
        el("span", {}, el("b", {}, t.agents[state] || 0), ` ${LABELS[state]}`)));
    $("#updated").textContent = `updated ${new Date(board.at * 1000).toLocaleTimeString()}`;
  }

  function setConn(state, text) {
    const conn = $("#conn");
    conn.dataset.conn = state;
    conn.textContent = text;
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${scheme}://${location.host}/ws/wallboard`);
    setConn("connecting", "connecting…");
    ws.onmessage = (event) => {
      const message = JSON.parse(event.data);
      if (message.type === "hello") {
        retryMs = 500;
        setConn("up", "live");
        $("#me").textContent = `${message.principal.login} (${message.principal.role})`;
      } else if (message.type === "board") {
        board = message;
        receivedAt = Date.now();
        render();
      }
    };
    ws.onclose = (event) => {
      if (event.code === 4401 || event.code === 1008) {
        signedOut();
        return;
      }
      if (event.code === 4403) {
        stopped = true;
        setConn("down", "not allowed");
        $("#notice").replaceChildren("The wallboard is for supervisors and admins: your role changed.");
        $("#notice").hidden = false;
        return;
      }
      setConn("down", "reconnecting…");
      setTimeout(retry, retryMs);
      retryMs = Math.min(retryMs * 2, 10000);
    };
  }

  function signedOut() {
    stopped = true;
    setConn("down", "signed out");
    const notice = $("#notice");
    notice.replaceChildren("Your session ended. ", el("a", { href: "/" }, "Sign in again"));
    notice.hidden = false;
  }

  // a refused upgrade looks like any lost connection: ask whether the session is still valid
  async function retry() {
    try {
      const response = await fetch("/auth/me", { credentials: "same-origin" });
      if (response.status === 401) {
        signedOut();
        return;
      }
    } catch (_) {
      // the server is down: keep trying
    }
    connect();
  }

  setInterval(() => { if (!stopped) render(); }, 1000);
  connect();
})();
