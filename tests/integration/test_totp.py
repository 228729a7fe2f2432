"""TOTP as a second factor (issue 17 items 2 and 3): enrol, confirm, turn off, and the two-step login
(POST /auth/login → 401 second_factor_required → POST /auth/login/second-factor); then the same through the
pages in Chromium (tests/browser/totp.mjs, driven by playwright-core).
Codes are computed per RFC 6238 (SHA-1, 6 digits, 30 s; tests/support/totp_codes.py); the server accepts ±1
step, and each step once."""
import json
import os
import re
import unittest

from browser import run_browser_script
from cloakroom_server import CloakroomServer, eventually, run_cli
from ports import free_port
from stores import TEST_KEK, embedded_store_only
from totp_codes import Codes


def sid_from(headers):
    return re.search(r"__Host-sid=([^;]+)", headers["set-cookie"]).group(1)


class TotpTestCase(unittest.TestCase):
    ENV = {"CLOAKROOM_THROTTLE_PER_ACCOUNT_IP": "100", "CLOAKROOM_THROTTLE_PER_IP": "100"}

    def setUp(self):
        self.srv = CloakroomServer(env=self.ENV).start()
        self.assertEqual(self.srv.register("alice", "correct horse")[0], 201)
        self.assertEqual(self.srv.register("bob", "battery staple")[0], 201)

    def tearDown(self):
        self.srv.__exit__(None, None, None)

    def signed_in(self, sid, method, path, body=None, origin=True):
        h = {"Cookie": "__Host-sid=" + sid}
        if origin:
            h["Origin"] = self.srv.public_url
        return self.srv.request(method, path, body, headers=h)

    def session(self):
        status, headers, body = self.srv.login("alice", "correct horse")
        self.assertEqual(status, 200, body)
        return sid_from(headers)

    def enrol(self, sid):
        """TOTP on for alice; returns (Codes, recovery codes)."""
        status, headers, body = self.signed_in(sid, "POST", "/auth/totp/enroll")
        self.assertEqual(status, 200, body)
        self.assertEqual(headers["cache-control"], "no-store")
        codes = Codes(body["secret"])
        status, _, confirmed = self.signed_in(sid, "POST", "/auth/totp/confirm", {"code": codes.next()})
        self.assertEqual(status, 200, confirmed)
        return codes, confirmed["recovery_codes"]

    def challenge(self, headers=None, **extra):
        body = {"username": "alice", "password": "correct horse"}
        body.update(extra)
        status, _, answer = self.srv.request("POST", "/auth/login", body, headers=headers)
        self.assertEqual((status, answer["error"]), (401, "second_factor_required"), answer)
        return answer["challenge"]

    def second(self, challenge, headers=None, **proof):
        return self.srv.request("POST", "/auth/login/second-factor", dict(challenge=challenge, **proof),
                                headers=headers)


