"""SASL (RFC 4422) server mechanisms, shared by SMTP AUTH, IMAP AUTHENTICATE and POP3 AUTH.

A protocol machine decodes the base64 its protocol wraps around each SASL
message, hands the raw bytes to a :class:`ServerMechanism` and encodes what
comes back: a challenge (bytes) to send, or :class:`SaslSuccess` naming who
logged in. A failure raises :class:`SaslFailure`; the machine answers with its
own protocol's error (IMAP ``NO``, POP3 ``-ERR``, SMTP ``535``).

The mechanism never sees passwords in a store: it asks an
:class:`Authenticator` (the mail host) whether a user's password is right.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


class Authenticator(Protocol):
    def check_password(self, user: str, password: str) -> bool: ...


@dataclass(frozen=True, slots=True)
class SaslSuccess:
    user: str  # the authenticated identity, as the user typed it
    server_final: bytes | None = None  # data sent with the success, if the mechanism has any


class SaslFailure(Exception):
    """The exchange failed; ``str()`` says why, in words for the transcript."""


class ServerMechanism(Protocol):
    name: str

    def step(self, data: bytes | None) -> bytes | SaslSuccess:
        """The client's next message (``None``: no initial response was sent).

        Returns the challenge to send, or SaslSuccess; raises SaslFailure.
        """
        ...


class Plain:
    """PLAIN (RFC 4616): one message, ``[authzid] NUL authcid NUL passwd``."""

    name = "PLAIN"

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


MECHANISMS: dict[str, Callable[[Authenticator], ServerMechanism]] = {"PLAIN": Plain}


def server_mechanism(name: str, auth: Authenticator) -> ServerMechanism:
    """A fresh server side of mechanism ``name`` (upper case); KeyError if unknown."""
    return MECHANISMS[name.upper()](auth)


def mechanisms() -> tuple[str, ...]:
    return tuple(MECHANISMS)
