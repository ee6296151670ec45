"""A first frame while the lesson loads: the scenario runs in a worker thread."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Middle
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Static


class LoadingScreen(Screen):
    DEFAULT_CSS = """
    LoadingScreen { align: center middle; }
    LoadingScreen Static { width: auto; color: $text-muted; }
    """

    def __init__(self, what: str) -> None:
        super().__init__()
        self.what = what

    def compose(self) -> ComposeResult:
        with Middle(), Center():
            yield Static(Content.from_markup("[b]mailsim[/b]  running [b]$w[/b]…", w=self.what))


class WatchErrorScreen(Screen):
    """``mailsim play FILE --watch`` while FILE does not load: its errors, file:line:column, until a
    save that loads (the app then shows the lesson in this screen's place)."""

    DEFAULT_CSS = """
    WatchErrorScreen { padding: 1 2; }
    WatchErrorScreen #watch-title { text-style: bold; margin-bottom: 1; }
    WatchErrorScreen #watch-errors { color: $text-error; }
    WatchErrorScreen #watch-help { color: $text-muted; margin-top: 1; }
    """
    BINDINGS = [Binding("escape", "app.quit", "Quit")]

    def __init__(self, path: Path, errors: str) -> None:
        super().__init__()
        self.path = path
        self.errors = errors

    def compose(self) -> ComposeResult:
        yield Static(Content.from_markup("[b]$name[/b] does not load yet", name=self.path.name), id="watch-title")
        yield Static(Content(self.errors), id="watch-errors")
        yield Static(Content("Watching the file: fix it and save, and the lesson opens here. "
                             "Escape or ctrl+q quits."), id="watch-help")

    def show(self, errors: str) -> None:
        self.errors = errors
        self.query_one("#watch-errors", Static).update(Content(errors))