class EnrolTest(TotpTestCase):
    def test_enrol_confirm_answers_secret_uri_svg_and_ten_codes(self):
        """enroll: secret, otpauth URI naming alice, an SVG; again while pending is fine; confirm: 10 distinct
        recovery codes; enroll once on is 409 conflict; the session's amr stays pwd (confirming is no sign-in)."""
        sid = self.session()
        status, _, body = self.signed_in(sid, "POST", "/auth/totp/enroll")
        self.assertEqual(status, 200, body)
        self.assertEqual(set(body), {"secret", "otpauth_uri", "qr_svg", "expires_in"})
        # The app's label: the host and port people reach us at (public_url, here derived from the listen
        # address), not jwt.issuer's default http://127.0.0.1:8080.
        host = self.srv.public_url.split("://", 1)[1].replace(":", "%3A")
        self.assertTrue(body["otpauth_uri"].startswith("otpauth://totp/%s:alice?secret=" % host), body["otpauth_uri"])
        self.assertIn("&issuer=%s&" % host, body["otpauth_uri"])
        self.assertTrue(body["qr_svg"].startswith("<svg"))
        codes = Codes(body["secret"])
        status, _, body = self.signed_in(sid, "POST", "/auth/totp/confirm", {"code": codes.wrong()})
        self.assertEqual((status, body["error"]), (401, "invalid_code"))
        status, headers, body = self.signed_in(sid, "POST", "/auth/totp/confirm", {"code": codes.next()})
        self.assertEqual(status, 200, body)
        self.assertEqual(headers["cache-control"], "no-store")
        self.assertEqual(len(set(body["recovery_codes"])), 10)
        status, _, body = self.signed_in(sid, "POST", "/auth/totp/enroll")
        self.assertEqual((status, body["error"]), (409, "conflict"))
        status, _, me = self.signed_in(sid, "GET", "/auth/me")
        self.assertEqual(me["auth"]["amr"], ["pwd"])
        self.assertEqual(len(self.srv.logs("totp_enabled")), 1)
        self.assertNotIn(codes.secret, "\n".join(self.srv.log_lines))

    def test_me_with_factors_says_whether_totp_is_on(self):
        """GET /auth/me?factors=1 adds factors.totp: false before, false while only pending, true after confirm
        (with the ten recovery codes left, one fewer once one is used), false after DELETE. Plain /auth/me has
        no factors (it reads no store)."""
        sid = self.session()
        factors = lambda: self.signed_in(sid, "GET", "/auth/me?factors=1")[2]["factors"]
        self.assertEqual(factors(), {"totp": False, "recovery_codes_left": 0})
        status, _, body = self.signed_in(sid, "POST", "/auth/totp/enroll")
        self.assertEqual(status, 200, body)
        self.assertEqual(factors(), {"totp": False, "recovery_codes_left": 0})
        codes = Codes(body["secret"])
        status, _, body = self.signed_in(sid, "POST", "/auth/totp/confirm", {"code": codes.next()})
        self.assertEqual(status, 200, body)
        self.assertEqual(factors(), {"totp": True, "recovery_codes_left": 10})
        status, _, me = self.signed_in(sid, "GET", "/auth/me")
        self.assertEqual((status, set(me)), (200, {"user", "auth"}))
        self.assertEqual(self.second(self.challenge(), recovery_code=body["recovery_codes"][0])[0], 200)
        self.assertEqual(factors(), {"totp": True, "recovery_codes_left": 9})
        status, _, body = self.signed_in(sid, "DELETE", "/auth/totp", {"code": codes.next()})
        self.assertEqual((status, body), (200, {"status": "totp_disabled"}))
        self.assertEqual(factors(), {"totp": False, "recovery_codes_left": 0})
        # A bearer token sees the same field.
        _, _, tokens = self.srv.login("alice", "correct horse", mode="token", transport="body")
        status, _, me = self.srv.request("GET", "/auth/me?factors=1",
                                         headers={"Authorization": "Bearer " + tokens["access_token"]})
        self.assertEqual((status, me["factors"]["totp"]), (200, False))

    def test_enroll_needs_sign_in_and_same_origin(self):
        status, _, body = self.srv.request("POST", "/auth/totp/enroll")
        self.assertEqual((status, body["error"]), (401, "unauthenticated"))
        status, _, body = self.signed_in(self.session(), "POST", "/auth/totp/enroll", origin=False)
        self.assertEqual((status, body["error"]), (403, "csrf_rejected"))

    def test_enroll_takes_no_fields(self):
        """enroll ignores nothing silently: no body and {} work; a field is 400 unknown_field naming it, and
        nothing was enrolled (confirm then finds nothing pending: 409)."""
        sid = self.session()
        status, _, body = self.signed_in(sid, "POST", "/auth/totp/enroll", {"issuer": "Evil"})
        self.assertEqual((status, body["error"], body["message"]), (400, "unknown_field", 'Unknown field "issuer".'))
        status, _, body = self.signed_in(sid, "POST", "/auth/totp/confirm", {"code": "123456"})
        self.assertEqual((status, body["error"]), (409, "conflict"))
        status, _, body = self.srv.request("POST", "/auth/totp/enroll", raw_body=b"[1]", headers={
            "Cookie": "__Host-sid=" + sid, "Origin": self.srv.public_url, "Content-Type": "application/json"})
        self.assertEqual((status, body["error"]), (400, "malformed_json"))
        status, _, body = self.signed_in(sid, "POST", "/auth/totp/enroll", {})
        self.assertEqual(status, 200, body)
        status, _, body = self.signed_in(sid, "POST", "/auth/totp/enroll")
        self.assertEqual(status, 200, body)

    def test_malformed_bodies_are_400(self):
        sid = self.session()
        status, _, body = self.signed_in(sid, "POST", "/auth/totp/confirm", {"code": 123456})
        self.assertEqual((status, body["error"]), (400, "invalid_field"))
        status, _, body = self.signed_in(sid, "DELETE", "/auth/totp", {"code": "1", "password": "x"})
        self.assertEqual((status, body["error"]), (400, "invalid_field"))


