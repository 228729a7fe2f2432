#!/usr/bin/env python3
"""Writes docs/PERFORMANCE.md and docs/performance.svg from one `make bench` run.

    bench/report.py RESULTS_DIR

    bench/report.py --scaleout SCALEOUT_MD     # only the scale-out section, from bench/scaleout.sh's output
    bench/report.py --second-factors MICRO_JSON   # only the second-factor section, from a micro_bench JSON

RESULTS_DIR holds what bench/run.sh collected: micro.json (Google Benchmark),
compare.tsv (bench/compare.sh), http.md (bench/http.sh), login.md
(bench/login.sh), tradeoffs.tsv (bench/tradeoffs.sh), scaleout.md
(bench/scaleout.sh), machine.txt. The prose that does not change with a run
(what made it fast, caveats) comes from bench/performance-notes.md; the "How
to run" section is kept from the current docs/PERFORMANCE.md, where it is
edited. Every number in the output is from this run; with --scaleout or
--second-factors, that one section is replaced in place and says when it was
measured.

--second-factors takes the JSON of a run such as
    micro_bench --benchmark_filter='Totp|Webauthn|BM_PasswordVerify' --benchmark_repetitions=5 \
                --benchmark_out=sf.json --benchmark_out_format=json
"""
import json
import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "PERFORMANCE.md"
SCALEOUT_TITLE = "## Scale-out: nodes on Redis, checks in process"


def scaleout_section(table, measured=None):
    """The scale-out section: bench/scaleout.sh's table and the goals it is held to."""
    rows = [line for line in table.splitlines() if line.startswith("|")]
    lines = [SCALEOUT_TITLE + "\n",
             "`bench/scaleout.sh`" + (" (run %s)" % measured if measured else "") + ": a node with its sessions in "
             "Redis beside one on SQLite and nginx `return 200`, each on one core with one HTTP thread; the same "
             "binary with `session.cache_entries = 0` is the per-request-lookup design (one store read per check, "
             "as Authelia and oauth2-proxy do with Redis); cross-node revocation between two Redis-backed nodes; "
             "Redis memory per record, measured through the store; login and refresh on each store. "
             "CPU per check is the process's CPU time over the run divided by its requests: steadier than "
             "throughput on a shared VM.\n"]
    lines += rows + [""]
    goals = []
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        if cells[0].startswith("(a)") and "Redis node" in cells[0] and "×" in cells[4]:
            ratio = cells[4].split("× the SQLite node")[0].split(",")[-1].strip()
            goals.append("a Redis-backed node checks at %s× the SQLite node's rate (goal ≥ 0.9×)" % ratio)
        if cells[0].startswith("(c)") and "session" in cells[0]:
            goals.append("a logout on one node is refused on the other at p99 %s (goal ≤ 10 ms)" % cells[1].split(",")[-1].replace("p99", "").strip())
    if goals:
        lines.append("Against the goals: " + "; ".join(goals) + ".\n")
    return lines


UNIT_NS = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}


def fmt_time(nanoseconds):
    if nanoseconds >= 1e6:
        return "%.1f ms" % (nanoseconds / 1e6)
    if nanoseconds >= 1e3:
        return "%.1f µs" % (nanoseconds / 1e3)
    return "%.0f ns" % nanoseconds


SECOND_FACTORS_TITLE = "## Second factors: TOTP and passkeys"

