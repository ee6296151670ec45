"""TLS 1.2 AEAD records decrypted from the key log's master secret (RFC 5246 6.3, RFC 5288, RFC 7905).

``SSLContext._msg_callback`` (private; a test oracle only) says which handshake
messages OpenSSL exchanged; the records decrypted must carry the same ones,
and the application data exactly what the endpoints sent.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from simulator.security.memfile import MemoryFile
from simulator.security.pki import VirtualCA
from simulator.security.tls import TlsEndpoint, client_context, server_context
from simulator.security.tls12_decrypt import prf
from simulator.security.tls_view import RecordView

CA = VirtualCA(seed=12, start=datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
HOST = "mail.example.org"
NAMES = {1: "ClientHello", 2: "ServerHello", 4: "NewSessionTicket", 11: "Certificate", 12: "ServerKeyExchange",
         14: "ServerHelloDone", 16: "ClientKeyExchange", 20: "Finished"}


def test_the_prf_expands_as_p_hash_does() -> None:
    """RFC 5246 5: A(1) = HMAC(secret, seed), output HMAC(secret, A(1) + seed) || ..."""
    import hmac

    secret, seed = b"s" * 16, b"label" + b"seed"
    a1 = hmac.digest(secret, seed, "sha256")
    a2 = hmac.digest(secret, a1, "sha256")
    expected = hmac.digest(secret, a1 + seed, "sha256") + hmac.digest(secret, a2 + seed, "sha256")
    assert prf(secret, b"label", b"seed", 40, "sha256") == expected[:40]


@pytest.mark.parametrize(("cipher", "suite"), [
    ("ECDHE-ECDSA-AES256-GCM-SHA384", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"),
    ("ECDHE-ECDSA-AES128-GCM-SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"),
    ("ECDHE-ECDSA-CHACHA20-POLY1305", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"),
])
def test_a_tls12_session_decrypts_to_exactly_what_was_exchanged(cipher: str, suite: str) -> None:
    log = MemoryFile("keylog-12")
    ctx = client_context(CA, version="TLSv1.2", keylog=log.path)
    ctx.set_ciphers(cipher)
    oracle: list[tuple[str, int]] = []
    ctx._msg_callback = lambda conn, way, version, ctype, mtype, data: (  # type: ignore[attr-defined]
        oracle.append(("c2s" if way == "write" else "s2c", int(mtype))) if ctype == 22 else None)
    client = TlsEndpoint(ctx, server_side=False, server_hostname=HOST)
    server = TlsEndpoint(server_context(CA.issue(HOST)), server_side=True)
    view = RecordView(log.read)
    events = []

    def cross(sender: TlsEndpoint, receiver: TlsEndpoint, direction: str) -> bytes:
        wire = sender.take_wire()
        got = receiver.receive_wire(wire)
        events.extend(view.observe("c1", direction, wire))
        return got

    client.start()
    server.start()
    for _ in range(3):
        cross(client, server, "c2s")
        cross(server, client, "s2c")
    assert client.version == "TLSv1.2"
    client.send_plain(b"EHLO a.example\r\n" * 3)
    assert cross(client, server, "c2s") == b"EHLO a.example\r\n" * 3
    server.send_plain(b"250 OK\r\n")
    assert cross(server, client, "s2c") == b"250 OK\r\n"
    log.close()
    assert f"cipher suite: {suite}" in next(e for e in events if e.handshake_types == ("ServerHello",)).fields
    for direction in ("c2s", "s2c"):
        mine = [e for e in events if e.direction == direction]
        assert [t for e in mine for t in e.handshake_types] == [NAMES[t] for d, t in oracle if d == direction]
        assert not any(e.decrypted.startswith("(not decrypted") for e in mine)
    finished = [e for e in events if e.handshake_types == ("Finished",)]
    assert len(finished) == 2 and all(e.encrypted for e in finished)
    assert b"".join(e.plaintext for e in events if e.direction == "c2s") == b"EHLO a.example\r\n" * 3
    assert b"".join(e.plaintext for e in events if e.direction == "s2c") == b"250 OK\r\n"