class TwoStepLoginTest(TotpTestCase):
    def test_session_cookie_login_needs_the_code_and_answers_as_a_login(self):
        """A right password answers 401 second_factor_required with a challenge and the methods; the second step
        with a right code answers the login's own shape (cookie transport) and /auth/me says pwd, otp, mfa."""
        codes, _ = self.enrol(self.session())
        status, headers, body = self.srv.login("alice", "correct horse")
        self.assertEqual(status, 401)
        self.assertEqual(body["error"], "second_factor_required")
        self.assertEqual(body["methods"], ["totp", "recovery_code"])
        self.assertEqual(headers["cache-control"], "no-store")
        self.assertNotIn("set-cookie", headers)
        status, headers, done = self.second(body["challenge"], code=codes.next())
        self.assertEqual(status, 200, done)
        self.assertEqual(set(done), {"user", "session"})
        sid = sid_from(headers)
        status, _, me = self.signed_in(sid, "GET", "/auth/me")
        self.assertEqual(me["auth"]["amr"], ["pwd", "otp", "mfa"])

    def test_body_transport_and_token_mode_are_carried_over(self):
        codes, _ = self.enrol(self.session())
        _, _, plain = self.srv.login("bob", "battery staple", transport="body")
        status, _, done = self.second(self.challenge(transport="body"), code=codes.next())
        self.assertEqual(status, 200, done)
        self.assertEqual(set(done), set(plain))
        _, _, plain = self.srv.login("bob", "battery staple", mode="token", transport="body")
        status, _, done = self.second(self.challenge(mode="token", transport="body"), code=codes.next())
        self.assertEqual(status, 200, done)
        self.assertEqual(set(done), set(plain))
        status, _, me = self.srv.request("GET", "/auth/me", headers={"Authorization": "Bearer " + done["access_token"]})
        self.assertEqual((status, me["auth"]["amr"]), (200, ["pwd", "otp", "mfa"]))

    def test_replayed_code_and_used_challenge_are_refused(self):
        codes, _ = self.enrol(self.session())
        code = codes.next()
        first = self.challenge()
        self.assertEqual(self.second(first, code=code)[0], 200)
        status, _, body = self.second(first, code=codes.next())
        self.assertEqual((status, body["error"]), (401, "invalid_challenge"))
        status, _, body = self.second(self.challenge(), code=code)
        self.assertEqual((status, body["error"]), (401, "invalid_code"))
        self.assertEqual(self.srv.logs("second_factor_failed")[-1]["reason"], "replayed")

    def test_five_wrong_codes_end_the_challenge(self):
        codes, _ = self.enrol(self.session())
        challenge = self.challenge()
        for _ in range(5):
            status, _, body = self.second(challenge, code=codes.wrong())
            self.assertEqual((status, body["error"]), (401, "invalid_code"))
        status, _, body = self.second(challenge, code=codes.next())
        self.assertEqual((status, body["error"]), (401, "invalid_challenge"))

    def test_challenge_from_another_client_is_refused(self):
        """Bound to the first step's client: another User-Agent gets the unknown-challenge answer."""
        codes, _ = self.enrol(self.session())
        challenge = self.challenge(headers={"User-Agent": "first/1"})
        status, _, body = self.second(challenge, headers={"User-Agent": "other/1"}, code=codes.next())
        self.assertEqual((status, body["error"]), (401, "invalid_challenge"))
        status, _, body = self.second("made-up", code=codes.next())
        self.assertEqual((status, body["error"]), (401, "invalid_challenge"))

    def test_another_client_cannot_spend_the_owners_attempts(self):
        """Five tries from another client find no challenge at all, so the owner still has all of theirs."""
        codes, _ = self.enrol(self.session())
        challenge = self.challenge(headers={"User-Agent": "first/1"})
        for _ in range(6):
            status, _, body = self.second(challenge, headers={"User-Agent": "thief/1"}, code=codes.wrong())
            self.assertEqual((status, body["error"]), (401, "invalid_challenge"))
        status, _, body = self.second(challenge, headers={"User-Agent": "first/1"}, code=codes.next())
        self.assertEqual(status, 200, body)

    def test_turning_totp_off_voids_the_pending_step_for_good(self):
        """A challenge whose TOTP was turned off is void, and turning TOTP on again does not revive it."""
        sid = self.session()
        codes, _ = self.enrol(sid)
        challenge = self.challenge()
        status, _, body = self.signed_in(sid, "DELETE", "/auth/totp", {"password": "correct horse"})
        self.assertEqual(status, 200, body)
        status, _, body = self.second(challenge, code=codes.next())
        self.assertEqual((status, body["error"]), (401, "invalid_challenge"))
        codes, _ = self.enrol(sid)
        status, _, body = self.second(challenge, code=codes.next())
        self.assertEqual((status, body["error"]), (401, "invalid_challenge"))

    def test_recovery_code_works_once(self):
        codes, recovery = self.enrol(self.session())
        status, _, done = self.second(self.challenge(transport="body"), recovery_code=recovery[0])
        self.assertEqual(status, 200, done)
        status, _, body = self.second(self.challenge(), recovery_code=recovery[0])
        self.assertEqual((status, body["error"]), (401, "invalid_code"))

    def test_wrong_password_and_unknown_user_answers_unchanged(self):
        """For an enrolled user, a wrong password is the same 401 invalid_credentials as an unknown user."""
        self.enrol(self.session())
        wrong = self.srv.login("alice", "wrong horse")
        unknown = self.srv.login("nobody", "wrong horse")
        self.assertEqual(wrong[0], 401)
        self.assertEqual((wrong[0], wrong[2]), (unknown[0], unknown[2]))
        self.assertEqual(wrong[2]["error"], "invalid_credentials")

    def test_disabled_meanwhile_is_refused(self):
        from cloakroom_server import run_cli
        codes, _ = self.enrol(self.session())
        challenge = self.challenge()
        r = run_cli(["user", "disable", "alice"], self.srv.data_dir)
        self.assertEqual(r.returncode, 0, r.stderr)
        status, _, body = self.second(challenge, code=codes.next())
        self.assertEqual((status, body["error"]), (403, "account_disabled"))


