"""TLS records on the wire and the handshake messages in them, decoded for the trace.

A record (RFC 8446 5.1, RFC 5246 6.2.1) is a 5-byte header (content type,
legacy version, length) and its fragment; handshake messages (RFC 8446 4) may
share a record or span several, so both are reassembled per direction by
:class:`RecordSplitter` and :class:`HandshakeSplitter`.

:func:`describe` turns a handshake message into ``name: value`` lines. What
TLS randomises (the hello randoms, session ids, key shares, signatures,
tickets, Finished) is named in ``randomised`` and shown only by its size, so a
transcript of the same scenario reads the same in every run (DESIGN.md,
principle 5). ``length_varies`` marks a message whose *size* is random too: a
DER-encoded ECDSA signature is 70 to 72 bytes long.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from cryptography import x509

from simulator.security.tls_names import (
    ALERT_LEVELS,
    ALERTS,
    CIPHER_SUITES,
    CONTENT_TYPES,
    EXTENSIONS,
    GROUPS,
    HANDSHAKE_TYPES,
    PSK_MODES,
    SIGNATURE_SCHEMES,
    VERSIONS,
    name,
)

HEADER = 5
HANDSHAKE, APPLICATION_DATA, ALERT, CHANGE_CIPHER_SPEC = 22, 23, 21, 20
CLIENT_HELLO, SERVER_HELLO, CERTIFICATE, FINISHED = 1, 2, 11, 20
TLS13 = 0x0304
# RFC 8446 4.1.3: a ServerHello with this random is a HelloRetryRequest.
HELLO_RETRY_RANDOM = bytes.fromhex("CF21AD74E59A6111BE1D8C021E65B891C2A211167ABB8C5E079E09E2C8A8339C")


@dataclass(frozen=True, slots=True)
class Record:
    type: int
    version: int  # legacy_record_version: 0x0303 ("TLS 1.2") for every TLS 1.3 record after the first
    fragment: bytes

    @property
    def content_type(self) -> str:
        return name(CONTENT_TYPES, self.type, 2)

    @property
    def version_name(self) -> str:
        return name(VERSIONS, self.version)

    @property
    def length(self) -> int:
        return len(self.fragment)

    def header(self) -> bytes:
        """The 5 header bytes: the additional data of a TLS 1.3 record's AEAD (RFC 8446 5.2)."""
        return bytes([self.type]) + self.version.to_bytes(2) + self.length.to_bytes(2)


class RecordSplitter:
    """Bytes from one direction of the wire in, whole records out (a partial one waits)."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[Record]:
        self._buffer += data
        records = []
        while len(self._buffer) >= HEADER:
            length = int.from_bytes(self._buffer[3:5])
            if len(self._buffer) < HEADER + length:
                break
            records.append(Record(self._buffer[0], int.from_bytes(self._buffer[1:3]),
                                  bytes(self._buffer[HEADER:HEADER + length])))
            del self._buffer[:HEADER + length]
        return records


@dataclass(frozen=True, slots=True)
class Message:
    type: int
    body: bytes

    @property
    def name(self) -> str:
        return name(HANDSHAKE_TYPES, self.type, 2)


class HandshakeSplitter:
    """Handshake record fragments in, whole handshake messages out (RFC 8446 4: type, uint24 length)."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, fragment: bytes) -> list[Message]:
        self._buffer += fragment
        messages = []
        while len(self._buffer) >= 4:
            length = int.from_bytes(self._buffer[1:4])
            if len(self._buffer) < 4 + length:
                break
            messages.append(Message(self._buffer[0], bytes(self._buffer[4:4 + length])))
            del self._buffer[:4 + length]
        return messages


@dataclass(frozen=True, slots=True)
class Described:
    fields: tuple[str, ...] = ()
    randomised: tuple[str, ...] = ()  # the parts TLS randomises, by name
    length_varies: bool = False


