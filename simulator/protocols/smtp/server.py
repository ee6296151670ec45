"""The sans-IO SMTP server machine (RFC 5321, with RFC 1870, 2034, 2920, 3463, 6152, 6531).

Bytes go in with :meth:`SmtpServer.receive_data` (``b""`` means the peer
closed), events (trace records) come back, the bytes to write are taken with
:meth:`SmtpServer.data_to_send` (after h2), and what the machine asks of its
connection (start TLS, close) with :meth:`SmtpServer.take_controls`. What
the server decides about senders, recipients and accepted messages is asked
of an :class:`SmtpPolicy` the host provides: the machine itself knows no
mailbox, clock or socket.

Every input goes through one row of :data:`states.SERVER_TABLE`. The row's
effect is a handler in the machine's table of handlers; it answers and says
whether the input was accepted (the row's target) or refused (the row's
``refused`` branch, declared in the table). A handler that refuses a row
with no refused branch is a bug, raised as LocalProtocolError.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from simulator.protocols import sasl
from simulator.protocols.lines import TOO_LONG, LineBuffer
from simulator.protocols.machine import (
    Close,
    Control,
    LocalProtocolError,
    ServerMachineBase,
    StartTls,
    Transition,
)
from simulator.protocols.smtp import states as S
from simulator.protocols.smtp.address import (
    PathError,
    domain_of,
    is_ascii,
    is_helo_name,
    parse_path_argument,
)
from simulator.protocols.smtp.extensions import (
    EXTENSION_COMMANDS,
    EXTENSIONS,
    ParamCheck,
    check_offered,
)
from simulator.protocols.smtp.replies import R, Reply
from simulator.trace import CheckStep, CommandReceived, Event, ReplySent, StateChanged

COMMAND_LINE_LIMIT = 512  # RFC 5321 4.5.3.1.4, counting CRLF
TEXT_LINE_LIMIT = 1000  # RFC 5321 4.5.3.1.6, counting CRLF but not a stuffed dot
SASL_LINE_LIMIT = 12288  # RFC 4954 4: an AUTH exchange line of at least 12288 octets must be accepted
DEFAULT_MAX_MESSAGE_SIZE = 10 * 1024 * 1024
DEFAULT_MAX_RECIPIENTS = 100  # RFC 5321 4.5.3.1.8 asks for at least 100
# Every 4xx/5xx reply to a command counts, refused RCPTs included, so address probing
# ends too (Postfix's smtpd_hard_error_limit, also 20).
DEFAULT_MAX_ERRORS = 20
# NOOP, RSET, VRFY and HELP past this count as errors (Postfix smtpd_junk_command_limit),
# so a client cannot keep a session busy for ever without sending mail.
DEFAULT_MAX_JUNK_COMMANDS = 100

MACHINE = "smtp.server"


@dataclass(slots=True)
class Session:
    """What the server knows about the client so far."""

    peer_host: str = ""
    peer_addr: str = ""
    helo: str = ""
    esmtp: bool = False
    tls: bool = False
    authenticated: str = ""

    @property
    def protocol(self) -> str:
        """The ``with`` keyword of a Received header (RFC 3848)."""
        base = "ESMTP" if self.esmtp else "SMTP"
        if self.esmtp and self.tls:
            base += "S"
        if self.esmtp and self.authenticated:
            base += "A"
        return base


@dataclass(slots=True)
class Envelope:
    mail_from: str = ""
    rcpt_to: list[str] = field(default_factory=list)
    params: dict[str, str | None] = field(default_factory=dict)
    data: bytes = b""

    @property
    def smtputf8(self) -> bool:
        return "SMTPUTF8" in self.params


class SmtpPolicy(Protocol):
    """The host's decisions. Return None to accept, or the Reply that refuses."""

    def check_sender(self, session: Session, reverse_path: str) -> Reply | None: ...

    def check_recipient(self, session: Session, envelope: Envelope, forward_path: str) -> Reply | None: ...

    def accept_message(self, session: Session, envelope: Envelope) -> Reply:
        """Deliver or queue the message; return the reply for the final dot."""
        ...

    def verify(self, session: Session, argument: str) -> Reply:
        """The answer to ``VRFY argument`` (RFC 5321 3.5): 250 only for a mailbox really
        verified (3.5.3), 550/553 for none or several, 252 when it cannot or will not say."""
        ...


