"""The SMTP AUTH lessons in the TUI at 80x24: the Wire tab's eavesdropper lens shows what the listener learned."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import TabbedContent

from simulator.tui.widgets.wire import WirePane

BUNDLED = Path(__file__).parents[2]


async def test_the_eavesdropper_lens_shows_the_decoded_password_then_only_records(make_app) -> None:
    app = make_app("play", BUNDLED / "lessons" / "smtp-auth-sniffed.yaml", lessons=BUNDLED / "lessons")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        player = screen.player
        ids = [s.step_id for s in player.steps]
        player.answer(ids.index("plaintext"), "Alice's user name and her password")
        screen.go(ids.index("plaintext"))
        await pilot.pause()
        screen.query_one("#tabs", TabbedContent).active = "pane-wire"
        await pilot.pause()
        wire = screen.query_one(WirePane)
        assert "What the eavesdropper learned" not in wire.plain_text()  # the client lens shows the endpoints
        wire.set_lens("eavesdropper")
        await pilot.pause()
        text = " ".join(wire.plain_text().split())
        assert "What the eavesdropper learned" in text
        assert "mallory-box reads AUTH PLAIN: user 'alice@example.org', password 'wonderland'" in text
        assert "Subject: Door code" in text

        at = ids.index("with-starttls")
        player.answer(at, "TLS application_data records: their lengths, not their contents")
        screen.go(at)
        await pilot.pause()
        text = " ".join(wire.plain_text().split())
        assert "sees TLS begin: from here on only records" in text
        assert "encrypted: only lengths and timing leak" in text
        # What it learned before stays listed; nothing new about the login in this step.
        assert text.count("password 'wonderland'") == 2  # PLAIN and LOGIN, both from the earlier steps
