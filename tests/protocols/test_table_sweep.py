"""A sweep over every (state, input) pair of each registered table.

For each state, a machine is driven there through its public API; then every
input of the table, of each kind, is applied the way that kind arrives (a
command line, the final dot, a timer, the peer closing, the TLS layer). The
machine either takes the table's row (its target, or its refused branch) or,
with no row, refuses the way the table says (503 for a command out of
sequence, LocalProtocolError for a host that calls it wrongly). It never
crashes otherwise, and every state change it reports is a row of its table.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.protocols.machine import InputKind, LocalProtocolError
from simulator.protocols.registry import machine_tables
from simulator.protocols.smtp import states as S
from simulator.protocols.smtp.client import OutgoingMessage, SmtpClient
from simulator.protocols.smtp.replies import R
from simulator.protocols.smtp.server import SmtpServer, SmtpServerConfig
from simulator.trace import StateChanged

SERVER = S.SERVER_TABLE
CLIENT = S.CLIENT_TABLE
EXTENSIONS = (*SmtpServerConfig("x").extensions, "STARTTLS", "AUTH")
AUTH = {"auth_mechanisms": ("PLAIN", "LOGIN"), "plaintext_auth": True}

# The commands, each with an argument it accepts in the state it belongs to.
LINES = {
    "EHLO": b"EHLO client.example.org", "HELO": b"HELO client.example.org",
    "MAIL": b"MAIL FROM:<alice@example.org>", "RCPT": b"RCPT TO:<bob@example.net>", "DATA": b"DATA",
    "RSET": b"RSET", "NOOP": b"NOOP", "VRFY": b"VRFY bob", "HELP": b"HELP", "QUIT": b"QUIT",
    "STARTTLS": b"STARTTLS", "AUTH": b"AUTH LOGIN",
    S.SASL_RESPONSE: b"YWxpY2U=", S.SASL_CANCEL: b"*",  # inside AUTH (RFC 4954 4): "alice", and cancel
}
SASL_LINES = {S.SASL_RESPONSE, S.SASL_CANCEL}
# How to bring a fresh server into each state, through its own inputs.
PATHS = {
    S.EXPECT_EHLO: [],
    S.EXPECT_MAIL: ["EHLO"],
    S.EXPECT_RCPT: ["EHLO", "MAIL"],
    S.EXPECT_RCPT_OR_DATA: ["EHLO", "MAIL", "RCPT"],
    S.IN_DATA: ["EHLO", "MAIL", "RCPT", "DATA"],
    S.EXPECT_TLS: ["EHLO", "STARTTLS"],
    S.EXPECT_SASL_RESPONSE: ["EHLO", "AUTH"],
    S.CLOSED: ["EHLO", "QUIT"],
}


class Users:
    def check_password(self, user, password):
        return False

    def shared_secret(self, user):
        return None


class Policy:
    def check_sender(self, session, reverse_path):
        return None

    def check_recipient(self, session, envelope, forward_path):
        return None

    def accept_message(self, session, envelope):
        return R.QUEUED.format("Q1")

    def verify(self, session, argument):
        return R.VRFY


def test_the_sweep_covers_every_state_and_every_input_kind_of_the_server():
    assert set(PATHS) == set(SERVER.states)
    assert set(LINES) == set(SERVER.inputs(InputKind.COMMAND))
    # AUTOMATIC inputs (the SASL verdict) follow from a response line, never from outside.
    assert {SERVER.kind_of(i) for i in SERVER.inputs()} == set(_APPLY) | {InputKind.AUTOMATIC}


def server_in(state: str, **config) -> tuple[SmtpServer, list]:
    server = SmtpServer(SmtpServerConfig("mx.example.net", extensions=EXTENSIONS, **AUTH, **config), Policy(),
                        auth=Users())
    events = server.start()
    for verb in PATHS[state]:
        events += server.receive_data(LINES[verb] + b"\r\n")
    server.data_to_send()
    assert server.state == state
    return server, events


def _command(server, name):
    return server.receive_data(LINES[name] + b"\r\n")


_APPLY = {
    InputKind.COMMAND: _command,
    InputKind.DATA_END: lambda server, name: server.receive_data(b".\r\n"),
    InputKind.TIMER: lambda server, name: server.timeout(),
    InputKind.OPERATOR: lambda server, name: server.shutdown(),
    InputKind.PEER: lambda server, name: server.receive_data(b""),
    InputKind.TLS: lambda server, name: (server.tls_established() if name == S.TLS_UP else server.tls_failed()),
    InputKind.LIMIT: lambda server, name: server.receive_data(b"FOO\r\n" * server.config.max_errors),
}


def _assert_rows(table, events):
    for e in events:
        if isinstance(e, StateChanged):
            row = table.lookup(e.from_state, e.trigger.removesuffix(" refused"))
            assert row is not None, e
            assert e.to_state in (row.target, row.refused), e


@pytest.mark.parametrize("state", list(SERVER.states))
@pytest.mark.parametrize("name", [i for i in SERVER.inputs() if SERVER.kind_of(i) is not InputKind.AUTOMATIC])
def test_every_server_state_and_input(state, name):
    server, _ = server_in(state)
    kind = SERVER.kind_of(name)
    row = SERVER.lookup(state, name)
    try:
        events = _APPLY[kind](server, name)
    except LocalProtocolError:
        # Only the host's own mistakes: bytes while TLS is being set up, a TLS report
        # nobody asked for. Never the peer's doing.
        assert state == S.EXPECT_TLS and kind in (InputKind.COMMAND, InputKind.DATA_END, InputKind.LIMIT) \
            or kind is InputKind.TLS and row is None, (state, name)
        return
    _assert_rows(SERVER, events)
    out = server.data_to_send()
    if state == S.CLOSED:
        assert events == [] and out == b""  # a closed machine says nothing more
    elif state == S.EXPECT_SASL_RESPONSE and kind in (InputKind.COMMAND, InputKind.DATA_END):
        # Inside AUTH every line is a response (RFC 4954 4). Base64 ("alice", but also "RSET",
        # "QUIT") is LOGIN's user name, so the password is asked for (334); anything else is
        # not base64 (501) or is the cancel (501), and either ends the exchange.
        if out.startswith(b"334 "):
            assert server.state == state and name not in (S.SASL_CANCEL, S.END_OF_DATA), name
        else:
            assert out.startswith(b"501 ") and server.state == S.EXPECT_MAIL, (name, out)
    elif name in SASL_LINES and state != S.IN_DATA:
        assert out.startswith(b"500 ") and server.state == state  # outside AUTH, no command at all
    elif row is not None:
        follow = [SERVER.lookup(row.target, i) for i in SERVER.inputs(InputKind.AUTOMATIC)]
        ends = {row.target, row.refused or row.target, S.CLOSED, *(tr.target for tr in follow if tr is not None)}
        assert server.state in ends, (state, name, server.state)
        assert any(isinstance(e, StateChanged) and e.trigger == name for e in events) or \
            server.state == (row.refused or state)
    elif kind is InputKind.COMMAND and state != S.IN_DATA:
        assert out.startswith(b"503 ") and server.state == state  # the table's refusal
    elif state == S.IN_DATA:
        assert server.state == S.IN_DATA and out == b""  # message text, answered at the dot
    elif kind is InputKind.DATA_END:
        assert out.startswith(b"500 ") and server.state == state  # a lone dot is no command
    elif kind is InputKind.LIMIT:
        assert server.state == S.CLOSED and b"421 4.7.0" in out
    else:
        raise AssertionError(f"no expectation for {(state, name)}")


VOCABULARY = [*(line + b"\r\n" for line in LINES.values()), b".\r\n", b"\r\n", b"\n", b"\xff", b"x" * 600,
              b"MAIL FROM:<", b"> SIZE=1\r\n", b"..\r\n", b"EXPN x\r\n"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(set(PATHS) - {S.EXPECT_TLS})), st.lists(st.sampled_from(VOCABULARY), max_size=25))
def test_from_every_state_any_bytes_are_answered_from_the_table(state, chunks):
    server, _ = server_in(state, max_errors=1000)
    events = []
    for chunk in chunks:
        if server.state == S.EXPECT_TLS:
            events += server.tls_established()
        events += server.receive_data(chunk)
    _assert_rows(SERVER, events)
    assert server.state in SERVER.states


# --- the client -----------------------------------------------------------------------------

REPLIES = [b"220 mx ready\r\n", b"250 OK\r\n", b"250-mx\r\n250 PIPELINING\r\n", b"354 go\r\n", b"221 bye\r\n",
           b"421 4.3.2 going\r\n", b"450 4.2.1 busy\r\n", b"500 5.5.2 what\r\n", b"502 5.5.1 no\r\n",
           b"550 5.1.1 no such user\r\n", b"554 5.5.1 no\r\n", b"", b"garbage\r\n"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(REPLIES), max_size=20), st.booleans(), st.integers(1, 3))
def test_the_client_takes_a_row_of_its_table_for_any_reply_in_any_state(replies, pipelining, rcpts):
    msgs = [OutgoingMessage("a@example.org", [f"r{i}@example.net" for i in range(rcpts)], b"hi\r\n")] * 2
    client = SmtpClient("client.example.org", msgs, use_pipelining=pipelining)
    seen = {client.state}
    for reply in replies:
        events = client.receive_data(reply)
        client.data_to_send()
        _assert_rows(CLIENT, events)
        seen.add(client.state)
    assert seen <= set(CLIENT.states)
    if client.closed:
        # Every message has a verdict; none is left behind.
        assert sum(len(m.rcpt_to) for m in msgs) == sum(len(r.recipients) for r in client.results)


# Tables swept by their own protocol's sweep, next to its tests.
SWEPT_ELSEWHERE = {"imap.server": "imap/test_table_sweep.py", "imap.client": "imap/test_table_sweep.py",
                   "pop3.server": "pop3/test_pop3_sweep.py", "pop3.client": "pop3/test_pop3_sweep.py"}


def test_every_registered_table_is_swept():
    from pathlib import Path

    here = Path(__file__).parent
    assert set(machine_tables()) <= {SERVER.machine, CLIENT.machine, *SWEPT_ELSEWHERE}
    assert all((here / path).is_file() for path in SWEPT_ELSEWHERE.values())
