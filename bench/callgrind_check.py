#!/usr/bin/env python3
"""User-space instructions and heap allocations per session `/auth/verify`, under callgrind.

    bench/callgrind_check.py build/cloakroom            # 20,000 requests
    bench/callgrind_check.py OLD_BIN NEW_BIN -n 5000    # one after the other, same method
    bench/callgrind_check.py build/cloakroom --sessions redis   # sessions in a Redis of its own

One I/O thread, the access log on (to /dev/null), one keep-alive client
connection sending the request after each answer. Counters are zeroed after
a warm-up and dumped after N requests. Prints the I/O thread's instructions
per request, malloc/free calls per request with their direct callers, and the
heaviest functions by inclusive cost; then every thread's instructions over
the same span (the change feed follower and the store pool run on their own
threads). Those are time-driven (a poll every few ms), and valgrind runs the
requests ~50x slower than natively, so per request they weigh ~50x what they
do natively: compare them build to build, or as instructions per second.
--sessions redis starts a redis-server (tests/support/redis_server.py: free
port, temp dir, 127.0.0.1) and keeps the sessions there, as the scale-out
nodes do; the session check is still a near-cache hit. Counts are steady run to run, unlike
req/s on a shared VM, so they compare builds; they leave out the kernel, and
valgrind's CPU lacks SHA extensions, so OpenSSL's SHA-256 counts high.
"""
import argparse
import collections
import glob
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "support"))
from redis_server import RedisServer  # noqa: E402

PASSWORD = "correct horse battery staple"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, seconds=60):
    end = time.time() + seconds
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    sys.exit(f"callgrind_check: nothing listens on 127.0.0.1:{port}")


def serve(cmd, binary, data, port, store_env, **kwargs):
    env = dict(os.environ, CLOAKROOM_HTTP_THREADS="1", CLOAKROOM_HTTP_ACCESS_LOG="true",
               CLOAKROOM_THROTTLE_PER_IP="1000000", **store_env)
    return subprocess.Popen(cmd + [binary, "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", data],
                            env=env, stdout=subprocess.DEVNULL, **kwargs)


def request(port, method, path, headers, body=b""):
    """Minimal HTTP/1.1 client on its own connection: (status line, headers text)."""
    with socket.create_connection(("127.0.0.1", port)) as s:
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        s.sendall(f"{method} {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n{head}"
                  f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    return data.split(b"\r\n\r\n", 1)[0].decode()


def checks(port, cookie, n):
    """n session checks on one keep-alive connection, each sent after the last answer."""
    req = (f"GET /auth/verify HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: wrk\r\nAccept: */*\r\n"
           f"Cookie: {cookie}\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", port)) as s:
        buf = b""
        for _ in range(n):
            s.sendall(req)
            while True:
                end = buf.find(b"\r\n\r\n")
                if end >= 0:
                    head = buf[:end].decode()
                    length = int(re.search(r"(?im)^content-length: *(\d+)", head).group(1))
                    if len(buf) >= end + 4 + length:
                        if not head.startswith("HTTP/1.1 200"):
                            sys.exit("callgrind_check: a check was refused: " + head.splitlines()[0])
                        buf = buf[end + 4 + length:]
                        break
                chunk = s.recv(65536)
                if not chunk:
                    sys.exit("callgrind_check: the server closed the connection")
                buf += chunk


def parse(path):
    """(total Ir, calls[callee], callers[callee][caller]) of one callgrind file."""
    names, total = {}, 0
    calls, callers = collections.Counter(), collections.defaultdict(collections.Counter)

    def name(text):
        m = re.match(r"\((\d+)\)(?: (.*))?", text)
        if not m:
            return text
        if m.group(2):
            names[m.group(1)] = m.group(2)
        return names.get(m.group(1), m.group(1))

    fn = cfn = None
    for line in open(path, errors="replace"):
        if line.startswith(("totals:", "summary:")):
            total = int(line.split()[1])
        elif line.startswith("fn="):
            fn = name(line[3:].strip())
        elif line.startswith("cfn="):
            cfn = name(line[4:].strip())
        elif line.startswith("calls="):
            count = int(line[6:].split()[0])
            calls[cfn] += count
            callers[cfn][fn] += count
    return total, calls, callers


