#!/usr/bin/env python3
"""Cross-process revocation latency: two `cloakroom serve` processes A and B on one
data dir; a credential is revoked on A (or by the CLI) and B is polled as fast as
one client can until it refuses it. What is measured is the change feed's delay
(B notices another connection committed via PRAGMA data_version every
feed.poll_interval, then reads and applies the entry), plus the poller's own
round trip as the resolution. With --redis the session side lives in a
redis-server of its own (store.sessions = redis://...; the users stay in the
shared SQLite file) and B notices through the Redis feed's counter instead.

    python3 bench/feed_latency.py [--runs 1000] [--cli-runs 200] [--token-runs 200] [--redis]

Uses build/cloakroom (or $CLOAKROOM_BIN); everything on 127.0.0.1, stopped by pid.
Sessions are minted on A; B reads each into its near-cache at the check made
just before the revocation (must_accept), so the numbers do not include B
reading an unknown session from the store.
"""
import argparse
import os
import random
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("CLOAKROOM_BIN", os.path.join(ROOT, "build", "cloakroom"))
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
from cloakroom_server import BIN, CloakroomServer, run_cli  # noqa: E402
from redis_server import RedisServer  # noqa: E402

PASSWORD = "correct horse battery"
# Why 5 s: far beyond any feed delay; a run that takes longer is a failure, not a sample.
GIVE_UP = 5.0
# Why a random pause before each revocation: B just applied the previous one, so a
# tight loop would always revoke right after B's poll and measure the whole interval.
PHASE_JITTER = 0.010


def random_phase():
    time.sleep(random.uniform(0, PHASE_JITTER))


def call(conn, method, path, headers, body=None):
    conn.request(method, path, body=body, headers=headers)
    resp = conn.getresponse()
    resp.read()
    return resp.status


def until_refused(conn, headers, started):
    """Polls /auth/verify on one keep-alive connection; returns (ms from `started` to
    the first 401, checks still accepted before it)."""
    accepted = 0
    while True:
        status = call(conn, "GET", "/auth/verify", headers)
        now = time.perf_counter()
        if status == 401:
            return (now - started) * 1000, accepted
        if status != 200:
            raise SystemExit(f"B answered {status} while waiting for the revocation")
        accepted += 1
        if now - started > GIVE_UP:
            raise SystemExit(f"B still accepted the credential {GIVE_UP} s after it was revoked")


def must_accept(conn, headers):
    status = call(conn, "GET", "/auth/verify", headers)
    if status != 200:
        raise SystemExit(f"B answered {status} for a credential not yet revoked: the run would measure nothing")


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def login_body(**extra):
    return dict({"username": "bench", "password": PASSWORD}, **extra)