# (benchmark, what it measures). A row starting "…" is a part of the whole above it.
SECOND_FACTOR_ROWS = [
    ("BM_TotpVerify/sqlite", "TOTP code, right, whole `TotpService::verify` on SQLite"),
    ("BM_TotpStateRead/sqlite", "… read the user's TOTP row"),
    ("BM_TotpUnseal", "… unseal the secret (XChaCha20-Poly1305)"),
    ("BM_TotpMatch/0", "… codes of the ±1 window (3 × HMAC-SHA-1), right code"),
    ("BM_TotpMatch/1", "… the same, wrong code"),
    ("BM_TotpAcceptStep/sqlite", "… the replay guard: one atomic UPDATE, committed (`synchronous=FULL`)"),
    ("BM_WebauthnAssertionVerify/ES256", "passkey assertion, whole `verify_assertion`, ES256"),
    ("BM_WebauthnAssertionVerify/EdDSA", "passkey assertion, EdDSA (Ed25519)"),
    ("BM_WebauthnAssertionVerify/RS256", "passkey assertion, RS256 (2048-bit)"),
    ("BM_WebauthnSignatureVerify/ES256", "… the signature alone, ES256"),
    ("BM_WebauthnSignatureVerify/EdDSA", "… the signature alone, EdDSA"),
    ("BM_WebauthnSignatureVerify/RS256", "… the signature alone, RS256"),
    ("BM_WebauthnCoseKeyParse/ES256", "… the stored COSE key made an OpenSSL key, ES256 (with the point's check)"),
    ("BM_WebauthnCoseKeyParse/EdDSA", "… the same, EdDSA"),
    ("BM_WebauthnCoseKeyParse/RS256", "… the same, RS256"),
    ("BM_WebauthnClientDataCheck", "… clientDataJSON parsed and checked"),
    ("BM_WebauthnAuthDataParse", "… authenticator data parsed"),
    ("BM_PasswordVerify", "for scale: the password step's Argon2id verify"),
]


def per_second(nanoseconds):
    """1 s ÷ `nanoseconds`, to three significant figures: 2,490 or 1,450,000."""
    rate = 1e9 / nanoseconds
    return "{:,.0f}".format(float("%.3g" % rate))


def second_factors_section(benchmarks, measured=None, loaded=False):
    """The second-factor section from Google Benchmark entries (one run, or repetitions and their aggregates).

    Costs are CPU time per operation (what a core pays; steadier than wall time on a shared VM), the median when
    the run had repetitions, with the repetitions' spread; wall time shows what waits (the replay guard's fsync)."""
    medians, reps = {}, {}
    for b in benchmarks:
        name = b.get("run_name", b["name"])
        if b.get("run_type") == "aggregate":
            if b.get("aggregate_name") == "median":
                medians[name] = b
            continue
        reps.setdefault(name, []).append(b["cpu_time"] * UNIT_NS[b["time_unit"]])
        medians.setdefault(name, b)

    def key(name):
        return name if name in medians else next((n for n in medians if n.startswith(name + "/")), None)

    def cpu(name):
        b = medians[key(name)]
        return b["cpu_time"] * UNIT_NS[b["time_unit"]]

    def wall(name):
        b = medians[key(name)]
        return b["real_time"] * UNIT_NS[b["time_unit"]]

    rows = [(n, what) for n, what in SECOND_FACTOR_ROWS if key(n)]
    if not rows:
        return []
    n_reps = max(len(reps.get(key(n), [])) for n, _ in rows)
    lines = [SECOND_FACTORS_TITLE + "\n",
             "`bench/totp_bench.cpp`, `bench/webauthn_bench.cpp`%s: what the server pays to check a second factor, "
             "after the challenge and the stored record were looked up. Costs are CPU time per operation%s; wall "
             "time beside it shows what waits rather than computes. Operations per second per core = 1 s ÷ CPU "
             "time.%s\n" % (" (run %s)" % measured if measured else "",
                             ", the median of %d repetitions with their spread" % n_reps if n_reps > 1 else "",
                             " The machine was loaded (more runnable tasks than cores): every time is inflated "
                             "against an idle run, so compare rows within this table, not with other sections."
                             if loaded else ""),
             "| operation | benchmark | CPU per op | spread (min–max) | wall per op | ops/s per core |",
             "|---|---|---|---|---|---|"]
    for n, what in rows:
        times = reps.get(key(n), [])
        spread = "%s – %s" % (fmt_time(min(times)), fmt_time(max(times))) if len(times) > 1 else "one run"
        lines.append("| %s | `%s` | %s | %s | %s | %s |" % (what, key(n), fmt_time(cpu(n)), spread,
                                                           fmt_time(wall(n)), per_second(cpu(n))))
    lines.append("")
    said = []
    if key("BM_TotpVerify/sqlite") and key("BM_TotpMatch/0") and key("BM_TotpUnseal"):
        totp = cpu("BM_TotpVerify/sqlite")
        text = ("A right TOTP code costs the server %s of CPU (%s wall: mostly the replay guard's commit waiting "
                "for the disk's fsync, as every durable write does; a login's session insert pays the same). The "
                "cryptography in it is small: the ±1 window's three HMACs %s, unsealing the secret %s; the rest is "
                "SQLite. A wrong code stops before the write." % (
                    fmt_time(totp), fmt_time(wall("BM_TotpVerify/sqlite")), fmt_time(cpu("BM_TotpMatch/0")),
                    fmt_time(cpu("BM_TotpUnseal"))))
        if key("BM_PasswordVerify"):
            text += (" Next to the password step's Argon2id verify (%s in the same run) the whole TOTP check is "
                     "%.1f%%: a second factor adds about that much to a login's CPU."
                     % (fmt_time(cpu("BM_PasswordVerify")), 100 * totp / cpu("BM_PasswordVerify")))
        said.append(text)
    algs = [a for a in ("ES256", "EdDSA", "RS256") if key("BM_WebauthnAssertionVerify/" + a)
            and key("BM_WebauthnSignatureVerify/" + a) and key("BM_WebauthnCoseKeyParse/" + a)]
    if algs:
        parts = ["%s %s (signature %s, key decoding %s)" % (
            a, fmt_time(cpu("BM_WebauthnAssertionVerify/" + a)), fmt_time(cpu("BM_WebauthnSignatureVerify/" + a)),
            fmt_time(cpu("BM_WebauthnCoseKeyParse/" + a))) for a in algs]
        text = ("A passkey assertion costs " + "; ".join(parts) + ": the signature and the key are the cost; "
                "clientDataJSON and the authenticator data together take about a microsecond.")
        if "ES256" in algs:
            ratio = cpu("BM_WebauthnAssertionVerify/ES256") / cpu("BM_WebauthnSignatureVerify/ES256")
            text += " An ES256 assertion costs %.1f ECDSA P-256 verifies" % ratio
            # Why 1.8: below it, decoding the key is no longer a second verify's worth.
            text += (", not one: decoding the stored key (building the P-256 group, then OpenSSL's quick "
                     "public-key check that the point is on the curve) costs about another verify." if ratio >= 1.8
                     else " (the stored key is decoded and its point checked to be on the curve with OpenSSL's "
                          "quick check: P-256's cofactor of 1 makes the full check's scalar multiplication "
                          "redundant).")
        said.append(text)
    return lines + [s + "\n" for s in said]


