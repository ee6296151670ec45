"""IMAP through ``mailsim serve`` (2143): imaplib, imapclient and curl read what smtplib delivered.

The mailbox front routes each login to the mail host of its domain
(simulator/agents/front.py), so Bob reads mx.example.net's mailboxes and
Alice mail.example.org's through the same port.
"""

from __future__ import annotations

import imaplib
import re
import socket
import subprocess

import pytest

from simulator.trace import ConnectionClosed, ConnectionOpened, MailboxView

WAIT = 10.0  # seconds any single wait may take


def test_imaplib_session_over_the_commands_real_clients_use(served):
    sw = served()
    sw.deliver("First")
    sw.deliver("Second")
    with imaplib.IMAP4("127.0.0.1", sw.port("imap"), timeout=WAIT) as imap:
        assert "IMAP4REV2" in imap.capabilities or "IMAP4REV1" in imap.capabilities
        typ, data = imap.login("bob@example.net", "builder")
        assert typ == "OK"
        typ, folders = imap.list()
        assert typ == "OK"
        names = [re.search(rb'"([^"]*)"\s*$', line).group(1) for line in folders]
        assert {b"INBOX", b"Sent", b"Trash"} <= set(names)
        assert any(b"\\Trash" in line for line in folders)  # RFC 6154 special use
        typ, [count] = imap.select("INBOX")
        assert (typ, count) == ("OK", b"2")
        typ, [found] = imap.search(None, "SUBJECT", "Second")
        assert found == b"2"
        typ, parts = imap.fetch("1", "(UID RFC822)")
        assert typ == "OK"
        assert b"Subject: First" in parts[0][1]
        assert b"Return-Path: <alice@example.org>" in parts[0][1]
        assert sw.flags("bob@example.net", 1) == {"\\Seen"}  # RFC822 sets \Seen (RFC 9051 6.4.5)
        typ, _ = imap.store("2", "+FLAGS", r"(\Flagged)")
        assert typ == "OK"
        typ, data = imap.copy("2", "Trash")
        assert typ == "OK" and b"COPYUID" in data[0]
        assert sw.count("bob@example.net", "Trash") == 1
        imap.store("1", "+FLAGS", r"(\Deleted)")
        typ, expunged = imap.expunge()
        assert (typ, expunged) == ("OK", [b"1"])
        # APPEND's message is a synchronising literal: imaplib waits for the "+" before sending it.
        typ, data = imap.append("INBOX", r"(\Seen)", None, b"Subject: Appended\r\n\r\nBy imaplib.\r\n")
        assert typ == "OK" and b"APPENDUID" in data[0]
        imap.close()
        typ, _ = imap.logout()
        assert typ == "BYE"
    assert sw.uids("bob@example.net") == [2, 3]
    assert sw.flags("bob@example.net", 2) == {"\\Flagged"}
    assert sw.flags("bob@example.net", 3) == {"\\Seen"}
    # The trace: a connection to the front, a Note naming the host the login reached, views on that host.
    notes = sw.notes()
    assert any("the login bob@example.net reaches the mailboxes on mx.example.net" in n for n in notes)
    views = sw.call(lambda: sw.world.trace.of_type(MailboxView))
    assert views and {v.host for v in views} == {"mx.example.net"}
    [opened] = sw.call(lambda: sw.world.trace.of_type(ConnectionOpened))[-1:]
    assert (opened.server_host, opened.port) == ("mailbox-front", 143)


def test_alice_and_bob_read_their_own_mail_through_one_port(served):
    sw = served()
    sw.deliver("For Bob")
    sw.deliver("For Alice", to="alice@example.org")
    for user, password, subject in (("bob@example.net", "builder", b"For Bob"),
                                    ("alice@example.org", "wonderland", b"For Alice")):
        with imaplib.IMAP4("127.0.0.1", sw.port("imap"), timeout=WAIT) as imap:
            imap.login(user, password)
            imap.select("INBOX", readonly=True)
            typ, [nums] = imap.search(None, "ALL")
            assert nums == b"1"
            typ, parts = imap.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
            assert subject in parts[0][1]
            imap.logout()
    assert any("the login alice@example.org reaches the mailboxes on mail.example.org" in n for n in sw.notes())


def test_a_wrong_password_and_an_unknown_domain_are_refused(served):
    sw = served()
    with imaplib.IMAP4("127.0.0.1", sw.port("imap"), timeout=WAIT) as imap:
        with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
            imap.login("bob@example.net", "wrong")
        with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
            imap.login("bob@nowhere.example", "builder")
        imap.logout()
    assert any("bob@nowhere.example' names no domain whose mailboxes this world keeps" in n for n in sw.notes())


