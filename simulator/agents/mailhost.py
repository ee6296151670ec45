"""The mail software on a server host: submission (MSA), MX reception, local delivery (MDA)."""

from __future__ import annotations

import email.utils
import hmac
import ipaddress
from collections import deque
from dataclasses import dataclass, field

from simulator.agents import senderauth
from simulator.agents.dns_adapter import VirtualResolver
from simulator.agents.faults import FaultBoard
from simulator.mail.message import header, make_message_id, prepend_header
from simulator.mail.queue import OutboundQueue
from simulator.mail.store import INBOX, MailStore
from simulator.mail.trace_headers import received_header, return_path_header
from simulator.net.world import Host, Peer, ServerMachine, Service, World
from simulator.protocols import sasl
from simulator.protocols.registry import protocol
from simulator.protocols.smtp.address import domain_of
from simulator.protocols.smtp.replies import R, Reply
from simulator.protocols.smtp.server import Envelope, Session
from simulator.security.dkim import DkimSigner
from simulator.trace import CheckStep

SUBMISSION = "submission"  # RFC 6409: clients hand over new mail
MX = "mx"  # RFC 5321: other servers relay mail to us
MAX_REPORT_ROWS = 10_000  # DMARC aggregate report rows an MX keeps (the oldest go first)

# What VRFY does (RFC 5321 3.5): "verify" looks the user up for real (250 / 550, 3.5.3);
# "disabled" answers 252 without looking, as 7.3 requires of a site that turns VRFY off;
# "refused" answers 502 5.5.1, as Postfix's disable_vrfy_command=yes does.
VRFY_MODES = ("verify", "disabled", "refused")


@dataclass
class MailHostConfig:
    local_domains: set[str] = field(default_factory=set)
    max_message_size: int = 10 * 1024 * 1024
    max_recipients: int = 100
    # What EHLO offers (see protocols/smtp/extensions.py); None: the server's default set.
    smtp_extensions: tuple[str, ...] | None = None
    # Clients on these networks may submit without logging in: RFC 6409 4.3's
    # "protected subnetwork" (Postfix's permit_mynetworks). Everyone else gets 530.
    trusted_networks: list[str] = field(default_factory=list)
    vrfy: str = "verify"  # one of VRFY_MODES
    starttls: bool = False  # offer STARTTLS (RFC 3207) besides smtp_extensions (or the default set)
    # SMTP AUTH on submission (RFC 4954): the SASL mechanisms offered there (empty: no AUTH).
    submission_auth: tuple[str, ...] = ()
    plaintext_auth: bool = False  # offer PLAIN and LOGIN before TLS too (RFC 4954 4 says not to)
    # IMAP AUTHENTICATE and POP3 AUTH (RFC 9051 6.2.2, RFC 5034 4): the mechanisms offered, and whether
    # LOGIN, USER/PASS and PLAIN work before TLS (False: Dovecot's disable_plaintext_auth).
    mailbox_auth: tuple[str, ...] = sasl.ALL
    mailbox_plaintext_auth: bool = True
    pop3_login_delay: int = 0  # seconds between two POP3 logins of a user (RFC 2449 6.5); 0: none
    # DKIM signers by the author domain they sign for (the submission server signs, RFC 6376 5)
    dkim_signers: dict[str, DkimSigner] = field(default_factory=dict)

    def trusts(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in ipaddress.ip_network(net, strict=False) for net in self.trusted_networks)


