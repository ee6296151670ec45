"""What a STARTTLS-stripping man in the middle does to one connection's plaintext, per protocol.

A server offers TLS in plaintext: SMTP's ``250-STARTTLS`` in the EHLO reply
(RFC 3207 4), IMAP's ``STARTTLS`` capability (RFC 9051 6.2.1), POP3's
``STLS`` line in the CAPA reply (RFC 2595 4). Nothing protects those bytes,
so an attacker on the path can take the offer out, and a client that uses
TLS only when it is offered goes on in plaintext (RFC 3207 6, RFC 8314 5.2).
Each protocol's registry entry builds a :class:`OfferStripper` for it; the
man in the middle (``simulator.agents.mitm``) feeds it what crosses a
connection before TLS and passes on what it gives back.

A stripper sees whole lines only: a line not yet ended with CRLF is held
until the rest of it comes, as a proxy that rewrites lines must.
"""

from __future__ import annotations

import re
from collections import deque

_LITERAL = re.compile(rb"\{(\d+)\+?\}\r\n$")


class OfferStripper:
    """The base: holds a partial line each way; subclasses edit complete lines."""

    offer = "the offer of STARTTLS"  # what it deletes, as a sentence names it

    def __init__(self) -> None:
        self._held = b""

    def client_sent(self, data: bytes) -> None:
        """The client's bytes, passed on unchanged (a protocol whose answers depend on the command reads them)."""

    def server_sent(self, data: bytes) -> tuple[bytes, tuple[str, ...]]:
        """The server's bytes as the man in the middle passes them on, and what it changed (one line each)."""
        data = self._held + data
        cut = data.rfind(b"\r\n") + 2
        if cut < 2:
            self._held = data
            return b"", ()
        self._held = data[cut:]
        lines = data[:cut].split(b"\r\n")[:-1]
        return self._edit(lines)

    def _edit(self, lines: list[bytes]) -> tuple[bytes, tuple[str, ...]]:
        raise NotImplementedError


def _join(lines: list[bytes]) -> bytes:
    return b"".join(line + b"\r\n" for line in lines)


class SmtpStripper(OfferStripper):
    """Removes the STARTTLS line of an EHLO reply (RFC 3207 4), keeping the reply well formed (RFC 5321 4.2.1)."""

    offer = "the 250-STARTTLS line of the EHLO reply"

    def _edit(self, lines: list[bytes]) -> tuple[bytes, tuple[str, ...]]:
        out: list[bytes] = []
        changes: list[str] = []
        reply: list[bytes] = []
        for line in lines:
            reply.append(line)
            if len(line) > 3 and line[3:4] == b"-":
                continue  # a reply goes on until a line with a space (or nothing) after the code
            out += self._strip_reply(reply, changes)
            reply = []
        out += reply  # a reply cut short (the connection is closing): passed on as it came
        return _join(out), tuple(changes)

    @staticmethod
    def _strip_reply(reply: list[bytes], changes: list[str]) -> list[bytes]:
        if len(reply) < 2 or not reply[0].startswith(b"250"):
            return reply
        kept = [line for line in reply if line[4:].strip().upper() != b"STARTTLS"]
        for line in reply:
            if line not in kept:
                changes.append(f"removed {line.decode('ascii', 'replace')}")
        if kept[-1][3:4] == b"-":  # the last line went: the one before it now ends the reply
            kept[-1] = kept[-1][:3] + b" " + kept[-1][4:]
            changes.append(f"made {kept[-1].decode('ascii', 'replace')} the last line")
        return kept


class ImapStripper(OfferStripper):
    """Removes STARTTLS from every CAPABILITY list (RFC 9051 6.2.1, 7.2.2), leaving literals alone."""

    offer = "STARTTLS from the CAPABILITY list"

    def __init__(self) -> None:
        super().__init__()
        self._literal = 0  # bytes of a literal still to pass through untouched (RFC 9051 4.3)

    def server_sent(self, data: bytes) -> tuple[bytes, tuple[str, ...]]:
        out = bytearray()
        changes: list[str] = []
        data = self._held + data
        self._held = b""
        while data:
            if self._literal:
                n = min(self._literal, len(data))
                out += data[:n]
                data, self._literal = data[n:], self._literal - n
                continue
            end = data.find(b"\r\n")
            if end < 0:
                self._held = data
                break
            line, data = data[:end + 2], data[end + 2:]
            literal = _LITERAL.search(line)
            if literal:
                self._literal = int(literal.group(1))
            out += self._strip_line(line, changes)
        return bytes(out), tuple(changes)

    @staticmethod
    def _strip_line(line: bytes, changes: list[str]) -> bytes:
        upper = line.upper()
        at = upper.find(b"CAPABILITY ")
        if at < 0 or not (upper.startswith(b"* CAPABILITY ") or upper[at - 1:at] == b"["):
            return line
        start = at + len(b"CAPABILITY ")
        end = line.find(b"]", start) if upper[at - 1:at] == b"[" else len(line) - 2
        words = line[start:end].split(b" ")
        kept = [w for w in words if w.upper() != b"STARTTLS"]
        if len(kept) == len(words):
            return line
        changes.append("removed STARTTLS from the CAPABILITY list")
        return line[:start] + b" ".join(kept) + line[end:]


class Pop3Stripper(OfferStripper):
    """Removes the STLS line of a CAPA reply (RFC 2595 4, RFC 2449 5); it pairs replies with commands."""

    offer = "the STLS line of the CAPA reply"

    MULTILINE = {b"CAPA", b"RETR", b"TOP"}  # and LIST, UIDL without an argument (RFC 1939 5)

    def __init__(self) -> None:
        super().__init__()
        self._client = b""
        self._pending: deque[bytes] = deque()
        self._body: bytes | None = None  # the command whose multi-line reply is passing, or None
        self._greeted = False
        self._answers = 0  # challenges the client has yet to answer

    def client_sent(self, data: bytes) -> None:
        data = self._client + data
        *lines, self._client = data.split(b"\r\n")
        for line in lines:
            if self._answers:  # the answer to a "+" challenge (RFC 5034 4) is no command
                self._answers -= 1
                continue
            verb, _, arg = line.strip().partition(b" ")
            verb = verb.upper()
            multi = verb in self.MULTILINE or (verb in (b"LIST", b"UIDL") and not arg.strip())
            self._pending.append(verb if multi else b"")

    def _edit(self, lines: list[bytes]) -> tuple[bytes, tuple[str, ...]]:
        out: list[bytes] = []
        changes: list[str] = []
        for line in lines:
            if self._body is not None:
                if line == b".":
                    self._body = None
                elif self._body == b"CAPA" and line.strip().upper() == b"STLS":
                    changes.append("removed STLS from the CAPA reply")
                    continue
                out.append(line)
                continue
            out.append(line)
            if line == b"+" or line.startswith(b"+ "):
                self._answers += 1
            elif line.startswith((b"+OK", b"-ERR")):
                if not self._greeted:
                    self._greeted = True
                    continue
                verb = self._pending.popleft() if self._pending else b""
                if line.startswith(b"+OK") and verb:
                    self._body = verb
        return _join(out), tuple(changes)
