// The customer's chat continuing a call: open it with the link's token, show what the call
// already told us, send messages, and follow the chat live (server-sent events): the agent's
// replies, the place in the queue while waiting, the end of the chat. The session comes back
// as an HttpOnly cookie too, so a reload reopens the same chat with the whole conversation.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const token = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop() || "");
  const api = "/api/continuations/" + encodeURIComponent(token);
  let session = sessionStorage.getItem("omnivox-chat:" + token);
  let stream = null;

  async function call(path, body) {
    const reply = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      credentials: "same-origin",
      body: JSON.stringify(body),
    });
    const data = await reply.json().catch(() => ({}));
    if (!reply.ok) throw new Error(data.message || "HTTP " + reply.status);
    return data;
  }

  function fail(message) {
    $("error").textContent = message.charAt(0).toUpperCase() + message.slice(1) + ".";
    $("error").hidden = false;
  }

  function show(view) {
    const c = view.context;
    $("title").textContent = c.topic
      ? "Continuing your call about " + c.topic
      : "Continuing your call";
    $("status").textContent = view.routed === false
      ? "We have your request; an agent will reply here."
      : "An agent will join you here shortly. You will not need to repeat yourself.";
    const list = $("collected");
    list.replaceChildren();
    for (const item of c.collected) {
      const li = document.createElement("li");
      li.dataset.field = item.field;
      li.textContent = item.label + ": " + item.value;
      list.appendChild(li);
    }
    $("context").hidden = c.collected.length === 0;
    $("composer").hidden = false;
    document.body.dataset.chat = view.chat_id;
  }

  function append(message) {
    const list = $("messages");
    if (message.seq && list.querySelector('[data-seq="' + message.seq + '"]')) return;
    const li = document.createElement("li");
    li.className = "msg msg-" + message.from;
    if (message.seq) li.dataset.seq = message.seq;
    if (message.from === "agent") {
      const who = document.createElement("span");
      who.className = "who";
      who.textContent = message.name || "Agent";
      li.appendChild(who);
    }
    li.appendChild(document.createTextNode(message.text));
    // in order of seq: a reply streamed before our own POST answered stays below it
    const later = Array.from(list.children).find((el) => Number(el.dataset.seq) > Number(message.seq));
    list.insertBefore(li, later || null);
  }

  function ordinal(n) {
    const tail = n % 100 >= 11 && n % 100 <= 13 ? "th" : ["th", "st", "nd", "rd"][n % 10] || "th";
    return n + tail;
  }

  function showPlace(place) {
    const el = $("queue");
    el.dataset.phase = place.phase;
    delete el.dataset.position;
    if (place.phase === "waiting") {
      el.dataset.position = place.position;
      el.textContent = place.position === 1
        ? "You are next in the queue (" + place.waiting + " waiting)."
        : "You are " + ordinal(place.position) + " in the queue (" + place.waiting + " waiting).";
    } else if (place.phase === "offered" || place.phase === "active") {
      el.textContent = "An agent has joined the chat.";
      $("status").hidden = true;
    } else {
      el.hidden = true;
      return;
    }
    el.hidden = false;
  }

  function ended() {
    $("ended").hidden = false;
    $("composer").hidden = true;
    $("queue").hidden = true;
    $("status").hidden = true;
    document.body.dataset.ended = "1";
    if (stream) stream.close();
  }

  function follow() {
    stream = new EventSource(api + "/events");
    stream.addEventListener("message", (event) => append(JSON.parse(event.data)));
    stream.addEventListener("queue", (event) => showPlace(JSON.parse(event.data)));
    stream.addEventListener("ended", ended);
  }

  async function open() {
    try {
      const view = await call(api, session ? { session } : {});
      session = view.session;
      sessionStorage.setItem("omnivox-chat:" + token, session);
      show(view);
      follow();
    } catch (error) {
      $("status").hidden = true;
      fail(error.message);
    }
  }

  $("composer").addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = $("text").value.trim();
    if (!text) return;
    $("send").disabled = true;
    try {
      const stored = await call(api + "/messages", { text, session });
      append(stored.message);
      $("text").value = "";
      $("error").hidden = true;
    } catch (error) {
      fail(error.message);
    } finally {
      $("send").disabled = false;
    }
  });

  open();
})();
