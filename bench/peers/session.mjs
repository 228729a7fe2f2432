// Peer: express + express-session + cookie-parser, sessions in MemoryStore or
// (--store redis) in Redis through connect-redis. The same semantics as
// cloakroom's GET /auth/me: a valid session cookie -> 200 with the user, else 401.
// Usage: node session.mjs PORT [memory | redis REDIS_URL]
import cookieParser from "cookie-parser";
import express from "express";
import session from "express-session";

const [port, storeKind = "memory", redisUrl] = process.argv.slice(2);
let store;
if (storeKind === "redis") {
  const { RedisStore } = await import("connect-redis");
  const { createClient } = await import("redis");
  const client = createClient({ url: redisUrl });
  await client.connect();
  store = new RedisStore({ client });
}

const app = express();
app.use(cookieParser());
app.use(session({ store, secret: "bench-secret", resave: false, saveUninitialized: false,
                  cookie: { httpOnly: true, sameSite: "lax" } }));
app.post("/login", (req, res) => {
  req.session.user = { id: "u1", username: "bench", roles: ["admin"] };
  res.json({ status: "ok" });
});
app.get("/me", (req, res) => {
  if (!req.session.user) return res.status(401).json({ error: "unauthenticated" });
  res.json({ user: req.session.user });
});
app.listen(Number(port), "127.0.0.1", () => console.log("listening"));
