"""IMAP responses on the wire and in the trace (RFC 9051 7)."""

from __future__ import annotations

import pytest

from simulator.protocols.imap import states as S
from simulator.protocols.imap.responses import Continuation, Data, Status, data
from simulator.protocols.machine import InputKind


def test_rfc9051_7_1_tagged_status_with_a_response_code():
    st = Status("a1", "NO", "No such mailbox", "NONEXISTENT")
    assert st.to_bytes() == b"a1 NO [NONEXISTENT] No such mailbox\r\n"
    assert (st.trace_code(), st.trace_text()) == ("a1 NO", ("[NONEXISTENT] No such mailbox",))
    assert st.code_name == "NONEXISTENT"


def test_untagged_status_and_data_are_told_apart_in_the_trace():
    greeting = Status("*", "OK", "ready", "CAPABILITY IMAP4rev2")
    assert greeting.trace_code() == "* OK" and not greeting.tagged
    exists = data("3 EXISTS")
    assert exists.to_bytes() == b"* 3 EXISTS\r\n" and exists.trace_code() == "*"


def test_a_literal_in_untagged_data_counts_one_trace_line_per_wire_line():
    d = Data(b"1 FETCH (BODY[] {9}\r\nA: b\r\n\r\nc)")
    assert d.trace_text() == ("1 FETCH (BODY[] {9}", "A: b", "", "c)")
    assert d.to_bytes().count(b"\r\n") == len(d.trace_text())


def test_rfc9051_7_6_continuation():
    assert Continuation("Ready for literal data").to_bytes() == b"+ Ready for literal data\r\n"
    assert Continuation("").to_bytes() == b"+ \r\n"


def test_status_refuses_crlf_and_unknown_words():
    with pytest.raises(ValueError):
        Status("a", "OK", "x\r\ny")
    with pytest.raises(ValueError):
        Status("a", "FINE", "x")


def test_rfc9051_3_state_table_names_the_rfc_states_and_every_row_its_section():
    assert S.SERVER_TABLE.initial == S.NOT_AUTHENTICATED
    assert {S.NOT_AUTHENTICATED, S.AUTHENTICATED, S.SELECTED, S.LOGOUT} <= set(S.SERVER_TABLE.states)
    assert all(tr.rfc for tr in S.SERVER_TABLE.transitions + S.CLIENT_TABLE.transitions)
    # A failed SELECT leaves no mailbox selected (RFC 9051 6.3.2).
    assert S.SERVER_TABLE.lookup(S.SELECTED, "SELECT").refused == S.AUTHENTICATED
    assert S.SERVER_TABLE.lookup(S.NOT_AUTHENTICATED, "FETCH") is None
    assert "FETCH" in S.SERVER_TABLE.inputs_in(S.SELECTED, InputKind.COMMAND)
    assert S.SERVER_TABLE.inputs_in(S.IDLING, InputKind.COMMAND) == [S.DONE]
