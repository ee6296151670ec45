"""POP3 as the registry knows it (RFC 1939; implicit TLS on 995, RFC 8314)."""

from __future__ import annotations

from typing import Any

from simulator.protocols.pop3 import states as S
from simulator.protocols.pop3.client import Pop3Client
from simulator.protocols.pop3.framing import Pop3Framer
from simulator.protocols.pop3.reader import ResponseReader
from simulator.protocols.pop3.replies import RESPONSE_CODES, Pop3Reply, R, err
from simulator.protocols.pop3.server import (
    FaultHook,
    LoginLog,
    Pop3Authenticator,
    Pop3Server,
    Pop3ServerConfig,
    Pop3Store,
)
from simulator.protocols.spec import ProtocolSpec, ServiceInfo
from simulator.protocols.stripping import Pop3Stripper

# A scenario's fault replaces the response to one of these. PASS stands for the login
# verdict, whichever way the client logs in (PASS, APOP or AUTH).
FAULT_STAGES = ("USER", "PASS", "RETR", "DELE")


def new_server(*, hostname: str, store: Pop3Store, auth: Pop3Authenticator, apop_timestamp: str = "",
               fault: FaultHook | None = None, conn: str = "", tls: bool = False, logins: LoginLog | None = None,
               **config: Any) -> Pop3Server:
    """A server machine for ``hostname``; ``config`` are further :class:`Pop3ServerConfig` fields."""
    return Pop3Server(Pop3ServerConfig(hostname, apop_timestamp=apop_timestamp, **config), store, auth,
                      fault=fault, conn=conn, tls=tls, logins=logins)


def new_client(**kwargs: Any) -> Pop3Client:
    """A client driven with ``send()``: see :class:`Pop3Client`."""
    return Pop3Client(**kwargs)


def make_reply(code: int, text: str, enhanced: str = "") -> Pop3Reply:
    """A scenario's fault as POP3 says it: always -ERR (RFC 1939 has no reply numbers).

    ``enhanced`` may name an RFC 2449 / RFC 3206 response code (IN-USE, AUTH, ...);
    otherwise a 4xx becomes [SYS/TEMP] and a 5xx [SYS/PERM] (RFC 3206 4).
    """
    resp = enhanced.strip("[]").upper()
    if resp not in RESPONSE_CODES:
        resp = "SYS/TEMP" if code < 500 else "SYS/PERM"
    return err(text, resp)


def busy_reply(hostname: str) -> bytes:
    return R.TOO_MANY_CONNECTIONS.format(hostname).to_bytes()


POP3 = ProtocolSpec(
    name="pop3",
    server_table=S.SERVER_TABLE,
    client_table=S.CLIENT_TABLE,
    services=(
        ServiceInfo("pop3", 110, doc="mail download (RFC 1939)"),
        ServiceInfo("pop3s", 995, implicit_tls=True, doc="POP3 over implicit TLS (RFC 8314)"),
    ),
    fault_stages=FAULT_STAGES,
    new_server=new_server,
    new_client=new_client,
    reply_reader=ResponseReader,
    framer=Pop3Framer,
    make_reply=make_reply,
    busy_reply=busy_reply,
    offer_stripper=Pop3Stripper,
    doc="Post Office Protocol version 3",
)
