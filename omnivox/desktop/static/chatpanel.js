// The chat panel of a chat pop: the conversation (loaded from the store, then live over the
// desktop's websocket), the agent's replies, ending the chat. Messages are kept in order of
// their seq and shown once, whichever way they arrive first.
"use strict";

const DeskChat = (function () {
  const $ = (id) => document.getElementById(id);
  const state = { chat: null, api: null, ended: false };

  function url(suffix) {
    return "/desktop/chats/" + encodeURIComponent(state.chat) + (suffix || "");
  }

  function append(message) {
    const log = $("chat-log");
    if (log.querySelector('[data-seq="' + message.seq + '"]')) return;
    const li = document.createElement("li");
    li.className = "chat-msg chat-" + message.from;
    li.dataset.seq = message.seq;
    const who = document.createElement("span");
    who.className = "who";
    who.textContent = message.from === "agent" ? (message.name || "Agent") : "Customer";
    li.append(who, document.createTextNode(message.text));
    const later = Array.from(log.children).find((el) => Number(el.dataset.seq) > message.seq);
    log.insertBefore(li, later || null);
    log.scrollTop = log.scrollHeight;
  }

  function setEnded(ended) {
    state.ended = ended;
    $("chat-state").textContent = ended ? "ended" : "live";
    $("chat-text").disabled = ended;
    $("chat-send").disabled = ended;
    $("chat-end").disabled = ended;
  }

  async function show(pop, api) {
    const contact = pop.contact || {};
    const isChat = contact.kind === "chat" || contact.media === "chat";
    $("chat").hidden = !isChat;
    if (!isChat) { state.chat = null; return; }
    if (state.chat !== contact.call_id) $("chat-log").replaceChildren();
    state.chat = contact.call_id;
    state.api = api;
    $("chat-error").textContent = "";
    try {
      const view = await api("GET", url());
      if (state.chat !== view.chat_id) return;
      view.messages.forEach(append);
      setEnded(view.ended);
    } catch (err) {
      $("chat-error").textContent = err.message;
    }
  }

  async function send(event) {
    event.preventDefault();
    const text = $("chat-text").value.trim();
    if (!text || !state.chat) return;
    $("chat-send").disabled = true;
    try {
      const stored = await state.api("POST", url("/messages"), { text });
      append(stored.message);
      $("chat-text").value = "";
      $("chat-error").textContent = "";
    } catch (err) {
      $("chat-error").textContent = err.message;
    } finally {
      $("chat-send").disabled = state.ended;
    }
  }

  async function end() {
    if (!state.chat) return;
    try {
      await state.api("POST", url("/end"));
      setEnded(true);
    } catch (err) {
      $("chat-error").textContent = err.message;
    }
  }

  // a websocket message; true if it was about a chat
  function onSocket(message) {
    if (message.type !== "chat_message" && message.type !== "chat_ended") return false;
    if (message.chat_id !== state.chat) return true;
    if (message.type === "chat_message") append(message.message);
    else setEnded(true);
    return true;
  }

  function start() {
    $("chat-form").addEventListener("submit", send);
    $("chat-end").addEventListener("click", end);
    $("chat-text").addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey) send(event);
    });
  }

  return { show, onSocket, start };
})();
