"""Starts Debian's redis-server on 127.0.0.1 with a free port and a temp dir, for integration tests.

    with RedisServer() as redis:
        url = redis.url("it:")          # redis://127.0.0.1:PORT/0?prefix=it:
        redis.stop(); redis.start()     # the same port; the data survives only with persist=True
        redis.cli("DBSIZE")             # "3"

    replica = RedisServer(replica_of=redis).start()   # --replicaof the other; start() waits for the sync
    RedisServer(args=["--maxmemory-policy", "allkeys-lru"])   # any other redis-server option

Nothing is persisted unless persist=True (append-only file, fsync always, in
the temp dir), which makes stop()/start() a Redis restart that keeps its data.
It is stopped by its pid (SIGTERM, then SIGKILL).
"""
import os
import signal
import socket
import subprocess
import tempfile
import time

from ports import free_port

REDIS_SERVER = "/usr/bin/redis-server"
REDIS_CLI = "/usr/bin/redis-cli"


class RedisServer:
    def __init__(self, persist=False, password=None, replica_of=None, args=()):
        self._tmp = tempfile.TemporaryDirectory(prefix="cloakroom-redis-")
        self.dir = self._tmp.name
        self.persist = persist
        self.password = password
        self.replica_of = replica_of
        self.args = list(args)
        self.port = None
        self.proc = None

    def start(self, timeout=10):
        restart = self.port is not None  # a restart keeps its port: the servers under test name it
        for attempt in range(1 if restart else 5):
            if not restart:
                self.port = free_port()
            args = [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                    "--dir", self.dir, "--logfile", os.path.join(self.dir, "redis.log"), "--daemonize", "no",
                    "--repl-diskless-sync-delay", "0"]  # a replica's first sync would wait 5 s for more
            args += ["--appendonly", "yes", "--appendfsync", "always"] if self.persist else ["--appendonly", "no"]
            if self.password:
                args += ["--requirepass", self.password]
            if self.replica_of:
                args += ["--replicaof", "127.0.0.1", str(self.replica_of.port)]
            args += self.args
            self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.time() + timeout
            while time.time() < deadline and self.proc.poll() is None:
                try:
                    with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                        pass
                except OSError:
                    time.sleep(0.02)
                    continue
                if not self.replica_of or "master_link_status:up" in self.cli("INFO", "replication"):
                    return self
                time.sleep(0.02)
            self.stop()  # the port was taken meanwhile, or it did not come up: try another
        raise RuntimeError("redis-server did not start; see " + os.path.join(self.dir, "redis.log"))

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def url(self, prefix, db=0):
        auth = ":" + self.password + "@" if self.password else ""
        return "redis://%s127.0.0.1:%d/%d?prefix=%s" % (auth, self.port, db, prefix)

    def cli(self, *args):
        cmd = [REDIS_CLI, "-h", "127.0.0.1", "-p", str(self.port)]
        env = dict(os.environ, REDISCLI_AUTH=self.password) if self.password else None
        return subprocess.run(cmd + list(args), capture_output=True, text=True, timeout=10, env=env).stdout.strip()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        self._tmp.cleanup()
