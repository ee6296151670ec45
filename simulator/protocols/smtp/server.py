"""The sans-IO SMTP server machine (RFC 5321, with RFC 1870, 2034, 2920, 3463, 6152, 6531).

Bytes go in with :meth:`SmtpServer.receive_data` (``b""`` means the peer
closed), events come back, and the bytes to write are taken with
:meth:`SmtpServer.data_to_send` (after h2). What the server decides about
senders, recipients and accepted messages is asked of an :class:`SmtpPolicy`
the host provides: the machine itself knows no mailbox, clock or socket.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from simulator.protocols.lines import TOO_LONG, LineBuffer
from simulator.protocols.machine import InputKind
from simulator.protocols.smtp import states as S
from simulator.protocols.smtp.address import (
    PathError,
    domain_of,
    is_ascii,
    is_helo_name,
    parse_path_argument,
)
from simulator.protocols.smtp.replies import R, Reply
from simulator.trace import CommandReceived, Event, ReplySent, StateChanged

COMMAND_LINE_LIMIT = 512  # RFC 5321 4.5.3.1.4, counting CRLF
TEXT_LINE_LIMIT = 1000  # RFC 5321 4.5.3.1.6, counting CRLF but not a stuffed dot
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
    extensions: tuple[str, ...] = ("PIPELINING", "SIZE", "8BITMIME", "ENHANCEDSTATUSCODES", "SMTPUTF8")

    def ehlo_keywords(self) -> list[str]:
        out = []
        for ext in self.extensions:
            out.append(f"SIZE {self.max_message_size}" if ext == "SIZE" else ext)
        return out


class SmtpServer:
    table = S.SERVER_TABLE

    def __init__(self, config: SmtpServerConfig, policy: SmtpPolicy, session: Session | None = None) -> None:
        self.config = config
        self.policy = policy
        self.session = session or Session()
        self.state = S.SERVER_TABLE.initial
        self.envelope = Envelope()
        self._buffer = LineBuffer()
        self._out = bytearray()
        self._events: list[Event] = []
        self._errors = 0
        self._junk = 0
        # DATA bookkeeping
        self._body = bytearray()
        self._data_size = 0
        self._data_too_long = False
        self._data_too_big = False
        self._data_bare_newline = False
        self._started = False

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
            self._transition(S.PEER_CLOSED)
            return self._take_events()
        self._buffer.feed(data)
        while self.state != S.CLOSED:
            if self.state == S.IN_DATA:
                if self._data_lines_in_bulk():
                    continue
                # One octet more for a transparency dot, which the limit does not count.
                line = self._buffer.next_line(TEXT_LINE_LIMIT + 1)
                if line is None:
                    break
                self._data_line(line)
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
            self._reply(R.TIMEOUT.format(self.config.hostname, why))
            self._transition(S.TIMEOUT)
        return self._take_events()

    def shutdown(self) -> list[Event]:
        if self.state != S.CLOSED:
            self._reply(R.SHUTTING_DOWN.format(self.config.hostname))
            self._transition(S.SHUTDOWN)
        return self._take_events()

    def data_to_send(self) -> bytes:
        out = bytes(self._out)
        self._out.clear()
        return out

    @property
    def closed(self) -> bool:
        return self.state == S.CLOSED

    def valid_inputs(self) -> list[str]:
        return S.SERVER_TABLE.inputs_in(self.state, InputKind.COMMAND)

    # --- internals --------------------------------------------------------

    def _greet_once(self) -> None:
        if not self._started:
            self._started = True
            self._reply(R.GREETING.format(self.config.hostname))

    def _take_events(self) -> list[Event]:
        events, self._events = self._events, []
        return events

    def _reply(self, reply: Reply) -> None:
        self._out += reply.to_bytes()
        self._events.append(
            ReplySent(machine=MACHINE, code=str(reply.code), enhanced=reply.enhanced, text=reply.lines)
        )

    def _transition(self, trigger: str) -> bool:
        tr = S.SERVER_TABLE.lookup(self.state, trigger)
        if tr is None:
            return False
        self._events.append(
            StateChanged(machine=MACHINE, from_state=self.state, to_state=tr.target, trigger=trigger)
        )
        self.state = tr.target
        return True

    def _error(self, reply: Reply) -> None:
        self._reply(reply)
        self._count_error()

    def _count_error(self) -> None:
        self._errors += 1
        if self._errors >= self.config.max_errors and self.state != S.CLOSED:
            self._reply(R.TOO_MANY_ERRORS.format(self.config.hostname))
            self._transition(S.TOO_MANY_ERRORS)

    def _refuse_bare_lf(self, content: bytes) -> None:
        text = content.decode("utf-8", "replace").replace("\r", "\\r")
        word = text.partition(" ")[0]
        if word.isascii() and word.isalpha() and len(word) <= 20:
            verb, arg = word.upper(), text[len(word):].removeprefix(" ")
        else:
            verb, arg = "?", text
        self._events.append(CommandReceived(machine=MACHINE, verb=verb, argument=arg))
        self._error(R.BARE_LF_COMMAND)

    def _command_line(self, raw: bytes | object) -> None:
        if raw is TOO_LONG:
            self._events.append(CommandReceived(machine=MACHINE, verb="?", argument="(line too long)"))
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
            self._events.append(CommandReceived(machine=MACHINE, verb="?", argument=repr(raw[:-2])))
            self._error(R.UNKNOWN_COMMAND.format("(not valid UTF-8)"))
            return
        verb, _, arg = line.partition(" ")
        verb = verb.upper()
        self._events.append(CommandReceived(machine=MACHINE, verb=verb, argument=arg))
        if verb not in S.KNOWN_VERBS:
            if verb in S.NOT_IMPLEMENTED_VERBS:
                self._error(R.NOT_IMPLEMENTED.format(verb))
            else:
                shown = verb if verb.isprintable() and len(verb) <= 20 else "(unprintable)"
                self._error(R.UNKNOWN_COMMAND.format(shown))
            return
        tr = S.SERVER_TABLE.lookup(self.state, verb)
        if tr is None:
            self._error(R.BAD_SEQUENCE.format(_SEQUENCE_HINT.get((self.state, verb), f"{verb} not allowed now")))
            return
        getattr(self, "_do_" + tr.effect)(verb, arg)

    # --- effects (one per table effect name) ------------------------------

    def _do_greet(self, verb: str, arg: str) -> None:
        # Replies to EHLO/HELO carry no enhanced code, errors included (RFC 2034 section 4).
        domain = arg.strip(" ")  # only spaces: a stray CR makes the name invalid
        if not domain:
            self._error(R.HELO_SYNTAX.format(verb))
            return
        if " " in domain or not is_helo_name(domain):
            shown = domain if domain.isprintable() and len(domain) <= 64 else "(unprintable or too long)"
            self._error(R.BAD_DOMAIN.format(verb, shown))
            return
        self.session.helo = domain
        self.session.esmtp = verb == "EHLO"
        self.envelope = Envelope()
        greet = R.HELO.format(self.config.hostname, domain)
        if verb == "EHLO":
            greet = greet.with_text(*greet.lines, *self.config.ehlo_keywords())
        self._reply(greet)
        self._transition(verb)

    def _do_start_mail(self, verb: str, arg: str) -> None:
        try:
            parsed = parse_path_argument(arg, "FROM", allow_null=True)
        except SyntaxError as exc:
            self._error(R.BAD_SYNTAX.format(f"MAIL {exc.msg}"))
            return
        except PathError as exc:
            self._error(R.BAD_SENDER_SYNTAX.format(exc))
            return
        params = parsed.params
        refusal = self._check_mail_params(params)
        if refusal is None and not is_ascii(parsed.mailbox) and "SMTPUTF8" not in params:
            refusal = R.NON_ASCII_NEEDS_SMTPUTF8.format(f"<{parsed.mailbox}>")
        if refusal is None:
            refusal = self.policy.check_sender(self.session, parsed.mailbox)
        if refusal is not None:
            self._error(refusal)
            return
        self.envelope = Envelope(mail_from=parsed.mailbox, params=params)
        ok = R.SENDER_OK_SPACE if parsed.space_around_colon else R.SENDER_OK
        self._reply(ok.format(f"<{parsed.mailbox}>"))
        self._transition(verb)

    def _check_mail_params(self, params: dict[str, str | None]) -> Reply | None:
        if params and not self.session.esmtp:
            return R.PARAM_UNKNOWN.format(" ".join(params) + " (parameters need EHLO)")
        for name, value in params.items():
            if name == "SIZE":
                if value is None or not (value.isascii() and value.isdigit()):
                    return R.BAD_SYNTAX.format("SIZE=<number of octets>")
                if int(value) > self.config.max_message_size:
                    return R.SIZE_EXCEEDED.format(self.config.max_message_size)
            elif name == "BODY":
                if value is None or value.upper() not in ("7BIT", "8BITMIME", "BINARYMIME"):
                    return R.BAD_SYNTAX.format("BODY=7BIT or BODY=8BITMIME")
                if value.upper() == "BINARYMIME":
                    return R.PARAM_NOT_IMPLEMENTED.format("BODY=BINARYMIME")
            elif name == "SMTPUTF8":
                if value is not None:
                    return R.BAD_SYNTAX.format("SMTPUTF8 takes no value")
            else:
                return R.PARAM_UNKNOWN.format(name)
        return None

    def _do_add_recipient(self, verb: str, arg: str) -> None:
        try:
            parsed = parse_path_argument(arg, "TO", allow_null=False)
        except SyntaxError as exc:
            self._error(R.BAD_SYNTAX.format(f"RCPT {exc.msg}"))
            return
        except PathError as exc:
            self._error(R.MAILBOX_NAME_NOT_ALLOWED.format(exc))
            return
        if parsed.params:
            self._error(R.PARAM_UNKNOWN.format(" ".join(parsed.params)))
            return
        rcpt = parsed.mailbox
        if not is_ascii(rcpt) and not self.envelope.smtputf8:
            self._error(R.NON_ASCII_NEEDS_SMTPUTF8.format(f"<{rcpt}>"))
            return
        if _recipient_key(rcpt) in map(_recipient_key, self.envelope.rcpt_to):
            # Acknowledged but kept once, so one message is delivered once per mailbox.
            self._reply(R.RECIPIENT_DUPLICATE.format(f"<{rcpt}>"))
            self._transition(verb)
            return
        if len(self.envelope.rcpt_to) >= self.config.max_recipients:
            self._error(R.TOO_MANY_RECIPIENTS)  # RFC 5321 4.5.3.1.10: 452
            return
        refusal = self.policy.check_recipient(self.session, self.envelope, rcpt)
        if refusal is not None:
            self._error(refusal)  # counted, so a client cannot probe addresses without end
            return
        self.envelope.rcpt_to.append(rcpt)
        ok = R.RECIPIENT_OK_SPACE if parsed.space_around_colon else R.RECIPIENT_OK
        self._reply(ok.format(f"<{rcpt}>"))
        self._transition(verb)

    def _do_refuse_no_recipients(self, verb: str, arg: str) -> None:
        self._error(R.NO_VALID_RECIPIENTS)
        self._transition(verb)

    def _do_start_data(self, verb: str, arg: str) -> None:
        if arg.strip():
            self._error(R.NO_ARGUMENT.format("DATA"))
            return
        self._body.clear()
        self._data_size = 0
        self._data_too_long = self._data_too_big = self._data_bare_newline = False
        self._reply(R.START_DATA)
        self._transition(verb)

    def _data_lines_in_bulk(self) -> bool:
        """Take every complete message line in the buffer at once; False if there is none.

        The same rules as :meth:`_data_line`, applied with bytes operations over
        the whole run of lines instead of one call per line, so a large message
        costs a few passes in C rather than a Python loop.
        """
        buf = self._buffer
        if buf.discarding:
            return False
        data = buf.peek()
        if data.startswith(b".\r\n"):
            buf.consume(3)
            self._end_of_data()
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

    def _data_line(self, line: bytes | object) -> None:
        if line is TOO_LONG:
            self._data_too_long = True
            return
        assert isinstance(line, bytes)
        if line == b".\r\n":
            self._end_of_data()
            return
        if line.startswith(b"."):
            line = line[1:]  # dot-unstuffing, RFC 5321 4.5.2
        if len(line) > TEXT_LINE_LIMIT:  # counted without the stuffed dot (4.5.3.1.6)
            self._data_too_long = True
            return
        content = line[:-2]
        if b"\r" in content or b"\n" in content:
            self._data_bare_newline = True
        self._data_size += len(line)
        if self._data_size > self.config.max_message_size:
            self._data_too_big = True
            self._body.clear()
        elif not self._data_too_big:
            self._body += line

    def _end_of_data(self) -> None:
        self._events.append(CommandReceived(machine=MACHINE, verb=S.END_OF_DATA, argument=""))
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
        self._transition(S.END_OF_DATA)

    def _junk_command(self) -> None:
        self._junk += 1
        if self._junk > self.config.max_junk_commands:
            self._count_error()

    def _do_reset(self, verb: str, arg: str) -> None:
        if arg.strip(" "):  # RFC 5321 4.1.1.5: rset = "RSET" CRLF; 4.3.2: 501 with an argument
            self._error(R.NO_ARGUMENT.format("RSET"))
            return
        self.envelope = Envelope()
        self._reply(R.RESET)
        self._transition(verb)
        self._junk_command()

    def _do_noop(self, verb: str, arg: str) -> None:
        self._reply(R.NOOP)
        self._transition(verb)
        self._junk_command()

    def _do_vrfy(self, verb: str, arg: str) -> None:
        if not arg.strip():
            self._error(R.BAD_SYNTAX.format("VRFY <user or mailbox>"))
            return
        reply = self.policy.verify(self.session, arg.strip(" "))
        if not reply.is_positive:
            self._error(reply)  # counted like a refused RCPT: VRFY probing ends at the error limit
            return
        self._reply(reply)
        self._transition(verb)
        self._junk_command()

    def _do_help(self, verb: str, arg: str) -> None:
        self._reply(R.HELP.format(" ".join(sorted(S.KNOWN_VERBS))))
        self._transition(verb)
        self._junk_command()

    def _do_quit(self, verb: str, arg: str) -> None:
        if arg.strip(" "):  # RFC 5321 4.1.1.10: quit = "QUIT" CRLF; 4.3.2: 501 with an argument
            self._error(R.NO_ARGUMENT.format("QUIT"))
            return
        self._reply(R.BYE.format(self.config.hostname))
        self._transition(verb)


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