def heaviest(path, n, count=30):
    """callgrind_annotate's functions by inclusive cost, per request."""
    text = subprocess.run(["callgrind_annotate", "--inclusive=yes", path], capture_output=True, text=True).stdout
    rows = []
    for line in text.splitlines():
        m = re.match(r"\s*([\d,]+) \([ \d.]+%\)\s+(\S.*)", line)
        if m and "PROGRAM TOTALS" not in line:
            rows.append(f"  {int(m.group(1).replace(',', '')) / n:7,.0f}  {m.group(2)[:140]}")
    return rows[:count]


def measure(binary, n, sessions):
    binary = os.path.abspath(binary)
    redis = RedisServer().start() if sessions == "redis" else None
    try:
        store_env = {"CLOAKROOM_STORE_SESSIONS": redis.url("cg:")} if redis else {}
        return measure_with(binary, n, store_env)
    finally:
        if redis:
            redis.__exit__(None, None, None)


def measure_with(binary, n, store_env):
    with tempfile.TemporaryDirectory() as tmp:
        data, out = os.path.join(tmp, "data"), os.path.join(tmp, "cg")
        os.mkdir(out)
        subprocess.run([binary, "user", "add", "bench", "--role", "admin", "--password-stdin", "--data-dir", data],
                       input=PASSWORD.encode(), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       env=dict(os.environ, **store_env))
        # Log in on a plain server: Argon2id under valgrind takes minutes. The
        # session lives in the data dir, so the cookie holds for the next one.
        port = free_port()
        plain = serve([], binary, data, port, store_env, stderr=subprocess.DEVNULL)
        try:
            wait_port(port)
            head = request(port, "POST", "/auth/login", {"Content-Type": "application/json"},
                           f'{{"username":"bench","password":"{PASSWORD}"}}'.encode())
        finally:
            plain.terminate()
            plain.wait()
        cookie = re.search(r"(?im)^set-cookie: *([^;\r\n]+)", head)
        if not cookie:
            sys.exit("callgrind_check: login failed: " + head.splitlines()[0])
        port = free_port()
        server = serve(["valgrind", "--tool=callgrind", "--separate-threads=yes",
                        f"--callgrind-out-file={out}/cg.%p"], binary, data, port, store_env,
                       stderr=subprocess.DEVNULL)
        try:
            wait_port(port)
            checks(port, cookie.group(1), 500)  # warm-up: caches, the session's one store read
            subprocess.run(["callgrind_control", "-z", str(server.pid)], check=True, capture_output=True)
            started = time.monotonic()
            checks(port, cookie.group(1), n)
            subprocess.run(["callgrind_control", "-d", str(server.pid)], check=True, capture_output=True)
            seconds = time.monotonic() - started
        finally:
            server.terminate()
            server.wait()
        # The dump after -d, one file per thread: the I/O thread is the busiest.
        dumps = [f for f in glob.glob(f"{out}/cg.*") if re.search(r"\.\d+-\d+$", f)]
        totals = {f: parse(f)[0] for f in dumps}
        path = max(dumps, key=totals.get)
        others = sum(totals.values()) - totals[path]
        return parse(path) + (heaviest(path, n), others, seconds)


def report(binary, n, sessions):
    total, calls, callers, top, others, seconds = measure(binary, n, sessions)
    print(f"## {binary}, sessions in {sessions}: {total / n:,.0f} instructions per request (I/O thread, {n} requests)")
    for fn in ("malloc", "free"):
        print(f"{fn}: {calls[fn] / n:.2f} calls per request")
        for caller, count in callers[fn].most_common(8):
            if count >= n / 100:
                print(f"  {count / n:5.2f}  {caller[:140]}")
    print("heaviest functions, inclusive instructions per request:")
    print("\n".join(top))
    print(f"every other thread over the same {seconds:.1f} s: {others / n:,.0f} instructions per request "
          f"under valgrind, {others / seconds:,.0f} per second")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("binaries", nargs="+")
    parser.add_argument("-n", type=int, default=20000, help="requests counted (default 20000)")
    parser.add_argument("--sessions", choices=("sqlite", "redis"), default="sqlite",
                        help="the sessions store (default sqlite, in the data dir)")
    args = parser.parse_args()
    for binary in args.binaries:
        report(binary, args.n, args.sessions)


if __name__ == "__main__":
    main()
