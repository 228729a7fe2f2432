"""Bad input at the HTTP layer: each gets a clear error, and the server keeps serving others."""
import json
import os
import resource
import re
import select
import socket
import subprocess
import time
import unittest
from unittest import mock

import cloakroom_server
from cloakroom_server import CloakroomServer, eventually

SMUGGLED = b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"


def exchange(port, data, timeout=5):
    """Sends raw bytes; returns (everything read, whether the server closed the connection)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        chunks = []
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    return b"".join(chunks), True
                chunks.append(chunk)
        except ConnectionResetError:
            return b"".join(chunks), True
        except socket.timeout:
            return b"".join(chunks), False


def poke(s):
    """Drains what the server sent and sends one more byte; False once the server has closed the socket.
    A FIN alone is not that: in a lingering close the server has only half-closed and still reads. A
    closed socket answers a byte with a reset, which fails the send after it."""
    try:
        while select.select([s], [], [], 0)[0]:
            if not s.recv(65536):
                break  # FIN; whether the server still reads shows on the sends
        s.send(b"a")
    except OSError:
        return False
    return True


def trickle(sockets, seconds, interval=1.5):
    """Sends one byte on each socket every `interval` for `seconds`, like a client that keeps a
    connection alive as cheaply as it can; returns how many the server still holds open at the end
    (two pokes in a row, so a reset provoked by the first shows on the second)."""
    alive = list(sockets)
    end = time.time() + seconds
    while time.time() < end:
        alive = [s for s in alive if poke(s)]
        time.sleep(min(interval, max(0.0, end - time.time())))
    alive = [s for s in alive if poke(s)]
    time.sleep(0.1)
    return len([s for s in alive if poke(s)])


def start_with_fd_limit(limit, env):
    """Starts a server whose RLIMIT_NOFILE (soft and hard) is `limit`."""
    real_popen = subprocess.Popen

    def popen(*args, **kwargs):
        kwargs["preexec_fn"] = lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))
        return real_popen(*args, **kwargs)

    with mock.patch.object(cloakroom_server.subprocess, "Popen", popen):
        return CloakroomServer(env=env).start()


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        return int(re.search(r"VmRSS:\s+(\d+) kB", f.read()).group(1))


def answer_one(s):
    """Reads one response with a Content-Length body from a keep-alive socket."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += s.recv(65536)
    head, body = data.split(b"\r\n\r\n", 1)
    length = int(re.search(rb"(?im)^content-length: *(\d+)\r?$", head).group(1))
    while len(body) < length:
        body += s.recv(65536)
    return head


