"""SASL (RFC 4422) for SMTP AUTH (RFC 4954), IMAP AUTHENTICATE (RFC 9051 6.2.2) and POP3 AUTH (RFC 5034).

The mechanisms, each in its module with its server and client side:
PLAIN (RFC 4616), LOGIN (draft-murchison-sasl-login), CRAM-MD5 (RFC 2195)
and SCRAM-SHA-256 (RFC 7677). :func:`server_mechanism` makes a fresh server
side, :func:`client_mechanism` a client side, which a
:class:`ClientExchange` runs through one exchange; :func:`available` is which of a
server's configured mechanisms it offers now (no PLAIN or LOGIN before TLS
unless allowed; CRAM-MD5 and SCRAM only with a :class:`ServerContext`);
:func:`mechanisms` is what :func:`server_mechanism` takes when the caller
names none (PLAIN, the one that needs only ``check_password``), :data:`ALL`
every mechanism known here (what IMAP and POP3 servers offer by default).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from simulator.protocols.sasl.cram_md5 import CramMd5Client, CramMd5Server
from simulator.protocols.sasl.login import LoginClient, LoginServer
from simulator.protocols.sasl.mechanism import (
    CANCEL,
    Authenticator,
    ClientExchange,
    ClientMechanism,
    DerivationStep,
    MalformedResponse,
    Randomness,
    SaslCancelled,
    SaslFailure,
    SaslSuccess,
    SecretKeeper,
    ServerContext,
    ServerMechanism,
    decode_response,
    encode,
)
from simulator.protocols.sasl.plain import PlainClient, PlainServer
from simulator.protocols.sasl.scram import ScramClient, ScramServer

Plain = PlainServer  # the name the first SASL module gave it

__all__ = [
    "ALL", "CANCEL", "Authenticator", "ClientExchange", "ClientMechanism", "DerivationStep", "MalformedResponse", "Mechanism",
    "Plain", "Randomness", "SaslCancelled", "SaslFailure", "SaslSuccess", "SecretKeeper", "ServerContext",
    "ServerMechanism", "available", "client_mechanism", "decode_response", "encode", "mechanisms", "server_mechanism",
]


@dataclass(frozen=True, slots=True)
class Mechanism:
    name: str
    rfc: str
    plaintext: bool  # the password crosses the wire (base64 is no protection): offer only over TLS
    needs_context: bool  # a challenge of the server's making (CRAM-MD5, SCRAM): needs a ServerContext
    server: Callable[..., ServerMechanism]  # (auth) or (auth, context)
    client: Callable[..., ClientMechanism]  # (user, password) or (user, password, nonce)
    server_first: bool = False  # the server speaks first: an initial response is a protocol error (CRAM-MD5)


MECHANISMS: dict[str, Mechanism] = {m.name: m for m in (
    Mechanism("PLAIN", "RFC 4616", True, False, PlainServer, PlainClient),
    Mechanism("LOGIN", "draft-murchison-sasl-login-00", True, False, LoginServer, LoginClient),
    Mechanism("CRAM-MD5", "RFC 2195", False, True, CramMd5Server, CramMd5Client, server_first=True),
    Mechanism("SCRAM-SHA-256", "RFC 7677", False, True, ScramServer, ScramClient),
)}
ALL: tuple[str, ...] = tuple(MECHANISMS)
DEFAULT: tuple[str, ...] = ("PLAIN",)


def mechanisms() -> tuple[str, ...]:
    """What :func:`server_mechanism` takes when no ``offered`` is given: PLAIN, which needs only ``check_password``."""
    return DEFAULT


def available(names: tuple[str, ...], *, tls: bool, plaintext_auth: bool,
              context: ServerContext | None) -> tuple[str, ...]:
    """Which of ``names`` a server offers now: the password-in-the-clear ones (PLAIN, LOGIN) only
    over TLS unless ``plaintext_auth``, the challenge-response ones only with a ``context``."""
    return tuple(n for n in names if n in MECHANISMS
                 and (context is not None or not MECHANISMS[n].needs_context)
                 and (tls or plaintext_auth or not MECHANISMS[n].plaintext))


def server_mechanism(name: str, auth: Authenticator, context: ServerContext | None = None, *,
                     offered: tuple[str, ...] | None = None) -> ServerMechanism:
    """A fresh server side of mechanism ``name``; KeyError if it is not among ``offered`` (default :func:`mechanisms`).

    CRAM-MD5 and SCRAM need ``context`` (and an ``auth`` that is a :class:`SecretKeeper`).
    """
    name = name.upper()
    if name not in (mechanisms() if offered is None else offered) or name not in MECHANISMS:
        raise KeyError(name)
    mech = MECHANISMS[name]
    if mech.needs_context:
        if context is None:
            raise KeyError(name)
        return mech.server(auth, context)
    return mech.server(auth)


def client_mechanism(name: str, user: str, password: str, *, nonce: str = "") -> ClientMechanism:
    """The client side of ``name`` for ``user``; SCRAM needs the client ``nonce``. KeyError if unknown."""
    mech = MECHANISMS[name.upper()]
    if mech.name == ScramClient.name:
        return ScramClient(user, password, nonce)
    return mech.client(user, password)
