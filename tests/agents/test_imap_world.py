"""IMAP in the virtual world: mx.example.net listens on 143, a scenario talks to it line by line,
and a session idling on one device hears of what another device does (RFC 2177 over a Connection)."""

from __future__ import annotations

import textwrap

from simulator.agents.world import build_world
from simulator.protocols.registry import protocol
from simulator.scenario.loader import load_scenario
from simulator.scenario.runner import run_scenario
from simulator.trace import MailboxView, ReplySent

SCENARIO = textwrap.dedent(
    """\
    id: imap-runner
    title: IMAP by hand
    steps:
      - id: send
        action: send_message
        from: alice-laptop
        sender: alice@example.org
        to: [bob@example.net]
        subject: Lunch?
        body: Noon at the usual place.
      - id: queue
        action: run_queue
      - id: connect
        action: connect
        from: bob-phone
        to: mx.example.net
        port: 143
        expect: {reply: OK, state: {machine: imap.server, state: NOT_AUTHENTICATED}}
      - id: login
        action: send
        line: a1 LOGIN bob@example.net builder
        expect: {reply: {code: OK, contains: logged in}, state: {machine: imap.server, state: AUTHENTICATED}}
      - id: wrong
        action: send
        line: a2 SELECT Nowhere
        expect: {reply: {code: NO, enhanced: NONEXISTENT}}
      - id: select
        action: send
        line: a3 SELECT INBOX
        expect: {reply: {code: OK, enhanced: READ-WRITE}, state: {machine: imap.server, state: SELECTED}}
      - id: fetch
        action: send
        line: a4 FETCH 1 (FLAGS BODY[HEADER.FIELDS (SUBJECT)])
        expect: {reply: OK}
      - id: logout
        action: send
        line: a5 LOGOUT
        expect: {replies: [BYE, OK], closed: true}
    """
)


def test_a_scenario_talks_imap_to_port_143_and_expectations_read_naturally(tmp_path):
    path = tmp_path / "imap.yaml"
    path.write_text(SCENARIO)
    result = run_scenario(load_scenario(path))
    assert result.ok, result.failures
    replies = [e for e in result.trace if isinstance(e, ReplySent) and e.machine == "imap.server"]
    assert replies[0].code == "* OK" and any(r.code == "a3 OK" for r in replies)


def test_idle_on_one_device_hears_the_other_through_the_connection():
    world = build_world()
    phone = world.net.connect("bob-phone", "mx.example.net", 143)
    laptop = world.net.connect("bob-laptop", "mx.example.net", 143)
    for conn in (phone, laptop):
        conn.send(b"a LOGIN bob@example.net builder\r\nb SELECT INBOX\r\n")
        conn.read()
    phone.send(b"i IDLE\r\n")
    assert phone.read() == b"+ idling\r\n"
    world.mailhosts["mx.example.net"].deliver_local("bob@example.net", "alice@example.org",
                                                    b"Subject: hi\r\n\r\nhello\r\n")
    assert phone.read() == b"* 1 EXISTS\r\n"  # pushed, with no command from the phone
    laptop.send(b"n NOOP\r\n")  # the laptop learns of the message (its 1 EXISTS) ...
    assert laptop.read() == b"* 1 EXISTS\r\nn OK NOOP completed\r\n"
    laptop.send(b"c STORE 1 +FLAGS (\\Seen)\r\n")  # ... and marks it read
    assert phone.read() == b"* 1 FETCH (UID 1 FLAGS (\\Seen))\r\n"
    views = [e for e in world.trace if isinstance(e, MailboxView) and e.conn == phone.id]
    assert views[-1].uids == (1,) and views[-1].flags == ("\\Seen",) and views[-1].peer == "bob-phone.example.net"


