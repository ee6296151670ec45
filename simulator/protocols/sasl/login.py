"""LOGIN (draft-murchison-sasl-login-00): "Username:" then "Password:", each answered in the clear.

Never standardised, but what Outlook and many devices still send; the
challenges are the prompts themselves. RFC 4954 4 lets the user name come as
the initial response, and the exchange then starts at "Password:".
"""

from __future__ import annotations

from simulator.protocols.sasl.mechanism import Authenticator, SaslFailure, SaslSuccess

NAME = "LOGIN"
USERNAME = b"Username:"  # draft-murchison-sasl-login-00 2.1
PASSWORD = b"Password:"


class LoginServer:
    name = NAME

    def __init__(self, auth: Authenticator) -> None:
        self._auth = auth
        self._user: str | None = None

    def step(self, data: bytes | None) -> bytes | SaslSuccess:
        if self._user is None:
            if data is None:
                return USERNAME
            self._user = data.decode("utf-8", "replace")
            if not self._user:
                raise SaslFailure("empty user name")
            return PASSWORD
        if data is None:
            raise SaslFailure("no password given")
        if not self._auth.check_password(self._user, data.decode("utf-8", "replace")):
            raise SaslFailure("wrong user name or password")
        return SaslSuccess(self._user)


class LoginClient:
    name = NAME
    server_verified = True

    def __init__(self, user: str, password: str) -> None:
        self._answers = [user.encode(), password.encode()]

    def initial_response(self) -> bytes | None:
        return None  # the prompts come first (draft-murchison-sasl-login-00 2.1)

    def respond(self, challenge: bytes) -> bytes:
        if not self._answers:
            raise SaslFailure(f"unexpected third LOGIN challenge {challenge!r}")
        return self._answers.pop(0)
