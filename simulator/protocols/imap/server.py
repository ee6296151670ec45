"""The sans-IO IMAP server machine (RFC 9051, with the IMAP4rev1 behaviour of RFC 3501 clients ask for).

Bytes go in with :meth:`ImapServer.receive_data` (``b""``: the peer closed),
trace events come back, the bytes to write are taken with
:meth:`ImapServer.data_to_send`, and what the machine asks of its connection
(start TLS, close) with :meth:`ImapServer.take_controls`, as with the SMTP
server. Mailboxes live in the host's store; passwords are checked by the
host (:class:`ImapPolicy`): the machine knows no socket or clock.

Every input goes through one row of :data:`states.SERVER_TABLE`. The row's
effect is a handler in the machine's table of handlers; a handler returns the
tagged response that ends its command (or None while the command goes on:
IDLE, AUTHENTICATE), and the response's status says whether the row's target
or its ``refused`` branch is taken.

**The session's view.** The server keeps what it has told this client: the
UIDs of the selected mailbox in sequence order (the client's message
sequence numbers) and the flags it was told of. Changes other sessions or
deliveries make reach the client as untagged ``EXISTS``, ``EXPUNGE`` and
``FETCH (FLAGS ...)`` at the points RFC 9051 allows: after any command
(before its tagged response), but no ``EXPUNGE`` while answering FETCH,
STORE or SEARCH (RFC 9051 7.5.1; their UID forms may), and at once while
idling (RFC 2177). Each time what the client was told changes, a
:class:`~simulator.trace.MailboxView` event records it.

**Output without input.** While idling, a change made elsewhere produces
bytes with no ``receive_data`` call to return them from. The machine then
calls its ``on_output`` attribute (None by default) with the events it
produced; the bytes are waiting in :meth:`data_to_send`. The connection (or
``mailsim serve``) sets ``on_output`` to record the events and write the bytes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from simulator.mail.store import MailboxError, MailboxExists, UnknownMailbox
from simulator.protocols import sasl
from simulator.protocols.imap import fetch as F
from simulator.protocols.imap import states as S
from simulator.protocols.imap.errors import BadCharset, ImapSyntaxError, UnknownCte
from simulator.protocols.imap.parser import (
    DEFAULT_APPEND_LIMIT,
    LITERAL_LIMIT,
    Command,
    CommandReader,
    Continue,
    Refusal,
)
from simulator.protocols.imap.responses import Continuation, Data, ServerResponse, Status, T, data
from simulator.protocols.imap.search import (
    SearchContext,
    esearch_response,
    parse_search,
    saved_result,
    search,
    search_response,
)
from simulator.protocols.imap.sequence import SequenceSet, compact
from simulator.protocols.imap.tokens import Atom, Literal, Token, text_of
from simulator.protocols.lines import TOO_LONG
from simulator.protocols.machine import (
    Close,
    Control,
    InputKind,
    LocalProtocolError,
    ServerMachineBase,
    StartTls,
    Transition,
)
from simulator.trace import CheckStep, CommandReceived, Event, MailboxView, ReplySent, StateChanged

MACHINE = "imap.server"
INBOX = "INBOX"
DELIMITER = "/"
AUTOLOGOUT_SECONDS = 30 * 60  # RFC 9051 5.4: at least 30 minutes
IDLE_REISSUE_SECONDS = 29 * 60  # RFC 2177 3: clients re-issue IDLE at least every 29 minutes
DEFAULT_MAX_ERRORS = 20
SYSTEM_FLAGS = ("\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft")
STATUS_ITEMS = ("MESSAGES", "UIDNEXT", "UIDVALIDITY", "UNSEEN", "DELETED", "SIZE", "RECENT")
ENABLEABLE = ("IMAP4REV2", "UTF8=ACCEPT")
# RFC 9051 7.5.1: no EXPUNGE while answering these (their UID forms are free to).
NO_EXPUNGE_DURING = frozenset({"FETCH", "STORE", "SEARCH"})


class ImapPolicy(Protocol):
    """What the host decides and keeps: passwords, the store, the time, injected faults."""

    store: Any  # the host's MailStore (see simulator/mail/store.py)

    def check_password(self, user: str, password: str) -> bool: ...

    def now(self) -> float: ...

    def fault(self, stage: str) -> Status | None:
        """The reply a scenario's fault puts in place of this stage's answer, if any."""
        ...


@dataclass(slots=True)
class ImapServerConfig:
    hostname: str
    append_limit: int = DEFAULT_APPEND_LIMIT
    max_errors: int = DEFAULT_MAX_ERRORS
    starttls: bool = False  # the connection can start TLS (then STARTTLS is offered: RFC 9051 6.2.1)
    tls: bool = False  # TLS is already up (implicit TLS, RFC 8314)
    # The SASL mechanisms AUTHENTICATE offers (RFC 9051 6.2.2); CRAM-MD5 and SCRAM-SHA-256 only
    # with a sasl_context (and a policy that is a sasl.SecretKeeper).
    mechanisms: tuple[str, ...] = sasl.ALL
    sasl_context: sasl.ServerContext | None = None
    # LOGIN, PLAIN and LOGIN-the-mechanism before TLS. False is Dovecot's disable_plaintext_auth:
    # LOGINDISABLED and no AUTH=PLAIN until STARTTLS (RFC 9051 6.2.3, 7.2.2).
    plaintext_auth: bool = True


@dataclass(slots=True)
class _Selected:
    folder: str
    read_only: bool
    uids: list[int]  # what the client was told, in sequence order
    told: dict[int, frozenset[str]]  # flags told per UID (a new message's count as told with its EXISTS)
    watch: Any = None


class _Refused(Exception):
    """A handler's early answer (NO or BAD) for its command."""

    def __init__(self, status: Status) -> None:
        super().__init__(status.text)
        self.status = status


def _bad(text: str, code: str = "") -> _Refused:
    return _Refused(Status("*", "BAD", text, code))


def _no(text: str, code: str = "") -> _Refused:
    return _Refused(Status("*", "NO", text, code))


