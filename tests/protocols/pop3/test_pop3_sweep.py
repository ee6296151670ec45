"""A sweep over every (state, input) pair of the POP3 server table (after the SMTP sweep).

For each state a server is driven there through its own inputs; then every
input is applied the way its kind arrives. The machine takes the table's row
(its target or refused branch, and any automatic row after it) or, with no
row, answers -ERR and stays; a host calling it wrongly gets
LocalProtocolError. It never crashes, and every state change is a row.
"""

from __future__ import annotations

import base64
import hashlib

import pytest

from simulator.protocols.machine import InputKind, LocalProtocolError
from simulator.protocols.pop3 import states as S
from simulator.trace import StateChanged

TABLE = S.SERVER_TABLE
STAMP = "<4242.1772442000@mx.example.net>"
PLAIN = base64.b64encode(b"\0bob@example.net\0builder").decode()

LINES = {
    "USER": "USER bob@example.net", "PASS": "PASS builder",
    "APOP": "APOP bob@example.net " + hashlib.md5((STAMP + "builder").encode()).hexdigest(),
    "AUTH": f"AUTH PLAIN {PLAIN}", "STLS": "STLS", "CAPA": "CAPA", "STAT": "STAT", "LIST": "LIST",
    "RETR": "RETR 1", "DELE": "DELE 1", "NOOP": "NOOP", "RSET": "RSET", "TOP": "TOP 1 0", "UIDL": "UIDL",
    "QUIT": "QUIT", S.SASL_RESPONSE: PLAIN, S.SASL_CANCEL: "*",
}
PATHS = {
    S.AUTHORIZATION: [],
    S.EXPECT_PASS: ["USER bob@example.net"],
    S.EXPECT_SASL: ["AUTH PLAIN"],
    S.EXPECT_TLS: ["STLS"],
    S.TRANSACTION: ["USER bob@example.net", "PASS builder"],
    S.CLOSED: ["QUIT"],
}
# UPDATE is passed through, never rested in: its one row is automatic.
TRANSIENT = {S.UPDATE}


def test_the_sweep_covers_every_state_and_input():
    assert set(PATHS) | TRANSIENT == set(TABLE.states)
    assert set(LINES) == set(TABLE.inputs(InputKind.COMMAND))
    assert [tr.input for tr in TABLE.transitions if tr.source == S.UPDATE] == [S.UPDATED]
    assert {TABLE.kind_of(i) for i in TABLE.inputs()} == set(_APPLY) | {InputKind.AUTOMATIC}


def test_every_registered_pop3_table_is_swept():
    from simulator.protocols.registry import protocol

    assert protocol("pop3").tables == (TABLE, S.CLIENT_TABLE)  # the client: test_pop3_properties.py


def server_in(pop3, state):
    run = pop3.run_server(stls=True)
    for line in PATHS[state]:
        run.send(line)
    assert run.state == state
    return run


_APPLY = {
    InputKind.COMMAND: lambda run, name: run.send(LINES[name]),
    InputKind.TIMER: lambda run, name: run.call("timeout"),
    InputKind.OPERATOR: lambda run, name: run.call("shutdown"),
    InputKind.PEER: lambda run, name: run.feed(b""),
    InputKind.TLS: lambda run, name: run.call("tls_established" if name == S.TLS_UP else "tls_failed"),
}


@pytest.mark.parametrize("state", list(PATHS))
@pytest.mark.parametrize("name", [i for i in TABLE.inputs() if TABLE.kind_of(i) is not InputKind.AUTOMATIC])
def test_every_server_state_and_input(pop3, state, name):
    run = server_in(pop3, state)
    before_events, before_replies = len(run.events), len(run.replies)
    kind = TABLE.kind_of(name)
    row = TABLE.lookup(state, name)
    try:
        _APPLY[kind](run, name)
    except LocalProtocolError:
        # Only the host's mistakes: bytes while TLS is being set up, a TLS report nobody asked for.
        assert (state == S.EXPECT_TLS and kind is InputKind.COMMAND) or (kind is InputKind.TLS and row is None)
        return
    events = run.events[before_events:]
    for e in events:
        if isinstance(e, StateChanged):
            tr = TABLE.lookup(e.from_state, e.trigger.removesuffix(" refused"))
            assert tr is not None and e.to_state in (tr.target, tr.refused), e
    new = run.replies[before_replies:]
    if state == S.CLOSED:
        assert events == [] and new == []
    elif state == S.EXPECT_SASL and kind is InputKind.COMMAND:
        # Inside AUTH every line is the client's answer: it ends the exchange one way or the other.
        assert run.state in (S.AUTHORIZATION, S.TRANSACTION) and len(new) == 1
    elif row is not None:
        follow = [TABLE.lookup(row.target, i) for i in TABLE.inputs(InputKind.AUTOMATIC)]
        ends = {row.target, row.refused or row.target, *(tr.target for tr in follow if tr is not None)}
        assert run.state in ends, (state, name, run.state)
    elif kind is InputKind.COMMAND:
        assert run.state == state and [r.status for r in new] == ["-ERR"]  # the table's refusal
    else:
        raise AssertionError(f"no expectation for {(state, name)}")
