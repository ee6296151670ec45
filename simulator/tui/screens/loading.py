"""A first frame while the lesson loads: the scenario runs in a worker thread."""

from __future__ import annotations

from textual.app import ComposeResult
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
