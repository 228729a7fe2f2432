// Peer: express + jsonwebtoken, HS256 bearer tokens.
// Usage: node express-jwt.mjs PORT
import express from "express";
import jwt from "jsonwebtoken";

const secret = "bench-secret-bench-secret-bench-secret!";
const app = express();
app.post("/login", (req, res) => {
  res.json({ access_token: jwt.sign({ sub: "u1", username: "bench", roles: ["admin"] }, secret,
                                    { algorithm: "HS256", expiresIn: "1h" }) });
});
app.get("/me", (req, res) => {
  const auth = req.get("authorization") || "";
  try {
    const c = jwt.verify(auth.replace(/^Bearer /i, ""), secret, { algorithms: ["HS256"] });
    res.json({ user: { id: c.sub, username: c.username, roles: c.roles } });
  } catch {
    res.status(401).json({ error: "unauthenticated" });
  }
});
app.listen(Number(process.argv[2]), "127.0.0.1", () => console.log("listening"));
