"""Starts the real cloakroom binary on 127.0.0.1 with a free port, for integration tests.

    with CloakroomServer() as srv:
        status, headers, body = srv.request("POST", "/auth/register", {"username": "a", "password": "pw123456"})

The server gets `--listen 127.0.0.1:0` and reports the port it bound in its
"listening" log line, so there is no race for a free port. With no public_url
set, that line also names the public_url derived from the bound port
(`srv.public_url`, the Origin a browser on this machine sends). It is stopped by
its pid (SIGTERM, then SIGKILL). Stderr lines are kept in `srv.log_lines`.

Servers and run_cli use the stores CLOAKROOM_TEST_STORES picks (stores.py): the
embedded SQLite file in their data dir by default, or with =scaleout PostgreSQL and
Redis, the same ones for every process on one data dir.
"""
import http.client
import json
import os
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

from stores import store_env

BIN = os.environ.get("CLOAKROOM_BIN", os.path.join(os.path.dirname(__file__), "../../build/cloakroom"))

# Argon2id parameters small enough to keep most tests fast; tests about
# hashing cost pass their own.
FAST_HASHING = {"CLOAKROOM_PASSWORD_MEMORY_KIB": "64", "CLOAKROOM_PASSWORD_ITERATIONS": "1"}


def eventually(check, timeout=4.0):
    """Polls `check` until it is truthy or `timeout` passes; returns its last value.
    For changes that reach a running server asynchronously (CLI events, key reloads)."""
    deadline = time.time() + timeout
    while True:
        value = check()
        if value or time.time() > deadline:
            return value
        time.sleep(0.05)


def run_cli(args, data_dir, stdin=None, env=None, cwd=None):
    """Runs `cloakroom ARGS --data-dir DATA_DIR`; returns CompletedProcess with text output.
    It gets the stores of that data dir (or of a --data-dir in ARGS), as a server on it would."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("CLOAKROOM_")}
    full_env.update(FAST_HASHING)
    full_env.update(store_env(data_dir if data_dir is not None else _data_dir_in(args), env, cwd))
    full_env.update(env or {})
    cmd = [BIN] + list(args)
    if data_dir is not None:
        cmd += ["--data-dir", data_dir]
    return subprocess.run(cmd, input=stdin, capture_output=True, text=True, env=full_env, cwd=cwd, timeout=60)


def _data_dir_in(args):
    """The value of --data-dir (or --data-dir=DIR) in a command line, or None."""
    for i, word in enumerate(args):
        if word == "--":
            break
        if word == "--data-dir" and i + 1 < len(args):
            return args[i + 1]
        if word.startswith("--data-dir="):
            return word.split("=", 1)[1]
    return None


class CloakroomServer:
    def __init__(self, env=None, args=None, data_dir=None, fast_hashing=True, cwd=None, config_text=None,
                 listen="127.0.0.1:0", prefix=None):
        self.listen = listen  # a fixed port when public_url must name it (browser tests)
        self.prefix = list(prefix or [])  # a launcher that execs the binary, e.g. ["taskset", "-c", "0"]
        self._tmp = tempfile.TemporaryDirectory(prefix="cloakroom-it-")
        self.data_dir = data_dir or os.path.join(self._tmp.name, "data")
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("CLOAKROOM_")}
        if fast_hashing:
            self.env.update(FAST_HASHING)
        self.env.update(env or {})
        self.args = list(args or [])
        self.cwd = cwd or self._tmp.name
        if config_text is not None:
            path = os.path.join(self._tmp.name, "cloakroom.toml")
            with open(path, "w") as f:
                f.write(config_text)
            self.args += ["--config", path]
        self.proc = None
        self.log_lines = []
        self.port = None
        self.public_url = None  # from the "listening" line

    # -- lifecycle ---------------------------------------------------------

    def start(self, timeout=15):
        cmd = self.prefix + [BIN, "serve", "--listen", self.listen, "--data-dir", self.data_dir] + self.args
        env = dict(store_env(self.data_dir, self.env, self.cwd), **self.env)  # the test's own env wins
        self.proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, env=env,
                                     cwd=self.cwd, text=True)
        listening = threading.Event()

        def pump():
            for line in self.proc.stderr:
                self.log_lines.append(line.rstrip("\n"))
                if '"event":"listening"' in line:
                    listening_line = json.loads(line)
                    self.port = int(listening_line["address"].rsplit(":", 1)[1])
                    self.public_url = listening_line["public_url"]
                    listening.set()

        self._pump = threading.Thread(target=pump, daemon=True)
        self._pump.start()
        deadline = time.time() + timeout
        while not listening.wait(0.05):
            if self.proc.poll() is not None or time.time() > deadline:
                self._pump.join(1)
                raise RuntimeError("cloakroom did not start:\n" + "\n".join(self.log_lines))
        return self

    def stop(self, sig=signal.SIGTERM, timeout=15):
        """Stops the server by pid; returns its exit code."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._pump.join(2)
        self.proc.stderr.close()
        return self.proc.returncode

    def kill9(self):
        return self.stop(signal.SIGKILL)

    def restart(self):
        self.stop()
        self.log_lines = []
        return self.start()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        self._tmp.cleanup()

    # -- requests ----------------------------------------------------------

    def connection(self, timeout=10):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None, conn=None, raw_body=None):
        """Returns (status, headers as a lower-cased dict, parsed JSON or text)."""
        own = conn is None
        conn = conn or self.connection()
        hdrs = dict(headers or {})
        data = raw_body
        if body is not None:
            data = json.dumps(body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        conn.request(method, path, body=data, headers=hdrs)
        resp = conn.getresponse()
        payload = resp.read()
        # A repeated header (several Set-Cookie) is joined with newlines.
        result_headers = {}
        for k, v in resp.getheaders():
            k = k.lower()
            result_headers[k] = result_headers[k] + "\n" + v if k in result_headers else v
        if own:
            conn.close()
        text = payload.decode("utf-8", "replace")
        if result_headers.get("content-type", "").startswith("application/json") and text:
            return resp.status, result_headers, json.loads(text)
        return resp.status, result_headers, text

    def raw(self, data, read_timeout=5, shutdown_write=False):
        """Sends raw bytes; returns everything read until the server closes or times out."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=read_timeout) as s:
            s.sendall(data)
            if shutdown_write:
                s.shutdown(socket.SHUT_WR)
            chunks = []
            try:
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    chunks.append(chunk)
            except socket.timeout:
                pass
            return b"".join(chunks)

    def register(self, username="alice", password="correct horse"):
        return self.request("POST", "/auth/register", {"username": username, "password": password})

    def login(self, username="alice", password="correct horse", **extra):
        body = {"username": username, "password": password}
        body.update(extra)
        return self.request("POST", "/auth/login", body)

    def logs(self, event=None):
        out = []
        for line in self.log_lines:
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if event is None or obj.get("event") == event:
                out.append(obj)
        return out

    def metric(self, name_and_labels):
        _, _, text = self.request("GET", "/metrics")
        for line in text.splitlines():
            if line.startswith(name_and_labels + " "):
                return float(line.rsplit(" ", 1)[1])
        return None


class ServerTestCase(unittest.TestCase):
    """A fresh server per test, with alice ("correct horse") and bob ("battery
    staple") registered. Subclasses set `env` for the server's environment."""
    env = {}

    def setUp(self):
        self.srv = CloakroomServer(env=dict(self.env)).start()
        self.srv.register("alice", "correct horse")
        self.srv.register("bob", "battery staple")

    def tearDown(self):
        self.srv.__exit__(None, None, None)
