"""RFC 6238 codes (SHA-1, 6 digits, 30 s) computed as an authenticator app would, for the tests that
sign in with a second factor (test_totp, test_second_factor, the proxy guides' step-up check).

    codes = Codes(enrol["secret"])      # the base32 secret POST /auth/totp/enroll answered
    confirm({"code": codes.next()})     # each next() a later step: the server takes each step once
    totp(secret, int(time.time()) // 30)
"""
import base64
import hashlib
import hmac
import struct
import time


def totp(secret_b32, step):
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF) % 1000000)


class Codes:
    """Right codes, each for a later step than the one before (the server takes each step once): the
    previous step first, so three are usable within one 30-second step without waiting."""

    def __init__(self, secret):
        self.secret = secret
        self.next_step = int(time.time()) // 30 - 1

    def next(self):
        now = int(time.time()) // 30
        step = max(self.next_step, now - 1)
        if step > now + 1:  # used up the window: wait for the clock
            time.sleep((step - 1) * 30 - time.time() + 0.5)
        self.next_step = step + 1
        return totp(self.secret, step)

    def wrong(self):
        now = int(time.time()) // 30
        right = {totp(self.secret, s) for s in range(now - 2, now + 3)}
        return next(c for c in ("000000", "111111", "222222", "333333") if c not in right)
