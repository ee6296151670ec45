"""Fixtures for the TUI tests: a fixed theme, no animation, a private progress file,
and content from ``fixtures/`` so screenshots do not change when lessons do."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ["TEXTUAL_ANIMATIONS"] = "none"

FIXTURES = Path(__file__).parent / "fixtures"
THEME = "textual-dark"


@pytest.fixture(autouse=True)
def _private_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MAILSIM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TEXTUAL_ANIMATIONS", "none")
    monkeypatch.delenv("MAILSIM_THEME", raising=False)
    # No cursor blink: a screenshot must not depend on when, in the half-second
    # cycle, it was taken (the cursor stays shown).
    from textual.widgets import Input

    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)
    return tmp_path / "data"


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture
def make_app(tmp_path: Path):
    """Build the app the way the CLI does, pinned to the test content and theme."""
    from simulator.lesson.progress import ProgressStore
    from simulator.tui.app import create_app

    def make(mode: str = "picker", target: Path | None = None, **kwargs):
        kwargs.setdefault("lessons", FIXTURES / "lessons")
        kwargs.setdefault("scenarios", FIXTURES / "scenarios")
        kwargs.setdefault("theme", THEME)
        kwargs.setdefault("progress", ProgressStore(tmp_path / "progress.json"))
        kwargs.setdefault("screenshot_dir", tmp_path)
        kwargs.setdefault("load_in_background", False)
        return create_app(mode=mode, target=target, **kwargs)

    return make
