"""Which stores the integration tests run on, and what those stores hold (read from outside cloakroom).

    CLOAKROOM_TEST_STORES=scaleout python3 -m unittest -v test_sessions    # see tests/README.md

    store_env(data_dir, env)           # what cloakroom_server adds to a process's environment
    stored_bytes(srv.data_dir)         # every byte kept: the SQLite file, or pg_dump + a Redis snapshot
    session_records(srv.data_dir)      # how many sessions are stored
    password_hash(srv.data_dir, "dave")
    private_keys(srv.data_dir)         # the private JWKS: the keys file, or the sealed set opened with the KEK

    @embedded_store_only("reads the keys file, which only the embedded store keeps")
    def test_...

CLOAKROOM_TEST_STORES=sqlite (the default) leaves every process on the embedded
SQLite file in its data dir. =scaleout puts the users in PostgreSQL and the
session side in Redis: one redis-server and one PostgreSQL for the whole test
process (started on first need, stopped by pid at exit), and per data dir a
database and a key prefix of its own. Keyed by data dir because processes on one
data dir (servers restarted, several servers, the CLI) share the SQLite file in
the default mode, so they share the stores here too. A process whose env names a
store (CLOAKROOM_STORE_USERS or CLOAKROOM_STORE_SESSIONS) gets only what it names.
"""
import atexit
import base64
import ctypes
import glob
import json
import os
import sqlite3
import threading
import unittest

from postgres_server import PostgresServer
from redis_server import RedisServer

STORES = os.environ.get("CLOAKROOM_TEST_STORES", "sqlite")
if STORES not in ("sqlite", "scaleout"):
    raise RuntimeError(f"CLOAKROOM_TEST_STORES={STORES!r}: expected sqlite or scaleout")
SCALEOUT = STORES == "scaleout"
STORE_KEYS = ("CLOAKROOM_STORE_USERS", "CLOAKROOM_STORE_SESSIONS")
# Test-only key-encryption key: with the users in PostgreSQL the signing keys are sealed under it.
TEST_KEK = "q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA"
SEALED_AS = b"cloakroom:jwks:v1"  # the sealed key set's associated data, after its header


def embedded_store_only(reason):
    """Skips a test (or a class) in scaleout mode: it checks what only the embedded SQLite
    store has (its file, the keys file beside it), as `reason` says."""
    return unittest.skipIf(SCALEOUT, "embedded SQLite store only: " + reason)


class ScaleOutStores:
    """The scale-out stores of one test process: a redis-server and a PostgreSQL, started on
    first need and stopped by pid at exit, and per data dir a database and a key prefix."""

    def __init__(self):
        self._lock = threading.Lock()  # servers may be started from several threads at once
        self.redis = None
        self.pg = None
        self._by_data_dir = {}  # absolute data dir -> (database name, key prefix)
        atexit.register(self.close)

    def names(self, data_dir):
        """(database, prefix) of `data_dir`, made on its first use."""
        with self._lock:
            if data_dir not in self._by_data_dir:
                if self.redis is None:
                    self.redis = RedisServer().start()
                if self.pg is None:
                    self.pg = PostgresServer().start()
                n = len(self._by_data_dir) + 1
                self.pg.create_database(f"it_{n}")
                self._by_data_dir[data_dir] = (f"it_{n}", f"it{n}:")
            return self._by_data_dir[data_dir]

    def env(self, data_dir):
        database, prefix = self.names(data_dir)
        return {"CLOAKROOM_STORE_USERS": self.pg.url(database),
                "CLOAKROOM_STORE_SESSIONS": self.redis.url(prefix),
                "CLOAKROOM_JWT_KEY_ENCRYPTION_KEY": TEST_KEK}

    def redis_keys(self, pattern):
        return self.redis.cli("--scan", "--pattern", pattern).split()

    def close(self):
        if self.redis is not None:
            self.redis.__exit__(None, None, None)
        if self.pg is not None:
            self.pg.destroy()


# One per test process on purpose: a PostgreSQL per server would cost an initdb (seconds) each.
_scaleout = ScaleOutStores()


def store_env(data_dir, env, cwd=None):
    """What to add to the environment of a process on `data_dir` (relative to `cwd`): nothing
    in sqlite mode, for a process without a data dir, or when `env` names a store itself."""
    if not SCALEOUT or data_dir is None or any(k in (env or {}) for k in STORE_KEYS):
        return {}
    return _scaleout.env(_key(data_dir, cwd))


