"""The POP3 client's AUTH (RFC 5034 4) against the server machine, with each SASL mechanism."""

from __future__ import annotations

import pytest

from simulator.protocols import sasl
from simulator.protocols.pop3 import states as S
from simulator.protocols.pop3.client import Capa, Download, Login, Pop3Client, Quit, Stls


class Rng:
    def randint(self, a: int, b: int) -> int:
        return 4242

    def hex(self, n: int) -> str:
        return "7F" * (n // 2)


CONTEXT = sasl.ServerContext(hostname="mx.example.net", rng=Rng(), clock=lambda: 1e9)


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-256"])
def test_rfc5034_4_each_mechanism_logs_in_and_downloads(pop3, mechanism):
    store = pop3.make_store(*pop3.MESSAGES)
    server = pop3.new_server(store, sasl_context=CONTEXT)
    client = Pop3Client([Login(pop3.BOB, "builder", mechanism, nonce="fyko+d2lbbFgONRv9qkxdawL"),
                         Download(delete=False)])
    pop3.exchange(client, server)
    assert client.results[0].ok and client.user == pop3.BOB and client.error == ""
    assert len(client.messages) == 2 and client.state == S.C_CLOSED


def test_rfc5034_4_the_initial_response_goes_with_auth_and_cram_md5_waits(pop3):
    client = Pop3Client()
    client.receive_data(b"+OK ready\r\n")
    client.send(Login(pop3.BOB, "builder", "PLAIN"))
    assert client.data_to_send() == b"AUTH PLAIN AGJvYkBleGFtcGxlLm5ldABidWlsZGVy\r\n"
    client = Pop3Client()
    client.receive_data(b"+OK ready\r\n")
    client.send(Login(pop3.BOB, "builder", "CRAM-MD5"))
    assert client.data_to_send() == b"AUTH CRAM-MD5\r\n"  # RFC 2195 2: the server speaks first


def test_wrong_password_fails_the_login(pop3):
    server = pop3.new_server(pop3.make_store(*pop3.MESSAGES), sasl_context=CONTEXT)
    client = Pop3Client([Login(pop3.BOB, "guess", "SCRAM-SHA-256", nonce="abc")])
    pop3.exchange(client, server)
    assert not client.results[0].ok and client.results[0].reply.resp_code == "AUTH"
    assert not client.logged_in


def test_rfc5802_9_a_plus_ok_without_the_server_signature_is_not_trusted(pop3):
    client = Pop3Client()
    client.receive_data(b"+OK impostor\r\n")
    client.send(Login(pop3.BOB, "builder", "SCRAM-SHA-256", nonce="abc"))
    client.send(Quit())
    client.data_to_send()
    client.receive_data(b"+ cj1hYmNzZXJ2ZXIscz1jMkZzZEE9PSxpPTQwOTY=\r\n")
    assert client.data_to_send().startswith(b"Yz1iaXdz")
    client.receive_data(b"+OK maildrop ready\r\n")  # no v= at all
    assert client.state == S.C_EXPECT_QUIT_REPLY and client.data_to_send() == b"QUIT\r\n"
    assert not client.results[0].ok and "without proving" in client.results[0].error and not client.logged_in


def test_a_wrong_server_signature_is_cancelled_with_star(pop3):
    client = Pop3Client()
    client.receive_data(b"+OK impostor\r\n")
    client.send(Login(pop3.BOB, "builder", "SCRAM-SHA-256", nonce="abc"))
    client.data_to_send()
    client.receive_data(b"+ cj1hYmNzZXJ2ZXIscz1jMkZzZEE9PSxpPTQwOTY=\r\n")
    client.data_to_send()
    client.receive_data(b"+ dj1BQUFB\r\n")  # v=AAAA
    assert client.data_to_send() == b"*\r\n" and "signature is wrong" in client.error


# --- STLS from the client (RFC 2595 4) -------------------------------------------------------


def test_rfc2595_4_stls_asks_for_tls_forgets_the_capabilities_and_goes_on(pop3):
    store = pop3.make_store(*pop3.MESSAGES)
    server = pop3.new_server(store, stls=True, plaintext_auth=False)
    client = Pop3Client()
    client.receive_data(server.data_to_send())
    client.send(Capa())
    pop3.exchange(client, server)
    assert "STLS" in client.capabilities and "USER" not in client.capabilities
    client.send(Stls())
    client.send(Login(pop3.BOB, "builder"))  # waits until TLS is up
    pop3.exchange(client, server)
    assert client.state == S.C_EXPECT_TLS and client.capabilities == {}
    assert [type(c).__name__ for c in client.take_controls()] == ["StartTls"]
    server.take_controls()
    server.tls_established()
    client.tls_established()
    pop3.exchange(client, server)
    assert client.tls_active and client.logged_in and client.state == S.C_TRANSACTION


def test_stls_after_login_is_refused_unsent(pop3):
    server = pop3.new_server(pop3.make_store(*pop3.MESSAGES), stls=True)
    client = Pop3Client()
    client.receive_data(server.data_to_send())
    client.send(Login(pop3.BOB, "builder"))
    pop3.exchange(client, server)
    client.send(Stls())
    assert client.results[-1].reply is None and "RFC 2595" in client.results[-1].error
