"""Interop with the standard library's poplib, through a loopback socket pair into the machine.

The machine stays sans-IO: a small thread in the test moves bytes between
one end of a socket pair and the server machine; poplib talks to the other
end exactly as it would to a POP3 server on the network.
"""

from __future__ import annotations

import poplib
import socket
import threading

import pytest

from simulator.protocols.pop3.server import Pop3Server

BOB = "bob@example.net"


def _bridge(server: Pop3Server, sock: socket.socket) -> None:
    try:
        sock.sendall(server.data_to_send())
        while not server.closed:
            data = sock.recv(65536)
            server.receive_data(data)  # b"": poplib closed its end
            out = server.data_to_send()
            if out:
                sock.sendall(out)
    finally:
        sock.close()


class LoopbackPOP3(poplib.POP3):
    def __init__(self, sock: socket.socket) -> None:
        self._given = sock
        super().__init__("mx.example.net")

    def _create_socket(self, timeout):  # poplib's hook for its socket
        self._given.settimeout(10)
        return self._given


@pytest.fixture
def connect(pop3):
    threads = []

    def open_(store) -> LoopbackPOP3:
        server = pop3.new_server(store)
        ours, theirs = socket.socketpair()
        thread = threading.Thread(target=_bridge, args=(server, ours), daemon=True)
        thread.start()
        threads.append(thread)
        return LoopbackPOP3(theirs)

    yield open_
    for thread in threads:
        thread.join(timeout=10)
        assert not thread.is_alive()


def test_poplib_reads_a_whole_session(pop3, connect):
    store = pop3.make_store(*pop3.MESSAGES)
    client = connect(store)
    assert client.getwelcome().startswith(b"+OK mx.example.net POP3 server ready <")
    caps = client.capa()
    assert caps["SASL"] == ["PLAIN", "LOGIN"] and "UIDL" in caps and caps["IMPLEMENTATION"] == ["mailsim"]
    assert client.user(BOB).startswith(b"+OK")
    assert client.pass_("builder").startswith(b"+OK")
    assert client.stat() == (2, 129)
    resp, listing, _ = client.list()
    assert listing == [b"1 64", b"2 65"]
    assert client.list(2) == b"+OK 2 65"
    resp, lines, octets = client.retr(1)
    assert lines == pop3.MESSAGES[0].split(b"\r\n")[:-1]  # ".signature" un-stuffed by poplib
    assert (resp, octets) == (b"+OK 64 octets", 64)  # poplib counts without the stuffed dot: the size LIST gave
    resp, lines, _ = client.top(2, 1)
    assert lines[-1] == b"line 1"
    resp, uids, _ = client.uidl()
    assert uids == [b"1 0000000100000001", b"2 0000000200000001"]
    assert client.uidl(1) == b"+OK 1 0000000100000001"
    assert client.dele(1) == b"+OK message 1 deleted"
    assert client.noop() == b"+OK"
    with pytest.raises(poplib.error_proto, match="already deleted"):
        client.retr(1)
    assert client.quit().endswith(b"(1 message left)")
    assert store.count(BOB) == 1


def test_poplib_apop_and_the_maildrop_lock(pop3, connect):
    store = pop3.make_store(*pop3.MESSAGES)
    first = connect(store)
    # poplib takes the timestamp from the greeting and sends the MD5 of it and the secret (RFC 1939 7)
    assert first.apop(BOB, "builder").startswith(b"+OK bob@example.net's maildrop has 2 messages")
    second = connect(store)
    with pytest.raises(poplib.error_proto, match=r"-ERR \[IN-USE\]"):
        second.apop(BOB, "builder")
    first.quit()
    assert second.apop(BOB, "builder").startswith(b"+OK")
    second.quit()


def test_poplib_sees_errors_as_error_proto(pop3, connect):
    store = pop3.make_store(*pop3.MESSAGES)
    client = connect(store)
    client.user(BOB)
    with pytest.raises(poplib.error_proto, match=r"-ERR \[AUTH\]"):
        client.pass_("wrong")
    with pytest.raises(poplib.error_proto, match="not supported"):
        client.utf8()
    with pytest.raises(poplib.error_proto, match="STLS not supported"):
        client.stls()  # not offered: poplib reads CAPA and does not even ask
    client.user(BOB)
    client.pass_("builder")
    client.dele(1)
    client.close()  # dropped without QUIT: RFC 1939 6, nothing is deleted
    assert store.count(BOB) == 2