def _key(data_dir, cwd=None):
    return os.path.realpath(os.path.join(cwd or os.getcwd(), data_dir))


def _sqlite(data_dir):
    return os.path.join(data_dir, "cloakroom.db")


def _sql(data_dir, statement):
    """One statement on the users' PostgreSQL database of `data_dir`; its unaligned output."""
    database, _ = _scaleout.names(_key(data_dir))
    return _scaleout.pg.sql(statement, database)


def stored_bytes(data_dir):
    """Every byte the stores of `data_dir` keep, as a leaked copy would hold them: the SQLite
    file with its WAL and shared memory; or the users' database (pg_dump's text) and Redis's
    whole dataset as an uncompressed RDB snapshot (so stored strings appear as they are)."""
    if not SCALEOUT:
        raw = b""
        for path in sorted(glob.glob(_sqlite(data_dir) + "*")):
            with open(path, "rb") as f:
                raw += f.read()
        return raw
    database, _ = _scaleout.names(_key(data_dir))
    raw = _scaleout.pg.dump(database).encode()
    redis = _scaleout.redis
    redis.cli("CONFIG", "SET", "rdbcompression", "no")
    if redis.cli("SAVE") != "OK":
        raise RuntimeError("redis SAVE failed")
    with open(os.path.join(redis.dir, "dump.rdb"), "rb") as f:
        return raw + f.read()


def session_records(data_dir):
    """How many sessions the store holds (expired ones too, until purged)."""
    if not SCALEOUT:
        with sqlite3.connect(_sqlite(data_dir)) as conn:
            return conn.execute("SELECT count(*) FROM sessions").fetchone()[0]
    _, prefix = _scaleout.names(_key(data_dir))
    return len(_scaleout.redis_keys(prefix + "s:*"))  # P s:<id>, one hash per session (redis/layout.h)


def refresh_generations(data_dir):
    """The generation of every stored refresh family, sorted."""
    if not SCALEOUT:
        with sqlite3.connect(_sqlite(data_dir)) as conn:
            return sorted(g for (g,) in conn.execute("SELECT generation FROM refresh_families"))
    _, prefix = _scaleout.names(_key(data_dir))
    return sorted(int(_scaleout.redis.cli("HGET", key, "generation")) for key in _scaleout.redis_keys(prefix + "f:*"))


def password_hash(data_dir, username):
    """The stored password hash (PHC string) of `username`."""
    if not SCALEOUT:
        with sqlite3.connect(_sqlite(data_dir)) as conn:
            return conn.execute("SELECT password_hash FROM users WHERE username = ?", (username,)).fetchone()[0]
    quoted = username.replace("'", "''")
    return _sql(data_dir, f"SELECT password_hash FROM cloakroom_users WHERE username = '{quoted}'")


def private_keys(data_dir):
    """The signing keys with their private members (a JWKS's "keys"): the keys file in the
    data dir, or the set sealed in PostgreSQL, opened here with the test key-encryption key."""
    if not SCALEOUT:
        with open(os.path.join(data_dir, "keys.jwks.json")) as f:
            return json.load(f)["keys"]
    sealed = bytes.fromhex(_sql(data_dir, "SELECT encode(sealed, 'hex') FROM cloakroom_signing_keys"))
    return open_sealed(sealed, TEST_KEK)["keys"]


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def open_sealed(blob, kek_text):
    """A sealed key set opened independently of cloakroom: libsodium's XChaCha20-Poly1305 over
    version (1) | key check (8) | nonce (24) | ciphertext+tag, associated data = header + purpose.
    Raises AssertionError when it does not open with `kek_text`."""
    sodium = ctypes.CDLL("libsodium.so.23")
    assert sodium.sodium_init() >= 0
    assert blob[0] == 1, "format version"
    header, nonce, sealed = blob[:33], blob[9:33], blob[33:]
    ad = header + SEALED_AS
    out = ctypes.create_string_buffer(len(sealed))
    out_len = ctypes.c_ulonglong(0)
    key = b64url_decode(kek_text)
    rc = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
        out, ctypes.byref(out_len), None, sealed, ctypes.c_ulonglong(len(sealed)), ad, ctypes.c_ulonglong(len(ad)),
        nonce, key)
    assert rc == 0, "the sealed key set does not open with the key-encryption key"
    return json.loads(out.raw[:out_len.value])