class DisableTest(TotpTestCase):
    def test_off_with_password_then_a_password_login_is_enough(self):
        sid = self.session()
        self.enrol(sid)
        status, _, body = self.signed_in(sid, "DELETE", "/auth/totp", {"password": "wrong horse"})
        self.assertEqual((status, body["error"]), (401, "invalid_credentials"))
        status, _, body = self.signed_in(sid, "DELETE", "/auth/totp", {"password": "correct horse"})
        self.assertEqual((status, body), (200, {"status": "totp_disabled"}))
        self.assertEqual(self.srv.login("alice", "correct horse")[0], 200)
        status, _, body = self.signed_in(sid, "DELETE", "/auth/totp", {"password": "correct horse"})
        self.assertEqual((status, body["error"]), (409, "conflict"))
        self.assertEqual(self.srv.logs("totp_disabled")[-1]["via"], "password")

    def test_off_with_code(self):
        sid = self.session()
        codes, _ = self.enrol(sid)
        status, _, body = self.signed_in(sid, "DELETE", "/auth/totp", {"code": codes.wrong()})
        self.assertEqual((status, body["error"]), (401, "invalid_code"))
        status, _, body = self.signed_in(sid, "DELETE", "/auth/totp", {"code": codes.next()})
        self.assertEqual((status, body), (200, {"status": "totp_disabled"}))
        self.assertEqual(self.srv.login("alice", "correct horse")[0], 200)


