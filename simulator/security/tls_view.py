"""What a session's records are, one ``TlsRecord`` trace event each: the Wire tab's TLS view.

:class:`RecordView` watches both directions of one session's wire, cuts the
bytes into records, decodes the plaintext handshake (ClientHello,
ServerHello, and in TLS 1.2 the Certificate as it is on the wire), and opens
the protected TLS 1.3 records with the key log
(:mod:`simulator.security.tls13_decrypt`): EncryptedExtensions, Certificate,
CertificateVerify, Finished, NewSessionTicket and the application data, each
beside the ciphertext an eavesdropper sees. TLS 1.2's records after
ChangeCipherSpec are opened too, for the AEAD suites OpenSSL prefers
(:mod:`simulator.security.tls12_decrypt`).

Call :meth:`RecordView.observe` after the receiving endpoint has taken the
bytes: by then the client has logged the secrets that open them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from simulator.security.tls12_decrypt import SUITES_12, Direction12Keys
from simulator.security.tls13_decrypt import (
    CLIENT_SECRETS,
    SERVER_SECRETS,
    SUITES,
    DecryptError,
    DirectionKeys,
    parse_key_log,
)
from simulator.security.tls_names import CONTENT_TYPES, name
from simulator.security.tls_records import (
    ALERT,
    APPLICATION_DATA,
    CHANGE_CIPHER_SPEC,
    CLIENT_HELLO,
    FINISHED,
    HANDSHAKE,
    SERVER_HELLO,
    TLS13,
    Described,
    HandshakeSplitter,
    Message,
    Record,
    RecordSplitter,
    alert_name,
    describe,
    describe_alert,
    hello_random,
    server_hello_facts,
)
from simulator.trace import C2S, S2C, TlsRecord

KEY_UPDATE = 24
SHOWN_DATA = 60  # characters of application data in the one-line summary


@dataclass
class _Direction:
    secrets: tuple[str, str]  # key log labels: handshake, then application traffic secret
    records: RecordSplitter = field(default_factory=RecordSplitter)
    clear: HandshakeSplitter = field(default_factory=HandshakeSplitter)
    protected: HandshakeSplitter = field(default_factory=HandshakeSplitter)
    keys: DirectionKeys | None = None
    keys12: Direction12Keys | None = None
    epoch: int = 0  # 0: handshake traffic secret, 1: application traffic secret
    cipher_spec_changed: bool = False  # TLS 1.2: records after ChangeCipherSpec are protected


@dataclass
class _Seen:
    """What one record turned out to hold."""

    handshake: list[str] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)
    randomised: list[str] = field(default_factory=list)
    length_varies: bool = False
    inner: str = ""
    plaintext: bytes = b""
    summary: str = ""

    def add(self, message: Message, described: Described, many: bool) -> None:
        self.handshake.append(message.name)
        prefix = f"{message.name}: " if many else ""
        self.fields += [prefix + f for f in described.fields]
        self.randomised += [r for r in described.randomised if r not in self.randomised]
        self.length_varies = self.length_varies or described.length_varies


class RecordView:
    """Decodes one TLS session's records in both directions; ``key_log`` reads the session's key log."""

    def __init__(self, key_log: Callable[[], bytes]) -> None:
        self._key_log = key_log
        self._dirs = {C2S: _Direction(CLIENT_SECRETS), S2C: _Direction(SERVER_SECRETS)}
        self.version = 0  # the negotiated version once the ServerHello went by (0x0304: TLS 1.3)
        self.suite = 0
        self._randoms = [b"", b""]  # client random, server random (TLS 1.2's key block needs both)

    def observe(self, conn: str, direction: str, wire: bytes) -> list[TlsRecord]:
        d = self._dirs[direction]
        return [self._event(conn, direction, d, record) for record in d.records.feed(wire)]

    def _event(self, conn: str, direction: str, d: _Direction, record: Record) -> TlsRecord:
        seen = _Seen()
        encrypted = False
        if record.type == APPLICATION_DATA and self.version == TLS13:
            encrypted = True
            self._open(d, record, seen)
        elif d.cipher_spec_changed:
            encrypted = True
            self._open12(d, direction, record, seen)
        elif record.type == HANDSHAKE:
            self._handshake(d.clear, record.fragment, seen, tls13=self.version == TLS13)
        elif record.type == CHANGE_CIPHER_SPEC:
            if self.version == TLS13:
                seen.fields.append("compatibility record, ignored by TLS 1.3 peers (RFC 8446 D.4)")
            else:
                d.cipher_spec_changed = True
                seen.fields.append("from here on this side's records are protected (RFC 5246 7.1)")
        elif record.type == ALERT:
            seen.fields += describe_alert(record.fragment).fields
            seen.summary = alert_name(record.fragment)
        return TlsRecord(
            conn=conn, direction=direction, content_type=record.content_type, version=record.version_name,
            length=record.length, handshake_types=tuple(seen.handshake), decrypted=seen.summary,
            fields=tuple(seen.fields), randomised=tuple(seen.randomised), encrypted=encrypted,
            inner_type=seen.inner, plaintext=seen.plaintext, length_varies=seen.length_varies,
        )

    def _handshake(self, splitter: HandshakeSplitter, fragment: bytes, seen: _Seen, *, tls13: bool) -> list[Message]:
        messages = splitter.feed(fragment)
        for message in messages:
            if message.type == CLIENT_HELLO:
                self._randoms[0] = hello_random(message)
            elif message.type == SERVER_HELLO:
                facts = server_hello_facts(message)
                if not facts.retry:
                    self.version, self.suite = facts.version, facts.cipher_suite
                    self._randoms[1] = hello_random(message)
                    tls13 = facts.version == TLS13
            seen.add(message, describe(message, tls13=tls13), len(messages) > 1)
        return messages

    def _open(self, d: _Direction, record: Record, seen: _Seen) -> None:
        try:
            keys = self._keys(d)
            inner, content = keys.open(record)
        except DecryptError as exc:
            seen.summary = f"(not decrypted: {exc})"
            return
        seen.inner = name(CONTENT_TYPES, inner, 2)
        messages = self._content(d, inner, content, seen, tls13=True)
        for message in messages:
            if message.type == FINISHED and d.epoch == 0:
                d.epoch = 1
                try:
                    keys.rekey(self._secret(d))
                except DecryptError:
                    d.keys = None  # tried again, from the log, at the next record
            elif message.type == KEY_UPDATE:
                keys.update()

    def _open12(self, d: _Direction, direction: str, record: Record, seen: _Seen) -> None:
        """TLS 1.2 after ChangeCipherSpec: the record's own type is the true one (no inner type)."""
        try:
            if d.keys12 is None:
                suite = SUITES_12.get(self.suite)
                if suite is None:
                    raise DecryptError(f"cipher suite 0x{self.suite:04x} is not an AEAD suite this view opens")
                master = parse_key_log(self._key_log()).get("CLIENT_RANDOM")
                if master is None:
                    raise DecryptError("the key log has no CLIENT_RANDOM line yet")
                d.keys12 = Direction12Keys(suite, master, *self._randoms, client=direction == C2S)
            content = d.keys12.open(record)
        except DecryptError as exc:
            seen.summary = f"(not decrypted: {exc})"
            return
        self._content(d, record.type, content, seen, tls13=False)

    def _content(self, d: _Direction, inner: int, content: bytes, seen: _Seen, *, tls13: bool) -> list[Message]:
        """What a decrypted record held: handshake messages, application data or an alert."""
        if inner == HANDSHAKE:
            messages = self._handshake(d.protected, content, seen, tls13=tls13)
            seen.summary = f"handshake: {', '.join(m.name for m in messages) or '(part of a message)'}"
            return messages
        if inner == APPLICATION_DATA:
            seen.plaintext = content
            text = content.decode("utf-8", "replace")
            shown = text[:SHOWN_DATA].encode("unicode_escape").decode("ascii")
            seen.summary = f"application data, {len(content)} bytes: {shown}" + ("..." if len(text) > SHOWN_DATA else "")
        elif inner == ALERT:
            seen.fields += describe_alert(content).fields
            seen.summary = f"alert: {alert_name(content)}"
        else:
            seen.summary = f"{name(CONTENT_TYPES, inner, 2)}, {len(content)} bytes"
        return []

    def _keys(self, d: _Direction) -> DirectionKeys:
        if d.keys is None:
            suite = SUITES.get(self.suite)
            if suite is None:
                raise DecryptError(f"cipher suite 0x{self.suite:04x} is not one this view knows")
            d.keys = DirectionKeys(suite, self._secret(d))
        return d.keys

    def _secret(self, d: _Direction) -> bytes:
        label = d.secrets[d.epoch]
        secret = parse_key_log(self._key_log()).get(label)
        if secret is None:
            raise DecryptError(f"the key log has no {label} yet")
        return secret
