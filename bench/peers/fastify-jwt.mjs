// Peer: fastify + @fastify/jwt, HS256 bearer tokens.
// Usage: node fastify-jwt.mjs PORT
import jwtPlugin from "@fastify/jwt";
import Fastify from "fastify";

const app = Fastify();
await app.register(jwtPlugin, { secret: "bench-secret-bench-secret-bench-secret!", sign: { algorithm: "HS256" } });
app.post("/login", async () => ({ access_token: app.jwt.sign({ sub: "u1", username: "bench", roles: ["admin"] }, { expiresIn: "1h" }) }));
app.get("/me", async (req, reply) => {
  try {
    const c = await req.jwtVerify();
    return { user: { id: c.sub, username: c.username, roles: c.roles } };
  } catch {
    return reply.code(401).send({ error: "unauthenticated" });
  }
});
await app.listen({ port: Number(process.argv[2]), host: "127.0.0.1" });
console.log("listening");
