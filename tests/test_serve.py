"""``mailsim serve`` against real clients: smtplib, swaks, curl and raw sockets (after h11's
``test_against_stdlib_http``).

The bridge runs in a background thread with its own event loop, on ephemeral
127.0.0.1 ports. Every wait has a timeout, so a broken bridge fails the test
instead of hanging it; nothing asserts how fast anything is.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import queue
import re
import select
import signal
import smtplib
import socket
import struct
import subprocess
import sys
import threading
import time
from email.message import EmailMessage

import pytest

from simulator.agents.world import DEFAULT_SPEC, UserSpec
from simulator.serve import (
    LISTENERS,
    REAL_CLIENT,
    Bridge,
    ServeError,
    load_world,
    loopback_host,
    serve_world,
)
from simulator.trace import (
    BytesSent,
    ConnectionClosed,
    ConnectionOpened,
    ConnectionRefused,
    Note,
    QueueChanged,
)

WAIT = 10.0  # seconds any single wait may take before the test fails
FREE_PORTS = {li.name: 0 for li in LISTENERS}  # never the default ports: other tests may be serving
HELO = "smtplib.example"


# --- the bridge in a background thread -------------------------------------------


class ThreadedBridge:
    """A Bridge serving from its own thread and event loop until :meth:`stop`."""

    def __init__(self, world, **options) -> None:
        self.world = world
        self.options = options
        self.lines: list[str] = []
        self.error: BaseException | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    async def _main(self) -> None:
        self.loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        try:
            self.bridge = Bridge(self.world, ports=FREE_PORTS, out=self.lines.append,
                                 **self.options)
            await self.bridge.start()
        except BaseException as exc:
            self.error = exc
            self._ready.set()
            return
        self._ready.set()
        try:
            await self._stop.wait()
        finally:
            await self.bridge.aclose()

    def start(self) -> ThreadedBridge:
        self._thread.start()
        assert self._ready.wait(WAIT), "the bridge did not start"
        if self.error is not None:
            raise self.error
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self.loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(WAIT)
            assert not self._thread.is_alive(), "the bridge did not stop"

    @property
    def submission(self) -> int:
        return self.bridge.ports["submission"]

    @property
    def smtp(self) -> int:
        return self.bridge.ports["smtp"]

    def call(self, fn):
        """Run ``fn`` on the bridge's loop (the world belongs to that thread) and return its result."""
        done: concurrent.futures.Future = concurrent.futures.Future()

        def run() -> None:
            try:
                done.set_result(fn())
            except BaseException as exc:
                done.set_exception(exc)

        self.loop.call_soon_threadsafe(run)
        return done.result(timeout=WAIT)

    def wait_until(self, predicate, what: str) -> None:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            if self.call(predicate):
                return
            time.sleep(0.02)
        pytest.fail(f"timed out waiting until {what}")

    def inbox(self, user: str) -> list[bytes]:
        def read() -> list[bytes]:
            mh = self.world.mailhost_for(user)
            return [m.data for m in mh.store.folder(user).messages]

        return self.call(read)

    def count(self, user: str) -> int:
        return self.call(lambda: self.world.mailbox_count(user))


def spec_with_carol(**limits):
    """The default world with Carol, whose real client may submit without AUTH: RFC 6409 4.3's protected
    subnetwork, kept as a world option (mailsim serve requires AUTH otherwise; see tests/serve/)."""
    spec = DEFAULT_SPEC.copy()
    spec.domain("example.net").users.append(UserSpec("carol@example.net", "carol", "Carol"))
    spec.trusted_networks = ["provider"]
    for name, value in limits.items():
        setattr(spec, name, value)
    return spec


@pytest.fixture
def serve():
    """``serve(spec=None, **bridge_options)`` starts a bridge; all are stopped after the test."""
    started: list[ThreadedBridge] = []

    def start(spec=None, **options) -> ThreadedBridge:
        tb = ThreadedBridge(serve_world(spec or spec_with_carol()), **options)
        started.append(tb)
        return tb.start()

    yield start
    for tb in started:
        tb.stop()


# Straight to the MX port a real client is a stranger's server: mail as alice@example.org would
# fail SPF there and example.org's DMARC policy (p=reject) refuses it, so those tests send as
# Mallory, whose evil.example publishes no DMARC policy and allows the client's address range.
MALLORY = "mallory@evil.example"


def message(subject: str, to: str = "bob@example.net", sender: str = "alice@example.org") -> bytes:
    return (
        f"From: {sender.partition('@')[0].title()} <{sender}>\r\nTo: {to}\r\nSubject: {subject}\r\n\r\n"
        "Hello from a real client.\r\n.A line that starts with a dot.\r\n"
    ).encode()


# --- raw sockets ---------------------------------------------------------------------

def connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
    sock.settimeout(WAIT)
    return sock


