"""The sans-IO IMAP client machine, and the reader of server responses it and the runner share.

:class:`ResponseReader` turns server bytes into :class:`~.responses.Response`
objects (literals read whole, RFC 9051 4.3), raising
:class:`ResponseFormatError` for what is not a response (RFC 9051 7).

:class:`ImapClient` is driven with :meth:`ImapClient.send` of command objects
(:class:`Login`, :class:`Select`, :class:`Fetch`, :class:`Store`,
:class:`Search`, :class:`Copy`, :class:`Move`, :class:`Create`, :class:`Expunge`,
:class:`Noop`, :class:`Idle`, :class:`Done`, :class:`Logout`), one command at
a time, and keeps its own view of the selected mailbox from the untagged data
it reads: one entry per message sequence number, with the UID and flags it
was told (``EXISTS`` grows it, ``EXPUNGE`` removes one, ``FETCH`` fills one
in). Each finished command is kept in :attr:`ImapClient.results` with its
tagged response and the untagged data that came with it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from simulator.protocols import machine, sasl
from simulator.protocols.imap import states as S
from simulator.protocols.imap.responses import STATUS_WORDS, Response
from simulator.protocols.lines import TOO_LONG, LineBuffer
from simulator.protocols.machine import LocalProtocolError, RemoteProtocolError
from simulator.trace import Event, StateChanged

MACHINE = "imap.client"
RESPONSE_LINE_LIMIT = 1024 * 1024
RESPONSE_LITERAL_LIMIT = 64 * 1024 * 1024
_LITERAL_AT_END = re.compile(rb"~?\{([0-9]{1,20})\}\r\n\Z")


class ResponseFormatError(RemoteProtocolError, ValueError):
    """The server sent something that is not an RFC 9051 7 response."""


class ResponseReader:
    """Collects response lines and their literals into :class:`Response` objects."""

    def __init__(self) -> None:
        self._buffer = LineBuffer()
        self._parts: list[bytes] = []
        self._literals: list[bytes] = []
        self._want = -1

    def command_sent(self, data: bytes) -> None:
        """Nothing to learn: an IMAP response says itself where it ends (literals carry their size)."""

    def feed(self, data: bytes) -> None:
        self._buffer.feed(data)

    def next_reply(self) -> Response | None:
        while True:
            if self._want >= 0:
                octets = self._buffer.consume_exactly(self._want)
                if octets is None:
                    return None
                self._parts.append(octets)
                self._literals.append(octets)
                self._want = -1
            raw = self._buffer.next_line(RESPONSE_LINE_LIMIT)
            if raw is None:
                return None
            if raw is TOO_LONG:
                raise ResponseFormatError("response line longer than 1 MiB")
            assert isinstance(raw, bytes)
            self._parts.append(raw)
            m = _LITERAL_AT_END.search(raw)
            if m is not None:
                size = int(m.group(1))
                if size > RESPONSE_LITERAL_LIMIT:
                    raise ResponseFormatError(f"literal of {size} octets is too big")
                self._want = size
                continue
            whole, literals = b"".join(self._parts), tuple(self._literals)
            self._parts, self._literals = [], []
            return _response(whole, literals)


def _response(whole: bytes, literals: tuple[bytes, ...]) -> Response:
    first = whole.split(b"\r\n", 1)[0].decode("utf-8", "replace")
    tag, _, rest = first.partition(" ")
    if tag == "+":
        return Response("+", "+", rest, raw=whole, literals=literals)
    if not tag:
        raise ResponseFormatError(f"not an IMAP response: {first!r}")
    word, _, text = rest.partition(" ")
    status = word.upper()
    if status in STATUS_WORDS:
        code = text[1:].split("]", 1)[0].split(" ", 1)[0].upper() if text.startswith("[") else ""
        if tag != "*" and status not in ("OK", "NO", "BAD"):
            raise ResponseFormatError(f"a tagged response must be OK, NO or BAD: {first!r}")
        return Response(tag, status, text, code, literals, whole)
    if tag != "*":
        raise ResponseFormatError(f"not an IMAP response: {first!r}")
    whole_text = whole.decode("utf-8", "replace")
    return Response("*", "*", whole_text[2:].removesuffix("\r\n"), "", literals, whole)


# --- what the user asks of the client --------------------------------------------


def _quoted(text: str) -> str:
    if "\r" in text or "\n" in text or "\0" in text:
        raise ValueError(f"CR, LF or NUL in a command argument: {text!r}")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass(frozen=True, slots=True)
class Login:
    user: str
    password: str

    def line(self) -> str:
        return f"LOGIN {_quoted(self.user)} {_quoted(self.password)}"


@dataclass(frozen=True, slots=True)
class Authenticate:
    """Log in with a SASL ``mechanism`` (RFC 9051 6.2.2); SCRAM-SHA-256 needs the client ``nonce``.

    The initial response goes with the command where the server lists SASL-IR
    (RFC 4959), else as the answer to the first, empty challenge.
    """

    user: str
    password: str
    mechanism: str = "PLAIN"
    nonce: str = ""

    def __post_init__(self) -> None:
        if self.mechanism.upper() not in sasl.MECHANISMS:
            raise ValueError(f"unknown SASL mechanism {self.mechanism!r}; one of {', '.join(sasl.ALL)}")
        if sasl.MECHANISMS[self.mechanism.upper()].name == "SCRAM-SHA-256" and not self.nonce:
            raise ValueError("SCRAM-SHA-256 needs a client nonce (RFC 5802 5.1)")

    def line(self) -> str:
        return f"AUTHENTICATE {self.mechanism.upper()}"


@dataclass(frozen=True, slots=True)
class Select:
    mailbox: str = "INBOX"
    read_only: bool = False  # EXAMINE

    def line(self) -> str:
        return f"{'EXAMINE' if self.read_only else 'SELECT'} {_quoted(self.mailbox)}"


@dataclass(frozen=True, slots=True)
class Fetch:
    sequence: str  # "1:*"
    items: str = "(UID FLAGS)"
    uid: bool = False

    def line(self) -> str:
        return f"{'UID ' if self.uid else ''}FETCH {self.sequence} {self.items}"


@dataclass(frozen=True, slots=True)
class Store:
    sequence: str
    flags: tuple[str, ...]
    mode: str = "+"  # "+", "-" or "" (replace)
    silent: bool = False
    uid: bool = False

    def line(self) -> str:
        item = f"{self.mode}FLAGS{'.SILENT' if self.silent else ''}"
        return f"{'UID ' if self.uid else ''}STORE {self.sequence} {item} ({' '.join(self.flags)})"


@dataclass(frozen=True, slots=True)
class Search:
    criteria: str = "ALL"
    uid: bool = False

    def line(self) -> str:
        return f"{'UID ' if self.uid else ''}SEARCH {self.criteria}"


@dataclass(frozen=True, slots=True)
class Copy:
    sequence: str
    mailbox: str
    uid: bool = False

    def line(self) -> str:
        return f"{'UID ' if self.uid else ''}COPY {self.sequence} {_quoted(self.mailbox)}"


@dataclass(frozen=True, slots=True)
class Move:
    sequence: str
    mailbox: str
    uid: bool = False

    def line(self) -> str:
        return f"{'UID ' if self.uid else ''}MOVE {self.sequence} {_quoted(self.mailbox)}"


@dataclass(frozen=True, slots=True)
class Create:
    """CREATE a mailbox (RFC 9051 6.3.4); sent while a mailbox is selected, e.g. after a NO [TRYCREATE]."""

    mailbox: str

    def line(self) -> str:
        return f"CREATE {_quoted(self.mailbox)}"


@dataclass(frozen=True, slots=True)
class Expunge:
    def line(self) -> str:
        return "EXPUNGE"


@dataclass(frozen=True, slots=True)
class Noop:
    def line(self) -> str:
        return "NOOP"


@dataclass(frozen=True, slots=True)
class Idle:
    def line(self) -> str:
        return "IDLE"


@dataclass(frozen=True, slots=True)
class Done:
    """End IDLE (RFC 2177 3): the line ``DONE``, untagged."""


@dataclass(frozen=True, slots=True)
class Logout:
    def line(self) -> str:
        return "LOGOUT"


@dataclass(frozen=True, slots=True)
class StartTls:
    """STARTTLS (RFC 9051 6.2.1): on its OK the connection starts TLS (the client's StartTls control)."""

    def line(self) -> str:
        return "STARTTLS"


@dataclass(frozen=True, slots=True)
class Capability:
    """CAPABILITY (RFC 9051 6.1.1), as a client asks it again after STARTTLS."""

    def line(self) -> str:
        return "CAPABILITY"


ClientCommand = (Login | Authenticate | StartTls | Capability | Select | Fetch | Store | Search | Copy | Move | Create | Expunge | Noop | Idle | Done
                 | Logout)

# Which input of the client table a command is.
_SEND_INPUT: dict[type, str] = {
    Login: S.SEND_LOGIN, Authenticate: S.SEND_LOGIN, Select: S.SEND_SELECT, Fetch: S.SEND_COMMAND, Store: S.SEND_COMMAND,
    Search: S.SEND_COMMAND, Copy: S.SEND_COMMAND, Move: S.SEND_COMMAND, Create: S.SEND_COMMAND,
    Expunge: S.SEND_COMMAND,
    Noop: S.SEND_COMMAND, Idle: S.SEND_IDLE, Done: S.SEND_DONE, Logout: S.SEND_LOGOUT,
    StartTls: S.SEND_STARTTLS, Capability: S.SEND_CAPABILITY,
}


@dataclass(slots=True)
class MessageInfo:
    """What the client was told of one message (None: not told yet)."""

    uid: int | None = None
    flags: frozenset[str] | None = None


@dataclass(slots=True)
class CommandResult:
    tag: str
    line: str
    status: str = ""  # OK, NO or BAD
    response: Response | None = None
    untagged: list[Response] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "OK"


_FETCH = re.compile(r"([0-9]+) FETCH \((.*)\)\Z", re.S)
_UID = re.compile(r"\bUID ([0-9]+)")
_FLAGS = re.compile(r"\bFLAGS \(([^)]*)\)")
_NUMBERED = re.compile(r"([0-9]+) (EXISTS|EXPUNGE)\Z", re.I)


class ImapClient:
    """Sends one command at a time; reads what the server says; keeps its view of the mailbox."""

    table = S.CLIENT_TABLE

    def __init__(self) -> None:
        self.conn = ""
        self.state = S.CLIENT_TABLE.initial
        self.capabilities: set[str] = set()
        self.messages: list[MessageInfo] = []  # the selected mailbox, by sequence number
        self.mailbox = ""
        self.uid_validity = 0
        self.results: list[CommandResult] = []
        self.untagged: list[Response] = []  # untagged data read outside any command (IDLE pushes)
        self.error = ""
        self._reader = ResponseReader()
        self._out = bytearray()
        self._events: list[Event] = []
        self._tags = 0
        self._current: CommandResult | None = None
        self._selecting = ""
        self._sasl: sasl.ClientExchange | None = None  # the running AUTHENTICATE's exchange
        self.tls_active = False  # TLS is up (after STARTTLS; the host sets it for implicit TLS, RFC 8314)
        self._controls: list[machine.Control] = []
        self._effects: dict[str, Callable[[Response | None], None]] = {
            "greeted": self._nothing, "send_login": self._nothing, "logged_in": self._nothing,
            "failed": self._nothing, "send_select": self._start_select, "selected": self._selected,
            "send_command": self._nothing, "completed": self._nothing, "send_idle": self._nothing,
            "idling": self._nothing, "send_done": self._nothing, "bye": self._nothing,
            "logged_out": self._nothing, "send_logout": self._nothing, "lost": self._lost,
            "send_sasl_response": self._send_sasl_response, "refuse_unverified": self._refuse_unverified,
            "start_tls": self._start_tls, "tls_up": self._tls_up,
        }

    # --- public API -------------------------------------------------------

    def send(self, command: ClientCommand) -> list[Event]:
        """Send ``command`` now; LocalProtocolError if the table has no row for it here."""
        trigger = _SEND_INPUT[type(command)]
        tr = S.CLIENT_TABLE.lookup(self.state, trigger)
        if tr is None:
            raise LocalProtocolError(f"imap.client: cannot send {type(command).__name__} in {self.state}")
        if isinstance(command, Done):
            self._out += b"DONE\r\n"
        else:
            self._tags += 1
            tag = f"a{self._tags}"
            line = command.line() if not isinstance(command, Authenticate) else self._authenticate_line(command)
            self._current = CommandResult(tag, line)
            if isinstance(command, Select):
                self._selecting = command.mailbox
            self._out += f"{tag} {line}\r\n".encode()
        self._fire(trigger, None)
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
                response = self._reader.next_reply()
            except ResponseFormatError as exc:
                self.error = str(exc)
                self._fire(S.BAD_RESPONSE, None)
                break
            if response is None:
                break
            self._response(response)
        return self._take()

    def data_to_send(self) -> bytes:
        out = bytes(self._out)
        self._out.clear()
        return out

    def take_controls(self) -> list[machine.Control]:
        """What the client asks of its connection: StartTls, once the server said OK to STARTTLS."""
        controls, self._controls = self._controls, []
        return controls

    def tls_established(self) -> list[Event]:
        """The handshake STARTTLS asked for is done (RFC 9051 6.2.1): commands go on, over TLS."""
        self._fire(S.C_TLS_UP, None)
        return self._take()

    def tls_failed(self, reason: str = "") -> list[Event]:
        """The handshake failed and the connection is gone; ``reason`` is the TLS layer's."""
        self.error = f"TLS handshake failed: {reason}" if reason else "TLS handshake failed"
        self._fire(S.C_TLS_FAILED, None)
        return self._take()

    @property
    def closed(self) -> bool:
        return self.state in (S.C_LOGGED_OUT, S.C_ERROR)

    @property
    def exists(self) -> int:
        return len(self.messages)

    @property
    def last(self) -> CommandResult | None:
        return self.results[-1] if self.results else None

    def valid_inputs(self) -> list[str]:
        return S.CLIENT_TABLE.inputs_in(self.state)

    # --- reading ----------------------------------------------------------

    def _response(self, r: Response) -> None:
        if r.code == "BYE":
            self._note(r)
            self._fire(S.BYE, r)
            return
        if self.state == S.C_EXPECT_GREETING:
            self._note_capabilities(r)
            trigger = {"OK": S.GREETING_OK, "PREAUTH": S.GREETING_PREAUTH}.get(r.code, S.BAD_RESPONSE)
            self._fire(trigger, r)
            return
        if r.code == "+":
            if self.state == S.C_EXPECT_IDLE or (self.state == S.C_EXPECT_LOGIN and self._sasl is not None):
                self._fire(S.GO_AHEAD, r)
            return  # this client sends no literals, so no other continuation is asked for
        if r.tagged:
            current = self._current
            if current is None or r.tag != current.tag:
                self.error = f"tagged response for a command not sent: {r}"
                self._fire(S.BAD_RESPONSE, r)
                return
            current.status, current.response = r.code, r
            self._note_capabilities(r)
            self.results.append(current)
            self._current = None
            mechanism, self._sasl = self._sasl, None
            if r.code == "OK" and mechanism is not None and not mechanism.server_verified:
                self.error = f"the server accepted {mechanism.name} without proving it knows the password"
                self._fire(S.AUTH_UNVERIFIED, r)
                return
            self._fire(S.TAGGED_OK if r.code == "OK" else S.TAGGED_FAIL, r)
            return
        self._note(r)

    def _note(self, r: Response) -> None:
        (self._current.untagged if self._current is not None else self.untagged).append(r)
        self._note_capabilities(r)
        if r.code == "*":
            self._data(r.text)
        elif r.enhanced == "UIDVALIDITY":
            self.uid_validity = int(r.code_args or 0)

    def _note_capabilities(self, r: Response) -> None:
        if r.enhanced == "CAPABILITY":
            self.capabilities = set(r.code_args.upper().split())
        elif r.code == "*" and r.text.upper().startswith("CAPABILITY "):
            self.capabilities = set(r.text.upper().split()[1:])

    def _data(self, text: str) -> None:
        m = _NUMBERED.match(text)
        if m is not None:
            n = int(m.group(1))
            if m.group(2).upper() == "EXISTS":
                if n > len(self.messages):
                    self.messages += [MessageInfo() for _ in range(n - len(self.messages))]
                else:
                    del self.messages[n:]
            elif 1 <= n <= len(self.messages):
                del self.messages[n - 1]
            return
        m = _FETCH.match(text)
        if m is not None:
            n = int(m.group(1))
            if not 1 <= n <= len(self.messages):
                return
            info = self.messages[n - 1]
            uid, flags = _UID.search(m.group(2)), _FLAGS.search(m.group(2))
            if uid is not None:
                info.uid = int(uid.group(1))
            if flags is not None:
                info.flags = frozenset(flags.group(1).split())

    # --- the table --------------------------------------------------------

    def _fire(self, trigger: str, response: Response | None) -> None:
        tr = S.CLIENT_TABLE.lookup(self.state, trigger)
        if tr is None:
            self.error = self.error or f"unexpected response in {self.state}: {response}"
            tr = S.CLIENT_TABLE.lookup(self.state, S.BAD_RESPONSE)
            if tr is None:
                return
        self._effects[tr.effect](response)
        self._events.append(StateChanged(conn=self.conn, machine=MACHINE, from_state=self.state,
                                         to_state=tr.target, trigger=tr.input))
        self.state = tr.target

    def _take(self) -> list[Event]:
        events, self._events = self._events, []
        return events

    def _nothing(self, response: Response | None) -> None:
        pass

    # --- AUTHENTICATE (RFC 9051 6.2.2, SASL-IR RFC 4959) ----------------------------

    def _authenticate_line(self, command: Authenticate) -> str:
        mechanism = sasl.client_mechanism(command.mechanism, command.user, command.password, nonce=command.nonce)
        self._sasl = sasl.ClientExchange(mechanism)
        return self._sasl.command(command.line(), inline="SASL-IR" in self.capabilities)

    def _send_sasl_response(self, response: Response | None) -> None:
        """A "+" challenge: the mechanism's answer in base64 (an empty line for none), or "*" to give up."""
        assert response is not None and self._sasl is not None
        line = self._sasl.answer(response.text.strip())
        if line == sasl.CANCEL:  # RFC 9051 6.2.2: the client cancels; the server answers BAD
            self.error = f"{self._sasl.name}: {self._sasl.failure}"
        self._out += line.encode("ascii") + b"\r\n"

    def _start_tls(self, response: Response | None) -> None:
        # RFC 9051 6.2.1: the client MUST discard cached capability information after STARTTLS.
        self.capabilities = set()
        self._controls.append(machine.StartTls())

    def _tls_up(self, response: Response | None) -> None:
        self.tls_active = True

    def _refuse_unverified(self, response: Response | None) -> None:
        self._tags += 1
        tag = f"a{self._tags}"
        self._current = CommandResult(tag, "LOGOUT")
        self._out += f"{tag} LOGOUT\r\n".encode()

    def _start_select(self, response: Response | None) -> None:
        self.messages = []
        self.mailbox = ""
        self.uid_validity = 0

    def _selected(self, response: Response | None) -> None:
        self.mailbox = self._selecting

    def _lost(self, response: Response | None) -> None:
        if self._current is not None:
            self.results.append(self._current)
            self._current = None


def _check_effects() -> None:
    named = {tr.effect for tr in S.CLIENT_TABLE.transitions}
    if named != set(ImapClient()._effects):
        raise AssertionError(f"imap.client effects and table differ: {named ^ set(ImapClient()._effects)}")


_check_effects()