@dataclass(slots=True)
class SmtpServerConfig:
    hostname: str
    max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE
    max_recipients: int = DEFAULT_MAX_RECIPIENTS
    max_errors: int = DEFAULT_MAX_ERRORS
    max_junk_commands: int = DEFAULT_MAX_JUNK_COMMANDS
    # What EHLO offers (see extensions.py: each declares its parameters and commands).
    # STARTTLS is not offered by default (the SMTP client does not take it up yet); a world
    # offers it with its tls.starttls option, and the connection then runs real TLS.
    extensions: tuple[str, ...] = ("PIPELINING", "SIZE", "8BITMIME", "ENHANCEDSTATUSCODES", "SMTPUTF8")

    def __post_init__(self) -> None:
        check_offered(self.extensions)
        unknown = [m for m in self.auth_mechanisms if m not in sasl.MECHANISMS]
        if unknown:
            raise ValueError(f"unknown SASL mechanism(s) {', '.join(unknown)}; known: {', '.join(sasl.ALL)}")

    # SASL mechanisms AUTH offers (RFC 4954), when "AUTH" is among the extensions.
    auth_mechanisms: tuple[str, ...] = ()
    # Offer PLAIN and LOGIN (the password readable on the wire) before TLS too. RFC 4954 4
    # and RFC 8314 5.2 say not to; a world may allow it to show the eavesdropper why.
    plaintext_auth: bool = False

    def ehlo_keywords(self, *, tls: bool = False) -> list[str]:
        """The EHLO lines; never STARTTLS once TLS is up (RFC 3207 4.2)."""
        lines = (EXTENSIONS[k].ehlo_line(self, tls=tls) for k in self.extensions)
        return [line for line in lines if line is not None]

    def auth_offered(self, *, tls: bool) -> tuple[str, ...]:
        """The mechanisms AUTH offers now: plaintext ones only over TLS unless allowed (RFC 4954 4)."""
        if "AUTH" not in self.extensions:
            return ()
        return tuple(m for m in self.auth_mechanisms
                     if tls or self.plaintext_auth or not sasl.MECHANISMS[m].plaintext)