def read_replies(sock: socket.socket, count: int = 1) -> list[str]:
    """Read until ``count`` complete replies have come (a multiline reply counts once)."""
    data = b""
    while True:
        lines = data.split(b"\r\n")[:-1]  # the complete ones
        if sum(1 for line in lines if re.match(rb"\d{3}(?: |\Z)", line)) >= count:
            return [line.decode() for line in lines]
        chunk = sock.recv(4096)
        if not chunk:
            return [line.decode() for line in data.split(b"\r\n") if line]
        data += chunk


def read_until_eof(sock: socket.socket) -> bytes:
    """Everything until the server closes (a reset counts: a client still sending gets one)."""
    data = b""
    while True:
        try:
            chunk = sock.recv(4096)
        except ConnectionResetError:
            return data
        if not chunk:
            return data
        data += chunk


# --- smtplib -------------------------------------------------------------------------


def test_smtplib_submission_relays_to_several_recipients(serve):
    tb = serve()
    with smtplib.SMTP("127.0.0.1", tb.submission, local_hostname=HELO, timeout=WAIT) as client:
        code, _ = client.ehlo()
        assert code == 250
        assert client.has_extn("pipelining")
        assert client.has_extn("enhancedstatuscodes")
        refused = client.sendmail(
            "alice@example.org",
            ["bob@example.net", "carol@example.net", "postmaster@example.net"],
            message("Three recipients"),
        )
        assert refused == {}
    tb.wait_until(lambda: tb.world.mailbox_count("postmaster@example.net") == 1, "all three have it")
    for user in ("bob@example.net", "carol@example.net", "postmaster@example.net"):
        [data] = tb.inbox(user)
        # Return-Path on final delivery (RFC 5321 4.4), one Received per hop.
        assert data.startswith(b"Return-Path: <alice@example.org>\r\n")
        assert data.count(b"\r\nReceived: ") == 2
        assert b"by mx.example.net" in data and b"by mail.example.org" in data
        assert b"from smtplib.example (real-client.example [192.0.2.200])" in data
        assert b"\r\nSubject: Three recipients\r\n" in data
        assert b"\r\n.A line that starts with a dot.\r\n" in data  # dot-unstuffed once
        assert b"Message-ID: " in data  # added by the MSA (RFC 6409 8.3)
    # The real client's loopback address never enters the virtual world.
    assert "127.0.0.1" not in tb.call(tb.world.trace.dumps)
    opened = [e for e in tb.world.trace.of_type(ConnectionOpened) if e.client_host == REAL_CLIENT]
    assert [(e.client_addr, e.server_host, e.port) for e in opened] == [("192.0.2.200", "mail.example.org", 587)]
    # ... only the log shows it.
    assert any(re.search(r"c1 is your client 127\.0\.0\.1:\d+, connected to 127\.0\.0\.1:\d+", line)
               for line in tb.lines)
    assert any(line.endswith(f"c1 C: ehlo {HELO}") for line in tb.lines)  # smtplib writes verbs in lower case
    assert any('mailbox on mx.example.net: delivered to carol@example.net INBOX UID 1 "Three recipients"' in line
               for line in tb.lines)


def test_smtplib_send_message_to_the_mx(serve):
    tb = serve()
    msg = EmailMessage()
    # Not as alice@example.org: the real client's address is not in example.org's SPF record,
    # and example.org's DMARC policy would refuse it. evil.example's record ends in ~all.
    msg["From"] = "Mallory <mallory@evil.example>"
    msg["To"] = "Bob <bob@example.net>"
    msg["Subject"] = "Straight to the MX"
    msg.set_content("No submission server on the way.\n")
    with smtplib.SMTP("127.0.0.1", tb.smtp, local_hostname=HELO, timeout=WAIT) as client:
        assert client.send_message(msg) == {}
    [data] = tb.inbox("bob@example.net")  # the MX delivers before it answers the dot
    assert data.startswith(b"Return-Path: <mallory@evil.example>\r\nAuthentication-Results: mx.example.net;\r\n")
    assert b"\r\nReceived-SPF: softfail (mx.example.net: " in data
    assert b"\r\nReceived: from smtplib.example" in data  # under the check results (RFC 7208 9.1)
    assert data.count(b"\r\nReceived: ") == 1
    assert b"by mx.example.net" in data and b"by mail.example.org" not in data


def test_the_mx_is_no_open_relay(serve):
    tb = serve()
    with smtplib.SMTP("127.0.0.1", tb.smtp, local_hostname=HELO, timeout=WAIT) as client:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as info:
            client.sendmail("alice@example.org", ["victim@elsewhere.example"], message("Relay me"))
    code, text = info.value.recipients["victim@elsewhere.example"]
    assert code == 550 and text.startswith(b"5.7.1 Relaying denied")


def test_the_mx_refuses_an_unknown_user(serve):
    tb = serve()
    with smtplib.SMTP("127.0.0.1", tb.smtp, local_hostname=HELO, timeout=WAIT) as client:
        refused = client.sendmail(MALLORY, ["nobody@example.net", "bob@example.net"],
                                  message("Half refused", sender=MALLORY))
    assert refused["nobody@example.net"][0] == 550
    assert refused["nobody@example.net"][1].startswith(b"5.1.1")
    assert tb.count("bob@example.net") == 1


