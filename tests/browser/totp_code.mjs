// TOTP codes computed as an authenticator app would, for the browser tests
// that type one (totp.mjs, step_up_nginx.mjs).
//
//   import { base32, Codes } from "./totp_code.mjs";
//   const codes = new Codes(base32(keyShownOnThePage));
//   await page.getByLabel("Code").fill(await codes.next());   // each a later step
//   codes.lastUsedStep;                                        // the step of the last one
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";

// RFC 4648 base32 (spaces, case and padding forgiven, as apps do).
export function base32(text) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  const out = [];
  let value = 0;
  let bits = 0;
  for (const c of text.replace(/[\s=]/g, "").toUpperCase()) {
    const i = alphabet.indexOf(c);
    assert.ok(i >= 0, `the key is not base32: ${text}`);
    value = ((value << 5) | i) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((value >> bits) & 0xff);
    }
  }
  return Buffer.from(out);
}

// RFC 6238 with RFC 4226's dynamic truncation: HMAC-SHA1, 6 digits, 30 s steps.
export function totp(key, timeStep) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(timeStep));
  const mac = createHmac("sha1", key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1000000).padStart(6, "0");
}
// RFC 6238 appendix B, SHA-1, T = 59 s (step 1): 94287082, of which 6 digits.
assert.equal(totp(Buffer.from("12345678901234567890"), 1), "287082");

export const stepNow = () => Math.floor(Date.now() / 30000);

// The server takes each time step once and accepts one step either side of
// its own: a code for the current step, or for the next one when the
// current one was used. Waits (to the next step boundary at most) only
// when both were used. One per key, so two users never share a count.
export class Codes {
  constructor(key) {
    this.key = key;
    this.lastUsedStep = -1;
  }

  async next() {
    const timeStep = Math.max(stepNow(), this.lastUsedStep + 1);
    const wait = (timeStep - 1) * 30000 - Date.now() + 500;
    if (timeStep > stepNow() + 1 && wait > 0) await new Promise((done) => setTimeout(done, Math.min(wait, 31000)));
    this.lastUsedStep = timeStep;
    return totp(this.key, timeStep);
  }
}
