"""A real PostgreSQL 15 for integration tests (Debian's postgresql-15; no mock).

    pg = PostgresServer().start()            # initdb + postgres on 127.0.0.1, a free port
    url = pg.create_database("users_1")      # postgres://cloakroom:PASSWORD@127.0.0.1:PORT/users_1
    pg.sql("SELECT count(*) FROM cloakroom_users", "users_1")   # -> "1"
    pg.dump("users_1")                       # pg_dump's SQL text: every row of every table
    pg.stop(); pg.start()                    # a restart: same port, same data
    pg.pause(); pg.resume()                  # hung, not down: SIGSTOP/SIGCONT postmaster and backends
    pg.destroy()                             # stop by pid, remove the directory

initdb and postgres run as the `postgres` system user when the tests run as
root (PostgreSQL refuses root), in a temporary directory owned by it (on
/dev/shm when it has room: see scratch_root); the server listens only on 127.0.0.1, its unix socket inside that directory.
TCP connections need the password (scram), as in a deployment.
"""
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time

from ports import free_port

BIN = "/usr/lib/postgresql/15/bin"
USER = "cloakroom"
PASSWORD = "pg-it-Secret-7"


def scratch_root():
    """Where a server's directory goes: /dev/shm when it is a tmpfs with room (initdb writes ~40 MB
    and each CREATE DATABASE ~8 MB that nothing needs to keep, several times faster there than on
    a busy disk), else /tmp. Not TMPDIR: the postgres user must be able to reach it."""
    try:
        st = os.statvfs("/dev/shm")
        if os.access("/dev/shm", os.W_OK | os.X_OK) and st.f_bavail * st.f_frsize >= 1 << 30:
            return "/dev/shm"
    except OSError:
        pass
    return "/tmp"


class PostgresServer:
    def __init__(self):
        if not os.path.exists(os.path.join(BIN, "postgres")):
            raise RuntimeError(f"PostgreSQL 15 is not installed ({BIN}); run scripts/bootstrap.sh --test (make test does)")
        self.dir = tempfile.mkdtemp(prefix="cloakroom-pg-", dir=scratch_root())
        self.data = os.path.join(self.dir, "data")
        self.log = os.path.join(self.dir, "postgres.log")
        self.port = None
        self.proc = None
        self._as = {}
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
            self._as = {"user": pw.pw_uid, "group": pw.pw_gid, "extra_groups": []}
        pwfile = os.path.join(self.dir, "pwfile")
        with open(pwfile, "w") as f:
            f.write(PASSWORD + "\n")
        if self._as:
            os.chown(pwfile, self._as["user"], self._as["group"])
        with open(os.path.join(self.dir, "initdb.log"), "w") as log:
            r = subprocess.run([os.path.join(BIN, "initdb"), "-D", self.data, "-N", "-U", USER, "--pwfile=" + pwfile,
                                "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C"],
                               stdout=log, stderr=log, stdin=subprocess.DEVNULL, **self._as)
        if r.returncode != 0:
            raise RuntimeError("initdb failed:\n" + open(os.path.join(self.dir, "initdb.log")).read())

    def start(self, timeout=15):
        """Starts postgres (on the same port as before, after a stop) and waits until it answers."""
        if self.proc is not None and self.proc.poll() is None:
            return self  # running already
        restart = self.port is not None
        for _ in range(5):
            if not restart:
                self.port = free_port()
            log = open(self.log, "a")
            # Durability off: a test server loses nothing worth keeping, and starts and writes faster.
            self.proc = subprocess.Popen(
                [os.path.join(BIN, "postgres"), "-D", self.data, "-p", str(self.port), "-c", "listen_addresses=127.0.0.1",
                 "-c", "unix_socket_directories=" + self.dir, "-c", "fsync=off", "-c", "synchronous_commit=off",
                 "-c", "full_page_writes=off"],
                stdout=log, stderr=log, stdin=subprocess.DEVNULL, **self._as)
            log.close()
            deadline = time.time() + timeout
            while time.time() < deadline and self.proc.poll() is None:
                ready = subprocess.run([os.path.join(BIN, "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port)])
                if ready.returncode == 0:
                    return self
                time.sleep(0.02)
            self.stop()  # it exited (the port was taken meanwhile) or never answered
            time.sleep(0.1)
        raise RuntimeError("PostgreSQL did not start:\n" + open(self.log).read())

    def stop(self):
        """Fast shutdown by pid: clients are disconnected at once."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.resume()  # a paused server would not hear SIGINT
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def _processes(self):
        """The postmaster's pid and its children's (backends, checkpointer, ...), from /proc."""
        pids = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])  # after "(comm)": state, ppid
            except (OSError, IndexError, ValueError):
                continue
            if ppid == self.proc.pid:
                pids.append(int(entry))
        return pids

    def pause(self):
        """A hung server, not a stopped one: connections are accepted by the kernel but nothing
        answers. Postmaster first (so it forks no new backend), then every child: stopping only
        the postmaster leaves open connections answering."""
        self.proc.send_signal(signal.SIGSTOP)
        for pid in self._processes():
            os.kill(pid, signal.SIGSTOP)

    def resume(self):
        for pid in self._processes():
            os.kill(pid, signal.SIGCONT)
        self.proc.send_signal(signal.SIGCONT)

    def destroy(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, database, password=PASSWORD):
        return f"postgres://{USER}:{password}@127.0.0.1:{self.port}/{database}"

    def sql(self, statement, database="postgres"):
        """Runs one statement over the unix socket (trusted); its output, unaligned."""
        r = subprocess.run([os.path.join(BIN, "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", self.dir,
                            "-p", str(self.port), "-U", USER, "-d", database, "-c", statement],
                           capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            raise RuntimeError(f"psql failed: {r.stderr}")
        return r.stdout.strip()

    def dump(self, database):
        """pg_dump of the whole database (schema and every row), as plain SQL text."""
        r = subprocess.run([os.path.join(BIN, "pg_dump"), "-h", self.dir, "-p", str(self.port), "-U", USER,
                            "--no-owner", database], capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise RuntimeError(f"pg_dump failed: {r.stderr}")
        return r.stdout

    def create_database(self, name):
        self.sql(f"CREATE DATABASE {name}")
        return self.url(name)
