"""The mailbox front (agents/front.py): one IMAP / POP3 server whose logins reach their own domain's mail host."""

from __future__ import annotations

from simulator.agents.front import FRONT_HOST, MailboxFront
from simulator.serve import serve_world
from simulator.trace import MailboxView, Note


def world_with_front():
    world = serve_world()
    MailboxFront(world.net, world.mailhost_for)
    return world


def talk(conn, *lines: bytes) -> bytes:
    conn.read()
    for line in lines:
        conn.send(line)
    return conn.read()


def test_each_login_reads_the_store_of_its_domain():
    world = world_with_front()
    world.mailhost_for("alice@example.org").store.deliver("alice@example.org", b"Subject: A\r\n\r\nx\r\n", 0.0)
    conn = world.net.connect("bob-laptop", FRONT_HOST, 143)
    out = talk(conn, b"a LOGIN alice@example.org wonderland\r\n", b"b SELECT INBOX\r\n")
    assert b"a OK" in out and b"* 1 EXISTS" in out
    [view] = world.trace.of_type(MailboxView)[-1:]
    assert (view.host, view.user, view.uids) == ("mail.example.org", "alice@example.org", (1,))
    notes = [n.text for n in world.trace.of_type(Note)]
    assert notes == [f"{conn.id}: the login alice@example.org reaches the mailboxes on mail.example.org, the mail "
                     "host of example.org (mailboxes.serve.example looks the domain up)"]


def test_a_password_is_checked_by_the_users_own_host():
    world = world_with_front()
    conn = world.net.connect("bob-laptop", FRONT_HOST, 143)
    out = talk(conn, b"a LOGIN bob@example.net wonderland\r\n")  # Alice's password, Bob's name
    assert b"a NO [AUTHENTICATIONFAILED]" in out


def test_the_pop3_lock_is_the_mail_hosts():
    """A device reading through the front and one reading mx.example.net itself exclude each other (RFC 1939 8)."""
    world = world_with_front()
    direct = world.net.connect("bob-phone", "mx.example.net", 110)
    assert b"+OK" in talk(direct, b"USER bob@example.net\r\n", b"PASS builder\r\n").splitlines()[-1]
    front = world.net.connect("bob-laptop", FRONT_HOST, 110)
    assert b"-ERR [IN-USE]" in talk(front, b"USER bob@example.net\r\n", b"PASS builder\r\n")
    talk(direct, b"QUIT\r\n")
    again = world.net.connect("bob-laptop", FRONT_HOST, 110)
    assert b"+OK bob@example.net's maildrop" in talk(again, b"USER bob@example.net\r\n", b"PASS builder\r\n")


def test_an_idle_session_on_the_front_hears_of_a_delivery_on_the_mail_host():
    world = world_with_front()
    conn = world.net.connect("bob-laptop", FRONT_HOST, 143)
    talk(conn, b"a LOGIN bob@example.net builder\r\n", b"b SELECT INBOX\r\n", b"c IDLE\r\n")
    world.mailhost_for("bob@example.net").deliver_local("bob@example.net", "alice@example.org",
                                                          b"Subject: New\r\n\r\nx\r\n")
    assert conn.read() == b"* 1 EXISTS\r\n"