class ImapServer(ServerMachineBase):
    table = S.SERVER_TABLE
    closed_state = S.LOGOUT

    def __init__(self, config: ImapServerConfig, policy: ImapPolicy, *, peer_host: str = "",
                 conn: str = "") -> None:
        self.config = config
        self.policy = policy
        self.store = policy.store
        self.conn = conn
        self.peer_host = peer_host
        self.state = S.SERVER_TABLE.initial
        self.user = ""
        self.on_output: Callable[[list[Event]], None] | None = None
        # Before login no literal may be larger than any other command's (APPEND is not valid
        # yet), so a stranger cannot make the server hold a message-sized literal.
        self._reader = CommandReader(append_limit=LITERAL_LIMIT)
        self._out = bytearray()
        self._events: list[Event] = []
        self._controls: list[Control] = []
        self._selected: _Selected | None = None
        self._enabled: set[str] = set()
        self._saved: list[int] = []  # the saved search result's UIDs ("$", SEARCHRES: RFC 9051 6.4.4.1)
        self._tls = config.tls
        self._errors = 0
        self._started = False
        self._busy = False  # inside receive_data (changes are then told at the command's end)
        self._pending_tag = ""  # the tag of IDLE or AUTHENTICATE while it runs
        self._mechanism: sasl.ServerMechanism | None = None
        self._sasl_user = ""
        self._sasl_error: Status | None = None  # the tagged NO or BAD a failed exchange ends with
        self._sasl_final = False  # the server's final data went as a challenge; an empty line answers it
        self._follow = ""  # an automatic input a handler asked to run next (the SASL verdict)
        self._handlers: dict[str, Callable[[Command], Status | None]] = {
            "capability": self._capability, "noop": self._noop, "id": self._id, "logout": self._logout,
            "login": self._login, "authenticate": self._authenticate, "sasl_step": self._sasl_step,
            "sasl_ok": self._sasl_ok, "sasl_failed": self._sasl_failed, "sasl_cancel": self._sasl_cancel, "starttls": self._starttls, "tls_up": self._tls_up,
            "tls_failed": self._tls_failed, "enable": self._enable, "create": self._create,
            "delete": self._delete, "rename": self._rename, "subscribe": self._subscribe,
            "unsubscribe": self._unsubscribe, "list": self._list, "lsub": self._lsub,
            "namespace": self._namespace, "status": self._status, "append": self._append,
            "select": self._select, "examine": self._select, "idle": self._idle, "done": self._done,
            "close": self._close, "unselect": self._unselect, "check": self._check,
            "expunge": self._expunge, "uid_expunge": self._expunge, "search": self._search,
            "uid_search": self._search, "fetch": self._fetch, "uid_fetch": self._fetch,
            "store": self._store_flags, "uid_store": self._store_flags, "copy": self._copy,
            "uid_copy": self._copy, "move": self._move_messages, "uid_move": self._move_messages,
            "close_errors": self._close_errors, "close_deleted": self._close_deleted, "close_timeout": self._close_timeout,
            "close_shutdown": self._close_shutdown, "abandon": self._abandon,
        }

    # --- public API -------------------------------------------------------

    def start(self) -> list[Event]:
        """Send the greeting (RFC 9051 7.1.1): ``* OK [CAPABILITY ...]``; never PREAUTH."""
        self._greet_once()
        return self._take_events()

    def receive_data(self, data: bytes) -> list[Event]:
        self._greet_once()
        if self.state == S.LOGOUT:
            return self._take_events()
        if data == b"":
            self._input(S.PEER_CLOSED)
            return self._take_events()
        if self.state == S.EXPECT_TLS:
            raise LocalProtocolError("bytes fed while the machine waits for TLS: handle its StartTls control, "
                                     "then call tls_established() or tls_failed()")
        self._busy = True
        try:
            self._reader.feed(data)
            while self.state not in (S.LOGOUT, S.EXPECT_TLS):
                if self.state in S.COMMAND_STATES:
                    item = self._reader.next()
                    if item is None:
                        break
                    self._item(item)
                else:
                    line = self._reader.next_line()
                    if line is None:
                        break
                    self._raw_line(line)
        finally:
            self._busy = False
        return self._take_events()

    def timeout(self, why: str = "") -> list[Event]:
        """The autologout timer fired (RFC 9051 5.4): ``* BYE`` and close."""
        if self.state != S.LOGOUT:
            self._input(S.TIMEOUT, why)
        return self._take_events()

    def shutdown(self) -> list[Event]:
        if self.state != S.LOGOUT:
            self._input(S.SHUTDOWN)
        return self._take_events()

    def tls_established(self) -> list[Event]:
        self._input(S.TLS_UP)
        return self._take_events()

    def tls_failed(self) -> list[Event]:
        self._input(S.TLS_FAILED)
        return self._take_events()

    @property
    def selected(self) -> str:
        """The selected mailbox ("" for none)."""
        return self._selected.folder if self._selected else ""

    def capabilities(self, *, logged_in: bool | None = None) -> list[str]:
        """What CAPABILITY lists now (RFC 9051 6.1.1): login mechanisms only before login."""
        if logged_in is None:
            logged_in = self.state not in (S.NOT_AUTHENTICATED, S.AUTHENTICATING)
        caps = ["IMAP4rev2", "IMAP4rev1", "LITERAL+", "ENABLE", "IDLE", "ID", "NAMESPACE", "UNSELECT",
                "UIDPLUS", "MOVE", "ESEARCH", "SEARCHRES", "CHILDREN", "LIST-EXTENDED", "SPECIAL-USE", "STATUS=SIZE",
                f"APPENDLIMIT={self.config.append_limit}", "UTF8=ACCEPT"]
        if not logged_in:
            if self.config.starttls and not self._tls:
                caps.append("STARTTLS")
            if not self.plaintext_allowed:
                caps.append("LOGINDISABLED")  # RFC 9051 6.2.3, 7.2.2: LOGIN is refused until TLS
            caps += ["SASL-IR", *(f"AUTH={m}" for m in self.offered())]
        return caps

    @property
    def plaintext_allowed(self) -> bool:
        """Whether a password may cross this connection as it is (LOGIN, AUTH=PLAIN): over TLS, or if allowed."""
        return self._tls or self.config.plaintext_auth

    def offered(self, *, tls: bool | None = None) -> tuple[str, ...]:
        """The AUTH= mechanisms now (``tls``: as they would be with TLS up or not)."""
        return sasl.available(self.config.mechanisms, tls=self._tls if tls is None else tls,
                              plaintext_auth=self.config.plaintext_auth, context=self.config.sasl_context)

    def sasl_steps(self) -> list[sasl.DerivationStep]:
        """The derivation of the running or last SCRAM exchange (RFC 5802 3), empty for other mechanisms."""
        return list(getattr(self._mechanism, "steps", []))

    # --- the table --------------------------------------------------------

    def _input(self, trigger: str, why: str = "") -> None:
        tr = S.SERVER_TABLE.lookup(self.state, trigger)
        if tr is None:
            raise LocalProtocolError(f"imap.server: no row for {trigger!r} in {self.state}")
        self._run(tr, Command("*", trigger, [], why))

    def _run(self, tr: Transition, cmd: Command) -> Status | None:
        try:
            result = self._handlers[tr.effect](cmd)
        except _Refused as refused:
            result = refused.status.with_tag(cmd.tag)
        accepted = result is None or result.status == "OK"
        if accepted:
            self._move(tr.target, tr.input)
        elif not tr.refused:
            raise LocalProtocolError(f"imap.server: {tr.effect} refused a row that cannot be refused: {tr}")
        elif tr.refused != self.state:
            # A row whose target is its refused branch (a SASL verdict, a cancel) leads there either way.
            self._move(tr.refused, tr.input if tr.refused == tr.target else f"{tr.input} refused")
        if result is not None:
            if self.state == S.SELECTED and S.SERVER_TABLE.kind_of(tr.input) == InputKind.COMMAND:
                self._tell_changes(expunge=tr.input not in NO_EXPUNGE_DURING)
            if self.state != S.LOGOUT or tr.target == S.LOGOUT:
                self._send(result)
        if self.state == S.LOGOUT:
            self._deselect()
        follow, self._follow = self._follow, ""
        if follow:
            return self._run(S.SERVER_TABLE.lookup(self.state, follow), Command(cmd.tag, follow, [], ""))
        return result

    def _move(self, target: str, trigger: str) -> None:
        self._events.append(StateChanged(conn=self.conn, machine=MACHINE, from_state=self.state,
                                         to_state=target, trigger=trigger))
        self.state = target
        if target == S.LOGOUT:
            self._controls.append(Close(trigger))

    # --- reading ----------------------------------------------------------

    def _item(self, item: Command | Refusal | Continue) -> None:
        if isinstance(item, Continue):
            self._send(Continuation(T.LITERAL))
            return
        if isinstance(item, Refusal):
            self._events.append(CommandReceived(conn=self.conn, machine=MACHINE, verb=item.name or "?",
                                                argument=f"[{item.tag}] {item.shown}".rstrip()))
            self._send(Status(item.tag, item.status, item.text, item.code))
            self._count_error(item.status)
            return
        self._command(item)

    def _command(self, cmd: Command) -> None:
        name, args = cmd.name, cmd.args
        if name == "UID" and args and isinstance(args[0], Atom) and args[0].upper() in S.UID_COMMANDS:
            name, args = f"UID {args[0].upper()}", args[1:]
        cmd = Command(cmd.tag, name, args, cmd.text)
        self._events.append(CommandReceived(conn=self.conn, machine=MACHINE, verb=name, argument=cmd.shown))
        if name not in S.KNOWN_COMMANDS:
            shown = name if len(name) <= 20 else name[:20] + "…"
            text = f"Unknown command {shown}" if name != "UID" else \
                f"UID takes one of {', '.join(sorted(S.UID_COMMANDS))} (RFC 9051 6.4.9)"
            self._send(Status(cmd.tag, "BAD", text))
            self._count_error("BAD")
            return
        tr = S.SERVER_TABLE.lookup(self.state, name)
        if tr is None:
            self._send(Status(cmd.tag, "BAD", f"{name} is not valid in the {_state_words(self.state)} state "
                                              "(RFC 9051 6)"))
            self._count_error("BAD")
            return
        if name == "STARTTLS" and not self.config.starttls:
            self._send(Status(cmd.tag, "BAD", "STARTTLS is not offered on this connection"))
            self._count_error("BAD")
            return
        result = self._run(tr, cmd)
        if result is not None:
            self._count_error(result.status)

    def _raw_line(self, line: bytes | object) -> None:
        """A line read outside commands: a SASL response or IDLE's DONE."""
        text = "(line too long)" if line is TOO_LONG else bytes(line).decode("utf-8", "replace")  # type: ignore[arg-type]
        if self.state == S.AUTHENTICATING:
            trigger = S.SASL_CANCEL if text.strip() == "*" else S.SASL_RESPONSE
            self._events.append(CommandReceived(conn=self.conn, machine=MACHINE, verb=trigger,
                                                argument=f"[{self._pending_tag}] {text}" if trigger != S.SASL_CANCEL
                                                else f"[{self._pending_tag}]"))
            self._sasl_line(text)
            return
        self._events.append(CommandReceived(conn=self.conn, machine=MACHINE, verb=S.DONE,
                                            argument=f"[{self._pending_tag}]" + ("" if text.upper() == "DONE"
                                                                                else f" {text}")))
        self._finish(S.DONE, text)

    def _sasl_line(self, text: str) -> None:
        self._finish(S.SASL_CANCEL if text.strip() == "*" else S.SASL_RESPONSE, text)

    def _finish(self, trigger: str, text: str) -> None:
        tr = S.SERVER_TABLE.lookup(self.state, trigger)
        assert tr is not None
        result = self._run(tr, Command(self._pending_tag, trigger, [], text))
        if result is not None:
            self._count_error(result.status)

    def _count_error(self, status: str) -> None:
        if status != "BAD":
            return
        self._errors += 1
        if self._errors >= self.config.max_errors and S.SERVER_TABLE.lookup(self.state, S.TOO_MANY_ERRORS):
            self._input(S.TOO_MANY_ERRORS)

    # --- writing ----------------------------------------------------------

    def _greet_once(self) -> None:
        if not self._started:
            self._started = True
            caps = " ".join(["CAPABILITY", *self.capabilities()])
            self._send(Status("*", "OK", f"{self.config.hostname} {T.GREETING}", caps))

    def _send(self, response: ServerResponse) -> None:
        self._out += response.to_bytes()
        self._events.append(ReplySent(conn=self.conn, machine=MACHINE, code=response.trace_code(),
                                      text=response.trace_text()))

    def _untagged(self, text: str) -> None:
        self._send(data(text))

    # --- the session's view of the selected mailbox -------------------------

    def _folder(self, name: str) -> Any:
        try:
            return self.store.folder(self.user, name)
        except UnknownMailbox:
            raise _no(f"Mailbox {name} does not exist", "NONEXISTENT") from None

    @staticmethod
    def _shown_flags(msg: Any) -> frozenset[str]:
        # The store keeps no \Recent (RFC 9051 appendix E drops it), so what is stored is what is told.
        return frozenset(msg.flags)

    def _tell_changes(self, *, expunge: bool) -> None:
        """Tell the client what changed in its mailbox since it was last told (RFC 9051 7.5.1)."""
        sel = self._selected
        if sel is None:
            return
        try:
            folder = self.store.folder(self.user, sel.folder)
        except UnknownMailbox:
            self._input(S.MAILBOX_GONE)
            return
        current = {m.uid: m for m in folder.messages}
        changed = False
        if expunge:
            n = 0
            while n < len(sel.uids):
                if sel.uids[n] not in current:
                    self._untagged(f"{n + 1} EXPUNGE")
                    sel.told.pop(sel.uids[n], None)
                    del sel.uids[n]
                    changed = True
                else:
                    n += 1
        for n, uid in enumerate(sel.uids, 1):
            msg = current.get(uid)
            if msg is not None and self._shown_flags(msg) != sel.told.get(uid):
                self._send(Data(b"%d FETCH " % n + F.fetch_response(n, msg, [F.UID, F.FLAGS])))
                sel.told[uid] = self._shown_flags(msg)
                changed = True
        known = set(sel.uids)
        top = max(known, default=0)
        new = [m for m in folder.messages if m.uid > top and m.uid not in known]
        if new:
            # Its flags count as told with EXISTS, so a later change to them is reported (FETCH FLAGS).
            sel.uids.extend(m.uid for m in new)
            sel.told.update({m.uid: self._shown_flags(m) for m in new})
            self._untagged(f"{len(sel.uids)} EXISTS")
            changed = True
        if changed:
            self._record_view()

    def _record_view(self) -> None:
        sel = self._selected
        uids = tuple(sel.uids) if sel else ()
        flags = tuple(" ".join(sorted(sel.told[u])) for u in uids) if sel else ()
        self._events.append(MailboxView(conn=self.conn, host=self.store.host, user=self.user,
                                        folder=sel.folder if sel else "", peer=self.peer_host, uids=uids,
                                        flags=flags, read_only=bool(sel and sel.read_only)))

    def _on_change(self, change: Any) -> None:
        """The store's watch listener: changes made elsewhere, pushed at once while idling."""
        if change.kind == "renamed" and self._selected is not None:
            self._selected.folder = change.name  # RENAME of the selected mailbox: it stays selected
            return
        if self._busy or self.state != S.IDLING:
            return  # told after the current or the next command
        self._tell_changes(expunge=True)
        events = self._take_events()
        if events and self.on_output is not None:
            self.on_output(events)
        elif events:
            self._events = events  # nobody to hand them to yet: returned by the next call

    def _deselect(self) -> None:
        sel, self._selected = self._selected, None
        if sel is not None:
            if sel.watch is not None:
                sel.watch.close()
            self._record_view()

    def _seqs(self, token: Token, uid: bool) -> list[int]:
        """The sequence numbers (1-based, ascending) a sequence set names."""
        sel = self._selected
        assert sel is not None
        try:
            sset = SequenceSet.parse(_atom_text(token))
            if uid:
                wanted = set(sset.resolve_uids(sorted(sel.uids), saved=self._saved))
                return [n for n, u in enumerate(sel.uids, 1) if u in wanted]
            saved = {u for u in self._saved}
            return sset.resolve(len(sel.uids), saved=[n for n, u in enumerate(sel.uids, 1) if u in saved])
        except ImapSyntaxError as exc:
            raise _bad(str(exc)) from None

    def _messages(self, seqs: list[int]) -> list[tuple[int, Any]]:
        """(sequence number, stored message) for those still in the store."""
        sel = self._selected
        assert sel is not None
        folder = self._folder(sel.folder)
        out = []
        for n in seqs:
            msg = folder.by_uid(sel.uids[n - 1])
            if msg is not None:
                out.append((n, msg))
        return out

    # --- handlers: any state (RFC 9051 6.1) -------------------------------

    def _capability(self, cmd: Command) -> Status:
        _no_args(cmd)
        self._untagged(" ".join(["CAPABILITY", *self.capabilities()]))
        return Status(cmd.tag, "OK", "CAPABILITY completed")

    def _noop(self, cmd: Command) -> Status:
        _no_args(cmd)
        return Status(cmd.tag, "OK", "NOOP completed")

    def _id(self, cmd: Command) -> Status:
        # RFC 2971 3.1: "ID" SP ("(" [string SP nstring *(SP string SP nstring)] ")" / nil)
        if len(cmd.args) != 1:
            raise _bad("ID takes one argument: a parenthesised list of field-value pairs, or NIL")
        arg = cmd.args[0]
        if not ((isinstance(arg, Atom) and arg.upper() == "NIL") or (isinstance(arg, list) and len(arg) % 2 == 0 and len(arg) <= 60
                                          and all(not isinstance(t, list) for t in arg))):
            raise _bad("ID takes a list of field-value pairs, or NIL (RFC 2971 3.1)")
        self._untagged('ID ("name" "mailsim" "vendor" "mailsim teaching simulator")')
        return Status(cmd.tag, "OK", "ID completed")

    def _logout(self, cmd: Command) -> Status:
        _no_args(cmd)
        self._send(Status("*", "BYE", T.LOGOUT))
        return Status(cmd.tag, "OK", "LOGOUT completed")

    # --- not authenticated (RFC 9051 6.2) ----------------------------------

    def _login(self, cmd: Command) -> Status:
        if len(cmd.args) != 2 or any(isinstance(a, list) for a in cmd.args):
            raise _bad("LOGIN takes a user name and a password (RFC 9051 6.2.3)")
        if not self.plaintext_allowed:
            # RFC 9051 6.2.3: LOGINDISABLED is advertised and LOGIN not permitted before TLS; the code
            # is RFC 5530 3's PRIVACYREQUIRED ("the client could try STARTTLS"), as Dovecot answers.
            return Status(cmd.tag, "NO", "Plaintext authentication disallowed on non-secure connections: "
                                         "use STARTTLS first", "PRIVACYREQUIRED")
        user, password = (text_of(a) for a in cmd.args)
        fault = self.policy.fault("LOGIN")
        if fault is not None:
            return fault.with_tag(cmd.tag)
        if not self.store.has_user(user) or not self.policy.check_password(user, password):
            return Status(cmd.tag, "NO", "Wrong user name or password", "AUTHENTICATIONFAILED")
        self.user = user.lower()
        return self._logged_in(cmd.tag, "LOGIN")

    def _logged_in(self, tag: str, how: str) -> Status:
        self._reader.append_limit = self.config.append_limit
        caps = " ".join(["CAPABILITY", *self.capabilities(logged_in=True)])  # RFC 9051 6.2.3
        return Status(tag, "OK", f"{how} completed; logged in as {self.user}", caps)

    def _authenticate(self, cmd: Command) -> None:
        if not 1 <= len(cmd.args) <= 2 or not all(isinstance(a, Atom) for a in cmd.args):
            raise _bad("AUTHENTICATE takes a mechanism name and an optional initial response (RFC 9051 6.2.2)")
        name = cmd.args[0].upper()
        if name not in self.offered(tls=True):
            shown = name if name.isprintable() and len(name) <= 20 else "(unprintable)"
            # RFC 9051 6.2.2: an unsupported mechanism SHOULD get a tagged NO.
            raise _no(f"Unsupported authentication mechanism {shown}; this server offers "
                      f"{', '.join(self.offered()) or 'none before STARTTLS'}", "CANNOT")
        if name not in self.offered():
            raise _no(f"Plaintext authentication ({name}) disallowed on non-secure connections: "
                      "use STARTTLS first", "PRIVACYREQUIRED")  # RFC 5530 3, as for LOGIN
        initial: bytes | None = None
        if len(cmd.args) == 2:  # SASL-IR (RFC 4959 3): "=" is an empty initial response
            try:
                initial = sasl.decode_response(str(cmd.args[1]), initial=True)
            except sasl.SaslFailure:  # "*" is no base64 either
                raise _bad("The initial response is not valid base64 (RFC 9051 6.2.2, RFC 4959 3)") from None
            if initial and sasl.MECHANISMS[name].server_first:
                # RFC 9051 6.2.2: an initial response to a mechanism that has none MUST get a tagged BAD.
                raise _bad(f"{name} takes no initial response: the server speaks first")
        self._mechanism = sasl.server_mechanism(name, self.policy, self.config.sasl_context,
                                                offered=self.config.mechanisms)
        self._pending_tag = cmd.tag
        self._sasl_error, self._sasl_final, self._sasl_user = None, False, ""
        self._sasl_feed(initial)
        return None

    def _sasl_feed(self, data: bytes | None) -> None:
        """Feed the mechanism: a challenge goes as a "+" continuation, a verdict becomes the next input."""
        assert self._mechanism is not None
        try:
            result = self._mechanism.step(data)
        except sasl.SaslFailure as exc:
            self._sasl_error = Status(self._pending_tag, "NO", f"Authentication failed: {exc}",
                                      "AUTHENTICATIONFAILED")  # RFC 5530 3
            self._follow = S.SASL_FAILED
            return
        if isinstance(result, sasl.SaslSuccess):
            self._sasl_user = result.user
            if result.server_final is not None:
                # The server's data with success (SCRAM's v=) goes in one more challenge, which the
                # client answers with an empty line; only then the tagged OK (as Dovecot does).
                self._sasl_final = True
                self._send(Continuation(sasl.encode(result.server_final)))
                return
            self._follow = S.SASL_OK
            return
        self._send(Continuation(sasl.encode(result)))

    def _sasl_step(self, cmd: Command) -> None:
        text = cmd.text.strip()
        if self._sasl_error is not None:
            self._follow = S.SASL_FAILED
            return None
        try:
            data = sasl.decode_response(text)
        except sasl.SaslFailure:
            # RFC 9051 6.2.2: an invalid base64 string MUST be answered with a tagged BAD.
            self._sasl_error = Status(cmd.tag, "BAD", "The response is not valid base64 (RFC 9051 6.2.2)")
            self._follow = S.SASL_FAILED
            return None
        if self._sasl_final:
            if data:
                self._sasl_error = Status(cmd.tag, "NO", "Authentication failed: the answer to the server's "
                                                         "final data must be empty", "AUTHENTICATIONFAILED")
            self._follow = S.SASL_FAILED if data else S.SASL_OK
            return None
        self._sasl_feed(data)
        return None

    def _end_sasl(self) -> None:
        self._events.extend(CheckStep(host=self.config.hostname, check="scram", text=step.text())
                            for step in self.sasl_steps())
        self._mechanism, self._sasl_final = None, False

    def _sasl_ok(self, cmd: Command) -> Status:
        self._end_sasl()
        user = self._sasl_user
        fault = self.policy.fault("LOGIN")
        if fault is not None:
            return fault.with_tag(cmd.tag)
        if not self.store.has_user(user):
            return Status(cmd.tag, "NO", "Wrong user name or password", "AUTHENTICATIONFAILED")
        self.user = user.lower()
        return self._logged_in(cmd.tag, "AUTHENTICATE")

    def _sasl_failed(self, cmd: Command) -> Status:
        self._end_sasl()
        error, self._sasl_error = self._sasl_error, None
        return (error or Status(cmd.tag, "NO", "Authentication failed", "AUTHENTICATIONFAILED")).with_tag(cmd.tag)

    def _sasl_cancel(self, cmd: Command) -> Status:
        self._end_sasl()
        self._sasl_error = None
        return Status(cmd.tag, "BAD", "AUTHENTICATE cancelled by the client (RFC 9051 6.2.2)")

    def _starttls(self, cmd: Command) -> Status:
        _no_args(cmd)
        if self._tls:
            raise _bad("TLS is already active")
        self._controls.append(StartTls(leftover=self._reader.buffer.take_all()))
        return Status(cmd.tag, "OK", "Begin TLS negotiation now")

    def _tls_up(self, cmd: Command) -> None:
        self._tls = True  # RFC 9051 6.2.1: capabilities are asked again; nothing else is kept
        return None

    def _tls_failed(self, cmd: Command) -> None:
        return None

    # --- authenticated (RFC 9051 6.3) ---------------------------------------

    def _enable(self, cmd: Command) -> Status:
        if not cmd.args or not all(isinstance(a, Atom) for a in cmd.args):
            raise _bad("ENABLE takes one or more capability names (RFC 9051 6.3.1)")
        newly = [str(a) for a in cmd.args if a.upper() in ENABLEABLE and a.upper() not in self._enabled]
        self._enabled.update(a.upper() for a in newly)
        self._untagged(" ".join(["ENABLED", *newly]))
        return Status(cmd.tag, "OK", "ENABLE completed")

    def _namespace(self, cmd: Command) -> Status:
        _no_args(cmd)
        self._untagged(f'NAMESPACE (("" "{DELIMITER}")) NIL NIL')  # RFC 9051 6.3.10: personal only
        return Status(cmd.tag, "OK", "NAMESPACE completed")

    def _select(self, cmd: Command) -> Status:
        read_only = cmd.name == "EXAMINE"
        if len(cmd.args) != 1:
            raise _bad(f"{cmd.name} takes a mailbox name (RFC 9051 6.3.2)")
        name = _mailbox_arg(cmd.args[0])
        if self._selected is not None:
            self._deselect()
            self._send(Status("*", "OK", "Previous mailbox is now closed", "CLOSED"))  # RFC 9051 7.1 CLOSED
        fault = self.policy.fault("SELECT")
        if fault is not None:
            return fault.with_tag(cmd.tag)
        folder = self._folder(name)
        if folder.noselect:
            raise _no(f"{folder.name} cannot be selected: it only holds other mailboxes (\\Noselect)", "CANNOT")
        msgs = list(folder.messages)
        sel = _Selected(folder.name, read_only, [m.uid for m in msgs], {m.uid: self._shown_flags(m) for m in msgs})
        self._untagged(f"{len(msgs)} EXISTS")
        if "IMAP4REV2" not in self._enabled:  # RFC 3501 6.3.1: RECENT and UNSEEN for IMAP4rev1 clients
            self._untagged("0 RECENT")  # no session here ever sees a message first: none is \Recent
            unseen = next((n for n, m in enumerate(msgs, 1) if "\\Seen" not in m.flags), 0)
            if unseen:
                self._send(Status("*", "OK", f"Message {unseen} is the first unseen", f"UNSEEN {unseen}"))
        self._untagged(f"FLAGS ({' '.join(SYSTEM_FLAGS)})")
        permanent = "" if read_only else " ".join([*SYSTEM_FLAGS, "\\*"])
        self._send(Status("*", "OK", "Flags permitted" if permanent else "No permanent flags permitted",
                          f"PERMANENTFLAGS ({permanent})"))
        self._send(Status("*", "OK", "UIDs valid", f"UIDVALIDITY {folder.uid_validity}"))
        self._send(Status("*", "OK", "Predicted next UID", f"UIDNEXT {folder.uid_next}"))
        self._untagged(f"LIST () \"{DELIMITER}\" {_quote(folder.name)}")
        sel.watch = self.store.watch(self.user, folder.name, self._on_change)
        self._selected = sel
        self._saved = []
        self._record_view()
        mode = "READ-ONLY" if read_only else "READ-WRITE"
        return Status(cmd.tag, "OK", f"{cmd.name} completed", mode)

    def _create(self, cmd: Command) -> Status:
        name = self._one_mailbox(cmd).rstrip(DELIMITER)
        if not name:
            raise _bad("CREATE needs a mailbox name")
        if name.upper() == INBOX:
            raise _no("INBOX always exists", "ALREADYEXISTS")
        try:
            self.store.create_folder(self.user, name, origin=self)
        except MailboxExists:
            raise _no(f"Mailbox {name} already exists", "ALREADYEXISTS") from None
        except MailboxError as exc:
            raise _no(str(exc), "CANNOT") from None
        return Status(cmd.tag, "OK", "CREATE completed")

    def _delete(self, cmd: Command) -> Status:
        name = self._one_mailbox(cmd)
        if name.upper() == INBOX:
            raise _no("INBOX cannot be deleted (RFC 9051 6.3.5)", "CANNOT")
        self._folder(name)
        if self._selected is not None and self._selected.folder == name:
            self._deselect()  # this session deletes its own mailbox: nothing left to tell about it
        try:
            self.store.delete_folder(self.user, name, origin=self)
        except UnknownMailbox:
            raise _no(f"Mailbox {name} does not exist", "NONEXISTENT") from None
        except MailboxError as exc:
            raise _no(str(exc), "CANNOT") from None
        return Status(cmd.tag, "OK", "DELETE completed")

    def _rename(self, cmd: Command) -> Status:
        if len(cmd.args) != 2:
            raise _bad("RENAME takes the existing and the new mailbox name (RFC 9051 6.3.6)")
        old, new = (_mailbox_arg(a) for a in cmd.args)
        self._folder(old)
        try:
            self.store.rename_folder(self.user, old, new.rstrip(DELIMITER), origin=self)
        except MailboxExists:
            raise _no(f"Mailbox {new} already exists", "ALREADYEXISTS") from None
        except UnknownMailbox:
            raise _no(f"Mailbox {old} does not exist", "NONEXISTENT") from None
        except MailboxError as exc:
            raise _no(str(exc), "CANNOT") from None
        return Status(cmd.tag, "OK", "RENAME completed")

    def _subscribe(self, cmd: Command) -> Status:
        name = self._one_mailbox(cmd)
        self._folder(name)  # RFC 9051 6.3.7: a server may refuse names that do not exist; we do
        self.store.subscribe(self.user, name, origin=self)
        return Status(cmd.tag, "OK", "SUBSCRIBE completed")

    def _unsubscribe(self, cmd: Command) -> Status:
        name = self._one_mailbox(cmd)
        if name not in self.store.subscriptions(self.user):
            raise _no(f"Not subscribed to {name}", "NONEXISTENT")
        self.store.unsubscribe(self.user, name, origin=self)
        return Status(cmd.tag, "OK", "UNSUBSCRIBE completed")

    def _one_mailbox(self, cmd: Command) -> str:
        if len(cmd.args) != 1:
            raise _bad(f"{cmd.name} takes one mailbox name")
        return _mailbox_arg(cmd.args[0])

    def _list(self, cmd: Command) -> Status:
        args = list(cmd.args)
        select: set[str] = set()
        if args and isinstance(args[0], list):  # RFC 5258 3: selection options
            select = {_atom_text(a).upper() for a in args.pop(0)}
            unknown = select - {"SUBSCRIBED", "SPECIAL-USE", "RECURSIVEMATCH"}
            if unknown:
                raise _bad(f"Unknown LIST selection option {sorted(unknown)[0]}")
            if "RECURSIVEMATCH" in select and not select - {"RECURSIVEMATCH"}:
                raise _bad("RECURSIVEMATCH needs another selection option (RFC 5258 3)")
        returns: set[str] = set()
        if len(args) == 4 and isinstance(args[2], Atom) and args[2].upper() == "RETURN" and isinstance(args[3], list):
            returns = {_atom_text(a).upper() for a in args[3]}
            unknown = returns - {"SUBSCRIBED", "CHILDREN", "SPECIAL-USE"}
            if unknown:
                raise _bad(f"Unknown LIST return option {sorted(unknown)[0]}")
            args = args[:2]
        if len(args) != 2:
            raise _bad("LIST takes a reference name and a mailbox pattern (RFC 9051 6.3.9)")
        reference = _mailbox_arg(args[0], keep_case=True)
        patterns = [_mailbox_arg(p, keep_case=True) for p in args[1]] if isinstance(args[1], list) \
            else [_mailbox_arg(args[1], keep_case=True)]
        if patterns == [""]:  # RFC 9051 6.3.9: the hierarchy delimiter and root
            self._untagged(f'LIST (\\Noselect) "{DELIMITER}" ""')
            return Status(cmd.tag, "OK", "LIST completed")
        for line in self._list_lines("LIST", reference, patterns, select, returns):
            self._untagged(line)
        return Status(cmd.tag, "OK", "LIST completed")

    def _lsub(self, cmd: Command) -> Status:
        if len(cmd.args) != 2:
            raise _bad("LSUB takes a reference name and a mailbox pattern (RFC 3501 6.3.9)")
        reference, pattern = (_mailbox_arg(a, keep_case=True) for a in cmd.args)
        for line in self._list_lines("LSUB", reference, [pattern], {"SUBSCRIBED"}, set()):
            self._untagged(line)
        return Status(cmd.tag, "OK", "LSUB completed")

    def _list_lines(self, verb: str, reference: str, patterns: list[str], select: set[str],
                    returns: set[str]) -> list[str]:
        folders = self.store.folders(self.user)
        names = list(folders)
        subscribed = set(self.store.subscriptions(self.user))
        full = [reference + p for p in patterns]
        matchers = [_pattern(p) for p in full]
        inbox_matchers = [_pattern(p.upper()) for p in full]  # INBOX matches in any case (RFC 9051 5.1)
        candidates = subscribed if "SUBSCRIBED" in select else set(names)
        out = []
        for name in sorted(candidates, key=_folder_order):
            matched = any(m.fullmatch(name) for m in matchers) or (
                name == INBOX and any(m.fullmatch(INBOX) for m in inbox_matchers))
            if not matched:
                continue
            folder = folders.get(name)
            special = getattr(folder, "special_use", "") if folder is not None else ""
            if "SPECIAL-USE" in select and not special:
                continue
            attrs = []
            if folder is None:
                attrs.append("\\NonExistent")
            elif folder.noselect:
                attrs.append("\\Noselect")
            if folder is not None and verb == "LIST":
                has_children = any(other.startswith(name + DELIMITER) for other in names)
                attrs.append("\\HasChildren" if has_children else "\\HasNoChildren")
            if verb == "LIST" and name in subscribed and ("SUBSCRIBED" in select or "SUBSCRIBED" in returns):
                attrs.append("\\Subscribed")
            if special and verb == "LIST":
                attrs.append(special)
            out.append(f'{verb} ({" ".join(attrs)}) "{DELIMITER}" {_quote(name)}')
        return out

    def _status(self, cmd: Command) -> Status:
        if len(cmd.args) != 2 or not isinstance(cmd.args[1], list) or not cmd.args[1]:
            raise _bad("STATUS takes a mailbox name and a list of items (RFC 9051 6.3.11)")
        name = _mailbox_arg(cmd.args[0])
        items = [_atom_text(a).upper() for a in cmd.args[1]]
        for item in items:
            if item not in STATUS_ITEMS:
                raise _bad(f"Unknown STATUS item {item}")
        folder = self._folder(name)
        if folder.noselect:
            raise _no(f"{folder.name} holds no messages (\\Noselect)", "CANNOT")
        msgs = list(folder.messages)
        values = {
            "MESSAGES": len(msgs), "UIDNEXT": folder.uid_next, "UIDVALIDITY": folder.uid_validity,
            "UNSEEN": sum("\\Seen" not in m.flags for m in msgs),
            "DELETED": sum("\\Deleted" in m.flags for m in msgs),
            "SIZE": sum(m.size for m in msgs), "RECENT": 0,
        }
        shown = " ".join(f"{i} {values[i]}" for i in dict.fromkeys(items))
        self._untagged(f"STATUS {_quote(folder.name)} ({shown})")
        return Status(cmd.tag, "OK", "STATUS completed")

    def _append(self, cmd: Command) -> Status:
        args = list(cmd.args)
        if len(args) < 2 or not isinstance(args[-1], Literal):
            raise _bad("APPEND takes a mailbox, optional flags and date-time, and the message as a literal "
                       "(RFC 9051 6.3.12)")
        name = _mailbox_arg(args[0])
        message = bytes(args[-1])
        middle = args[1:-1]
        flags: list[str] = []
        when: float | None = None
        if middle and isinstance(middle[0], list):
            flags = _flags(middle.pop(0))
        if middle and isinstance(middle[0], str) and not isinstance(middle[0], Atom):
            try:
                when = F.parse_internal_date(middle.pop(0))
            except ImapSyntaxError as exc:
                raise _bad(f"APPEND: {exc}") from None
        if middle:
            raise _bad("APPEND: unexpected argument before the message")
        fault = self.policy.fault("APPEND")
        if fault is not None:
            return fault.with_tag(cmd.tag)
        try:
            folder = self.store.folder(self.user, name)
        except UnknownMailbox:  # RFC 9051 6.3.12: TRYCREATE when CREATE would help
            raise _no(f"Mailbox {name} does not exist", "TRYCREATE") from None
        if not message:
            raise _no("An empty message cannot be appended")
        if folder.noselect:
            raise _no(f"{folder.name} holds no messages (\\Noselect)", "CANNOT")
        stored = self.store.append(self.user, folder.name, message, flags=flags, internal_date=when,
                                   now=self.policy.now(), origin=self)
        return Status(cmd.tag, "OK", "APPEND completed", f"APPENDUID {folder.uid_validity} {stored.uid}")

    def _idle(self, cmd: Command) -> None:
        _no_args(cmd)
        self._pending_tag = cmd.tag
        self._send(Continuation(T.IDLING))
        return None

    def _done(self, cmd: Command) -> Status:
        if cmd.text.strip().upper() != "DONE":
            return Status(cmd.tag, "BAD", "Expected DONE to end IDLE (RFC 2177 3)")
        return Status(cmd.tag, "OK", "IDLE terminated")

    # --- selected (RFC 9051 6.4) ---------------------------------------------

    def _check(self, cmd: Command) -> Status:
        _no_args(cmd)
        return Status(cmd.tag, "OK", "CHECK completed")

    def _close(self, cmd: Command) -> Status:
        _no_args(cmd)
        sel = self._selected
        assert sel is not None
        if not sel.read_only:  # RFC 9051 6.4.1: expunged silently, no EXPUNGE responses
            self.store.expunge_deleted(self.user, sel.folder, origin=self)
        self._deselect()
        return Status(cmd.tag, "OK", "CLOSE completed")

    def _unselect(self, cmd: Command) -> Status:
        _no_args(cmd)
        self._deselect()
        return Status(cmd.tag, "OK", "UNSELECT completed")

    def _writable(self) -> _Selected:
        sel = self._selected
        assert sel is not None
        if sel.read_only:
            raise _no("The mailbox is selected read-only (EXAMINE)", "READ-ONLY")
        return sel

    def _expunge(self, cmd: Command) -> Status:
        uid = cmd.name.startswith("UID ")
        if len(cmd.args) != (1 if uid else 0):
            raise _bad("UID EXPUNGE takes a UID set" if uid else "EXPUNGE takes no argument")
        sel = self._writable()
        uids = None
        if uid:
            uids = [sel.uids[n - 1] for n in self._seqs(cmd.args[0], True)]
        self.store.expunge_deleted(self.user, sel.folder, uids, origin=self)
        return Status(cmd.tag, "OK", f"{cmd.name} completed")  # the EXPUNGEs go out before it

    def _search(self, cmd: Command) -> Status:
        uid = cmd.name.startswith("UID ")
        sel = self._selected
        assert sel is not None
        try:
            program = parse_search(cmd.args)
        except ImapSyntaxError as exc:
            raise _bad(str(exc)) from None
        except BadCharset as exc:
            raise _no(str(exc), exc.response_code) from None
        folder = self._folder(sel.folder)
        present = [(n, m) for n, u in enumerate(sel.uids, 1) if (m := folder.by_uid(u)) is not None]
        try:
            found = search(program, present, SearchContext.of(present, saved=self._saved))
        except ImapSyntaxError as exc:
            raise _bad(str(exc)) from None
        except UnknownCte as exc:
            raise _no("A part's Content-Transfer-Encoding cannot be decoded", exc.response_code) from None
        uids = [sel.uids[n - 1] for n in found]
        numbers = uids if uid else found
        if program.saves:  # RFC 9051 6.4.4.1: kept as UIDs, so expunges cannot shift it
            self._saved = saved_result(uids, program.returns or ())
        if program.extended or "IMAP4REV2" in self._enabled:  # RFC 9051 7.3.4: ESEARCH
            line = esearch_response(numbers, program.returns or ("ALL",), tag=cmd.tag, uid=uid)
        else:
            line = search_response(numbers)  # RFC 3501 7.2.5, for IMAP4rev1 clients
        if line:
            self._send(Data(line.removeprefix(b"* ").removesuffix(b"\r\n")))
        return Status(cmd.tag, "OK", f"{cmd.name} completed")

    def _fetch(self, cmd: Command) -> Status:
        uid = cmd.name.startswith("UID ")
        if len(cmd.args) != 2:
            raise _bad("FETCH takes a sequence set and fetch items (RFC 9051 6.4.5)")
        sel = self._selected
        assert sel is not None
        seqs = self._seqs(cmd.args[0], uid)
        try:
            items = F.parse_fetch_items(cmd.args[1])
        except ImapSyntaxError as exc:
            raise _bad(str(exc)) from None
        if uid:
            items = F.including(items, F.UID)
        fault = self.policy.fault("FETCH")
        if fault is not None:
            return fault.with_tag(cmd.tag)
        pairs = self._messages(seqs)
        if F.implies_seen(items) and not sel.read_only:
            unseen = [m.uid for _, m in pairs if "\\Seen" not in m.flags]
            if unseen:  # RFC 9051 6.4.5: BODY[] sets \Seen; the new FLAGS go with the data
                self.store.store_flags(self.user, sel.folder, unseen, {"\\Seen"}, "add", origin=self)
                items = F.including(items, F.FLAGS)
                pairs = self._messages(seqs)
        told_flags = any(i.key == "FLAGS" for i in items)
        changed = False
        for n, msg in pairs:
            try:
                body = F.fetch_response(n, msg, items)
            except UnknownCte as exc:
                raise _no("A part's Content-Transfer-Encoding cannot be decoded", exc.response_code) from None
            self._send(Data(b"%d FETCH " % n + body))
            if told_flags and sel.told.get(msg.uid) != self._shown_flags(msg):
                sel.told[msg.uid] = self._shown_flags(msg)
                changed = True
        if changed:
            self._record_view()
        return Status(cmd.tag, "OK", f"{cmd.name} completed")

    def _store_flags(self, cmd: Command) -> Status:
        uid = cmd.name.startswith("UID ")
        if len(cmd.args) < 3 or not isinstance(cmd.args[1], Atom):
            raise _bad("STORE takes a sequence set, FLAGS/+FLAGS/-FLAGS[.SILENT] and flags (RFC 9051 6.4.6)")
        sel = self._writable()
        seqs = self._seqs(cmd.args[0], uid)
        what = cmd.args[1].upper()
        silent = what.endswith(".SILENT")
        base = what.removesuffix(".SILENT")
        mode = {"FLAGS": "set", "+FLAGS": "add", "-FLAGS": "remove"}.get(base)
        if mode is None:
            raise _bad(f"Unknown STORE item {what}: FLAGS, +FLAGS or -FLAGS, with .SILENT or not")
        rest = cmd.args[2:]
        flags = _flags(rest[0]) if len(rest) == 1 and isinstance(rest[0], list) else _flags(rest)
        fault = self.policy.fault("STORE")
        if fault is not None:
            return fault.with_tag(cmd.tag)
        pairs = self._messages(seqs)
        if pairs:
            self.store.store_flags(self.user, sel.folder, [m.uid for _, m in pairs], set(flags), mode,
                                   origin=self)
            pairs = self._messages(seqs)
        items = [F.UID, F.FLAGS] if uid else [F.FLAGS]
        changed = False
        for n, msg in pairs:
            if not silent:
                self._send(Data(b"%d FETCH " % n + F.fetch_response(n, msg, items)))
            if sel.told.get(msg.uid) != self._shown_flags(msg):
                sel.told[msg.uid] = self._shown_flags(msg)
                changed = True
        if changed:
            self._record_view()
        return Status(cmd.tag, "OK", f"{cmd.name} completed")

    def _copy_args(self, cmd: Command) -> tuple[_Selected, list[tuple[int, Any]], str]:
        uid = cmd.name.startswith("UID ")
        if len(cmd.args) != 2:
            raise _bad(f"{cmd.name} takes a sequence set and a mailbox name (RFC 9051 6.4.7)")
        sel = self._selected
        assert sel is not None
        pairs = self._messages(self._seqs(cmd.args[0], uid))
        dest = _mailbox_arg(cmd.args[1])
        try:
            folder = self.store.folder(self.user, dest)
        except UnknownMailbox:
            raise _no(f"Mailbox {dest} does not exist", "TRYCREATE") from None
        if folder.noselect:
            raise _no(f"{folder.name} holds no messages (\\Noselect)", "CANNOT")
        return sel, pairs, folder.name

    def _copy(self, cmd: Command) -> Status:
        sel, pairs, dest = self._copy_args(cmd)
        if not pairs:
            return Status(cmd.tag, "OK", f"{cmd.name} completed: no messages")
        moved = self.store.copy(self.user, sel.folder, [m.uid for _, m in pairs], dest, origin=self)
        return Status(cmd.tag, "OK", f"{cmd.name} completed", self._copyuid(dest, moved))

    def _move_messages(self, cmd: Command) -> Status:
        sel, pairs, dest = self._copy_args(cmd)
        if sel.read_only:
            raise _no("The mailbox is selected read-only (EXAMINE)", "READ-ONLY")
        if not pairs:
            return Status(cmd.tag, "OK", f"{cmd.name} completed: no messages")
        moved = self.store.move(self.user, sel.folder, [m.uid for _, m in pairs], dest, origin=self)
        # RFC 6851 4.3: COPYUID goes in an untagged OK before the EXPUNGEs.
        self._send(Status("*", "OK", "Moved", self._copyuid(dest, moved)))
        return Status(cmd.tag, "OK", f"{cmd.name} completed")

    def _copyuid(self, dest: str, pairs: list[tuple[int, int]]) -> str:
        validity = self.store.folder(self.user, dest).uid_validity
        # RFC 4315 3: both sets in the same order; the store hands out new UIDs ascending.
        return f"COPYUID {validity} {compact(s for s, _ in pairs)} {compact(d for _, d in pairs)}"

    # --- the end ----------------------------------------------------------

    def _close_errors(self, cmd: Command) -> None:
        self._send(Status("*", "BYE", T.TOO_MANY_ERRORS))

    def _close_deleted(self, cmd: Command) -> None:
        sel = self._selected
        self._send(Status("*", "BYE", f"Mailbox {sel.folder if sel else ''} was deleted by another session"))

    def _close_timeout(self, cmd: Command) -> None:
        self._send(Status("*", "BYE", cmd.text or T.TIMEOUT))

    def _close_shutdown(self, cmd: Command) -> None:
        self._send(Status("*", "BYE", T.SHUTDOWN, "UNAVAILABLE"))

    def _abandon(self, cmd: Command) -> None:
        return None