class MailHost:
    def __init__(self, world: World, host: Host, config: MailHostConfig, faults: FaultBoard,
                 sent_bodies: dict[str, bytes] | None = None) -> None:
        self.world = world
        self.host = host
        self.config = config
        self.faults = faults
        self.store = MailStore(host.name, on_change=world.record)
        self.queue = OutboundQueue(host.name, on_change=world.record)
        self.passwords: dict[str, str] = {}
        self.on_queued: list = []  # callbacks run after a message is queued (serve relays at once)
        self._pop3_logins: dict[str, float] = {}  # user -> virtual time of the last POP3 login
        # The body every DKIM signature of this world was made over, by b= value: the simulator
        # saw both hops, so a verifier can name the byte that changed (shared by the world's hosts).
        self.sent_bodies: dict[str, bytes] = {} if sent_bodies is None else sent_bodies
        # The aggregate report rows this MX owes (RFC 9990), the latest MAX_REPORT_ROWS (a long `mailsim serve`)
        self.dmarc_rows: deque[senderauth.ReportRow] = deque(maxlen=MAX_REPORT_ROWS)
        # The server software this host runs, by protocol: (role, peer) -> a server machine.
        self._servers = {"smtp": self.smtp_server, "pop3": self.pop3_server, "imap": self.imap_server}
        for domain in config.local_domains:
            self.store.add_user(f"postmaster@{domain}")  # RFC 5321 4.5.1

    @property
    def name(self) -> str:
        return self.host.name

    def add_user(self, address: str, password: str) -> None:
        self.store.add_user(address)
        self.passwords[address.lower()] = password

    def check_password(self, user: str, password: str) -> bool:
        """The :class:`~simulator.protocols.sasl.Authenticator` every login asks (users log in with their address)."""
        known = self.passwords.get(user.lower())
        return known is not None and hmac.compare_digest(known.encode(), password.encode())

    def shared_secret(self, user: str) -> str | None:
        """The secret APOP's digest is made with (RFC 1939 7): the password itself.

        A challenge-response login needs the server to know the secret, not a hash
        of it: which is why such mechanisms make a server keep passwords recoverable.
        """
        return self.passwords.get(user.lower())

    def addresses_of(self, login: str) -> set[str]:
        """The sender addresses a login owns: in this world a login is its own address."""
        return {login.lower()} if login.lower() in self.passwords else set()

    def is_local(self, address: str) -> bool:
        return domain_of(address) in self.config.local_domains

    def listen(self, protocol_name: str, port: int, role: str = "") -> Service:
        """Offer ``protocol_name`` on ``port``; the service is named after the registry's entry.

        ``role`` says what the server is for where the protocol has several
        (SMTP: :data:`SUBMISSION` or :data:`MX`); by default it follows the
        service of that port (587 and 465 are submission).
        """
        spec = protocol(protocol_name)
        info = spec.service_on(port)
        name = info.name if info else spec.name
        builder = self._servers.get(spec.name)
        if builder is None:
            raise ValueError(f"{self.name} runs no {spec.name} server software")
        role = role or (SUBMISSION if name.startswith("submission") else MX)
        service = Service(name, port, lambda peer: builder(role, peer),
                          implicit_tls=bool(info and info.implicit_tls))
        self.host.listen(service)
        return service

    def smtp_server(self, role: str, peer: Peer) -> ServerMachine:
        auth = {}
        if role == SUBMISSION and self.config.submission_auth:
            auth = {"auth": self, "sasl_context": self.sasl_context(),
                    "auth_mechanisms": self.config.submission_auth, "plaintext_auth": self.config.plaintext_auth}
        return protocol("smtp").new_server(
            hostname=self.host.fqdn, policy=SmtpHostPolicy(self, role),
            peer_host=peer.fqdn, peer_addr=peer.addr, conn=peer.conn,
            max_message_size=self.config.max_message_size,
            max_recipients=self.config.max_recipients, starttls=self.config.starttls, tls=peer.tls,
            **({} if self.config.smtp_extensions is None else {"extensions": self.config.smtp_extensions}),
            **auth,
        )

    def sasl_context(self) -> sasl.ServerContext:
        """What CRAM-MD5's challenge (RFC 2195) and SCRAM's nonce and salt (RFC 5802) are made from here."""
        return sasl.ServerContext(hostname=self.host.fqdn, rng=self.world.rng, clock=self.world.clock.timestamp,
                                  scram_seed=f"scram:{self.host.fqdn}".encode())

    def pop3_server(self, role: str, peer: Peer) -> ServerMachine:
        """POP3 on the maildrops of this host; the greeting's APOP timestamp is <pid.clock@host> (RFC 1939 7)."""
        pid = self.world.rng.randint(1000, 99999)
        stamp = f"<{pid}.{int(self.world.clock.timestamp())}@{self.host.fqdn}>"
        return protocol("pop3").new_server(
            hostname=self.host.fqdn, store=self.store, auth=self, apop_timestamp=stamp, conn=peer.conn,
            fault=lambda stage: self.faults.reply_for(self.name, stage, "pop3"),
            stls=self.config.starttls,  # STLS (RFC 2595 4) where the servers offer STARTTLS
            tls=peer.tls,  # pop3s (RFC 8314): TLS from the start, so no STLS on offer
            login_delay=self.config.pop3_login_delay, logins=self,
            mechanisms=self.config.mailbox_auth, sasl_context=self.sasl_context(),
            plaintext_auth=self.config.mailbox_plaintext_auth,
        )

    def seconds_since_login(self, user: str) -> float | None:
        """Virtual seconds since ``user``'s last POP3 login, None if there was none (LOGIN-DELAY)."""
        last = self._pop3_logins.get(user.lower())
        return None if last is None else self.world.clock.now() - last

    def logged_in(self, user: str) -> None:
        """A POP3 login of ``user`` succeeded now."""
        self._pop3_logins[user.lower()] = self.world.clock.now()

    def imap_server(self, role: str, peer: Peer) -> ServerMachine:
        """Mailbox access (RFC 9051): users log in with their address; the mailboxes are :attr:`store`."""
        return protocol("imap").new_server(
            hostname=self.host.fqdn, policy=ImapHostPolicy(self), peer_host=peer.fqdn, conn=peer.conn,
            append_limit=self.config.max_message_size,
            starttls=self.config.starttls and not peer.tls,  # RFC 9051 6.2.1, where the servers offer STARTTLS
            tls=peer.tls,  # imaps (RFC 8314): TLS from the start
            mechanisms=self.config.mailbox_auth, sasl_context=self.sasl_context(),
            plaintext_auth=self.config.mailbox_plaintext_auth,
        )

    def new_queue_id(self) -> str:
        return self.world.rng.hex(10)

    # --- what happens to an accepted message --------------------------------

    def accept(self, session: Session, envelope: Envelope, role: str) -> Reply:
        queue_id = self.new_queue_id()
        data = envelope.data
        verdict = senderauth.Verdict()
        if role == SUBMISSION:
            data = self._sign(self._complete_submission(data))
        else:
            verdict = self._check_incoming(session, envelope, data)
            if verdict.refusal is not None:
                return verdict.refusal
            data, forged = senderauth.without_forged_results(data, self.host.fqdn)
            if forged:
                self.world.record(CheckStep(host=self.name, check="dmarc", text=(
                    f"removed {forged} Authentication-Results field{'s' if forged > 1 else ''} that claimed "
                    f"to come from {self.host.fqdn}: only this server may write those (RFC 8601 5)")))
        data = prepend_header(data, "Received", received_header(
            helo=session.helo, peer_host=session.peer_host, peer_addr=session.peer_addr,
            by=self.host.fqdn, protocol=session.protocol, queue_id=queue_id,
            recipient=envelope.rcpt_to[0] if len(envelope.rcpt_to) == 1 else None,
            when=self.world.clock.datetime(),
        ))
        for name, value in verdict.fields:  # above our Received (RFC 7208 9.1, RFC 8601 5)
            data = prepend_header(data, name, value)
        if role == MX:
            # One copy per mailbox: the server collapses repeated recipients, and here
            # "Bob@example.net" and "bob@example.net" also reach the same mailbox.
            for mailbox in dict.fromkeys(self.mailbox_for(rcpt) for rcpt in envelope.rcpt_to):
                self.deliver_local(mailbox, envelope.mail_from, data, verdict.folder)
        else:
            self.queue.add(queue_id, envelope.mail_from, envelope.rcpt_to, data, self.world.clock.now())
            for callback in self.on_queued:
                callback(self)
        return R.QUEUED.format(queue_id)

    def _complete_submission(self, data: bytes) -> bytes:
        """RFC 6409 8.2, 8.3: the MSA may add a missing Date or Message-ID."""
        if not header(data, "Message-ID"):
            data = prepend_header(data, "Message-ID", make_message_id(self.world.rng.hex(16), self.host.fqdn))
        if not header(data, "Date"):
            data = prepend_header(data, "Date", email.utils.format_datetime(self.world.clock.datetime()))
        return data

    def _sign(self, data: bytes) -> bytes:
        """DKIM-sign a completed submission for its author's domain (see :mod:`senderauth`)."""
        signature = senderauth.sign(data, self.config.dkim_signers, self.name, self.world.clock.timestamp(),
                                    self.world.record)
        if signature.b:
            self.sent_bodies[signature.b] = signature.body
        return signature.message

    def _check_incoming(self, session: Session, envelope: Envelope, data: bytes) -> senderauth.Verdict:
        """SPF and DKIM of a message arriving at the MX, and what follows from them (see :mod:`senderauth`)."""
        checks = senderauth.check_incoming(
            data, client_ip=session.peer_addr, helo=session.helo, mail_from=envelope.mail_from,
            receiver=self.host.fqdn, host=self.name, resolver=VirtualResolver(self.world.dns, self.name),
            now=self.world.clock.timestamp(), record=self.world.record, sent_bodies=self.sent_bodies)
        domains = sorted({domain_of(rcpt) for rcpt in envelope.rcpt_to if "@" in rcpt})
        row = senderauth.report_row(checks, client_ip=session.peer_addr, envelope_to=domains[0] if domains else "",
                                    host=self.name, now=self.world.clock.timestamp(), record=self.world.record)
        if row is not None:
            self.dmarc_rows.append(row)
        return senderauth.verdict(checks, self.host.fqdn, self.name, self.world.record)

    def mailbox_for(self, rcpt: str) -> str:
        """The mailbox a local recipient ends in (a bare "postmaster" or an unknown user: postmaster)."""
        user = rcpt if "@" in rcpt else f"postmaster@{sorted(self.config.local_domains)[0]}"
        if not self.store.has_user(user):
            user = f"postmaster@{domain_of(user)}"
        return user.lower()

    def deliver_local(self, rcpt: str, mail_from: str, data: bytes, folder: str = INBOX) -> None:
        """The MDA: Return-Path on final delivery (RFC 5321 4.4), then the mailbox (its Junk folder for
        a message the checks quarantined)."""
        user = self.mailbox_for(rcpt)
        self.store.deliver(user, prepend_header(data, "Return-Path", return_path_header(mail_from)),
                           self.world.clock.now(), folder)


