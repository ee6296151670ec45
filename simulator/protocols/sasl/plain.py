"""PLAIN (RFC 4616): one message, ``[authzid] NUL authcid NUL passwd``, the password in the clear."""

from __future__ import annotations

from simulator.protocols.sasl.mechanism import Authenticator, SaslFailure, SaslSuccess

NAME = "PLAIN"


class PlainServer:
    name = NAME

    def __init__(self, auth: Authenticator) -> None:
        self._auth = auth

    def step(self, data: bytes | None) -> bytes | SaslSuccess:
        if data is None:
            return b""  # RFC 4616 2: the server sends an empty challenge first
        parts = data.split(b"\0")
        if len(parts) != 3:
            raise SaslFailure("malformed PLAIN message: expected authzid NUL authcid NUL password")
        authzid, authcid, password = (p.decode("utf-8", "replace") for p in parts)
        if not authcid or not password:
            raise SaslFailure("empty user name or password")
        if authzid and authzid.lower() != authcid.lower():
            # RFC 4616 2: a server may refuse to let one user act as another.
            raise SaslFailure(f"{authcid} may not act as {authzid}")
        if not self._auth.check_password(authcid, password):
            raise SaslFailure("wrong user name or password")
        return SaslSuccess(authcid)


class PlainClient:
    name = NAME
    server_verified = True  # PLAIN has no server proof

    def __init__(self, user: str, password: str, authzid: str = "") -> None:
        self._message = f"{authzid}\0{user}\0{password}".encode()

    def initial_response(self) -> bytes | None:
        return self._message

    def respond(self, challenge: bytes) -> bytes:
        return self._message  # RFC 4616 2: the answer to the empty challenge
