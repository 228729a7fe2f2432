"""Zero-config start, readiness, graceful shutdown and durability across kill -9."""
import concurrent.futures
import json
import os
import signal
import stat
import subprocess
import tempfile
import time
import unittest

from cloakroom_server import BIN, CloakroomServer, FAST_HASHING


class LifecycleTest(unittest.TestCase):
    def test_zero_config_serve_uses_defaults(self):
        """`cloakroom serve` with no flags listens on 127.0.0.1:8080 and keeps data in ./cloakroom-data,
        which it creates and logs (data_dir_created) before it listens."""
        with tempfile.TemporaryDirectory() as cwd:
            cwd = os.path.realpath(cwd)
            env = {k: v for k, v in os.environ.items() if not k.startswith("CLOAKROOM_")}
            env.update(FAST_HASHING)
            proc = subprocess.Popen([BIN, "serve"], cwd=cwd, env=env, stderr=subprocess.PIPE, text=True)
            try:
                line = proc.stderr.readline()
                if line.startswith("cloakroom: "):  # the one sentence of a failed start
                    self.skipTest("port 8080 is busy on this machine: " + line.strip())
                created = json.loads(line)
                self.assertEqual((created["event"], created["path"]),
                                 ("data_dir_created", os.path.join(cwd, "cloakroom-data")))
                line = proc.stderr.readline()
                while line and '"event":"listening"' not in line:  # the "threads" line comes first
                    line = proc.stderr.readline()
                if '"address":"127.0.0.1:8080"' not in line:
                    self.skipTest("port 8080 is busy on this machine: " + line.strip())
                self.assertTrue(os.path.exists(os.path.join(cwd, "cloakroom-data", "cloakroom.db")))
                mode = stat.S_IMODE(os.stat(os.path.join(cwd, "cloakroom-data")).st_mode)
                self.assertEqual(mode, 0o700)
            finally:
                proc.send_signal(signal.SIGTERM)
                self.assertEqual(proc.wait(15), 0)
                proc.stderr.close()

    def test_health_and_readiness(self):
        """/healthz and /readyz answer 200 with JSON; /metrics is Prometheus text."""
        with CloakroomServer() as srv:
            self.assertEqual(srv.request("GET", "/healthz")[2], {"status": "ok"})
            self.assertEqual(srv.request("GET", "/readyz")[2], {"status": "ready"})
            status, headers, text = srv.request("GET", "/metrics")
            self.assertEqual(status, 200)
            self.assertTrue(headers["content-type"].startswith("text/plain; version=0.0.4"))
            self.assertIn("# TYPE cloakroom_http_requests_total counter", text)
            self.assertIn('cloakroom_http_requests_total{route="/healthz",status="200"} 1', text)

    def test_sigterm_finishes_in_flight_requests_and_exits_0(self):
        """Logins in flight when SIGTERM arrives still get their answer; the process exits 0."""
        with CloakroomServer(fast_hashing=False, env={"CLOAKROOM_PASSWORD_WORKERS": "1",
                                                      "CLOAKROOM_THROTTLE_PER_IP": "1000"}) as srv:
            srv.register("frank", "correct horse")
            with concurrent.futures.ThreadPoolExecutor(4) as pool:
                futures = [pool.submit(srv.login, "frank", "correct horse") for _ in range(4)]
                time.sleep(0.03)
                srv.proc.send_signal(signal.SIGTERM)
                results = [f.result() for f in futures]
            self.assertEqual([r[0] for r in results], [200] * 4)
            self.assertEqual(srv.proc.wait(15), 0)
            self.assertTrue(srv.logs("stopped"))

    def test_sigterm_closes_idle_keepalive_connections(self):
        """An idle keep-alive connection does not hold up shutdown."""
        with CloakroomServer(env={"CLOAKROOM_HTTP_IDLE_TIMEOUT": "1h"}) as srv:
            conn = srv.connection()
            self.assertEqual(srv.request("GET", "/healthz", conn=conn)[0], 200)
            start = time.time()
            self.assertEqual(srv.stop(), 0)
            self.assertLess(time.time() - start, 5)
            conn.close()

    def test_registration_survives_kill_9(self):
        """A registration that answered 201 survives kill -9, and so does a CLI change."""
        srv = CloakroomServer()
        with srv:
            self.assertEqual(srv.register("grace", "correct horse")[0], 201)
            srv.kill9()
            srv.log_lines = []
            srv.start()
            self.assertEqual(srv.login("grace", "correct horse")[0], 200)

    def test_bad_config_stops_startup(self):
        """An invalid value stops startup with a non-zero exit before binding."""
        srv = CloakroomServer(config_text='[cookie]\nsame_site = "sometimes"\n')
        with self.assertRaises(RuntimeError) as ctx:
            srv.start()
        self.assertIn("cookie.same_site", str(ctx.exception))
        self.assertEqual(srv.proc.wait(5), 2)
        srv.proc.stderr.close()
        srv._tmp.cleanup()


if __name__ == "__main__":
    unittest.main()
