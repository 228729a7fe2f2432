#!/usr/bin/env python3
"""Redis memory per session and per refresh family, through cloakroom's own store:
one `serve` process with store.sessions = redis://... (its own redis-server, no
persistence); N logins go through HTTP, and Redis's INFO memory `used_memory` is
read before and after, the difference divided by N. Everything the store writes
for a login counts: the session (or family) hash, the user's index, the global
expiry and last-seen indexes, with a Firefox user agent (70 bytes) and 127.0.0.1.

    python3 bench/redis_memory.py [--n 10000]

Prints rows of bench/scaleout.sh's table: | what | bytes | | | how |. Argon2id is set to its
smallest cost here (it does not change what is stored) so the logins are quick.
Uses build/cloakroom (or $CLOAKROOM_BIN); everything on 127.0.0.1, stopped by pid.
"""
import argparse
import os
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("CLOAKROOM_BIN", os.path.join(ROOT, "build", "cloakroom"))
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
from cloakroom_server import BIN, CloakroomServer  # noqa: E402
from redis_server import RedisServer  # noqa: E402

PASSWORD = "correct horse battery"
# Stored with each session and family (capped at 512 bytes): a browser's, as a deployment would see.
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
CLIENTS = 4  # concurrent HTTP clients: enough to keep one server busy


def run_all(srv, items, call):
    """call(conn, item) for every item, over CLIENTS threads with a connection each; stops at a failure."""
    errors = []

    def worker(part):
        conn = srv.connection()
        try:
            for item in part:
                call(conn, item)
        except Exception as e:  # reported below: a bench run with a failed call is void
            errors.append(e)
        finally:
            conn.close()

    threads = [threading.Thread(target=worker, args=(items[i::CLIENTS],)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise SystemExit(f"bench: {errors[0]}")


def used_memory(redis):
    time.sleep(0.5)  # heartbeats and touches settle
    for line in redis.cli("INFO", "memory").splitlines():
        if line.startswith("used_memory:"):
            return int(line.split(":")[1])
    raise SystemExit("bench: INFO memory has no used_memory")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=10000, help="sessions and families created for each figure")
    args = ap.parse_args()
    if not os.access(BIN, os.X_OK):
        raise SystemExit(f"no binary at {BIN}: run `make build` first")
    n = args.n
    tmp = tempfile.TemporaryDirectory(prefix="cloakroom-redis-mem-")
    redis = RedisServer().start()
    srv = None
    try:
        env = {"CLOAKROOM_HTTP_ACCESS_LOG": "false", "CLOAKROOM_STORE_SESSIONS": redis.url("bench:"),
               "CLOAKROOM_THROTTLE_PER_IP": "1000000"}
        srv = CloakroomServer(data_dir=os.path.join(tmp.name, "data"), env=env).start()
        # Two pools: n users with one session each (the common case: the user's index is
        # paid per session), n/10 users with ten each.
        single = [f"u{i}" for i in range(n)]
        multi = [f"m{i}" for i in range(n // 10)]

        def expect(status, body, want, what):
            if status != want:
                raise RuntimeError(f"{what} answered {status}: {body}")

        def register(conn, name):
            status, _, body = srv.request("POST", "/auth/register", {"username": name, "password": PASSWORD}, conn=conn)
            expect(status, body, 201, "register")

        def login(extra):
            def call(conn, name):
                status, _, body = srv.request("POST", "/auth/login",
                                              dict({"username": name, "password": PASSWORD}, **extra),
                                              headers={"User-Agent": USER_AGENT}, conn=conn)
                expect(status, body, 200, "login")
            return call

        print(f"registering {len(single) + len(multi)} users ...", file=sys.stderr, flush=True)
        run_all(srv, single + multi, register)
        rows = []
        for label, users, extra in [
                ("session (one per user)", single, {}),
                ("session (ten per user)", multi * 10, {}),
                ("refresh family (one per user)", single, {"mode": "token", "transport": "body"})]:
            print(f"{label}: {len(users)} logins ...", file=sys.stderr, flush=True)
            before = used_memory(redis)
            run_all(srv, users, login(extra))
            after = used_memory(redis)
            rows.append(f"| (d) Redis memory per {label} | {(after - before) / len(users):.0f} bytes | | | "
                        f"INFO used_memory before/after {len(users)} logins through the store, divided |")
        for r in rows:
            print(r)
    finally:
        if srv is not None:
            srv.stop()
        redis.__exit__(None, None, None)
        tmp.cleanup()


if __name__ == "__main__":
    main()
