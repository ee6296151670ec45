"""IMAP as the registry knows it (RFC 9051; implicit TLS on 993, RFC 8314)."""

from __future__ import annotations

from typing import Any

from simulator.protocols.imap import states as S
from simulator.protocols.imap.client import ImapClient, ResponseReader
from simulator.protocols.imap.framing import ImapFramer
from simulator.protocols.imap.responses import Status, T
from simulator.protocols.imap.server import ImapPolicy, ImapServer, ImapServerConfig
from simulator.protocols.spec import ProtocolSpec, ServiceInfo
from simulator.protocols.stripping import ImapStripper

# A scenario's fault replaces the tagged answer to one of these commands.
FAULT_STAGES = ("LOGIN", "SELECT", "FETCH", "STORE", "APPEND")


def new_server(*, hostname: str, policy: ImapPolicy, peer_host: str = "", conn: str = "",
               **settings: Any) -> ImapServer:
    """A server machine for ``hostname`` on connection ``conn``; ``settings`` are :class:`ImapServerConfig` fields."""
    return ImapServer(ImapServerConfig(hostname=hostname, **settings), policy, peer_host=peer_host, conn=conn)


def new_client() -> ImapClient:
    """A client driven with ``send(Login(...))``, ``send(Select(...))``, ... (see client.py)."""
    return ImapClient()


def make_reply(code: int, text: str, enhanced: str = "") -> Status:
    """A fault's answer: ``NO`` with ``enhanced`` as its response code; a 4xx code without one
    is a temporary failure, ``[UNAVAILABLE]`` (RFC 5530 3). The server puts the command's tag on it."""
    response_code = enhanced or ("UNAVAILABLE" if 400 <= code < 500 else "")
    return Status("*", "NO", text, response_code)


def busy_reply(hostname: str) -> bytes:
    """RFC 9051 7.1.5: a server refusing a connection says BYE (RFC 5530 3: UNAVAILABLE)."""
    return Status("*", "BYE", f"{hostname} {T.BUSY}", "UNAVAILABLE").to_bytes()


IMAP = ProtocolSpec(
    name="imap",
    server_table=S.SERVER_TABLE,
    client_table=S.CLIENT_TABLE,
    services=(
        ServiceInfo("imap", 143, doc="mailbox access (RFC 9051)"),
        ServiceInfo("imaps", 993, implicit_tls=True, doc="IMAP over implicit TLS (RFC 8314)"),
    ),
    fault_stages=FAULT_STAGES,
    new_server=new_server,
    new_client=new_client,
    reply_reader=ResponseReader,
    framer=ImapFramer,
    make_reply=make_reply,
    busy_reply=busy_reply,
    offer_stripper=ImapStripper,
    doc="Internet Message Access Protocol",
)
