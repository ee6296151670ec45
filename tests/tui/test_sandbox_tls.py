"""STARTTLS in the sandbox: after 220 the typed session goes on over real TLS, the student keeps typing
in the clear, and the Wire tab shows the records (through the eavesdropper lens: ciphertext only)."""

from __future__ import annotations

from rich.console import Console

from simulator.trace import BytesSent, TlsStarted
from simulator.tui.screens.sandbox import SandboxScreen
from simulator.tui.widgets.wire import WirePane


def _text(pane: WirePane) -> str:
    console = Console(width=200, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(pane.render_model(pane._model))
    return console.export_text()


async def _type(pilot, line: str) -> None:
    await pilot.press(*line)
    await pilot.press("enter")
    await pilot.pause()


async def test_starttls_in_the_smtp_sandbox_goes_on_over_real_tls(make_app) -> None:
    app = make_app("sandbox")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SandboxScreen)
        await _type(pilot, "EHLO mail.example.org")
        assert any(line.text == "250 STARTTLS" for line in screen.lines)
        await _type(pilot, "STARTTLS")
        assert any(line.text == "220 2.0.0 Ready to start TLS" for line in screen.lines)
        box = screen.sandbox
        (started,) = [e for e in box.trace.events if isinstance(e, TlsStarted)]
        assert started.layer.startswith("TLSv1.3") and started.conn == box.conn.id
        assert box.state == "EXPECT_EHLO"  # RFC 3207 4.2: the session is reset
        assert "STARTTLS" not in box.hint()
        await _type(pilot, "EHLO mail.example.org")
        assert "STARTTLS" not in box.valid_commands() and "MAIL" in box.valid_commands()
        await _type(pilot, "MAIL FROM:<alice@example.org>")
        assert screen.lines[-1].text.startswith("250 2.1.0") or any(
            line.text.startswith("250 2.1.0") for line in screen.lines[-4:])
        mail = [e for e in box.trace.events if isinstance(e, BytesSent) and e.plaintext.startswith(b"MAIL FROM")]
        assert mail and mail[-1].wire != mail[-1].plaintext  # typed in the clear, sent encrypted
        assert not any(line.text == "250 STARTTLS" for line in screen.lines[-12:])  # not offered again
        screen.query_one("#side").active = "side-wire"
        await pilot.pause()
        wire = screen.query_one(WirePane)
        text = _text(wire)
        assert "MAIL FROM:<alice@example.org>" in text and "decrypted: application data" in text
        wire.set_lens("eavesdropper")
        await pilot.pause()
        spy = _text(wire)
        assert "encrypted: only lengths and timing leak" in spy
        assert "MAIL FROM" not in spy and "ciphertext: only the header and the length can be read" in spy


async def test_stls_in_the_pop3_sandbox_then_login_inside_tls(make_app) -> None:
    app = make_app("sandbox", protocol="pop3")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        await _type(pilot, "STLS")
        assert any(line.text.startswith("+OK") and "TLS" in line.text for line in screen.lines)
        await _type(pilot, "USER bob@example.net")
        await _type(pilot, "PASS builder")
        box = screen.sandbox
        assert box.state == "TRANSACTION"
        pw = [e for e in box.trace.events if isinstance(e, BytesSent) and e.plaintext == b"PASS builder\r\n"]
        assert pw and b"builder" not in pw[0].wire


def test_imap_starttls_in_the_sandbox_model_then_login_inside_tls() -> None:
    from simulator.lesson.sandbox import Sandbox

    box = Sandbox("imap")
    replies = [line.text for line in box.send("a0 STARTTLS")]
    assert any(t.startswith("a0 OK") for t in replies)
    # Only the student's own session: the mail seeded into Bob's INBOX crossed a relay hop,
    # which uses opportunistic STARTTLS of its own.
    assert [e.mode for e in box.trace.events if isinstance(e, TlsStarted) and e.conn == box.conn.id] == ["starttls"]
    assert any(t.startswith("a1 OK") for t in (line.text for line in box.send("a1 LOGIN bob@example.net builder")))
    login = [e for e in box.trace.events if isinstance(e, BytesSent) and e.plaintext.startswith(b"a1 LOGIN")]
    assert login and b"builder" not in login[0].wire
    assert box.tls and box.tls[-1][0] == box.commands  # the Wire tab's records, stamped with the command