def test_imapclient_fetches_envelope_and_bodystructure_and_idles(served):
    imapclient = pytest.importorskip("imapclient")
    sw = served()
    sw.deliver("Structured", body="Plain text body.")
    client = imapclient.IMAPClient("127.0.0.1", port=sw.port("imap"), ssl=False, timeout=WAIT)
    client.login("bob@example.net", "builder")
    info = client.select_folder("INBOX")
    assert info[b"EXISTS"] == 1
    [uid] = client.search(["SUBJECT", "Structured"])
    data = client.fetch([uid], ["ENVELOPE", "BODYSTRUCTURE", "FLAGS"])[uid]
    envelope = data[b"ENVELOPE"]
    assert envelope.subject == b"Structured"
    assert envelope.from_[0].mailbox == b"alice" and envelope.from_[0].host == b"example.org"
    assert data[b"BODYSTRUCTURE"][0].lower() == b"text"
    assert data[b"FLAGS"] == ()
    # IDLE (RFC 2177): a message delivered meanwhile is told at once, with no command asked.
    client.idle()
    sw.deliver("While idling")
    responses = client.idle_check(timeout=WAIT)
    assert (2, b"EXISTS") in responses
    client.idle_done()
    assert client.search(["SUBJECT", "While idling"]) == [uid + 1]
    client.logout()


def test_curl_reads_the_inbox_and_a_message(served, os_client):
    sw = served()
    sw.deliver("Read by curl")
    base = f"imap://127.0.0.1:{sw.port('imap')}"
    common = [os_client("curl"), "--silent", "--show-error", "--max-time", "20", "-u", "bob@example.net:builder"]
    listed = subprocess.run([*common, f"{base}/"], capture_output=True, text=True, timeout=60,
                            stdin=subprocess.DEVNULL)
    assert listed.returncode == 0, listed.stderr
    assert "INBOX" in listed.stdout
    fetched = subprocess.run([*common, f"{base}/INBOX;UID=1"], capture_output=True, text=True, timeout=60,
                             stdin=subprocess.DEVNULL)
    assert fetched.returncode == 0, fetched.stderr
    assert "Subject: Read by curl" in fetched.stdout


def test_the_imap_autologout_says_bye(served):
    sw = served(imap_idle_timeout=0.3)
    sock = socket.create_connection(("127.0.0.1", sw.port("imap")), timeout=WAIT)
    data = b""
    while True:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    sock.close()
    assert data.startswith(b"* OK ")
    assert b"\r\n* BYE " in data
    closed = sw.call(lambda: sw.world.trace.of_type(ConnectionClosed))
    assert [(e.by, e.reason) for e in closed] == [("server", "idle timeout")]


def test_the_imap_autologout_is_thirty_minutes_by_default(served):
    sw = served()
    assert sw.bridge.idle_timeouts == {"smtp": 300.0, "imap": 1800.0, "pop3": 600.0}


def read_until(sock: socket.socket, marker: bytes) -> bytes:
    data = b""
    while marker not in data:
        chunk = sock.recv(4096)
        assert chunk, f"closed before {marker!r}; got {data!r}"
        data += chunk
    return data


def test_a_synchronising_literal_gets_its_continuation_before_the_octets_are_sent(served):
    """RFC 9051 4.3 and 7.6: after "{n}" CRLF the client waits for "+"; the bridge writes it at once."""
    sw = served()
    sock = socket.create_connection(("127.0.0.1", sw.port("imap")), timeout=WAIT)
    sock.settimeout(WAIT)
    read_until(sock, b"\r\n")
    sock.sendall(b"a LOGIN {15}\r\n")
    assert read_until(sock, b"\r\n").startswith(b"+ ")  # nothing more was sent: the server must speak first
    sock.sendall(b"bob@example.net {7}\r\n")
    assert read_until(sock, b"\r\n").startswith(b"+ ")
    sock.sendall(b"builder\r\n")
    assert b"a OK " in read_until(sock, b"a OK")
    # A non-synchronising literal (RFC 7888 LITERAL+) comes with its command, which is handed over whole.
    message = b"Subject: LITERAL+\r\n\r\nBy a raw socket.\r\n"
    sock.sendall(b"b APPEND INBOX {%d+}\r\n%s\r\n" % (len(message), message))
    assert b"b OK [APPENDUID" in read_until(sock, b"b OK")
    sock.sendall(b"c LOGOUT\r\n")
    read_until(sock, b"c OK")
    sock.close()
    assert sw.count("bob@example.net") == 1
