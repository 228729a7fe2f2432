// TOTP through the pages only, in Debian's Chromium: set it up on /account
// reading the key the page shows (as a person types it into an app), sign in
// with a recovery code and then with a code computed here (RFC 6238), turn
// it off. Run by tests/integration/test_totp.py, which starts cloakroom
// (BASE_URL) with the user alice. Exits non-zero on the first failure.
import assert from "node:assert/strict";
import { CspWatch, launch, step } from "./harness.mjs";
import { base32, Codes, stepNow } from "./totp_code.mjs";

const BASE = process.env.BASE_URL;
const ARTIFACTS = process.env.ARTIFACTS;
const PASSWORD = "correct horse battery";

const browser = await launch();

try {
  const csp = new CspWatch();
  const context = await browser.newContext({ viewport: { width: 900, height: 900 } });
  const page = await context.newPage();
  csp.watch(page);
  const me = () => page.evaluate(async () => {
    const r = await fetch("/auth/me", { credentials: "same-origin" });
    return { status: r.status, body: await r.json() };
  });
  const secondForm = page.locator("#second-form");
  const secondError = page.getByRole("alert").filter({ hasText: "That code is not right (or was used already)." });
  const totpState = page.locator("#totp-state");
  const setUp = page.getByRole("button", { name: "Set up an authenticator app" });
  const turnOff = page.getByRole("button", { name: "Turn off two-factor authentication" });

  async function passwordStep() {
    await page.goto(BASE + "/login");
    await page.getByLabel("Username").fill("alice");
    await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
  }
  async function secondStep() {
    await passwordStep();
    await secondForm.getByText("Enter the 6-digit code from your authenticator app.").waitFor();
    assert.equal(await page.locator("#login-form").isHidden(), true);
    assert.match(page.url(), /\/login$/);
  }
  async function signOut() {
    await page.getByRole("button", { name: "Sign out", exact: true }).click();
    await page.waitForURL(BASE + "/login");
    assert.equal((await me()).status, 401);
  }

  step("(a) sign in with the password: /account offers set-up only");
  await passwordStep();
  await page.waitForURL(BASE + "/account");
  await setUp.waitFor();
  assert.equal(await turnOff.isHidden(), true);
  assert.equal(await totpState.isHidden(), true);
  assert.equal(await page.locator("#totp-renew-form").isHidden(), true, "no new recovery codes while off");

  step("(a) set up TOTP: the key from the page, a code computed from it");
  await setUp.click();
  await page.getByRole("button", { name: "Turn on" }).waitFor();  // shown once the key is in
  const shownKey = (await page.locator("#totp-secret").textContent()).trim();
  assert.match(shownKey, /^[A-Z2-7 ]{16,}$/, "the page shows a base32 key");
  assert.equal(await page.locator("#totp-qr svg").count(), 1, "and the QR code");
  await page.screenshot({ path: `${ARTIFACTS}/account-totp-setup.png` });
  const codes = new Codes(base32(shownKey));
  const confirmCode = await codes.next();
  const confirmStep = codes.lastUsedStep;
  await page.getByLabel("Code from the app", { exact: true }).fill(confirmCode);
  await page.getByRole("button", { name: "Turn on" }).click();
  await totpState.filter({ hasText: "Two-factor authentication is on (10 recovery codes left)." }).waitFor();
  const recoveryCodes = await page.locator("#totp-codes li").allTextContents();
  assert.equal(recoveryCodes.length, 10);
  assert.equal(new Set(recoveryCodes).size, 10);
  assert.equal(await page.locator("#totp-confirm-form").isHidden(), true);
  assert.equal(await setUp.isHidden(), true);
  assert.equal(await turnOff.isVisible(), true);
  assert.deepEqual((await me()).body.auth.amr, ["pwd"], "turning TOTP on is no sign-in");

  step("(a) after a reload the page still says it is on (from /auth/me?factors=1), the codes are gone");
  await page.reload();
  await totpState.filter({ hasText: "Two-factor authentication is on (10 recovery codes left)." }).waitFor();
  assert.equal(await setUp.isHidden(), true);
  assert.equal(await page.locator("#totp-recovery").isHidden(), true);

  step("(c) sign out; the password asks for the second step; a recovery code signs in");
  await signOut();
  await secondStep();
  await page.screenshot({ path: `${ARTIFACTS}/login-second-step.png` });
  await page.getByRole("button", { name: "Use a recovery code instead" }).click();
  await secondForm.getByText("Enter one of the recovery codes you saved when you set up the app.").waitFor();
  await page.getByLabel("Recovery code").fill(recoveryCodes[0]);
  await page.getByRole("button", { name: "Verify" }).click();
  await page.waitForURL(BASE + "/account");
  assert.equal(await page.locator("#username").textContent(), "alice");
  await totpState.filter({ hasText: "Two-factor authentication is on (9 recovery codes left)." }).waitFor();
  let signedIn = await me();
  assert.equal(signedIn.body.user.username, "alice");
  assert.ok(signedIn.body.auth.amr.includes("otp"), JSON.stringify(signedIn.body.auth.amr));

  step("(c) the same recovery code a second time is refused on the page");
  await signOut();
  await secondStep();
  await page.getByRole("button", { name: "Use a recovery code instead" }).click();
  await page.getByLabel("Recovery code").fill(recoveryCodes[0]);
  await page.getByRole("button", { name: "Verify" }).click();
  await secondError.waitFor();
  assert.match(page.url(), /\/login$/);
  assert.equal(await secondForm.isVisible(), true);
  assert.equal((await me()).status, 401);

  step("(b) the code used to turn TOTP on is refused again (replay); a fresh computed code signs in");
  await secondStep();
  await page.getByLabel("Code", { exact: true }).fill(confirmCode);
  const before = stepNow();
  await page.getByRole("button", { name: "Verify" }).click();
  await secondError.waitFor();
  // For the driver's check of the server's reason: still in the code's
  // window it is "replayed", past it merely "wrong" (a slow machine).
  const reason = stepNow() <= confirmStep + 1 ? "replayed" : before > confirmStep + 1 ? "wrong" : "unknown";
  console.log("old code refused as:", reason);
  assert.equal((await me()).status, 401);
  await page.getByLabel("Code", { exact: true }).fill(await codes.next());
  await page.getByRole("button", { name: "Verify" }).click();
  await page.waitForURL(BASE + "/account");
  assert.equal(await page.locator("#username").textContent(), "alice");
  await totpState.filter({ hasText: "Two-factor authentication is on (9 recovery codes left)." }).waitFor();
  signedIn = await me();
  assert.equal(signedIn.body.user.username, "alice");
  assert.deepEqual(signedIn.body.auth.amr, ["pwd", "otp", "mfa"]);

  step("new recovery codes with the password: ten others, shown once, and the count says 10 again");
  await page.goto(BASE + "/account");
  await totpState.filter({ hasText: "recovery codes left)." }).waitFor();
  await page.getByLabel("For new codes: a code from the app, or your password").fill(PASSWORD);
  await page.getByRole("button", { name: "New recovery codes" }).click();
  await page.locator("#totp-renew-result").waitFor();
  const renewed = await page.locator("#totp-renew-codes li").allTextContents();
  assert.equal(new Set(renewed).size, 10);
  assert.equal(renewed.filter((c) => recoveryCodes.includes(c)).length, 0, "all new");
  await totpState.filter({ hasText: "Two-factor authentication is on (10 recovery codes left)." }).waitFor();

  step("turn it off with the password: set-up is offered again, and the password alone signs in");
  await page.getByLabel("Turn it off: a code from the app, or your password").fill(PASSWORD);
  await turnOff.click();
  await page.getByRole("status").filter({ hasText: "Two-factor authentication is off." }).waitFor();
  assert.equal(await turnOff.isHidden(), true);
  assert.equal(await totpState.isHidden(), true);
  assert.equal(await setUp.isVisible(), true);
  await signOut();
  await passwordStep();
  await page.waitForURL(BASE + "/account");
  await setUp.waitFor();
  assert.deepEqual((await me()).body.auth.amr, ["pwd"]);

  assert.deepEqual(csp.violations, []);
  console.log("totp browser tests passed");
} finally {
  await browser.close();
}