def test_submission_to_an_unknown_user_bounces_back_to_the_sender(serve):
    tb = serve()
    with smtplib.SMTP("127.0.0.1", tb.submission, local_hostname=HELO, timeout=WAIT) as client:
        assert client.sendmail("alice@example.org", ["nobody@example.net"], message("Lost")) == {}
    tb.wait_until(lambda: tb.world.mailbox_count("alice@example.org") == 1, "the bounce reaches Alice")
    [bounce] = tb.inbox("alice@example.org")
    assert b"Return-Path: <>" in bounce and b"5.1.1" in bounce


def test_deferred_mail_is_retried_while_serving(serve, monkeypatch):
    from simulator import serve as serve_module
    from simulator.agents.faults import ReplyFault
    from simulator.protocols.smtp.replies import Reply

    monkeypatch.setattr(serve_module, "QUEUE_RUN_INTERVAL", 0.05)
    tb = serve()
    tb.call(lambda: tb.world.faults.add(
        ReplyFault("mx.example.net", "DATA", Reply(451, ("busy",), "4.3.0"), times=1)))
    with smtplib.SMTP("127.0.0.1", tb.submission, local_hostname=HELO, timeout=WAIT) as client:
        assert client.sendmail("alice@example.org", ["bob@example.net"], message("Later")) == {}
    queue = tb.world.mailhosts["mail.example.org"].queue
    tb.wait_until(lambda: len(queue) == 1, "the 451 defers the message")
    assert tb.count("bob@example.net") == 0
    tb.call(lambda: tb.world.net.clock.advance(300))  # the first retry is due 300 s later
    tb.wait_until(lambda: tb.world.mailbox_count("bob@example.net") == 1, "the queue runner retries")
    assert tb.call(lambda: len(queue)) == 0


def test_message_size_limit_comes_from_the_world(serve):
    tb = serve(spec_with_carol(max_message_size=2000))
    with smtplib.SMTP("127.0.0.1", tb.submission, local_hostname=HELO, timeout=WAIT) as client:
        client.ehlo()
        assert client.esmtp_features["size"] == "2000"
        with pytest.raises(smtplib.SMTPSenderRefused) as info:  # smtplib announces SIZE= (RFC 1870)
            client.sendmail("alice@example.org", ["bob@example.net"], message("Big") + b"x" * 3000 + b"\r\n")
        assert info.value.smtp_code == 552
    sock = connect(tb.smtp)  # without SIZE=, the refusal comes at the final dot
    read_replies(sock)
    sock.sendall(b"EHLO raw.example\r\nMAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n")
    assert read_replies(sock, 4)[-1].startswith("354")
    sock.sendall(b"Subject: big\r\n\r\n" + (b"y" * 500 + b"\r\n") * 10 + b".\r\n")
    assert read_replies(sock)[-1].startswith("552 5.3.4")
    sock.close()
    assert tb.count("bob@example.net") == 0


def test_a_session_fed_one_byte_at_a_time(serve):
    tb = serve()
    sock = connect(tb.smtp)
    read_replies(sock)
    session = (b"EHLO raw.example\r\nMAIL FROM:<mallory@evil.example>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n")
    for byte in session:
        sock.sendall(bytes([byte]))
    assert read_replies(sock, 4)[-1].startswith("354")
    for byte in message("Byte by byte", sender=MALLORY) + b".\r\n":
        sock.sendall(bytes([byte]))
    assert read_replies(sock)[-1].startswith("250 2.0.0")
    sock.sendall(b"QUIT\r\n")
    assert read_until_eof(sock).startswith(b"221 2.0.0")
    sock.close()
    [data] = tb.inbox("bob@example.net")
    assert b"Subject: Byte by byte\r\n" in data


def test_pipelined_commands_in_one_write(serve):
    tb = serve()
    sock = connect(tb.submission)
    read_replies(sock)
    sock.sendall(b"EHLO raw.example\r\n")
    read_replies(sock)
    sock.sendall(b"MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\n"
                 b"RCPT TO:<carol@example.net>\r\nDATA\r\n")
    replies = read_replies(sock, 4)
    assert [r[:3] for r in replies] == ["250", "250", "250", "354"]
    sock.sendall(message("Pipelined") + b".\r\nQUIT\r\n")
    tail = read_until_eof(sock)
    assert tail.startswith(b"250 2.0.0 OK queued as ") and b"\r\n221 2.0.0 " in tail
    sock.close()
    tb.wait_until(lambda: tb.world.mailbox_count("carol@example.net") == 1, "carol has it")


def test_a_bare_lf_gets_a_reply_that_explains_crlf(serve):
    # RFC 5321 2.3.8: only CRLF ends a line. The line is not run, but answered, so a
    # student typing into nc without -C is told why instead of waiting for ever.
    tb = serve()
    sock = connect(tb.smtp)
    read_replies(sock)
    sock.sendall(b"EHLO nc.example\n")  # what nc sends without -C
    reply = read_replies(sock)[-1]
    assert reply.startswith("500 5.5.2 Command line ended with a bare LF") and "nc -C" in reply
    sock.sendall(b"EHLO nc.example\r\n")
    assert read_replies(sock)[-1].startswith("250 ")
    sock.close()


