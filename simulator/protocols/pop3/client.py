"""The sans-IO POP3 client machine: log in, look, download, delete, quit.

Driven with :meth:`Pop3Client.send` and the actions below (``Login``,
``Stat``, ``List``, ``Uidl``, ``Retr``, ``Top``, ``Dele``, ``Rset``, ``Noop``,
``Capa``, ``Quit``, and the helper ``Download``), it sends one command at a
time, reads each response (multi-line ones up to the final dot, unstuffed),
and keeps what it learnt: the result of every action, the maildrop listing,
the unique ids, and the messages downloaded with their UIDL. A ``-ERR``
fails only the action it answers; the next one is sent, so the client never
waits for a response that will not come. An action the session cannot do
now (a command before logging in, a second login, APOP when the greeting
had no timestamp) fails at once, unsent.

``Download(delete=...)`` is what a mail program does: UIDL, then RETR each
message whose unique id it has not seen before (``skip_uids``), and DELE
each one once it has been retrieved, if asked to ("leave a copy on the
server" otherwise): a message whose RETR fails is never deleted. Without
UIDL it falls back to LIST and takes them all.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

from simulator.protocols import machine, sasl
from simulator.protocols.machine import LocalProtocolError
from simulator.protocols.pop3 import states as S
from simulator.protocols.pop3.multiline import join_lines
from simulator.protocols.pop3.reader import ResponseFormatError, ResponseReader
from simulator.protocols.pop3.replies import CONTINUE, POSITIVE, Pop3Reply
from simulator.trace import Event, StateChanged

MACHINE = "pop3.client"
COMMAND_LINE_LIMIT = 255  # RFC 2449 4: an AUTH with an initial response longer than this is sent without it
LOGIN_METHODS = ("USER", "APOP", *sasl.ALL)  # the SASL ones go with AUTH (RFC 5034 4)
_TIMESTAMP = re.compile(r"<[^<>]*>")  # RFC 1939 7: the greeting's msg-id, as poplib finds it


def _check_text(*texts: str) -> None:
    for text in texts:
        if "\r" in text or "\n" in text:
            raise ValueError(f"CR or LF in a POP3 command argument: {text!r}")


def _check_number(n: int) -> None:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"a message number is a whole number from 1: {n!r}")


@dataclass(frozen=True, slots=True)
class Login:
    """Log in: USER/PASS (RFC 1939 7), ``method="APOP"`` (RFC 1939 7), or AUTH (RFC 5034) with a SASL
    mechanism: ``"PLAIN"``, ``"LOGIN"``, ``"CRAM-MD5"``, ``"SCRAM-SHA-256"`` (which needs the client ``nonce``)."""

    user: str
    password: str
    method: str = "USER"
    nonce: str = ""

    def __post_init__(self) -> None:
        _check_text(self.user, self.password)
        if self.method not in LOGIN_METHODS:
            raise ValueError(f"unknown login method {self.method!r}; one of {', '.join(LOGIN_METHODS)}")
        if self.method == "SCRAM-SHA-256" and not self.nonce:
            raise ValueError("SCRAM-SHA-256 needs a client nonce (RFC 5802 5.1)")


@dataclass(frozen=True, slots=True)
class Capa:
    ask: ClassVar[str] = S.ASK_CAPA
    command: ClassVar[str] = "CAPA"


@dataclass(frozen=True, slots=True)
class Stls:
    """STLS (RFC 2595 4): on its +OK the connection starts TLS (the client's StartTls control)."""

    ask: ClassVar[str] = S.ASK_STLS
    command: ClassVar[str] = "STLS"


@dataclass(frozen=True, slots=True)
class Stat:
    ask: ClassVar[str] = S.ASK_COMMAND
    command: ClassVar[str] = "STAT"


@dataclass(frozen=True, slots=True)
class List:
    """LIST (every message), or LIST n (one scan listing)."""

    n: int | None = None
    ask: ClassVar[str] = S.ASK_COMMAND

    def __post_init__(self) -> None:
        if self.n is not None:
            _check_number(self.n)

    @property
    def command(self) -> str:
        return "LIST" if self.n is None else f"LIST {self.n}"


@dataclass(frozen=True, slots=True)
class Uidl:
    n: int | None = None
    ask: ClassVar[str] = S.ASK_COMMAND

    def __post_init__(self) -> None:
        if self.n is not None:
            _check_number(self.n)

    @property
    def command(self) -> str:
        return "UIDL" if self.n is None else f"UIDL {self.n}"


@dataclass(frozen=True, slots=True)
class Retr:
    n: int
    ask: ClassVar[str] = S.ASK_COMMAND

    def __post_init__(self) -> None:
        _check_number(self.n)

    @property
    def command(self) -> str:
        return f"RETR {self.n}"


@dataclass(frozen=True, slots=True)
class Top:
    """The headers and the first ``lines`` lines of the body (RFC 1939 7)."""

    n: int
    lines: int = 0
    ask: ClassVar[str] = S.ASK_COMMAND

    def __post_init__(self) -> None:
        _check_number(self.n)
        if isinstance(self.lines, bool) or not isinstance(self.lines, int) or self.lines < 0:
            raise ValueError(f"TOP takes a number of lines from 0: {self.lines!r}")

    @property
    def command(self) -> str:
        return f"TOP {self.n} {self.lines}"


@dataclass(frozen=True, slots=True)
class Dele:
    n: int
    ask: ClassVar[str] = S.ASK_COMMAND

    def __post_init__(self) -> None:
        _check_number(self.n)

    @property
    def command(self) -> str:
        return f"DELE {self.n}"


@dataclass(frozen=True, slots=True)
class Rset:
    ask: ClassVar[str] = S.ASK_COMMAND
    command: ClassVar[str] = "RSET"


@dataclass(frozen=True, slots=True)
class Noop:
    ask: ClassVar[str] = S.ASK_COMMAND
    command: ClassVar[str] = "NOOP"


@dataclass(frozen=True, slots=True)
class Download:
    """Retrieve every message not seen before (by UIDL), deleting each from the server if ``delete``."""

    delete: bool = False
    skip_uids: frozenset[str] = frozenset()
    ask: ClassVar[str] = S.ASK_COMMAND
    command: ClassVar[str] = "UIDL"


@dataclass(frozen=True, slots=True)
class _DownloadByList:
    """Download's fallback when the server has no UIDL: LIST, then every message."""

    delete: bool
    ask: ClassVar[str] = S.ASK_COMMAND
    command: ClassVar[str] = "LIST"


@dataclass(frozen=True, slots=True)
class Quit:
    """End the session once every action asked for is done (UPDATE: the DELEs take effect)."""


Command = Capa | Stls | Stat | List | Uidl | Retr | Top | Dele | Rset | Noop | Download | _DownloadByList
Action = Login | Command | Quit


@dataclass(slots=True)
class ActionResult:
    action: Login | Command
    ok: bool
    reply: Pop3Reply | None = None  # None: refused here, never sent (``error`` says why)
    error: str = ""


@dataclass(frozen=True, slots=True)
class RetrievedMessage:
    number: int
    unique_id: str  # from UIDL, "" if the server gave none
    data: bytes  # the message with CRLF line ends, unstuffed


@dataclass(slots=True)
class _Listing:
    """What the client knows of the maildrop: numbers -> octets, numbers -> unique ids."""

    sizes: dict[int, int] = field(default_factory=dict)
    uids: dict[int, str] = field(default_factory=dict)


class Pop3Client:
    """Driven with :meth:`send`, fed the server's bytes with :meth:`receive_data`; what to write
    comes from :meth:`data_to_send`.

    ``actions`` given up front are sent as if by ``send(a)`` for each and then
    ``send(Quit())`` (a mail program's one download run).
    """

    table = S.CLIENT_TABLE

    def __init__(self, actions: list[Action] | None = None) -> None:
        self.conn = ""  # the connection id its events carry; the connection that runs it sets it
        self.state = S.CLIENT_TABLE.initial
        self.pending: list[Login | Command] = []
        self.results: list[ActionResult] = []
        self.messages: list[RetrievedMessage] = []
        self.capabilities: dict[str, list[str]] = {}
        self.stat: tuple[int, int] | None = None
        self.listing = _Listing()
        self.greeting: Pop3Reply | None = None
        self.timestamp = ""  # the APOP timestamp of the greeting, if any
        self.user = ""  # who is logged in
        self.last_reply: Pop3Reply | None = None
        self.session_refused: Pop3Reply | None = None  # an -ERR greeting
        self.error = ""
        self._quit_asked = False
        self._current: Login | Command | None = None
        self._refusal = ""  # why the next action cannot be sent now
        self._sasl: sasl.ClientExchange | None = None  # the running AUTH's exchange
        self.tls_active = False  # TLS is up (after STLS; the host sets it for pop3s, RFC 8314)
        self._controls: list[machine.Control] = []
        self._delete_after: set[int] = set()  # messages a Download deletes once retrieved
        self._reader = ResponseReader()
        self._out = bytearray()
        self._events: list[Event] = []
        # The table of effects: every effect a row names (checked below the class).
        self._effects: dict[str, Callable[[Pop3Reply | None], None]] = {
            "greeted": self._greeted, "give_up": self._give_up, "send_user": self._send_user,
            "send_pass": self._send_pass, "send_apop": self._send_apop, "send_auth": self._send_auth,
            "send_sasl_response": self._send_sasl_response, "send_command": self._send_command,
            "refuse_action": self._refuse_action, "send_quit": self._send_quit,
            "login_failed": self._record, "logged_in": self._logged_in, "record": self._record,
            "close": self._nothing, "fail_pending": self._fail_pending, "refuse_unverified": self._refuse_unverified,
            "start_tls": self._start_tls, "tls_up": self._tls_up,
        }
        # What a +OK to each command teaches the client: the table of result readers.
        self._on_ok: dict[type, Callable[[Command, Pop3Reply], None]] = {
            Capa: self._got_capa, Stat: self._got_stat, List: self._got_list, Uidl: self._got_uidl,
            Retr: self._got_message, Download: self._got_download_uidl, _DownloadByList: self._got_download_list,
        }
        self._on_err: dict[type, Callable[[Command, Pop3Reply], None]] = {
            Download: self._download_without_uidl, Retr: self._not_retrieved,
        }
        # How each login method starts.
        self._login_asks = {"USER": S.ASK_LOGIN_USER, "APOP": S.ASK_LOGIN_APOP,
                            **dict.fromkeys(sasl.ALL, S.ASK_LOGIN_SASL)}
        for action in actions or []:
            self._queue(action)
        if actions is not None:
            self._quit_asked = True

    # --- public API -------------------------------------------------------

    def send(self, action: Action) -> list[Event]:
        """Ask for ``action`` (after those asked before); returns the state changes it caused."""
        if self.closed:
            raise LocalProtocolError(f"pop3.client: the session is over ({self.state}); cannot {action}")
        if self._quit_asked:
            raise LocalProtocolError("pop3.client: QUIT was asked for; nothing may follow it")
        self._queue(action)
        self._dispatch()
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
            except ResponseFormatError as exc:
                self.error = str(exc)
                self._fire(S.BAD_REPLY, None)
                break
            if reply is None:
                break
            self.last_reply = reply
            kind = S.CHALLENGE if reply.status == CONTINUE else (S.OK if reply.status == POSITIVE else S.ERR)
            if kind == S.OK and self.state == S.C_EXPECT_SASL_REPLY and self._sasl is not None \
                    and not self._sasl.server_verified:
                kind = S.AUTH_UNVERIFIED
            if S.CLIENT_TABLE.lookup(self.state, kind) is None:
                self.error = f"unexpected {reply.status} response in {self.state}: {reply}"
                self._fire(S.BAD_REPLY, None)
                break
            self._fire(kind, reply)
            self._dispatch()
        return self._take()

    def data_to_send(self) -> bytes:
        out = bytes(self._out)
        self._out.clear()
        return out

    def take_controls(self) -> list[machine.Control]:
        """What the client asks of its connection: StartTls, once the server said +OK to STLS."""
        controls, self._controls = self._controls, []
        return controls

    def tls_established(self) -> list[Event]:
        """The handshake STLS asked for is done (RFC 2595 4): the actions asked for go on, over TLS."""
        self._fire(S.C_TLS_UP, None)
        self._dispatch()
        return self._take()

    def tls_failed(self, reason: str = "") -> list[Event]:
        """The handshake failed and the connection is gone; ``reason`` is the TLS layer's."""
        self.error = f"TLS handshake failed: {reason}" if reason else "TLS handshake failed"
        self._fire(S.C_TLS_FAILED, None)
        return self._take()

    @property
    def closed(self) -> bool:
        return self.state in (S.C_CLOSED, S.C_ERROR)

    @property
    def logged_in(self) -> bool:
        return bool(self.user)

    def result_of(self, action: Login | Command) -> ActionResult | None:
        """The result of the last action equal to ``action``, None if it has none yet."""
        return next((r for r in reversed(self.results) if r.action == action), None)

    # --- the table --------------------------------------------------------

    def _take(self) -> list[Event]:
        events, self._events = self._events, []
        return events

    def _queue(self, action: Action) -> None:
        if isinstance(action, Quit):
            self._quit_asked = True
        else:
            self.pending.append(action)

    def _fire(self, input: str, reply: Pop3Reply | None) -> None:
        tr = S.CLIENT_TABLE.lookup(self.state, input)
        if tr is None:
            raise LocalProtocolError(f"pop3.client: no row for {(self.state, input)}")
        self._events.append(
            StateChanged(conn=self.conn, machine=MACHINE, from_state=self.state, to_state=tr.target, trigger=input)
        )
        self.state = tr.target
        for effect in tr.effect.split("+"):
            self._effects[effect](reply)

    def _dispatch(self) -> None:
        """While idle, ask for the next action (or QUIT): each refused one is done at once."""
        while self.state in (S.C_AUTHORIZATION, S.C_TRANSACTION):
            if self.pending:
                self._fire(self._ask_for(self.pending[0]), None)
            elif self._quit_asked:
                self._fire(S.ASK_QUIT, None)
            else:
                return

    def _ask_for(self, action: Login | Command) -> str:
        """The input asking for ``action`` in this state (ASK_REFUSED, with the reason, if it cannot be)."""
        logged_in = self.state == S.C_TRANSACTION
        if isinstance(action, Login):
            if logged_in:
                return self._refuse(f"already logged in as {self.user}")
            if action.method == "APOP" and not self.timestamp:
                return self._refuse("the greeting carried no APOP timestamp (RFC 1939 section 7)")
            return self._login_asks[action.method]
        if action.ask == S.ASK_STLS:
            if logged_in or self.tls_active:
                return self._refuse("STLS only before login and without TLS (RFC 2595 section 4)")
            return action.ask
        if not logged_in and action.ask != S.ASK_CAPA:
            return self._refuse(f"{action.command.split(' ')[0]} needs a login first (RFC 1939 section 4)")
        return action.ask

    def _refuse(self, why: str) -> str:
        self._refusal = why
        return S.ASK_REFUSED

    def _write(self, line: str) -> None:
        data = line.encode("utf-8") + b"\r\n"
        self._out += data
        self._reader.command_sent(data)

    def _next(self) -> Login | Command:
        self._current = self.pending.pop(0)
        return self._current

    @property
    def _login(self) -> Login:
        assert isinstance(self._current, Login)
        return self._current

    # --- effects ----------------------------------------------------------

    def _nothing(self, reply: Pop3Reply | None) -> None:
        """close: the session is over; nothing is left to do."""

    def _greeted(self, reply: Pop3Reply | None) -> None:
        assert reply is not None
        self.greeting = reply
        found = _TIMESTAMP.search(reply.line)
        self.timestamp = found.group(0) if found else ""

    def _give_up(self, reply: Pop3Reply | None) -> None:
        """An -ERR greeting: no action is tried on this session; each fails with it."""
        assert reply is not None
        self.session_refused = reply
        for action in self.pending:
            self.results.append(ActionResult(action, False, reply))
        self.pending.clear()

    def _send_user(self, reply: Pop3Reply | None) -> None:
        self._write(f"USER {self._next().user}")  # type: ignore[union-attr]

    def _send_pass(self, reply: Pop3Reply | None) -> None:
        self._write(f"PASS {self._login.password}")

    def _send_apop(self, reply: Pop3Reply | None) -> None:
        login = self._next()
        assert isinstance(login, Login)
        digest = hashlib.md5((self.timestamp + login.password).encode("utf-8")).hexdigest()  # RFC 1939 7
        self._write(f"APOP {login.user} {digest}")

    def _send_auth(self, reply: Pop3Reply | None) -> None:
        login = self._next()
        assert isinstance(login, Login)
        mechanism = sasl.client_mechanism(login.method, login.user, login.password, nonce=login.nonce)
        self._sasl = sasl.ClientExchange(mechanism)
        # RFC 5034 4: an initial response that would make the command too long is not sent with it.
        self._write(self._sasl.command(f"AUTH {login.method}", limit=COMMAND_LINE_LIMIT))

    def _send_sasl_response(self, reply: Pop3Reply | None) -> None:
        """A + challenge: the mechanism's answer in base64 (an empty line for none), or ``*`` to give up."""
        assert reply is not None and self._sasl is not None
        line = self._sasl.answer(reply.line.strip())
        if line == sasl.CANCEL:  # RFC 5034 4: the client cancels; the server answers -ERR
            self.error = f"{self._sasl.name}: {self._sasl.failure}"
        self._write(line)

    def _start_tls(self, reply: Pop3Reply | None) -> None:
        # RFC 2595 4: the client MUST discard cached information about server capabilities.
        self.capabilities = {}
        self._controls.append(machine.StartTls())

    def _tls_up(self, reply: Pop3Reply | None) -> None:
        self.tls_active = True

    def _refuse_unverified(self, reply: Pop3Reply | None) -> None:
        """+OK to SCRAM without the server's proof: the login is not trusted (RFC 5802 9); QUIT follows."""
        assert self._current is not None and self._sasl is not None
        why = f"the server accepted {self._sasl.name} without proving it knows the password (RFC 5802 9)"
        self.error = why
        self.results.append(ActionResult(self._current, False, reply, why))
        self._current, self._sasl = None, None

    def _send_command(self, reply: Pop3Reply | None) -> None:
        self._write(self._next().command)  # type: ignore[union-attr]

    def _refuse_action(self, reply: Pop3Reply | None) -> None:
        self.results.append(ActionResult(self.pending.pop(0), False, None, self._refusal))
        self._refusal = ""

    def _send_quit(self, reply: Pop3Reply | None) -> None:
        self._current = None
        self._write("QUIT")

    def _logged_in(self, reply: Pop3Reply | None) -> None:
        self.user = self._login.user
        self._sasl = None
        self._record(reply)

    def _record(self, reply: Pop3Reply | None) -> None:
        """The response to the current action: its result, and what it teaches (by the action's type)."""
        assert reply is not None and self._current is not None
        action, self._current = self._current, None
        self.results.append(ActionResult(action, reply.ok, reply))
        if isinstance(action, Login):
            return
        handler = (self._on_ok if reply.ok else self._on_err).get(type(action))
        if handler is not None:
            handler(action, reply)

    def _fail_pending(self, reply: Pop3Reply | None) -> None:
        """The session ended under us: the action in progress and every one asked for fail."""
        why = str(reply) if reply is not None else (self.error or "connection lost")
        for action in ([self._current] if self._current is not None else []) + self.pending:
            self.results.append(ActionResult(action, False, reply, why))
        self._current = None
        self.pending.clear()

    # --- what responses teach ---------------------------------------------------

    def _got_capa(self, action: Command, reply: Pop3Reply) -> None:
        self.capabilities = {}
        for line in reply.body or ():
            words = line.decode("ascii", "replace").split()
            if words:
                self.capabilities[words[0].upper()] = words[1:]

    def _got_stat(self, action: Command, reply: Pop3Reply) -> None:
        count, size = _two_numbers(reply.line)
        if count is not None and size is not None:
            self.stat = (count, size)

    def _got_list(self, action: Command, reply: Pop3Reply) -> None:
        for n, size in _pairs(reply):
            if size.isdigit():
                self.listing.sizes[n] = int(size)

    def _got_uidl(self, action: Command, reply: Pop3Reply) -> None:
        for n, uid in _pairs(reply):
            self.listing.uids[n] = uid

    def _got_message(self, action: Command, reply: Pop3Reply) -> None:
        assert isinstance(action, Retr)
        self.messages.append(RetrievedMessage(action.n, self.listing.uids.get(action.n, ""),
                                              join_lines(reply.body or ())))
        if action.n in self._delete_after:  # safely here: now it may go from the server
            self._delete_after.discard(action.n)
            self.pending.insert(0, Dele(action.n))

    def _not_retrieved(self, action: Command, reply: Pop3Reply) -> None:
        assert isinstance(action, Retr)
        self._delete_after.discard(action.n)  # never delete what was not downloaded

    def _got_download_uidl(self, action: Command, reply: Pop3Reply) -> None:
        assert isinstance(action, Download)
        self._got_uidl(action, reply)
        todo = [n for n, uid in _pairs(reply) if uid not in action.skip_uids]
        self._plan_download(todo, action.delete)

    def _download_without_uidl(self, action: Command, reply: Pop3Reply) -> None:
        assert isinstance(action, Download)
        self.pending.insert(0, _DownloadByList(action.delete))

    def _got_download_list(self, action: Command, reply: Pop3Reply) -> None:
        assert isinstance(action, _DownloadByList)
        self._got_list(action, reply)
        self._plan_download([n for n, _ in _pairs(reply)], action.delete)

    def _plan_download(self, numbers: list[int], delete: bool) -> None:
        """RETR each (and DELE it once retrieved, if asked), before any action asked later."""
        if delete:
            self._delete_after.update(numbers)
        self.pending[:0] = [Retr(n) for n in numbers]


def _two_numbers(text: str) -> tuple[int | None, int | None]:
    words = text.split(" ")
    if len(words) >= 2 and words[0].isdigit() and words[1].isdigit():
        return int(words[0]), int(words[1])
    return None, None


def _pairs(reply: Pop3Reply) -> list[tuple[int, str]]:
    """The ``number SP value`` lines of a listing (LIST, UIDL), or of a one-line answer to ``LIST n``."""
    lines = [ln.decode("ascii", "replace") for ln in reply.body] if reply.body is not None else [reply.line]
    out = []
    for line in lines:
        number, _, value = line.partition(" ")
        value = value.split(" ")[0]
        if number.isdigit() and int(number) > 0 and value:
            out.append((int(number), value))
    return out


def _check_effects() -> None:
    """Every effect the client table names has a handler, and every handler a row (at import)."""
    named = {e for tr in S.CLIENT_TABLE.transitions for e in tr.effect.split("+")}
    if named != set(Pop3Client()._effects):
        raise AssertionError(f"pop3.client effects and table differ: {named ^ set(Pop3Client()._effects)}")


_check_effects()