def replace_section(doc, title, section_lines, before):
    """`doc` with the section called `title` replaced by `section_lines`, or inserted before `before` when absent."""
    start = doc.find(title)
    if start < 0:
        start = end = doc.find(before)
    else:
        end = doc.find("\n## ", start + 1) + 1
    return doc[:start] + "\n".join(section_lines) + "\n" + doc[end:]


def section_text(doc, title):
    """The section called `title` in `doc`, up to the next "## " heading, without trailing blank lines; "" if absent."""
    start = doc.find(title)
    if start < 0:
        return ""
    end = doc.find("\n## ", start + 1)
    return doc[start:end if end >= 0 else len(doc)].rstrip() + "\n"


def utc_now():
    import datetime
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


if len(sys.argv) == 3 and sys.argv[1] == "--scaleout":
    section = scaleout_section(pathlib.Path(sys.argv[2]).read_text(), utc_now())
    DOC.write_text(replace_section(DOC.read_text(), SCALEOUT_TITLE, section, "## Notes on the numbers"))
    print("rewrote the scale-out section of docs/PERFORMANCE.md")
    sys.exit(0)

if len(sys.argv) == 3 and sys.argv[1] == "--second-factors":
    run = json.loads(pathlib.Path(sys.argv[2]).read_text())
    context = run.get("context", {})
    measured = context.get("date", utc_now())[:16].replace("T", " ") + " UTC"
    load = context.get("load_avg", [0])[0]
    if load:
        measured += ", load average %.1f at the start" % load
    section = second_factors_section(run["benchmarks"], measured, load > context.get("num_cpus", 1))
    if not section:
        sys.exit("no second-factor benchmarks in " + sys.argv[2])
    DOC.write_text(replace_section(DOC.read_text(), SECOND_FACTORS_TITLE, section, "## Login"))
    print("rewrote the second-factor section of docs/PERFORMANCE.md")
    sys.exit(0)

