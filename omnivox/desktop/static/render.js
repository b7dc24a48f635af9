// Rendering of the screen-pop from its JSON. Text always goes in through textContent:
// nothing the customer or another channel wrote can become markup.
"use strict";

const Render = (function () {
  const SVG = "http://www.w3.org/2000/svg";
  // 24x24 stroke icons, drawn for Omnivox
  const ICONS = {
    voice: "M6 3h3l2 5-2 1.5a11 11 0 0 0 5.5 5.5L16 13l5 2v3a2 2 0 0 1-2 2A16 16 0 0 1 4 5a2 2 0 0 1 2-2z",
    email: "M3 6h18v12H3z M3 6l9 7 9-7",
    chat: "M4 5h16v10H10l-5 4v-4H4z",
    sms: "M7 2h10v20H7z M10 18h4 M10 6h4",
    messenger: "M12 3c5 0 9 3.5 9 8s-4 8-9 8l-4 2v-3.5C5 16 3 13.6 3 11c0-4.5 4-8 9-8z M8 13l3-3 2 2 3-3",
    social: "M9 3 7 21 M17 3l-2 18 M4 9h17 M3 15h17",
    web: "M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18z M3 12h18 M12 3c3 3 3 15 0 18 M12 3c-3 3-3 15 0 18",
    outbound: "M5 19 19 5 M9 5h10v10",
  };

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "class") el.className = value;
      else if (name === "text") el.textContent = String(value);
      else if (name.startsWith("data-")) el.setAttribute(name, String(value));
      else el.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return el;
  }

  function icon(channel) {
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("class", "icon");
    svg.setAttribute("aria-hidden", "true");
    const path = document.createElementNS(SVG, "path");
    path.setAttribute("d", ICONS[channel] || ICONS.web);
    svg.append(path);
    return h("span", { class: "chan chan-" + channel, title: channel }, svg);
  }

  function ago(iso) {
    if (!iso) return "";
    const s = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
    if (s < 90) return Math.round(s) + " s ago";
    if (s < 5400) return Math.round(s / 60) + " min ago";
    if (s < 129600) return Math.round(s / 3600) + " h ago";
    if (s < 86400 * 60) return Math.round(s / 86400) + " d ago";
    return new Date(iso).toLocaleDateString();
  }

  function duration(seconds) {
    const s = Math.max(0, Math.round(seconds || 0));
    return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  }

  function words(text) {
    return text ? String(text).replace(/_/g, " ") : "";
  }

  function contact(pop, forAgent) {
    const c = pop.contact;
    const kindLabel = { call: "Inbound call", callback: "Callback", chat: "Chat" }[c.kind] || c.kind;
    const rows = [
      ["Caller", c.caller || "withheld"],
      ["Service", c.service],
      ["Waited", duration(c.waited_s)],
      ["Intent", c.intent ? words(c.intent) + confidence(pop.journey) : "—"],
      ["Language", c.language],
      ["Priority", c.priority],
    ];
    return [
      h("h2", {}, h("span", { class: "kind kind-" + c.kind, id: "pop-kind" }, kindLabel),
        forAgent ? h("span", { class: "muted" }, " for agent " + forAgent) : null),
      (c.kind === "callback" || c.kind === "chat") && c.reason
        ? h("p", { class: "callout" }, (c.kind === "chat" ? "Chat: " : "Callback: ") + c.reason)
        : null,
      h("dl", { class: "facts" }, rows.filter((r) => r[1] !== null && r[1] !== undefined && r[1] !== "")
        .map(([k, v]) => [h("dt", { text: k }), h("dd", { text: v })])),
    ];
  }

  function confidence(journey) {
    if (!journey || !journey.intent_source) return "";
    const pct = journey.intent_confidence == null ? "" : " " + Math.round(journey.intent_confidence * 100) + "%";
    return " (" + journey.intent_source + pct + ")";
  }

  function customer(pop) {
    const k = pop.customer;
    if (!k) return null;
    const ids = Object.entries(k.identities || {}).map(([kind, list]) =>
      h("li", {}, h("span", { class: "idkind", text: kind }),
        list.map((i) => h("span", { class: "idval" + (i.verified ? " verified" : ""), text: i.value }))));
    const intents = (pop.intents || []).map((i) =>
      h("li", {}, words(i.intent) + " × " + i.count + " (last " + ago(i.last_at) + ")"));
    return [
      h("h2", { id: "customer-name" }, k.name || "Customer #" + k.id,
        k.vip ? h("span", { class: "vip", text: "VIP" }) : null,
        k.segment ? h("span", { class: "segment", text: k.segment }) : null,
        k.match === "maybe" ? h("span", { class: "maybe", text: "maybe this customer" }) : null),
      h("ul", { class: "identities" }, ids),
      intents.length ? h("div", {}, h("h3", { text: "Usually about" }), h("ul", { class: "intents" }, intents)) : null,
      h("p", { class: "muted" }, "Customer since " + new Date(k.since).toLocaleDateString() + " · ",
        h("a", { href: "/api/customers/" + k.id, target: "_blank", rel: "noopener" }, "full profile")),
    ];
  }

  function item(t) {
    const who = t.agent ? t.agent.name || "agent " + t.agent.id : null;
    return h("li", { class: "tl-item" + (t.open ? " open" : "") + (t.this_call ? " this-call" : ""),
      "data-channel": t.channel },
      icon(t.channel),
      h("div", { class: "tl-body" },
        h("div", { class: "tl-head" },
          h("span", { class: "dir", title: t.direction === "in" ? "inbound" : "outbound",
            text: t.direction === "in" ? "↘" : "↗" }),
          h("strong", { text: t.topic || words(t.intent) || t.channel }),
          h("time", { datetime: t.occurred_at, title: t.occurred_at, text: ago(t.occurred_at) })),
        t.summary ? h("p", { class: "tl-summary", text: t.summary }) : null,
        h("div", { class: "tl-meta" },
          t.outcome ? h("span", { class: "outcome outcome-" + t.outcome, text: t.outcome }) : null,
          t.this_call ? h("span", { class: "this-call-badge", text: "this call" }) : null,
          t.open && !t.this_call ? h("span", { class: "open-badge", text: "open" }) : null,
          t.disposition ? h("span", { class: "dispo", text: t.disposition }) : null,
          who ? h("span", { class: "agent", text: who }) : null)));
  }

  function journey(j) {
    if (!j) return [h("h2", { text: "IVR" }), h("p", { class: "muted", text: "No IVR journey for this contact." })];
    const menus = j.menus.map((m) =>
      h("div", { class: "menu" },
        h("h3", {}, "Menu " + m.node + " ", h("span", { class: "muted", text: m.mode || "" })),
        h("ol", { class: "order" }, m.order.map((o) =>
          h("li", { class: o.promoted ? "promoted" : "" },
            h("kbd", { text: o.key }), " " + words(o.intent || o.option),
            o.promoted ? h("span", { class: "why", text: " ★ " + (m.reasons[o.intent] || "promoted") }) : null)))));
    const steps = j.path.map((s) =>
      h("li", {}, h("code", { text: s.node }), " " + words(s.result || s.kind),
        s.input ? h("kbd", { text: s.input }) : null,
        s.prefill ? h("span", { class: "muted", text: " prefill " + s.prefill }) : null,
        s.transcript ? h("q", { class: "heard", text: s.transcript }) : null));
    const heard = j.path.filter((s) => s.transcript).pop();
    const inputs = j.inputs.map((i) =>
      h("tr", {}, h("td", { text: words(i.field) }), h("td", { text: i.value }),
        h("td", {}, h("span", { class: i.prefilled ? "prefilled" : "given", text: i.prefilled ? "prefilled from " + i.source : "given by " + (i.source || "caller") }))));
    return [
      h("h2", {}, "IVR journey ", h("span", { class: "muted", text: j.scenario + " · " + words(j.status) })),
      j.recorded ? null : h("p", { class: "muted", text: "The IVR is still recording this journey." }),
      heard ? h("p", { id: "pop-heard" }, "Caller said: ", h("q", { text: heard.transcript }),
        heard.confidence == null ? "" : " (" + Math.round(heard.confidence * 100) + "% sure)") : null,
      inputs.length ? h("table", { class: "inputs" }, h("tbody", {}, inputs)) : null,
      menus,
      steps.length ? h("details", {}, h("summary", { text: "Path (" + steps.length + " steps)" }), h("ol", { class: "path" }, steps)) : null,
    ];
  }

  function routing(r) {
    const skills = (r.skills || []).map((s) =>
      h("tr", {}, h("td", { text: s.skill }), h("td", { text: s.required == null ? "" : "≥ " + s.required }),
        h("td", { text: s.agent_level == null ? "" : "you: " + s.agent_level })));
    const rejected = Object.entries(r.rejected_by_reason || {}).map(([k, n]) => n + " " + words(k));
    return [
      h("h2", { text: "Why you" }),
      r.why ? h("p", { class: "why-line", text: r.why }) : h("p", { class: "muted", text: "No routing trace." }),
      skills.length ? h("table", { class: "skills" }, h("tbody", {}, skills)) : null,
      (r.step_reasons || []).length ? h("p", { class: "muted", text: "Relaxed: " + r.step_reasons.join("; ") }) : null,
      r.runner_up ? h("p", { class: "muted", text: "Runner-up: agent " + r.runner_up }) : null,
      rejected.length ? h("p", { class: "muted", text: "Not chosen: " + rejected.join(", ") }) : null,
    ];
  }

  return { h, icon, ago, duration, words, contact, customer, item, journey, routing };
})();
