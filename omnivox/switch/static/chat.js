// The customer's chat continuing a call: open it with the link's token, show what the call
// already told us, send messages. The session comes back as an HttpOnly cookie too, so a
// reload reopens the same chat.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const token = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop() || "");
  const api = "/api/continuations/" + encodeURIComponent(token);
  let session = sessionStorage.getItem("omnivox-chat:" + token);

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
    const li = document.createElement("li");
    li.className = "msg msg-" + message.from;
    li.textContent = message.text;
    $("messages").appendChild(li);
  }

  async function open() {
    try {
      const view = await call(api, session ? { session } : {});
      session = view.session;
      sessionStorage.setItem("omnivox-chat:" + token, session);
      show(view);
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