class SmtpServer(ServerMachineBase):
    table = S.SERVER_TABLE
    closed_state = S.CLOSED

    def __init__(self, config: SmtpServerConfig, policy: SmtpPolicy, session: Session | None = None,
                 *, conn: str = "", auth: sasl.SecretKeeper | None = None,
                 sasl_context: sasl.ServerContext | None = None) -> None:
        self.config = config
        # Who checks AUTH's credentials (the host), and what CRAM-MD5 and SCRAM make challenges from.
        self.auth = auth
        self.sasl_context = sasl_context
        self._mechanism: sasl.ServerMechanism | None = None
        self._sasl_user = ""
        self._sasl_error: Reply | None = None
        self._sasl_final = False  # the server's final data was sent; an empty line must answer it
        self._follow = ""  # an automatic input a handler asked to run next (the SASL verdict)
        self._last_mechanism: sasl.ServerMechanism | None = None
        self.conn = conn  # the connection id its events carry (stamped once, where they are made)
        self.policy = policy
        self.session = session or Session()
        self.state = S.SERVER_TABLE.initial
        self.envelope = Envelope()
        self._buffer = LineBuffer()
        self._out = bytearray()
        self._events: list[Event] = []
        self._controls: list[Control] = []
        self._errors = 0
        self._new_errors = 0  # refusals of the input being handled, counted once its row is taken
        self._junk = 0
        self._offered = frozenset(config.extensions)
        self._mail_params: dict[str, ParamCheck] = {
            name: check for k in config.extensions for name, check in EXTENSIONS[k].mail_params
        }
        self._enhanced = "ENHANCEDSTATUSCODES" in self._offered
        # DATA bookkeeping
        self._body = bytearray()
        self._data_size = 0
        self._data_too_long = False
        self._data_too_big = False
        self._data_bare_newline = False
        self._started = False
        # The table of handlers: every effect a row of the table names (checked below the class).
        self._handlers: dict[str, Callable[[str, str], bool]] = {
            "greet": self._greet, "start_mail": self._start_mail, "add_recipient": self._add_recipient,
            "refuse_no_recipients": self._refuse_no_recipients, "start_data": self._start_data,
            "end_data": self._end_data, "start_tls": self._start_tls, "tls_up": self._tls_up,
            "tls_failed": self._tls_failed, "reset": self._reset, "noop": self._noop, "vrfy": self._vrfy,
            "help": self._help, "quit": self._quit, "close_errors": self._close_errors,
            "close_timeout": self._close_timeout, "close_shutdown": self._close_shutdown,
            "abandon": self._abandon, "start_auth": self._start_auth, "sasl_step": self._sasl_step,
            "sasl_cancel": self._sasl_cancel, "sasl_ok": self._sasl_ok, "sasl_failed": self._sasl_failed,
        }

    # --- public API -------------------------------------------------------

    def start(self) -> list[Event]:
        """Send the 220 greeting (RFC 5321 3.1)."""
        self._greet_once()
        return self._take_events()

    def receive_data(self, data: bytes) -> list[Event]:
        self._greet_once()  # keeps the greeting's events for this call's return
        if self.state == S.CLOSED:
            return self._take_events()
        if data == b"":
            self._input(S.PEER_CLOSED)
            return self._take_events()
        if self.state == S.EXPECT_TLS:
            raise LocalProtocolError("bytes fed while the machine waits for TLS: handle its StartTls control, "
                                     "then call tls_established() or tls_failed()")
        self._buffer.feed(data)
        while self.state != S.CLOSED and self.state != S.EXPECT_TLS:
            if self.state == S.EXPECT_SASL_RESPONSE:
                line = self._buffer.next_line(SASL_LINE_LIMIT, bare_lf_ends=True)
                if line is None:
                    break
                self._sasl_line(line)
            elif self.state == S.IN_DATA:
                if self._data_lines():
                    continue
                # Only an overlong line is left for the line reader (the rest went in bulk).
                # One octet more for a transparency dot, which the limit does not count.
                line = self._buffer.next_line(TEXT_LINE_LIMIT + 1)
                if line is None:
                    break
                assert line is TOO_LONG, line
                self._data_too_long = True
            else:
                # A bare LF ends a command line too, so that line can be refused rather
                # than left unanswered (a plain nc sends LF; see _command_line).
                line = self._buffer.next_line(COMMAND_LINE_LIMIT, bare_lf_ends=True)
                if line is None:
                    break
                self._command_line(line)
        return self._take_events()

    def timeout(self, why: str = "idle timeout") -> list[Event]:
        """A timer fired (RFC 5321 4.5.3.2): 421 and close; ``why`` says which, in the reply."""
        if self.state != S.CLOSED:
            self._input(S.TIMEOUT, why)
        return self._take_events()

    def shutdown(self) -> list[Event]:
        if self.state != S.CLOSED:
            self._input(S.SHUTDOWN)
        return self._take_events()

    def tls_established(self) -> list[Event]:
        """The connection finished the TLS handshake STARTTLS asked for (RFC 3207 4.2)."""
        self._input(S.TLS_UP)
        return self._take_events()

    def tls_failed(self) -> list[Event]:
        """The TLS handshake failed: there is no channel left to answer on (RFC 3207 4.1)."""
        self._input(S.TLS_FAILED)
        return self._take_events()

    @property
    def sasl_steps(self) -> list[sasl.DerivationStep]:
        """The derivation of the last SCRAM exchange (RFC 5802 3), empty for other mechanisms."""
        return list(getattr(self._last_mechanism, "steps", []))

    # --- the table --------------------------------------------------------

    def _input(self, trigger: str, arg: str = "") -> None:
        """Run the row for ``trigger`` in the current state; it must exist."""
        tr = S.SERVER_TABLE.lookup(self.state, trigger)
        if tr is None:
            raise LocalProtocolError(f"smtp.server: no row for {trigger!r} in {self.state}")
        self._run(tr, trigger, arg)

    def _run(self, tr: Transition, trigger: str, arg: str) -> None:
        accepted = self._handlers[tr.effect](trigger, arg)
        if accepted:
            self._move(tr.target, trigger)
        elif not tr.refused:
            raise LocalProtocolError(f"smtp.server: {tr.effect} refused a row that cannot be refused: {tr}")
        elif tr.refused != self.state:
            self._move(tr.refused, f"{trigger} refused")
        self._settle_errors()
        follow, self._follow = self._follow, ""
        if follow and self.state == tr.target:
            self._input(follow)

    def _move(self, target: str, trigger: str) -> None:
        self._events.append(
            StateChanged(conn=self.conn, machine=MACHINE, from_state=self.state, to_state=target, trigger=trigger)
        )
        self.state = target
        if target == S.CLOSED:
            self._controls.append(Close(trigger))

    # --- internals --------------------------------------------------------

    def _greet_once(self) -> None:
        if not self._started:
            self._started = True
            self._reply(R.GREETING.format(self.config.hostname))

    def _reply(self, reply: Reply) -> None:
        if reply.enhanced and not self._enhanced:
            reply = Reply(reply.code, reply.lines)  # RFC 2034: enhanced codes only when offered
        self._out += reply.to_bytes()
        self._events.append(
            ReplySent(conn=self.conn, machine=MACHINE, code=str(reply.code), enhanced=reply.enhanced, text=reply.lines)
        )

    def _refuse(self, reply: Reply) -> bool:
        """Answer with an error reply (counted once the row is taken); False: the input is refused."""
        self._reply(reply)
        self._new_errors += 1
        return False

    def _error(self, reply: Reply) -> None:
        """An error reply to a line no row takes (unknown verb, out of sequence): counted now."""
        self._reply(reply)
        self._new_errors += 1
        self._settle_errors()

    def _settle_errors(self) -> None:
        new, self._new_errors = self._new_errors, 0
        self._errors += new
        if new and self._errors >= self.config.max_errors and self.state in S.SERVER_TABLE.states \
                and S.SERVER_TABLE.lookup(self.state, S.TOO_MANY_ERRORS) is not None:
            self._input(S.TOO_MANY_ERRORS)

    def _refuse_bare_lf(self, content: bytes) -> None:
        text = content.decode("utf-8", "replace").replace("\r", "\\r")
        word = text.partition(" ")[0]
        if word.isascii() and word.isalpha() and len(word) <= 20:
            verb, arg = word.upper(), text[len(word):].removeprefix(" ")
        else:
            verb, arg = "?", text
        self._events.append(CommandReceived(conn=self.conn, machine=MACHINE, verb=verb, argument=arg))
        self._error(R.BARE_LF_COMMAND)

    def _command_line(self, raw: bytes | object) -> None:
        if raw is TOO_LONG:
            self._events.append(CommandReceived(conn=self.conn, machine=MACHINE, verb="?", argument="(line too long)"))
            self._error(R.LINE_TOO_LONG)
            return
        assert isinstance(raw, bytes)
        if not raw.endswith(b"\r\n"):
            # RFC 5321 2.3.8: only CRLF ends a line. Not run, but answered: unanswered,
            # the client would wait for ever for the reply to a line we never saw end.
            self._refuse_bare_lf(raw[:-1])
            return
        try:
            line = raw[:-2].decode("utf-8")
        except UnicodeDecodeError:
            self._events.append(CommandReceived(conn=self.conn, machine=MACHINE, verb="?", argument=repr(raw[:-2])))
            self._error(R.UNKNOWN_COMMAND.format("(not valid UTF-8)"))
            return
        verb, _, arg = line.partition(" ")
        verb = verb.upper()
        self._events.append(CommandReceived(conn=self.conn, machine=MACHINE, verb=verb, argument=arg))
        if verb not in S.KNOWN_VERBS or EXTENSION_COMMANDS.get(verb, "") not in ("", *self._offered):
            if verb in S.NOT_IMPLEMENTED_VERBS or verb in EXTENSION_COMMANDS:
                self._error(R.NOT_IMPLEMENTED.format(verb))
            else:
                shown = verb if verb.isprintable() and len(verb) <= 20 else "(unprintable)"
                self._error(R.UNKNOWN_COMMAND.format(shown))
            return
        tr = S.SERVER_TABLE.lookup(self.state, verb)
        if tr is None:
            self._error(R.BAD_SEQUENCE.format(_SEQUENCE_HINT.get((self.state, verb), f"{verb} not allowed now")))
            return
        self._run(tr, verb, arg)

    # --- handlers (one per effect the table names): True = accepted --------

    def _greet(self, verb: str, arg: str) -> bool:
        # Replies to EHLO/HELO carry no enhanced code, errors included (RFC 2034 section 4).
        domain = arg.strip(" ")  # only spaces: a stray CR makes the name invalid
        if not domain:
            return self._refuse(R.HELO_SYNTAX.format(verb))
        if " " in domain or not is_helo_name(domain):
            shown = domain if domain.isprintable() and len(domain) <= 64 else "(unprintable or too long)"
            return self._refuse(R.BAD_DOMAIN.format(verb, shown))
        self.session.helo = domain
        self.session.esmtp = verb == "EHLO"
        self.envelope = Envelope()
        greet = R.HELO.format(self.config.hostname, domain)
        if verb == "EHLO":
            greet = greet.with_text(*greet.lines, *self.config.ehlo_keywords(tls=self.session.tls))
        self._reply(greet)
        return True

    def _start_mail(self, verb: str, arg: str) -> bool:
        try:
            parsed = parse_path_argument(arg, "FROM", allow_null=True)
        except SyntaxError as exc:
            return self._refuse(R.BAD_SYNTAX.format(f"MAIL {exc.msg}"))
        except PathError as exc:
            return self._refuse(R.BAD_SENDER_SYNTAX.format(exc))
        params = parsed.params
        refusal = self._check_mail_params(params)
        if refusal is None and not is_ascii(parsed.mailbox) and "SMTPUTF8" not in params:
            refusal = R.NON_ASCII_NEEDS_SMTPUTF8.format(f"<{parsed.mailbox}>")
        if refusal is None:
            refusal = self.policy.check_sender(self.session, parsed.mailbox)
        if refusal is not None:
            return self._refuse(refusal)
        self.envelope = Envelope(mail_from=parsed.mailbox, params=params)
        ok = R.SENDER_OK_SPACE if parsed.space_around_colon else R.SENDER_OK
        self._reply(ok.format(f"<{parsed.mailbox}>"))
        return True

    def _check_mail_params(self, params: dict[str, str | None]) -> Reply | None:
        """Each parameter must belong to an offered extension, which checks its value."""
        if params and not self.session.esmtp:
            return R.PARAM_UNKNOWN.format(" ".join(params) + " (parameters need EHLO)")
        for name, value in params.items():
            check = self._mail_params.get(name)
            if check is None:
                return R.PARAM_UNKNOWN.format(name)  # RFC 5321 4.1.1.11: 555
            refusal = check(value, self.config)
            if refusal is not None:
                return refusal
        return None

    def _add_recipient(self, verb: str, arg: str) -> bool:
        try:
            parsed = parse_path_argument(arg, "TO", allow_null=False)
        except SyntaxError as exc:
            return self._refuse(R.BAD_SYNTAX.format(f"RCPT {exc.msg}"))
        except PathError as exc:
            return self._refuse(R.MAILBOX_NAME_NOT_ALLOWED.format(exc))
        if parsed.params:
            return self._refuse(R.PARAM_UNKNOWN.format(" ".join(parsed.params)))
        rcpt = parsed.mailbox
        if not is_ascii(rcpt) and not self.envelope.smtputf8:
            return self._refuse(R.NON_ASCII_NEEDS_SMTPUTF8.format(f"<{rcpt}>"))
        if _recipient_key(rcpt) in map(_recipient_key, self.envelope.rcpt_to):
            # Acknowledged but kept once, so one message is delivered once per mailbox.
            self._reply(R.RECIPIENT_DUPLICATE.format(f"<{rcpt}>"))
            return True
        if len(self.envelope.rcpt_to) >= self.config.max_recipients:
            return self._refuse(R.TOO_MANY_RECIPIENTS)  # RFC 5321 4.5.3.1.10: 452
        refusal = self.policy.check_recipient(self.session, self.envelope, rcpt)
        if refusal is not None:
            return self._refuse(refusal)  # counted, so a client cannot probe addresses without end
        self.envelope.rcpt_to.append(rcpt)
        ok = R.RECIPIENT_OK_SPACE if parsed.space_around_colon else R.RECIPIENT_OK
        self._reply(ok.format(f"<{rcpt}>"))
        return True

    def _refuse_no_recipients(self, verb: str, arg: str) -> bool:
        self._refuse(R.NO_VALID_RECIPIENTS)
        return True  # the row itself is the refusal: DATA stays in EXPECT_RCPT

    def _start_data(self, verb: str, arg: str) -> bool:
        if arg.strip():
            return self._refuse(R.NO_ARGUMENT.format("DATA", "RFC 5321 section 4.3.2"))
        self._body.clear()
        self._data_size = 0
        self._data_too_long = self._data_too_big = self._data_bare_newline = False
        self._reply(R.START_DATA)
        return True

    def _data_lines(self) -> bool:
        """The DATA rules, in one place: take every complete message line in the buffer.

        False if there is none (or an overlong line is being discarded, which
        the line reader reports). The lines are unstuffed (RFC 5321 4.5.2),
        measured against the text line limit without the stuffed dot (4.5.3.1.6),
        checked for bare CR or LF (2.3.8) and counted against the size limit,
        with bytes operations over the whole run of lines rather than a Python
        loop per line; the final dot ends the message.
        """
        buf = self._buffer
        if buf.discarding:
            return False
        data = buf.peek()
        if data.startswith(b".\r\n"):
            buf.consume(3)
            self._input(S.END_OF_DATA)
            return True
        end = data.find(b"\r\n.\r\n")
        cut = end + 2 if end >= 0 else data.rfind(b"\r\n") + 2
        if cut < 2:
            return False
        chunk = data[:cut]
        buf.consume(cut)
        unstuffed = (chunk[1:] if chunk.startswith(b".") else chunk).replace(b"\r\n.", b"\r\n")  # RFC 5321 4.5.2
        lines = unstuffed.split(b"\r\n")
        lines.pop()  # the empty string after the last CRLF
        longest = max(map(len, lines)) + 2
        if longest > TEXT_LINE_LIMIT:  # counted without the stuffed dot (4.5.3.1.6)
            self._data_too_long = True
        crlfs = len(lines)
        if unstuffed.count(b"\r") != crlfs or unstuffed.count(b"\n") != crlfs:
            self._data_bare_newline = True
        self._data_size += len(unstuffed)
        if self._data_size > self.config.max_message_size:
            self._data_too_big = True
            self._body.clear()
        elif not self._data_too_big:
            self._body += unstuffed
        return True

    def _end_data(self, trigger: str, arg: str) -> bool:
        self._events.append(CommandReceived(conn=self.conn, machine=MACHINE, verb=S.END_OF_DATA, argument=""))
        if self._data_too_long:
            reply = R.DATA_LINE_TOO_LONG
        elif self._data_too_big:
            reply = R.SIZE_EXCEEDED.format(self.config.max_message_size)
        elif self._data_bare_newline:
            reply = R.BARE_NEWLINE
        else:
            self.envelope.data = bytes(self._body)
            reply = self.policy.accept_message(self.session, self.envelope)
        self._body.clear()
        self.envelope = Envelope()
        self._reply(reply)
        return True

    def _start_tls(self, verb: str, arg: str) -> bool:
        if arg.strip(" "):  # RFC 3207 4: "STARTTLS" CRLF, no parameters
            return self._refuse(R.NO_ARGUMENT.format("STARTTLS", "RFC 3207 section 4"))
        if self.session.tls:
            return self._refuse(R.TLS_ACTIVE)
        self._reply(R.READY_TLS)
        # The framing changes here: whatever the client sent after STARTTLS came in
        # plaintext and must not be read as if it came over TLS (CVE-2011-0411). It is
        # handed to the connection with the control, never processed.
        self._controls.append(StartTls(leftover=self._buffer.take_all()))
        return True

    def _tls_up(self, trigger: str, arg: str) -> bool:
        # RFC 3207 4.2: discard all knowledge obtained from the client before TLS.
        self.session.tls = True
        self.session.helo, self.session.esmtp, self.session.authenticated = "", False, ""
        self.envelope = Envelope()
        return True

    def _tls_failed(self, trigger: str, arg: str) -> bool:
        return True

    # --- AUTH (RFC 4954) ----------------------------------------------------

    def _start_auth(self, verb: str, arg: str) -> bool:
        parts = arg.strip(" ").split(" ")
        if not parts[0] or len(parts) > 2:
            return self._refuse(R.AUTH_SYNTAX)
        if self.session.authenticated:
            return self._refuse(R.AUTH_ALREADY)  # RFC 4954 4: "MUST reject any further AUTH commands with a 503"
        name = parts[0].upper()
        offered = self.config.auth_offered(tls=True)
        if name not in offered or self.auth is None:
            shown = name if name.isprintable() and len(name) <= 20 else "(unprintable)"
            now = self.config.auth_offered(tls=self.session.tls)
            return self._refuse(R.AUTH_UNKNOWN_MECHANISM.format(shown, " ".join(now) or "none"))
        if name not in self.config.auth_offered(tls=self.session.tls):
            return self._refuse(R.AUTH_ENCRYPTION_REQUIRED.format(name))  # RFC 4954 4 (538 5.7.11)
        initial: bytes | None = None
        if len(parts) == 2:
            try:
                initial = sasl.decode_response(parts[1], initial=True)  # "=": an empty initial response
            except sasl.SaslCancelled:
                return self._refuse(R.AUTH_CANCELLED)
            except sasl.MalformedResponse:
                return self._refuse(R.AUTH_BAD_BASE64)
        self._mechanism = sasl.server_mechanism(name, self.auth, self.sasl_context, offered=offered)
        self._last_mechanism = self._mechanism
        self._sasl_step_with(initial)
        return True

    def _sasl_line(self, raw: bytes | object) -> None:
        """A line inside the exchange: the client's answer, or ``*`` to cancel (RFC 4954 4)."""
        if raw is TOO_LONG:
            self._events.append(CommandReceived(conn=self.conn, machine=MACHINE, verb=S.SASL_RESPONSE,
                                                argument="(line too long)"))
            self._sasl_error = R.AUTH_LINE_TOO_LONG
            self._input(S.SASL_RESPONSE)
            return
        assert isinstance(raw, bytes)
        text = raw.rstrip(b"\r\n").decode("ascii", "replace")
        trigger = S.SASL_CANCEL if text == sasl.CANCEL else S.SASL_RESPONSE
        self._events.append(CommandReceived(conn=self.conn, machine=MACHINE, verb=trigger,
                                            argument="" if trigger == S.SASL_CANCEL else text))
        if not raw.endswith(b"\r\n"):
            self._sasl_error = R.BARE_LF_COMMAND
        self._input(trigger, text)

    def _sasl_step_with(self, data: bytes | None) -> None:
        """Feed the mechanism: a challenge is sent (334), a verdict becomes the next, automatic input."""
        assert self._mechanism is not None
        try:
            result = self._mechanism.step(data)
        except sasl.SaslFailure as exc:
            self._sasl_error = R.AUTH_FAILED.format(exc)
            self._follow = S.SASL_FAILED
            return
        if isinstance(result, sasl.SaslSuccess):
            self._sasl_user = result.user
            if result.server_final is not None:
                # RFC 4954 4: the server's additional data with success goes in a 334 the
                # client answers with an empty line; only then 235.
                self._sasl_final = True
                self._reply(R.AUTH_CHALLENGE.format(sasl.encode(result.server_final)))
                return
            self._follow = S.SASL_OK
            return
        self._reply(R.AUTH_CHALLENGE.format(sasl.encode(result)))

    def _sasl_step(self, trigger: str, text: str) -> bool:
        if self._sasl_error is not None:
            self._follow = S.SASL_FAILED
            return True
        try:
            data = sasl.decode_response(text)
        except sasl.MalformedResponse:
            self._sasl_error = R.AUTH_BAD_BASE64  # RFC 4954 4: "MUST reject the AUTH command ... 501"
            self._follow = S.SASL_FAILED
            return True
        if self._sasl_final:
            if data:
                self._sasl_error = R.AUTH_FAILED.format("the answer to the server's final data must be empty")
            self._follow = S.SASL_FAILED if data else S.SASL_OK
            return True
        self._sasl_step_with(data)
        return True

    def _end_sasl(self) -> None:
        self._mechanism = None
        self._sasl_final = False
        self._events.extend(CheckStep(host=self.config.hostname, check="scram", text=step.text())
                            for step in self.sasl_steps)
        self._last_mechanism = None

    def _sasl_cancel(self, trigger: str, arg: str) -> bool:
        self._end_sasl()
        self._sasl_error = None
        self._refuse(R.AUTH_CANCELLED)  # RFC 4954 4: "*" MUST be answered 501
        return True

    def _sasl_ok(self, trigger: str, arg: str) -> bool:
        self._end_sasl()
        self.session.authenticated = self._sasl_user
        self._reply(R.AUTH_OK)
        return True

    def _sasl_failed(self, trigger: str, arg: str) -> bool:
        self._end_sasl()
        error, self._sasl_error = self._sasl_error, None
        self._refuse(error or R.AUTH_FAILED.format("refused"))
        return True

    def _junk_command(self) -> None:
        self._junk += 1
        if self._junk > self.config.max_junk_commands:
            self._new_errors += 1

    def _reset(self, verb: str, arg: str) -> bool:
        if arg.strip(" "):  # RFC 5321 4.1.1.5: rset = "RSET" CRLF; 4.3.2: 501 with an argument
            return self._refuse(R.NO_ARGUMENT.format("RSET", "RFC 5321 section 4.3.2"))
        self.envelope = Envelope()
        self._reply(R.RESET)
        self._junk_command()
        return True

    def _noop(self, verb: str, arg: str) -> bool:
        self._reply(R.NOOP)
        self._junk_command()
        return True

    def _vrfy(self, verb: str, arg: str) -> bool:
        if not arg.strip():
            return self._refuse(R.BAD_SYNTAX.format("VRFY <user or mailbox>"))
        reply = self.policy.verify(self.session, arg.strip(" "))
        if not reply.is_positive:
            return self._refuse(reply)  # counted like a refused RCPT: VRFY probing ends at the error limit
        self._reply(reply)
        self._junk_command()
        return True

    def _help(self, verb: str, arg: str) -> bool:
        offered = sorted(v for v in S.KNOWN_VERBS if EXTENSION_COMMANDS.get(v, "") in ("", *self._offered))
        self._reply(R.HELP.format(" ".join(offered)))
        self._junk_command()
        return True

    def _quit(self, verb: str, arg: str) -> bool:
        if arg.strip(" "):  # RFC 5321 4.1.1.10: quit = "QUIT" CRLF; 4.3.2: 501 with an argument
            return self._refuse(R.NO_ARGUMENT.format("QUIT", "RFC 5321 section 4.3.2"))
        self._reply(R.BYE.format(self.config.hostname))
        return True

    def _close_errors(self, trigger: str, arg: str) -> bool:
        self._reply(R.TOO_MANY_ERRORS.format(self.config.hostname))
        return True

    def _close_timeout(self, trigger: str, why: str) -> bool:
        self._reply(R.TIMEOUT.format(self.config.hostname, why or "idle timeout"))
        return True

    def _close_shutdown(self, trigger: str, arg: str) -> bool:
        self._reply(R.SHUTTING_DOWN.format(self.config.hostname))
        return True

    def _abandon(self, trigger: str, arg: str) -> bool:
        """The client went away; a message in progress is dropped, never delivered."""
        self._body.clear()
        self.envelope = Envelope()
        return True