def row(name, ms, accepted):
    first = sum(1 for a in accepted if a == 0)
    return (f"| {name} | {len(ms)} | {percentile(ms, 0.5):.2f} | {percentile(ms, 0.9):.2f} | "
            f"{percentile(ms, 0.99):.2f} | {max(ms):.2f} | {first}/{len(ms)} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=1000, help="revocations by HTTP logout on A")
    ap.add_argument("--cli-runs", type=int, default=200, help="revocations by `session revoke ID`")
    ap.add_argument("--token-runs", type=int, default=200, help="access-token logouts on A")
    ap.add_argument("--redis", action="store_true", help="sessions in a redis-server (started here), users in SQLite")
    args = ap.parse_args()
    if not os.access(BIN, os.X_OK):
        raise SystemExit(f"no binary at {BIN}: run `make build` first")

    tmp = tempfile.TemporaryDirectory(prefix="cloakroom-feed-bench-")
    data = os.path.join(tmp.name, "data")
    env = {"CLOAKROOM_HTTP_ACCESS_LOG": "false"}
    redis = RedisServer().start() if args.redis else None
    if redis:
        env["CLOAKROOM_STORE_SESSIONS"] = redis.url("bench:")
    a = b = None
    try:
        a = CloakroomServer(data_dir=data, env=env).start()
        a.register("bench", PASSWORD)
        ca = a.connection()
        n_sessions = args.runs + 2 * args.cli_runs
        print(f"minting {n_sessions} sessions on A ...", file=sys.stderr, flush=True)
        sessions = []
        for _ in range(n_sessions):
            status, _, body = a.request("POST", "/auth/login", login_body(transport="body"), conn=ca)
            if status != 200:
                raise SystemExit(f"login on A answered {status}: {body}")
            sessions.append((body["session"]["id"], body["session_token"]))
        b = CloakroomServer(data_dir=data, env=env).start()
        cb = b.connection()
        results = []

        print(f"HTTP logout on A, {args.runs} runs ...", file=sys.stderr, flush=True)
        ms, acc = [], []
        for _, token in sessions[:args.runs]:
            h = {"X-Session-ID": token}
            must_accept(cb, h)
            random_phase()
            if call(ca, "POST", "/auth/logout", h) != 200:
                raise SystemExit("logout on A failed")
            started = time.perf_counter()  # A's 200 is in hand
            t, n = until_refused(cb, h, started)
            ms.append(t)
            acc.append(n)
        results.append(row("session: POST /auth/logout on A → B refuses", ms, acc))

        if args.token_runs:
            print(f"access-token logout on A, {args.token_runs} runs ...", file=sys.stderr, flush=True)
            ms, acc = [], []
            for _ in range(args.token_runs):
                status, _, body = a.request("POST", "/auth/login", login_body(mode="token", transport="body"), conn=ca)
                if status != 200:
                    raise SystemExit(f"token login on A answered {status}")
                h = {"Authorization": "Bearer " + body["access_token"]}
                must_accept(cb, h)  # also puts the token in B's verified-token cache
                random_phase()
                if call(ca, "POST", "/auth/logout", h) != 200:
                    raise SystemExit("token logout on A failed")
                t, n = until_refused(cb, h, time.perf_counter())
                ms.append(t)
                acc.append(n)
            results.append(row("access token: POST /auth/logout on A → B refuses", ms, acc))

        cli = sessions[args.runs:]
        if args.cli_runs:
            print(f"CLI `session revoke ID --no-wait`, {args.cli_runs} runs ...", file=sys.stderr, flush=True)
        ms, acc = [], []
        for sid, token in cli[:args.cli_runs]:
            h = {"X-Session-ID": token}
            must_accept(cb, h)
            random_phase()
            r = run_cli(["session", "revoke", "--no-wait", "--data-dir", data, "--", sid], None, env=env)  # "--": an id may start with "-"
            started = time.perf_counter()  # the command has exited
            if r.returncode != 0:
                raise SystemExit(f"session revoke --no-wait exited {r.returncode}: {r.stderr.strip()}")
            t, n = until_refused(cb, h, started)
            ms.append(t)
            acc.append(n)
        if ms:
            results.append(row("session: CLI revoke --no-wait exits → B refuses", ms, acc))

        # With the default wait the command returns once B applied the change: the first
        # check after it exits must be refused; what it costs is the command's duration.
        if args.cli_runs:
            print(f"CLI `session revoke ID` (waits), {args.cli_runs} runs ...", file=sys.stderr, flush=True)
        ms, acc = [], []
        for sid, token in cli[args.cli_runs:2 * args.cli_runs]:
            h = {"X-Session-ID": token}
            must_accept(cb, h)
            random_phase()
            started = time.perf_counter()
            r = run_cli(["session", "revoke", "--data-dir", data, "--", sid], None, env=env)
            ms.append((time.perf_counter() - started) * 1000)
            if r.returncode != 0 or "in force on 2 of 2" not in r.stdout:
                raise SystemExit(f"session revoke exited {r.returncode}: {r.stdout.strip()} {r.stderr.strip()}")
            acc.append(until_refused(cb, h, time.perf_counter())[1])
        if ms:
            results.append(row("session: CLI revoke (waits), whole command", ms, acc))

        cores = os.cpu_count()
        store = "sessions in Redis" if redis else "one SQLite file"
        print(f"\nCross-process revocation latency, ms ({cores} cores, {store}, feed.poll_interval default 5ms; "
              f"B polled on one keep-alive connection)\n")
        print("| revoker → observed on B | runs | p50 | p90 | p99 | max | refused on B's first check |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for line in results:
            print(line)
    finally:
        for srv in (b, a):
            if srv is not None:
                srv.stop()
        if redis:
            redis.__exit__(None, None, None)
        tmp.cleanup()


if __name__ == "__main__":
    main()
