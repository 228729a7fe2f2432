"use strict";
// The account page: who you are, where you are signed in, and buttons to end
// any of it. Everything goes through the JSON API with the session cookie;
// text from the server is only ever set with textContent.
(() => {
  const $ = (id) => document.getElementById(id);
  const list = $("sessions");
  const error = $("error");

  function toLogin() {
    location.assign("/login?rd=" + encodeURIComponent(location.href));
  }

  async function api(method, path) {
    const res = await fetch(path, { method, credentials: "same-origin", headers: { Accept: "application/json" } });
    if (res.status === 401) {
      toLogin();
      throw new Error("signed out");
    }
    const body = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(body.message || `HTTP ${res.status}`);
    return body;
  }

  function showError(e) {
    if (e.message === "signed out") return;
    error.textContent = e.message;
    error.hidden = false;
  }

  // A readable device name from a user agent: browser and OS, or the client.
  function device(ua) {
    if (!ua) return "Unknown device";
    const browsers = [[/Edg\//, "Edge"], [/OPR\//, "Opera"], [/Firefox\//, "Firefox"], [/Chrom(e|ium)\//, "Chrome"],
                      [/Safari\//, "Safari"], [/^curl\//, "curl"], [/^python-requests|^Python-urllib/, "Python"],
                      [/^okhttp/, "OkHttp"], [/^Go-http-client/, "Go"], [/^node|undici/, "Node.js"]];
    const systems = [[/Windows/, "Windows"], [/Android/, "Android"], [/iPhone|iPad|iOS/, "iOS"], [/Mac OS X|Macintosh/, "macOS"],
                     [/CrOS/, "ChromeOS"], [/Linux/, "Linux"]];
    const b = browsers.find(([re]) => re.test(ua));
    const s = systems.find(([re]) => re.test(ua));
    if (b && s) return `${b[1]} on ${s[1]}`;
    if (b) return b[1];
    if (s) return s[1];
    return ua.length > 40 ? ua.slice(0, 40) + "…" : ua;
  }

  function when(iso) {
    const d = new Date(iso);
    const minutes = Math.round((Date.now() - d.getTime()) / 60000);
    if (minutes < 1) return "just now";
    if (minutes < 60) return `${minutes} min ago`;
    if (minutes < 24 * 60) return `${Math.round(minutes / 60)} h ago`;
    return d.toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" });
  }

  // "2 h", "7 days": an idle bound in words.
  function span(seconds) {
    if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
    if (seconds < 2 * 86400) return `${Math.round(seconds / 3600)} h`;
    return `${Math.round(seconds / 86400)} days`;
  }

  // How the session ends: unused for its idle bound, or at its absolute end.
  function lifetime(s) {
    const until = new Date(s.expires_at).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
    const kept = s.remember ? "Kept signed in: " : "";
    return `${kept}ends after ${span(s.idle_timeout_seconds)} unused (if not used again: ${until})`;
  }

  function el(tag, className, text) {
    const e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function render(sessions) {
    list.replaceChildren();
    for (const s of sessions) {
      const li = el("li");
      li.dataset.id = s.id;
      const info = el("div");
      const name = el("div", "device", device(s.user_agent));
      if (s.current) name.append(el("span", "badge", "this device"));
      info.append(name);
      const kind = s.mode === "token" ? "app token" : "browser session";
      info.append(el("div", "meta", `${s.ip || "unknown address"} · ${kind} · signed in ${when(s.created_at)} · last active ${when(s.last_seen_at)}`));
      if (s.mode === "session") info.append(el("div", "meta", lifetime(s)));
      li.append(info);
      if (!s.current) {
        const end = el("button", "end", "Sign out");
        end.type = "button";
        end.setAttribute("aria-label", `Sign out ${device(s.user_agent)}, ${s.ip}`);
        end.addEventListener("click", () => run(end, () => api("DELETE", "/auth/sessions/" + encodeURIComponent(s.id))));
        li.append(end);
      }
      list.append(li);
    }
    $("count").textContent = sessions.length === 1 ? "1 session" : `${sessions.length} sessions`;
    $("end-others").disabled = !sessions.some((s) => !s.current);
  }

  async function refresh() {
    render(await api("GET", "/auth/sessions"));
  }

  // Runs an action with its button disabled, then shows the new state.
  async function run(button, action) {
    error.hidden = true;
    button.disabled = true;
    try {
      await action();
      await refresh();
    } catch (e) {
      showError(e);
      button.disabled = false;
    }
  }

  async function signOut(path) {
    try {
      await api("POST", path);
      location.assign("/login");
    } catch (e) {
      showError(e);
    }
  }

  $("end-others").addEventListener("click", (e) =>
    run(e.currentTarget, async () => {
      const sessions = await api("GET", "/auth/sessions");
      for (const s of sessions.filter((x) => !x.current)) await api("DELETE", "/auth/sessions/" + encodeURIComponent(s.id));
    }));
  // Not through api(): a wrong current password is a 401 too, and must not
  // look like being signed out.
  const pwForm = $("password-form");
  pwForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const pwError = $("password-error");
    const pwDone = $("password-done");
    pwError.hidden = true;
    pwDone.hidden = true;
    const submit = $("password-submit");
    submit.disabled = true;
    try {
      const res = await fetch("/auth/password", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ current_password: pwForm.current.value, new_password: pwForm.next.value }),
      });
      const body = await res.json().catch(() => ({}));
      if (res.ok) {
        pwForm.reset();
        const others = body.sessions_ended + body.refresh_families_ended;
        pwDone.textContent = `Password changed. ${others} other sign-in${others === 1 ? "" : "s"} ended.`;
        pwDone.hidden = false;
        await refresh();
      } else if (body.error === "invalid_credentials") {
        pwError.textContent = "The current password is wrong.";
        pwError.hidden = false;
      } else if (res.status === 429) {
        pwError.textContent = `Too many attempts. Try again in ${res.headers.get("Retry-After") || "a few"} seconds.`;
        pwError.hidden = false;
      } else if (res.status === 401) {
        toLogin();
      } else {
        pwError.textContent = body.message || `HTTP ${res.status}`;
        pwError.hidden = false;
      }
    } catch (e) {
      pwError.textContent = "Cannot reach the server. Check your connection and try again.";
      pwError.hidden = false;
    } finally {
      submit.disabled = false;
    }
  });
  // Two-factor authentication: enrol (QR code and key), confirm with a
  // first code (then the recovery codes, shown once), or turn it off. Only
  // the controls for the current state show: set up when off, the state
  // and "turn off" when on.
  const totpError = $("totp-error");
  const totpDone = $("totp-done");
  const confirmForm = $("totp-confirm-form");
  const offForm = $("totp-off-form");

  // `factors` as GET /auth/me?factors=1 reports it.
  function showTotp(factors) {
    const on = factors.totp;
    $("totp-enroll").hidden = on;
    $("totp-on").hidden = !on;
    if (on) confirmForm.hidden = true;
    else $("totp-recovery").hidden = $("totp-renew-result").hidden = true;
    const left = factors.recovery_codes_left;
    const codes = left === 0 ? "no recovery codes" : left === 1 ? "1 recovery code" : `${left} recovery codes`;
    $("totp-state").textContent = on ? `Two-factor authentication is on (${codes} left).` : "";
  }

  function totpSay(el, text) {
    totpError.hidden = totpDone.hidden = true;
    el.textContent = text;
    el.hidden = false;
  }

  async function totpCall(method, path, body) {
    const res = await fetch(path, {
      method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (res.status === 401 && !["invalid_code", "invalid_credentials"].includes((await res.clone().json().catch(() => ({}))).error)) {
      toLogin();
      throw new Error("signed out");
    }
    const answer = await res.json().catch(() => ({}));
    if (res.status === 429) throw new Error(`Too many attempts. Try again in ${res.headers.get("Retry-After") || "a few"} seconds.`);
    if (answer.error === "invalid_code") throw new Error("That code is not right (or was used already).");
    if (answer.error === "invalid_credentials") throw new Error("That password is wrong.");
    if (!res.ok) throw new Error(answer.message || `HTTP ${res.status}`);
    return answer;
  }

  // The QR code is our own SVG (never user input), parsed as SVG and
  // imported as nodes: no innerHTML, and no data: URL for the CSP to allow.
  function showQr(svgText) {
    const doc = new DOMParser().parseFromString(svgText, "image/svg+xml");
    const svg = doc.documentElement;
    const box = $("totp-qr");
    box.replaceChildren();
    if (svg.nodeName.toLowerCase() === "svg") box.appendChild(document.importNode(svg, true));
  }

  $("totp-enroll").addEventListener("click", async () => {
    try {
      const e = await totpCall("POST", "/auth/totp/enroll");
      showQr(e.qr_svg);
      $("totp-secret").textContent = e.secret;
      $("totp-recovery").hidden = true;
      confirmForm.hidden = false;
      totpError.hidden = totpDone.hidden = true;
      confirmForm.code.focus();
    } catch (e) {
      if (e.message === "signed out") return;
      totpSay(totpError, e.message);
      // On already (set up from another tab, say): show that instead.
      try {
        showTotp((await api("GET", "/auth/me?factors=1")).factors);
      } catch (_) {
        // the message above stands
      }
    }
  });

  confirmForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const c = await totpCall("POST", "/auth/totp/confirm", { code: confirmForm.code.value.trim() });
      confirmForm.reset();
      confirmForm.hidden = true;
      $("totp-qr").replaceChildren();
      $("totp-secret").textContent = "";
      const list = $("totp-codes");
      list.replaceChildren(...c.recovery_codes.map((code) => {
        const li = document.createElement("li");
        li.textContent = code;
        return li;
      }));
      showTotp({ totp: true, recovery_codes_left: c.recovery_codes.length });
      $("totp-recovery").hidden = false;
      totpError.hidden = totpDone.hidden = true;
    } catch (e) {
      if (e.message !== "signed out") totpSay(totpError, e.message);
    }
  });

  offForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const proof = offForm.proof.value;
    if (!proof) return totpSay(totpError, "Enter a code from the app or your password.");
    try {
      // Six digits are a code; anything else is the password.
      await totpCall("DELETE", "/auth/totp", /^[0-9]{6}$/.test(proof) ? { code: proof } : { password: proof });
      offForm.reset();
      showTotp({ totp: false });
      totpSay(totpDone, "Two-factor authentication is off.");
    } catch (e) {
      if (e.message !== "signed out") totpSay(totpError, e.message);
    }
  });

  // New recovery codes (TOTP stays on): a code or the password, as for
  // turning it off; the new codes are shown once, the old ones are void.
  const renewForm = $("totp-renew-form");
  renewForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const error = $("totp-renew-error");
    const result = $("totp-renew-result");
    error.hidden = result.hidden = true;
    const proof = renewForm.proof.value;
    if (!proof) {
      error.textContent = "Enter a code from the app or your password.";
      error.hidden = false;
      return;
    }
    try {
      const r = await totpCall("POST", "/auth/totp/recovery-codes",
        /^[0-9]{6}$/.test(proof) ? { code: proof } : { password: proof });
      renewForm.reset();
      $("totp-renew-codes").replaceChildren(...r.recovery_codes.map((code) => {
        const li = document.createElement("li");
        li.textContent = code;
        return li;
      }));
      result.hidden = false;
      // "N recovery codes left"; the codes are renewed even if this read fails.
      api("GET", "/auth/me?factors=1").then((me) => showTotp(me.factors), () => {});
    } catch (e) {
      if (e.message === "signed out") return;
      error.textContent = e.message;
      error.hidden = false;
    }
  });

  $("end-all").addEventListener("click", () => signOut("/auth/logout-all"));
  $("sign-out").addEventListener("click", () => signOut("/auth/logout"));

  (async () => {
    try {
      const me = await api("GET", "/auth/me?factors=1");
      $("username").textContent = me.user.username;
      $("password-username").value = me.user.username;  // for password managers
      $("roles").textContent = me.user.roles.length ? me.user.roles.join(", ") : "none";
      showTotp(me.factors);
      await refresh();
    } catch (e) {
      showError(e);
    }
  })();
})();