@embedded_store_only("totp.key exists only without a key-encryption key, which the scale-out stores need")
class KeyEncryptionKeyLaterTest(TotpTestCase):
    def test_secrets_enrolled_under_totp_key_still_open_once_a_kek_is_set(self):
        """alice enrols while <data_dir>/totp.key is the TOTP key; the operator then sets a key-encryption key
        and restarts. alice's code still completes the login (the file keeps opening what it sealed; it used to
        be refused), start logs totp_key_file_left, and bob, enrolled afterwards, is sealed under the KEK."""
        alice_codes, _ = self.enrol(self.session())
        self.assertTrue(os.path.exists(os.path.join(self.srv.data_dir, "totp.key")))
        self.srv.env["CLOAKROOM_JWT_KEY_ENCRYPTION_KEY"] = TEST_KEK
        self.srv.restart()
        self.assertEqual(len(self.srv.logs("totp_key_file_left")), 1)
        status, _, done = self.second(self.challenge(), code=alice_codes.next())
        self.assertEqual(status, 200, done)
        status, headers, _ = self.srv.login("bob", "battery staple")
        bob = sid_from(headers)
        status, _, body = self.signed_in(bob, "POST", "/auth/totp/enroll")
        self.assertEqual(status, 200, body)
        status, _, confirmed = self.signed_in(bob, "POST", "/auth/totp/confirm", {"code": Codes(body["secret"]).next()})
        self.assertEqual(status, 200, confirmed)
        # Without the file, alice's secret no longer opens (refused, never accepted); bob's still does.
        self.srv.stop()
        os.rename(os.path.join(self.srv.data_dir, "totp.key"), os.path.join(self.srv.data_dir, "totp.key.moved"))
        self.srv.log_lines = []
        self.srv.start()
        self.assertEqual(self.srv.logs("totp_key_file_left"), [])
        status, _, answer = self.second(self.challenge(), code=alice_codes.next())
        self.assertEqual((status, answer["error"]), (500, "decryption_failed"), answer)
        status, _, answer = self.srv.request("POST", "/auth/login", {"username": "bob", "password": "battery staple"})
        self.assertEqual((status, answer.get("error")), (401, "second_factor_required"), answer)


@embedded_store_only("the keys file and totp.key are the embedded store's; test_shared_keys.py covers PostgreSQL")
class KeyEncryptionKeyRotationTest(TotpTestCase):
    NEW_KEK = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
    THIRD_KEK = "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc"

    def login_with(self, username, password, codes):
        status, _, answer = self.srv.request("POST", "/auth/login", {"username": username, "password": password})
        self.assertEqual((status, answer.get("error")), (401, "second_factor_required"), answer)
        return self.second(answer["challenge"], code=codes.next())[0]

    def test_rewrap_moves_totp_key_and_previous_kek_secrets_under_the_new_kek(self):
        """alice enrols under <data_dir>/totp.key, bob under KEK1. With KEK2 as current and KEK1 as previous
        both still sign in; `key rewrap` reseals both secrets under KEK2 (the keys file stays plaintext, by
        design) and says totp.key can go; rerun, it has nothing to do. With KEK2 alone and totp.key gone, both
        still sign in. A rewrap under a key that opens nothing exits 1 naming the users, changing nothing."""
        alice = self.enrol(self.session())[0]
        self.srv.env["CLOAKROOM_JWT_KEY_ENCRYPTION_KEY"] = TEST_KEK
        self.srv.restart()
        status, headers, _ = self.srv.login("bob", "battery staple")
        bob_sid = sid_from(headers)
        status, _, body = self.signed_in(bob_sid, "POST", "/auth/totp/enroll")
        self.assertEqual(status, 200, body)
        bob = Codes(body["secret"])
        self.assertEqual(self.signed_in(bob_sid, "POST", "/auth/totp/confirm", {"code": bob.next()})[0], 200)

        rotating = {"CLOAKROOM_JWT_KEY_ENCRYPTION_KEY": self.NEW_KEK,
                    "CLOAKROOM_JWT_PREVIOUS_KEY_ENCRYPTION_KEY": TEST_KEK}
        self.srv.env.update(rotating)
        self.srv.restart()
        self.assertEqual(self.login_with("alice", "correct horse", alice), 200)
        self.assertEqual(self.login_with("bob", "battery staple", bob), 200)

        r = run_cli(["key", "rewrap"], self.srv.data_dir, env=rotating)
        self.assertEqual(r.returncode, 0, r.stderr)
        key_file = os.path.join(os.path.abspath(self.srv.data_dir), "totp.key")
        self.assertEqual(r.stdout.splitlines(), [
            "resealed 0 key sets (the keys file is not sealed: it is plaintext, mode 0600, by design) and 2 TOTP "
            "secrets; 0 left under the previous key or totp.key",
            f"every TOTP secret is sealed under the key-encryption key: {key_file} opens nothing now and can be "
            "removed",
            "nothing is sealed under the previous key-encryption key any more: remove it from every node's "
            "configuration (jwt.previous_key_encryption_key_file, CLOAKROOM_JWT_PREVIOUS_KEY_ENCRYPTION_KEY)"])
        # Its one audit line (log.audit unset: stderr), with the counts.
        audit = [json.loads(line) for line in r.stderr.splitlines()]
        self.assertEqual([(a["event"], a["actor"], a["key_sets"], a["totp_seals"], a["left"], a["unopened"])
                          for a in audit], [("key_rewrapped", "cli", "0", "2", "0", "0")])
        r = run_cli(["key", "rewrap"], self.srv.data_dir, env=rotating)
        self.assertEqual((r.returncode, r.stdout.splitlines()[0]),
                         (0, "resealed 0 key sets (the keys file is not sealed: it is plaintext, mode 0600, by "
                             "design) and 0 TOTP secrets; 0 left under the previous key or totp.key"), r.stderr)

        self.srv.stop()
        os.remove(key_file)
        del self.srv.env["CLOAKROOM_JWT_PREVIOUS_KEY_ENCRYPTION_KEY"]
        self.srv.log_lines = []
        self.srv.start()
        self.assertEqual(self.srv.logs("totp_key_file_left"), [])
        self.assertEqual(self.login_with("alice", "correct horse", alice), 200)
        self.assertEqual(self.login_with("bob", "battery staple", bob), 200)

        r = run_cli(["key", "rewrap"], self.srv.data_dir, env={"CLOAKROOM_JWT_KEY_ENCRYPTION_KEY": self.THIRD_KEK})
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        sentence, audit_line = r.stderr.splitlines()
        self.assertRegex(sentence, r"^cloakroom: The TOTP secret of 2 users \(id \S+, \S+\) opens under neither the "
                                   r"current nor the previous key-encryption key, so it was left as it is "
                                   r"\(the user can sign in with a recovery code, or an operator can run user "
                                   r"reset-2fa\)\.$")
        self.assertEqual(json.loads(audit_line)["unopened"], "2")
        self.assertEqual(r.stdout.splitlines()[0][-len("2 left under the previous key"):], "2 left under the previous key")
        for text in (TEST_KEK, self.NEW_KEK, self.THIRD_KEK):
            self.assertNotIn(text, r.stdout + r.stderr)


