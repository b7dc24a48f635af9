// Sign-in: posts JSON (so errors show in place); without script the form posts itself.
"use strict";

(function () {
  const form = document.getElementById("signin");
  const box = document.getElementById("signin-error");

  function showError(text) {
    box.textContent = text;
    box.hidden = !text;
  }

  const fromServer = new URLSearchParams(location.search).get("error");
  if (fromServer) showError(fromServer);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showError("");
    const body = {
      login: document.getElementById("login").value,
      password: document.getElementById("password").value,
    };
    let response;
    try {
      response = await fetch("/auth/login", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
        credentials: "same-origin",
      });
    } catch (err) {
      showError("Omnivox cannot be reached; try again.");
      return;
    }
    if (response.ok) {
      location.assign("/desktop");
      return;
    }
    let message = "Sign-in failed.";
    try {
      message = (await response.json()).message || message;
    } catch (err) {
      /* not JSON: keep the generic message */
    }
    showError(message);
  });
})();
