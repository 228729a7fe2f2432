// Peer: node:http + jose, ES256 bearer tokens (a key pair made at start).
// Usage: node jose-es256.mjs PORT
import http from "node:http";
import { SignJWT, generateKeyPair, jwtVerify } from "jose";

const { publicKey, privateKey } = await generateKeyPair("ES256");
const send = (res, status, body) => {
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
};
http.createServer(async (req, res) => {
  if (req.method === "POST" && req.url === "/login") {
    const token = await new SignJWT({ username: "bench", roles: ["admin"] }).setProtectedHeader({ alg: "ES256" })
      .setSubject("u1").setExpirationTime("1h").sign(privateKey);
    return send(res, 200, { access_token: token });
  }
  if (req.method === "GET" && req.url === "/me") {
    try {
      const { payload: c } = await jwtVerify((req.headers.authorization || "").replace(/^Bearer /i, ""), publicKey,
                                             { algorithms: ["ES256"] });
      return send(res, 200, { user: { id: c.sub, username: c.username, roles: c.roles } });
    } catch {
      return send(res, 401, { error: "unauthenticated" });
    }
  }
  send(res, 404, { error: "not_found" });
}).listen(Number(process.argv[2]), "127.0.0.1", () => console.log("listening"));
