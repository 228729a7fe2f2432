"use strict";
// Sign in with a session cookie, then go back where the user came from. The
// server put `rd` in a meta tag only if it passed its open-redirect rules.
(() => {
  const form = document.getElementById("login-form");
  const error = document.getElementById("error");
  const submit = document.getElementById("submit");
  const rd = document.querySelector('meta[name="cloakroom-rd"]').content || "/account";
  // A rule wants a second factor this sign-in lacks (forward auth sent step_up=1).
  if (new URLSearchParams(location.search).get("step_up") === "1") document.getElementById("step-up").hidden = false;

  function showError(text) {
    error.textContent = text;
    error.hidden = false;
  }

  function messageFor(status, body, retryAfter) {
    if (status === 401) return "Wrong username or password.";
    if (status === 429) return `Too many attempts. Try again in ${retryAfter || "a few"} seconds.`;
    if (status === 503) return "The server is busy right now. Try again in a moment.";
    if (status === 403 && body.error === "account_disabled") return "This account is disabled. Ask an administrator.";
    if (status === 403 && body.error === "csrf_rejected") return "This sign-in form must be used from this site.";
    return body.message || `Sign-in failed (HTTP ${status}).`;
  }

  // The password was right; a second step with a code (or a recovery code)
  // finishes the sign-in, with the first step's choices (the server kept them).
  const second = document.getElementById("second-form");
  const secondError = document.getElementById("second-error");
  const secondSubmit = document.getElementById("second-submit");
  const useRecovery = document.getElementById("use-recovery");
  let challenge = "";
  let recovery = false;
  let wrongCodes = 0;  // on this challenge: its attempts are few (5)

  function askSecondFactor(id) {
    challenge = id;
    wrongCodes = 0;
    form.hidden = true;
    second.hidden = false;
    second.code.focus();
  }

  useRecovery.addEventListener("click", () => {
    recovery = !recovery;
    document.getElementById("code-field").hidden = recovery;
    document.getElementById("recovery-field").hidden = !recovery;
    useRecovery.textContent = recovery ? "Use a code from the app instead" : "Use a recovery code instead";
    document.getElementById("second-prompt").textContent = recovery
      ? "Enter one of the recovery codes you saved when you set up the app."
      : "Enter the 6-digit code from your authenticator app.";
    (recovery ? second.recovery : second.code).focus();
  });

  function secondMessage(status, body, retryAfter) {
    if (status === 401 && body.error === "invalid_code") return "That code is not right (or was used already).";
    if (status === 401 && wrongCodes > 0) return "Too many wrong codes for this sign-in. Enter your password again.";
    if (status === 401) return "This sign-in expired. Sign in again.";
    return messageFor(status, body, retryAfter);
  }

  second.addEventListener("submit", async (event) => {
    event.preventDefault();
    secondError.hidden = true;
    const value = (recovery ? second.recovery.value : second.code.value).trim();
    if (!value) {
      secondError.textContent = recovery ? "Enter a recovery code." : "Enter the code from your app.";
      secondError.hidden = false;
      return;
    }
    secondSubmit.disabled = true;
    try {
      const res = await fetch("/auth/login/second-factor", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(recovery ? { challenge, recovery_code: value } : { challenge, code: value }),
      });
      if (res.ok) {
        location.assign(rd);
        return;
      }
      const body = await res.json().catch(() => ({}));
      if (res.status === 401 && body.error === "invalid_challenge") {
        // Expired, used up or from elsewhere: back to the password.
        second.hidden = true;
        form.hidden = false;
        showError(secondMessage(res.status, body));
        form.password.value = "";
        form.password.focus();
        return;
      }
      if (body.error === "invalid_code") wrongCodes += 1;
      secondError.textContent = secondMessage(res.status, body, res.headers.get("Retry-After"));
      secondError.hidden = false;
    } catch (e) {
      secondError.textContent = "Cannot reach the server. Check your connection and try again.";
      secondError.hidden = false;
    } finally {
      secondSubmit.disabled = false;
    }
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    const username = form.username.value.trim();
    const password = form.password.value;
    if (!username || !password) {
      showError("Enter your username and password.");
      (username ? form.password : form.username).focus();
      return;
    }
    submit.disabled = true;
    submit.textContent = "Signing in…";
    try {
      const res = await fetch("/auth/login", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ username, password, remember: form.remember.checked }),
      });
      if (res.ok) {
        location.assign(rd);
        return;
      }
      const body = await res.json().catch(() => ({}));
      if (res.status === 401 && body.error === "second_factor_required" && body.challenge) {
        askSecondFactor(body.challenge);
        return;
      }
      showError(messageFor(res.status, body, res.headers.get("Retry-After")));
      form.password.select();
    } catch (e) {
      showError("Cannot reach the server. Check your connection and try again.");
    } finally {
      submit.disabled = false;
      submit.textContent = "Sign in";
    }
  });
})();
