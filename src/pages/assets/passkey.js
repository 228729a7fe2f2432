"use strict";
// Passkeys in the pages: "Sign in with a passkey" on /login, the Passkeys
// section of /account. The server speaks the WebAuthn JSON shape (binary
// members base64url); the browser API wants ArrayBuffers: converted here.
// Text from the server is only ever set with textContent.
(() => {
  const $ = (id) => document.getElementById(id);

  function fromB64url(s) {
    const b64 = s.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((s.length + 3) % 4);
    return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  }
  function toB64url(buf) {
    let s = "";
    for (const b of new Uint8Array(buf)) s += String.fromCharCode(b);
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  // WebAuthn refuses an IP address as rpId, and old browsers have no API.
  const usable = !!window.PublicKeyCredential && !/^[\d.]+$|^\[/.test(location.hostname);

  async function post(path, body) {
    const res = await fetch(path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await res.json().catch(() => ({}));
    return { res, json };
  }

  function failure(res, json) {
    if (res.status === 401 && json.error === "passkey_refused") return "That passkey was not accepted.";
    if (res.status === 429) return `Too many attempts. Try again in ${res.headers.get("Retry-After") || "a few"} seconds.`;
    return json.message || `Passkey request failed (HTTP ${res.status}).`;
  }

  // A cancelled or timed-out prompt is the user's choice, not an error to shout about.
  function promptMessage(e) {
    if (e && e.name === "NotAllowedError") return "The passkey prompt was cancelled or timed out.";
    if (e && e.name === "InvalidStateError") return "This authenticator already holds a passkey for this account.";
    return "The browser could not use a passkey here.";
  }

  // ---- /login: "Sign in with a passkey" ----
  const signIn = $("passkey-signin");
  if (signIn) {
    const block = $("passkey-block");
    const error = $("error");
    const rd = document.querySelector('meta[name="cloakroom-rd"]').content || "/account";
    if (usable) block.hidden = false;
    signIn.addEventListener("click", async () => {
      error.hidden = true;
      const show = (text) => { error.textContent = text; error.hidden = false; };
      signIn.disabled = true;
      try {
        const opts = await post("/auth/passkeys/login/options");
        if (!opts.res.ok) return show(failure(opts.res, opts.json));
        const o = opts.json;
        o.challenge = fromB64url(o.challenge);
        o.allowCredentials = (o.allowCredentials || []).map((c) => ({ ...c, id: fromB64url(c.id) }));
        let cred;
        try {
          cred = await navigator.credentials.get({ publicKey: o, mediation: "optional" });
        } catch (e) {
          return show(promptMessage(e));
        }
        const r = cred.response;
        const remember = $("remember");
        const done = await post("/auth/passkeys/login", {
          credential: {
            id: cred.id, rawId: toB64url(cred.rawId), type: cred.type,
            response: {
              clientDataJSON: toB64url(r.clientDataJSON), authenticatorData: toB64url(r.authenticatorData),
              signature: toB64url(r.signature), userHandle: r.userHandle ? toB64url(r.userHandle) : null,
            },
          },
          remember: !!(remember && remember.checked),
        });
        if (done.res.ok) return location.assign(rd);
        show(failure(done.res, done.json));
      } catch (e) {
        show("Cannot reach the server. Check your connection and try again.");
      } finally {
        signIn.disabled = false;
      }
    });
  }

  // ---- /account: the Passkeys section ----
  const list = $("passkey-list");
  if (list) {
    const add = $("passkey-add");
    const nameInput = $("passkey-name");
    const error = $("passkey-error");
    const none = $("passkey-none");
    const unavailable = $("passkey-unavailable");
    const show = (text) => { error.textContent = text; error.hidden = false; };
    const el = (tag, className, text) => {
      const e = document.createElement(tag);
      if (className) e.className = className;
      if (text !== undefined) e.textContent = text;
      return e;
    };
    const day = (iso) => new Date(iso).toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" });

    async function load() {
      const res = await fetch("/auth/passkeys", { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!res.ok) return;
      const body = await res.json();
      if (!body.passkeys_available || !usable) {
        unavailable.hidden = false;
        $("passkey-form").hidden = true;
      }
      list.replaceChildren();
      none.hidden = body.passkeys.length > 0;
      for (const p of body.passkeys) {
        const li = el("li");
        const info = el("div");
        const name = el("div", "device", p.name);
        if (p.flagged) name.append(el("span", "badge", "flagged: possibly cloned"));
        info.append(name);
        const used = p.last_used_at ? `last used ${day(p.last_used_at)}` : "never used";
        const uv = p.user_verified ? "PIN or biometric" : "presence only";
        info.append(el("div", "meta", `added ${day(p.created_at)} · ${used} · ${uv}${p.backed_up ? " · synced" : ""}`));
        const remove = el("button", "end", "Remove");
        remove.setAttribute("aria-label", `Remove passkey ${p.name}`);
        remove.addEventListener("click", async () => {
          error.hidden = true;
          const r = await fetch("/auth/passkeys/" + encodeURIComponent(p.id), { method: "DELETE", credentials: "same-origin" });
          if (!r.ok) show(failure(r, await r.json().catch(() => ({}))));
          await load();
        });
        li.append(info, remove);
        list.append(li);
      }
    }

    $("passkey-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      error.hidden = true;
      add.disabled = true;
      try {
        const opts = await post("/auth/passkeys/register/options");
        if (!opts.res.ok) return show(failure(opts.res, opts.json));
        const o = opts.json;
        o.challenge = fromB64url(o.challenge);
        o.user = { ...o.user, id: fromB64url(o.user.id) };
        o.excludeCredentials = (o.excludeCredentials || []).map((c) => ({ ...c, id: fromB64url(c.id) }));
        let cred;
        try {
          cred = await navigator.credentials.create({ publicKey: o });
        } catch (e) {
          return show(promptMessage(e));
        }
        const done = await post("/auth/passkeys/register", {
          credential: {
            id: cred.id, rawId: toB64url(cred.rawId), type: cred.type,
            response: {
              clientDataJSON: toB64url(cred.response.clientDataJSON),
              attestationObject: toB64url(cred.response.attestationObject),
            },
          },
          name: nameInput.value.trim() || "Passkey",
        });
        if (!done.res.ok) return show(failure(done.res, done.json));
        nameInput.value = "";
        await load();
      } catch (e) {
        show("Cannot reach the server. Check your connection and try again.");
      } finally {
        add.disabled = false;
      }
    });
    load();
  }
})();