# --- swaks and curl ------------------------------------------------------------------


@pytest.mark.parametrize("listener", ["submission", "smtp"])
def test_swaks_delivers(serve, listener, os_client):
    tb = serve()
    port = tb.submission if listener == "submission" else tb.smtp
    sender = "alice@example.org" if listener == "submission" else MALLORY
    proc = subprocess.run(
        [os_client("swaks"), "--to", "bob@example.net", "--from", sender,
         "--server", f"127.0.0.1:{port}", "--pipeline", "--helo", "swaks.example",
         "--header", f"Subject: swaks via {listener}", "--timeout", "10"],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "250-PIPELINING" in proc.stdout
    assert "250 2.0.0 OK queued as" in proc.stdout
    tb.wait_until(lambda: tb.world.mailbox_count("bob@example.net") == 1, "bob has the swaks message")
    [data] = tb.inbox("bob@example.net")
    assert f"Subject: swaks via {listener}".encode() in data
    assert b"X-Mailer: swaks" in data


@pytest.mark.parametrize("listener", ["submission", "smtp"])
def test_curl_delivers(serve, listener, tmp_path, os_client):
    tb = serve()
    port = tb.submission if listener == "submission" else tb.smtp
    upload = tmp_path / "message.txt"
    sender = "alice@example.org" if listener == "submission" else MALLORY
    upload.write_bytes(message(f"curl via {listener}", sender=sender))
    proc = subprocess.run(
        [os_client("curl"), "--silent", "--show-error", "--max-time", "20",
         f"smtp://127.0.0.1:{port}/curl.example",
         "--mail-from", sender, "--mail-rcpt", "bob@example.net",
         "--mail-rcpt", "carol@example.net", "-T", str(upload)],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    tb.wait_until(lambda: tb.world.mailbox_count("carol@example.net") == 1, "carol has the curl message")
    [data] = tb.inbox("bob@example.net")
    assert f"Subject: curl via {listener}".encode() in data
    assert b"from curl.example (real-client.example [192.0.2.200])" in data
    assert b"\r\n.A line that starts with a dot.\r\n" in data  # curl stuffed it, the server unstuffed it


# --- limits --------------------------------------------------------------------------


def test_connection_cap_answers_421(serve):
    tb = serve(max_connections=2)
    first, second = connect(tb.submission), connect(tb.smtp)
    assert read_replies(first)[0].startswith("220 mail.example.org")
    assert read_replies(second)[0].startswith("220 mx.example.net")
    third = connect(tb.submission)
    assert read_until_eof(third).startswith(b"421 4.7.0 mail.example.org too many connections")
    third.close()
    refused = tb.world.trace.of_type(ConnectionRefused)
    assert [(e.client_host, e.server_host) for e in refused] == [(REAL_CLIENT, "mail.example.org")]
    first.close()
    tb.wait_until(lambda: tb.bridge.open_sessions == 1, "the first session is gone")
    fourth = connect(tb.submission)
    assert read_replies(fourth)[0].startswith("220 ")
    fourth.close()
    second.close()


def test_idle_timeout_answers_421(serve):
    tb = serve(idle_timeout=0.3)
    sock = connect(tb.submission)
    read_replies(sock)
    sock.sendall(b"EHLO raw.example\r\n")
    read_replies(sock)
    assert read_until_eof(sock).startswith(b"421 4.4.2 mail.example.org idle timeout")
    sock.close()
    closed = tb.world.trace.of_type(ConnectionClosed)
    assert [(e.by, e.reason) for e in closed] == [("server", "idle timeout")]


def trickle(sock: socket.socket, data: bytes, every: float) -> threading.Thread:
    """Send ``data`` one byte every ``every`` seconds from a thread, until the server closes."""
    def run() -> None:
        for byte in data:
            try:
                sock.sendall(bytes([byte]))
            except OSError:
                return
            time.sleep(every)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_slowloris_meets_the_line_deadline_and_frees_its_slot(serve):
    """Issue 7 item 25: bytes that keep the idle timer alive do not keep a line open for ever."""
    tb = serve(max_connections=3, line_deadline=0.6, idle_timeout=WAIT)
    slow = [connect(tb.smtp) for _ in range(3)]
    for sock in slow:
        read_replies(sock)
    threads = [trickle(sock, b"EHLO " + b"s" * 200 + b"\r\n", 0.05) for sock in slow]
    turned_away = connect(tb.smtp)  # the slots are taken meanwhile
    assert read_until_eof(turned_away).startswith(b"421 4.7.0 mx.example.net too many connections")
    turned_away.close()
    for sock in slow:
        assert read_until_eof(sock).startswith(
            b"421 4.4.2 mx.example.net command line took longer than 0.6 s, closing connection\r\n")
        sock.close()
    for thread in threads:
        thread.join(WAIT)
    tb.wait_until(lambda: tb.bridge.open_sessions == 0, "the slow sessions are gone")
    legit = connect(tb.smtp)
    assert read_replies(legit)[0].startswith("220 mx.example.net")
    legit.sendall(b"QUIT\r\n")
    assert read_until_eof(legit).startswith(b"221 ")
    legit.close()
    closed = [e for e in tb.world.trace.of_type(ConnectionClosed) if e.by == "server" and e.reason]
    assert [e.reason for e in closed] == ["command line took longer than 0.6 s"] * 3
    assert sum("command line took longer than 0.6 s (--line-deadline" in line for line in tb.lines) == 3


def test_a_slow_message_meets_the_data_deadline(serve):
    """Each line comes whole and in time, but the message as a whole takes too long."""
    tb = serve(line_deadline=0.5, data_deadline=1.0, idle_timeout=WAIT)
    sock = connect(tb.smtp)
    read_replies(sock)
    sock.sendall(b"EHLO raw.example\r\nMAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n")
    assert read_replies(sock, 4)[-1].startswith("354")
    start = time.monotonic()
    for n in range(100):  # ten seconds of lines, if nothing stopped them
        sock.sendall(b"line %d\r\n" % n)
        if select.select([sock], [], [], 0.1)[0]:
            break  # the server has spoken
    assert time.monotonic() - start < 5
    data = read_until_eof(sock)
    assert data.startswith(b"421 4.4.2 mx.example.net message took longer than 1 s, closing connection")
    sock.close()
    tb.wait_until(lambda: tb.bridge.open_sessions == 0, "the session is gone")
    assert tb.count("bob@example.net") == 0  # nothing delivered after a cut mid-DATA


def test_a_slow_message_line_meets_the_line_deadline(serve):
    tb = serve(line_deadline=0.5, idle_timeout=WAIT)
    sock = connect(tb.smtp)
    read_replies(sock)
    sock.sendall(b"EHLO raw.example\r\nMAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n")
    assert read_replies(sock, 4)[-1].startswith("354")
    sock.sendall(b"Subject: slow\r\n\r\n")
    trickle(sock, b"x" * 100, 0.05)
    assert read_until_eof(sock).startswith(b"421 4.4.2 mx.example.net message line took longer than 0.5 s")
    sock.close()


def test_lines_sent_whole_never_meet_the_line_deadline(serve):
    """A client that sends complete lines, however slowly, is held to the idle timer only."""
    tb = serve(line_deadline=0.3, idle_timeout=WAIT)
    sock = connect(tb.smtp)
    read_replies(sock)
    for _ in range(4):
        sock.sendall(b"NOOP\r\n")
        assert read_replies(sock)[-1].startswith("250 ")
        time.sleep(0.2)  # 0.8 s in all, longer than the line deadline
    sock.sendall(b"NO")  # a line split in two writes, finished in time
    time.sleep(0.1)
    sock.sendall(b"OP\r\n")
    assert read_replies(sock)[-1].startswith("250 ")
    sock.sendall(b"QUIT\r\n")
    assert read_until_eof(sock).startswith(b"221 ")
    sock.close()


@pytest.mark.parametrize(("option", "value"), [("line_deadline", 0), ("line_deadline", 301),
                                               ("data_deadline", -1), ("data_deadline", 601)])
def test_deadlines_are_bounded_by_rfc_5321_timers(option, value):
    with pytest.raises(ServeError, match=r"--(line|data)-deadline must be more than 0 and at most"):
        Bridge(serve_world(), **{option: value})


@pytest.mark.parametrize("how", ["close", "reset"])
@pytest.mark.parametrize("listener", ["submission", "smtp"])
def test_a_drop_mid_data_delivers_nothing(serve, listener, how):
    tb = serve()
    sock = connect(tb.submission if listener == "submission" else tb.smtp)
    read_replies(sock)
    sock.sendall(b"EHLO raw.example\r\nMAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n")
    assert read_replies(sock, 4)[-1].startswith("354")
    sock.sendall(b"Subject: cut short\r\n\r\nThe first half of a message\r\n")
    if how == "reset":  # an RST instead of a FIN
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()
    tb.wait_until(lambda: any(isinstance(e, ConnectionClosed) for e in tb.world.trace.events),
                  "the bridge saw the drop")
    tb.wait_until(lambda: tb.bridge.open_sessions == 0, "the session is gone")
    assert tb.count("bob@example.net") == 0
    assert not tb.world.trace.of_type(QueueChanged)
    [closed] = tb.world.trace.of_type(ConnectionClosed)
    assert closed.by == "client"


def c2s_bytes(tb, conn: str | None = None) -> int:
    """Client bytes the in-memory trace holds (all connections, or one)."""
    return tb.call(lambda: sum(len(e.plaintext) for e in tb.world.trace.of_type(BytesSent)
                               if e.direction == "c2s" and conn in (None, e.conn)))


def test_line_bombs_are_dropped_as_they_are_read(serve):
    """Issue 7 item 24: twenty command lines of 2 MiB without CRLF, then each its CRLF."""
    from simulator.serve import MAX_HELD, READ_SIZE

    tb = serve()
    socks = [connect(tb.smtp) for _ in range(20)]
    for sock in socks:
        read_replies(sock)
    piece = b"x" * (256 * 1024)
    for _ in range(8):  # interleaved, so all twenty are mid-line at once
        for sock in socks:
            sock.sendall(piece)
    for sock in socks:
        sock.sendall(b"\r\nNOOP\r\n")
    for sock in socks:
        replies = read_replies(sock, 2)
        assert replies[0].startswith("500 5.5.2 Line too long")
        assert replies[1].startswith("250 ")
    # What the server held of one line, and what its trace keeps, stays near the limit.
    assert tb.bridge.held_peak <= MAX_HELD + READ_SIZE
    assert c2s_bytes(tb) <= 20 * (MAX_HELD + 64)
    notes = [e.text for e in tb.world.trace.of_type(Note) if "dropped as they arrived" in e.text]
    assert len(notes) == 20
    assert all(f"the other {2 * 1024 * 1024 - MAX_HELD} were dropped" in n for n in notes)
    for sock in socks:
        sock.close()


def test_a_line_bomb_in_data_is_dropped_too(serve):
    from simulator.serve import MAX_HELD

    tb = serve()
    sock = connect(tb.smtp)
    read_replies(sock)
    sock.sendall(b"EHLO raw.example\r\nMAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n")
    assert read_replies(sock, 4)[-1].startswith("354")
    sock.sendall(b"Subject: bomb\r\n\r\n")
    for _ in range(16):
        sock.sendall(b"y" * 65536 + b"\r" * (_ % 2))  # a CR now and then, never followed by LF
    sock.sendall(b"\r\n.\r\n")
    reply = read_replies(sock)[-1]
    assert reply.startswith("554 5.6.0") and "longer than 1000 octets" in reply  # at the dot (RFC 5321 4.5.3.1.6)
    sock.close()
    assert tb.count("bob@example.net") == 0
    assert c2s_bytes(tb) < 2 * MAX_HELD


def test_a_crlf_split_across_reads_ends_a_dropped_line(serve):
    tb = serve()
    sock = connect(tb.smtp)
    read_replies(sock)
    sock.sendall(b"z" * 100_000 + b"\r")
    time.sleep(0.2)  # let the bridge read the CR on its own
    sock.sendall(b"\nNOOP\r\n")
    replies = read_replies(sock, 2)
    assert replies[0].startswith("500 ") and replies[1].startswith("250 ")
    sock.close()


def test_a_bare_lf_ends_a_dropped_command_line(serve):
    """Out of DATA a bare LF ends a command line (the machine answers it), dropped or not."""
    tb = serve()
    sock = connect(tb.smtp)
    read_replies(sock)
    sock.sendall(b"w" * 300_000 + b"\nNOOP\r\n")
    replies = read_replies(sock, 2)
    assert replies[0].startswith("500 ") and replies[1].startswith("250 ")
    sock.close()


def test_a_refused_line_prints_a_capped_line(serve):
    from simulator.serve import LOG_LINE_LIMIT

    tb = serve()
    sock = connect(tb.smtp)
    read_replies(sock)
    sock.sendall(b"q" * 1_000_000 + b"\r\n")
    assert read_replies(sock)[0].startswith("500 ")
    sock.close()
    tb.wait_until(lambda: tb.bridge.open_sessions == 0, "the session is gone")
    longest = max(len(line) for line in tb.lines)
    assert longest <= LOG_LINE_LIMIT + 60
    assert sum(len(line) for line in tb.lines) < 20_000
    assert any("more characters not shown" in line for line in tb.lines)


def test_a_class_fits_by_default(serve):
    """Issue 7 item 26: 200 sessions at once, each greeted; the listen backlog holds them."""
    from simulator.serve import DEFAULT_MAX_CONNECTIONS, listen_backlog

    assert DEFAULT_MAX_CONNECTIONS >= 200
    assert listen_backlog(DEFAULT_MAX_CONNECTIONS) >= 2 * DEFAULT_MAX_CONNECTIONS
    tb = serve()
    assert tb.bridge.max_connections == DEFAULT_MAX_CONNECTIONS
    socks = [socket.create_connection(("127.0.0.1", tb.smtp), timeout=WAIT) for _ in range(200)]
    try:
        for sock in socks:
            sock.settimeout(WAIT)
            assert read_replies(sock)[0].startswith("220 mx.example.net")
        assert tb.bridge.open_sessions == 200
        assert not tb.world.trace.of_type(ConnectionRefused)
    finally:
        for sock in socks:
            sock.close()


def test_the_trace_window_keeps_recent_sessions_within_their_budget():
    """Issue 7 item 27, without sockets: what the window keeps of many sessions."""
    from simulator.serve import TraceWindow
    from simulator.trace import Recorder

    rec = Recorder(lambda: 0.0)
    window = TraceWindow(rec.trace, sessions=2, max_events=4, max_bytes=100, loose=3)
    rec.listeners.append(window)
    for n in range(10):
        conn = f"c{n}"
        rec.record(ConnectionOpened(conn=conn, client_host="a", client_addr="192.0.2.1", server_host="b",
                                    server_addr="192.0.2.2", port=25, service="smtp"))
        for _ in range(20):  # far past the session's budget of 4 events and 100 bytes
            rec.record(BytesSent(conn=conn, direction="c2s", plaintext=b"x" * 30, wire=b"x" * 30))
        rec.record(Note(text=f"loose {n}"))
        rec.record(ConnectionClosed(conn=conn, by="client"))
    rec.record(ConnectionOpened(conn="open", client_host="a", client_addr="192.0.2.1", server_host="b",
                                server_addr="192.0.2.2", port=25, service="smtp"))
    window.compact()
    events = rec.trace.events
    seqs = [e.seq for e in events]
    assert seqs == sorted(set(seqs))  # unique and in order, though most are gone
    assert seqs[-1] == 10 * 23  # the recorder counts every event, kept or not
    assert {e.conn for e in events if hasattr(e, "conn")} == {"c8", "c9", "open"}
    for conn in ("c8", "c9"):
        mine = [e for e in events if getattr(e, "conn", "") == conn]
        sent = [e for e in mine if isinstance(e, BytesSent)]
        assert len(sent) == 3  # 100 bytes' worth of 30-byte chunks: the session's first part
        assert isinstance(mine[0], ConnectionOpened) and isinstance(mine[-1], ConnectionClosed)
    assert [e.text for e in events if isinstance(e, Note)] == ["loose 7", "loose 8", "loose 9"]
    assert window.dropped == 10 * 23 + 1 - len(events)


def test_a_long_serve_keeps_a_window_in_memory_and_streams_the_rest(serve, tmp_path):
    from simulator.trace import Trace

    path = tmp_path / "trace.json"
    tb = serve(trace_window=2, trace_json=path)
    for n in range(6):
        with smtplib.SMTP("127.0.0.1", tb.smtp, local_hostname=HELO, timeout=WAIT) as client:
            client.sendmail(MALLORY, ["bob@example.net"], message(f"Number {n}", sender=MALLORY))
    tb.wait_until(lambda: tb.bridge.open_sessions == 0, "every session is gone")
    tb.call(tb.bridge.trace_window.compact)
    in_memory = tb.call(lambda: [e.conn for e in tb.world.trace.of_type(ConnectionOpened)])
    assert in_memory == ["c5", "c6"]  # one connection per message: the last two are kept
    tb.stop()
    streamed = Trace.load(path)
    assert [e.seq for e in streamed.events] == list(range(len(streamed.events)))
    assert [e.conn for e in streamed.of_type(ConnectionOpened)] == ["c1", "c2", "c3", "c4", "c5", "c6"]
    subjects = [e.subject for e in streamed.events if getattr(e, "subject", "")]
    assert [f"Number {n}" for n in range(6)] == [s for s in subjects if s.startswith("Number")]
    assert streamed.meta == tb.world.trace.meta


def test_memory_does_not_grow_with_the_bytes_received(serve):
    from simulator.serve import SESSION_TRACE_BYTES

    tb = serve(trace_window=2)
    body = message("Big", sender=MALLORY) + (b"z" * 998 + b"\r\n") * 300  # 300 kB a message
    for _ in range(8):
        with smtplib.SMTP("127.0.0.1", tb.smtp, local_hostname=HELO, timeout=WAIT) as client:
            client.sendmail(MALLORY, ["bob@example.net"], body)
    tb.wait_until(lambda: tb.bridge.open_sessions == 0, "every session is gone")
    tb.call(tb.bridge.trace_window.compact)
    assert c2s_bytes(tb) <= 2 * SESSION_TRACE_BYTES  # 2.4 MB were sent
    assert tb.count("bob@example.net") == 8


def test_the_live_log_forgets_closed_sessions(serve):
    """What the log's reader keeps of a connection goes when it closes (a term of sessions)."""
    tb = serve()
    for n in range(3):
        with smtplib.SMTP("127.0.0.1", tb.submission, local_hostname=HELO, timeout=WAIT) as client:
            client.sendmail("alice@example.org", ["bob@example.net"], message(f"Forget {n}"))
    tb.wait_until(lambda: tb.world.mailbox_count("bob@example.net") == 3, "bob has all three")
    tb.wait_until(lambda: tb.bridge.open_sessions == 0, "every session is gone")
    seen = tb.call(lambda: tb.bridge._transcript.printer.reader.world)
    # Of six connections (each submission relayed on), only the last two may linger.
    conns = tb.call(lambda: {*seen.conns, *(conn for conn, _ in seen.machines), *seen.closed})
    assert conns <= {"c5", "c6"}
    assert any('delivered to bob@example.net INBOX UID 3 "Forget 2"' in line for line in tb.lines)  # the log goes on


def test_an_unwritable_trace_path_is_a_clear_error(tmp_path):
    async def start() -> None:
        await Bridge(serve_world(), ports=FREE_PORTS,
                     trace_json=tmp_path / "no" / "such" / "dir" / "t.json").start()

    with pytest.raises(ServeError, match=r"cannot write the trace to .*t\.json"):
        asyncio.run(start())


def test_stopping_sends_421_and_closes_the_sockets(serve):
    tb = serve()
    sock = connect(tb.submission)
    read_replies(sock)
    sock.sendall(b"EHLO raw.example\r\n")
    read_replies(sock)
    ports = (tb.submission, tb.smtp)
    tb.stop()
    assert read_until_eof(sock).startswith(b"421 4.3.2 mail.example.org service shutting down")
    sock.close()
    for port in ports:
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=WAIT).close()
    [closed] = tb.world.trace.of_type(ConnectionClosed)
    assert (closed.by, closed.reason) == ("server", "server shutting down")
    assert tb.world.net.recorder.listeners == []


# --- options -------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.1", "10.0.0.1", "example.com", ""])
def test_only_loopback_addresses_are_allowed(host):
    with pytest.raises(ServeError):
        loopback_host(host)
    with pytest.raises(ServeError):
        Bridge(serve_world(), host=host)


@pytest.mark.parametrize(("host", "bound"), [("127.0.0.1", "127.0.0.1"), ("127.0.0.2", "127.0.0.2"),
                                              ("::1", "::1"), ("localhost", "127.0.0.1")])
def test_loopback_addresses(host, bound):
    assert loopback_host(host) == bound


def test_a_busy_port_is_a_clear_error(serve):
    tb = serve()

    async def start_another() -> None:
        await Bridge(serve_world(), ports={**FREE_PORTS, "submission": tb.submission}).start()

    with pytest.raises(ServeError, match=r"cannot listen on 127\.0\.0\.1:\d+ for submission"):
        asyncio.run(start_another())


def test_the_world_of_a_scenario():
    world = load_world("smtp-basics")
    assert world.net.find_host(REAL_CLIENT) is not None
    assert world.mailhost_for("bob@example.net").name == "mx.example.net"


def test_a_missing_world_file_is_a_clear_error():
    with pytest.raises(ServeError, match="no such file"):
        load_world("no-such-scenario.yaml")


# --- the command ---------------------------------------------------------------------


def test_mailsim_serve_end_to_end(tmp_path):
    trace_path = tmp_path / "trace.json"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "simulator.cli", "serve",
         *(arg for li in LISTENERS for arg in (f"--{li.name}-port", "0")),
         "--trace-json", str(trace_path)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True, env=env,
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    seen: list[str] = []

    def wait_for(pattern: str) -> re.Match:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                break
            seen.append(line)
            m = re.search(pattern, line)
            if m:
                return m
        pytest.fail(f"mailsim serve never printed {pattern!r}; it printed:\n" + "\n".join(seen))

    try:
        ports = {}
        for name in ("submission", "smtp"):
            m = wait_for(rf"^\s+{name}\s+127\.0\.0\.1:(\d+)\s")
            ports[name] = int(m.group(1))
        assert all(port > 0 for port in ports.values())
        wait_for("Ctrl-C stops the server")
        with smtplib.SMTP("127.0.0.1", ports["submission"], local_hostname=HELO, timeout=WAIT) as client:
            client.starttls()  # no certificate check here: tests/serve/ verifies the chain
            client.login("alice@example.org", "wonderland")  # RFC 6409 4.3: submission requires AUTH
            client.sendmail("alice@example.org", ["bob@example.net"], message("From the command line"))
        wait_for(r'mailbox on mx\.example\.net: delivered to bob@example\.net INBOX UID 1 "From the command line"')
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=WAIT) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=WAIT)
    while True:
        try:
            line = lines.get(timeout=WAIT)
        except queue.Empty:
            break
        if line is None:
            break
        seen.append(line)
    out = "\n".join(seen)
    assert "Mailboxes:" in out
    assert re.search(r"bob@example\.net\s+INBOX\s+on mx\.example\.net\s+1 message\n", out), out
    assert re.search(r"alice@example\.org\s+INBOX\s+on mail\.example\.org\s+0 messages", out), out
    assert "Traceback" not in out
    # The real client's address and port never enter the world (the served certificate names
    # 127.0.0.1 among its host names, which is what a client on this computer checks).
    assert trace_path.is_file() and not re.search(r"127\.0\.0\.1:\d+", trace_path.read_text())


def test_the_cli_imports_serve_only_for_serve():
    code = ("import sys; from simulator.cli import build_parser; build_parser().parse_args(['run', 'x']); "
            "assert 'simulator.serve' not in sys.modules")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


def test_mailsim_serve_refuses_a_public_address():
    proc = subprocess.run([sys.executable, "-m", "simulator.cli", "serve", "--host", "0.0.0.0"],
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode == 2
    assert "refusing to listen on 0.0.0.0: only loopback addresses" in proc.stderr
    assert "Traceback" not in proc.stderr
