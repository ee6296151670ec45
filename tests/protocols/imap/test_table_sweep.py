"""A sweep over every (state, input) pair of the IMAP server table, and the client's over any response.

Each state is reached through the machine's own inputs; then each input of the
table is applied the way it arrives (a command line, a line in the SASL
exchange or in IDLE, a timer, the operator, the peer closing, the TLS layer).
The machine takes the table's row (its target, or its refused branch), or,
with no row, answers BAD (RFC 9051 7.1.3) or raises LocalProtocolError for a
host that calls it wrongly. Every state change it reports is a row.
"""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.protocols.imap import states as S
from simulator.protocols.imap.client import (
    Done,
    Fetch,
    Idle,
    ImapClient,
    Login,
    Logout,
    Noop,
    Select,
    Store,
)
from simulator.protocols.imap.server import ImapServer, ImapServerConfig
from simulator.protocols.machine import InputKind, LocalProtocolError
from simulator.trace import StateChanged

TABLE = S.SERVER_TABLE
PLAIN = base64.b64encode(b"\0bob@example.net\0builder").decode()
LINES = {
    "CAPABILITY": "CAPABILITY", "NOOP": "NOOP", "ID": "ID NIL", "LOGOUT": "LOGOUT",
    "LOGIN": "LOGIN bob@example.net builder", "AUTHENTICATE": "AUTHENTICATE PLAIN",
    "STARTTLS": "STARTTLS", "ENABLE": "ENABLE IMAP4rev2", "CREATE": "CREATE New", "DELETE": "DELETE Junk",
    "RENAME": "RENAME Drafts D2", "SUBSCRIBE": "SUBSCRIBE INBOX", "UNSUBSCRIBE": "UNSUBSCRIBE INBOX",
    "LIST": 'LIST "" *', "LSUB": 'LSUB "" *', "NAMESPACE": "NAMESPACE", "STATUS": "STATUS INBOX (MESSAGES)",
    "APPEND": "APPEND INBOX {3+}\r\nabc", "SELECT": "SELECT INBOX", "EXAMINE": "EXAMINE INBOX", "IDLE": "IDLE",
    "CLOSE": "CLOSE", "UNSELECT": "UNSELECT", "CHECK": "CHECK", "EXPUNGE": "EXPUNGE", "SEARCH": "SEARCH ALL",
    "FETCH": "FETCH 1 FLAGS", "STORE": "STORE 1 +FLAGS (\\Seen)", "COPY": "COPY 1 Trash", "MOVE": "MOVE 1 Trash",
    "UID FETCH": "UID FETCH 1 FLAGS", "UID SEARCH": "UID SEARCH ALL", "UID STORE": "UID STORE 1 -FLAGS (\\Seen)",
    "UID COPY": "UID COPY 1 Trash", "UID MOVE": "UID MOVE 1 Trash", "UID EXPUNGE": "UID EXPUNGE 1",
}
RAW = {S.SASL_RESPONSE: PLAIN, S.SASL_CANCEL: "*", S.DONE: "DONE"}  # lines that are not commands
PATHS = {
    S.NOT_AUTHENTICATED: [], S.AUTHENTICATING: ["AUTHENTICATE PLAIN"], S.AUTHENTICATED: ["LOGIN"],
    S.SELECTED: ["LOGIN", "SELECT"], S.IDLING: ["LOGIN", "SELECT", "IDLE"], S.IDLING_UNSELECTED: ["LOGIN", "IDLE"],
    S.EXPECT_TLS: ["STARTTLS"], S.LOGOUT: ["LOGOUT"],
}


def server_in(world, state: str, path: list[str] | None = None, **config) -> tuple[ImapServer, list]:
    world.deliver("one")
    server = ImapServer(ImapServerConfig(hostname="mx.example.net", starttls=True, **config), world.policy,
                        conn="c1")
    events = list(server.start())
    for n, step in enumerate(PATHS[state] if path is None else path):
        events += server.receive_data(f"p{n} {LINES.get(step, step)}\r\n".encode())
    server.data_to_send()
    assert server.state == state
    return server, events


def assert_rows(events) -> None:
    for e in events:
        if isinstance(e, StateChanged):
            assert TABLE.lookup(e.from_state, e.trigger.removesuffix(" refused")) is not None, e


def test_the_sweep_reaches_every_state():
    assert set(PATHS) == set(TABLE.states)


