"""The IMAP client's AUTHENTICATE (RFC 9051 6.2.2) against the server machine, with each mechanism.

A client and server pair wired together (h11's ConnectionPair): the client
sends its initial response with the command where the server lists SASL-IR
(RFC 4959 3), else in answer to the first, empty challenge; it answers every
"+" challenge and ends up logged in, or cancels with "*" when the server
cannot be trusted (a SCRAM signature that does not verify, RFC 5802 9).
"""

from __future__ import annotations

import pytest

from simulator.mail.store import MailStore
from simulator.protocols import sasl
from simulator.protocols.imap import states as S
from simulator.protocols.imap.client import (
    Authenticate,
    Capability,
    ImapClient,
    Login,
    Logout,
    StartTls,
)
from simulator.protocols.imap.server import ImapServer, ImapServerConfig
from simulator.protocols.machine import LocalProtocolError
from simulator.trace import CommandReceived

BOB, PASSWORD = "bob@example.net", "builder"


class Host:
    def __init__(self) -> None:
        self.store = MailStore("mx.example.net")
        self.store.add_user(BOB)

    def check_password(self, user: str, password: str) -> bool:
        return user.lower() == BOB and password == PASSWORD

    def shared_secret(self, user: str) -> str | None:
        return PASSWORD if user.lower() == BOB else None

    def now(self) -> float:
        return 0.0

    def fault(self, stage: str):
        return None


