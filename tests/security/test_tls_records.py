"""Records on the wire decoded: header fields, the hellos' fields, randomised parts named (RFC 8446 4, 5.1)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from simulator.security.pki import VirtualCA
from simulator.security.tls import TlsEndpoint, client_context, server_context
from simulator.security.tls_records import (
    HandshakeSplitter,
    Message,
    RecordSplitter,
    describe,
    describe_alert,
    server_hello_facts,
)
from tests.security.tls_pair import handshake

CA = VirtualCA(seed=5, start=datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
HOST = "mx.example.net"


def _flights(version: str, alpn: tuple[str, ...] = ("smtp",)) -> list[tuple[str, bytes]]:
    client = TlsEndpoint(client_context(CA, version=version, alpn=alpn), server_side=False, server_hostname=HOST)
    server = TlsEndpoint(server_context(CA.issue(HOST), alpn=alpn), server_side=True)
    flights: list[tuple[str, bytes]] = []
    handshake(client, server, flights)
    return flights


def _first(flights: list[tuple[str, bytes]], direction: str) -> list[Message]:
    wire = b"".join(w for d, w in flights if d == direction)
    records = RecordSplitter().feed(wire)
    return HandshakeSplitter().feed(records[0].fragment)


def test_records_are_cut_from_any_split_of_the_bytes() -> None:
    wire = b"".join(w for d, w in _flights("TLSv1.3") if d == "s2c")
    whole = RecordSplitter().feed(wire)
    splitter = RecordSplitter()
    pieces = [r for i in range(0, len(wire), 7) for r in splitter.feed(wire[i:i + 7])]
    assert pieces == whole and len(whole) >= 6
    assert [r.content_type for r in whole[:3]] == ["handshake", "change_cipher_spec", "application_data"]
    assert {r.version_name for r in whole} == {"TLS 1.2"}  # RFC 8446 5.1: legacy_record_version 0x0303
    assert sum(5 + r.length for r in whole) == len(wire)


def test_the_tls13_client_hello_names_versions_suites_groups_algorithms_sni_and_alpn() -> None:
    (hello,) = _first(_flights("TLSv1.3"), "c2s")
    described = describe(hello, tls13=True)
    fields = dict(f.split(": ", 1) for f in described.fields)
    assert hello.name == "ClientHello"
    assert fields["legacy version"] == "TLS 1.2"  # RFC 8446 4.1.2: the real offer is supported_versions
    assert fields["supported versions"] == "TLS 1.3, TLS 1.2"
    assert fields["cipher suites"].startswith("TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256, ")
    assert fields["server name (SNI)"] == HOST
    assert fields["ALPN"] == "smtp"
    assert fields["key-share groups"] == "x25519"
    assert "ecdsa_secp256r1_sha256" in fields["signature algorithms"]
    assert "x25519" in fields["supported groups"]
    assert {"random", "legacy session id", "key share x25519"} <= set(described.randomised)
    assert fields["random"] == "32 bytes (randomised)"  # named and sized, never shown by value


def test_the_server_hello_says_what_was_chosen() -> None:
    (hello,) = _first(_flights("TLSv1.3"), "s2c")
    fields = dict(f.split(": ", 1) for f in describe(hello, tls13=True).fields)
    assert fields["selected version"] == "TLS 1.3" and fields["cipher suite"] == "TLS_AES_256_GCM_SHA384"
    assert fields["key-share group"] == "x25519"
    facts = server_hello_facts(hello)
    assert (facts.version, facts.cipher_suite, facts.retry) == (0x0304, 0x1302, False)


def test_tls12_sends_the_certificate_in_the_clear() -> None:
    flights = _flights("TLSv1.2")
    wire = b"".join(w for d, w in flights if d == "s2c")
    splitter = HandshakeSplitter()
    messages = [m for r in RecordSplitter().feed(wire) if r.type == 22 for m in splitter.feed(r.fragment)]
    names = [m.name for m in messages]
    assert names[:4] == ["ServerHello", "Certificate", "ServerKeyExchange", "ServerHelloDone"]
    assert server_hello_facts(messages[0]).version == 0x0303
    (cert_line,) = describe(messages[1], tls13=False).fields
    assert cert_line.startswith(f"certificate 1: subject CN={HOST},O=mailsim; issuer CN=mailsim Virtual Root CA")
    assert f"names {HOST}" in cert_line
    kx = describe(messages[2], tls13=False)
    assert kx.length_varies and "signature" in kx.randomised  # DER ECDSA: 70-72 bytes


def test_the_decoded_fields_are_the_same_in_every_run() -> None:
    def fields() -> list[tuple[str, ...]]:
        flights = _flights("TLSv1.3")
        return [describe(m, tls13=True).fields for d in ("c2s", "s2c") for m in _first(flights, d)]

    assert fields() == fields()


@pytest.mark.parametrize(("fragment", "expected"), [
    (bytes([2, 45]), ("level: fatal", "description: certificate_expired")),
    (bytes([1, 0]), ("level: warning", "description: close_notify")),
])
def test_alerts_are_named(fragment: bytes, expected: tuple[str, ...]) -> None:
    assert describe_alert(fragment).fields == expected


def test_a_truncated_message_is_said_to_be_so() -> None:
    assert describe(Message(1, b"\x03\x03" + bytes(10)), tls13=True).fields[-1] == "(truncated or malformed)"
