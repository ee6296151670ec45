"""The Checks tab walks the current hop's SPF, DKIM and DMARC step by step, at 80 columns too, and keeps
one line per earlier hop; the Message tab shows the MIME tree, the DKIM-Signature tags and
Authentication-Results (the dkim-signing lesson)."""

from __future__ import annotations

import pytest
from textual.widgets import TabbedContent

from simulator.content import lessons_dir


async def panes(app, pilot, step_id: str) -> dict[str, str]:
    from simulator.tui.widgets.message import MessagePane
    from simulator.tui.widgets.panes import ChecksPane

    await pilot.pause()
    screen = app.screen
    player = screen.player
    index = [s.step_id for s in player.steps].index(step_id)
    for n in range(index + 1):
        ask = player.ask_at(n)
        if ask is not None:
            player.answer(n, ask.answer)
    screen.go(index)
    await pilot.pause()
    tabs = screen.query_one("#tabs", TabbedContent)
    out = {}
    for pane, widget in (("pane-checks", ChecksPane), ("pane-message", MessagePane)):
        tabs.active = pane
        await pilot.pause()
        out[pane] = screen.query_one(widget).plain_text(width=app.size.width - 2)
    return out


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_the_current_hop_in_full_and_earlier_hops_in_a_line(make_app, size) -> None:
    app = make_app("play", lessons_dir() / "dkim-signing.yaml")
    async with app.run_test(size=size) as pilot:
        shown = await panes(app, pilot, "relay")
    checks = shown["pane-checks"]
    assert checks.startswith("Checks of this step, step by step")
    order = [checks.index(f"{name} at mx.example.net  pass") for name in ("SPF", "DKIM", "DMARC")]
    assert order == sorted(order)
    for stage in ("fetched s1._domainkey.example.org TXT", "body canonicalized (relaxed", "they match",
                  "data signed (RFC 6376 3.7", "checked with the rsa-sha256 public key: valid", "<record>"):
        assert stage in checks
    earlier = checks[checks.index("Earlier hops"):]
    assert "DKIM" in earlier and "mail.example.org" in earlier and "signed" in earlier
    assert "signing for d=example.org" not in checks  # the signer's steps belong to step 1
    width = size[0] - 2
    data_lines = [line for line in checks.splitlines() if line.startswith("  ")]
    assert data_lines and max(len(line.rstrip()) for line in data_lines) <= width

    message = shown["pane-message"]
    for part in ("MIME structure", "text/plain", "Authentication-Results", "DKIM-Signature 1",
                 "selector: the key is at", "header.d=example.org"):
        assert part in message


async def test_a_step_without_checks_walks_the_last_hop_that_had_them(make_app) -> None:
    app = make_app("play", lessons_dir() / "dkim-signing.yaml")
    async with app.run_test(size=(120, 40)) as pilot:
        checks = (await panes(app, pilot, "bob-opens"))["pane-checks"]
    assert checks.startswith("Checks of step 2, the last step with checks, step by step")
    assert "DKIM at mx.example.net  pass" in checks
