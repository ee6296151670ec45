"""IMAP server responses (RFC 9051 7): their types, their wire form, and how the trace shows them.

* :class:`Status` -- ``tag OK|NO|BAD [CODE args] text`` (tagged, the end of a
  command, RFC 9051 7.1) or the same with tag ``*`` (untagged status:
  greeting, ``BYE``, an ``OK [UIDVALIDITY 3]`` while selecting);
* :class:`Data` -- other untagged data, ``* 3 EXISTS``, ``* LIST ...``,
  ``* 1 FETCH (...)`` (RFC 9051 7.2-7.5); its payload may hold literals;
* :class:`Continuation` -- ``+ text`` (RFC 9051 7.6).

In the trace a response is one ``ReplySent`` whose ``code`` keeps the tag in
front, so a transcript or diff tells tagged from untagged answers at a glance:
``"a1 OK"``, ``"a1 NO"``, ``"* OK"``, ``"* BYE"`` for status responses,
``"*"`` for untagged data and ``"+"`` for a continuation. ``text`` holds the
rest of the first line and then every further line the response put on the
wire (a literal's lines), one entry per line, as the sequence diagram counts
them; the response code stays in ``text`` with its brackets. ``enhanced`` is
left empty (it is SMTP's RFC 3463 code).

:class:`Response` is what a reader of server bytes (:mod:`.protocol`) hands
out: ``code`` is the status word (``"OK"``, ``"NO"``, ``"BAD"``, ``"BYE"``,
``"PREAUTH"``), ``"*"`` for untagged data or ``"+"``, so a scenario's
``expect: reply: OK`` reads as it should; ``enhanced`` is the response code's
name (``"TRYCREATE"``), ``tag`` the tag.
"""

from __future__ import annotations

from dataclasses import dataclass

STATUS_WORDS = ("OK", "NO", "BAD", "PREAUTH", "BYE")


def _lines(payload: bytes) -> tuple[str, ...]:
    text = payload.decode("utf-8", "replace")
    parts = text.split("\r\n")
    if parts and parts[-1] == "":
        parts.pop()
    return tuple(p.replace("\r", "\\r").replace("\n", "\\n") for p in parts) or ("",)


@dataclass(frozen=True, slots=True)
class Status:
    tag: str  # "*" for an untagged status response
    status: str  # OK NO BAD PREAUTH BYE
    text: str
    code: str = ""  # the response code with its arguments, without brackets: "UIDVALIDITY 3"

    def __post_init__(self) -> None:
        if self.status not in STATUS_WORDS:
            raise ValueError(f"not an IMAP status: {self.status}")
        if "\r" in self.text or "\n" in self.text or "\r" in self.code or "\n" in self.code:
            raise ValueError("response text may not contain CR or LF")

    @property
    def tagged(self) -> bool:
        return self.tag != "*"

    @property
    def code_name(self) -> str:
        return self.code.split(" ", 1)[0].upper()

    def body(self) -> str:
        code = f"[{self.code}] " if self.code else ""
        return f"{code}{self.text}".rstrip(" ") or self.status.lower()

    def to_bytes(self) -> bytes:
        return f"{self.tag} {self.status} {self.body()}\r\n".encode()

    def trace_code(self) -> str:
        return f"{self.tag} {self.status}"

    def trace_text(self) -> tuple[str, ...]:
        return (self.body(),)

    def with_tag(self, tag: str) -> Status:
        return Status(tag, self.status, self.text, self.code)

    def __str__(self) -> str:
        return self.to_bytes().decode("utf-8", "replace").rstrip("\r\n")


@dataclass(frozen=True, slots=True)
class Data:
    """Untagged data: ``payload`` is what follows ``* `` up to the final CRLF, literals included."""

    payload: bytes

    def to_bytes(self) -> bytes:
        return b"* " + self.payload + b"\r\n"

    def trace_code(self) -> str:
        return "*"

    def trace_text(self) -> tuple[str, ...]:
        return _lines(self.payload)

    def __str__(self) -> str:
        return self.to_bytes().decode("utf-8", "replace").rstrip("\r\n")


@dataclass(frozen=True, slots=True)
class Continuation:
    text: str = ""

    def to_bytes(self) -> bytes:
        return f"+ {self.text}\r\n".encode() if self.text else b"+ \r\n"

    def trace_code(self) -> str:
        return "+"

    def trace_text(self) -> tuple[str, ...]:
        return (self.text,)

    def __str__(self) -> str:
        return self.to_bytes().decode("utf-8", "replace").rstrip("\r\n")


ServerResponse = Status | Data | Continuation


def data(text: str) -> Data:
    return Data(text.encode("utf-8"))


# --- what a reader of server bytes hands out -------------------------------------


@dataclass(frozen=True, slots=True)
class Response:
    """One response as a client (or a scenario expectation) reads it."""

    tag: str  # "*", "+" or the command's tag
    code: str  # the status word, "*" for untagged data, "+" for a continuation
    text: str  # after the status word (response code in brackets included); untagged data: all of it
    enhanced: str = ""  # the response code's name ("UIDVALIDITY"), "" if none
    literals: tuple[bytes, ...] = ()  # the octets of the literals the response carried, in order
    raw: bytes = b""  # the response as received, CRLFs and literals included

    @property
    def tagged(self) -> bool:
        return self.tag not in ("*", "+")

    @property
    def is_status(self) -> bool:
        return self.code in STATUS_WORDS

    @property
    def code_args(self) -> str:
        """The response code's arguments: ``"3"`` for ``[UIDVALIDITY 3]``."""
        if not self.text.startswith("["):
            return ""
        inner = self.text[1:].split("]", 1)[0]
        return inner.split(" ", 1)[1] if " " in inner else ""

    def __str__(self) -> str:
        return self.raw.decode("utf-8", "replace").split("\r\n", 1)[0]


# --- the response texts the server sends, written once ------------------------------


class T:
    """Fixed texts of the server's responses."""

    GREETING = "mailsim IMAP4rev2 server ready"
    LOGOUT = "IMAP4rev2 server logging out"
    LITERAL = "Ready for literal data"  # RFC 9051 7.6's own example
    IDLING = "idling"  # RFC 2177 3
    TIMEOUT = "Autologout; idle for too long"  # RFC 9051 5.4
    IDLE_TIMEOUT = "IDLE for too long; please re-issue IDLE"  # RFC 2177 3: 29 minutes
    SHUTDOWN = "Server shutting down"
    TOO_MANY_ERRORS = "Too many invalid commands"
    BUSY = "Too many connections, try again later"