results = pathlib.Path(sys.argv[1])


def read(name):
    return (results / name).read_text()


# --- inputs -----------------------------------------------------------------
micro_run = json.loads(read("micro.json"))["benchmarks"]
micro = {}
for b in micro_run:
    if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
        continue
    name = b.get("run_name", b["name"])
    micro[name] = b


def find(name):
    """The benchmark called `name`, or whose name starts with `name/` (arguments, min_time...)."""
    if name in micro:
        return name
    return next((n for n in micro if n.startswith(name + "/")), None)


def ns(name):
    """Real time of a benchmark in nanoseconds."""
    b = micro[find(name)]
    return b["real_time"] * UNIT_NS[b["time_unit"]]


compare = []
for line in read("compare.tsv").splitlines():
    if line.strip():
        key, label, group, rps, p50, p99 = line.split("\t")
        compare.append({"id": key, "label": label, "group": group, "rps": float(rps), "p50": p50, "p99": p99})
by_id = {r["id"]: r for r in compare}
ceiling = by_id["nginx"]["rps"]

tradeoffs = {}
for line in read("tradeoffs.tsv").splitlines():
    if line.strip():
        key, value, unit = line.split("\t")
        tradeoffs[key] = (value, unit)

machine = read("machine.txt").strip()

# --- the chart ----------------------------------------------------------------
colors = {"ceiling": "#868e96", "cloakroom": "#3b5bdb", "peer": "#f08c00"}
rows = [r for r in compare]
data = results / "chart.dat"
with data.open("w") as f:
    for i, r in enumerate(reversed(rows)):
        kind = "ceiling" if r["group"] == "ceiling" else ("cloakroom" if r["id"].startswith("cloakroom") else "peer")
        f.write('%d "%s" %.0f %d\n' % (i, r["label"].replace("`", ""), r["rps"], int(colors[kind][1:], 16)))
svg = ROOT / "docs" / "performance.svg"
script = f"""
set terminal svg size 960,{120 + 34 * len(rows)} dynamic noenhanced font 'DejaVu Sans,13' background '#ffffff'
set output '{svg}'
set title 'GET with a credential → 200 JSON with the user (1 core, wrk -c{os.environ.get('WRK_CONNECTIONS', '64')}, median of runs)'
set xlabel 'requests per second (more is better)'
set format x '%.0s%c'
set xrange [0:*]
set yrange [-0.7:{len(rows) - 0.3}]
set ytics nomirror scale 0
set xtics nomirror
set grid xtics lc rgb '#dee2e6'
set border 3 lc rgb '#495057'
unset key
set style fill solid 1.0 noborder
plot '{data}' using ($3/2):1:($3/2):(0.36):4:ytic(2) with boxxyerror lc rgb variable, \\
     '' using ($3):1:(sprintf(' %.0fk', $3/1000)) with labels left offset 0.3,0 font 'DejaVu Sans,11'
"""
subprocess.run(["gnuplot"], input=script, text=True, check=True)

# --- the document ---------------------------------------------------------------
out = []
w = out.append
w("# Performance\n")
w("Generated by `make bench` (`bench/run.sh` → `bench/report.py`); every number below is from that one run. "
  "Speed is measured here, never asserted in tests.\n")
w("Machine: " + machine + "\n")
w("Loopback benchmarks on a small VM are noisy (runs of one binary vary by ±10%): compare rows of one run, "
  "not numbers across days. Servers run alone on CPU 1, wrk on CPU 0.\n")

w("## Side by side: cloakroom, what users would pick instead, and the ceiling\n")
w("Every server answers the same thing: `GET` with a credential → 200 JSON with the user; an invalid credential → "
  "401 (checked before measuring). Each is one process on one core; the Node peers are a few lines each in "
  "`bench/peers/`, with packages from npm (`package-lock.json` committed). cloakroom runs with the access log "
  "off, as the peers do. A run with any non-2xx answer is void.\n")
