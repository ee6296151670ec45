"""The relay: MX order, implicit MX, retries on 4xx, bounces on 5xx, never an open relay."""

from __future__ import annotations

from simulator.agents.faults import ReplyFault
from simulator.agents.world import (
    DEFAULT_SPEC,
    DomainSpec,
    HostSpec,
    MailWorld,
    UserSpec,
    build_world,
)
from simulator.mail.message import parse_message
from simulator.mail.queue import MAX_LIFETIME
from simulator.protocols.smtp.client import OutgoingMessage, SmtpClient
from simulator.protocols.smtp.replies import Reply
from simulator.trace import ConnectionOpened, ConnectionRefused, DnsLookup, QueueChanged


def submit(world: MailWorld, to: list[str], subject: str = "Hi") -> None:
    client = world.client("alice-laptop")
    data = client.compose(sender="alice@example.org", to=to, subject=subject, body="Hello\n")
    result = client.submit("mail.example.org", [OutgoingMessage("alice@example.org", to, data)])
    assert result.connected


def inbox(world: MailWorld, user: str) -> list[bytes]:
    mh = world.mailhost_for(user)
    assert mh is not None
    return [m.data for m in mh.store.folder(user).messages]


def test_submission_queues_and_relay_delivers_with_trace_headers() -> None:
    world = build_world()
    submit(world, ["bob@example.net"])
    assert len(world.mailhosts["mail.example.org"].queue) == 1
    assert inbox(world, "bob@example.net") == []
    world.run_queues()
    (raw,) = inbox(world, "bob@example.net")
    msg = parse_message(raw)
    assert msg["Return-Path"] == "<alice@example.org>"
    received = msg.get_all("Received")
    assert len(received) == 2  # one per hop, newest first (RFC 5321 4.4)
    assert "by mx.example.net" in received[0] and "from mail.example.org" in received[0]
    assert "by mail.example.org" in received[1] and "[192.0.2.10]" in received[1]
    lookups = [e for e in world.trace.events if isinstance(e, DnsLookup)]
    assert ("example.net", "MX") in [(e.name, e.rtype) for e in lookups]
    assert len(world.mailhosts["mail.example.org"].queue) == 0


def test_mx_preference_order_and_fallback_to_next_mx() -> None:
    spec = DEFAULT_SPEC.copy()
    spec.hosts.append(HostSpec("mx2.example.net", ["198.51.100.26"], role="server"))
    net = spec.domain("example.net")
    assert net is not None
    # mx2 is listed first but has the worse preference.
    net.mx = [(20, "mx2.example.net"), (10, "mx.example.net")]
    spec.domains.append(DomainSpec("backup.invalid", "mx2.example.net"))
    world = MailWorld(spec)
    world.net.host("mx.example.net").up = False
    submit(world, ["bob@example.net"])
    world.run_queues()
    opened = [e.server_host for e in world.trace.events if isinstance(e, ConnectionOpened)]
    refused = [e.server_host for e in world.trace.events if isinstance(e, ConnectionRefused)]
    assert refused == ["mx.example.net"]  # tried the preferred MX first
    assert opened[-1] == "mx2.example.net"
    # mx2 is not a destination for example.net, so it refuses to relay: never an open relay.
    assert inbox(world, "alice@example.org"), "a bounce for the relay refusal"


def test_implicit_mx_when_the_domain_has_no_mx_record() -> None:
    spec = DEFAULT_SPEC.copy()
    spec.dns_remove.append(("example.net", "MX"))
    spec.dns.append(("example.net", "A", "198.51.100.25"))  # the domain's own A record
    world = MailWorld(spec)
    submit(world, ["bob@example.net"])
    world.run_queues()
    assert len(inbox(world, "bob@example.net")) == 1
    asked = [(e.name, e.rtype, e.error) for e in world.trace.events if isinstance(e, DnsLookup)]
    assert ("example.net", "MX", "NODATA") in asked and ("example.net", "A", "") in asked


def test_nxdomain_recipient_domain_bounces() -> None:
    world = build_world()
    submit(world, ["someone@nowhere.example"])
    world.run_queues()
    (bounce,) = inbox(world, "alice@example.org")
    assert b"Status: 5.1.2" in bounce


def test_tempfail_is_retried_after_backoff() -> None:
    world = build_world()
    world.faults.add(ReplyFault("mx.example.net", "DATA", Reply(451, ("try later",), "4.3.0"), times=1))
    submit(world, ["bob@example.net"])
    world.run_queues()
    queue = world.mailhosts["mail.example.org"].queue
    assert len(queue) == 1 and inbox(world, "bob@example.net") == []
    deferred = [e for e in world.trace.events if isinstance(e, QueueChanged) and e.action == "deferred"]
    assert deferred and deferred[-1].next_attempt == 300.0
    world.net.clock.advance(299)
    world.run_queues()
    assert len(queue) == 1  # not due yet
    world.net.clock.advance(1)
    world.run_queues()
    assert len(queue) == 0 and len(inbox(world, "bob@example.net")) == 1