class SmtpHostPolicy:
    """The SmtpPolicy of one role of a MailHost: never an open relay."""

    def __init__(self, mailhost: MailHost, role: str) -> None:
        self.mailhost = mailhost
        self.role = role

    def check_sender(self, session: Session, reverse_path: str) -> Reply | None:
        fault = self.mailhost.faults.reply_for(self.mailhost.name, "MAIL", "smtp")
        if fault is not None:
            return fault
        if self.role != SUBMISSION:
            return None
        if not session.authenticated and not self.mailhost.config.trusts(session.peer_addr):
            return R.AUTH_REQUIRED  # RFC 6409 4.3: no open submission
        return self._submission_rights(session, reverse_path)

    def _submission_rights(self, session: Session, reverse_path: str) -> Reply | None:
        """Who may send as whom through submission (RFC 6409 6.1 "Enforce Submission Rights").

        Without it anyone on the provider's network could send as mallory@evil.example
        or bob@example.net through example.org, and the mail would leave with the
        provider's name on it (its Received header, its IP for SPF). A logged-in user
        may send only as the addresses that login owns (Postfix's
        reject_sender_login_mismatch); a client trusted for its network only as the
        provider's own domains.
        """
        if reverse_path == "":
            return None  # RFC 6409 3.2: a null return path "MUST NOT in itself be cause for rejecting"
        if session.authenticated:
            if reverse_path.lower() not in self.mailhost.addresses_of(session.authenticated):
                return R.SENDER_LOGIN_MISMATCH.format(f"<{reverse_path}>", session.authenticated)
            return None
        if not self.mailhost.is_local(reverse_path):
            return R.SENDER_NOT_OURS.format(f"<{reverse_path}>", domain_of(reverse_path))
        return None

    def check_recipient(self, session: Session, envelope: Envelope, forward_path: str) -> Reply | None:
        fault = self.mailhost.faults.reply_for(self.mailhost.name, "RCPT", "smtp")
        if fault is not None:
            return fault
        if forward_path.lower() == "postmaster":
            return None
        if self.role == SUBMISSION:
            return None  # an MSA relays its users' mail anywhere (RFC 6409 2.1, "Message Submission Agent")
        if not self.mailhost.is_local(forward_path):
            return R.RELAY_DENIED.format(domain_of(forward_path))  # RFC 5321 3.6.2: no open relay
        if not self.mailhost.store.has_user(forward_path):
            return R.NO_SUCH_USER.format(f"<{forward_path}>")
        return None

    def verify(self, session: Session, argument: str) -> Reply:
        """VRFY as this host would answer RCPT, so the two never disagree (RFC 5321 3.5.3)."""
        mode = self.mailhost.config.vrfy
        if mode == "refused":
            return R.VRFY_REFUSED
        if mode == "disabled":
            return R.VRFY  # RFC 5321 7.3: "MUST return a 252 response"
        name = argument[1:-1] if argument.startswith("<") and argument.endswith(">") else argument
        if "@" in name:
            if not self.mailhost.is_local(name):
                if self.role == SUBMISSION:
                    return R.VRFY_NOT_LOCAL.format(f"<{name}>")  # 3.5.3: relayed, so 252
                return R.RELAY_DENIED.format(domain_of(name))  # what RCPT would say
            found = [name] if self.mailhost.store.has_user(name) else []
        else:  # a user name alone: any local domain (RFC 5321 3.5.1)
            found = [f"{name}@{d}" for d in sorted(self.mailhost.config.local_domains)
                     if self.mailhost.store.has_user(f"{name}@{d}")]
        if not found:
            return R.VRFY_NO_SUCH_USER.format(name)
        if len(found) > 1:  # RFC 5321 3.5.1: "553 User ambiguous", the alternatives listed
            return R.VRFY_AMBIGUOUS.with_text(*R.VRFY_AMBIGUOUS.lines, *(f"<{a}>" for a in found))
        return R.VRFY_OK.format(f"<{found[0]}>")  # RFC 5321 3.5.2: the mailbox in angle brackets

    def accept_message(self, session: Session, envelope: Envelope) -> Reply:
        fault = self.mailhost.faults.reply_for(self.mailhost.name, "DATA", "smtp")
        if fault is not None:
            return fault
        return self.mailhost.accept(session, envelope, self.role)


class ImapHostPolicy:
    """What an IMAP server machine asks its MailHost: passwords, mailboxes, the time, faults."""

    def __init__(self, mailhost: MailHost) -> None:
        self.mailhost = mailhost
        self.store = mailhost.store

    def check_password(self, user: str, password: str) -> bool:
        return self.mailhost.check_password(user, password)

    def shared_secret(self, user: str) -> str | None:
        """The secret CRAM-MD5 and SCRAM are computed from (a sasl.SecretKeeper)."""
        return self.mailhost.shared_secret(user)

    def now(self) -> float:
        return self.mailhost.world.clock.now()

    def fault(self, stage: str):
        return self.mailhost.faults.reply_for(self.mailhost.name, stage, "imap")
