"""TLS 1.3 decryption from the key log (RFC 8446 7): every record opens to what the endpoints exchanged.

``SSLContext._msg_callback`` (a private hook of the ssl module) is the test
oracle: it reports each handshake message OpenSSL wrote or read, in the
clear, so the messages decrypted here must be the very same bytes.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives import hashes

from simulator.security.memfile import MemoryFile
from simulator.security.pki import CertFault, VirtualCA
from simulator.security.tls import TlsEndpoint, client_context, server_context
from simulator.security.tls13_decrypt import (
    CLIENT_SECRETS,
    SERVER_SECRETS,
    SUITES,
    DecryptError,
    DirectionKeys,
    hkdf_expand_label,
    parse_key_log,
)
from simulator.security.tls_records import (
    HandshakeSplitter,
    Record,
    RecordSplitter,
    server_hello_facts,
)
from simulator.security.tls_session import TlsSession
from simulator.security.tls_view import RecordView
from tests.security.tls_pair import handshake

CA = VirtualCA(seed=11, start=datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
HOST = "mx.example.net"
HANDSHAKE = 22


def test_hkdf_expand_label_matches_rfc8448_simple_1rtt() -> None:
    """RFC 8448 3: the server handshake traffic secret gives this write key and iv."""
    secret = bytes.fromhex("b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38")
    assert hkdf_expand_label(secret, "key", b"", 16, hashes.SHA256) == bytes.fromhex(
        "3fce516009c21727d0f2e4e86ee403bc")
    assert hkdf_expand_label(secret, "iv", b"", 12, hashes.SHA256) == bytes.fromhex("5d313eb2671276ee13000b30")


def _session() -> tuple[TlsEndpoint, TlsEndpoint, MemoryFile, list[tuple[str, int, bytes]]]:
    log = MemoryFile("keylog-test")
    ctx = client_context(CA, keylog=log.path)
    oracle: list[tuple[str, int, bytes]] = []

    def seen(conn: object, direction: str, version: object, content_type: int, msg_type: int, data: bytes) -> None:
        if content_type == HANDSHAKE:
            oracle.append(("c2s" if direction == "write" else "s2c", int(msg_type), bytes(data)))

    ctx._msg_callback = seen  # type: ignore[attr-defined]
    server_ctx = server_context(CA.issue(HOST))
    client = TlsEndpoint(ctx, server_side=False, server_hostname=HOST)
    server = TlsEndpoint(server_ctx, server_side=True)
    return client, server, log, oracle


def test_every_handshake_message_decrypts_to_the_bytes_openssl_reports() -> None:
    client, server, log, oracle = _session()
    flights: list[tuple[str, bytes]] = []
    handshake(client, server, flights)
    secrets = parse_key_log(log.read())
    log.close()
    assert set(CLIENT_SECRETS + SERVER_SECRETS) <= set(secrets)
    records = {d: RecordSplitter().feed(b"".join(w for fd, w in flights if fd == d)) for d in ("c2s", "s2c")}
    hello = HandshakeSplitter().feed(records["s2c"][0].fragment)[0]
    suite = SUITES[server_hello_facts(hello).cipher_suite]
    got: list[tuple[str, int, bytes]] = []
    for direction, labels in (("c2s", CLIENT_SECRETS), ("s2c", SERVER_SECRETS)):
        keys, epoch, splitter = DirectionKeys(suite, secrets[labels[0]]), 0, HandshakeSplitter()
        for record in records[direction]:
            if record.type == HANDSHAKE:
                got += [(direction, m.type, bytes([m.type]) + len(m.body).to_bytes(3) + m.body)
                        for m in HandshakeSplitter().feed(record.fragment)]
            elif record.type == 23:
                inner, content = keys.open(record)
                assert inner == HANDSHAKE
                for m in splitter.feed(content):
                    got.append((direction, m.type, bytes([m.type]) + len(m.body).to_bytes(3) + m.body))
                    if m.type == 20 and epoch == 0:
                        epoch = 1
                        keys.rekey(secrets[labels[1]])
    order = {"c2s": [o for o in oracle if o[0] == "c2s"], "s2c": [o for o in oracle if o[0] == "s2c"]}
    assert [g for g in got if g[0] == "c2s"] == order["c2s"]
    assert [g for g in got if g[0] == "s2c"] == order["s2c"]
    assert [t for _, t, _ in order["s2c"]] == [2, 8, 11, 15, 20, 4, 4]  # SH EE Cert CV Fin NST NST


@pytest.mark.parametrize("chunk", [1 << 20, 5])
def test_a_session_s_records_decrypted_give_exactly_the_plaintext_exchanged(chunk: int) -> None:
    client, server, log, oracle = _session()
    view = RecordView(log.read)
    events = []

    def cross(sender: TlsEndpoint, receiver: TlsEndpoint, direction: str) -> bytes:
        wire, out = sender.take_wire(), b""
        for i in range(0, len(wire), chunk):  # the record view reassembles records split anywhere
            out += receiver.receive_wire(wire[i:i + chunk])
            events.extend(view.observe("c1", direction, wire[i:i + chunk]))
        return out

    client.start()
    server.start()
    for _ in range(4):
        cross(client, server, "c2s")
        cross(server, client, "s2c")
    sent = {"c2s": b"", "s2c": b""}
    received = {"c2s": b"", "s2c": b""}
    for n in range(5):
        line = f"A{n} NOOP {'x' * (n * 3000)}\r\n".encode()
        client.send_plain(line)
        sent["c2s"] += line
        received["c2s"] += cross(client, server, "c2s")
        reply = f"A{n} OK done\r\n".encode()
        server.send_plain(reply)
        sent["s2c"] += reply
        received["s2c"] += cross(server, client, "s2c")
    log.close()
    assert received == sent
    for direction in ("c2s", "s2c"):
        mine = [e for e in events if e.direction == direction]
        assert b"".join(e.plaintext for e in mine) == sent[direction]
        assert all(e.encrypted for e in mine if e.content_type == "application_data")
        assert not any(e.decrypted.startswith("(not decrypted") for e in mine)
        types = [t for e in mine for t in e.handshake_types]
        assert types == [_NAMES[t] for d, t, _ in oracle if d == direction]
    s2c = [e for e in events if e.direction == "s2c" and e.encrypted]
    assert [e.inner_type for e in s2c[:4]] == ["handshake"] * 4
    assert s2c[1].handshake_types == ("Certificate",) and any(f"subject CN={HOST}" in f for f in s2c[1].fields)
    assert s2c[2].handshake_types == ("CertificateVerify",) and s2c[2].length_varies


_NAMES = {1: "ClientHello", 2: "ServerHello", 4: "NewSessionTicket", 8: "EncryptedExtensions", 11: "Certificate",
          15: "CertificateVerify", 20: "Finished"}


@pytest.mark.parametrize("code", sorted(SUITES))
def test_each_tls13_cipher_suite_opens_records_sealed_as_rfc8446_5_says(code: int) -> None:
    """OpenSSL picks TLS_AES_256_GCM_SHA384 here (the ssl module cannot narrow the TLS 1.3 suites),
    so the others are sealed by hand: nonce = iv XOR seq (5.3), header as AAD (5.2), type and padding (5.4)."""
    suite = SUITES[code]
    secret = bytes(range(suite.hash.digest_size))
    key = hkdf_expand_label(secret, "key", b"", suite.key_length, suite.hash)
    iv = hkdf_expand_label(secret, "iv", b"", 12, suite.hash)
    keys = DirectionKeys(suite, secret)
    for seq, (content, padding) in enumerate([(b"EHLO a\r\n", 0), (b"QUIT\r\n", 7)]):
        inner = content + bytes([23]) + bytes(padding)
        nonce = bytes(a ^ b for a, b in zip(iv, seq.to_bytes(12), strict=True))
        header = bytes([23, 3, 3]) + (len(inner) + 16).to_bytes(2)
        sealed = suite.aead(key).encrypt(nonce, inner, header)
        assert keys.open(Record(23, 0x0303, sealed)) == (23, content)
    with pytest.raises(DecryptError):  # replayed: the sequence number has moved on
        keys.open(Record(23, 0x0303, sealed))


def test_a_failed_handshake_still_shows_the_certificate_that_was_refused() -> None:
    session = TlsSession(CA, HOST, fault=CertFault.WRONG_NAME)
    client, server = session.client, session.server
    client.start()
    events = []
    for _ in range(3):
        out = client.take_wire()
        server.receive_wire(out)
        events += session.observe("c1", "c2s", out)
        back = server.take_wire()
        client.receive_wire(back)
        events += session.observe("c1", "s2c", back)
    assert client.failure.startswith("Hostname mismatch")
    cert = next(e for e in events if e.handshake_types == ("Certificate",))
    assert cert.encrypted and any("names wrong-host.invalid" in f for f in cert.fields)
    alert = events[-1]
    assert (alert.direction, alert.content_type, alert.decrypted) == ("c2s", "alert", "bad_certificate")
    assert session._log is None  # the key log is closed once the handshake is over
