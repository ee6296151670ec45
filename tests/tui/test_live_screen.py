"""``mailsim serve --live``: smtplib against the servers the app runs in its own loop, watched and saved.

The app starts serve's listeners on ephemeral 127.0.0.1 ports inside its event
loop; the clients run in a worker thread (smtplib blocks) while the test awaits
them. Every wait is bounded (:data:`WAIT`); nothing asserts how fast anything is.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
import time
from email.message import EmailMessage
from pathlib import Path

from textual.widgets import TabbedContent

from simulator.scenario.launch import load_run
from simulator.scenario.loader import validate_paths
from simulator.serve import LISTENERS, Bridge, LiveSource, load_world_and_section
from simulator.tui.screens.live import LiveScreen
from simulator.tui.widgets.panes import MailboxesPane
from simulator.tui.widgets.stepbar import StepBar
from simulator.tui.widgets.transcript import TranscriptView

WAIT = 15.0


def _source() -> LiveSource:
    world, section, seed = load_world_and_section(None)
    return LiveSource(Bridge(world, ports={li.name: 0 for li in LISTENERS}), section, seed=seed)


async def _until(pilot, condition, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await pilot.pause(0.05)


def _submit(port: int, ca: Path, subject: str) -> None:
    """What a mail program does: STARTTLS, AUTH, one message, QUIT (smtplib picks its own mechanism)."""
    context = ssl.create_default_context(cafile=str(ca))
    with smtplib.SMTP("127.0.0.1", port, local_hostname="laptop.example", timeout=WAIT) as smtp:
        smtp.starttls(context=context)
        smtp.login("alice@example.org", "wonderland")
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = "alice@example.org", "bob@example.net", subject
        msg.set_content("Hello Bob, this crossed the simulated Internet.\n")
        smtp.send_message(msg)


def _noop(port: int) -> None:
    with smtplib.SMTP("127.0.0.1", port, local_hostname="other.example", timeout=WAIT) as smtp:
        smtp.noop()


def _shown_transcript(screen: LiveScreen) -> list[str]:
    view = screen.query_one(TranscriptView)
    return [line.text for line in view.items[: view.shown_count]]


async def test_live_view_follows_a_real_client_and_the_saved_scenario_replays_it(make_app, tmp_path: Path) -> None:
    source = _source()
    saved = tmp_path / "demo.yaml"
    app = make_app("live", live=source, save_to=saved)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, LiveScreen)
        await _until(pilot, lambda: screen.serving, "the servers to start")
        ports = source.bridge.ports
        assert all(port > 0 for port in ports.values())
        assert "Listening for real clients" in screen.query_one(StepBar).render().plain
        ca = tmp_path / "ca.pem"
        ca.write_bytes(source.world.tls.ca.cert_pem())

        await asyncio.to_thread(_submit, ports["submission"], ca, "Live from smtplib")
        await _until(pilot, lambda: any("QUIT" in s.title for s in screen.player.steps), "the QUIT step")

        # The view followed the client: it is on the newest step, and every command is a step.
        player = screen.player
        assert player.at_end
        titles = [s.title for s in player.steps]
        for command in ("ehlo laptop.example", "STARTTLS", "AUTH", "mail FROM:<alice@example.org>",
                        "rcpt TO:<bob@example.net>", "data", "QUIT"):
            assert any(command in t for t in titles), (command, titles)
        shown = "\n".join(_shown_transcript(screen))
        assert "mail FROM:<alice@example.org>" in shown and "354" in shown and "221" in shown
        assert "mx.example.net" in player.replay.participants()  # the relay to Bob's MX is on the diagram

        # The mailbox pane shows what the relay delivered to Bob.
        screen.query_one("#tabs", TabbedContent).active = "pane-mailboxes"
        await pilot.pause()
        mail = screen.query_one(MailboxesPane).plain_text(width=118)
        assert "bob@example.net" in mail and "Live from smtplib" in mail

        # The teacher steps back: new exchanges arrive as new steps, the view stays put; End follows again.
        await pilot.press("left", "left")
        await pilot.pause()
        stepped_back_to, count = screen.player.index, screen.player.count
        assert stepped_back_to == count - 3
        await asyncio.to_thread(_noop, ports["smtp"])
        await _until(pilot, lambda: screen.player.count > count and any(
            "NOOP" in s.title.upper() for s in screen.player.steps), "the second client's steps")
        assert screen.player.index == stepped_back_to
        await pilot.press("end")
        await pilot.pause()
        assert screen.player.at_end

        await pilot.press("s")
        await pilot.pause()
        assert saved.is_file()
        await pilot.press("escape")  # stops the servers, then the app
        await pilot.pause()
    assert not source.bridge.open_sessions and source.bridge._closing

    # The saved file is a valid scenario, and mailsim run reproduces the session and its delivery.
    count, errors = validate_paths([str(saved)])
    assert (count, errors) == (1, [])
    text = saved.read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=")
    assert "line: STARTTLS" in text and "action: run_queue" in text
    run = load_run(saved)
    assert run.result.failures == []
    inbox = run.result.world.mailhost_for("bob@example.net").store.folder("bob@example.net", "INBOX").messages
    assert [m.data for m in inbox] and b"Subject: Live from smtplib" in inbox[0].data
    checked = [e for e in run.result.trace.events if getattr(e, "what", "") in ("replies", "mailbox")]
    assert len(checked) > 10 and all(e.ok for e in checked)  # each step's replies, and the mailboxes, were checked


async def test_a_port_in_use_ends_the_app_with_the_reason(make_app) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        world, section, seed = load_world_and_section(None)
        ports = {li.name: 0 for li in LISTENERS} | {"submission": taken.getsockname()[1]}
        source = LiveSource(Bridge(world, ports=ports), section, seed=seed)
        app = make_app("live", live=source)
        async with app.run_test(size=(120, 40)) as pilot:
            await _until(pilot, lambda: app.return_code is not None, "the app to give up")
    assert app.return_code == 2
    assert not source.bridge._servers  # nothing was left listening
