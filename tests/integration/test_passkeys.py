"""Passkeys over HTTP (docs/api.md#passkeys): a software authenticator in Python (ES256 keys, authenticator
data and clientDataJSON built by hand, attestation "none" in a few lines of CBOR) drives the API; then the
whole flow in Chromium with a virtual authenticator (tests/browser/passkeys.mjs, driven by playwright-core)."""
import base64
import hashlib
import json
import os
import struct
import unittest

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from browser import run_browser_script
from cloakroom_server import CloakroomServer, eventually
from ports import free_port
from totp_codes import Codes


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64u(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def cbor(value):
    """The CTAP2 subset we need: unsigned and negative ints, bytes, text, maps."""
    def head(major, n):
        if n < 24:
            return bytes([major << 5 | n])
        if n < 256:
            return bytes([major << 5 | 24, n])
        if n < 65536:
            return bytes([major << 5 | 25]) + struct.pack(">H", n)
        return bytes([major << 5 | 26]) + struct.pack(">I", n)
    if isinstance(value, int):
        return head(0, value) if value >= 0 else head(1, -1 - value)
    if isinstance(value, bytes):
        return head(2, len(value)) + value
    if isinstance(value, str):
        return head(3, len(value.encode())) + value.encode()
    if isinstance(value, dict):
        return head(5, len(value)) + b"".join(cbor(k) + cbor(v) for k, v in value.items())
    raise TypeError(value)


class SoftAuthenticator:
    """One ES256 discoverable credential, as a platform authenticator would make and use it."""

    def __init__(self, rp_id, origin):
        self.rp_id, self.origin = rp_id, origin
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(16)
        self.user_handle = None
        self.count = 0

    def client_data(self, kind, challenge, origin=None):
        return json.dumps({"type": kind, "challenge": challenge, "origin": origin or self.origin,
                           "crossOrigin": False}).encode()

    def auth_data(self, flags, count, attested=b""):
        return hashlib.sha256(self.rp_id.encode()).digest() + bytes([flags]) + struct.pack(">I", count) + attested

    def create(self, options, uv=True):
        self.user_handle = unb64u(options["user"]["id"])
        nums = self.key.public_key().public_numbers()
        cose = cbor({1: 2, 3: -7, -1: 1, -2: nums.x.to_bytes(32, "big"), -3: nums.y.to_bytes(32, "big")})
        attested = bytes(16) + struct.pack(">H", len(self.credential_id)) + self.credential_id + cose
        ad = self.auth_data(0x41 | (0x04 if uv else 0), self.count, attested)
        cdj = self.client_data("webauthn.create", options["challenge"])
        return {"id": b64u(self.credential_id), "rawId": b64u(self.credential_id), "type": "public-key",
                "response": {"clientDataJSON": b64u(cdj),
                             "attestationObject": b64u(cbor({"fmt": "none", "attStmt": {}, "authData": ad}))}}

    def get(self, options, uv=True, origin=None, count=None):
        self.count = self.count + 1 if count is None else count
        ad = self.auth_data(0x01 | (0x04 if uv else 0), self.count)
        cdj = self.client_data("webauthn.get", options["challenge"], origin)
        sig = self.key.sign(ad + hashlib.sha256(cdj).digest(), ec.ECDSA(hashes.SHA256()))
        return {"id": b64u(self.credential_id), "rawId": b64u(self.credential_id), "type": "public-key",
                "response": {"clientDataJSON": b64u(cdj), "authenticatorData": b64u(ad), "signature": b64u(sig),
                             "userHandle": b64u(self.user_handle)}}


class PasskeyTestCase(unittest.TestCase):
    env = {}

    def setUp(self):
        # WebAuthn needs a host name: the server is reached at 127.0.0.1, its public_url says localhost.
        port = free_port()
        self.base = "http://localhost:%d" % port
        self.srv = CloakroomServer(env=dict({"CLOAKROOM_PUBLIC_URL": self.base}, **self.env),
                                   listen="127.0.0.1:%d" % port).start()
        self.srv.register("alice", "correct horse battery")
        _, h, _ = self.srv.login("alice", "correct horse battery")
        self.cookie = h["set-cookie"].split(";")[0]
        self.auth = SoftAuthenticator("localhost", self.base)

    def tearDown(self):
        self.srv.__exit__(None, None, None)

    def call(self, method, path, body=None, signed_in=True, origin=None):
        headers = {"Origin": origin or self.base}
        if signed_in:
            headers["Cookie"] = self.cookie
        return self.srv.request(method, path, body, headers=headers)

    def refusal(self, n):
        """The reason of the n-th passkey_refused line (stderr is read asynchronously)."""
        lines = eventually(lambda: len(self.srv.logs("passkey_refused")) >= n and self.srv.logs("passkey_refused"))
        self.assertTrue(lines, "no passkey_refused line %d" % n)
        return lines[n - 1]["reason"]

    def events(self, name, n=1):
        return eventually(lambda: len(self.srv.logs(name)) >= n and self.srv.logs(name)) or []

    def add_passkey(self, name="laptop", uv=True):
        status, _, options = self.call("POST", "/auth/passkeys/register/options")
        self.assertEqual(status, 200, options)
        status, _, body = self.call("POST", "/auth/passkeys/register",
                                    {"credential": self.auth.create(options, uv), "name": name})
        self.assertEqual(status, 201, body)
        return body["passkey"]

    def passkey_login(self, **kw):
        status, _, options = self.call("POST", "/auth/passkeys/login/options", signed_in=False)
        self.assertEqual(status, 200, options)
        return self.call("POST", "/auth/passkeys/login", {"credential": self.auth.get(options, **kw)},
                         signed_in=False)


class PasskeyApiTest(PasskeyTestCase):
    def test_options_shapes(self):
        """Creation options ask for a resident ES256/EdDSA/RS256 key, UV preferred, attestation none, rpId the
        host of public_url; request options are discoverable (no allowCredentials)."""
        status, headers, o = self.call("POST", "/auth/passkeys/register/options")
        self.assertEqual(status, 200, o)
        self.assertEqual(headers["cache-control"], "no-store")
        self.assertEqual(o["rp"], {"id": "localhost", "name": "cloakroom"})
        self.assertEqual(o["user"]["name"], "alice")
        self.assertEqual(len(unb64u(o["user"]["id"])), 32)
        self.assertEqual(len(unb64u(o["challenge"])), 32)
        self.assertEqual([p["alg"] for p in o["pubKeyCredParams"]], [-7, -8, -257])
        self.assertEqual(o["authenticatorSelection"]["residentKey"], "required")
        self.assertEqual(o["authenticatorSelection"]["userVerification"], "preferred")
        self.assertEqual(o["attestation"], "none")
        status, _, g = self.call("POST", "/auth/passkeys/login/options", signed_in=False)
        self.assertEqual(status, 200, g)
        self.assertEqual(g["rpId"], "localhost")
        self.assertEqual(g.get("allowCredentials", []), [])
        # Signed-in endpoints want a credential.
        status, _, body = self.call("POST", "/auth/passkeys/register/options", signed_in=False)
        self.assertEqual((status, body["error"]), (401, "unauthenticated"))

    def test_register_sign_in_list_remove(self):
        """A passkey with user verification signs in alone as two factors (hwk, user: mfa); the list shows it;
        once removed it signs in no more."""
        added = self.add_passkey("laptop")
        self.assertEqual((added["name"], added["user_verified"], added["flagged"]), ("laptop", True, False))
        self.assertIsNone(added["last_used_at"])
        status, headers, body = self.passkey_login()
        self.assertEqual(status, 200, body)
        self.assertEqual(body["user"]["username"], "alice")
        cookie = headers["set-cookie"].split(";")[0]
        status, _, me = self.srv.request("GET", "/auth/me", headers={"Cookie": cookie})
        self.assertEqual(status, 200, me)
        self.assertEqual(me["auth"]["amr"], ["hwk", "user", "mfa"])
        self.assertEqual(len(self.events("passkey_login")), 1)
        status, _, listed = self.call("GET", "/auth/passkeys")
        self.assertEqual(status, 200, listed)
        self.assertTrue(listed["passkeys_available"])
        [p] = listed["passkeys"]
        self.assertEqual(p["id"], added["id"])
        self.assertIsNotNone(p["last_used_at"])
        # Another user's view and a made-up id: 404 alike.
        status, _, body = self.call("DELETE", "/auth/passkeys/" + b64u(b"nope"))
        self.assertEqual((status, body["error"]), (404, "not_found"))
        status, _, body = self.call("DELETE", "/auth/passkeys/" + p["id"])
        self.assertEqual((status, body), (200, {"status": "removed"}))
        status, _, body = self.passkey_login()
        self.assertEqual((status, body["error"]), (401, "passkey_refused"))
        self.assertEqual(self.refusal(1), "unknown_credential")

    def test_without_user_verification_one_factor(self):
        """Presence alone is possession only: amr hwk, no mfa."""
        self.add_passkey(uv=False)
        status, headers, body = self.passkey_login(uv=False)
        self.assertEqual(status, 200, body)
        _, _, me = self.srv.request("GET", "/auth/me", headers={"Cookie": headers["set-cookie"].split(";")[0]})
        self.assertEqual(me["auth"]["amr"], ["hwk"])

    def test_malformed_credential_is_400(self):
        """Shape errors are 400 invalid_field, never a 500."""
        status, _, options = self.call("POST", "/auth/passkeys/login/options", signed_in=False)
        self.auth.user_handle = os.urandom(32)
        good = self.auth.get(options)
        cases = [
            {"id": "x", "response": "nope"},
            {"rawId": "***", "response": good["response"]},
            {"rawId": good["rawId"], "response": dict(good["response"], signature="%%")},
            {"rawId": good["rawId"], "response": {"clientDataJSON": good["response"]["clientDataJSON"]}},
            {"rawId": good["rawId"], "type": "password", "response": good["response"]},
        ]
        for cred in cases:
            status, _, body = self.call("POST", "/auth/passkeys/login", {"credential": cred}, signed_in=False)
            self.assertEqual((status, body["error"]), (400, "invalid_field"), cred)
        status, _, body = self.call("POST", "/auth/passkeys/login", {"credential": "x"}, signed_in=False)
        self.assertEqual((status, body["error"]), (400, "invalid_field"))
        # Garbage bytes that decode: a refusal, not a crash.
        junk = dict(good, response=dict(good["response"], clientDataJSON=b64u(b"\xff{"),
                                        authenticatorData=b64u(b"\x00" * 3)))
        status, _, body = self.call("POST", "/auth/passkeys/login", {"credential": junk}, signed_in=False)
        self.assertEqual((status, body["error"]), (401, "passkey_refused"))

    def test_unknown_credential_wrong_origin_and_replay_are_401(self):
        self.add_passkey()
        stranger = SoftAuthenticator("localhost", self.base)
        stranger.user_handle = os.urandom(32)
        _, _, options = self.call("POST", "/auth/passkeys/login/options", signed_in=False)
        status, _, body = self.call("POST", "/auth/passkeys/login", {"credential": stranger.get(options)},
                                    signed_in=False)
        self.assertEqual((status, body["error"]), (401, "passkey_refused"))
        self.assertEqual(self.refusal(1), "unknown_credential")

        status, _, body = self.passkey_login(origin="https://evil.example")
        self.assertEqual((status, body["error"]), (401, "passkey_refused"))
        self.assertEqual(self.refusal(2), "origin_mismatch")

        # A challenge answers once: the same (valid) response again is refused.
        _, _, options = self.call("POST", "/auth/passkeys/login/options", signed_in=False)
        cred = self.auth.get(options)
        status, _, body = self.call("POST", "/auth/passkeys/login", {"credential": cred}, signed_in=False)
        self.assertEqual(status, 200, body)
        status, _, body = self.call("POST", "/auth/passkeys/login", {"credential": cred}, signed_in=False)
        self.assertEqual((status, body["error"]), (401, "passkey_refused"))
        self.assertEqual(self.refusal(3), "challenge_unknown")
        # A login from a foreign page is refused before anything else.
        status, _, body = self.call("POST", "/auth/passkeys/login/options", signed_in=False,
                                    origin="https://evil.example")
        self.assertEqual((status, body["error"]), (403, "csrf_rejected"))

    def test_counter_regression_is_refused_and_flagged(self):
        self.add_passkey()
        status, _, body = self.passkey_login(count=10)
        self.assertEqual(status, 200, body)
        status, _, body = self.passkey_login(count=7)
        self.assertEqual((status, body["error"]), (401, "passkey_refused"))
        [event] = self.events("passkey_counter_regressed")
        self.assertEqual(event["stored_count"], "10")
        _, _, listed = self.call("GET", "/auth/passkeys")
        self.assertTrue(listed["passkeys"][0]["flagged"])

    def test_registration_checks(self):
        """A register challenge is the caller's only, single-use; a foreign origin is refused."""
        status, _, options = self.call("POST", "/auth/passkeys/register/options")
        cred = self.auth.create(options)
        bad = dict(cred, response=dict(cred["response"], clientDataJSON=b64u(
            self.auth.client_data("webauthn.create", options["challenge"], "http://127.0.0.1:1"))))
        status, _, body = self.call("POST", "/auth/passkeys/register", {"credential": bad})
        self.assertEqual((status, body["error"]), (401, "passkey_refused"))
        self.assertEqual(self.refusal(1), "origin_mismatch")
        status, _, body = self.call("POST", "/auth/passkeys/register", {"credential": cred})
        self.assertEqual((status, body["error"]), (401, "passkey_refused"))  # the challenge was used up
        status, _, body = self.call("POST", "/auth/passkeys/register", {"credential": cred, "name": ""})
        self.assertEqual((status, body["error"]), (400, "invalid_field"))


class PasskeyThrottleTest(PasskeyTestCase):
    env = {"CLOAKROOM_THROTTLE_PER_IP": "3"}

    def test_login_options_are_throttled_per_address(self):
        for _ in range(3):
            status, _, body = self.call("POST", "/auth/passkeys/login/options", signed_in=False)
            self.assertEqual(status, 200, body)
        status, headers, body = self.call("POST", "/auth/passkeys/login/options", signed_in=False)
        self.assertEqual((status, body["error"]), (429, "too_many_attempts"))
        self.assertGreaterEqual(int(headers["retry-after"]), 1)


    def test_register_options_are_throttled_per_user(self):
        """Each call keeps a challenge row: one account cannot fill the store that logins' second steps need."""
        for _ in range(3):
            status, _, body = self.call("POST", "/auth/passkeys/register/options")
            self.assertEqual(status, 200, body)
        status, headers, body = self.call("POST", "/auth/passkeys/register/options")
        self.assertEqual((status, body["error"]), (429, "too_many_attempts"))
        self.assertGreaterEqual(int(headers["retry-after"]), 1)


class PasskeyWithTotpTest(PasskeyTestCase):
    def test_a_passkey_without_user_verification_is_refused_when_totp_is_on(self):
        """With a second factor on, a passkey that checked no PIN or biometric is no way in by itself; one that
        did still is (two factors)."""
        self.add_passkey(name="key", uv=False)
        status, _, enrol = self.call("POST", "/auth/totp/enroll")
        self.assertEqual(status, 200, enrol)
        status, _, body = self.call("POST", "/auth/totp/confirm", {"code": Codes(enrol["secret"]).next()})
        self.assertEqual(status, 200, body)
        status, headers, body = self.passkey_login(uv=False)
        self.assertEqual((status, body["error"]), (401, "passkey_refused"), body)
        self.assertIn("has two-factor authentication on", body["message"])
        self.assertNotIn("set-cookie", headers)
        self.assertEqual(self.refusal(1), "user_verification_required")
        status, _, body = self.passkey_login(uv=True)
        self.assertEqual(status, 200, body)


class IpPublicUrlTest(unittest.TestCase):
    def test_an_ip_public_url_answers_a_clear_error(self):
        """WebAuthn forbids an IP address as rpId: the zero-config public_url (http://127.0.0.1:PORT) says so."""
        with CloakroomServer() as srv:
            self.assertTrue(srv.public_url.startswith("http://127.0.0.1:"), srv.public_url)
            status, _, body = srv.request("POST", "/auth/passkeys/login/options", headers={"Origin": srv.public_url})
            self.assertEqual((status, body["error"]), (409, "passkeys_unavailable"))
            self.assertIn("http://localhost:PORT", body["message"])
            srv.register("alice", "correct horse battery")
            _, h, _ = srv.login("alice", "correct horse battery")
            cookie = h["set-cookie"].split(";")[0]
            status, _, body = srv.request("POST", "/auth/passkeys/register/options",
                                          headers={"Origin": srv.public_url, "Cookie": cookie})
            self.assertEqual((status, body["error"]), (409, "passkeys_unavailable"))
            status, _, body = srv.request("GET", "/auth/passkeys", headers={"Cookie": cookie})
            self.assertEqual((status, body), (200, {"passkeys_available": False, "passkeys": []}))


class PasskeyBrowserTest(PasskeyTestCase):
    def test_passkeys_in_chromium(self):
        result = run_browser_script(self, "passkeys.mjs", timeout=180, BASE_URL=self.base)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)


if __name__ == "__main__":
    unittest.main()
