"""The sans-IO POP3 server machine (RFC 1939, with RFC 2449 CAPA and response codes, RFC 5034 AUTH).

Bytes go in with :meth:`Pop3Server.receive_data` (``b""`` means the peer
closed), events (trace records) come back, the bytes to write are taken with
:meth:`Pop3Server.data_to_send`, and what the machine asks of its connection
(start TLS, close) with :meth:`Pop3Server.take_controls`: the same surface as
the SMTP server. The machine is given the host's mailbox store (it reads the
INBOX only: POP3 knows no other folder) and an authenticator (the mail host),
which checks passwords and, for APOP, knows the shared secret.

Every input goes through one row of :data:`states.SERVER_TABLE`. The row's
effect is a handler in the machine's table of handlers; it answers and says
whether the input was accepted (the row's target) or refused (its ``refused``
branch). A handler may name an automatic input to follow (the SASL verdict,
the end of UPDATE), which is the next row taken.

What the trace shows is what was on the wire: a ``PASS`` command's argument
is the password in clear, which is exactly the lesson of plaintext POP3.
USER accepts every name, which RFC 1939 7 allows, so that it does not tell
who has a maildrop (RFC 1939 13: an -ERR to USER gives an attacker a clue).
One deviation is deliberate: the same user may log in with PASS or APOP
(RFC 1939 13 says a server should not allow both for a user), so that a
lesson can show both.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from simulator.mail.store import INBOX, Folder, UnknownMailbox
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
from simulator.protocols.pop3 import states as S
from simulator.protocols.pop3.maildrop import DropMessage, Maildrop
from simulator.protocols.pop3.multiline import top_lines
from simulator.protocols.pop3.replies import Pop3Reply, R, messages
from simulator.trace import CheckStep, CommandReceived, Event, ReplySent, StateChanged

COMMAND_LINE_LIMIT = 255  # RFC 2449 4, counting CRLF
# RFC 5034 4 keeps the 255-octet limit for the AUTH command itself; a client's answer
# inside the exchange is no command, and this server takes one up to this many octets.
SASL_LINE_LIMIT = 8192
MACHINE = "pop3.server"
IMPLEMENTATION = "mailsim"


class Pop3Authenticator(sasl.Authenticator, Protocol):
    """What the host knows about its users' secrets."""

    def shared_secret(self, user: str) -> str | None:
        """The secret APOP's digest is made with (RFC 1939 7), None if the user has none."""
        ...


class Pop3Store(Protocol):
    """The part of the mailbox store a POP3 session uses."""

    def has_user(self, user: str) -> bool: ...

    def folder(self, user: str, name: str = INBOX) -> Folder: ...

    def lock(self, user: str, holder: object) -> bool: ...

    def unlock(self, user: str, holder: object) -> None: ...

    def expunge(self, user: str, folder: str, uid: int, *, origin: object = None) -> None: ...


class LoginLog(Protocol):
    """When each user last logged in, for LOGIN-DELAY (RFC 2449 6.5): the host keeps the time."""

    def seconds_since_login(self, user: str) -> float | None: ...

    def logged_in(self, user: str) -> None: ...


# A fault a scenario injects: the stage ("USER", "PASS", "RETR", "DELE") -> the -ERR to answer, or None.
FaultHook = Callable[[str], Pop3Reply | None]


@dataclass(slots=True)
class Pop3ServerConfig:
    hostname: str
    # The APOP timestamp of the greeting, "<pid.clock@host>" (RFC 1939 7); "" offers no APOP.
    apop_timestamp: str = ""
    user_pass: bool = True  # offer USER/PASS (RFC 2449 6.2, the USER capability)
    # AUTH mechanisms (RFC 5034, the SASL capability); CRAM-MD5 and SCRAM-SHA-256 only with a
    # sasl_context (and an authenticator that knows the shared secret).
    mechanisms: tuple[str, ...] = sasl.ALL
    sasl_context: sasl.ServerContext | None = None
    # USER/PASS, AUTH PLAIN and AUTH LOGIN before STLS. False is Dovecot's disable_plaintext_auth
    # (RFC 2595 4, RFC 8314 practice): the password only after STLS, or on pop3s.
    plaintext_auth: bool = True
    stls: bool = False  # offer STLS (RFC 2595 4): only where the connection can do TLS
    # RFC 2449 6.5: seconds a user must wait between two logins, announced as LOGIN-DELAY in
    # CAPA and enforced with -ERR [LOGIN-DELAY] (8.1.1); 0 announces and enforces nothing.
    login_delay: int = 0