def _recipient_key(mailbox: str) -> str:
    """What makes two recipients the same mailbox: the local part as written (RFC 5321
    2.4: it is case-sensitive) and the domain in any case."""
    local, at, _ = mailbox.rpartition("@")
    return f"{local}@{domain_of(mailbox)}" if at else mailbox.lower()  # bare "postmaster"


_SEQUENCE_HINT = {
    (S.EXPECT_EHLO, "MAIL"): "send EHLO or HELO first",
    (S.EXPECT_EHLO, "RCPT"): "send EHLO or HELO first",
    (S.EXPECT_EHLO, "DATA"): "send EHLO or HELO first",
    (S.EXPECT_MAIL, "RCPT"): "need MAIL before RCPT",
    (S.EXPECT_MAIL, "DATA"): "need MAIL before DATA",
    (S.EXPECT_RCPT, "MAIL"): "nested MAIL command",
    (S.EXPECT_RCPT_OR_DATA, "MAIL"): "nested MAIL command",
}


def _check_handlers() -> None:
    """Every effect the table names has a handler, and every handler a row (at import)."""
    named = {tr.effect for tr in S.SERVER_TABLE.transitions}
    probe = SmtpServer(SmtpServerConfig(hostname="probe.invalid"), policy=None)  # type: ignore[arg-type]
    if named != set(probe._handlers):
        raise AssertionError(f"smtp.server handlers and table differ: {named ^ set(probe._handlers)}")


_check_handlers()
