"""An eavesdropper on a link: it reads the bytes on the wire and changes nothing.

A listener on the path (a shared Wi-Fi, a tapped cable, a compromised router)
captures every byte of each connection that crosses its link, both ways, and
is handed exactly what the connection put on the wire (``BytesSent.wire``),
never the endpoints' plaintext. It decodes what a sniffer such as Wireshark
or dsniff does:

* SMTP, IMAP and POP3 AUTH with PLAIN (RFC 4616 2: authzid NUL authcid NUL
  passwd, in base64 per RFC 4954 4) and LOGIN (base64 user name, then
  password), IMAP ``LOGIN user password`` (RFC 9051 6.2.3), POP3 ``USER`` and
  ``PASS`` (RFC 1939 7); for CRAM-MD5 (RFC 2195) and SCRAM-SHA-256 (RFC 7677)
  only the user name, since the password itself never crosses;
* the message text an SMTP client sends after ``354`` (RFC 5321 4.1.1.4) and
  a POP3 server sends after ``RETR`` (RFC 1939 5).

Once the bytes of a direction are TLS records (a record header: content type
20-23, version 3.x, RFC 8446 5.1) it can tell only each record's content type
and length, and says so.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field

from simulator.net.world import Host, Service
from simulator.trace import C2S, S2C, Event, Sniffed

# RFC 8446 5.1 (and RFC 5246 6.2.1): the content types of TLS records.
CONTENT_TYPES = {20: "change_cipher_spec", 21: "alert", 22: "handshake", 23: "application_data"}
RECORD_HEADER = 5  # type (1), legacy version (2), length (2)
MAX_LINE = 8192  # a line longer than this is no command a sniffer decodes


def _names(host: Host) -> set[str]:
    return {host.name.lower(), host.fqdn.lower(), *host.addresses}


@dataclass
class Eavesdropper:
    """A listener on ``host`` that captures every connection between the two ends of ``link`` (either way)."""

    host: str
    link: tuple[str, str]
    sessions: list[Capture] = field(default_factory=list)

    def tap_link(self, client: Host, server: Host, service: Service) -> Capture | None:
        a, b = (end.lower() for end in self.link)
        ends = (_names(client), _names(server))
        if not ((a in ends[0] and b in ends[1]) or (b in ends[0] and a in ends[1])):
            return None
        capture = Capture(self.host)
        self.sessions.append(capture)
        return capture


def _b64(text: str) -> bytes | None:
    try:
        return base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


_ATOM_OR_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"|(\S+)')


def _imap_strings(rest: str) -> list[str]:
    """IMAP astrings (RFC 9051 4.3): atoms, or quoted strings with \\ escapes."""
    out = []
    for quoted, atom in _ATOM_OR_QUOTED.findall(rest):
        out.append(re.sub(r"\\(.)", r"\1", quoted) if quoted or not atom else atom)
    return out


class _Direction:
    """One direction of a captured connection: its partial line, or how far into a TLS record it is."""

    def __init__(self) -> None:
        self.line = b""
        self.tls = False
        self.record_left = 0  # bytes of the current record still to come
        self.header = b""  # a record header split across chunks


class Capture:
    """The eavesdropper's capture of one connection (the connection's tap)."""

    def __init__(self, attacker: str) -> None:
        self.attacker = attacker
        self._dirs = {C2S: _Direction(), S2C: _Direction()}
        self._pending: tuple[str, ...] = ()  # the AUTH exchange under way: (mechanism, what came so far...)
        self._user = ""  # POP3 USER, waiting for PASS
        self._message: list[bytes] | None = None  # lines of a message crossing, or None
        self._message_dir = C2S
        self._expect_message: str | None = None  # "smtp" after DATA, "pop3" after RETR

    def wire(self, conn: str, direction: str, data: bytes) -> list[Event]:
        d = self._dirs[direction]
        if not d.tls and _looks_like_tls(data):
            d.tls = True
            d.line = b""
            if any(other.tls for other in self._dirs.values() if other is not d):
                return self._records(conn, direction, d, data)  # said once, when the first records crossed
            events: list[Event] = [Sniffed(conn=conn, attacker=self.attacker, direction=direction, what="tls",
                                           how="TLS records",
                                           text="the bytes are TLS records now: only their types and lengths "
                                                "can be read")]
            return events + self._records(conn, direction, d, data)
        if d.tls:
            return self._records(conn, direction, d, data)
        events = []
        d.line += data
        *lines, d.line = d.line.split(b"\n")
        if len(d.line) > MAX_LINE:
            d.line = b""
        for raw in lines:
            line = raw.removesuffix(b"\r")
            events += self._line(conn, direction, line)
        return events

    # --- TLS: only the record headers can be read ----------------------------------

    def _records(self, conn: str, direction: str, d: _Direction, data: bytes) -> list[Event]:
        seen: list[str] = []
        i = 0
        while i < len(data):
            if d.record_left:
                take = min(d.record_left, len(data) - i)
                d.record_left -= take
                i += take
                continue
            need = RECORD_HEADER - len(d.header)
            d.header += data[i:i + need]
            i += need
            if len(d.header) < RECORD_HEADER:
                break
            ctype, length = d.header[0], int.from_bytes(d.header[3:5], "big")
            d.header, d.record_left = b"", length
            seen.append(f"{CONTENT_TYPES.get(ctype, f'type {ctype}')} {length} B")
        if not seen:
            return []
        return [Sniffed(conn=conn, attacker=self.attacker, direction=direction, what="records",
                        how="TLS records", text=", ".join(seen))]

    # --- plaintext: what a sniffer decodes -------------------------------------------

    def _line(self, conn: str, direction: str, line: bytes) -> list[Event]:
        if self._message is not None and direction == self._message_dir:
            if line == b".":
                text = b"\r\n".join(self._message) + b"\r\n"
                self._message = None
                return [Sniffed(conn=conn, attacker=self.attacker, direction=direction, what="message",
                                how="SMTP DATA" if direction == C2S else "POP3 RETR", text=_text(text))]
            self._message.append(line[1:] if line.startswith(b".") else line)  # dot-unstuffing (RFC 5321 4.5.2)
            return []
        text = _text(line)
        if direction == S2C:
            return self._server_line(text)
        return self._client_line(conn, text)

    def _server_line(self, text: str) -> list[Event]:
        if self._pending and not (text.startswith("334") or text.startswith("+")):
            self._pending = ()  # the server ended the AUTH exchange (235, 535, 501, a tagged reply)
        if self._expect_message == "smtp" and text.startswith("354"):  # RFC 5321 4.1.1.4: the text comes now
            self._message, self._message_dir, self._expect_message = [], C2S, None
        elif self._expect_message == "pop3" and text[:1] in "+-":
            if text.startswith("+OK"):  # RFC 1939 5: the message follows, up to a line with "."
                self._message, self._message_dir = [], S2C
            self._expect_message = None
        return []

    def _login(self, conn: str, how: str, user: str, secret: str, text: str = "") -> list[Event]:
        return [Sniffed(conn=conn, attacker=self.attacker, direction=C2S, what="login", how=how, user=user,
                        secret=secret, text=text)]

    def _client_line(self, conn: str, text: str) -> list[Event]:
        if self._pending:
            return self._auth_continue(conn, text)
        words = text.split()
        if not words:
            return []
        verb = words[0].upper()
        if self._expect_message == "smtp" and verb != "DATA":
            self._expect_message = None  # DATA was refused: the client moved on (RSET, QUIT)
        if len(words) >= 2 and verb not in ("AUTH", "USER", "PASS", "RETR", "DATA") and \
                words[1].upper() in ("LOGIN", "AUTHENTICATE"):  # IMAP: a tag first
            args = text.split(None, 2)[2] if len(words) > 2 else ""
            if words[1].upper() == "LOGIN":
                strings = _imap_strings(args)
                if len(strings) >= 2:
                    return self._login(conn, "IMAP LOGIN", strings[0], strings[1])
                return []
            return self._auth_start(conn, "IMAP AUTHENTICATE", args.split())
        if verb == "AUTH":
            return self._auth_start(conn, "AUTH", words[1:])
        if verb == "USER" and len(words) >= 2:
            self._user = text.split(None, 1)[1]
        elif verb == "PASS" and len(words) >= 2:
            user, self._user = self._user, ""
            return self._login(conn, "POP3 USER/PASS", user, text.split(None, 1)[1])
        elif verb == "DATA" and len(words) == 1:
            self._expect_message = "smtp"
        elif verb == "RETR" and len(words) == 2:
            self._expect_message = "pop3"
        return []

    def _auth_start(self, conn: str, command: str, args: list[str]) -> list[Event]:
        if not args:
            return []
        mechanism = args[0].upper()
        if mechanism not in ("PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-256"):
            return []
        self._pending = (f"{command} {mechanism}",)
        if len(args) > 1 and args[1] != "=":  # an initial response (RFC 4954 4; "=" is an empty one)
            return self._auth_continue(conn, args[1])
        return []

    def _auth_continue(self, conn: str, text: str) -> list[Event]:
        how, *got = self._pending
        token = text.split()[-1] if text.split() else ""
        if token == "*":  # the client cancelled (RFC 4954 4)
            self._pending = ()
            return []
        decoded = _b64(token)
        if decoded is None:
            self._pending = ()
            return []
        mechanism = how.rsplit(" ", 1)[1]
        if mechanism == "PLAIN":
            self._pending = ()
            parts = decoded.split(b"\0")
            if len(parts) != 3:
                return []
            return self._login(conn, how, _text(parts[1]), _text(parts[2]),
                               f"base64 {token} decodes to {_text(decoded)!r}")
        if mechanism == "LOGIN":
            if not got:
                self._pending = (how, _text(decoded))
                return []
            self._pending = ()
            return self._login(conn, how, got[0], _text(decoded), "two base64 lines: the user name, the password")
        self._pending = ()
        if mechanism == "CRAM-MD5":  # RFC 2195 2: user name, space, the keyed MD5 digest in hex
            user = _text(decoded).rsplit(" ", 1)[0]
            return self._login(conn, how, user, "", "a keyed MD5 digest of the server's challenge; "
                                                    "the password itself does not cross")
        match = re.search(r"(?:^|,)n=([^,]*)", _text(decoded))  # SCRAM client-first-message (RFC 5802 7)
        if match is None:
            return []
        return self._login(conn, how, match.group(1).replace("=2C", ",").replace("=3D", "="), "",
                           "a nonce, then a proof derived from the salted password; "
                           "the password itself does not cross")


def _looks_like_tls(data: bytes) -> bool:
    """A TLS record header (RFC 8446 5.1): content type 20-23, then major version 3."""
    return len(data) >= 3 and data[0] in CONTENT_TYPES and data[1] == 3 and data[2] <= 4
