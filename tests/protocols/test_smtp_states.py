"""The SMTP state tables: well formed, and every effect they name exists in its machine."""

from __future__ import annotations

import pytest

from simulator.protocols.machine import TABLES, InputKind, StateInfo, StateTable, Transition
from simulator.protocols.smtp import states as S
from simulator.protocols.smtp.client import SmtpClient
from simulator.protocols.smtp.extensions import EXTENSION_COMMANDS
from simulator.protocols.smtp.server import SmtpServer, SmtpServerConfig

TABLES_UNDER_TEST = [S.SERVER_TABLE, S.CLIENT_TABLE]


def test_tables_are_registered():
    assert TABLES["smtp.server"] is S.SERVER_TABLE
    assert TABLES["smtp.client"] is S.CLIENT_TABLE


@pytest.mark.parametrize("table", TABLES_UNDER_TEST, ids=lambda t: t.machine)
def test_every_state_is_reachable_from_the_initial_state(table):
    seen, todo = {table.initial}, [table.initial]
    while todo:
        state = todo.pop()
        for tr in table.transitions:
            if tr.source == state and tr.target not in seen:
                seen.add(tr.target)
                todo.append(tr.target)
    assert seen == set(table.states)


@pytest.mark.parametrize("table", TABLES_UNDER_TEST, ids=lambda t: t.machine)
def test_closed_is_final_and_every_state_can_reach_it(table):
    finals = {"CLOSED", table.error} - {""}  # the error state is final too
    for final in finals:
        assert table.inputs_in(final) == []
    reaches = set(finals)
    changed = True
    while changed:
        changed = False
        for tr in table.transitions:
            if tr.target in reaches and tr.source not in reaches:
                reaches.add(tr.source)
                changed = True
    assert reaches == set(table.states)


@pytest.mark.parametrize("table", TABLES_UNDER_TEST, ids=lambda t: t.machine)
def test_every_row_cites_an_rfc(table):
    for tr in table.transitions:
        assert tr.rfc.startswith("RFC "), tr
    for info in table.states.values():
        assert info.doc and info.rfc.startswith("RFC "), info


def test_server_verbs():
    assert S.KNOWN_VERBS == {"EHLO", "HELO", "MAIL", "RCPT", "DATA", "RSET", "NOOP", "VRFY", "HELP", "QUIT",
                             "STARTTLS", "AUTH"}
    assert EXTENSION_COMMANDS == {"STARTTLS": "STARTTLS", "AUTH": "AUTH"}  # known, but only when offered
    assert not S.KNOWN_VERBS & S.NOT_IMPLEMENTED_VERBS
    assert {"EXPN", "TURN"} <= S.NOT_IMPLEMENTED_VERBS


def test_every_server_effect_has_a_handler_and_every_handler_a_row():
    server = SmtpServer(SmtpServerConfig("mx.example.net"), policy=None)
    assert {tr.effect for tr in S.SERVER_TABLE.transitions} == set(server._handlers)
    for tr in S.SERVER_TABLE.transitions:
        assert callable(server._handlers[tr.effect]), tr
        if S.SERVER_TABLE.kind_of(tr.input) is not InputKind.COMMAND:
            assert tr.input not in S.KNOWN_VERBS, tr


def test_every_open_server_state_can_time_out_shut_down_and_lose_its_peer():
    for state in [*S._OPEN, S.IN_DATA]:
        for trigger in (S.TIMEOUT, S.SHUTDOWN, S.PEER_CLOSED):
            assert S.SERVER_TABLE.lookup(state, trigger).target == S.CLOSED


def test_server_commands_only_from_open_states_not_in_data():
    for verb in S.KNOWN_VERBS:
        assert S.SERVER_TABLE.lookup(S.IN_DATA, verb) is None
        assert S.SERVER_TABLE.lookup(S.CLOSED, verb) is None


def test_every_client_effect_has_a_handler_and_every_handler_a_row():
    effects = SmtpClient("client.example.org")._effects
    named = {effect for tr in S.CLIENT_TABLE.transitions for effect in tr.effect.split("+")}
    assert named == set(effects) and all(callable(f) for f in effects.values())


def test_every_open_client_state_handles_a_lost_connection_and_a_broken_reply():
    for state in S.CLIENT_TABLE.states:
        if state not in (S.C_CLOSED, S.C_ERROR):
            assert S.CLIENT_TABLE.lookup(state, S.CONN_LOST).target == S.C_CLOSED
            assert S.CLIENT_TABLE.lookup(state, S.BAD_REPLY).target == S.C_ERROR == S.CLIENT_TABLE.error


def test_valid_inputs_follow_the_table():
    server = SmtpServer.__new__(SmtpServer)
    server.state = S.EXPECT_RCPT
    assert set(server.valid_inputs()) == {"EHLO", "HELO", "RCPT", "DATA", "RSET", "NOOP", "VRFY", "HELP", "QUIT"}
    server.state = S.EXPECT_MAIL
    assert "STARTTLS" in server.valid_inputs()
    server.state = S.IN_DATA
    assert server.valid_inputs() == []


def test_state_table_refuses_duplicates_and_unknown_states():
    states = [StateInfo("A", "a"), StateInfo("B", "b")]
    with pytest.raises(ValueError):
        StateTable("t", "A", states, [Transition("A", "x", "B", "e"), Transition("A", "x", "A", "e")])
    with pytest.raises(ValueError):
        StateTable("t", "A", states, [Transition("A", "x", "C", "e")])
    with pytest.raises(ValueError):
        StateTable("t", "C", states, [])
    table = StateTable("t", "A", states, [Transition("A", "x", "B", "e"), Transition("B", "y", "A", "f")])
    assert table.lookup("A", "x").target == "B"
    assert table.lookup("A", "y") is None
    assert table.inputs() == ["x", "y"]
