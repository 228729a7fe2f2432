"""Real reverse proxies for integration tests: Debian's nginx and Caddy on 127.0.0.1 (a free
port, a temp dir), the echo upstream they front, and a relay that records what reaches
cloakroom. Every process is stopped by its pid.

    upstream = EchoUpstream()                          # answers with the request it got, as JSON
    relay = RecordingRelay(cloakroom.port)             # proxy -> relay -> cloakroom, heads kept
    nginx = Nginx(server_block)                        # the text inside http { }; its port: nginx.port
    caddy = Caddy(site_block)                          # a Caddyfile site block; caddy.port
    status, headers, body = nginx.request("GET", "/app", headers={"Cookie": c})
    nginx.stop(); caddy.stop(); upstream.stop(); relay.close()

A config names the port the proxy listens on as {port}: a free one unless `port=` is given
(when the server behind must know the proxy's address before it starts).
"""
import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

from cloakroom_server import CloakroomServer
from ports import free_port

HERE = os.path.dirname(os.path.abspath(__file__))


def wait_port(port, timeout=10, proc=None):
    """Until something accepts on 127.0.0.1:port; a `proc` that exits first is an error."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"exited with {proc.returncode} before listening on {port}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


def stop_process(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class EchoUpstream:
    """support/echo_upstream.py on a free port: the application behind the proxy."""

    def __init__(self):
        self.port = free_port()
        self.proc = subprocess.Popen([sys.executable, os.path.join(HERE, "echo_upstream.py"), str(self.port)],
                                     stdout=subprocess.PIPE, text=True)
        self.proc.stdout.readline()  # "ready"

    def stop(self):
        stop_process(self.proc)
        self.proc.stdout.close()


class RecordingRelay:
    """A TCP relay between a proxy and cloakroom that keeps the head of every request it passes
    on, so a test sees exactly which headers the proxy's auth request carried. A head is kept
    before its last bytes are passed on, so it is there by the time the client has an answer."""

    def __init__(self, target_port):
        self.target_port = target_port
        self.heads = []
        self.lock = threading.Lock()
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self):
        self.sock.close()

    def _accept(self):
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client):
        with client, socket.create_connection(("127.0.0.1", self.target_port)) as upstream:
            back = threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True)
            back.start()
            self._pump(client, upstream, True)
            back.join(10)

    def _pump(self, src, dst, record):
        head = b""
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if record and b"\r\n\r\n" not in head:
                    head += data
                    if b"\r\n\r\n" in head:
                        with self.lock:
                            self.heads.append(head.split(b"\r\n\r\n", 1)[0].decode("latin-1"))
                dst.sendall(data)
        except OSError:
            pass
        finally:
            try:
                dst.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    def head_with(self, marker):
        """[(lower-case name, value)] of the one request head containing `marker`."""
        with self.lock:
            found = [h for h in self.heads if marker in h]
        assert len(found) == 1, f"{len(found)} requests carry {marker}"
        fields = []
        for line in found[0].split("\r\n")[1:]:
            name, _, value = line.partition(":")
            fields.append((name.strip().lower(), value.strip()))
        return fields


# Every header cloakroom reads about the original request, as a client would forge them to
# steer the check: a harmless path, a safe method, a foreign host and scheme, a made-up address.
FORGED = [("X-Forwarded-Uri", "/public"), ("X-Original-URI", "/public"),
          ("X-Original-URL", "https://evil.example/public"), ("X-Forwarded-Method", "GET"),
          ("X-Original-Method", "GET"), ("X-Forwarded-Host", "evil.example"),
          ("X-Forwarded-Proto", "https"), ("X-Forwarded-For", "203.0.113.66")]


def forgeries():
    """Each forged header alone, each sent twice, and all of them at once."""
    for name, value in FORGED:
        yield [(name, value)]
        yield [(name, value), (name, value)]
    yield FORGED


class _Proxy:
    """A proxy process on self.port with its config in a temp dir."""

    def _run(self, cmd, env=None):
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
        try:
            wait_port(self.port, proc=self.proc)
        except RuntimeError as e:
            err = self.proc.stderr.read() if self.proc.poll() is not None else ""
            self.stop()
            raise RuntimeError(f"{cmd[0]}: {e}\n{err}") from None

    def stop(self):
        stop_process(self.proc)
        self.proc.stderr.close()
        self._tmp.cleanup()

    # Requests, the same shape as CloakroomServer.request's answer.
    request = CloakroomServer.request

    def connection(self, timeout=10):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def send(self, path, cookie=None, headers=None, method="GET"):
        """(status, body text). `headers` is a dict or a list of (name, value) pairs; a list may
        repeat a name (request() would fold repeats)."""
        conn = self.connection()
        conn.putrequest(method, path, skip_accept_encoding=True)
        pairs = list(headers.items()) if isinstance(headers, dict) else list(headers or [])
        if cookie:
            pairs.append(("Cookie", cookie))
        for name, value in pairs:
            conn.putheader(name, value)
        conn.endheaders()
        resp = conn.getresponse()
        body = resp.read().decode("utf-8", "replace")
        conn.close()
        return resp.status, body


class Nginx(_Proxy):
    """Debian's nginx; `http_block` goes inside `http { }`, with {port} for its listen port."""

    def __init__(self, http_block, worker_connections=1024, port=None):
        self._tmp = tempfile.TemporaryDirectory(prefix="cloakroom-nginx-")
        self.port = port or free_port()
        t = self._tmp.name
        user = "user root;\n" if os.geteuid() == 0 else ""
        conf = (f"{user}worker_processes 1;\ndaemon off;\npid {t}/nginx.pid;\nerror_log {t}/error.log;\n"
                f"events {{ worker_connections {worker_connections}; }}\nhttp {{\n access_log off;\n"
                f" client_body_temp_path {t}/body; proxy_temp_path {t}/proxy;\n"
                f" fastcgi_temp_path {t}/fcgi; uwsgi_temp_path {t}/uwsgi; scgi_temp_path {t}/scgi;\n"
                f"{http_block.replace('{port}', str(self.port))}}}\n")
        with open(os.path.join(t, "nginx.conf"), "w") as f:
            f.write(conf)
        self._run(["nginx", "-c", os.path.join(t, "nginx.conf"), "-p", t])


class Caddy(_Proxy):
    """Debian's Caddy with a Caddyfile of `site_block` ({port} for its listen port), no admin
    endpoint and no automatic HTTPS; its state (XDG dirs, HOME) in the temp dir."""

    def __init__(self, site_block, port=None):
        self._tmp = tempfile.TemporaryDirectory(prefix="cloakroom-caddy-")
        self.port = port or free_port()
        t = self._tmp.name
        path = os.path.join(t, "Caddyfile")
        with open(path, "w") as f:
            f.write("{\n\tadmin off\n\tauto_https off\n}\n" + site_block.replace("{port}", str(self.port)))
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": t,
               "XDG_DATA_HOME": t, "XDG_CONFIG_HOME": t}
        self._run(["caddy", "run", "--config", path, "--adapter", "caddyfile"], env=env)
