#!/usr/bin/env python3
"""Users in PostgreSQL against users in SQLite (issue 14): login latency in the same run,
and the user lookup a login makes before Argon2id.

Starts a real PostgreSQL 15 (tests/support/postgres_server.py: a temp dir, a free port,
127.0.0.1 only, as the `postgres` system user when run as root) and two `cloakroom serve`
processes with the default Argon2id parameters (the OWASP ones a deployment uses): one with
its users in its SQLite file, one with store.users = postgres://... (sessions in SQLite in
both). Registers a user on each, then logs in alternately, A, B, A, B..., one login at a
time, so both see the same moments of the machine's load; prints p50/p90/p99 per backend
and their ratio. The lookup cost comes from micro_bench's BM_UserFindByName (sqlite:// and,
with CLOAKROOM_BENCH_POSTGRES set to this PostgreSQL, postgres://), run in alternating rounds.

    python3 bench/users_backends.py [--logins 200] [--rounds 3]

Uses build/cloakroom and build/bench/micro_bench (or $CLOAKROOM_BIN, $BUILD_DIR); stopped by pid.
PostgreSQL runs as the tests run it: fsync and synchronous_commit off (a login reads the user
and writes only the session, which is in SQLite for both).
"""
import argparse
import base64
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD_DIR = os.environ.get("BUILD_DIR", os.path.join(ROOT, "build"))
os.environ.setdefault("CLOAKROOM_BIN", os.path.join(BUILD_DIR, "cloakroom"))
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
from cloakroom_server import BIN, CloakroomServer  # noqa: E402
from postgres_server import PostgresServer  # noqa: E402

USERNAME = "bench"
PASSWORD = "correct horse battery staple"
WARMUP = 5  # logins per backend not counted: connection pools, page cache


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def login_ms(srv, conn):
    """One POST /auth/login on a keep-alive connection; its wall time in ms (200 required)."""
    started = time.perf_counter()
    status, _, body = srv.request("POST", "/auth/login",
                                  {"username": USERNAME, "password": PASSWORD, "transport": "body"}, conn=conn)
    took = (time.perf_counter() - started) * 1000
    if status != 200:
        raise SystemExit(f"login answered {status}: {body}")
    return took


def lookup_ns(micro_bench, pg_url, rounds):
    """{backend: [ns per find_by_name, one per round]}; each round runs both, so the rounds interleave them."""
    out = {"sqlite": [], "postgres": []}
    env = dict(os.environ, CLOAKROOM_BENCH_POSTGRES=pg_url)
    for _ in range(rounds):
        r = subprocess.run([micro_bench, "--benchmark_filter=BM_UserFindByName", "--benchmark_format=json",
                            "--benchmark_min_time=1"], capture_output=True, text=True, env=env, timeout=300)
        if r.returncode != 0:
            raise SystemExit(f"micro_bench failed: {r.stderr}")
        for b in json.loads(r.stdout)["benchmarks"]:
            if b.get("error_occurred"):
                raise SystemExit(f"{b['name']}: {b.get('error_message')}")
            unit = {"ns": 1, "us": 1e3, "ms": 1e6}[b["time_unit"]]
            out[b["name"].split("/")[1]].append(b["real_time"] * unit)
    return out


def fmt_ns(ns):
    return f"{ns / 1000:.1f} µs" if ns >= 1000 else f"{ns:.0f} ns"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--logins", type=int, default=200, help="logins per backend (alternated)")
    ap.add_argument("--rounds", type=int, default=3, help="micro_bench rounds for the lookup cost")
    args = ap.parse_args()
    micro_bench = os.path.join(BUILD_DIR, "bench", "micro_bench")
    for path in (BIN, micro_bench):
        if not os.access(path, os.X_OK):
            raise SystemExit(f"no binary at {path}: run `make build` first")

    pg = PostgresServer().start()
    servers = {}
    tmp = tempfile.TemporaryDirectory(prefix="cloakroom-users-bench-")
    try:
        users_url = pg.create_database("bench_users")
        lookup_url = pg.create_database("bench_lookup")
        print("user lookup (micro_bench BM_UserFindByName) ...", file=sys.stderr, flush=True)
        lookups = lookup_ns(micro_bench, lookup_url, args.rounds)

        common = {"CLOAKROOM_HTTP_ACCESS_LOG": "false", "CLOAKROOM_THROTTLE_PER_IP": "1000000"}
        kek = base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")
        specs = {"sqlite": {},
                 "postgres": {"CLOAKROOM_STORE_USERS": users_url, "CLOAKROOM_JWT_KEY_ENCRYPTION_KEY": kek}}
        for name, env in specs.items():
            servers[name] = CloakroomServer(data_dir=os.path.join(tmp.name, name), env=dict(common, **env),
                                            fast_hashing=False).start()
            status, _, body = servers[name].register(USERNAME, PASSWORD)
            if status != 201:
                raise SystemExit(f"register on {name} answered {status}: {body}")
        conns = {name: srv.connection() for name, srv in servers.items()}
        print(f"logins, {args.logins} per backend, alternated ...", file=sys.stderr, flush=True)
        ms = {name: [] for name in servers}
        for i in range(WARMUP + args.logins):
            order = list(servers) if i % 2 == 0 else list(reversed(servers))  # who goes first alternates too
            for name in order:
                took = login_ms(servers[name], conns[name])
                if i >= WARMUP:
                    ms[name].append(took)

        cores = os.cpu_count()
        print(f"\nUsers in SQLite vs PostgreSQL ({cores} cores; `bench/users_backends.py`, sequential logins "
              f"alternated, default Argon2id)\n")
        print("| users in | logins | login p50 ms | p90 ms | p99 ms | user lookup (find_by_name), per round |")
        print("|---|---:|---:|---:|---:|---|")
        for name in servers:
            rounds = ", ".join(fmt_ns(v) for v in lookups[name])
            print(f"| {name} | {len(ms[name])} | {percentile(ms[name], 0.5):.2f} | {percentile(ms[name], 0.9):.2f} | "
                  f"{percentile(ms[name], 0.99):.2f} | {rounds} |")
        p50 = {name: percentile(v, 0.5) for name, v in ms.items()}
        print(f"\nlogin p50 PostgreSQL / SQLite = {p50['postgres'] / p50['sqlite']:.3f} "
              f"(p99 {percentile(ms['postgres'], 0.99) / percentile(ms['sqlite'], 0.99):.3f}); "
              f"lookup median PostgreSQL / SQLite = "
              f"{sorted(lookups['postgres'])[len(lookups['postgres']) // 2] / sorted(lookups['sqlite'])[len(lookups['sqlite']) // 2]:.1f}×")
    finally:
        for srv in servers.values():
            srv.stop()
        pg.destroy()
        tmp.cleanup()


if __name__ == "__main__":
    main()
