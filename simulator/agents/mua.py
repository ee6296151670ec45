"""The mail client (MUA): composes a message and submits it to its provider; downloads mail with POP3."""

from __future__ import annotations

from dataclasses import dataclass

from simulator.mail.message import Attachment, build_message
from simulator.net.world import World
from simulator.protocols import sasl
from simulator.protocols.pop3.client import ActionResult, Download, Login, RetrievedMessage
from simulator.protocols.pop3.client import Quit as Pop3Quit
from simulator.protocols.pop3.replies import Pop3Reply
from simulator.protocols.registry import protocol
from simulator.protocols.smtp.client import MessageResult, OutgoingMessage, Quit, SendMessage
from simulator.protocols.smtp.replies import Reply

__all__ = ["Credentials", "MailClient", "MessageResult", "OutgoingMessage", "Retrieval", "Submission"]

SUBMISSION_PORT = 587  # RFC 6409
POP3_PORT = 110  # RFC 1939 3


@dataclass(frozen=True, slots=True)
class Credentials:
    """How the user's client logs in to submission (RFC 4954): who, the password, the SASL mechanism."""

    user: str
    password: str
    mechanism: str = "PLAIN"


@dataclass(frozen=True, slots=True)
class Submission:
    connected: bool
    results: list[MessageResult]
    last_reply: Reply | None = None
    tls: bool = False  # the session ran over TLS (STARTTLS or implicit)
    authenticated: bool = False
    error: str = ""  # why the client itself gave up, if it did


@dataclass(frozen=True, slots=True)
class Retrieval:
    """What a POP3 download run got: the messages (with their UIDL) and every action's result."""

    connected: bool
    logged_in: bool
    messages: list[RetrievedMessage]
    results: list[ActionResult]
    last_reply: Pop3Reply | None = None


class MailClient:
    def __init__(self, world: World, host: str) -> None:
        self.world = world
        self.host = world.host(host)

    def compose(self, *, sender: str, to: list[str], subject: str, body: str, cc: list[str] | None = None,
                from_name: str = "", extra_headers: dict[str, str] | None = None, html: str | None = None,
                attachments: tuple[Attachment, ...] = (), eight_bit: bool = False) -> bytes:
        """The message as the client writes it; ``eight_bit`` lets text parts go as 8bit (RFC 6152)."""
        domain = sender.rpartition("@")[2]
        return build_message(
            sender=sender, to=to, cc=cc, subject=subject, body=body, from_name=from_name,
            date=self.world.clock.datetime(),
            message_id=f"<{self.world.rng.hex(16)}@{domain}>",
            extra_headers=extra_headers, html=html, attachments=attachments, eight_bit=eight_bit,
            boundary=lambda: self.world.rng.hex(24),
        )

    def submit(self, server: str, messages: list[OutgoingMessage], port: int = SUBMISSION_PORT, *,
               use_pipelining: bool = True, tls: str = "none", auth: Credentials | None = None) -> Submission:
        """Submit ``messages`` in one session; ``tls`` is the STARTTLS policy (RFC 3207), ``auth`` the login.

        As a user's client does: STARTTLS when the policy asks, then AUTH with the chosen
        mechanism (RFC 4954), then the mail. A SCRAM client nonce comes from the world's rng.
        """
        conn = self.world.connect(self.host.name, server, port)
        if conn is None:
            return Submission(False, [])
        mechanism = None
        if auth is not None:
            nonce = self.world.rng.hex(24) if auth.mechanism.upper() == "SCRAM-SHA-256" else ""
            mechanism = sasl.client_mechanism(auth.mechanism, auth.user, auth.password, nonce=nonce)
        client = protocol("smtp").new_client(helo_name=self.host.fqdn, use_pipelining=use_pipelining,
                                             tls=tls, auth=mechanism)
        client.tls_active = conn.tls  # implicit TLS (RFC 8314): up before the greeting
        for message in messages:  # asked before the greeting: nothing is sent until it comes
            client.send(SendMessage(message))
        client.send(Quit())
        conn.run_client(client)
        return Submission(True, client.results, client.last_reply, tls=client.tls_active,
                          authenticated=client.authenticated, error=client.error)

    def send(self, server: str, port: int, mail_from: str, rcpt_to: list[str], data: bytes, *,
             use_pipelining: bool = True, tls: str = "none", auth: Credentials | None = None) -> Submission:
        """Submit one message with envelope ``mail_from`` -> ``rcpt_to``."""
        return self.submit(server, [OutgoingMessage(mail_from, rcpt_to, data)], port,
                           use_pipelining=use_pipelining, tls=tls, auth=auth)

    def download(self, server: str, user: str, password: str, *, port: int = POP3_PORT, delete: bool = False,
                 method: str = "USER", skip_uids: frozenset[str] = frozenset()) -> Retrieval:
        """Log in with POP3, retrieve every message not in ``skip_uids``, delete them if ``delete``, QUIT.

        ``method``: "USER" (USER/PASS), "APOP", or a SASL mechanism for AUTH (RFC 5034 4): "PLAIN",
        "LOGIN", "CRAM-MD5", "SCRAM-SHA-256" (its client nonce from the world's rng). Without
        ``delete`` the messages stay on the server ("leave a copy on the server"), and a
        later run passes the unique ids it has seen as ``skip_uids`` to fetch only new mail.
        """
        conn = self.world.connect(self.host.name, server, port)
        if conn is None:
            return Retrieval(False, False, [], [])
        client = protocol("pop3").new_client()
        nonce = self.world.rng.hex(24) if method == "SCRAM-SHA-256" else ""
        login = Login(user, password, method, nonce=nonce)
        for action in (login, Download(delete=delete, skip_uids=skip_uids), Pop3Quit()):
            client.send(action)  # asked before the greeting: nothing is sent until it comes
        conn.run_client(client)
        return Retrieval(True, client.logged_in, client.messages, client.results, client.last_reply)
