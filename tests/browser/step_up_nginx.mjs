// A step up through real nginx, in Debian's Chromium, as a person meets it:
// signed in with the password, TOTP turned on at /account, they open a
// /billing page (a `second_factor = true` rule), land on /login with the
// step-up notice, sign in again with the password and a code, and come back
// to the very URL they asked for, where the app sees them. Run by
// tests/integration/test_nginx.py, which starts cloakroom behind the
// documented nginx block (BASE_URL, its public_url) with the user
// STEP_UP_USER (password STEP_UP_PASSWORD), TOTP off. Exits non-zero on the
// first failure.
import assert from "node:assert/strict";
import { CspWatch, launch, step } from "./harness.mjs";
import { base32, Codes } from "./totp_code.mjs";

const BASE = process.env.BASE_URL;
const ARTIFACTS = process.env.ARTIFACTS;
const USERNAME = process.env.STEP_UP_USER;
const PASSWORD = process.env.STEP_UP_PASSWORD;
const TARGET = "/billing/invoices?a=1&b=2";

const browser = await launch();

try {
  const csp = new CspWatch();
  const context = await browser.newContext({ viewport: { width: 900, height: 900 } });
  const page = await context.newPage();
  csp.watch(page);
  const amr = () => page.evaluate(async () => (await (await fetch("/auth/me")).json()).auth.amr);
  async function passwordStep() {
    await page.getByLabel("Username").fill(USERNAME);
    await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
  }

  step("sign in with the password on nginx's /login, turn TOTP on at /account");
  await page.goto(BASE + "/login");
  await passwordStep();
  await page.waitForURL(BASE + "/account");
  await page.getByRole("button", { name: "Set up an authenticator app" }).click();
  await page.getByRole("button", { name: "Turn on" }).waitFor();
  const codes = new Codes(base32(await page.locator("#totp-secret").textContent()));
  await page.getByLabel("Code from the app", { exact: true }).fill(await codes.next());
  await page.getByRole("button", { name: "Turn on" }).click();
  await page.locator("#totp-state").filter({ hasText: "Two-factor authentication is on" }).waitFor();
  assert.deepEqual(await amr(), ["pwd"], "the session is still a password-only one");

  step("the /billing page sends the browser to /login with step_up=1 and the notice");
  await page.goto(BASE + TARGET);
  await page.waitForURL((url) => url.pathname === "/login");
  const login = new URL(page.url());
  assert.equal(login.origin, BASE);
  assert.equal(login.searchParams.get("rd"), BASE + TARGET);
  assert.equal(login.searchParams.get("step_up"), "1");
  const notice = page.getByRole("status").filter({ hasText: "The page you asked for needs a second factor" });
  await notice.waitFor();
  assert.equal(await notice.isVisible(), true);
  await page.screenshot({ path: `${ARTIFACTS}/login-step-up-nginx.png` });

  step("the password, then a computed code: back on the very URL, where the app sees the user");
  await passwordStep();
  await page.locator("#second-form").getByText("Enter the 6-digit code from your authenticator app.").waitFor();
  await page.getByLabel("Code", { exact: true }).fill(await codes.next());
  // The upstream answers JSON: read it from the navigation's response, not from the viewer's markup.
  const arrived = page.waitForResponse((r) => r.url() === BASE + TARGET && r.request().isNavigationRequest());
  await page.getByRole("button", { name: "Verify" }).click();
  const upstream = await arrived;
  await page.waitForURL(BASE + TARGET);
  assert.equal(page.url(), BASE + TARGET, "the query is intact");
  assert.equal(upstream.status(), 200);
  const seen = await upstream.json();
  assert.equal(seen.path, TARGET);
  assert.equal(seen.headers["x-auth-user"], USERNAME);
  assert.ok(seen.headers["x-auth-user-id"], JSON.stringify(seen.headers));
  assert.deepEqual(await amr(), ["pwd", "otp", "mfa"]);

  assert.deepEqual(csp.violations, []);
  console.log("step-up through nginx passed");
} finally {
  await browser.close();
}
