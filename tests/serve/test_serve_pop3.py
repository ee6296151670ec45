"""POP3 through ``mailsim serve`` (2110): poplib and curl download what smtplib delivered (RFC 1939)."""

from __future__ import annotations

import poplib
import socket
import subprocess

import pytest

from simulator.trace import ConnectionClosed

WAIT = 10.0  # seconds any single wait may take


def test_poplib_session_and_a_second_one_sees_the_deletion(served):
    sw = served()
    sw.deliver("One")
    sw.deliver("Two")
    pop = poplib.POP3("127.0.0.1", sw.port("pop3"), timeout=WAIT)
    assert pop.getwelcome().startswith(b"+OK")
    pop.user("bob@example.net")
    assert pop.pass_("builder").startswith(b"+OK")
    count, size = pop.stat()
    assert count == 2 and size > 0
    resp, listing, _ = pop.list()
    assert [line.split()[0] for line in listing] == [b"1", b"2"]
    resp, uidl, _ = pop.uidl()
    assert len({line.split()[1] for line in uidl}) == 2  # unique ids (RFC 1939 7)
    resp, lines, octets = pop.retr(1)
    assert b"Subject: One" in lines
    resp, top, _ = pop.top(2, 0)
    assert b"Subject: Two" in top and b"Hello from smtplib." not in top  # headers, the blank line, 0 lines
    assert pop.dele(1).startswith(b"+OK")
    assert sw.count("bob@example.net") == 2  # nothing is removed before UPDATE (RFC 1939 6)
    assert pop.quit().startswith(b"+OK")
    assert sw.count("bob@example.net") == 1
    second = poplib.POP3("127.0.0.1", sw.port("pop3"), timeout=WAIT)
    second.user("bob@example.net")
    second.pass_("builder")
    assert second.stat()[0] == 1
    resp, lines, _ = second.retr(1)
    assert b"Subject: Two" in lines
    second.quit()
    assert any("the login bob@example.net reaches the mailboxes on mx.example.net" in n for n in sw.notes())


def test_alice_downloads_her_own_mail_through_the_same_port(served):
    sw = served()
    sw.deliver("For Alice", to="alice@example.org")
    pop = poplib.POP3("127.0.0.1", sw.port("pop3"), timeout=WAIT)
    pop.user("alice@example.org")
    pop.pass_("wonderland")
    assert pop.stat()[0] == 1
    assert b"Subject: For Alice" in pop.retr(1)[1]
    pop.quit()


def test_a_dropped_session_deletes_nothing(served):
    sw = served()
    sw.deliver("Kept")
    pop = poplib.POP3("127.0.0.1", sw.port("pop3"), timeout=WAIT)
    pop.user("bob@example.net")
    pop.pass_("builder")
    pop.dele(1)
    pop.close()  # no QUIT: no UPDATE state (RFC 1939 6)
    sw.wait_until(lambda: sw.bridge.open_sessions == 0, "the session is gone")
    assert sw.count("bob@example.net") == 1


def test_the_maildrop_is_locked_while_a_session_holds_it(served):
    sw = served()
    first = poplib.POP3("127.0.0.1", sw.port("pop3"), timeout=WAIT)
    first.user("bob@example.net")
    first.pass_("builder")
    second = poplib.POP3("127.0.0.1", sw.port("pop3"), timeout=WAIT)
    second.user("bob@example.net")
    with pytest.raises(poplib.error_proto, match=r"\[IN-USE\]"):  # RFC 2449 8.1.2
        second.pass_("builder")
    second.quit()
    first.quit()


def test_curl_downloads_a_message(served, os_client):
    sw = served()
    sw.deliver("Read by curl")
    base = f"pop3://127.0.0.1:{sw.port('pop3')}"
    common = [os_client("curl"), "--silent", "--show-error", "--max-time", "20", "-u", "bob@example.net:builder"]
    listed = subprocess.run([*common, f"{base}/"], capture_output=True, text=True, timeout=60,
                            stdin=subprocess.DEVNULL)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.split()[0] == "1"
    fetched = subprocess.run([*common, f"{base}/1"], capture_output=True, text=True, timeout=60,
                             stdin=subprocess.DEVNULL)
    assert fetched.returncode == 0, fetched.stderr
    assert "Subject: Read by curl" in fetched.stdout


def test_the_pop3_autologout_closes_without_update(served):
    sw = served(pop3_idle_timeout=0.3)
    sw.deliver("Still here")
    sock = socket.create_connection(("127.0.0.1", sw.port("pop3")), timeout=WAIT)
    sock.settimeout(WAIT)
    sock.recv(4096)
    for line in (b"USER bob@example.net\r\n", b"PASS builder\r\n", b"DELE 1\r\n"):
        sock.sendall(line)
        assert sock.recv(4096).startswith(b"+OK")
    while sock.recv(4096):  # RFC 1939 3: the timer closes the connection without entering UPDATE
        pass
    sock.close()
    assert sw.count("bob@example.net") == 1
    closed = sw.call(lambda: sw.world.trace.of_type(ConnectionClosed))
    assert [(e.by, e.reason) for e in closed][-1] == ("server", "idle timeout")