class Rng:
    def randint(self, a: int, b: int) -> int:
        return 4242

    def hex(self, n: int) -> str:
        return "5E" * (n // 2)


def pair(**config) -> tuple[ImapClient, ImapServer]:
    config.setdefault("sasl_context", sasl.ServerContext(hostname="mx.example.net", rng=Rng(), clock=lambda: 1e9))
    server = ImapServer(ImapServerConfig(hostname="mx.example.net", **config), Host(), conn="c1")
    server.start()
    client = ImapClient()
    talk(client, server)
    return client, server


def talk(client: ImapClient, server: ImapServer, server_events: list | None = None) -> None:
    for _ in range(50):
        data = server.data_to_send()
        if data:
            client.receive_data(data)
        out = client.data_to_send()
        if not out:
            return
        events = server.receive_data(out)
        if server_events is not None:
            server_events += events
    raise AssertionError("the pair did not settle")


MECHANISMS = ["PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-256"]


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_rfc9051_6_2_2_each_mechanism_logs_in(mechanism):
    client, server = pair()
    seen: list = []
    client.send(Authenticate(BOB, PASSWORD, mechanism, nonce="rOprNGfwEbeRWgbNEkqO"))
    talk(client, server, seen)
    assert client.state == S.C_AUTHENTICATED and server.state == S.AUTHENTICATED and client.last.ok
    assert client.error == ""
    first = next(e for e in seen if isinstance(e, CommandReceived))
    assert first.verb == "AUTHENTICATE" and mechanism in first.argument


def test_rfc4959_3_the_initial_response_goes_with_the_command_only_where_sasl_ir_is_listed():
    client, server = pair()
    assert "SASL-IR" in client.capabilities
    client.send(Authenticate(BOB, PASSWORD, "PLAIN"))
    assert client.data_to_send() == b"a1 AUTHENTICATE PLAIN AGJvYkBleGFtcGxlLm5ldABidWlsZGVy\r\n"
    client, server = pair()
    client.capabilities.discard("SASL-IR")  # a server without RFC 4959
    client.send(Authenticate(BOB, PASSWORD, "PLAIN"))
    assert client.data_to_send() == b"a1 AUTHENTICATE PLAIN\r\n"
    client.receive_data(b"+ \r\n")  # RFC 4616 2: the empty challenge asks for the message
    assert client.data_to_send() == b"AGJvYkBleGFtcGxlLm5ldABidWlsZGVy\r\n"


def test_a_wrong_password_leaves_the_client_not_authenticated():
    client, server = pair()
    client.send(Authenticate(BOB, "guess", "CRAM-MD5"))
    talk(client, server)
    assert client.state == S.C_NOT_AUTHENTICATED and client.last.status == "NO"
    assert "[AUTHENTICATIONFAILED]" in client.last.response.text


def test_rfc5802_9_a_wrong_server_signature_is_cancelled_with_star():
    client = ImapClient()
    client.receive_data(b"* OK [CAPABILITY IMAP4rev2 SASL-IR AUTH=SCRAM-SHA-256] impostor\r\n")
    client.send(Authenticate(BOB, PASSWORD, "SCRAM-SHA-256", nonce="abc"))
    client.data_to_send()
    client.receive_data(b"+ cj1hYmNzZXJ2ZXIscz1jMkZzZEE9PSxpPTQwOTY=\r\n")  # r=abcserver,s=salt,i=4096
    assert client.data_to_send().startswith(b"Yz1iaXdz")  # c=biws,...: the client-final message
    client.receive_data(b"+ dj1BQUFB\r\n")  # v=AAAA: not the ServerSignature
    assert client.data_to_send() == b"*\r\n"
    assert "signature is wrong" in client.error
    client.receive_data(b"a1 BAD AUTHENTICATE cancelled\r\n")
    assert client.state == S.C_NOT_AUTHENTICATED


def test_rfc5802_9_an_ok_without_the_server_signature_is_not_trusted():
    client = ImapClient()
    client.receive_data(b"* OK [CAPABILITY IMAP4rev2 SASL-IR AUTH=SCRAM-SHA-256] impostor\r\n")
    client.send(Authenticate(BOB, PASSWORD, "SCRAM-SHA-256", nonce="abc"))
    client.data_to_send()
    client.receive_data(b"+ cj1hYmNzZXJ2ZXIscz1jMkZzZEE9PSxpPTQwOTY=\r\n")
    client.data_to_send()
    client.receive_data(b"a1 OK logged in\r\n")  # no v= at all
    assert client.state == S.C_EXPECT_LOGOUT and client.data_to_send() == b"a2 LOGOUT\r\n"
    assert "without proving" in client.error


def test_login_still_works_and_authenticate_is_refused_when_logged_in():
    client, server = pair()
    client.send(Login(BOB, PASSWORD))
    talk(client, server)
    assert client.state == S.C_AUTHENTICATED
    with pytest.raises(LocalProtocolError):
        client.send(Authenticate(BOB, PASSWORD))
    client.send(Logout())
    talk(client, server)
    assert client.closed


def test_authenticate_checks_its_arguments():
    with pytest.raises(ValueError, match="unknown SASL mechanism"):
        Authenticate(BOB, PASSWORD, "GSSAPI")
    with pytest.raises(ValueError, match="nonce"):
        Authenticate(BOB, PASSWORD, "SCRAM-SHA-256")


# --- STARTTLS from the client (RFC 9051 6.2.1) ----------------------------------------------


def test_rfc9051_6_2_1_starttls_asks_the_connection_for_tls_then_forgets_the_capabilities():
    client, server = pair(starttls=True, plaintext_auth=False)
    assert "LOGINDISABLED" in client.capabilities
    client.send(StartTls())
    talk(client, server)
    assert client.state == S.C_EXPECT_TLS and client.capabilities == set()
    assert [type(c).__name__ for c in client.take_controls()] == ["StartTls"]
    server.take_controls()
    server.tls_established()
    client.tls_established()
    assert client.state == S.C_NOT_AUTHENTICATED and client.tls_active
    client.send(Capability())
    talk(client, server)
    assert "AUTH=PLAIN" in client.capabilities and "LOGINDISABLED" not in client.capabilities
    client.send(Login(BOB, PASSWORD))
    talk(client, server)
    assert client.state == S.C_AUTHENTICATED


def test_a_refused_starttls_leaves_the_client_not_authenticated_and_a_failed_handshake_ends_it():
    client, server = pair()  # no STARTTLS on this connection: BAD
    client.send(StartTls())
    talk(client, server)
    assert client.state == S.C_NOT_AUTHENTICATED and client.last.status == "BAD"
    client, server = pair(starttls=True)
    client.send(StartTls())
    talk(client, server)
    client.tls_failed("certificate has expired")
    assert client.closed and client.error == "TLS handshake failed: certificate has expired"
