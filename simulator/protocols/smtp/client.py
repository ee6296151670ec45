"""The sans-IO SMTP client machine: EHLO (HELO fallback), STARTTLS, AUTH, MAIL, RCPT, DATA, QUIT.

With a TLS policy (RFC 3207) the client sends STARTTLS when EHLO offers it
("opportunistic", or "required", which gives up with QUIT when it is not
offered or refused); after 220 it asks its connection to run the handshake
(a :class:`~simulator.protocols.machine.StartTls` control from
:meth:`SmtpClient.take_controls`; the connection answers with
:meth:`SmtpClient.tls_established` or :meth:`SmtpClient.tls_failed`) and says
EHLO again. With a SASL mechanism (RFC 4954) it logs in with AUTH once the
transport is what its policy asks for.

Driven with ``send(SendMessage(...))`` and ``send(Quit())`` (or given its
messages up front), it sends :class:`OutgoingMessage` over one session, pipelining
MAIL, the RCPTs and DATA when the server offers PIPELINING (RFC 2920), and
records each recipient's outcome: delivered (2xx at the final dot),
deferred (4xx: try again later) or failed (5xx: give up and bounce).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from simulator.protocols import sasl
from simulator.protocols.lines import TOO_LONG, LineBuffer
from simulator.protocols.machine import Control, LocalProtocolError, RemoteProtocolError, StartTls
from simulator.protocols.smtp import states as S
from simulator.protocols.smtp.replies import Reply
from simulator.trace import Event, StateChanged

MACHINE = "smtp.client"
REPLY_LINE_LIMIT = 512  # RFC 5321 4.5.3.1.5
TLS_POLICIES = ("none", "opportunistic", "required")  # RFC 3207 4; "required": RFC 8314 5.2's advice


class ReplyFormatError(RemoteProtocolError, ValueError):
    """The server sent something that is not an RFC 5321 4.2 reply."""


@dataclass(slots=True)
class OutgoingMessage:
    mail_from: str
    rcpt_to: list[str]
    data: bytes  # the message with CRLF line ends, not yet dot-stuffed
    params: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Caller mistakes, refused here rather than deep inside receive_data:
        # no recipient (RCPT has nothing to send), or a CR/LF that would
        # inject a command line of its own.
        if not self.rcpt_to:
            raise ValueError("an outgoing message needs at least one recipient")
        for text in (self.mail_from, *self.rcpt_to, *self.params):
            if "\r" in text or "\n" in text:
                raise ValueError(f"CR or LF in an envelope address or parameter: {text!r}")


@dataclass(slots=True)
class RecipientResult:
    recipient: str
    outcome: str  # "delivered", "deferred", "failed"
    reply: Reply


@dataclass(slots=True)
class MessageResult:
    message: OutgoingMessage
    recipients: list[RecipientResult] = field(default_factory=list)


def dot_stuff(data: bytes) -> bytes:
    """Transparency (RFC 5321 4.5.2) plus the final CRLF.CRLF."""
    if data and not data.endswith(b"\r\n"):
        data += b"\r\n"
    lines = data.split(b"\r\n")
    stuffed = b"\r\n".join(b"." + ln if ln.startswith(b".") else ln for ln in lines)
    return stuffed + b".\r\n"


class ReplyReader:
    """Collects ``NNN-text`` lines into a complete :class:`Reply`."""

    def __init__(self) -> None:
        self._buffer = LineBuffer()
        self._lines: list[str] = []
        self._code = 0

    def command_sent(self, data: bytes) -> None:
        """Nothing to learn: an SMTP reply says itself where it ends (RFC 5321 4.2)."""

    def feed(self, data: bytes) -> None:
        self._buffer.feed(data)

    def next_reply(self) -> Reply | None:
        while True:
            raw = self._buffer.next_line(REPLY_LINE_LIMIT)
            if raw is None:
                return None
            if raw is TOO_LONG:
                raise ReplyFormatError("reply line longer than 512 octets")
            assert isinstance(raw, bytes)
            line = raw[:-2].decode("utf-8", "replace")
            if len(line) < 3 or not _is_code(line[:3]) or (len(line) > 3 and line[3] not in " -"):
                raise ReplyFormatError(f"not an SMTP reply line: {line!r}")
            code = int(line[:3])
            if self._lines and code != self._code:
                raise ReplyFormatError("reply code changed inside a multiline reply")
            self._code = code
            self._lines.append(line[4:])
            if len(line) == 3 or line[3] == " ":
                lines, self._lines = self._lines, []
                enhanced = ""
                first = lines[0].split(" ", 1)
                if code // 100 in (2, 4, 5) and first and _looks_enhanced(first[0], code):
                    enhanced = first[0]
                    lines = [_strip_enhanced(ln, enhanced) for ln in lines]
                try:
                    return Reply(code, tuple(lines), enhanced)
                except ValueError as exc:
                    raise ReplyFormatError(str(exc)) from exc


def _strip_enhanced(line: str, enhanced: str) -> str:
    """``2.0.0 text`` -> ``text``; ``2.0.0`` -> ``""``; once only, so text may repeat the code."""
    if line.startswith(enhanced + " "):
        return line[len(enhanced) + 1 :]
    return "" if line == enhanced else line


def _is_code(text: str) -> bool:
    return text.isascii() and text.isdigit()  # "²".isdigit() is True, but int("²") fails


def _looks_enhanced(token: str, code: int) -> bool:
    """An RFC 3463 class.subject.detail token (1-3 digits each) of the reply's class."""
    parts = token.split(".")
    return (
        len(parts) == 3
        and all(_is_code(p) and len(p) <= 3 for p in parts)
        and parts[0] == str(code)[0]
    )


