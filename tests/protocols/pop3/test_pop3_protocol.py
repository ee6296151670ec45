"""POP3 as the registry offers it: services, faults, busy reply, reader and framer."""

from __future__ import annotations

import pytest

from simulator.agents.faults import FaultBoard, ReplyFault
from simulator.protocols import registry
from simulator.protocols.machine import RemoteProtocolError
from simulator.protocols.pop3 import states as S
from simulator.protocols.pop3.replies import Pop3Reply

SPEC = registry.protocol("pop3")


def test_services_and_ports():
    assert registry.service("pop3")[1].port == 110 and not registry.service("pop3")[1].implicit_tls
    assert registry.service("pop3s")[1].port == 995 and registry.service("pop3s")[1].implicit_tls
    assert registry.protocol_of_machine("pop3.server") is SPEC
    assert SPEC.fault_stages == ("USER", "PASS", "RETR", "DELE")


@pytest.mark.parametrize(("code", "enhanced", "wire"), [
    (421, "", b"-ERR [SYS/TEMP] try later\r\n"),
    (554, "", b"-ERR [SYS/PERM] try later\r\n"),
    (450, "IN-USE", b"-ERR [IN-USE] try later\r\n"),
    (535, "[auth]", b"-ERR [AUTH] try later\r\n"),
    (550, "5.1.1", b"-ERR [SYS/PERM] try later\r\n"),  # an SMTP enhanced code means nothing here
])
def test_make_reply_turns_a_scenario_fault_into_err(code, enhanced, wire):
    assert SPEC.make_reply(code, "try later", enhanced).to_bytes() == wire


def test_faults_are_keyed_by_protocol():
    board = FaultBoard()
    board.add(ReplyFault("mx.example.net", "RETR", SPEC.make_reply(451, "x", ""), protocol="pop3"))
    assert board.reply_for("mx.example.net", "RETR", "smtp") is None
    assert isinstance(board.reply_for("mx.example.net", "RETR", "pop3"), Pop3Reply)
    with pytest.raises(ValueError, match="pop3 has no fault stage 'MAIL'"):
        ReplyFault("mx.example.net", "MAIL", None, protocol="pop3")


def test_busy_reply():
    assert SPEC.busy_reply("mx.example.net") == b"-ERR [SYS/TEMP] mx.example.net too many connections, try again later\r\n"


def test_the_reader_needs_the_commands_to_read_bodies():
    reader = SPEC.reply_reader()
    reader.feed(b"+OK hi\r\n")
    assert reader.next_reply().line == "hi"
    reader.command_sent(b"LIST\r\nDELE 1\r\nRETR 1\r\nUIDL 1\r\n")
    reader.feed(b"+OK 1 messages\r\n1 5\r\n.\r\n+OK deleted\r\n-ERR [SYS/TEMP] no\r\n+OK 1 abc\r\n")
    got = [reader.next_reply() for _ in range(4)]
    assert [r.body for r in got] == [(b"1 5",), None, None, None]
    assert (got[2].status, got[2].resp_code, got[2].line) == ("-ERR", "SYS/TEMP", "no")
    assert reader.next_reply() is None
    reader.feed(b"* OK imap\r\n")
    with pytest.raises(RemoteProtocolError):
        reader.next_reply()


def test_the_reader_waits_for_a_partial_command_line():
    reader = SPEC.reply_reader()
    reader.feed(b"+OK hi\r\n")
    reader.next_reply()
    reader.command_sent(b"RE")
    reader.command_sent(b"TR 1\r\n")
    reader.feed(b"+OK 3 octets\r\nhi\r\n.\r\n")
    assert reader.next_reply().body == (b"hi",)


def test_the_framer_hands_over_whole_lines():
    framer = SPEC.framer(data_chunk=1000)
    assert framer.cut(bytearray(b"USER bob\r\nPA"), S.AUTHORIZATION) == 10
    assert framer.cut(bytearray(b"PASS"), S.EXPECT_PASS) == 0
    assert framer.cut(bytearray(b"STAT\nLI"), S.TRANSACTION) == 5  # a bare LF ends a line: answered
    assert not any(framer.in_message(state) for state in S.SERVER_TABLE.states)


def test_new_client_and_new_server_from_the_spec(pop3):
    server = SPEC.new_server(hostname="mx.example.net", store=pop3.make_store(), auth=pop3.Auth(), conn="c9")
    assert server.conn == "c9" and server.start()[0].conn == "c9"
    client = SPEC.new_client()
    assert client.state == S.C_EXPECT_GREETING
