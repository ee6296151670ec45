"""The TLS endpoint: real OpenSSL handshakes over memory BIOs, in the connection's TLS slot."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from simulator.security.pki import CertFault, VirtualCA
from simulator.security.tls import TlsEndpoint, client_context, server_context
from tests.security.tls_pair import handshake

CA = VirtualCA(seed=3, start=datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
HOST = "mail.example.org"


def _pair(version: str = "TLSv1.3", *, server_version: str = "TLSv1.3", alpn: tuple[str, ...] = ()):
    client = TlsEndpoint(client_context(CA, version=version, alpn=alpn), server_side=False, server_hostname=HOST)
    server = TlsEndpoint(server_context(CA.issue(HOST), version=server_version, alpn=alpn), server_side=True)
    return client, server


def test_the_endpoint_has_every_member_of_the_connection_s_tls_slot() -> None:
    from simulator.net.tls import TlsEnd

    client, _ = _pair()
    members = {m for m in vars(TlsEnd) if not m.startswith("_")} | set(TlsEnd.__annotations__)
    assert members and all(hasattr(client, m) for m in members)
    assert client.name == "TLS (handshake not finished)" and not client.established


@pytest.mark.parametrize(("client_max", "server_max", "expected"), [
    ("TLSv1.3", "TLSv1.3", "TLSv1.3"), ("TLSv1.2", "TLSv1.3", "TLSv1.2"), ("TLSv1.3", "TLSv1.2", "TLSv1.2")])
def test_tls13_by_default_and_tls12_when_either_side_caps_it(client_max: str, server_max: str, expected: str) -> None:
    client, server = _pair(client_max, server_version=server_max)
    flights: list[tuple[str, bytes]] = []
    handshake(client, server, flights)
    assert client.version == server.version == expected
    assert client.name.startswith(f"{expected}, ")
    # The first flight is a ClientHello in a handshake record (RFC 8446 5.1: type 22).
    assert flights[0][0] == "c2s" and flights[0][1][0] == 22 and flights[0][1][5] == 1


@pytest.mark.parametrize("version", ["TLSv1.3", "TLSv1.2"])
def test_plaintext_crosses_as_ciphertext_both_ways(version: str) -> None:
    client, server = _pair(version)
    handshake(client, server)
    client.send_plain(b"EHLO alice-laptop.example.org\r\n")
    wire = client.take_wire()
    assert b"EHLO" not in wire and wire[0] == 23  # application_data
    assert server.receive_wire(wire) == b"EHLO alice-laptop.example.org\r\n"
    server.send_plain(b"250 mail.example.org\r\n")
    assert client.receive_wire(server.take_wire()) == b"250 mail.example.org\r\n"
    big = bytes(range(256)) * 200  # more than one record (RFC 8446 5.1: 2^14 bytes each)
    client.send_plain(big)
    assert server.receive_wire(client.take_wire()) == big


def test_alpn_is_negotiated_when_both_offer_it() -> None:
    client, server = _pair(alpn=("smtp",))
    handshake(client, server)
    assert client.ssl_object.selected_alpn_protocol() == "smtp"


def test_application_data_before_the_handshake_is_a_bug_of_ours() -> None:
    client, _ = _pair()
    client.start()
    with pytest.raises(RuntimeError, match="before the handshake"):
        client.send_plain(b"x")


def test_a_failed_handshake_raises_nothing_and_leaves_the_alert_for_the_wire() -> None:
    client = TlsEndpoint(client_context(CA), server_side=False, server_hostname=HOST)
    server = TlsEndpoint(server_context(CA.issue(HOST, fault=CertFault.EXPIRED)), server_side=True)
    client.start()
    server.receive_wire(client.take_wire())
    client.receive_wire(server.take_wire())
    assert client.failure == "certificate has expired" and not client.established
    alert = client.take_wire()
    assert alert[0] == 21 and len(alert) == 7  # one plaintext alert record (RFC 8446 6)
    assert server.receive_wire(alert) == b""
    assert server.failure == "the peer sent the alert certificate_expired"
    assert client.receive_wire(b"more") == b""  # a failed end takes no more


@pytest.mark.parametrize("version", ["TLSv1.3", "TLSv1.2"])
def test_close_sends_close_notify_and_the_peer_answers_with_its_own(version: str) -> None:
    client, server = _pair(version)
    handshake(client, server)
    server.close()
    goodbye = server.take_wire()
    assert goodbye and goodbye[0] == (23 if version == "TLSv1.3" else 21)  # an encrypted alert (RFC 8446 6.1)
    assert client.receive_wire(goodbye) == b""
    answer = client.take_wire()
    assert answer and server.receive_wire(answer) == b""
    server.close()  # once only
    assert server.take_wire() == b"" and not server.failure and not client.failure