def test_the_sasl_verdict_is_automatic_and_follows_a_response_line():
    # AUTOMATIC inputs (the SASL verdict, RFC 9051 6.2.2) come from a response line, never from outside.
    assert set(TABLE.inputs(InputKind.AUTOMATIC)) == {S.SASL_OK, S.SASL_FAILED}
    assert {TABLE.lookup(S.AUTHENTICATING, i).target for i in TABLE.inputs(InputKind.AUTOMATIC)} == {
        S.AUTHENTICATED, S.NOT_AUTHENTICATED}


@pytest.mark.parametrize("state", list(TABLE.states))
@pytest.mark.parametrize("name", [i for i in TABLE.inputs() if TABLE.kind_of(i) is not InputKind.AUTOMATIC])
def test_every_server_state_and_input(world_factory, state, name):
    world = world_factory()
    path = None
    if name == S.MAILBOX_GONE and state in (S.SELECTED, S.IDLING):  # a mailbox another session can delete
        path = [p if p != "SELECT" else "SELECT Work" for p in PATHS[state]]
        path.insert(1, "CREATE Work")
    server, events = server_in(world, state, path, max_errors=1 if name == S.TOO_MANY_ERRORS else 20)
    kind = TABLE.kind_of(name)
    row = TABLE.lookup(state, name)
    before = server.state
    if kind == InputKind.COMMAND:
        line = RAW.get(name) or f"t {LINES[name]}"
        if state == S.EXPECT_TLS:
            with pytest.raises(LocalProtocolError):
                server.receive_data(line.encode() + b"\r\n")
            return
        events = server.receive_data(line.encode() + b"\r\n")
        out = server.data_to_send()
        if row is not None:
            follow = [TABLE.lookup(row.target, i) for i in TABLE.inputs(InputKind.AUTOMATIC)]
            ends = {row.target, row.refused or row.target, *(tr.target for tr in follow if tr is not None)}
            assert server.state in ends, (state, name, out)
        elif before in S.COMMAND_STATES:
            assert server.state == before and b" BAD " in out, (state, name, out)
        elif before == S.LOGOUT:
            assert out == b""
    elif kind == InputKind.TIMER:
        events = server.timeout()
    elif name == S.MAILBOX_GONE:
        if row is None:
            return  # only a selected mailbox can be deleted under a session
        world.store.delete_folder("bob@example.net", "Work")
        events = server.receive_data(b"t NOOP\r\n") if state == S.SELECTED else server._take_events()
    elif kind == InputKind.OPERATOR:
        events = server.shutdown()
    elif kind == InputKind.PEER:
        events = server.receive_data(b"")
    elif kind == InputKind.LIMIT:
        events = [] if state not in S.COMMAND_STATES else server.receive_data(b"t FROB\r\n")
    elif kind == InputKind.TLS:
        call = server.tls_established if name == S.TLS_UP else server.tls_failed
        if row is None:
            with pytest.raises(LocalProtocolError):
                call()
            return
        events = call()
    if row is not None and kind != InputKind.COMMAND:
        assert server.state == row.target
    assert_rows(events)


RESPONSES = [b"* OK hi\r\n", b"* PREAUTH hi\r\n", b"* BYE gone\r\n", b"a1 OK done\r\n", b"a2 NO no\r\n",
             b"a1 BAD bad\r\n", b"+ go\r\n", b"* 3 EXISTS\r\n", b"* 1 EXPUNGE\r\n", b"* 1 FETCH (UID 4 FLAGS (\\Seen))\r\n",
             b"junk\r\n", b"* 1 FETCH (BODY[] {3}\r\nabc)\r\n"]
ASKS = [Login("bob@example.net", "builder"), Select(), Fetch("1:*"), Store("1", ("\\Seen",)), Noop(), Idle(), Done(),
        Logout()]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(RESPONSES), st.sampled_from(ASKS)), max_size=25))
def test_the_client_takes_a_row_of_its_table_for_any_response_in_any_state(steps):
    client = ImapClient()
    for step in steps:
        if isinstance(step, bytes):
            events = client.receive_data(step)
        else:
            try:
                events = client.send(step)
            except LocalProtocolError:
                assert S.CLIENT_TABLE.lookup(client.state, _send_input(step)) is None
                continue
        for e in events:
            assert isinstance(e, StateChanged) and S.CLIENT_TABLE.lookup(e.from_state, e.trigger) is not None


def _send_input(ask) -> str:
    from simulator.protocols.imap.client import _SEND_INPUT

    return _SEND_INPUT[type(ask)]