# --- argument helpers ------------------------------------------------------------


def _no_args(cmd: Command) -> None:
    if cmd.args:
        raise _bad(f"{cmd.name} takes no arguments")


def _atom_text(token: Token) -> str:
    if not isinstance(token, Atom):
        raise _bad("Expected an atom")
    return str(token)


def _mailbox_arg(token: Token, *, keep_case: bool = False) -> str:
    """A mailbox name (astring); INBOX in any case is INBOX (RFC 9051 5.1)."""
    if isinstance(token, list):
        raise _bad("Expected a mailbox name, not a list")
    name = text_of(token)
    if not keep_case and name.upper() == INBOX:
        return INBOX
    return name


def _quote(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _pattern(text: str) -> re.Pattern[str]:
    """A LIST pattern: ``*`` matches anything, ``%`` anything but the delimiter (RFC 9051 6.3.9)."""
    out = []
    for ch in text:
        if ch == "*":
            out.append(".*")
        elif ch == "%":
            out.append(f"[^{re.escape(DELIMITER)}]*")
        else:
            out.append(re.escape(ch))
    return re.compile("".join(out), re.S)


def _folder_order(name: str) -> tuple[int, str]:
    return (0 if name.upper() == INBOX else 1, name)


def _flags(tokens: Token | list[Token]) -> list[str]:
    if not isinstance(tokens, list):
        tokens = [tokens]
    out = []
    for t in tokens:
        if not isinstance(t, Atom):
            raise _bad("A flag is an atom such as \\Seen or a keyword")
        flag = str(t)
        if flag.startswith("\\"):
            canon = next((f for f in SYSTEM_FLAGS if f.lower() == flag.lower()), None)
            if canon is None:
                raise _bad(f"{flag} is not a flag a client may set (RFC 9051 2.3.2)")
            flag = canon
        elif any(c in flag for c in '(){%*"\\]'):
            raise _bad(f"Invalid keyword {flag}")
        out.append(flag)
    return out


def _state_words(state: str) -> str:
    return state.replace("_", " ").lower()


def _check_handlers() -> None:
    """Every effect the table names has a handler, and every handler a row (at import)."""
    named = {tr.effect for tr in S.SERVER_TABLE.transitions}

    class _Probe:
        store = None

    probe = ImapServer(ImapServerConfig(hostname="probe.invalid"), _Probe())  # type: ignore[arg-type]
    if named != set(probe._handlers):
        raise AssertionError(f"imap.server handlers and table differ: {named ^ set(probe._handlers)}")


_check_handlers()
