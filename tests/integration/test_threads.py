"""Thread counts follow the CPUs the process may use (affinity mask, cgroup quota), not the host's cores."""
import os
import shutil
import unittest

from cloakroom_server import CloakroomServer


def one_cpu():
    """`taskset -c N` for the lowest CPU this test itself may run on."""
    return ["taskset", "-c", str(min(os.sched_getaffinity(0)))]


@unittest.skipUnless(shutil.which("taskset"), "needs taskset (util-linux)")
class ThreadSizingTest(unittest.TestCase):
    def threads_line(self, srv):
        lines = srv.logs("threads")
        self.assertEqual(len(lines), 1, srv.log_lines)
        return lines[0]

    def test_pinned_to_one_cpu_runs_one_io_thread(self):
        """Under `taskset -c 0` the server sizes for 1 CPU: 1 I/O thread and 1 hashing worker."""
        with CloakroomServer(prefix=one_cpu()) as srv:
            t = self.threads_line(srv)
            self.assertEqual(t["cpus"], "1")
            self.assertEqual(t["from"], "affinity")
            self.assertEqual(t["affinity"], "1")
            self.assertEqual(t["http_threads"], "1")
            self.assertEqual(t["http_threads_from"], "cpus")
            self.assertEqual(t["hash_workers"], "1")
            self.assertEqual(t["hash_workers_from"], "cpus")
            self.assertEqual(srv.metric("cloakroom_hash_workers"), 1)
            self.assertEqual(srv.request("GET", "/healthz")[0], 200)

    def test_unpinned_follows_the_affinity_mask(self):
        """Without taskset, the count is this process's affinity mask (unless a cgroup quota is tighter)."""
        allowed = len(os.sched_getaffinity(0))
        with CloakroomServer() as srv:
            t = self.threads_line(srv)
            self.assertEqual(t["affinity"], str(allowed))
            if t["from"] == "affinity":
                self.assertEqual(t["cpus"], str(allowed))
            else:  # a container's quota: never more than the mask
                self.assertIn(t["from"], ("cgroup2 cpu.max", "cgroup1 cpu.cfs_quota_us"))
                self.assertLess(int(t["cpus"]), allowed)
            self.assertEqual(t["http_threads"], t["cpus"])
            self.assertEqual(t["hash_workers"], t["cpus"])
            self.assertEqual(srv.metric("cloakroom_hash_workers"), int(t["cpus"]))

    def test_explicit_settings_win(self):
        """http.threads and password.workers set explicitly are kept on one CPU, and the log says so."""
        env = {"CLOAKROOM_HTTP_THREADS": "3", "CLOAKROOM_PASSWORD_WORKERS": "2"}
        with CloakroomServer(env=env, prefix=one_cpu()) as srv:
            t = self.threads_line(srv)
            self.assertEqual(t["cpus"], "1")
            self.assertEqual(t["http_threads"], "3")
            self.assertEqual(t["http_threads_from"], "http.threads")
            self.assertEqual(t["hash_workers"], "2")
            self.assertEqual(t["hash_workers_from"], "password.workers")
            self.assertEqual(srv.metric("cloakroom_hash_workers"), 2)


if __name__ == "__main__":
    unittest.main()
