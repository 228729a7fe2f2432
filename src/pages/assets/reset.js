"use strict";
// A password reset link's page. The token leaves the address bar at once
// (history.replaceState): it is not kept in history, and never sent as a
// Referer (the page also says no-referrer). Then the new password goes to
// POST /auth/password/reset with the token in the body.
(() => {
  const token = new URLSearchParams(location.search).get("token") || "";
  history.replaceState(null, "", location.pathname);
  const form = document.getElementById("reset-form");
  const error = document.getElementById("error");
  const submit = document.getElementById("submit");

  function showError(text) {
    error.textContent = text;
    error.hidden = false;
  }

  if (!token) {
    showError("This link has no token. Ask your administrator for a new link.");
    submit.disabled = true;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    const next = form.next.value;
    if (next !== form.repeat.value) {
      showError("The two passwords differ.");
      form.repeat.select();
      return;
    }
    submit.disabled = true;
    try {
      const res = await fetch("/auth/password/reset", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ token, new_password: next }),
      });
      if (res.ok) {
        form.hidden = true;
        document.getElementById("done").hidden = false;
        return;
      }
      const body = await res.json().catch(() => ({}));
      if (body.error === "invalid_reset_token") {
        showError("This link is invalid, already used or expired. Ask your administrator for a new one.");
        return;
      }
      showError(body.message || `Setting the password failed (HTTP ${res.status}).`);
      submit.disabled = false;
    } catch (e) {
      showError("Cannot reach the server. Check your connection and try again.");
      submit.disabled = false;
    }
  });
})();
