// The pages, used the way a person uses them, in Debian's Chromium.
// Run by tests/integration/test_pages.py, which starts cloakroom (BASE_URL),
// a page on another origin (EVIL_URL) and gives a directory for screenshots
// (ARTIFACTS). Exits non-zero on the first failed expectation.
import assert from "node:assert/strict";
import { CspWatch, launch, step } from "./harness.mjs";

const BASE = process.env.BASE_URL;
const EVIL = process.env.EVIL_URL;
const ARTIFACTS = process.env.ARTIFACTS;

const browser = await launch();

async function signIn(page, username, password, { remember = false } = {}) {
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  if (remember) await page.getByLabel("Keep me signed in on this device").check();
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
}

const sessionRows = (page) => page.locator("#sessions li");

try {
  // Every page must work with its CSP: a violation is a failure.
  const csp = new CspWatch();
  const watch = (page) => csp.watch(page);

  step("the login page renders and shows errors inline");
  const a = await browser.newContext({ viewport: { width: 900, height: 700 }, userAgent: undefined });
  const pageA = await a.newPage();
  watch(pageA);
  await pageA.goto(BASE + "/login");
  assert.equal(await pageA.title(), "Sign in · cloakroom");
  await pageA.screenshot({ path: `${ARTIFACTS}/login.png` });
  await signIn(pageA, "alice", "not the password");
  await pageA.getByRole("alert").filter({ hasText: "Wrong username or password." }).waitFor();
  assert.match(pageA.url(), /\/login$/);
  await signIn(pageA, "", "");
  await pageA.getByRole("alert").filter({ hasText: "Enter your username and password." }).waitFor();

  step("throttling is explained, with the wait");
  for (let i = 0; i < 4; i++) await signIn(pageA, "mallory", "guess " + i);
  await pageA.getByRole("alert").filter({ hasText: /Too many attempts\. Try again in \d+ seconds\./ }).waitFor();

  step("sign in through the form; the session cookie is invisible to scripts");
  await signIn(pageA, "alice", "correct horse battery");
  await pageA.waitForURL(BASE + "/account");
  await sessionRows(pageA).first().waitFor();
  const visible = await pageA.evaluate(() => document.cookie);
  assert.ok(!visible.includes("sid"), `document.cookie exposes the session: ${visible}`);
  const cookies = await a.cookies();
  const sid = cookies.find((c) => c.name === "__Host-sid");
  assert.ok(sid && sid.httpOnly && sid.secure && sid.sameSite === "Lax", JSON.stringify(cookies));
  assert.equal(sid.expires, -1, "without remember-me the cookie ends with the browser session");
  assert.equal(await pageA.locator("#username").textContent(), "alice");

  step("a phone app signs in with token mode; its refresh family shows up too");
  const appLogin = await fetch(BASE + "/auth/login", {
    method: "POST",
    headers: { "Content-Type": "application/json", "User-Agent": "okhttp/4.12.0" },
    body: JSON.stringify({ username: "alice", password: "correct horse battery", mode: "token", transport: "body" }),
  });
  assert.equal(appLogin.status, 200);
  const app = await appLogin.json();
  const appOk = async () => (await fetch(BASE + "/auth/me", { headers: { Authorization: "Bearer " + app.access_token } })).status === 200;
  assert.ok(await appOk());

  step("a second browser signs in (remember me) and both see every session");
  const b = await browser.newContext({ viewport: { width: 900, height: 700 } });
  const pageB = await b.newPage();
  watch(pageB);
  await pageB.goto(BASE + "/account");
  await pageB.waitForURL(/\/login\?rd=/);  // not signed in: sent to the login page, and back after
  await signIn(pageB, "alice", "correct horse battery", { remember: true });
  await pageB.waitForURL(BASE + "/account");
  const bCookie = (await b.cookies()).find((c) => c.name === "__Host-sid");
  assert.ok(bCookie.expires > Date.now() / 1000 + 86400, "remember-me gives a persistent cookie");
  await pageA.reload();
  await sessionRows(pageA).nth(2).waitFor();
  assert.equal(await sessionRows(pageA).count(), 3);
  assert.equal(await pageA.locator(".badge", { hasText: "this device" }).count(), 1);
  assert.match(await sessionRows(pageA).first().textContent(), /Chrome on Linux/);
  assert.match(await sessionRows(pageA).nth(1).textContent(), /OkHttp.*app token/);
  await pageA.screenshot({ path: `${ARTIFACTS}/account.png`, fullPage: true });

  step("A ends B's session; B's next request is sent to the login page");
  const other = sessionRows(pageA).filter({ hasNot: pageA.locator(".badge") }).filter({ hasText: "browser session" });
  await other.getByRole("button", { name: /^Sign out / }).click();
  await pageA.waitForFunction(() => document.querySelectorAll("#sessions li").length === 2);
  await pageB.reload();
  await pageB.waitForURL(/\/login\?rd=/);
  assert.ok(await appOk(), "ending one browser session leaves the app signed in");

  step("a cross-site form POST to /auth/logout is refused and the session survives");
  await pageA.goto(EVIL + "/");
  await pageA.waitForURL(BASE + "/auth/logout");
  assert.match(await pageA.textContent("body"), /csrf_rejected/);
  await pageA.goto(BASE + "/account");
  await sessionRows(pageA).first().waitFor();
  assert.equal(pageA.url(), BASE + "/account");

  step("sign out all other devices, then everywhere");
  await signIn(pageB, "alice", "correct horse battery");
  await pageB.waitForURL(BASE + "/account");
  await pageA.reload();
  await sessionRows(pageA).nth(2).waitFor();
  await pageA.getByRole("button", { name: "Sign out all other devices" }).click();
  await pageA.waitForFunction(() => document.querySelectorAll("#sessions li").length === 1);
  await pageB.reload();
  await pageB.waitForURL(/\/login/);
  assert.ok(!(await appOk()), "the app's access token fails at once when its family is ended");
  await pageA.getByRole("button", { name: "Sign out everywhere" }).click();
  await pageA.waitForURL(BASE + "/login");
  await pageA.goto(BASE + "/account");
  await pageA.waitForURL(/\/login\?rd=/);

  step("opened as localhost (public_url names 127.0.0.1), the form signs in and / leads to the account");
  const LOCAL = BASE.replace("://127.0.0.1:", "://localhost:");
  const c = await browser.newContext({ viewport: { width: 900, height: 700 } });
  const pageC = await c.newPage();
  watch(pageC);
  await pageC.goto(LOCAL + "/login");
  await signIn(pageC, "alice", "correct horse battery");
  await pageC.waitForURL(LOCAL + "/account");
  await sessionRows(pageC).first().waitFor();
  await pageC.goto(LOCAL + "/");
  await pageC.waitForURL(LOCAL + "/account");
  await sessionRows(pageC).first().waitFor();

  assert.deepEqual(csp.violations, []);
  console.log("browser tests passed");
} finally {
  await browser.close();
}
