"""The TLS lessons in the TUI: the Wire tab shows each TLS record with its decoded fields, what the
endpoints decrypt, and only headers and ciphertext through the eavesdropper lens."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console
from textual.widgets import OptionList

from simulator.tui.screens.lesson import LessonScreen
from simulator.tui.screens.quiz import QuizScreen
from simulator.tui.widgets.wire import WirePane

BUNDLED = Path(__file__).parents[2]


async def _answer(pilot, choice: str) -> None:
    quiz = pilot.app.screen
    assert isinstance(quiz, QuizScreen)
    quiz.query_one("#choices", OptionList).highlighted = quiz.choices.index(choice)
    await pilot.press("enter")
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()


def _text(pane: WirePane) -> str:
    console = Console(width=200, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(pane.render_model(pane._model))
    return console.export_text()


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_starttls_wire_tab_decodes_the_handshake_for_each_lens(make_app, size) -> None:
    app = make_app("play", BUNDLED / "lessons" / "starttls.yaml", lessons=BUNDLED / "lessons")
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, LessonScreen)
        await pilot.press("right")
        await pilot.pause()
        await pilot.press("right")
        await pilot.pause()
        await _answer(pilot, "Only mechanisms that do not send the password itself (CRAM-MD5, SCRAM-SHA-256)")
        await pilot.press("right")
        await pilot.pause()
        await _answer(pilot, "220 2.0.0 Ready to start TLS, then the client's TLS ClientHello")
        assert screen.player.steps[screen.player.index].step_id == "starttls"
        await pilot.press("l")  # the Wire tab
        await pilot.pause()
        wire = screen.query_one(WirePane)
        assert wire.display and wire.lens == "client"
        text = _text(wire)
        assert "ClientHello" in text and "server name (SNI): mail.example.org" in text
        assert "random: 32 bytes (randomised)" in text and "supported versions: TLS 1.3, TLS 1.2" in text
        assert "selected version: TLS 1.3" in text  # the ServerHello's fields
        assert "decrypted: handshake: Certificate" in text and "issuer CN=mailsim Virtual Root CA" in text
        assert "length varies" in text and "randomised signature)" in text  # CertificateVerify: no length
        await pilot.press("l", "l")  # server, then eavesdropper
        await pilot.pause()
        assert wire.lens == "eavesdropper"
        spy = _text(wire)
        assert "ClientHello" in spy and "server name (SNI): mail.example.org" in spy  # sent in the clear
        assert "decrypted" not in spy and "issuer CN=mailsim Virtual Root CA" not in spy
        assert spy.count("ciphertext: only the header and the length can be read") >= 4


async def test_tls12_shows_the_certificate_to_the_eavesdropper(make_app) -> None:
    app = make_app("play", BUNDLED / "lessons" / "tls12-vs-tls13.yaml", lessons=BUNDLED / "lessons")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        await pilot.press("right")
        await pilot.pause()
        await _answer(pilot, "The server's certificate: its name, its issuer, its validity dates")
        await pilot.press("l", "l", "l")
        await pilot.pause()
        wire = screen.query_one(WirePane)
        assert wire.lens == "eavesdropper"
        spy = _text(wire)
        assert "Certificate" in spy and "subject CN=mail.example.org" in spy  # TLS 1.2: in the clear
        assert "ServerKeyExchange" in spy and "ClientKeyExchange" in spy
