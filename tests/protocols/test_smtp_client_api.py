"""The client driven with send(event), wired to a server: both sides' states after every exchange."""

from __future__ import annotations

import pytest

from simulator.protocols.machine import LocalProtocolError
from simulator.protocols.smtp import states as S
from simulator.protocols.smtp.client import OutgoingMessage, Quit, SendMessage, SmtpClient
from simulator.protocols.smtp.replies import R
from simulator.protocols.smtp.server import SmtpServer, SmtpServerConfig
from simulator.trace import StateChanged


class Pair:
    """A client and a server wired together (after h11's ConnectionPair)."""

    def __init__(self, policy, **config) -> None:
        self.server = SmtpServer(SmtpServerConfig("mx.example.net", **config), policy)
        self.client = SmtpClient("client.example.org")
        self.client_events = []
        self.server.start()
        self.pump()

    def pump(self) -> None:
        while True:
            out = self.server.data_to_send()
            if out:
                self.client_events += self.client.receive_data(out)
            data = self.client.data_to_send()
            if not data:
                return
            self.server.receive_data(data)

    def send(self, event) -> tuple[str, str]:
        self.client_events += self.client.send(event)
        self.pump()
        return self.server.state, self.client.state


def message(to: str = "bob@example.net") -> OutgoingMessage:
    return OutgoingMessage("alice@example.org", [to], b"Subject: hi\r\n\r\nHello\r\n")


@pytest.fixture
def pair(smtp):
    return Pair(smtp.Policy(recipients={"nobody@example.net": R.NO_SUCH_USER.format("<nobody@example.net>")}))


def test_a_driven_client_waits_in_ready_after_ehlo(pair):
    assert (pair.server.state, pair.client.state) == (S.EXPECT_MAIL, S.C_READY)
    assert pair.client.data_to_send() == b""  # nothing asked, nothing sent


def test_messages_sent_one_at_a_time_and_the_session_ended_on_request(pair):
    assert pair.send(SendMessage(message())) == (S.EXPECT_MAIL, S.C_READY)
    assert [r.outcome for r in pair.client.results[0].recipients] == ["delivered"]
    assert pair.send(SendMessage(message("nobody@example.net"))) == (S.EXPECT_MAIL, S.C_READY)
    assert [r.outcome for r in pair.client.results[1].recipients] == ["failed"]
    assert pair.send(Quit()) == (S.CLOSED, S.C_CLOSED)
    assert pair.client.closed
    triggers = [e.trigger for e in pair.client_events if isinstance(e, StateChanged)]
    assert triggers.count(S.SEND_MESSAGE) == 2 and triggers[-2:] == [S.SEND_QUIT, "2xx"]
    for e in pair.client_events:  # every client state change is a row of its table
        assert S.CLIENT_TABLE.lookup(e.from_state, e.trigger).target == e.to_state


def test_a_message_asked_for_mid_transaction_follows_it(pair):
    pair.client.send(SendMessage(message()))
    pair.client.send(SendMessage(message()))  # queued behind the first, no reply read yet
    pair.pump()
    assert len(pair.client.results) == 2 and pair.client.state == S.C_READY
    assert all(r.outcome == "delivered" for m in pair.client.results for r in m.recipients)


def test_misuse_is_a_local_protocol_error(pair):
    pair.send(Quit())
    with pytest.raises(LocalProtocolError, match="session is over"):
        pair.client.send(SendMessage(message()))
    client = SmtpClient("client.example.org")
    client.send(Quit())
    with pytest.raises(LocalProtocolError, match="QUIT was asked"):
        client.send(SendMessage(message()))


def test_a_server_closing_while_the_client_is_idle(pair):
    pair.server.shutdown()
    pair.pump()
    assert (pair.server.state, pair.client.state) == (S.CLOSED, S.C_CLOSED)
    assert pair.client.last_reply.code == 421


def test_the_batch_form_still_quits_when_its_messages_are_done(smtp):
    server = SmtpServer(SmtpServerConfig("mx.example.net"), smtp.Policy())
    client = SmtpClient("client.example.org", [message(), message()])
    server.start()
    events = []
    for _ in range(20):
        events += client.receive_data(server.data_to_send())
        data = client.data_to_send()
        if not data:
            break
        server.receive_data(data)
    assert (server.state, client.state) == (S.CLOSED, S.C_CLOSED)
    assert S.C_READY not in {e.to_state for e in events}  # never idles: it was told everything up front
    assert len(client.results) == 2