w("![requests per second per scenario](performance.svg)\n")
w("| scenario | req/s | p50 ms | p99 ms | vs nginx ceiling | cloakroom ÷ this |")
w("|---|---|---|---|---|---|")
ours = {"session": by_id.get("cloakroom-session"), "hs256": by_id.get("cloakroom-hs256"),
        "es256": by_id.get("cloakroom-es256")}
for r in compare:
    ratio = ""
    if r["group"] in ours and not r["id"].startswith("cloakroom") and ours[r["group"]]:
        ratio = "%.1f×" % (ours[r["group"]]["rps"] / r["rps"])
    w("| %s | %.0f | %s | %s | %.0f%% | %s |" % (r["label"], r["rps"], r["p50"], r["p99"], 100 * r["rps"] / ceiling,
                                               ratio))
w("")
goals = []
for gid, label in [("cloakroom-session", "session check"), ("cloakroom-hs256", "HS256 bearer")]:
    if gid in by_id:
        goals.append("%s at %.0f%% of nginx (goal ≥ 70%%)" % (label, 100 * by_id[gid]["rps"] / ceiling))
if "express-session" in by_id and "cloakroom-session" in by_id:
    goals.append("%.0f× express-session (goal ≥ 30×)" % (by_id["cloakroom-session"]["rps"] / by_id["express-session"]["rps"]))
if "fastify-jwt" in by_id and "cloakroom-hs256" in by_id:
    goals.append("%.0f× fastify + @fastify/jwt (goal ≥ 8×)" % (by_id["cloakroom-hs256"]["rps"] / by_id["fastify-jwt"]["rps"]))
openssl_verify = None
for line in read("openssl.txt").splitlines():
    if "ecdsa (nistp256)" in line:
        openssl_verify = float(line.split()[-1])
es256 = [n for n, b in micro.items() if n.startswith("BM_JwsVerify/") and b.get("label") == "ES256"]
if openssl_verify and es256:
    ours_per_s = 1e9 / ns(es256[0])
    goals.append("uncached ES256 verify %.0f/s = %.0f%% of `openssl speed ecdsap256` (%.0f/s; goal ≥ 85%%)" % (
        ours_per_s, 100 * ours_per_s / openssl_verify, openssl_verify))
w("Against the goals: " + "; ".join(goals) + ".\n")

w("## The trade-off table, measured\n")
w("The rows of the usual sessions-vs-JWT tables, with this run's numbers (micro-benchmarks on CPU 1; "
  "`bench/*_bench.cpp`, `bench/tradeoffs.sh`).\n")
w("| | session mode | token mode (JWT) |")
w("|---|---|---|")


def micro_row(name):
    return fmt_time(ns(name)) if find(name) else "n/a"


verify = {}
for name, b in micro.items():
    if name.startswith("BM_JwsVerify/") and b.get("label"):
        verify[b["label"]] = ns(name)
jwt_costs = ", ".join("%s %s" % (alg, fmt_time(t)) for alg, t in verify.items())
w("| per-request check, in process | %s (cache hit: hash the secret, look up, compare); a session not cached "
  "here %s (one SQLite read, then cached); a made-up id %s after its one read (negative cache) | "
  "cached token %s; first sight of a token: %s |" % (
      micro_row("BM_SessionCheckHit/threads:1"), micro_row("BM_SessionCheckMissSqlite"),
      micro_row("BM_SessionCheckUnknown"), micro_row("BM_JwsVerifyCached/threads:1"), jwt_costs))
w("| the same check if it went to the store | SQLite lookup by id: %s | no store needed (revocation state is in memory: %s per lookup with 100,000 entries) |" % (
    micro_row("BM_SessionStoreFindSqlite"), micro_row("BM_RevocationLookup/threads:1")))
w("| HTTP throughput (table above) | %.0f req/s | HS256 %.0f, ES256 %.0f req/s |" % (
    by_id["cloakroom-session"]["rps"], by_id["cloakroom-hs256"]["rps"], by_id["cloakroom-es256"]["rps"]))
