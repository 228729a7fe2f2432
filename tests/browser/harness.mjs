// What every browser script here starts with: Debian's Chromium, headless,
// and a record of the Content Security Policy refusals a page logs (each
// script asserts none at its end: the pages run no inline code).
//
//   const browser = await launch();
//   const csp = new CspWatch();
//   const page = await context.newPage(); csp.watch(page);
//   ... assert.deepEqual(csp.violations, []);
import { chromium } from "playwright-core";

export const step = (name) => console.log("step:", name);

export function launch() {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
           "--disable-component-update", "--disable-sync"],
  });
}

export class CspWatch {
  violations = [];
  watch(page) {
    page.on("console", (m) => {
      if (/Content Security Policy|Refused to/.test(m.text())) this.violations.push(m.text());
    });
    return page;
  }
}