class _Reader:
    """Big-endian fields and length-prefixed vectors (RFC 8446 3.3, 3.4)."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise ValueError("truncated")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def int(self, n: int) -> int:
        return int.from_bytes(self.take(n))

    def vector(self, length_bytes: int) -> bytes:
        return self.take(self.int(length_bytes))

    def codes(self, length_bytes: int, width: int = 2) -> list[int]:
        data = self.vector(length_bytes)
        return [int.from_bytes(data[i:i + width]) for i in range(0, len(data), width)]

    @property
    def left(self) -> int:
        return len(self.data) - self.pos


class _Out:
    def __init__(self) -> None:
        self.fields: list[str] = []
        self.randomised: list[str] = []
        self.length_varies = False

    def say(self, text: str) -> None:
        self.fields.append(text)

    def random(self, what: str, size: int | None = None) -> None:
        """A randomised part: named, sized when its size is fixed, never shown by value."""
        self.randomised.append(what)
        self.fields.append(f"{what}: {size} bytes (randomised)" if size is not None
                           else f"{what}: (randomised, and so is its length)")

    def done(self) -> Described:
        return Described(tuple(self.fields), tuple(self.randomised), self.length_varies)


def _names(table: dict[int, str], codes: list[int]) -> str:
    return ", ".join(name(table, c) for c in codes) or "(none)"


def _alpn(data: bytes) -> str:
    r, names = _Reader(_Reader(data).vector(2)), []
    while r.left:
        names.append(r.vector(1).decode("ascii", "replace"))
    return ", ".join(names)


def _server_name(data: bytes) -> str:
    if not data:
        return "(acknowledged)"  # RFC 6066 3: the server's empty extension
    r, names = _Reader(_Reader(data).vector(2)), []
    while r.left:
        kind, host = r.int(1), r.vector(2)
        names.append(host.decode("ascii", "replace") if kind == 0 else f"type {kind}")
    return ", ".join(names)


def _extensions(r: _Reader, out: _Out, *, hello: str) -> None:
    """Each extension by name, with the fields a student compares between the hellos."""
    if not r.left:
        return
    ext = _Reader(r.vector(2))
    present: list[str] = []
    at = len(out.fields)  # the list of names goes before the details of each
    while ext.left:
        code, data = ext.int(2), ext.vector(2)
        label = name(EXTENSIONS, code)
        present.append(label)
        _EXTENSION_FIELDS.get(code, _skip)(data, out, hello)
    out.fields.insert(at, f"extensions: {', '.join(present) or '(none)'}")


def _skip(data: bytes, out: _Out, hello: str) -> None:
    pass


def _ext_server_name(data: bytes, out: _Out, hello: str) -> None:
    out.say(f"server name (SNI): {_server_name(data)}")


def _ext_groups(data: bytes, out: _Out, hello: str) -> None:
    out.say(f"supported groups: {_names(GROUPS, _Reader(data).codes(2))}")


def _ext_sigalgs(data: bytes, out: _Out, hello: str) -> None:
    out.say(f"signature algorithms: {_names(SIGNATURE_SCHEMES, _Reader(data).codes(2))}")


def _ext_alpn(data: bytes, out: _Out, hello: str) -> None:
    out.say(f"ALPN: {_alpn(data)}")


def _ext_versions(data: bytes, out: _Out, hello: str) -> None:
    if hello == "client":
        out.say(f"supported versions: {_names(VERSIONS, _Reader(data).codes(1))}")
    else:  # RFC 8446 4.2.1: the server names the one it selected
        out.say(f"selected version: {name(VERSIONS, int.from_bytes(data))}")


def _ext_key_share(data: bytes, out: _Out, hello: str) -> None:
    r = _Reader(data)
    if hello == "client":
        shares = _Reader(r.vector(2))
        offered = []
        while shares.left:
            group, key = shares.int(2), shares.vector(2)
            offered.append((name(GROUPS, group), len(key)))
        out.say(f"key-share groups: {', '.join(g for g, _ in offered) or '(none)'}")
        for group_name, size in offered:
            out.random(f"key share {group_name}", size)
    elif hello == "retry":  # RFC 8446 4.2.8: a HelloRetryRequest names only the group
        out.say(f"key-share group requested: {name(GROUPS, r.int(2))}")
    else:
        group, key = r.int(2), r.vector(2)
        out.say(f"key-share group: {name(GROUPS, group)}")
        out.random(f"key share {name(GROUPS, group)}", len(key))


def _ext_psk_modes(data: bytes, out: _Out, hello: str) -> None:
    out.say(f"PSK key exchange modes: {_names(PSK_MODES, _Reader(data).codes(1, 1))}")


_EXTENSION_FIELDS: dict[int, Callable[[bytes, _Out, str], None]] = {
    0: _ext_server_name, 10: _ext_groups, 13: _ext_sigalgs, 16: _ext_alpn, 43: _ext_versions,
    51: _ext_key_share, 45: _ext_psk_modes,
}


def _client_hello(r: _Reader, out: _Out, tls13: bool) -> None:
    out.say(f"legacy version: {name(VERSIONS, r.int(2))}")
    out.random("random", len(r.take(32)))
    _session_id(r.vector(1), out, "legacy session id")
    out.say(f"cipher suites: {_names(CIPHER_SUITES, r.codes(2))}")
    out.say(f"compression methods: {', '.join(str(c) for c in r.codes(1, 1))}")
    _extensions(r, out, hello="client")


def _session_id(value: bytes, out: _Out, what: str) -> None:
    if value:
        out.random(what, len(value))  # RFC 8446 D.4: a random 32 bytes in middlebox compatibility mode
    else:
        out.say(f"{what}: (empty)")


def _server_hello(r: _Reader, out: _Out, tls13: bool) -> None:
    out.say(f"legacy version: {name(VERSIONS, r.int(2))}")
    random = r.take(32)
    retry = random == HELLO_RETRY_RANDOM
    if retry:
        out.say("random: the HelloRetryRequest value (RFC 8446 4.1.3)")
    else:
        out.random("random", len(random))
    _session_id(r.vector(1), out, "legacy session id (echoed)")
    out.say(f"cipher suite: {name(CIPHER_SUITES, r.int(2))}")
    out.say(f"compression method: {r.int(1)}")
    _extensions(r, out, hello="retry" if retry else "server")


def _encrypted_extensions(r: _Reader, out: _Out, tls13: bool) -> None:
    _extensions(r, out, hello="server")


def _certificate(r: _Reader, out: _Out, tls13: bool) -> None:
    if tls13:
        context = r.vector(1)
        if context:
            out.say(f"request context: {len(context)} bytes")
    certs = _Reader(r.vector(3))
    n = 0
    while certs.left:
        n += 1
        der = certs.vector(3)
        if tls13:
            certs.vector(2)  # per-certificate extensions (OCSP, SCT): none from our servers
        out.say(f"certificate {n}: {_certificate_fields(der)}")
    if not n:
        out.say("certificates: (none)")


@lru_cache(maxsize=64)  # a server sends the same certificate in every session
def _certificate_fields(der: bytes) -> str:
    try:
        cert = x509.load_der_x509_certificate(der)
    except ValueError:
        return f"{len(der)} bytes (not a certificate cryptography can read)"
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = ", ".join(str(getattr(n, "value", n)) for n in san)
    except x509.ExtensionNotFound:
        names = "(no subjectAltName)"
    return (f"subject {cert.subject.rfc4514_string()}; issuer {cert.issuer.rfc4514_string()}; "
            f"valid {cert.not_valid_before_utc:%Y-%m-%d %H:%M} to {cert.not_valid_after_utc:%Y-%m-%d %H:%M} UTC; "
            f"names {names}; serial {cert.serial_number:x}")


def _signature(r: _Reader, out: _Out) -> None:
    scheme = r.int(2)
    out.say(f"signature algorithm: {name(SIGNATURE_SCHEMES, scheme)}")
    signature = r.vector(2)
    if SIGNATURE_SCHEMES.get(scheme, "").startswith("ecdsa"):
        out.random("signature")
        out.length_varies = True  # a DER ECDSA signature is 70-72 bytes (r and s each 32 or 33)
    else:
        out.random("signature", len(signature))


def _certificate_verify(r: _Reader, out: _Out, tls13: bool) -> None:
    _signature(r, out)


def _finished(r: _Reader, out: _Out, tls13: bool) -> None:
    # An HMAC over the transcript, which holds the hello randoms (RFC 8446 4.4.4).
    out.random("verify data", r.left)


def _new_session_ticket(r: _Reader, out: _Out, tls13: bool) -> None:
    out.say(f"ticket lifetime: {r.int(4)} s")
    if tls13:
        r.take(4)
        out.random("ticket age add", 4)
        out.random("ticket nonce", len(r.vector(1)))
    out.random("ticket", len(r.vector(2)))
    if tls13:
        _extensions(r, out, hello="server")


def _server_key_exchange(r: _Reader, out: _Out, tls13: bool) -> None:
    curve_type = r.int(1)
    if curve_type != 3:  # RFC 8422 5.4: named_curve
        out.say(f"curve type: {curve_type} (not a named curve)")
        return
    group = r.int(2)
    out.say(f"named group: {name(GROUPS, group)}")
    out.random(f"public key {name(GROUPS, group)}", len(r.vector(1)))
    _signature(r, out)


def _client_key_exchange(r: _Reader, out: _Out, tls13: bool) -> None:
    out.random("public key", len(r.vector(1)))  # RFC 8422 5.7: ECDHE, the client's ephemeral point


def _empty(r: _Reader, out: _Out, tls13: bool) -> None:
    pass


_MESSAGES: dict[int, Callable[[_Reader, _Out, bool], None]] = {
    1: _client_hello, 2: _server_hello, 4: _new_session_ticket, 8: _encrypted_extensions, 11: _certificate,
    12: _server_key_exchange, 14: _empty, 15: _certificate_verify, 16: _client_key_exchange, 20: _finished,
}


def describe(message: Message, *, tls13: bool) -> Described:
    """The fields of a handshake message (``tls13``: the session negotiated TLS 1.3)."""
    out = _Out()
    parse = _MESSAGES.get(message.type)
    if parse is None:
        return Described((f"{len(message.body)} bytes",))
    try:
        parse(_Reader(message.body), out, tls13)
    except (ValueError, IndexError):
        out.say("(truncated or malformed)")
    return out.done()


def describe_alert(fragment: bytes) -> Described:
    """An alert (RFC 8446 6): its level and description."""
    if len(fragment) != 2:
        return Described((f"{len(fragment)} bytes (not a 2-byte alert)",))
    return Described((f"level: {name(ALERT_LEVELS, fragment[0], 2)}", f"description: {name(ALERTS, fragment[1], 2)}"))


def alert_name(fragment: bytes) -> str:
    return name(ALERTS, fragment[1], 2) if len(fragment) == 2 else "malformed"


def hello_random(message: Message) -> bytes:
    """The 32-byte random of a ClientHello or ServerHello (RFC 8446 4.1.2, 4.1.3)."""
    return message.body[2:34]


@dataclass(frozen=True, slots=True)
class HelloFacts:
    """What the ServerHello settled: the version (after supported_versions) and the cipher suite."""

    version: int
    cipher_suite: int
    retry: bool


def server_hello_facts(message: Message) -> HelloFacts:
    """RFC 8446 4.1.3: the version is in supported_versions when present, else legacy_version."""
    r = _Reader(message.body)
    version = r.int(2)
    retry = r.take(32) == HELLO_RETRY_RANDOM
    r.vector(1)
    suite = r.int(2)
    r.int(1)
    if r.left:
        ext = _Reader(r.vector(2))
        while ext.left:
            code, data = ext.int(2), ext.vector(2)
            if code == 43:
                version = int.from_bytes(data)
    return HelloFacts(version, suite, retry)