class RecoveryCodesTest(TotpTestCase):
    def renew(self, sid, **proof):
        return self.signed_in(sid, "POST", "/auth/totp/recovery-codes", proof)

    def test_new_codes_work_and_old_ones_are_refused(self):
        """With a code, then with the password: ten new codes (no-store), every earlier one refused at the second
        step, used or not; the new ones work once; TOTP stays on with the same secret; audited with `via`."""
        sid = self.session()
        codes, first = self.enrol(sid)
        self.assertEqual(self.second(self.challenge(), recovery_code=first[0])[0], 200)
        used = codes.next()
        status, headers, body = self.renew(sid, code=used)
        self.assertEqual(status, 200, body)
        self.assertEqual(headers["cache-control"], "no-store")
        self.assertEqual(set(body), {"recovery_codes"})
        second = body["recovery_codes"]
        self.assertEqual(len(set(second)), 10)
        self.assertFalse(set(second) & set(first))
        for old in (first[0], first[1]):
            status, _, body = self.second(self.challenge(), recovery_code=old)
            self.assertEqual((status, body["error"]), (401, "invalid_code"))
        status, _, body = self.renew(sid, code=used)  # the code that renewed is used up
        self.assertEqual((status, body["error"]), (401, "invalid_code"))
        self.assertEqual(self.second(self.challenge(), recovery_code=second[0])[0], 200)
        status, _, body = self.second(self.challenge(), recovery_code=second[0])
        self.assertEqual((status, body["error"]), (401, "invalid_code"))
        status, _, body = self.renew(sid, password="correct horse")
        self.assertEqual(status, 200, body)
        third = body["recovery_codes"]
        status, _, body = self.second(self.challenge(), recovery_code=second[1])
        self.assertEqual((status, body["error"]), (401, "invalid_code"))
        self.assertEqual(self.second(self.challenge(), code=codes.next())[0], 200)  # the app still works
        self.assertEqual(self.second(self.challenge(), recovery_code=third[9])[0], 200)
        self.assertEqual([e["via"] for e in self.srv.logs("recovery_codes_renewed")], ["code", "password"])
        log = "\n".join(self.srv.log_lines)
        for code in second + third:
            self.assertNotIn(code, log)

    def test_wrong_proof_is_refused_and_nothing_changes(self):
        """A wrong code is 401 invalid_code, a wrong password 401 invalid_credentials, both audited with step
        recovery_codes; the old recovery codes still work."""
        sid = self.session()
        codes, recovery = self.enrol(sid)
        status, _, body = self.renew(sid, code=codes.wrong())
        self.assertEqual((status, body["error"]), (401, "invalid_code"))
        status, _, body = self.renew(sid, password="wrong horse")
        self.assertEqual((status, body["error"]), (401, "invalid_credentials"))
        failed = self.srv.logs("second_factor_failed")
        self.assertEqual([(e["step"], e["reason"]) for e in failed],
                         [("recovery_codes", "wrong"), ("recovery_codes", "wrong_password")])
        self.assertEqual(self.srv.logs("recovery_codes_renewed"), [])
        self.assertEqual(self.second(self.challenge(), recovery_code=recovery[0])[0], 200)

    def test_needs_sign_in_same_origin_and_totp_on(self):
        sid = self.session()
        status, _, body = self.srv.request("POST", "/auth/totp/recovery-codes", {"password": "correct horse"})
        self.assertEqual((status, body["error"]), (401, "unauthenticated"))
        status, _, body = self.signed_in(sid, "POST", "/auth/totp/recovery-codes", {"password": "correct horse"},
                                         origin=False)
        self.assertEqual((status, body["error"]), (403, "csrf_rejected"))
        for proof in ({"password": "correct horse"}, {"code": "123456"}):  # never on
            status, _, body = self.renew(sid, **proof)
            self.assertEqual((status, body["error"], body["message"]),
                             (409, "conflict", "Two-factor authentication is off."), proof)
        codes, _ = self.enrol(sid)
        status, _, body = self.signed_in(sid, "DELETE", "/auth/totp", {"code": codes.next()})
        self.assertEqual(status, 200, body)
        status, _, body = self.renew(sid, password="correct horse")  # turned off again
        self.assertEqual((status, body["error"]), (409, "conflict"))

    def test_body_takes_exactly_one_of_code_and_password(self):
        sid = self.session()
        self.enrol(sid)
        status, _, body = self.renew(sid, code="123456", password="correct horse")
        self.assertEqual((status, body["error"], body["message"]),
                         (400, "invalid_field", "Send exactly one of code and password."))
        status, _, body = self.renew(sid)
        self.assertEqual((status, body["error"]), (400, "invalid_field"))
        status, _, body = self.renew(sid, recovery_code="abcd-efgh-ijkm")
        self.assertEqual((status, body["error"]), (400, "unknown_field"))