# Why a command is not allowed now: by (state, command), else by state.
_STATE_HINT: dict[str | tuple[str, str], str] = {
    (S.AUTHORIZATION, "PASS"): ": send USER first",
    S.AUTHORIZATION: ": log in first (USER and PASS, APOP or AUTH)",
    S.EXPECT_PASS: ": after USER only PASS or QUIT",
    S.TRANSACTION: ": already logged in",
}


class Pop3Server(ServerMachineBase):
    table = S.SERVER_TABLE
    closed_state = S.CLOSED

    def __init__(self, config: Pop3ServerConfig, store: Pop3Store, auth: Pop3Authenticator, *,
                 fault: FaultHook | None = None, conn: str = "", tls: bool = False,
                 logins: LoginLog | None = None) -> None:
        self.config = config
        self.store = store
        self.auth = auth
        self.conn = conn  # the connection id its events carry
        self.tls = tls
        self.state = S.SERVER_TABLE.initial
        self.user = ""  # the name USER gave, then who logged in
        self.maildrop: Maildrop | None = None  # the session's snapshot, from login to the end
        self._fault = fault or (lambda stage: None)
        self._logins = logins
        self._buffer = LineBuffer()
        self._out = bytearray()
        self._events: list[Event] = []
        self._controls: list[Control] = []
        self._started = False
        self._follow = ""  # an automatic input a handler asked to run next
        self._locked = ""  # the user whose maildrop this session holds locked
        self._mechanism: sasl.ServerMechanism | None = None
        self._sasl_error: Pop3Reply | None = None
        self._sasl_final = False  # the server's final data went as a challenge; an empty line answers it
        # The table of handlers: every effect a row of the table names (checked below the class).
        self._handlers: dict[str, Callable[[str, str], bool]] = {
            "user": self._user, "pass_": self._pass, "apop": self._apop, "auth": self._auth,
            "sasl_step": self._sasl_step, "sasl_cancel": self._sasl_cancel, "sasl_ok": self._sasl_ok,
            "sasl_failed": self._sasl_failed, "stls": self._stls, "tls_up": self._tls_up,
            "tls_failed": self._nothing, "capa": self._capa, "quit": self._quit, "stat": self._stat,
            "list_": self._list, "retr": self._retr, "dele": self._dele, "noop": self._noop,
            "rset": self._rset, "top": self._top, "uidl": self._uidl, "update": self._update,
            "close": self._nothing, "close_timeout": self._nothing, "close_shutdown": self._close_shutdown,
            "abandon": self._nothing,
        }

    # --- public API -------------------------------------------------------

    def start(self) -> list[Event]:
        """Send the +OK greeting (RFC 1939 4), with the APOP timestamp if APOP is offered."""
        self._greet_once()
        return self._take_events()

    def receive_data(self, data: bytes) -> list[Event]:
        self._greet_once()
        if self.state == S.CLOSED:
            return self._take_events()
        if data == b"":
            self._input(S.PEER_CLOSED)
            return self._take_events()
        if self.state == S.EXPECT_TLS:
            raise LocalProtocolError("bytes fed while the machine waits for TLS: handle its StartTls control, "
                                     "then call tls_established() or tls_failed()")
        self._buffer.feed(data)
        while self.state not in (S.CLOSED, S.EXPECT_TLS):
            limit = SASL_LINE_LIMIT if self.state == S.EXPECT_SASL else COMMAND_LINE_LIMIT
            # A bare LF ends a line too, so that line can be refused rather than left unanswered.
            line = self._buffer.next_line(limit, bare_lf_ends=True)
            if line is None:
                break
            if self.state == S.EXPECT_SASL:
                self._sasl_line(line)
            else:
                self._command_line(line)
        return self._take_events()

    def timeout(self, why: str = "idle timeout") -> list[Event]:
        """The autologout timer fired: close without a response and without UPDATE (RFC 1939 3)."""
        if self.state != S.CLOSED:
            self._input(S.TIMEOUT, why)
        return self._take_events()

    def shutdown(self) -> list[Event]:
        if self.state != S.CLOSED:
            self._input(S.SHUTDOWN)
        return self._take_events()

    def tls_established(self) -> list[Event]:
        """The connection finished the TLS handshake STLS asked for (RFC 2595 4)."""
        self._input(S.TLS_UP)
        return self._take_events()

    def tls_failed(self) -> list[Event]:
        self._input(S.TLS_FAILED)
        return self._take_events()

    # --- the table --------------------------------------------------------

    def _input(self, trigger: str, arg: str = "") -> None:
        tr = S.SERVER_TABLE.lookup(self.state, trigger)
        if tr is None:
            raise LocalProtocolError(f"pop3.server: no row for {trigger!r} in {self.state}")
        self._run(tr, trigger, arg)

    def _run(self, tr: Transition, trigger: str, arg: str) -> None:
        accepted = self._handlers[tr.effect](trigger, arg)
        if accepted:
            self._move(tr.target, trigger)
        elif not tr.refused:
            raise LocalProtocolError(f"pop3.server: {tr.effect} refused a row that cannot be refused: {tr}")
        elif tr.refused != self.state:
            self._move(tr.refused, f"{trigger} refused")
        follow, self._follow = self._follow, ""
        if follow:
            self._input(follow)

    def _move(self, target: str, trigger: str) -> None:
        self._events.append(
            StateChanged(conn=self.conn, machine=MACHINE, from_state=self.state, to_state=target, trigger=trigger)
        )
        self.state = target
        if target == S.AUTHORIZATION:
            self.user = ""
        if target == S.CLOSED:
            self._release()
            self._controls.append(Close(trigger))

    # --- internals --------------------------------------------------------

    def _greet_once(self) -> None:
        if not self._started:
            self._started = True
            if self.config.apop_timestamp:
                self._reply(R.GREETING_APOP.format(self.config.hostname, self.config.apop_timestamp))
            else:
                self._reply(R.GREETING.format(self.config.hostname))

    def _reply(self, reply: Pop3Reply) -> None:
        lines = reply.wire_lines()
        self._out += b"".join(ln + b"\r\n" for ln in lines)
        # One text entry per line on the wire (the status text, each stuffed body line, the dot),
        # so the trace can tell pipelined responses apart.
        text = (reply.line, *(ln.decode("utf-8", "replace") for ln in lines[1:]))
        self._events.append(ReplySent(conn=self.conn, machine=MACHINE, code=reply.status,
                                      enhanced=reply.resp_code, text=text))

    def _refuse(self, reply: Pop3Reply) -> bool:
        self._reply(reply)
        return False

    def _received(self, verb: str, argument: str) -> None:
        self._events.append(CommandReceived(conn=self.conn, machine=MACHINE, verb=verb, argument=argument))

    def _command_line(self, raw: bytes | object) -> None:
        if raw is TOO_LONG:
            self._received("?", "(line too long)")
            self._reply(R.LINE_TOO_LONG)
            return
        assert isinstance(raw, bytes)
        if not raw.endswith(b"\r\n"):
            # RFC 1939 3: lines end with CRLF. Not run, but answered, or the client would wait for ever.
            text = raw[:-1].decode("utf-8", "replace").replace("\r", "\\r")
            word, _, rest = text.partition(" ")
            self._received(word.upper() if word.isascii() and word.isalpha() and len(word) <= 8 else "?", rest)
            self._reply(R.BARE_LF)
            return
        try:
            line = raw[:-2].decode("utf-8")
        except UnicodeDecodeError:
            self._received("?", repr(raw[:-2]))
            self._reply(R.NOT_UTF8)
            return
        keyword, _, arg = line.partition(" ")  # RFC 1939 3: keyword, a single space, arguments
        verb = keyword.upper()
        self._received(verb, arg)
        if verb not in S.KNOWN_COMMANDS:
            if verb in S.NOT_SUPPORTED:
                self._reply(R.NOT_SUPPORTED.format(verb))
            else:
                shown = verb if verb.isprintable() and 0 < len(verb) <= 20 else "(empty or unprintable)"
                self._reply(R.UNKNOWN_COMMAND.format(shown))
            return
        tr = S.SERVER_TABLE.lookup(self.state, verb)
        if tr is None:
            # EXPECT_PASS is part of RFC 1939's AUTHORIZATION state: the reply names the RFC's state.
            state = S.AUTHORIZATION if self.state == S.EXPECT_PASS else self.state
            hint = _STATE_HINT.get((self.state, verb)) or _STATE_HINT[self.state]
            self._reply(R.WRONG_STATE.format(verb, state, hint))
            return
        self._run(tr, verb, arg)

    def _sasl_line(self, raw: bytes | object) -> None:
        """A line inside an AUTH exchange: the client's answer, or ``*`` to cancel (RFC 5034 4)."""
        if raw is TOO_LONG:
            self._received(S.SASL_RESPONSE, "(line too long)")
            self._sasl_error = R.AUTH_TOO_LONG.format(SASL_LINE_LIMIT)
            self._input(S.SASL_RESPONSE)
            return
        assert isinstance(raw, bytes)
        text = raw.rstrip(b"\r\n").decode("ascii", "replace")
        if text == "*":
            self._received(S.SASL_CANCEL, "")
            self._input(S.SASL_CANCEL)
            return
        self._received(S.SASL_RESPONSE, text)
        if not raw.endswith(b"\r\n"):
            self._sasl_error = R.BARE_LF
        self._input(S.SASL_RESPONSE, text)

    def _release(self) -> None:
        if self._locked:
            self.store.unlock(self._locked, self)
            self._locked = ""

    def _no_argument(self, verb: str, arg: str) -> bool:
        """True when ``arg`` is empty; else the -ERR is sent (RFC 1939 gives these commands none)."""
        if arg.strip(" "):
            self._reply(R.NO_ARGUMENT.format(verb))
            return False
        return True

    # --- logging in (RFC 1939 7, RFC 5034) -----------------------------------

    @property
    def plaintext_allowed(self) -> bool:
        """Whether a password may cross this connection as it is (USER/PASS, AUTH PLAIN): over TLS, or if allowed."""
        return self.tls or self.config.plaintext_auth

    def offered(self) -> tuple[str, ...]:
        """The SASL mechanisms AUTH takes now (RFC 5034 4), as CAPA lists them."""
        return sasl.available(self.config.mechanisms, tls=self.tls, plaintext_auth=self.config.plaintext_auth,
                              context=self.config.sasl_context)

    def sasl_steps(self) -> list[sasl.DerivationStep]:
        """The derivation of the running SCRAM exchange (RFC 5802 3), empty for other mechanisms."""
        return list(getattr(self._mechanism, "steps", []))

    def _user(self, verb: str, arg: str) -> bool:
        if not self.config.user_pass:
            return self._refuse(R.USER_PASS_OFF)
        if not self.plaintext_allowed:
            return self._refuse(R.PLAINTEXT_DISALLOWED)
        name = arg.strip(" ")
        if not name or " " in name:
            return self._refuse(R.USER_SYNTAX)
        fault = self._fault("USER")
        if fault is not None:
            return self._refuse(fault)
        self.user = name
        self._reply(R.USER_OK)  # the same for every name (see the module docstring)
        return True

    def _pass(self, verb: str, arg: str) -> bool:
        # RFC 1939 7: PASS has one argument, so spaces in it are part of the password.
        if not arg:
            return self._refuse(R.PASS_SYNTAX)
        if not self.auth.check_password(self.user, arg):
            return self._refuse(R.LOGIN_FAILED)
        return self._log_in(self.user)

    def _apop(self, verb: str, arg: str) -> bool:
        stamp = self.config.apop_timestamp
        if not stamp:
            return self._refuse(R.APOP_NOT_OFFERED)
        name, _, digest = arg.strip(" ").partition(" ")
        if not name or len(digest) != 32 or not all(c in "0123456789abcdefABCDEF" for c in digest):
            return self._refuse(R.APOP_SYNTAX)
        secret = self.auth.shared_secret(name)
        # RFC 1939 7: the MD5 of the timestamp (angle brackets included) and the shared secret.
        expected = hashlib.md5((stamp + (secret or "")).encode("utf-8")).hexdigest()
        if secret is None or not hmac.compare_digest(expected, digest.lower()):
            return self._refuse(R.APOP_FAILED)
        return self._log_in(name)

    def _log_in(self, user: str) -> bool:
        """The credentials are right: lock and open the maildrop (RFC 1939 4), or say why not."""
        fault = self._fault("PASS")
        if fault is not None:
            return self._refuse(fault)
        if not self.store.has_user(user):
            return self._refuse(R.NO_MAILDROP.format(user))
        wait = self._login_wait(user)
        if wait:
            return self._refuse(R.LOGIN_DELAY.format(wait))  # RFC 2449 8.1.1
        if not self.store.lock(user, self):
            return self._refuse(R.IN_USE)  # RFC 1939 4 "unable to lock maildrop"; RFC 2449 8.1.2
        self._locked = user
        self.user = user
        self.maildrop = Maildrop(user, self.store.folder(user, INBOX))
        if self._logins is not None:
            self._logins.logged_in(user)
        count, size = self.maildrop.stat()
        self._reply(R.MAILDROP_READY.format(user, messages(count), size))
        return True

    def _login_wait(self, user: str) -> int:
        """Whole seconds ``user`` must still wait before logging in again (0: none)."""
        delay = self.config.login_delay
        since = self._logins.seconds_since_login(user) if delay and self._logins is not None else None
        if since is None or since >= delay:
            return 0
        return max(1, int(delay - since + 0.999))

    def _auth(self, verb: str, arg: str) -> bool:
        parts = arg.strip(" ").split(" ")
        if not parts[0] or len(parts) > 2:
            return self._refuse(R.AUTH_SYNTAX)
        name = parts[0].upper()
        everywhere = sasl.available(self.config.mechanisms, tls=True, plaintext_auth=True,
                                    context=self.config.sasl_context)
        if name not in everywhere:
            shown = name if name.isprintable() and len(name) <= 20 else "(unprintable)"
            return self._refuse(R.AUTH_UNKNOWN.format(shown))
        if name not in self.offered():
            return self._refuse(R.AUTH_NEEDS_TLS.format(name))
        initial: bytes | None = None
        if len(parts) == 2:
            try:
                initial = sasl.decode_response(parts[1], initial=True)  # RFC 5034 4: "=" is empty
            except sasl.SaslCancelled:
                return self._refuse(R.AUTH_CANCELLED)
            except sasl.MalformedResponse:
                return self._refuse(R.AUTH_BAD_BASE64)
        self._mechanism = sasl.server_mechanism(name, self.auth, self.config.sasl_context,
                                                offered=self.config.mechanisms)
        self._sasl_final = False
        self._step(initial)
        return True

    def _step(self, data: bytes | None) -> None:
        """Feed the mechanism; a challenge is sent, a verdict becomes the next (automatic) input."""
        assert self._mechanism is not None
        try:
            result = self._mechanism.step(data)
        except sasl.SaslFailure as exc:
            self._sasl_error = R.AUTH_FAILED.format(exc)
            self._follow = S.SASL_FAILED
            return
        if isinstance(result, sasl.SaslSuccess):
            self.user = result.user
            if result.server_final is not None:
                # The server's data with success (SCRAM's v=) goes in one more challenge, answered
                # with an empty line before the +OK (as SMTP AUTH does it, RFC 4954 4).
                self._sasl_final = True
                self._reply(R.CHALLENGE.format(sasl.encode(result.server_final)))
                return
            self._follow = S.SASL_OK
            return
        self._reply(R.CHALLENGE.format(sasl.encode(result)))

    def _sasl_step(self, trigger: str, arg: str) -> bool:
        if self._sasl_error is not None:
            self._follow = S.SASL_FAILED
            return True
        data = _b64decode(arg)
        if data is None:
            self._sasl_error = R.AUTH_BAD_BASE64
            self._follow = S.SASL_FAILED
            return True
        if self._sasl_final:
            if data:
                self._sasl_error = R.AUTH_FAILED.format("the answer to the server's final data must be empty")
            self._follow = S.SASL_FAILED if data else S.SASL_OK
            return True
        self._step(data)
        return True

    def _end_sasl(self) -> None:
        self._events.extend(CheckStep(host=self.config.hostname, check="scram", text=step.text())
                            for step in self.sasl_steps())
        self._mechanism, self._sasl_final = None, False

    def _sasl_cancel(self, trigger: str, arg: str) -> bool:
        self._end_sasl()
        self._sasl_error = None
        self._reply(R.AUTH_CANCELLED)  # RFC 5034 4: "*" MUST be answered -ERR
        return True

    def _sasl_ok(self, trigger: str, arg: str) -> bool:
        self._end_sasl()
        return self._log_in(self.user)

    def _sasl_failed(self, trigger: str, arg: str) -> bool:
        self._end_sasl()
        error, self._sasl_error = self._sasl_error, None
        self._reply(error or R.AUTH_FAILED.format("refused"))
        return True

    def _stls(self, verb: str, arg: str) -> bool:
        if not self._no_argument(verb, arg):
            return False
        if self.tls:
            return self._refuse(R.STLS_ACTIVE)
        if not self.config.stls:
            return self._refuse(R.STLS_NOT_OFFERED)
        self._reply(R.STLS_OK)
        # As for STARTTLS: what the client sent after STLS came in plaintext and must not be
        # read as if it came over TLS; the connection gets it with the control, and drops it.
        self._controls.append(StartTls(leftover=self._buffer.take_all()))
        return True

    def _tls_up(self, trigger: str, arg: str) -> bool:
        self.tls = True
        return True

    def _nothing(self, trigger: str, arg: str) -> bool:
        """Effects that only move the state (the close of UPDATE, a timeout, a TLS failure, a drop)."""
        return True

    def _capabilities(self) -> list[str]:
        """The CAPA list (RFC 2449 6): what this server does, in this state and on this connection."""
        caps = ["TOP"]
        if self.config.user_pass and self.plaintext_allowed:
            caps.append("USER")  # RFC 2449 6.2: not listed where USER/PASS is refused (before STLS)
        offered = self.offered()
        if offered:
            caps.append("SASL " + " ".join(offered))  # RFC 5034 3: the mechanisms AUTH takes now
        caps += ["RESP-CODES", "AUTH-RESP-CODE"]
        if self.config.login_delay:
            caps.append(f"LOGIN-DELAY {self.config.login_delay}")  # RFC 2449 6.5
        caps += ["PIPELINING", "EXPIRE NEVER", "UIDL", f"IMPLEMENTATION {IMPLEMENTATION}"]
        if self.config.stls and not self.tls and self.state == S.AUTHORIZATION:
            caps.append("STLS")  # RFC 2595 4: only before login, and not over TLS
        return caps

    def _capa(self, verb: str, arg: str) -> bool:
        if not self._no_argument(verb, arg):
            return False
        self._reply(R.CAPA.with_body([c.encode("ascii") for c in self._capabilities()]))
        return True

    def _quit(self, verb: str, arg: str) -> bool:
        """QUIT before logging in: goodbye, with no UPDATE (RFC 1939 4)."""
        if not self._no_argument(verb, arg):
            return False
        self._reply(R.BYE.format(self.config.hostname))
        return True

    # --- TRANSACTION (RFC 1939 5, 7) ---------------------------------------

    @property
    def _drop(self) -> Maildrop:
        assert self.maildrop is not None
        return self.maildrop

    def _message(self, arg: str) -> DropMessage | None:
        """The message a msg argument names (not one marked as deleted); else the -ERR is sent."""
        if not arg.isascii() or not arg.isdigit():
            shown = arg if arg.isprintable() and len(arg) <= 20 else "(unprintable or too long)"
            self._reply(R.BAD_NUMBER.format(shown or "(nothing)"))
            return None
        msg = self._drop.get(int(arg))
        if msg is None:
            self._reply(R.NO_SUCH_MESSAGE.format(messages(len(self._drop.messages))))
            return None
        if msg.deleted:  # RFC 1939 5: "may NOT refer to a message marked as deleted"
            self._reply(R.ALREADY_DELETED.format(msg.number))
            return None
        return msg

    def _stat(self, verb: str, arg: str) -> bool:
        if not self._no_argument(verb, arg):
            return False
        self._reply(R.STAT.format(*self._drop.stat()))
        return True

    def _list(self, verb: str, arg: str) -> bool:
        arg = arg.strip(" ")
        if arg:
            msg = self._message(arg)
            if msg is None:
                return False
            self._reply(R.SCAN.format(msg.number, msg.size))
            return True
        count, size = self._drop.stat()
        lines = [f"{m.number} {m.size}".encode() for m in self._drop.visible()]
        self._reply(R.LIST_ALL.format(messages(count), size).with_body(lines))
        return True

    def _retr(self, verb: str, arg: str) -> bool:
        msg = self._message(arg.strip(" "))
        if msg is None:
            return False
        fault = self._fault("RETR")
        if fault is not None:
            return self._refuse(fault)
        self._reply(R.RETR.format(msg.size).with_body(msg.lines))
        return True

    def _dele(self, verb: str, arg: str) -> bool:
        msg = self._message(arg.strip(" "))
        if msg is None:
            return False
        fault = self._fault("DELE")
        if fault is not None:
            return self._refuse(fault)
        msg.deleted = True  # only marked: removed in UPDATE (RFC 1939 6)
        self._reply(R.DELE.format(msg.number))
        return True

    def _noop(self, verb: str, arg: str) -> bool:
        if not self._no_argument(verb, arg):
            return False
        self._reply(R.NOOP)
        return True

    def _rset(self, verb: str, arg: str) -> bool:
        if not self._no_argument(verb, arg):
            return False
        self._drop.reset()
        count, size = self._drop.stat()
        self._reply(R.RSET.format(messages(count), size))
        return True

    def _top(self, verb: str, arg: str) -> bool:
        parts = arg.strip(" ").split(" ")
        if len(parts) != 2 or not parts[1].isascii() or not parts[1].isdigit():
            return self._refuse(R.TOP_SYNTAX)
        msg = self._message(parts[0])
        if msg is None:
            return False
        self._reply(R.TOP.with_body(top_lines(msg.lines, int(parts[1]))))
        return True

    def _uidl(self, verb: str, arg: str) -> bool:
        arg = arg.strip(" ")
        if arg:
            msg = self._message(arg)
            if msg is None:
                return False
            self._reply(R.UIDL_ONE.format(msg.number, msg.unique_id))
            return True
        lines = [f"{m.number} {m.unique_id}".encode() for m in self._drop.visible()]
        self._reply(R.UIDL_ALL.with_body(lines))
        return True

    def _update(self, verb: str, arg: str) -> bool:
        """QUIT in TRANSACTION: remove what was marked, say so, then close (RFC 1939 6)."""
        if not self._no_argument(verb, arg):
            return False
        drop = self._drop
        for msg in drop.marked():
            try:
                self.store.expunge(drop.user, INBOX, msg.stored.uid, origin=self)
            except UnknownMailbox:
                pass  # already gone (removed over IMAP meanwhile): nothing left to remove
        left = len(self.store.folder(drop.user, INBOX).messages)
        state = "maildrop empty" if left == 0 else f"{messages(left)} left"
        self._reply(R.BYE_UPDATED.format(self.config.hostname, state))
        self._follow = S.UPDATED
        return True

    def _close_shutdown(self, trigger: str, arg: str) -> bool:
        self._reply(R.SHUTTING_DOWN.format(self.config.hostname))
        return True


def _b64decode(text: str) -> bytes | None:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return None


def _check_handlers() -> None:
    """Every effect the table names has a handler, and every handler a row (at import)."""
    named = {tr.effect for tr in S.SERVER_TABLE.transitions}
    probe = Pop3Server(Pop3ServerConfig("probe.invalid"), store=None, auth=None)  # type: ignore[arg-type]
    if named != set(probe._handlers):
        raise AssertionError(f"pop3.server handlers and table differ: {named ^ set(probe._handlers)}")


_check_handlers()