def test_unknown_recipient_bounces_to_sender_from_null_path() -> None:
    world = build_world()
    submit(world, ["bob@example.net", "nobody@example.net"], subject="Party")
    world.run_queues()
    assert len(inbox(world, "bob@example.net")) == 1
    (raw,) = inbox(world, "alice@example.org")
    bounce = parse_message(raw)
    assert bounce["Return-Path"] == "<>"
    assert bounce.get_content_type() == "multipart/report"
    assert bounce.get_param("report-type") == "delivery-status"
    parts = [p.get_content_type() for p in bounce.iter_parts()]
    assert parts == ["text/plain", "message/delivery-status", "text/rfc822-headers"]
    assert b"Final-Recipient: rfc822; nobody@example.net" in raw
    assert b"Status: 5.1.1" in raw and b"Subject: Party" in raw


def test_a_bounce_is_never_bounced() -> None:
    spec = DEFAULT_SPEC.copy()
    world = MailWorld(spec)
    # A message from a remote sender that does not exist: the bounce itself fails.
    mh = world.mailhosts["mail.example.org"]
    mh.queue.add("Q1", "ghost@example.net", ["nobody@example.net"], b"Subject: x\r\n\r\nx\r\n", 0.0)
    world.run_queues()
    assert inbox(world, "bob@example.net") == []
    assert len(mh.queue) == 0
    actions = [e.action for e in world.trace.events if isinstance(e, QueueChanged)]
    assert actions.count("failed") == 2  # the message, then its bounce; no third attempt


def test_gives_up_after_the_maximum_lifetime() -> None:
    world = build_world()
    world.faults.add(ReplyFault("mx.example.net", "RCPT", Reply(451, ("busy",), "4.3.0"), times=0))
    submit(world, ["bob@example.net"])
    world.run_queues()
    queue = world.mailhosts["mail.example.org"].queue
    attempts = 1
    while len(queue) and attempts < 1000:
        next_due = queue.next_due_time()
        assert next_due is not None
        world.net.clock.advance_to(next_due)
        world.run_queues()
        attempts += 1
    assert len(queue) == 0
    assert world.net.clock.now() >= MAX_LIFETIME
    (bounce,) = inbox(world, "alice@example.org")
    assert b"Status: 4.4.7" in bounce and b"Action: failed" in bounce


def test_mx_refuses_to_relay_for_foreign_domains() -> None:
    world = build_world()
    conn = world.net.connect("mallory-box", "mx.example.net", 25)
    assert conn is not None
    client = SmtpClient("mallory-box.evil.example",
                        [OutgoingMessage("mallory@evil.example", ["alice@example.org"], b"x\r\n")])
    conn.run_client(client)
    (result,) = client.results[0].recipients
    assert result.outcome == "failed" and (result.reply.code, result.reply.enhanced) == (550, "5.7.1")
    assert inbox(world, "alice@example.org") == []


def test_users_added_by_spec_get_mailboxes() -> None:
    spec = DEFAULT_SPEC.copy()
    net = spec.domain("example.net")
    assert net is not None
    net.users.append(UserSpec("carol@example.net", "secret"))
    world = MailWorld(spec)
    submit(world, ["carol@example.net"])
    world.run_queues()
    assert len(inbox(world, "carol@example.net")) == 1


def test_submission_needs_login_outside_the_providers_network() -> None:
    world = build_world()
    for host, expected in (("mallory-box", (530, "5.7.0")), ("alice-laptop", (250, "2.1.0"))):
        conn = world.net.connect(host, "mail.example.org", 587)
        assert conn is not None
        conn.send(b"EHLO client.example\r\nMAIL FROM:<alice@example.org>\r\n")
        last = conn.read().decode().splitlines()[-1]
        assert last.startswith(f"{expected[0]} {expected[1]} "), (host, last)


def _world_with_two_equal_mx(seed: int) -> MailWorld:
    spec = DEFAULT_SPEC.copy()
    spec.hosts.append(HostSpec("mx2.example.net", ["198.51.100.26"], role="server"))
    net = spec.domain("example.net")
    assert net is not None
    net.mx = [(10, "mx.example.net"), (10, "mx2.example.net")]
    spec.domains.append(DomainSpec("backup.invalid", "mx2.example.net"))
    return MailWorld(spec, seed=seed)


def test_equal_preference_mx_are_tried_in_seeded_random_order() -> None:
    first_tried = set()
    for seed in range(1, 12):
        world = _world_with_two_equal_mx(seed)
        submit(world, ["bob@example.net"])
        world.run_queues()
        opened = [e.server_host for e in world.trace.events
                  if isinstance(e, ConnectionOpened) and e.port == 25]
        again = _world_with_two_equal_mx(seed)
        submit(again, ["bob@example.net"])
        again.run_queues()
        assert opened == [e.server_host for e in again.trace.events
                          if isinstance(e, ConnectionOpened) and e.port == 25]  # same seed, same order
        first_tried.add(opened[0])
    assert first_tried == {"mx.example.net", "mx2.example.net"}  # RFC 5321 5.1: ties randomised


def test_unusable_mx_is_a_permanent_error() -> None:
    spec = DEFAULT_SPEC.copy()
    net = spec.domain("example.net")
    assert net is not None
    net.mx = [(10, "gone.example.net")]  # no A record anywhere
    world = MailWorld(spec)
    submit(world, ["bob@example.net"])
    world.run_queues()
    assert len(world.mailhosts["mail.example.org"].queue) == 0
    (bounce,) = inbox(world, "alice@example.org")
    assert b"Status: 5.4.4" in bounce