class RecoveryCodesThrottleTest(TotpTestCase):
    ENV = {"CLOAKROOM_THROTTLE_PER_ACCOUNT_IP": "6", "CLOAKROOM_THROTTLE_WINDOW": "1h"}

    def test_wrong_codes_count_against_the_login_throttle(self):
        """Each wrong code spends an attempt from the (account, address) bucket: six 401s, then 429 with
        Retry-After, even for the right password."""
        sid = self.session()
        codes, _ = self.enrol(sid)
        for _ in range(6):
            status, _, body = self.signed_in(sid, "POST", "/auth/totp/recovery-codes", {"code": codes.wrong()})
            self.assertEqual((status, body["error"]), (401, "invalid_code"))
        status, headers, body = self.signed_in(sid, "POST", "/auth/totp/recovery-codes",
                                               {"password": "correct horse"})
        self.assertEqual((status, body["error"]), (429, "too_many_attempts"))
        self.assertGreaterEqual(int(headers["retry-after"]), 1)


class ResetCliTest(TotpTestCase):
    def test_reset_2fa_turns_totp_off_and_ends_sessions(self):
        """`user reset-2fa alice`: TOTP off (the password alone signs in again), her session ends, audited."""
        from cloakroom_server import run_cli, eventually
        sid = self.session()
        self.enrol(sid)
        r = run_cli(["user", "reset-2fa", "alice"], self.srv.data_dir)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("turned TOTP off for alice", r.stdout)
        eventually(lambda: self.signed_in(sid, "GET", "/auth/me")[0] == 401)
        self.assertEqual(self.srv.login("alice", "correct horse")[0], 200)
        r = run_cli(["user", "reset-2fa", "nobody"], self.srv.data_dir)
        self.assertNotEqual(r.returncode, 0)
        # Again, now that TOTP is off: nothing to reset, exit 1, and nobody is signed out.
        status, headers, _ = self.srv.login("alice", "correct horse")
        self.assertEqual(status, 200)
        r = run_cli(["user", "reset-2fa", "alice"], self.srv.data_dir)
        self.assertEqual((r.returncode, r.stderr.strip().splitlines()[-1]),
                         (1, "cloakroom: alice has no TOTP turned on; nothing was reset and nobody was signed out."))
        self.assertEqual(self.signed_in(sid_from(headers), "GET", "/auth/me")[0], 200)


