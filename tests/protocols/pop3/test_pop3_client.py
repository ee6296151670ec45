"""Pop3Client against Pop3Server (a client and server pair), and against canned responses."""

from __future__ import annotations

import pytest

from simulator.protocols.machine import LocalProtocolError
from simulator.protocols.pop3 import states as S
from simulator.protocols.pop3.client import (
    Capa,
    Dele,
    Download,
    List,
    Login,
    Noop,
    Pop3Client,
    Quit,
    Retr,
    Rset,
    Stat,
    Top,
    Uidl,
)
from simulator.protocols.pop3.replies import err

BOB = "bob@example.net"


def step(pop3, client, server, action):
    client.send(action)
    pop3.exchange(client, server)


def test_a_session_driven_one_action_at_a_time(pop3):
    store = pop3.make_store(*pop3.MESSAGES)
    server = pop3.new_server(store)
    client = Pop3Client()
    pop3.exchange(client, server)
    assert client.state == S.C_AUTHORIZATION and client.timestamp == pop3.STAMP
    step(pop3, client, server, Login(BOB, "builder"))
    assert (client.state, server.state) == (S.C_TRANSACTION, S.TRANSACTION) and client.logged_in
    for action in (Capa(), Stat(), List(), Uidl(), Retr(1), Top(2, 1), List(2), Uidl(2), Dele(1), Rset(), Noop()):
        step(pop3, client, server, action)
        result = client.result_of(action)
        assert result is not None and result.ok, action
        assert client.state == S.C_TRANSACTION
    assert client.stat == (2, 129)
    assert client.listing.sizes == {1: 64, 2: 65}
    assert client.listing.uids == {1: "0000000100000001", 2: "0000000200000001"}
    assert client.capabilities["SASL"] == ["PLAIN", "LOGIN"] and client.capabilities["EXPIRE"] == ["NEVER"]
    assert client.messages[0].data == pop3.MESSAGES[0] and client.messages[0].unique_id == "0000000100000001"
    assert client.result_of(Top(2, 1)).reply.body[-1] == b"line 1"
    step(pop3, client, server, Quit())
    assert client.state == S.C_CLOSED and server.closed
    assert store.count(BOB) == 2  # the DELE was undone by RSET


@pytest.mark.parametrize("method", ["USER", "APOP", "PLAIN"])
def test_every_login_method_works(pop3, method):
    store = pop3.make_store(*pop3.MESSAGES)
    client = Pop3Client([Login(BOB, "builder", method), Stat()])
    pop3.exchange(client, pop3.new_server(store))
    assert client.state == S.C_CLOSED
    assert [r.ok for r in client.results] == [True, True] and client.user == BOB


def test_plain_with_a_long_password_goes_without_an_initial_response(pop3):
    password = "p" * 200  # "AUTH PLAIN " + base64 would pass the 255-octet limit (RFC 5034 4)
    store = pop3.make_store()
    server = pop3.new_server(store, auth=pop3.Auth({BOB: password}))
    client = Pop3Client([Login(BOB, password, "PLAIN")])
    client.receive_data(server.data_to_send())
    assert client.data_to_send() == b"AUTH PLAIN\r\n"
    server.receive_data(b"AUTH PLAIN\r\n")
    pop3.exchange(client, server)
    assert client.results[0].ok


def test_download_leaving_messages_on_the_server_then_only_new_ones(pop3):
    store = pop3.make_store(*pop3.MESSAGES)
    first = Pop3Client([Login(BOB, "builder"), Download()])
    pop3.exchange(first, pop3.new_server(store))
    assert [m.data for m in first.messages] == list(pop3.MESSAGES)
    assert store.count(BOB) == 2  # "leave a copy on the server"
    seen = frozenset(m.unique_id for m in first.messages)
    store.deliver(BOB, b"Subject: three\r\n\r\nnew\r\n", 5.0)
    second = Pop3Client([Login(BOB, "builder"), Download(skip_uids=seen)])
    pop3.exchange(second, pop3.new_server(store))
    assert [m.data for m in second.messages] == [b"Subject: three\r\n\r\nnew\r\n"]
    assert [type(r.action).__name__ for r in second.results] == ["Login", "Download", "Retr"]


def test_download_and_delete_empties_the_maildrop_at_quit(pop3):
    store = pop3.make_store(*pop3.MESSAGES)
    client = Pop3Client([Login(BOB, "builder"), Download(delete=True)])
    pop3.exchange(client, pop3.new_server(store))
    assert [type(r.action).__name__ for r in client.results] == ["Login", "Download", "Retr", "Dele", "Retr", "Dele"]
    assert store.count(BOB) == 0 and client.state == S.C_CLOSED


def test_download_without_uidl_falls_back_to_list():
    client = Pop3Client([Login(BOB, "builder"), Download(delete=False)])
    script = [
        (b"+OK ready\r\n", b"USER bob@example.net\r\n"),
        (b"+OK\r\n", b"PASS builder\r\n"),
        (b"+OK in\r\n", b"UIDL\r\n"),
        (b"-ERR unknown command\r\n", b"LIST\r\n"),
        (b"+OK 1 messages\r\n1 5\r\n.\r\n", b"RETR 1\r\n"),
        (b"+OK 5 octets\r\n..hi\r\n.\r\n", b"QUIT\r\n"),
        (b"+OK bye\r\n", b""),
    ]
    for response, expected in script:
        client.receive_data(response)
        assert client.data_to_send() == expected
    assert client.messages[0].data == b".hi\r\n" and client.messages[0].unique_id == ""
    assert client.state == S.C_CLOSED


