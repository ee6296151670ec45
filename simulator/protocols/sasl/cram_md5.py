"""CRAM-MD5 (RFC 2195): the server sends ``<pid.clock@host>``; the client answers ``user HMAC-MD5(secret, challenge)``.

The password never crosses the wire, but the server must keep it
recoverable (it needs the secret, not a hash of it), and a recorded exchange
can be attacked offline: which is why RFC 8314 era advice prefers TLS with
PLAIN, or SCRAM.
"""

from __future__ import annotations

import hashlib
import hmac

from simulator.protocols.sasl.mechanism import SaslFailure, SaslSuccess, SecretKeeper, ServerContext

NAME = "CRAM-MD5"


def challenge_for(context: ServerContext) -> bytes:
    """RFC 2195 2: "the presumptively arbitrary string ... <pid.clock@hostname>", here from the seeded world."""
    pid = context.rng.randint(1000, 99999)
    return f"<{pid}.{int(context.clock())}@{context.hostname}>".encode("ascii")


def digest(secret: str, challenge: bytes) -> str:
    """RFC 2195 2: the keyed MD5 (RFC 2104 HMAC) of the challenge, in lower-case hex."""
    return hmac.new(secret.encode(), challenge, hashlib.md5).hexdigest()


class CramMd5Server:
    name = NAME

    def __init__(self, auth: SecretKeeper, context: ServerContext) -> None:
        self._auth = auth
        self._challenge = challenge_for(context)
        self._sent = False

    def step(self, data: bytes | None) -> bytes | SaslSuccess:
        if not self._sent:
            if data:
                raise SaslFailure("CRAM-MD5 takes no initial response: the server speaks first (RFC 2195 2)")
            self._sent = True
            return self._challenge
        if data is None:
            raise SaslFailure("no CRAM-MD5 response")
        user, sep, answer = data.decode("utf-8", "replace").rpartition(" ")
        if not sep or not user:
            raise SaslFailure("malformed CRAM-MD5 response: expected user SP digest")
        secret = self._auth.shared_secret(user)
        if secret is None or not hmac.compare_digest(digest(secret, self._challenge), answer.lower()):
            raise SaslFailure("wrong user name or password")
        return SaslSuccess(user)


class CramMd5Client:
    name = NAME
    server_verified = True

    def __init__(self, user: str, password: str) -> None:
        self._user, self._password = user, password

    def initial_response(self) -> bytes | None:
        return None

    def respond(self, challenge: bytes) -> bytes:
        return f"{self._user} {digest(self._password, challenge)}".encode()
