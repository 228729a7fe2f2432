// Independent JOSE implementation for cloakroom's interop tests (panva/jose).
//   node interop.mjs verify PUBLIC_JWKS_FILE ISSUER AUDIENCE TOKEN...   -> one line per token: "ok <alg>" or "error <message>"
//   node interop.mjs sign PRIVATE_JWKS_FILE ISSUER AUDIENCE SUBJECT     -> one token per key, signed with that key
import { readFileSync } from 'node:fs';
import * as jose from 'jose';

const [command, file, issuer, audience, ...rest] = process.argv.slice(2);
const jwks = JSON.parse(readFileSync(file, 'utf8'));

if (command === 'verify') {
  const keyFor = async (header) => {
    const jwk = jwks.keys.find((k) => k.kid === header.kid);
    if (!jwk) throw new Error(`no key ${header.kid}`);
    return jose.importJWK(jwk, jwk.alg);
  };
  for (const token of rest) {
    try {
      const { protectedHeader } = await jose.jwtVerify(token, keyFor, { issuer, audience, typ: 'at+jwt' });
      console.log(`ok ${protectedHeader.alg}`);
    } catch (e) {
      console.log(`error ${e.code || e.message}`);
    }
  }
} else if (command === 'sign') {
  const subject = rest[0];
  for (const jwk of jwks.keys) {
    const key = await jose.importJWK(jwk, jwk.alg);
    const token = await new jose.SignJWT({ username: 'interop', roles: ['tester'] })
      .setProtectedHeader({ alg: jwk.alg, kid: jwk.kid, typ: 'at+jwt' })
      .setIssuer(issuer).setAudience(audience).setSubject(subject)
      .setIssuedAt().setNotBefore('0s').setExpirationTime('5m').setJti(crypto.randomUUID())
      .sign(key);
    console.log(`${jwk.alg} ${token}`);
  }
} else {
  console.error('usage: interop.mjs verify|sign ...');
  process.exit(2);
}
