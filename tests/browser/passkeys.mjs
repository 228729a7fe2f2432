// Passkeys in Debian's Chromium with a CDP virtual authenticator (resident
// keys, user verification). Run by tests/integration/test_passkeys.py, which
// starts cloakroom with public_url http://localhost:PORT (BASE_URL; WebAuthn
// needs a host name) and the user alice. Exits non-zero on the first failure.
import assert from "node:assert/strict";
import { CspWatch, launch, step } from "./harness.mjs";

const BASE = process.env.BASE_URL;
const ARTIFACTS = process.env.ARTIFACTS;

const browser = await launch();

try {
  const csp = new CspWatch();
  const context = await browser.newContext({ viewport: { width: 900, height: 800 } });
  const page = await context.newPage();
  csp.watch(page);
  const cdp = await context.newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: { protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true,
               isUserVerified: true, automaticPresenceSimulation: true },
  });
  const me = () => page.evaluate(async () => {
    const r = await fetch("/auth/me", { credentials: "same-origin" });
    return { status: r.status, body: await r.json() };
  });

  step("sign in with a password, add a passkey on /account");
  await page.goto(BASE + "/login");
  await page.getByLabel("Username").fill("alice");
  await page.getByLabel("Password", { exact: true }).fill("correct horse battery");
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.waitForURL(BASE + "/account");
  await page.getByLabel("Passkey name").fill("Virtual key");
  await page.getByRole("button", { name: "Add a passkey" }).click();
  await page.locator("#passkey-list li").filter({ hasText: "Virtual key" }).waitFor();
  await page.screenshot({ path: `${ARTIFACTS}/account-passkeys.png` });
  const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
  assert.equal(credentials.length, 1);
  assert.equal(credentials[0].isResidentCredential, true);

  step("sign out, sign in with the passkey (no username): two factors");
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await page.waitForURL(/\/login/);
  await page.goto(BASE + "/login");
  await page.getByRole("button", { name: "Sign in with a passkey" }).click();
  await page.waitForURL(BASE + "/account");
  const signedIn = await me();
  assert.equal(signedIn.status, 200);
  assert.equal(signedIn.body.user.username, "alice");
  assert.deepEqual(signedIn.body.auth.amr, ["hwk", "user", "mfa"]);

  step("the list shows it used; remove it");
  const row = page.locator("#passkey-list li").filter({ hasText: "Virtual key" });
  await row.filter({ hasText: "last used" }).waitFor();
  await row.getByRole("button", { name: "Remove passkey Virtual key" }).click();
  await page.locator("#passkey-none").waitFor({ state: "visible" });

  step("a removed passkey signs in no more");
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await page.waitForURL(/\/login/);
  await page.goto(BASE + "/login");
  await page.getByRole("button", { name: "Sign in with a passkey" }).click();
  await page.getByRole("alert").filter({ hasText: "That passkey was not accepted." }).waitFor();
  assert.equal((await me()).status, 401);

  assert.deepEqual(csp.violations, []);
  console.log("passkey browser tests passed");
} finally {
  await browser.close();
}
