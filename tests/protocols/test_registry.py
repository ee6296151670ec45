"""The protocol registry: what the layers above protocols/ ask instead of naming SMTP."""

from __future__ import annotations

import pytest

from simulator.agents.faults import FaultBoard, ReplyFault
from simulator.protocols import registry
from simulator.protocols.machine import TABLES, InputKind, RemoteProtocolError
from simulator.protocols.smtp import states as S
from simulator.protocols.smtp.replies import Reply


def test_machine_tables_name_every_machine_of_every_protocol():
    tables = registry.machine_tables()
    assert tables["smtp.server"] is S.SERVER_TABLE
    assert tables["smtp.client"] is S.CLIENT_TABLE
    assert set(tables) == {t.machine for spec in registry.PROTOCOLS.values() for t in spec.tables}
    # The old module-level index still agrees while the faces move over.
    for name, table in tables.items():
        assert TABLES[name] is table


def test_fault_stages_of_smtp_and_an_unknown_protocol():
    assert registry.fault_stages("smtp") == ("MAIL", "RCPT", "DATA")
    with pytest.raises(registry.UnknownProtocol, match=r"unknown protocol 'gopher'; known: [a-z0-9, ]*smtp"):
        registry.fault_stages("gopher")


def test_services_and_their_default_ports():
    spec, info = registry.service("submission")
    assert (spec.name, info.port, info.implicit_tls) == ("smtp", 587, False)
    assert registry.service("submissions")[1].implicit_tls
    assert registry.protocol("smtp").service_on(25).name == "smtp"
    with pytest.raises(KeyError):
        registry.service("finger")


def test_protocol_of_machine():
    assert registry.protocol_of_machine("smtp.client").name == "smtp"
    assert registry.protocol_of_machine("nntp.server") is None


def test_input_kinds_are_declared_not_read_from_spelling():
    # A line inside an AUTH exchange is no verb (RFC 4954 4), though the peer sends it.
    assert set(S.SERVER_TABLE.inputs(InputKind.COMMAND)) - {S.SASL_RESPONSE, S.SASL_CANCEL} == S.KNOWN_VERBS
    assert S.SERVER_TABLE.kind_of(S.END_OF_DATA) is InputKind.DATA_END  # "<CRLF>.<CRLF>" isupper()
    assert S.SERVER_TABLE.kind_of(S.TIMEOUT) is InputKind.TIMER
    assert S.CLIENT_TABLE.kind_of("421") is InputKind.REPLY
    assert S.CLIENT_TABLE.kind_of(S.CONN_LOST) is InputKind.PEER


def test_reply_reader_from_the_registry_reads_replies_and_raises_remote_errors():
    reader = registry.protocol("smtp").reply_reader()
    reader.feed(b"250-mx.example.net greets you\r\n250 PIPELINING\r\n")
    reply = reader.next_reply()
    assert reply.code == 250 and reply.lines == ("mx.example.net greets you", "PIPELINING")
    reader.feed(b"hello\r\n")
    with pytest.raises(RemoteProtocolError):
        reader.next_reply()


def test_framer_cuts_whole_lines_and_a_message_body_whole():
    framer = registry.protocol("smtp").framer(data_chunk=1000)
    assert framer.cut(bytearray(b"EHLO a\r\nMAIL"), S.EXPECT_EHLO) == 8
    assert framer.cut(bytearray(b"MAIL"), S.EXPECT_MAIL) == 0
    assert framer.cut(bytearray(b"NOOP\nMA"), S.EXPECT_MAIL) == 5  # a bare LF ends a command: answered
    body = bytearray(b"Subject: hi\r\n\r\nline\r\n")
    assert framer.cut(body, S.IN_DATA) == 0  # no final dot yet: hold it
    body += b".\r\nQUIT\r\n"
    assert framer.cut(body, S.IN_DATA) == len(body)
    assert framer.cut(bytearray(b".\r\n"), S.IN_DATA) == 3
    assert framer.cut(bytearray(b"y" * 998 + b"\r\n"), S.IN_DATA) == 1000  # past data_chunk: let it go


def test_busy_reply_is_a_421():
    assert registry.protocol("smtp").busy_reply("mx.example.net").startswith(b"421 4.7.0 mx.example.net ")


def test_faults_are_keyed_by_protocol_and_stage():
    board = FaultBoard()
    reply = registry.protocol("smtp").make_reply(451, "busy", "4.3.0")
    assert reply == Reply(451, ("busy",), "4.3.0")
    board.add(ReplyFault("mx.example.net", "RCPT", reply, times=1, protocol="smtp"))
    assert board.reply_for("mx.example.net", "MAIL", "smtp") is None
    assert board.reply_for("mx.example.net", "RCPT", "smtp") is reply
    assert board.reply_for("mx.example.net", "RCPT", "smtp") is None  # once only
    with pytest.raises(ValueError, match="smtp has no fault stage 'LOGIN'"):
        ReplyFault("mx.example.net", "LOGIN", reply)


def test_framer_says_where_message_text_is_taken():
    framer = registry.protocol("smtp").framer()
    assert framer.in_message(S.IN_DATA)
    assert not any(framer.in_message(state) for state in S.SERVER_TABLE.states if state != S.IN_DATA)


def test_framer_searches_afresh_after_the_bridge_takes_bytes_itself():
    framer = registry.protocol("smtp").framer(data_chunk=1 << 20)
    held = bytearray(b"Subject: x\r\n\r\n" + b"y" * 100)
    assert framer.cut(held, S.IN_DATA) == 0  # remembers it searched all of this
    del held[:]
    framer.taken(114)
    held += b"\r\n.\r\n"
    assert framer.cut(held, S.IN_DATA) == 5
