"""What every SASL (RFC 4422) mechanism shares: the interfaces, the verdicts, the wire wrapping.

A protocol machine decodes the base64 its protocol wraps around each SASL
message (:func:`decode_response`), hands the raw bytes to a
:class:`ServerMechanism` and encodes what comes back: a challenge (bytes) to
send, or :class:`SaslSuccess` naming who logged in. A failure raises
:class:`SaslFailure`; the machine answers with its own protocol's error
(IMAP ``NO``, POP3 ``-ERR``, SMTP ``535``).

The mechanism never sees a password store: it asks an :class:`Authenticator`
(the mail host) whether a user's password is right, or, for the
challenge-response mechanisms (CRAM-MD5, SCRAM), a :class:`SecretKeeper` for
the secret itself. What a mechanism needs of the server's world (its name, a
seeded random source, the clock) comes in a :class:`ServerContext`, so every
challenge is deterministic for a seed.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


class Authenticator(Protocol):
    def check_password(self, user: str, password: str) -> bool: ...


class SecretKeeper(Authenticator, Protocol):
    def shared_secret(self, user: str) -> str | None:
        """The user's secret (the password), None for no such user."""
        ...


class Randomness(Protocol):
    """The world's seeded generator (net.clock.SeededRandom)."""

    def randint(self, a: int, b: int) -> int: ...

    def hex(self, n: int) -> str: ...


@dataclass(frozen=True, slots=True)
class ServerContext:
    """What a server mechanism may use besides the users' secrets."""

    hostname: str
    rng: Randomness
    clock: Callable[[], float]  # Unix seconds, the world's virtual clock
    scram_seed: bytes = b"mailsim"  # each user's SCRAM salt is derived from it (scram.salt_for)
    scram_iterations: int = 4096  # RFC 7677 4: at least 4096


@dataclass(frozen=True, slots=True)
class SaslSuccess:
    user: str  # the authenticated identity, as the user typed it
    server_final: bytes | None = None  # data sent with the success, if the mechanism has any


class SaslFailure(Exception):
    """The exchange failed; ``str()`` says why, in words for the transcript."""


class MalformedResponse(SaslFailure):
    """A line that is not base64 (RFC 4954 4: 501; RFC 9051 6.2.2: BAD)."""


class SaslCancelled(SaslFailure):
    """The client answered ``*`` (RFC 4422 3.5: the client aborts the exchange)."""


@dataclass(frozen=True, slots=True)
class DerivationStep:
    """One step of a mechanism's computation, for the teaching view."""

    name: str  # "SaltedPassword"
    formula: str  # "Hi(Normalize(password), salt, i)"
    value: bytes
    rfc: str = ""

    def text(self) -> str:
        return f"{self.name} := {self.formula} = {self.value.hex()}"


class ServerMechanism(Protocol):
    name: str

    def step(self, data: bytes | None) -> bytes | SaslSuccess:
        """The client's next message (``None``: no initial response was sent).

        Returns the challenge to send, or SaslSuccess; raises SaslFailure.
        """
        ...


class ClientMechanism(Protocol):
    name: str

    def initial_response(self) -> bytes | None:
        """What the client sends with the command (RFC 4422 3.3), None if it must wait for a challenge."""
        ...

    def respond(self, challenge: bytes) -> bytes:
        """The answer to a server challenge; raises SaslFailure if the server cannot be trusted."""
        ...

    @property
    def server_verified(self) -> bool:
        """Whether the server proved itself (SCRAM's ServerSignature); True where a mechanism has no such proof."""
        ...


CANCEL = "*"  # RFC 4422 3.5, RFC 4954 4, RFC 9051 6.2.2, RFC 5034 4


def encode(data: bytes, *, initial: bool = False) -> str:
    """The base64 of a SASL message; an empty initial response is ``=`` (RFC 4954 4, RFC 4959 3)."""
    if initial and not data:
        return "="
    return base64.b64encode(data).decode("ascii")


def decode_response(text: str, *, initial: bool = False) -> bytes:
    """A client's base64 line: the bytes, SaslCancelled for ``*``, MalformedResponse for anything not base64."""
    if text == CANCEL:
        raise SaslCancelled("the client cancelled the exchange with *")
    if initial and text == "=":
        return b""
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise MalformedResponse(f"not base64: {text[:40]!r}") from None


class ClientExchange:
    """The client side of one SASL exchange, as every protocol runs it (RFC 4422 3).

    :meth:`command` makes the command line (``AUTH PLAIN``, ``a1 AUTHENTICATE
    PLAIN``), with the mechanism's initial response on it where the protocol
    allows; an initial response left off waits for the server's first (empty)
    challenge. :meth:`answer` turns each challenge line into the base64 line to
    send, or :data:`CANCEL` when the mechanism gives up (the failure is kept in
    :attr:`failure` for the client to report).
    """

    def __init__(self, mechanism: ClientMechanism) -> None:
        self.mechanism = mechanism
        self.failure: SaslFailure | None = None
        self._initial_pending = False  # the initial response waits for the first challenge

    @property
    def name(self) -> str:
        return self.mechanism.name

    @property
    def server_verified(self) -> bool:
        return self.mechanism.server_verified

    @property
    def initial_pending(self) -> bool:
        """Whether the initial response was left off the command and goes with the first challenge."""
        return self._initial_pending

    def command(self, line: str, *, inline: bool = True, limit: int | None = None) -> str:
        """``line`` with the initial response (``=`` for an empty one) if ``inline`` and the whole
        line with its CRLF fits in ``limit``; else ``line`` alone, the response kept for the first challenge."""
        initial = self.mechanism.initial_response()
        if initial is not None and inline:
            with_initial = f"{line} {encode(initial, initial=True)}"
            if limit is None or len(with_initial) + 2 <= limit:
                self._initial_pending = False
                return with_initial
        self._initial_pending = initial is not None
        return line

    def answer(self, challenge: str) -> str:
        """The line answering a challenge (its base64 text): the pending initial response, else the
        mechanism's reply; :data:`CANCEL` if the challenge is not base64 or the mechanism refuses it."""
        try:
            decoded = decode_response(challenge)
            if self._initial_pending:
                self._initial_pending = False
                reply = self.mechanism.initial_response() or b""
            else:
                reply = self.mechanism.respond(decoded)
        except SaslFailure as exc:
            self.failure = exc
            return CANCEL
        return encode(reply)
