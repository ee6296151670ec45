"""The IMAP client machine against the server machine, and the response reader (RFC 9051 7)."""

from __future__ import annotations

import pytest

from simulator.protocols.imap import states as S
from simulator.protocols.imap.client import (
    Copy,
    Done,
    Expunge,
    Fetch,
    Idle,
    ImapClient,
    Login,
    Logout,
    Noop,
    ResponseFormatError,
    ResponseReader,
    Search,
    Select,
    Store,
)
from simulator.protocols.imap.server import ImapServer, ImapServerConfig
from simulator.protocols.machine import LocalProtocolError


def pump(client: ImapClient, server: ImapServer) -> None:
    while True:
        out = server.data_to_send()
        if out:
            client.receive_data(out)
        data = client.data_to_send()
        if not data and not out:
            return
        if data:
            server.receive_data(data)


def pair(world):
    server = ImapServer(ImapServerConfig(hostname="mx.example.net"), world.policy, conn="c1")
    client = ImapClient()
    server.start()
    pump(client, server)
    return client, server


def test_client_logs_in_selects_fetches_stores_and_logs_out(world):
    world.deliver("one")
    world.deliver("two")
    client, server = pair(world)
    assert client.state == S.C_NOT_AUTHENTICATED and "IMAP4REV2" in client.capabilities
    client.send(Login("bob@example.net", "builder"))
    pump(client, server)
    assert client.state == S.C_AUTHENTICATED and client.last.ok
    client.send(Select("INBOX"))
    pump(client, server)
    assert client.state == S.C_SELECTED and client.exists == 2 and client.mailbox == "INBOX"
    assert client.uid_validity == world.store.folder("bob@example.net").uid_validity
    client.send(Fetch("1:*", "(UID FLAGS)"))
    pump(client, server)
    assert [(m.uid, m.flags) for m in client.messages] == [(1, frozenset()), (2, frozenset())]
    client.send(Store("2", ("\\Seen",)))
    pump(client, server)
    assert client.messages[1].flags == {"\\Seen"}
    client.send(Search("ALL"))
    pump(client, server)
    assert client.last.untagged[0].text == "SEARCH 1 2"
    client.send(Logout())
    pump(client, server)
    assert client.state == S.C_LOGGED_OUT and server.closed


def test_client_idle_sees_pushes_and_done(world):
    client, server = pair(world)
    for cmd in (Login("bob@example.net", "builder"), Select(), Idle()):
        client.send(cmd)
        pump(client, server)
    assert client.state == S.C_IDLING
    world.deliver("pushed")
    pump(client, server)
    assert client.exists == 1
    client.send(Done())
    pump(client, server)
    assert client.state == S.C_SELECTED and client.last.ok
    assert [r.text for r in client.last.untagged] == ["1 EXISTS"]  # read while IDLE was in progress


def test_client_keeps_its_view_through_expunge_and_copy(world):
    for n in range(3):
        world.deliver(f"m{n}")
    client, server = pair(world)
    for cmd in (Login("bob@example.net", "builder"), Select(), Fetch("1:*"), Store("1", ("\\Deleted",), silent=True),
                Copy("2", "Trash"), Expunge(), Noop()):
        client.send(cmd)
        pump(client, server)
    assert [m.uid for m in client.messages] == [2, 3]
    assert client.results[-3].response.enhanced == "COPYUID"


def test_failed_login_and_select_follow_the_table(world):
    client, server = pair(world)
    client.send(Login("bob@example.net", "wrong"))
    pump(client, server)
    assert client.state == S.C_NOT_AUTHENTICATED and client.last.response.enhanced == "AUTHENTICATIONFAILED"
    with pytest.raises(LocalProtocolError):
        client.send(Select())
    client.send(Login("bob@example.net", "builder"))
    pump(client, server)
    client.send(Select("Nowhere"))
    pump(client, server)
    assert client.state == S.C_AUTHENTICATED and client.last.status == "NO"


def test_server_bye_ends_the_client_session(world):
    client, server = pair(world)
    client.receive_data(server.timeout() and server.data_to_send())
    assert client.state == S.C_LOGGED_OUT


def test_response_reader_reads_literals_and_codes():
    reader = ResponseReader()
    reader.feed(b"* OK [UIDVALIDITY 7] UIDs valid\r\n* 1 FETCH (BODY[] {5}\r\nab\r\nc)\r\na1 NO [TRYCREATE] no\r\n+ go\r\n")
    r1, r2, r3, r4 = (reader.next_reply() for _ in range(4))
    assert (r1.tag, r1.code, r1.enhanced, r1.code_args) == ("*", "OK", "UIDVALIDITY", "7")
    assert r2.code == "*" and r2.literals == (b"ab\r\nc",)
    assert (r3.tag, r3.code, r3.enhanced, r3.tagged) == ("a1", "NO", "TRYCREATE", True)
    assert (r4.code, r4.text) == ("+", "go")
    assert reader.next_reply() is None
    reader.feed(b"a1 MAYBE\r\n")
    with pytest.raises(ResponseFormatError):
        reader.next_reply()