mem = micro[find("BM_SessionCacheMemory")].get("bytes_per_session") if find("BM_SessionCacheMemory") else None
w("| server memory | %s per cached session (at most `session.cache_entries`; 1,000,000 ≈ %s) | denylist entries only (per revoked token, until its exp) |" % (
    "%.0f bytes" % mem if mem else "n/a", "%.0f MB" % (mem * 1e6 / 1e6) if mem else "n/a"))
w("| credential size on the wire | %s bytes (`__Host-sid` cookie) | %s bytes (`__Host-at` cookie), %s-byte ES256 JWT, %s-byte refresh token |" % (
    tradeoffs["session_cookie_bytes"][0], tradeoffs["access_cookie_bytes"][0],
    tradeoffs["es256_access_token_bytes"][0], tradeoffs["refresh_token_bytes"][0]))
w("| login | Argon2id verify %s + one durable insert | the same + one ES256 signature (%s) |" % (
    micro_row("BM_PasswordVerify"), fmt_time(ns([n for n, b in micro.items() if n.startswith("BM_JwsSign/") and b.get("label") == "ES256"][0]))))
w("| renewal | sliding idle expiry, nothing to do | refresh: %s CPU (memory store), %s with SQLite `synchronous=FULL` |" % (
    micro_row("BM_Refresh/0"), micro_row("BM_Refresh/1")))
w("| revocation latency, same server | the next request is refused (%s accepted after logout returned) | the next request is refused (%s accepted; denylist and epochs in memory, cached token included) |" % (
    tradeoffs["revoke_session_logout_accepted"][0], tradeoffs["revoke_token_logout_accepted"][0]))
w("| revocation latency, from the CLI | %s ms after the command returns (it waits until every server applied the change) | %s ms |" % (
    tradeoffs["revoke_cli_session_ms"][0], tradeoffs["revoke_cli_token_ms"][0]))
w("| revocation latency, services verifying JWTs offline | — | until `exp` (`jwt.access_ttl`, 15 min): keep it short or use `/auth/verify` |")
w("")
w("CLI latencies are measured with curl polling every ~2 ms plus process start-up, so a few ms is the floor of "
  "what the script can see. The CLI returns only once every server applied the change, so its first check after "
  "exit is refused (`bench/feed_latency.py` counts it); these two rows are that floor.\n")

w("## HTTP scenarios against nginx `return 200`\n")
w("`bench/http.sh`: `/healthz` and `/auth/verify` with the access log on and off, cloakroom with the thread counts "
  "it chose itself on one core, and only one server on that core at a time (an idle cloakroom still polls its change "
  "feed). The first three rows (nginx, the session check, the same with the old default of one I/O thread per host "
  "core) run rotated, each run starting its server, warming it for `WARMUP` (2 s), measuring and stopping it; the "
  "bearer rows alternate the same way between a server with an empty denylist and one with 100,000 denylisted tokens "
  "and families.\n")
w(read("http.md").strip() + "\n")

w("## Micro-benchmarks\n")
w("| benchmark | time | |")
w("|---|---|---|")
for name, b in micro.items():
    extra = b.get("label", "")
    if "bytes_per_session" in b:
        extra = "%.0f bytes per session" % b["bytes_per_session"]
    w("| `%s` | %s | %s |" % (name, fmt_time(ns(name)), extra))
w("")

out.extend(second_factors_section(micro_run))

w("## Login\n")
w("`bench/login.sh`: `POST /auth/login` at OWASP Argon2id parameters (m=19 MiB, t=2), one connection, one hashing worker.\n")
w("| scenario | throughput | p50 | p99 | non-2xx |")
w("|---|---|---|---|---|")
w(read("login.md").strip() + "\n")

if (results / "scaleout.md").exists():
    out.extend(scaleout_section(read("scaleout.md")))

# The notes file opens with a line for its readers; the document takes it from its first section on.
notes = (ROOT / "bench" / "performance-notes.md").read_text()
w(notes[notes.find("## "):].strip() + "\n")
how_to_run = section_text(DOC.read_text(), "## How to run") if DOC.exists() else ""
if how_to_run:
    w(how_to_run)
else:
    print("docs/PERFORMANCE.md had no \"## How to run\" section to keep", file=sys.stderr)
DOC.write_text("\n".join(out))
print("wrote docs/PERFORMANCE.md and docs/performance.svg")