class ChallengeBudgetTest(TotpTestCase):
    ENV = {"CLOAKROOM_THROTTLE_PER_ACCOUNT": "4", "CLOAKROOM_THROTTLE_PER_ACCOUNT_IP": "100",
           "CLOAKROOM_THROTTLE_PER_IP": "100", "CLOAKROOM_THROTTLE_WINDOW": "1h"}

    def test_each_challenge_spends_an_account_token(self):
        """A right password is free, but one that leads to a second step leaves a challenge in the shared store:
        it keeps the account's token, so one account cannot fill the store's bound for login challenges (and
        lock every TOTP user out). per_account = 4: four challenges, then 429 even for the right password; bob,
        without TOTP, is not affected."""
        self.enrol(self.session())
        for _ in range(4):
            self.challenge()
        status, headers, body = self.srv.login("alice", "correct horse")
        self.assertEqual((status, body["error"]), (429, "too_many_attempts"), body)
        self.assertGreaterEqual(int(headers["retry-after"]), 1)
        for _ in range(5):
            self.assertEqual(self.srv.login("bob", "battery staple")[0], 200)


class ThrottleTest(TotpTestCase):
    ENV = {"CLOAKROOM_THROTTLE_PER_ACCOUNT_IP": "6", "CLOAKROOM_THROTTLE_WINDOW": "1h"}

    def test_wrong_codes_count_across_challenges(self):
        """Wrong codes spend the (account, address) bucket like wrong passwords, and a right password does not
        clear them: 5 on one challenge and 1 on the next use 6, then 429 with Retry-After."""
        codes, _ = self.enrol(self.session())
        first = self.challenge()
        for _ in range(5):
            self.assertEqual(self.second(first, code=codes.wrong())[0], 401)
        second = self.challenge()
        self.assertEqual(self.second(second, code=codes.wrong())[2]["error"], "invalid_code")
        status, headers, body = self.second(second, code=codes.wrong())
        self.assertEqual((status, body["error"]), (429, "too_many_attempts"))
        self.assertGreaterEqual(int(headers["retry-after"]), 1)


class TotpBrowserTest(unittest.TestCase):
    """Set up on /account from the key the page shows, sign in with a recovery code (once only) and with a
    computed code, turn it off: every step through the pages, asserting what they show."""

    def test_totp_in_chromium(self):
        # The browser must see the origin public_url names (Origin checks), so the port is chosen here.
        port = free_port()
        base = "http://127.0.0.1:%d" % port
        with CloakroomServer(env={"CLOAKROOM_PUBLIC_URL": base}, listen="127.0.0.1:%d" % port) as srv:
            self.assertEqual(srv.register("alice", "correct horse battery")[0], 201)
            # Why 240 s: the flow may wait (once, at most 30 s) for a time step no code has used yet.
            result = run_browser_script(self, "totp.mjs", timeout=240, BASE_URL=base)
            self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
            self.assertIn("totp browser tests passed", result.stdout)
            # The used recovery code, then the code that turned TOTP on: a replay while in its window.
            reason = re.search(r"old code refused as: (\w+)", result.stdout).group(1)
            failed = lambda: [l["reason"] for l in srv.logs("second_factor_failed")]
            reasons = eventually(lambda: len(failed()) >= 2 and failed()) or failed()
            self.assertEqual(reasons[0], "wrong", reasons)
            if reason != "unknown":
                self.assertEqual(reasons, ["wrong", reason])


if __name__ == "__main__":
    unittest.main()