def test_imap_is_in_the_registry():
    spec = protocol("imap")
    assert spec.service_on(143).name == "imap" and spec.service("imaps").implicit_tls
    assert spec.busy_reply("mx.example.net").startswith(b"* BYE [UNAVAILABLE] mx.example.net")
    reply = spec.make_reply(451, "Try later", "")
    assert (reply.status, reply.code) == ("NO", "UNAVAILABLE")
    framer = spec.framer(data_chunk=1000)
    assert framer.cut(bytearray(b"a NOOP\r\nb NO"), "AUTHENTICATED") == 8
    assert framer.cut(bytearray(b"a LOGIN {3}\r\nbob"), "NOT_AUTHENTICATED") == 13  # the continuation point
    assert framer.cut(bytearray(b"bob {7+}\r\nbuil"), "NOT_AUTHENTICATED") == 0
    assert framer.cut(bytearray(b"bob {7+}\r\nbuilder\r\n"), "NOT_AUTHENTICATED") == 19


def test_the_replay_says_and_folds_what_each_device_believes():
    from simulator.replay import Replay

    world = build_world()
    phone = world.net.connect("bob-phone", "mx.example.net", 143)
    world.mailhosts["mx.example.net"].deliver_local("bob@example.net", "alice@example.org", b"Subject: a\r\n\r\nb\r\n")
    phone.send(b"a LOGIN bob@example.net builder\r\nb SELECT INBOX\r\nc STORE 1 +FLAGS (\\Seen)\r\n")
    replay = Replay(world.trace)
    last = replay.count - 1
    said = [line.text for line in replay.lines if line.level == "detail"]  # shown with -v
    assert "bob-phone.example.net believes bob@example.net INBOX holds 1 message: UIDs 1 (\\Seen)" in said
    view = replay.world(last).views[phone.id]
    assert (view.folder, view.uids, view.flags) == ("INBOX", (1,), ("\\Seen",))
    phone.send(b"d UNSELECT\r\n")
    assert phone.id not in Replay(world.trace).world(last).views


def test_rfc9051_6_2_1_starttls_where_the_world_offers_it():
    from simulator.agents.world import DEFAULT_SPEC
    from simulator.trace import BytesSent, TlsStarted

    spec = DEFAULT_SPEC.copy()
    assert b"STARTTLS" not in build_world(spec).net.connect("bob-phone", "mx.example.net", 143).read()
    spec.starttls = True
    world = build_world(spec)
    conn = world.net.connect("bob-phone", "mx.example.net", 143)
    assert b" STARTTLS " in conn.read()
    conn.send(b"a STARTTLS\r\n")
    assert conn.read() == b"a OK Begin TLS negotiation now\r\n"
    conn.send(b"b LOGIN bob@example.net builder\r\n")
    assert conn.read().startswith(b"b OK [CAPABILITY ") and conn.tls
    [started] = [e for e in world.trace if isinstance(e, TlsStarted)]
    assert started.mode == "starttls"
    login = [e for e in world.trace if isinstance(e, BytesSent) and e.plaintext.startswith(b"b LOGIN")]
    assert login and b"builder" not in login[0].wire  # the password crossed encrypted


FAULT = textwrap.dedent(
    """\
    id: imap-fault
    title: IMAP fault
    steps:
      - id: fault
        action: fault
        host: mx.example.net
        protocol: imap
        stage: LOGIN
        code: 451
        text: Authentication service unavailable
      - id: connect
        action: connect
        from: bob-phone
        to: mx.example.net
        port: 143
      - id: login
        action: send
        line: a1 LOGIN bob@example.net builder
        expect: {reply: {code: NO, enhanced: UNAVAILABLE, contains: unavailable}}
      - id: again
        action: send
        line: a2 LOGIN bob@example.net builder
        expect: {reply: OK}
    """
)


def test_a_scenario_fault_replaces_the_login_answer_once(tmp_path):
    path = tmp_path / "fault.yaml"
    path.write_text(FAULT)
    result = run_scenario(load_scenario(path))
    assert result.ok, result.failures
