"""SMTP as the registry knows it (RFC 5321; submission RFC 6409; implicit TLS RFC 8314)."""

from __future__ import annotations

from typing import Any

from simulator.protocols import sasl
from simulator.protocols.smtp import states as S
from simulator.protocols.smtp.client import ReplyReader, SmtpClient
from simulator.protocols.smtp.framing import SmtpFramer
from simulator.protocols.smtp.replies import R, Reply
from simulator.protocols.smtp.server import Session, SmtpPolicy, SmtpServer, SmtpServerConfig
from simulator.protocols.spec import ProtocolSpec, ServiceInfo
from simulator.protocols.stripping import SmtpStripper

# A scenario's fault replaces the reply to one of these (DATA: the reply at the final dot).
FAULT_STAGES = ("MAIL", "RCPT", "DATA")


def new_server(*, hostname: str, policy: SmtpPolicy, peer_host: str = "", peer_addr: str = "",
               conn: str = "", starttls: bool = False, tls: bool = False,
               auth: sasl.SecretKeeper | None = None, sasl_context: sasl.ServerContext | None = None,
               **limits: Any) -> SmtpServer:
    """A server machine for ``hostname`` on connection ``conn``; ``limits`` are :class:`SmtpServerConfig` fields.

    ``starttls`` adds STARTTLS (RFC 3207) to what EHLO offers; ``auth_mechanisms`` (with
    ``auth``, the host that checks credentials) adds AUTH (RFC 4954). ``tls``: the
    connection runs TLS from its first byte (submissions, RFC 8314 3.3), so STARTTLS
    is not offered and the session counts as protected.
    """
    config = SmtpServerConfig(hostname=hostname, **limits)
    if starttls and not tls and "STARTTLS" not in config.extensions:
        config.extensions = (*config.extensions, "STARTTLS")
    if config.auth_mechanisms and auth is not None and "AUTH" not in config.extensions:
        config.extensions = (*config.extensions, "AUTH")
    return SmtpServer(config, policy, Session(peer_host=peer_host, peer_addr=peer_addr, tls=tls), conn=conn,
                      auth=auth, sasl_context=sasl_context)


def new_client(*, helo_name: str, messages: list | None = None, use_pipelining: bool = True,
               tls: str = "none", auth: sasl.ClientMechanism | None = None) -> SmtpClient:
    """A client; with ``messages`` it sends them and quits, else it is driven with ``send()``.

    ``tls``: "none", "opportunistic" or "required" (RFC 3207); ``auth``: the SASL client
    mechanism AUTH logs in with (RFC 4954), None for no login.
    """
    return SmtpClient(helo_name, messages, use_pipelining=use_pipelining, tls=tls, auth=auth)


def make_reply(code: int, text: str, enhanced: str = "") -> Reply:
    return Reply(code, (text,), enhanced)


def busy_reply(hostname: str) -> bytes:
    return R.TOO_MANY_CONNECTIONS.format(hostname).to_bytes()


SMTP = ProtocolSpec(
    name="smtp",
    server_table=S.SERVER_TABLE,
    client_table=S.CLIENT_TABLE,
    services=(
        ServiceInfo("smtp", 25, doc="mail between servers (RFC 5321)"),
        ServiceInfo("submission", 587, doc="mail from clients, STARTTLS (RFC 6409)"),
        ServiceInfo("submissions", 465, implicit_tls=True, doc="submission over implicit TLS (RFC 8314)"),
    ),
    fault_stages=FAULT_STAGES,
    new_server=new_server,
    new_client=new_client,
    reply_reader=ReplyReader,
    framer=SmtpFramer,
    make_reply=make_reply,
    busy_reply=busy_reply,
    offer_stripper=SmtpStripper,
    doc="Simple Mail Transfer Protocol",
)