class IdleConnectionMemoryTest(unittest.TestCase):
    def test_an_idle_connection_keeps_nothing_of_its_last_request(self):
        """200 keep-alive connections, one after the other, each send one request with a 60 KB body and 700
        tiny header fields (the reader's arena spills to the heap), then stay open and idle. The server frees
        each request once answered, so the next connection reuses that memory: resident memory grows by far
        less than the 200 x ~180 KB it grew by when the reader was reset only at the next request."""
        with CloakroomServer() as srv:
            pid = srv.proc.pid
            conns = [socket.create_connection(("127.0.0.1", srv.port), timeout=10) for _ in range(200)]
            try:
                for s in conns:  # every connection set up and served once: the baseline
                    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
                    self.assertIn(b" 200 ", answer_one(s))
                before = rss_kib(pid)
                fields = b"".join(b"x%d: y\r\n" % i for i in range(700))  # 6.3 KB: under the 8 KiB limit
                body = b"{" + b" " * 60000 + b"}"
                for s in conns:
                    s.sendall(b"POST /auth/logout HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                              b"Content-Length: %d\r\n" % len(body) + fields + b"\r\n" + body)
                    self.assertIn(b" 401 ", answer_one(s))  # answered, connection kept
                grown = rss_kib(pid) - before
                self.assertLess(grown, 10 * 1024, "KiB of resident memory for 200 idle connections")
            finally:
                for s in conns:
                    s.close()


class HttpLimitsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = CloakroomServer(env={
            "CLOAKROOM_HTTP_READ_TIMEOUT": "1s",
            "CLOAKROOM_HTTP_MAX_HEADER_BYTES": "4096",
        }).start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.__exit__(None, None, None)

    def assert_error(self, result, status, code):
        got_status, headers, body = result
        self.assertEqual(got_status, status, body)
        self.assertEqual(body["error"], code)
        self.assertIsInstance(body["message"], str)
        self.assertTrue(body["message"])
        self.assertEqual(set(body), {"error", "message"})
        return headers

    def test_malformed_json_is_400(self):
        """Truncated, trailing-garbage, non-object and empty bodies are malformed_json."""
        for raw in [b"{", b'{"username":"a"} x', b"[]", b"", b"\xff\xfe", b'{"username":"a","username":"b"}']:
            with self.subTest(raw=raw):
                r = self.srv.request("POST", "/auth/login", raw_body=raw, headers={"Content-Type": "application/json"})
                self.assert_error(r, 400, "malformed_json")

    def test_wrong_types_are_400(self):
        """A field of the wrong JSON type names the field."""
        for body, field in [({"username": 1, "password": "x"}, "username"),
                            ({"username": "a", "password": ["x"]}, "password"),
                            ({"username": "a", "password": "x", "remember": "yes"}, "remember")]:
            with self.subTest(body=body):
                _, _, b = self.srv.request("POST", "/auth/login", body)
                self.assertEqual(b["error"], "invalid_field")
                self.assertIn(field, b["message"])

    def test_unknown_fields_are_400(self):
        """A misspelt field is an error, not silently ignored."""
        self.assert_error(self.srv.request("POST", "/auth/login", {"username": "a", "passwrd": "x"}), 400, "unknown_field")
        self.assert_error(self.srv.request("POST", "/auth/register", {"username": "a", "password": "12345678", "role": "admin"}),
                          400, "unknown_field")

    def test_missing_fields_and_media_type(self):
        """Missing required fields are 400; a non-JSON media type is 415."""
        self.assert_error(self.srv.request("POST", "/auth/login", {"username": "a"}), 400, "missing_field")
        r = self.srv.request("POST", "/auth/login", raw_body=b'{"username":"a","password":"b"}',
                             headers={"Content-Type": "text/plain"})
        self.assert_error(r, 415, "unsupported_media_type")

    def test_invalid_json_says_where(self):
        """A truncated or malformed JSON body is 400 malformed_json naming the byte where it broke."""
        json_type = {"Content-Type": "application/json"}
        status, _, body = self.srv.request("POST", "/auth/login", raw_body=b'{"username":"a","pass', headers=json_type)
        self.assertEqual((status, body), (400, {"error": "malformed_json",
                                                "message": "The request body is not valid JSON: unterminated string "
                                                           "at byte 21."}))
        status, _, body = self.srv.request("POST", "/auth/login", raw_body=b'{"username":"a" "password":"b"}',
                                           headers=json_type)
        self.assertEqual((status, body), (400, {"error": "malformed_json",
                                                "message": "The request body is not valid JSON: expected ',' or '}' "
                                                           "at byte 16."}))

    def test_oversize_body_is_413_and_connection_closed(self):
        """A Content-Length over 64 KiB is refused before the body is read, and the connection closes."""
        body = b"x" * (64 * 1024 + 1)
        req = (b"POST /auth/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
               b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body +
               b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        out = self.srv.raw(req)
        self.assertTrue(out.startswith(b"HTTP/1.1 413"), out[:200])
        self.assertIn(b"body_too_large", out)
        # The limit and the key that sets it, not just "too large".
        self.assertIn(b'"message":"The request body is over the 64 KiB limit (http.max_body_bytes)."', out)
        self.assertIn(b"Connection: close", out)
        # The leftover body was never parsed as a second request.
        self.assertEqual(out.count(b"HTTP/1.1"), 1)

    def test_oversize_chunked_body_is_413(self):
        """A chunked body that grows past the limit is cut off with 413."""
        chunk = b"x" * 40000
        part = hex(len(chunk))[2:].encode() + b"\r\n" + chunk + b"\r\n"
        req = (b"POST /auth/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
               b"Transfer-Encoding: chunked\r\n\r\n" + part + part + part + b"0\r\n\r\n")
        out = self.srv.raw(req)
        self.assertTrue(out.startswith(b"HTTP/1.1 413"), out[:200])

    def test_oversize_headers_are_431(self):
        """Headers over the limit get 431 and a clean close."""
        req = b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: " + b"a" * 8000 + b"\r\n\r\n"
        out = self.srv.raw(req)
        self.assertTrue(out.startswith(b"HTTP/1.1 431"), out[:200])
        self.assertIn(b"headers_too_large", out)
        self.assertIn(b'"message":"The request line and headers are over the 4 KiB limit (http.max_header_bytes)."', out)

    def test_64k_header_is_431_not_reset(self):
        """A 64 KiB Authorization header is answered, never a reset."""
        req = b"GET /healthz HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " + b"a" * 65536 + b"\r\n\r\n"
        out = self.srv.raw(req)
        self.assertTrue(out.startswith(b"HTTP/1.1 431"), out[:200])

    def test_garbage_request_line_is_400(self):
        """Bytes that are not HTTP get 400 and a close."""
        out = self.srv.raw(b"\x16\x03\x01 hello\r\n\r\n")
        self.assertTrue(out.startswith(b"HTTP/1.1 400"), out[:200])

    def test_refused_request_body_is_not_parsed_as_next_request(self):
        """A 404 for a POST with a body closes the connection: the body's bytes never become a request."""
        smuggled = b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"
        req = (b"POST /nope HTTP/1.1\r\nHost: t\r\nContent-Length: " + str(len(smuggled)).encode() +
               b"\r\n\r\n" + smuggled)
        out = self.srv.raw(req)
        self.assertTrue(out.startswith(b"HTTP/1.1 404"), out[:200])
        self.assertEqual(out.count(b"HTTP/1.1 "), 1, out)

    def test_keep_alive_serves_many_requests(self):
        """One connection carries several requests, including error answers that consumed their body."""
        conn = self.srv.connection()
        for _ in range(3):
            status, _, _ = self.srv.request("GET", "/healthz", conn=conn)
            self.assertEqual(status, 200)
            status, _, body = self.srv.request("POST", "/auth/login", {"username": "x"}, conn=conn)
            self.assertEqual(status, 400)
        conn.close()

    def test_slow_client_is_cut_off_and_others_are_served(self):
        """A client that never finishes its headers is disconnected after read_timeout; others are served meanwhile."""
        s = socket.create_connection(("127.0.0.1", self.srv.port))
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Slow: ")
        start = time.time()
        status, _, _ = self.srv.request("GET", "/healthz")
        self.assertEqual(status, 200)
        s.settimeout(10)
        self.assertEqual(s.recv(1024), b"")  # closed by the server
        self.assertLess(time.time() - start, 8)
        s.close()

    def test_slow_body_is_cut_off(self):
        """A body that never arrives ends the connection after read_timeout."""
        s = socket.create_connection(("127.0.0.1", self.srv.port))
        s.sendall(b"POST /auth/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
        s.settimeout(10)
        self.assertEqual(s.recv(1024), b"")
        s.close()

    def test_not_found_and_method_not_allowed(self):
        """Unknown paths are 404; a known path with the wrong method is 405 with Allow."""
        self.assert_error(self.srv.request("GET", "/nope"), 404, "not_found")
        headers = self.assert_error(self.srv.request("DELETE", "/healthz"), 405, "method_not_allowed")
        self.assertEqual(headers["allow"], "GET, HEAD")
        headers = self.assert_error(self.srv.request("GET", "/auth/login"), 405, "method_not_allowed")
        self.assertEqual(headers["allow"], "POST")

    def test_head_has_no_body(self):
        """HEAD on a GET route answers headers only."""
        conn = self.srv.connection()
        conn.request("HEAD", "/healthz")
        resp = conn.getresponse()
        self.assertEqual(resp.status, 200)
        self.assertEqual(resp.read(), b"")
        conn.close()

    def test_expect_100_continue(self):
        """curl-style Expect: 100-continue gets an interim 100 before the body is sent."""
        with socket.create_connection(("127.0.0.1", self.srv.port), timeout=5) as s:
            body = b'{"username":"nobody","password":"x"}'
            s.sendall(b"POST /auth/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                      b"Expect: 100-continue\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n")
            self.assertTrue(s.recv(1024).startswith(b"HTTP/1.1 100 Continue"))
            s.sendall(body)
            self.assertTrue(s.recv(4096).startswith(b"HTTP/1.1 401"))

    def test_request_id_is_echoed_or_generated(self):
        """A plain X-Request-ID is echoed; a hostile one is replaced."""
        _, h, _ = self.srv.request("GET", "/healthz", headers={"X-Request-ID": "abc-123"})
        self.assertEqual(h["x-request-id"], "abc-123")
        _, h, _ = self.srv.request("GET", "/healthz", headers={"X-Request-ID": "a\"b{}"})
        self.assertNotEqual(h["x-request-id"], "a\"b{}")
        self.assertTrue(h["x-request-id"])
        _, h, _ = self.srv.request("GET", "/healthz", headers={"X-Request-ID": "a" * 65})  # over 64: ours instead
        self.assertRegex(h["x-request-id"], r"^[A-Za-z0-9_-]+-[0-9a-f]+$")

    def test_keep_alive_request_sees_none_of_the_last_ones_fields(self):
        """A connection reuses its reader and header slots: the next request starts empty, after a
        small request, one with more fields than the kept slots and one past the reader's own buffer."""
        many = b"".join(b"X-F%d: v\r\n" % i for i in range(40))
        big = b"X-Pad: " + b"p" * 3000 + b"\r\n"
        for extra in [b"", many, big]:
            with self.subTest(fields=len(extra)):
                first = b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Request-ID: first-1\r\n" + extra + b"\r\n"
                second = b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
                data, closed = exchange(self.srv.port, first + second)
                self.assertTrue(closed)
                ids = re.findall(rb"(?im)^x-request-id: *(\S+)\r$", data)
                self.assertEqual(data.count(b"HTTP/1.1 200 "), 2, data)
                self.assertEqual(ids[0], b"first-1")
                self.assertRegex(ids[1].decode(), r"^[A-Za-z0-9_-]+-[0-9a-f]+$")

    def test_access_log_escapes_the_path(self):
        """The access log line stays one valid JSON object for a path with quotes, backslashes and non-ASCII
        bytes (each escaped); the query string is left out."""
        rid = "esc-%d" % time.monotonic_ns()
        with socket.create_connection(("127.0.0.1", self.srv.port), timeout=5) as s:
            s.sendall(b'GET /nope/a"b\\cd\xc3\xa9e?token=secret HTTP/1.1\r\nHost: x\r\nX-Request-ID: '
                      + rid.encode() + b"\r\nConnection: close\r\n\r\n")
            while s.recv(4096):
                pass
        line = eventually(lambda: [l for l in self.srv.logs("request") if l.get("request_id") == rid])
        self.assertEqual(len(line), 1)
        self.assertEqual((line[0]["status"], line[0]["path"]), (404, '/nope/a"b\\cd\u00c3\u00a9e'))
        self.assertNotIn("secret", json.dumps(line[0]))

    def test_every_refusal_has_a_request_id(self):
        """404s and the request reader's own refusals (400, 431) carry X-Request-ID too: a caller's
        valid one when the reader got as far as reading it, else one of ours."""
        _, h, _ = self.srv.request("GET", "/nope", headers={"X-Request-ID": "lost-1"})
        self.assertEqual(h["x-request-id"], "lost-1")
        generated = re.compile(rb"\r\nX-Request-ID: [A-Za-z0-9_-]+-[0-9a-f]+\r\n")
        for raw, status in [(b"\x16\x03\x01 hello\r\n\r\n", b"400"),
                            (b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: " + b"a" * 8000 + b"\r\n\r\n", b"431"),
                            (b"GET /healthz HTTP/1.1\r\nX-Request-ID: x\r\n\r\n", b"400")]:  # Host missing
            with self.subTest(raw=raw[:30], status=status):
                out = self.srv.raw(raw)
                self.assertTrue(out.startswith(b"HTTP/1.1 " + status), out[:200])
                head = out.split(b"\r\n\r\n", 1)[0] + b"\r\n"
                if b"X-Request-ID: x" in raw:
                    self.assertIn(b"\r\nX-Request-ID: x\r\n", head)  # the header was read: the caller's id
                else:
                    self.assertRegex(head, generated)

    # -- the review's findings: nothing a client sends ends the process ------

    def assert_alive(self):
        self.assertIsNone(self.srv.proc.poll(), "the server exited")
        self.assertEqual(self.srv.request("GET", "/healthz")[0], 200)

    def test_huge_chunked_trailer_is_431_and_server_survives(self):
        """A 65,535-byte trailer field once made Beast throw out of the reader and end the process."""
        req = (b"POST /auth/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
               b"Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\nX-Big: " + b"a" * 65535 + b"\r\n\r\n")
        out, closed = exchange(self.srv.port, req)
        self.assertTrue(out.startswith(b"HTTP/1.1 431"), out[:200])
        self.assertIn(b"headers_too_large", out)
        self.assertTrue(closed)
        self.assert_alive()

    def test_trailer_fields_are_refused(self):
        """A trailer could add fields (X-Forwarded-For, Cookie) a proxy checked only in the header: 400."""
        req = (b"POST /auth/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
               b"Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\nX-Forwarded-For: 10.9.9.9\r\n\r\n")
        out, closed = exchange(self.srv.port, req)
        self.assertTrue(out.startswith(b"HTTP/1.1 400"), out[:200])
        self.assertIn(b"bad_request", out)
        self.assertIn(b"Trailer", out)
        self.assertTrue(closed)
        self.assert_alive()

    def assert_refused_and_closed(self, req, status=b"400", code=b"bad_request"):
        """The request is answered once with `status`, the connection closes, and what followed it is never answered."""
        out, closed = exchange(self.srv.port, req)
        self.assertTrue(out.startswith(b"HTTP/1.1 " + status), out[:300])
        self.assertIn(b'"error":"' + code + b'"', out)
        self.assertIn(b"Connection: close", out)
        self.assertTrue(closed, "connection left open")
        self.assertEqual(out.count(b"HTTP/1.1 "), 1, out)

    def test_transfer_encoding_not_ending_in_chunked_is_400(self):
        """RFC 9112 §6.3: a final coding other than chunked is 400 and close, never an empty body and a next request."""
        for te in [b"gzip", b"identity", b"xchunked", b"chunked, identity", b""]:
            with self.subTest(te=te):
                self.assert_refused_and_closed(
                    b"POST /auth/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                    b"Transfer-Encoding: " + te + b"\r\n\r\n" + SMUGGLED)

    def test_other_transfer_codings_are_501(self):
        """gzip before a final chunked: framing is sound but the coding is not implemented, so 501 and close."""
        self.assert_refused_and_closed(
            b"POST /auth/login HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
            b"0\r\n\r\n" + SMUGGLED, status=b"501", code=b"not_implemented")

    def test_transfer_encoding_with_content_length_is_400(self):
        """Both framings at once is refused whatever their order or coding (smuggling)."""
        body = b"0\r\n\r\n" + SMUGGLED
        for fields in [b"Transfer-Encoding: gzip\r\nContent-Length: 5\r\n",
                       b"Transfer-Encoding: chunked\r\nContent-Length: " + str(len(body)).encode() + b"\r\n",
                       b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n"]:
            with self.subTest(fields=fields):
                self.assert_refused_and_closed(
                    b"POST /auth/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n" + fields +
                    b"\r\n" + body)

    def test_http10_with_transfer_encoding_is_400(self):
        """HTTP/1.0 has no chunked coding; a 1.0 hop in front would frame this body differently."""
        self.assert_refused_and_closed(
            b"POST /auth/login HTTP/1.0\r\nHost: t\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n" + SMUGGLED)

    def test_host_is_required_once_in_http11(self):
        """RFC 9112 §3.2: no Host or two Host headers is 400; HTTP/1.0 may still omit Host."""
        self.assert_refused_and_closed(b"GET /healthz HTTP/1.1\r\n\r\n" + SMUGGLED)
        self.assert_refused_and_closed(b"GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n" + SMUGGLED)
        out, _ = exchange(self.srv.port, b"GET /healthz HTTP/1.0\r\n\r\n")
        self.assertTrue(out.startswith(b"HTTP/1.1 200"), out[:200])

    def test_lingering_close_has_an_overall_deadline(self):
        """After a refusal, a client trickling bytes can no longer hold the socket: it is closed within seconds."""
        with socket.create_connection(("127.0.0.1", self.srv.port), timeout=5) as s:
            s.sendall(b"\x16\x03\x01 hello\r\n\r\n")
            self.assertEqual(trickle([s], 6, interval=0.5), 0)


class MaxConnectionsTest(unittest.TestCase):
    def test_connections_over_the_limit_get_503(self):
        """Past http.max_connections a new connection gets 503 + Retry-After and is closed; the others still work."""
        with CloakroomServer(env={"CLOAKROOM_HTTP_MAX_CONNECTIONS": "2", "CLOAKROOM_HTTP_THREADS": "1"}) as srv:
            held = [socket.create_connection(("127.0.0.1", srv.port)) for _ in range(2)]
            time.sleep(0.3)
            out = srv.raw(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
            self.assertTrue(out.startswith(b"HTTP/1.1 503"), out[:200])
            self.assertIn(b"Retry-After: 1", out)
            self.assertIn(b"too_many_connections", out)
            held[0].sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
            self.assertTrue(held[0].recv(4096).startswith(b"HTTP/1.1 200"))
            for s in held:
                s.close()
            time.sleep(0.3)
            self.assertEqual(srv.request("GET", "/healthz")[0], 200)
            self.assertEqual(srv.metric("cloakroom_connections_rejected_total"), 1)

    def test_refused_sockets_are_bounded_in_number_and_time(self):
        """40 sockets over max_connections trickling a byte every 1.5 s are all closed within the lingering
        deadline (2 s); a legitimate client is served once the limit frees."""
        with CloakroomServer(env={"CLOAKROOM_HTTP_MAX_CONNECTIONS": "2", "CLOAKROOM_HTTP_THREADS": "1"}) as srv:
            held = [socket.create_connection(("127.0.0.1", srv.port)) for _ in range(2)]
            time.sleep(0.3)
            flood = [socket.create_connection(("127.0.0.1", srv.port)) for _ in range(40)]
            try:
                self.assertEqual(trickle(flood, 6), 0)
                for s in held:
                    s.close()
                self.assertEqual(eventually(lambda: srv.request("GET", "/healthz")[0] == 200), True)
                self.assertEqual(srv.metric("cloakroom_connections_rejected_total"), 40)
            finally:
                for s in flood + held:
                    s.close()

    def test_fd_limit_lowers_max_connections(self):
        """With 200 descriptors, max_connections (10000) is lowered at startup, with a warning, so idle sockets
        past it get a prompt 503 instead of waiting unanswered in the backlog (accept failing with EMFILE)."""
        srv = start_with_fd_limit(200, {"CLOAKROOM_HTTP_THREADS": "1"})
        flood = []
        try:
            clamped = srv.logs("max_connections_clamped")
            self.assertEqual(len(clamped), 1, srv.log_lines)
            self.assertEqual(clamped[0]["configured"], "10000")
            self.assertEqual(clamped[0]["effective"], "116")
            flood = [socket.create_connection(("127.0.0.1", srv.port)) for _ in range(250)]
            time.sleep(2.5)  # the refused ones among them have had their lingering deadline
            out, closed = exchange(srv.port, b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n", timeout=5)
            self.assertTrue(out.startswith(b"HTTP/1.1 503"), out[:200])
            self.assertTrue(closed)
            self.assertLessEqual(len(os.listdir("/proc/%d/fd" % srv.proc.pid)), 200)
            for s in flood:
                s.close()
            flood = []
            self.assertEqual(eventually(lambda: srv.request("GET", "/healthz")[0] == 200), True)
        finally:
            for s in flood:
                s.close()
            srv.__exit__(None, None, None)


if __name__ == "__main__":
    unittest.main()