def test_a_failed_login_does_not_deadlock_and_later_actions_fail_unsent(pop3):
    store = pop3.make_store(*pop3.MESSAGES)
    server = pop3.new_server(store)
    client = Pop3Client([Login(BOB, "wrong"), Stat(), Retr(1)])
    pop3.exchange(client, server)
    assert client.state == S.C_CLOSED and server.closed
    login, stat, retr = client.results
    assert not login.ok and login.reply.resp_code == "AUTH"
    assert (stat.ok, stat.reply, stat.error) == (False, None, "STAT needs a login first (RFC 1939 section 4)")
    assert not retr.ok and retr.reply is None


def test_a_locked_maildrop_fails_the_login_with_in_use(pop3):
    store = pop3.make_store(*pop3.MESSAGES)
    holder = pop3.new_server(store)
    holder.receive_data(pop3.cmds("USER bob@example.net", "PASS builder"))
    client = Pop3Client([Login(BOB, "builder")])
    pop3.exchange(client, pop3.new_server(store))
    assert client.results[0].reply.resp_code == "IN-USE" and not client.logged_in


def test_apop_without_a_timestamp_is_refused_unsent(pop3):
    client = Pop3Client([Login(BOB, "builder", "APOP")])
    client.receive_data(b"+OK POP3 server ready\r\n")
    assert client.data_to_send() == b"QUIT\r\n"
    assert "no APOP timestamp" in client.results[0].error


def test_a_second_login_is_refused_unsent(pop3):
    server = pop3.new_server(pop3.make_store())
    client = Pop3Client()
    pop3.exchange(client, server)
    step(pop3, client, server, Login(BOB, "builder"))
    client.send(Login(BOB, "builder"))
    assert client.data_to_send() == b"" and client.results[-1].error == f"already logged in as {BOB}"
    assert client.state == S.C_TRANSACTION


def test_a_negative_greeting_gives_up(pop3):
    client = Pop3Client([Login(BOB, "builder"), Stat()])
    client.receive_data(b"-ERR [SYS/TEMP] too busy\r\n")
    assert client.data_to_send() == b"QUIT\r\n" and client.session_refused.resp_code == "SYS/TEMP"
    assert [r.ok for r in client.results] == [False, False]
    client.receive_data(b"")
    assert client.state == S.C_CLOSED


def test_a_lost_connection_fails_what_is_pending(pop3):
    client = Pop3Client([Login(BOB, "builder"), Retr(1), Dele(1)])
    for response in (b"+OK hi\r\n", b"+OK\r\n", b"+OK in\r\n", b"+OK 10 octets\r\nSubject"):
        client.receive_data(response)
        client.data_to_send()
    client.receive_data(b"")
    assert client.state == S.C_CLOSED
    assert [(type(r.action).__name__, r.ok, r.error) for r in client.results[1:]] == [
        ("Retr", False, "connection lost"), ("Dele", False, "connection lost")]


def test_a_broken_response_is_an_error_state(pop3):
    client = Pop3Client([Login(BOB, "builder")])
    client.receive_data(b"HELLO\r\n")
    assert client.state == S.C_ERROR and "not a POP3 response" in client.error
    assert client.closed and not client.results[0].ok


def test_an_unsolicited_err_while_idle_ends_the_session(pop3):
    server = pop3.new_server(pop3.make_store())
    client = Pop3Client()
    pop3.exchange(client, server)
    step(pop3, client, server, Login(BOB, "builder"))
    server.shutdown()
    client.receive_data(server.data_to_send())
    assert client.state == S.C_CLOSED and client.last_reply.resp_code == "SYS/TEMP"


def test_misuse_is_a_local_protocol_error(pop3):
    client = Pop3Client()
    client.send(Quit())
    with pytest.raises(LocalProtocolError, match="QUIT was asked"):
        client.send(Stat())
    client.receive_data(b"+OK hi\r\n")
    client.receive_data(b"+OK bye\r\n")
    with pytest.raises(LocalProtocolError, match="session is over"):
        client.send(Noop())
    with pytest.raises(ValueError):
        Retr(0)
    with pytest.raises(ValueError):
        Login(BOB, "pass\r\nDELE 1")
    with pytest.raises(ValueError):
        Login(BOB, "x", "GSSAPI")  # no such mechanism here
    with pytest.raises(ValueError):
        Login(BOB, "x", "SCRAM-SHA-256")  # SCRAM needs the client nonce (RFC 5802 5.1)


def test_download_and_delete_never_deletes_what_it_could_not_retrieve(pop3):
    store = pop3.make_store(*pop3.MESSAGES)
    failures = [err("cannot read it now", "SYS/TEMP")]  # the first RETR fails, as a disk error would
    server = pop3.new_server(store, fault=lambda stage: failures.pop() if stage == "RETR" and failures else None)
    client = Pop3Client([Login(BOB, "builder"), Download(delete=True)])
    pop3.exchange(client, server)
    assert [(type(r.action).__name__, r.ok) for r in client.results] == [
        ("Login", True), ("Download", True), ("Retr", False), ("Retr", True), ("Dele", True)]
    assert store.count(BOB) == 1 and store.folder(BOB).messages[0].data == pop3.MESSAGES[0]
