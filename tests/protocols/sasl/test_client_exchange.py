"""ClientExchange: the client side of one SASL exchange, shared by the SMTP, IMAP and POP3 clients."""

from __future__ import annotations

import base64

from simulator.protocols import sasl
from simulator.protocols.sasl.scram import ScramClient


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def test_initial_response_sent_with_the_command() -> None:
    exchange = sasl.ClientExchange(sasl.client_mechanism("PLAIN", "bob", "s3cret"))
    line = exchange.command("AUTH PLAIN")
    assert line == "AUTH PLAIN " + b64(b"\0bob\0s3cret")
    assert not exchange.initial_pending
    assert exchange.failure is None


class Recording:
    """A mechanism with an initial response that notes each challenge it is asked to answer."""

    name = "X-RECORD"
    server_verified = True

    def __init__(self) -> None:
        self.challenges: list[bytes] = []

    def initial_response(self) -> bytes | None:
        return b"first"

    def respond(self, challenge: bytes) -> bytes:
        self.challenges.append(challenge)
        return b"reply to " + challenge


def test_after_an_initial_response_sent_a_challenge_goes_to_the_mechanism() -> None:
    mechanism = Recording()
    exchange = sasl.ClientExchange(mechanism)
    assert exchange.command("AUTH X-RECORD") == "AUTH X-RECORD " + b64(b"first")
    assert exchange.answer(b64(b"more?")) == b64(b"reply to more?")
    assert mechanism.challenges == [b"more?"]


def test_an_initial_response_held_back_is_not_the_mechanism_s_answer() -> None:
    mechanism = Recording()
    exchange = sasl.ClientExchange(mechanism)
    assert exchange.command("AUTH X-RECORD", inline=False) == "AUTH X-RECORD"
    assert exchange.answer("") == b64(b"first")  # the empty challenge: the held-back initial response
    assert mechanism.challenges == []
    assert exchange.answer(b64(b"more?")) == b64(b"reply to more?")  # then the mechanism answers
    assert mechanism.challenges == [b"more?"]


def test_initial_response_held_back_waits_for_the_first_challenge() -> None:
    exchange = sasl.ClientExchange(sasl.client_mechanism("PLAIN", "bob", "s3cret"))
    assert exchange.command("a1 AUTHENTICATE PLAIN", inline=False) == "a1 AUTHENTICATE PLAIN"
    assert exchange.initial_pending
    assert exchange.answer("") == b64(b"\0bob\0s3cret")  # RFC 4422 3.3: the empty challenge asks for it
    assert not exchange.initial_pending


def test_a_line_too_long_leaves_the_initial_response_off() -> None:
    exchange = sasl.ClientExchange(sasl.client_mechanism("PLAIN", "bob", "x" * 300))
    assert exchange.command("AUTH PLAIN", limit=255) == "AUTH PLAIN"
    assert exchange.initial_pending
    fits = sasl.ClientExchange(sasl.client_mechanism("PLAIN", "bob", "s3cret"))
    assert fits.command("AUTH PLAIN", limit=255).startswith("AUTH PLAIN ")


def test_an_empty_initial_response_is_an_equals_sign() -> None:
    class Empty:
        name = "EXTERNAL"
        server_verified = True

        def initial_response(self) -> bytes | None:
            return b""

        def respond(self, challenge: bytes) -> bytes:
            return b""

    assert sasl.ClientExchange(Empty()).command("AUTH EXTERNAL") == "AUTH EXTERNAL ="


def test_no_initial_response_answers_each_challenge_through_the_mechanism() -> None:
    exchange = sasl.ClientExchange(sasl.client_mechanism("LOGIN", "bob", "s3cret"))
    assert exchange.command("AUTH LOGIN") == "AUTH LOGIN"
    assert not exchange.initial_pending
    assert exchange.answer(b64(b"Username:")) == b64(b"bob")
    assert exchange.answer(b64(b"Password:")) == b64(b"s3cret")
    assert exchange.name == "LOGIN" and exchange.server_verified


def test_a_challenge_that_is_not_base64_is_cancelled() -> None:
    exchange = sasl.ClientExchange(sasl.client_mechanism("LOGIN", "bob", "s3cret"))
    exchange.command("AUTH LOGIN")
    assert exchange.answer("not base64!") == sasl.CANCEL
    assert isinstance(exchange.failure, sasl.MalformedResponse)


def test_a_server_the_mechanism_distrusts_is_cancelled() -> None:
    exchange = sasl.ClientExchange(ScramClient("bob", "s3cret", "fyko+d2lbbFgONRv9qkxdawL"))
    exchange.command("AUTH SCRAM-SHA-256")
    assert not exchange.server_verified
    # A server-first message whose nonce does not extend the client's: RFC 5802 5.1, the client aborts.
    bogus = b64(b"r=someone-else,s=QSXCR+Q6sek8bf92,i=4096")
    assert exchange.answer(bogus) == sasl.CANCEL
    assert isinstance(exchange.failure, sasl.SaslFailure)
    assert not exchange.server_verified
