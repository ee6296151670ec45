"""Reading POP3 responses from a server's bytes: one-line and multi-line ones (RFC 1939 3).

Unlike SMTP's, a POP3 response does not say whether more lines follow: a
``+OK`` to RETR has a body, a ``+OK`` to DELE has not. Only the commands
sent tell, so the reader is told each line the client writes
(:meth:`ResponseReader.command_sent`) and expects one response per line, in
order (RFC 2449 6.6: responses come in the order of the commands, pipelined
or not). The greeting comes first, before any command. Body lines are
unstuffed, and a line holding only "." ends the body.
"""

from __future__ import annotations

from collections import deque

from simulator.protocols.lines import TOO_LONG, LineBuffer
from simulator.protocols.machine import RemoteProtocolError
from simulator.protocols.pop3.multiline import unstuff
from simulator.protocols.pop3.replies import CONTINUE, NEGATIVE, POSITIVE, Pop3Reply

# RFC 2449 4: a status line is at most 512 octets with its CRLF. Body lines have no such
# limit in POP3 (they are message lines): RFC 5322 2.1.1's 998 + CRLF, with room to spare.
STATUS_LINE_LIMIT = 512
BODY_LINE_LIMIT = 64 * 1024


class ResponseFormatError(RemoteProtocolError, ValueError):
    """The server sent something that is not an RFC 1939 3 response."""


def expects_body(command: bytes) -> bool:
    """Whether a +OK to ``command`` is multi-line (RFC 1939 5, 7; RFC 2449 5)."""
    words = command.rstrip(b"\r\n").split(b" ")
    keyword = words[0].upper()
    args = [w for w in words[1:] if w]
    if keyword in (b"RETR", b"TOP", b"CAPA"):
        return True
    return keyword in (b"LIST", b"UIDL") and not args


class ResponseReader:
    def __init__(self) -> None:
        self._buffer = LineBuffer()
        self._expect: deque[bool] = deque([False])  # the greeting: one line
        self._status: Pop3Reply | None = None  # a +OK whose body is being read
        self._body: list[bytes] = []
        self._sent = bytearray()  # the start of a command line not ended yet

    def command_sent(self, data: bytes) -> None:
        """The client wrote ``data``: one response is due for each line it ends.

        A bare LF ends a line here as it does for the server machine, which
        answers such a line (with -ERR); a line not ended yet waits for the rest.
        """
        self._sent += data
        *lines, rest = self._sent.split(b"\n")
        self._sent = bytearray(rest)
        self._expect.extend(expects_body(line.removesuffix(b"\r")) for line in lines)

    def feed(self, data: bytes) -> None:
        self._buffer.feed(data)

    def next_reply(self) -> Pop3Reply | None:
        while True:
            in_body = self._status is not None
            raw = self._buffer.next_line(BODY_LINE_LIMIT if in_body else STATUS_LINE_LIMIT)
            if raw is None:
                return None
            if raw is TOO_LONG:
                raise ResponseFormatError("response line too long" if in_body else
                                          "status line longer than 512 octets (RFC 2449 section 4)")
            assert isinstance(raw, bytes)
            line = raw[:-2]
            if self._status is not None:
                if line == b".":
                    reply = self._status.with_body(self._body)
                    self._status, self._body = None, []
                    return reply
                self._body.append(unstuff(line))
                continue
            reply = parse_status(line)
            multi = self._expect.popleft() if self._expect else False
            if multi and reply.status == POSITIVE:
                self._status = reply
                continue
            return reply

    @property
    def pending(self) -> int:
        """Responses still due for the commands sent."""
        return len(self._expect) + (self._status is not None)


def parse_status(line: bytes) -> Pop3Reply:
    """A status line: ``+OK [CODE] text``, ``-ERR [CODE] text`` or a ``+ base64`` challenge."""
    text = line.decode("utf-8", "replace")
    status, _, rest = text.partition(" ")
    if status not in (POSITIVE, NEGATIVE, CONTINUE):
        raise ResponseFormatError(f"not a POP3 response: {text[:80]!r}")
    if status == CONTINUE:
        return Pop3Reply(CONTINUE, rest)
    code = ""
    if rest.startswith("[") and "]" in rest:  # RFC 2449 8: a response code in brackets
        inner, _, after = rest[1:].partition("]")
        if inner and " " not in inner:
            code, rest = inner, after.removeprefix(" ")
    try:
        return Pop3Reply(status, rest, code)
    except ValueError as exc:
        raise ResponseFormatError(str(exc)) from exc
