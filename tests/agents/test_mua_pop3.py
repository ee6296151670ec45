"""The mail client downloads with POP3 across the virtual world (RFC 1939)."""

from __future__ import annotations

from simulator.agents.world import build_world
from simulator.trace import ConnectionOpened, StateChanged

BOB = "bob@example.net"


def world_with_mail(count: int = 2):
    world = build_world()
    alice = world.client("alice-laptop")
    for n in range(count):
        data = alice.compose(sender="alice@example.org", to=[BOB], subject=f"note {n}", body=f"Hi Bob, {n}.\n")
        assert alice.send("mail.example.org", 587, "alice@example.org", [BOB], data).results
    world.run_queues()
    assert world.mailbox_count(BOB) == count
    return world


def test_download_leaving_a_copy_then_only_new_mail():
    world = world_with_mail()
    laptop = world.client("bob-laptop")
    first = laptop.download("mx.example.net", BOB, "builder")
    assert first.connected and first.logged_in and len(first.messages) == 2
    assert sorted(b"Subject: note 0" in m.data for m in first.messages) == [False, True]
    assert all(m.unique_id for m in first.messages)
    assert world.mailbox_count(BOB) == 2
    opened = [e for e in world.trace.events if isinstance(e, ConnectionOpened) and e.port == 110]
    assert opened[-1].service == "pop3" and opened[-1].server_host == "mx.example.net"
    again = laptop.download("mx.example.net", BOB, "builder", skip_uids=frozenset(m.unique_id for m in first.messages))
    assert again.messages == []


def test_download_and_delete_with_apop():
    world = world_with_mail(1)
    got = world.client("bob-phone").download("mx.example.net", BOB, "builder", delete=True, method="APOP")
    assert len(got.messages) == 1 and world.mailbox_count(BOB) == 0
    states = [e.to_state for e in world.trace.events if isinstance(e, StateChanged) and e.machine == "pop3.server"]
    assert states[-2:] == ["UPDATE", "CLOSED"]


def test_a_wrong_password_downloads_nothing_and_ends_the_session():
    world = world_with_mail(1)
    got = world.client("bob-phone").download("mx.example.net", BOB, "nope", delete=True)
    assert got.connected and not got.logged_in and got.messages == []
    assert got.results[0].reply.resp_code == "AUTH" and not got.results[1].ok
    assert world.mailbox_count(BOB) == 1


def test_nothing_listens_on_another_port():
    world = world_with_mail(0)
    assert not world.client("bob-phone").download("mx.example.net", BOB, "builder", port=1110).connected
