"""POP3 responses: the type, the wire format, and the one registry of response texts.

A response is a status line, ``+OK`` or ``-ERR`` (RFC 1939 3), optionally
followed by a multi-line body ended by a line holding only a dot (byte-stuffed:
a body line starting with "." gets one more in front). RFC 2449 8 lets an
``-ERR`` (and in principle a ``+OK``) carry a response code in brackets right
after the indicator: ``-ERR [IN-USE] ...``. Inside an AUTH exchange the server
sends challenges, ``+`` SP base64 (RFC 5034 4).

Every response the server machine sends comes from :data:`R`, so each text
and response code is written once, with its RFC.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulator.protocols.pop3.multiline import stuff

POSITIVE = "+OK"
NEGATIVE = "-ERR"
CONTINUE = "+"  # a SASL challenge (RFC 5034 4)
STATUSES = (POSITIVE, NEGATIVE, CONTINUE)

# The response codes this server uses: RFC 2449 8.1 (LOGIN-DELAY, IN-USE) and RFC 3206 (SYS, AUTH).
RESPONSE_CODES = frozenset({"LOGIN-DELAY", "IN-USE", "SYS/TEMP", "SYS/PERM", "AUTH"})


@dataclass(frozen=True, slots=True)
class Pop3Reply:
    """One response. ``body`` is None for a one-line response, else its lines (unstuffed, no CRLF)."""

    status: str  # "+OK", "-ERR" or "+"
    line: str = ""  # the status line's text after the indicator and the response code
    resp_code: str = ""  # RFC 2449 8: "IN-USE", "SYS/TEMP", ... ("" = none)
    body: tuple[bytes, ...] | None = None

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"not a POP3 status indicator: {self.status!r}")
        if "\r" in self.line or "\n" in self.line:
            raise ValueError("a status line may not contain CR or LF")
        if self.resp_code and (self.status == CONTINUE or "]" in self.resp_code or " " in self.resp_code):
            raise ValueError(f"bad response code {self.resp_code!r}")

    # --- ReplyLike (what expectations and the runner read) --------------------

    @property
    def code(self) -> str:
        return self.status

    @property
    def enhanced(self) -> str:
        """The RFC 2449 response code, read where SMTP has its RFC 3463 code."""
        return self.resp_code

    @property
    def text(self) -> str:
        """The status text and, for a multi-line response, its lines (decoded for reading)."""
        if self.body is None:
            return self.line
        return "\n".join([self.line, *(ln.decode("utf-8", "replace") for ln in self.body)])

    @property
    def ok(self) -> bool:
        return self.status == POSITIVE

    @property
    def multiline(self) -> bool:
        return self.body is not None

    # --- building -------------------------------------------------------------

    def format(self, *args: object) -> Pop3Reply:
        return Pop3Reply(self.status, self.line.format(*args), self.resp_code, self.body)

    def with_body(self, lines: list[bytes] | tuple[bytes, ...]) -> Pop3Reply:
        return Pop3Reply(self.status, self.line, self.resp_code, tuple(lines))

    def status_line(self) -> str:
        if self.status == CONTINUE:
            return f"+ {self.line}"  # RFC 5034 4: "+" SP, even for an empty challenge
        parts = [self.status, f"[{self.resp_code}]" if self.resp_code else "", self.line]
        return " ".join(p for p in parts if p)

    def wire_lines(self) -> list[bytes]:
        """Every line as it goes on the wire, without CRLF: status, stuffed body, final dot."""
        lines = [self.status_line().encode("utf-8")]
        if self.body is not None:
            lines += stuff(self.body)
            lines.append(b".")
        return lines

    def to_bytes(self) -> bytes:
        return b"".join(ln + b"\r\n" for ln in self.wire_lines())

    def __str__(self) -> str:
        return self.status_line()


def messages(n: int) -> str:
    """"1 message", "2 messages": the count as the texts above say it."""
    return f"{n} message" if n == 1 else f"{n} messages"


def ok(text: str, code: str = "") -> Pop3Reply:
    return Pop3Reply(POSITIVE, text, code)


def err(text: str, code: str = "") -> Pop3Reply:
    return Pop3Reply(NEGATIVE, text, code)


class R:
    """The registry of every response the POP3 server sends, with its RFC."""

    # Greeting and sign-off (RFC 1939 4, 6). {} is the host; APOP adds the timestamp (RFC 1939 7).
    GREETING = ok("{} POP3 server ready")
    GREETING_APOP = ok("{} POP3 server ready {}")
    BYE = ok("{} POP3 server signing off")
    BYE_UPDATED = ok("{} POP3 server signing off ({})")  # {}: "maildrop empty" / "2 messages left"
    # RFC 3206 4: SYS/TEMP, a problem on the server's side that may go away.
    SHUTTING_DOWN = err("{} POP3 server shutting down", "SYS/TEMP")
    TOO_MANY_CONNECTIONS = err("{} too many connections, try again later", "SYS/TEMP")
    # AUTHORIZATION (RFC 1939 7, RFC 2449 8.1.2, RFC 3206 5)
    USER_OK = ok("send PASS")  # the same for every name: USER must not tell who has a maildrop
    # RFC 3206 5: [AUTH] means the credentials are at fault, so a client asks the user again.
    LOGIN_FAILED = err("invalid user name or password", "AUTH")
    APOP_FAILED = err("authentication failed: wrong user name or digest", "AUTH")
    # RFC 2449 8.1.2: "the authentication was successful, but the user's maildrop is
    # currently in use (probably by another POP3 client)".
    IN_USE = err("maildrop already locked by another session", "IN-USE")
    # RFC 2449 8.1.1: "the user has logged in recently and will not be allowed to login
    # again until the login delay period has expired".
    LOGIN_DELAY = err("logged in too recently: wait {} more seconds (LOGIN-DELAY)", "LOGIN-DELAY")
    MAILDROP_READY = ok("{}'s maildrop has {} ({} octets)")  # {}: "2 messages"  # RFC 1939 7's example
    NO_MAILDROP = err("{} has no maildrop on this server", "SYS/PERM")
    APOP_NOT_OFFERED = err("APOP is not offered: the greeting carried no timestamp")
    APOP_SYNTAX = err("syntax: APOP name digest (the digest is 32 hexadecimal digits)")
    USER_SYNTAX = err("syntax: USER name")
    PASS_SYNTAX = err("syntax: PASS password")
    USER_PASS_OFF = err("USER/PASS is disabled here; use AUTH or APOP")
    # AUTH (RFC 5034 4)
    AUTH_SYNTAX = err("syntax: AUTH mechanism [initial-response]; CAPA lists the mechanisms (SASL)")
    AUTH_UNKNOWN = err("unsupported authentication mechanism {}")
    # The password would cross the wire as it is: only after STLS (RFC 2595 4, RFC 8314 practice;
    # Dovecot's disable_plaintext_auth). No [AUTH] code: the credentials are not at fault (RFC 3206 5).
    PLAINTEXT_DISALLOWED = err("plaintext authentication disallowed on non-secure connections: use STLS first")
    AUTH_NEEDS_TLS = err("{} sends the password in the clear: disallowed on non-secure connections, use STLS first")
    AUTH_BAD_BASE64 = err("the client response is not valid base64")
    AUTH_TOO_LONG = err("the client response is longer than {} octets")
    AUTH_CANCELLED = err("authentication cancelled by the client")
    AUTH_FAILED = err("authentication failed: {}", "AUTH")
    CHALLENGE = Pop3Reply(CONTINUE, "{}")
    # STLS (RFC 2595 4)
    STLS_OK = ok("begin TLS negotiation")
    STLS_NOT_OFFERED = err("STLS is not offered on this connection")
    STLS_ACTIVE = err("TLS is already active")
    # CAPA (RFC 2449 5)
    CAPA = ok("capability list follows")
    # TRANSACTION (RFC 1939 5, 7)
    STAT = ok("{} {}")  # RFC 1939 5: exactly "+OK" SP count SP octets
    LIST_ALL = ok("{} ({} octets)")
    SCAN = ok("{} {}")  # a scan listing: number SP octets
    RETR = ok("{} octets")
    TOP = ok("top of message follows")
    UIDL_ALL = ok("unique-id listing follows")
    UIDL_ONE = ok("{} {}")  # number SP unique-id
    DELE = ok("message {} deleted")
    ALREADY_DELETED = err("message {} already deleted")
    NO_SUCH_MESSAGE = err("no such message, only {} in maildrop")
    BAD_NUMBER = err("{} is not a message number")  # RFC 1939 3: a message-number is a decimal
    TOP_SYNTAX = err("syntax: TOP message-number lines")
    NOOP = ok("")
    RSET = ok("maildrop has {} ({} octets)")
    # RFC 3206 4: the store failed; the client may try again later.
    RETRIEVE_FAILED = err("cannot read message {} now", "SYS/TEMP")
    # Syntax and sequence (RFC 1939 3: "-ERR" for anything unrecognized, unimplemented or invalid)
    UNKNOWN_COMMAND = err("unknown command {}")
    NOT_SUPPORTED = err("{} is not supported by this server")
    WRONG_STATE = err("{} is not allowed in the {} state{}")
    NO_ARGUMENT = err("{} takes no argument")
    TOO_MANY_ARGUMENTS = err("too many arguments to {}")
    # RFC 2449 4: a command line is at most 255 octets with its CRLF.
    LINE_TOO_LONG = err("line too long: a POP3 command is at most 255 octets with its CRLF (RFC 2449 section 4)")
    BARE_LF = err("command line ended with a bare LF, not run: POP3 lines end with CRLF (RFC 1939 section 3; "
                  "with nc, use nc -C)")
    NOT_UTF8 = err("command is not valid UTF-8")
