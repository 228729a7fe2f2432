#!/usr/bin/python3
"""Independent JOSE implementation for cloakroom's interop tests (PyJWT + cryptography, Debian packages).

    python_interop.py verify PUBLIC_JWKS_FILE ISSUER AUDIENCE TOKEN...   one line per token: "ok ALG" or "error MESSAGE"
    python_interop.py sign PRIVATE_JWKS_FILE ISSUER AUDIENCE SUBJECT     one "ALG TOKEN" line per key
"""
import json
import sys
import time
import uuid

import jwt


def main():
    command, path, issuer, audience, *rest = sys.argv[1:]
    with open(path) as f:
        keys = json.load(f)["keys"]
    if command == "verify":
        by_kid = {k["kid"]: k for k in keys}
        for token in rest:
            try:
                header = jwt.get_unverified_header(token)
                entry = by_kid[header["kid"]]
                jwk = jwt.PyJWK(entry, algorithm=entry["alg"])
                jwt.decode(token, jwk.key, algorithms=[entry["alg"]], issuer=issuer, audience=audience,
                           options={"require": ["exp", "iss", "aud", "sub"]})
                print("ok", header["alg"])
            except Exception as e:  # report, do not stop: one line per token
                print("error", type(e).__name__, e)
    elif command == "sign":
        subject = rest[0]
        now = int(time.time())
        for k in keys:
            jwk = jwt.PyJWK(k, algorithm=k["alg"])
            claims = {"iss": issuer, "aud": audience, "sub": subject, "iat": now, "nbf": now, "exp": now + 300,
                      "jti": str(uuid.uuid4()), "username": "interop", "roles": ["tester"]}
            token = jwt.encode(claims, jwk.key, algorithm=k["alg"], headers={"kid": k["kid"], "typ": "at+jwt"})
            print(k["alg"], token)
    else:
        sys.exit(2)


if __name__ == "__main__":
    main()