@dataclass(frozen=True, slots=True)
class SendMessage:
    """Ask the client to send ``message`` (after the one in progress, if any)."""

    message: OutgoingMessage


@dataclass(frozen=True, slots=True)
class Quit:
    """Ask the client to end the session once every message asked for is done."""


ClientEvent = SendMessage | Quit


def seven_bit(data: bytes) -> bytes:
    """The message made 7-bit clean (RFC 6152 3), by :func:`simulator.mail.mime.seven_bit`.

    Imported when a message needs it: the ``email`` package imports ``socket``
    (email.utils, for make_msgid), which a machine that does no IO should not
    load for every session.
    """
    from simulator.mail.mime import seven_bit as convert

    return convert(data)


class SmtpClient:
    """Driven with :meth:`send` (``SendMessage``, ``Quit``), fed the server's bytes with
    :meth:`receive_data`; what to write comes from :meth:`data_to_send`.

    ``messages`` given up front are sent as if by ``send(SendMessage(m))`` for
    each and then ``send(Quit())`` (the batch use of an MTA's queue run).
    Without them, the session waits in READY after EHLO until it is asked.
    """

    table = S.CLIENT_TABLE

    def __init__(self, helo_name: str, messages: list[OutgoingMessage] | None = None, *,
                 use_pipelining: bool = True, downgrade: Callable[[bytes], bytes] = seven_bit,
                 tls: str = "none", auth: sasl.ClientMechanism | None = None) -> None:
        if tls not in TLS_POLICIES:
            raise ValueError(f"TLS policy {tls!r}: one of {', '.join(TLS_POLICIES)}")
        self.helo_name = helo_name
        # RFC 6152 3: 8-bit octets never go to a server that did not offer 8BITMIME; the
        # client converts the message to 7-bit MIME first (the RFC's "gateway transformation").
        self.downgrade = downgrade
        self._data = b""  # the current message's data as sent (converted if it had to be)
        self.tls_policy = tls
        self.tls_active = False
        self.auth = auth
        self._exchange: sasl.ClientExchange | None = None  # the running AUTH exchange of ``auth``
        self.authenticated = False
        self._tls_refused = False  # the server refused STARTTLS: an opportunistic client goes on without
        self._controls: list[Control] = []
        self.conn = ""  # the connection id its events carry; the connection that runs it sets it
        self.pending = list(messages or [])
        self.results: list[MessageResult] = []
        self.extensions: dict[str, str] = {}
        self.state = S.CLIENT_TABLE.initial
        self.use_pipelining = use_pipelining
        self.last_reply: Reply | None = None
        self.session_refused: Reply | None = None  # a refused greeting, EHLO/HELO or RSET
        self.error = ""
        self._quit_asked = messages is not None
        self._reader = ReplyReader()
        self._out = bytearray()
        self._events: list[Event] = []
        self._current: MessageResult | None = None
        self._rcpt_index = 0
        self._pipelined = False
        self._mail_failure: Reply | None = None
        # Which input a reply is, by state: the table of classifiers (no if/elif ladder).
        self._classify: dict[str, Callable[[Reply], str]] = {
            S.C_EXPECT_GREETING: self._ok_or_fail,
            S.C_EXPECT_EHLO_REPLY: self._after_ehlo,
            S.C_EXPECT_HELO_REPLY: self._after_helo,
            S.C_EXPECT_MAIL_REPLY: self._after_mail,
            S.C_EXPECT_RCPT_REPLY: self._after_rcpt,
            S.C_EXPECT_DATA_REPLY: self._after_data,
            S.C_EXPECT_DATA_END_REPLY: self._after_dot,
            S.C_EXPECT_RSET_REPLY: self._after_rset,
            S.C_EXPECT_QUIT_REPLY: self._ok_or_fail,
            S.C_EXPECT_STARTTLS_REPLY: self._after_starttls,
            S.C_EXPECT_AUTH_REPLY: self._after_auth,
            S.C_EXPECT_TLS: self._ok_or_fail,  # nothing should come while the handshake runs
            S.C_READY: self._ok_or_fail,  # an unsolicited reply; 421 is handled before
        }
        # The table of effects: every effect a row names (checked below the class).
        self._effects: dict[str, Callable[[Reply | None], None]] = {
            "send_ehlo": self._send_ehlo, "send_helo": self._send_helo, "send_quit": self._send_quit,
            "send_rset": self._send_rset, "send_mail": self._send_mail, "send_rcpt": self._send_rcpt,
            "send_data": self._send_data, "await_data_reply": self._nothing, "send_message": self._send_message,
            "fail_message": self._fail_message, "deliver": self._deliver, "fail_pending": self._fail_pending,
            "give_up": self._give_up, "close": self._nothing, "idle": self._nothing,
            "send_starttls": self._send_starttls, "start_tls": self._start_tls, "send_auth": self._send_auth,
            "send_sasl_response": self._send_sasl_response, "authenticated": self._authenticated,
            "refuse_plaintext": self._refuse_plaintext, "refuse_unauthenticated": self._refuse_unauthenticated,
            "refuse_unverified": self._refuse_unverified,
        }

    # --- public API -------------------------------------------------------

    def send(self, event: ClientEvent) -> list[Event]:
        """Ask for a message to be sent or for the session to end; returns the state changes."""
        if self.closed:
            raise LocalProtocolError(f"smtp.client: the session is over ({self.state}); cannot {event}")
        if isinstance(event, SendMessage):
            if self._quit_asked:
                raise LocalProtocolError("smtp.client: QUIT was asked for; no message may follow it")
            self.pending.append(event.message)
            if self.state == S.C_READY:
                self._fire(S.SEND_MESSAGE, None)
        else:
            self._quit_asked = True
            if self.state == S.C_READY:
                self._fire(S.SEND_QUIT, None)
        return self._take()

    def receive_data(self, data: bytes) -> list[Event]:
        if self.closed:
            return self._take()
        if data == b"":
            self._fire(S.CONN_LOST, None)
            return self._take()
        self._reader.feed(data)
        while not self.closed:
            try:
                reply = self._reader.next_reply()
            except ReplyFormatError as exc:
                self.error = str(exc)
                self._fire(S.BAD_REPLY, None)
                break
            if reply is None:
                break
            self.last_reply = reply
            if reply.code == 421 and self.state != S.C_EXPECT_QUIT_REPLY:
                self._fire("421", reply)  # RFC 5321 3.8: the server is closing, whatever we asked
            else:
                self._fire(self._classify[self.state](reply), reply)
        return self._take()

    def data_to_send(self) -> bytes:
        out = bytes(self._out)
        self._out.clear()
        return out

    def take_controls(self) -> list[Control]:
        """What the client asks of its connection: StartTls, once the server said 220 to STARTTLS."""
        controls, self._controls = self._controls, []
        return controls

    def tls_established(self) -> list[Event]:
        """The handshake StartTls asked for is done (RFC 3207 4.2): EHLO again, over TLS."""
        self.tls_active = True
        self.extensions = {}  # RFC 3207 4.2: "discard any knowledge obtained from the server"
        self._fire(S.TLS_UP, None)
        return self._take()

    def tls_failed(self, reason: str = "") -> list[Event]:
        """The handshake failed and the connection is gone (RFC 3207 4.1); ``reason`` is the TLS layer's."""
        self.error = f"TLS handshake failed: {reason}" if reason else "TLS handshake failed"
        self._fire(S.TLS_FAILED, None)
        return self._take()

    @property
    def closed(self) -> bool:
        return self.state in (S.C_CLOSED, S.C_ERROR)

    @property
    def pipelining(self) -> bool:
        return self.use_pipelining and "PIPELINING" in self.extensions

    # --- the table --------------------------------------------------------

    def _take(self) -> list[Event]:
        events, self._events = self._events, []
        return events

    def _fire(self, input: str, reply: Reply | None) -> None:
        tr = S.CLIENT_TABLE.lookup(self.state, input)
        if tr is None:
            raise LocalProtocolError(f"smtp.client: no row for {(self.state, input)}")
        self._events.append(
            StateChanged(conn=self.conn, machine=MACHINE, from_state=self.state, to_state=tr.target, trigger=input)
        )
        self.state = tr.target
        for effect in tr.effect.split("+"):
            self._effects[effect](reply)

    # --- classifiers: a reply in a state -> the table's input ----------------

    def _next(self, ok: bool) -> str:
        """After a step that may end the session: another message, QUIT, or wait for the user."""
        if self.pending:
            return S.OK_NEXT if ok else S.FAIL_NEXT
        if self._quit_asked:
            return S.OK_DONE if ok else S.FAIL_DONE
        return S.OK_IDLE if ok else S.FAIL_IDLE

    def _ok_or_fail(self, reply: Reply) -> str:
        return "2xx" if reply.klass == "2xx" else S.ANY_FAIL

    def _after_ehlo(self, reply: Reply) -> str:
        if reply.klass == "2xx":
            self._parse_extensions(reply)
            return self._session_ready()
        return S.EHLO_UNSUPPORTED if reply.code in (500, 502) else S.ANY_FAIL  # RFC 5321 3.2: try HELO

    def _after_helo(self, reply: Reply) -> str:
        if reply.klass != "2xx":
            return S.ANY_FAIL
        self.extensions = {}  # HELO: no extensions, so neither STARTTLS nor AUTH
        return self._session_ready()

    def _session_ready(self) -> str:
        """After a 2xx to EHLO/HELO: TLS first if the policy wants it, then AUTH, then the mail."""
        if self.tls_policy != "none" and not self.tls_active and not self._tls_refused:
            if "STARTTLS" in self.extensions:
                return S.STARTTLS_OFFERED
            if self.tls_policy == "required":
                return S.TLS_NOT_OFFERED
        if self.auth is not None and not self.authenticated:
            offered = self.extensions.get("AUTH", "").upper().split()
            return S.AUTH_DUE if self.auth.name in offered else S.AUTH_NOT_OFFERED
        return self._next(True)

    def _after_starttls(self, reply: Reply) -> str:
        if reply.klass == "2xx":
            return "2xx"
        if self.tls_policy == "opportunistic":
            self._tls_refused = True
            return S.TLS_REFUSED_OPTIONAL
        return S.ANY_FAIL

    def _after_auth(self, reply: Reply) -> str:
        if reply.code == 334:
            return S.CHALLENGE
        if reply.klass != "2xx":
            return S.ANY_FAIL
        assert self.auth is not None
        if not self.auth.server_verified:
            return S.AUTH_UNVERIFIED
        return self._next(True)

    def _after_mail(self, reply: Reply) -> str:
        if reply.klass == "2xx":
            return "2xx"
        return S.MAIL_FAIL_PIPELINED if self._pipelined else self._next(False)

    def _after_rcpt(self, reply: Reply) -> str:
        assert self._current is not None
        rcpts = self._current.message.rcpt_to
        self._record_rcpt(rcpts[self._rcpt_index], reply)
        self._rcpt_index += 1
        if self._rcpt_index < len(rcpts):
            return S.RCPT_MORE
        if self._accepted():
            return S.RCPT_LAST_OK
        return S.RCPT_LAST_NONE_PIPELINED if self._pipelined else S.RCPT_LAST_NONE

    def _after_data(self, reply: Reply) -> str:
        return S.GO_AHEAD if reply.code == 354 else S.ANY_FAIL

    def _after_dot(self, reply: Reply) -> str:
        return self._next(reply.klass == "2xx")

    def _after_rset(self, reply: Reply) -> str:
        return self._next(True) if reply.klass == "2xx" else S.ANY_FAIL

    def _parse_extensions(self, reply: Reply) -> None:
        self.extensions = {}
        for line in reply.lines[1:]:
            keyword, _, params = line.partition(" ")
            self.extensions[keyword.upper()] = params

    def _accepted(self) -> bool:
        assert self._current is not None
        return any(r.outcome == "pending" for r in self._current.recipients)

    def _record_rcpt(self, rcpt: str, reply: Reply) -> None:
        assert self._current is not None
        if self._mail_failure is not None:
            reply = self._mail_failure
        outcome = "pending" if reply.klass == "2xx" else ("deferred" if reply.is_transient else "failed")
        self._current.recipients.append(RecipientResult(rcpt, outcome, reply))

    def _write(self, line: str) -> None:
        self._out += line.encode("utf-8") + b"\r\n"

    # --- effects ----------------------------------------------------------

    def _send_ehlo(self, reply: Reply | None) -> None:
        self._write(f"EHLO {self.helo_name}")

    def _send_helo(self, reply: Reply | None) -> None:
        self._write(f"HELO {self.helo_name}")

    def _send_quit(self, reply: Reply | None) -> None:
        self._write("QUIT")

    def _send_starttls(self, reply: Reply | None) -> None:
        self._write("STARTTLS")

    def _start_tls(self, reply: Reply | None) -> None:
        self._controls.append(StartTls())

    def _send_auth(self, reply: Reply | None) -> None:
        assert self.auth is not None
        self._exchange = sasl.ClientExchange(self.auth)
        # RFC 4954 4: the initial response on the command line saves a round trip
        self._write(self._exchange.command(f"AUTH {self.auth.name}"))

    def _send_sasl_response(self, reply: Reply | None) -> None:
        assert self._exchange is not None and reply is not None
        line = self._exchange.answer(reply.lines[0] if reply.lines else "")
        if line == sasl.CANCEL:
            # RFC 4954 4: the client cancels with "*" (a challenge it cannot or will not answer).
            self.error = str(self._exchange.failure)
        self._write(line)

    def _authenticated(self, reply: Reply | None) -> None:
        self.authenticated = True

    def _local_refusal(self, why: str, reply: Reply | None) -> None:
        """The client itself will not go on: every message gets ``why`` as its verdict."""
        self.error = why
        self._give_up(Reply(554, (why,), "5.7.0"))

    def _refuse_plaintext(self, reply: Reply | None) -> None:
        self._local_refusal("not sent: TLS is required and the server offers no STARTTLS (RFC 3207 4)", reply)

    def _refuse_unauthenticated(self, reply: Reply | None) -> None:
        assert self.auth is not None
        offered = self.extensions.get("AUTH", "") or "no AUTH at all"
        self._local_refusal(f"not sent: the server does not offer AUTH {self.auth.name} (it offers {offered})",
                            reply)

    def _refuse_unverified(self, reply: Reply | None) -> None:
        self._local_refusal("not sent: the server accepted the login without proving it knows the password "
                            "(RFC 5802 9)", reply)

    def _send_rset(self, reply: Reply | None) -> None:
        self._write("RSET")

    def _send_mail(self, reply: Reply | None) -> None:
        msg = self.pending.pop(0)
        self._current = MessageResult(msg)
        self.results.append(self._current)
        self._rcpt_index = 0
        self._mail_failure = None
        params = list(msg.params)
        data = msg.data
        if not data.isascii() and "8BITMIME" not in self.extensions:
            data = self.downgrade(data)
        self._data = data
        if "SIZE" in self.extensions:
            params.append(f"SIZE={len(data)}")
        if "8BITMIME" in self.extensions and not data.isascii():
            params.append("BODY=8BITMIME")
        if "SMTPUTF8" in self.extensions and not (msg.mail_from + "".join(msg.rcpt_to)).isascii():
            params.append("SMTPUTF8")
        self._write(" ".join([f"MAIL FROM:<{msg.mail_from}>", *params]))
        self._pipelined = self.pipelining
        if self._pipelined:
            for rcpt in msg.rcpt_to:
                self._write(f"RCPT TO:<{rcpt}>")
            self._write("DATA")

    def _send_rcpt(self, reply: Reply | None) -> None:
        if not self._pipelined:
            assert self._current is not None
            self._write(f"RCPT TO:<{self._current.message.rcpt_to[self._rcpt_index]}>")

    def _send_data(self, reply: Reply | None) -> None:
        if not self._pipelined:
            self._write("DATA")

    def _nothing(self, reply: Reply | None) -> None:
        """Effects that only move the state (await_data_reply, close, idle)."""

    def _send_message(self, reply: Reply | None) -> None:
        assert self._current is not None
        self._out += dot_stuff(self._data)

    def _fail_message(self, reply: Reply | None) -> None:
        """The transaction failed as a whole: every recipient still open gets ``reply``."""
        assert self._current is not None and reply is not None
        if self.state == S.C_EXPECT_RCPT_REPLY:
            # MAIL failed but RCPTs were pipelined: their replies still come, and
            # each recipient's verdict is the MAIL failure (RFC 2920 3.1).
            self._mail_failure = reply
            return
        outcome = "deferred" if reply.is_transient else "failed"
        for r in self._current.recipients:
            if r.outcome == "pending":
                r.outcome, r.reply = outcome, reply
        done = {r.recipient for r in self._current.recipients}
        for rcpt in self._current.message.rcpt_to:
            if rcpt not in done:
                self._current.recipients.append(RecipientResult(rcpt, outcome, reply))

    def _deliver(self, reply: Reply | None) -> None:
        assert self._current is not None and reply is not None
        for r in self._current.recipients:
            if r.outcome == "pending":
                r.outcome, r.reply = "delivered", reply

    def _fail_pending(self, reply: Reply | None) -> None:
        lost = reply or Reply(421, ("connection lost",), "4.4.2")
        if self._current is not None:
            for r in self._current.recipients:
                if r.outcome == "pending":
                    r.outcome, r.reply = "deferred", lost
            done = {r.recipient for r in self._current.recipients}
            for rcpt in self._current.message.rcpt_to:
                if rcpt not in done:
                    self._current.recipients.append(RecipientResult(rcpt, "deferred", lost))
        for msg in self.pending:
            self.results.append(MessageResult(msg, [RecipientResult(r, "deferred", lost) for r in msg.rcpt_to]))
        self.pending.clear()

    def _give_up(self, reply: Reply | None) -> None:
        """The server refused the session: no message left untried gets sent on it.

        Each gets the refusal as its verdict, deferred for 4xx and failed for 5xx,
        so that nothing is silently left behind.
        """
        assert reply is not None
        self.session_refused = reply
        outcome = "deferred" if reply.is_transient else "failed"
        for msg in self.pending:
            self.results.append(MessageResult(msg, [RecipientResult(r, outcome, reply) for r in msg.rcpt_to]))
        self.pending.clear()


def _check_effects() -> None:
    """Every effect the client table names has a handler, and every handler a row (at import)."""
    named = {e for tr in S.CLIENT_TABLE.transitions for e in tr.effect.split("+")}
    if named != set(SmtpClient("probe.invalid")._effects):
        raise AssertionError(f"smtp.client effects and table differ: {named ^ set(SmtpClient('x')._effects)}")


_check_effects()
