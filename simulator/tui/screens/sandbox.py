"""The sandbox: type raw commands to a virtual server and watch its state machine move.

The :class:`~simulator.lesson.sandbox.Sandbox` owns the world and the
connection; this screen only shows its output, its machine (drawn from the
table) and its mailboxes, and keeps a history of typed lines (↑/↓).
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.events import Resize
from textual.screen import Screen
from textual.widgets import Footer, Input, Static, TabbedContent, TabPane

from simulator.lesson.sandbox import Sandbox
from simulator.replay import TranscriptLine
from simulator.tui.widgets.panes import MailboxesPane
from simulator.tui.widgets.states import StatePane
from simulator.tui.widgets.stepbar import StepBar
from simulator.tui.widgets.transcript import TranscriptView


class SandboxScreen(Screen):
    CSS_PATH = "sandbox.tcss"
    AUTO_FOCUS = "#command"
    BINDINGS = [
        Binding("up", "history(-1)", "History", show=False),
        Binding("down", "history(1)", "History", show=False),
        Binding("ctrl+r", "reconnect", "Reconnect"),
        Binding("f1", "help", "Help"),
        Binding("escape", "leave", "Back"),
    ]

    def __init__(self, protocol: str = "smtp") -> None:
        super().__init__()
        self.sandbox = Sandbox(protocol)
        self.lines: list[TranscriptLine] = []
        self._last_from = 0
        self._history_at: int | None = None

    def compose(self) -> ComposeResult:
        t = self.sandbox.target
        yield StepBar(id="stepbar")
        with Horizontal(id="body"):
            with Vertical(id="session"):
                yield TranscriptView(id="log")
                yield Static(id="hint")
                yield Input(placeholder="type a command and press Enter (↑/↓: history)", id="command")
            with TabbedContent(id="side"):
                with TabPane("State machine", id="side-state"):
                    yield StatePane(id="states", note_missing_client=False, fit=False)
                with TabPane("Mailboxes", id="side-mailboxes"):
                    yield MailboxesPane(id="mailboxes")
        yield Footer()
        self._add("*", t.blurb)

    def on_mount(self) -> None:
        t = self.sandbox.target
        self.query_one(StepBar).update(Content.from_markup(
            "[b]$p sandbox[/b]  [$text-muted]$c → $s port $port[/]", p=t.protocol.upper(), c=t.client,
            s=t.server, port=str(t.port)))
        self._take(self.sandbox.output)
        self._refresh()

    def on_resize(self, event: Resize) -> None:
        self.set_class(event.size.width < 100, "-narrow")

    def _add(self, side: str, text: str) -> None:
        if side == "*" and len(text) > 68:  # remarks wrap; protocol lines stay as they were sent
            import textwrap

            for part in textwrap.wrap(text, 68):
                self.lines.append(TranscriptLine(0, "", side, part))
            return
        self.lines.append(TranscriptLine(0, "", side, text))

    def _take(self, outputs) -> None:
        for out in outputs:
            self._add(out.side, out.text)

    def _refresh(self) -> None:
        self.query_one(TranscriptView).show(self.lines, len(self.lines), self._last_from)
        hint = self.sandbox.hint()
        self.query_one("#hint", Static).update(Content.from_markup("[$text-accent]$h[/]", h=hint))
        self.query_one(StatePane).show(self.sandbox.machines())
        self.query_one(MailboxesPane).show((self.sandbox.mailboxes(), ()))

    @on(Input.Submitted, "#command")
    def _submit(self, event: Input.Submitted) -> None:
        line = event.value
        event.input.value = ""
        self._history_at = None
        self._last_from = len(self.lines)
        outputs = self.sandbox.send(line)
        self._take(outputs)
        self._refresh()

    def action_history(self, delta: int) -> None:
        history = self.sandbox.history
        if not history:
            return
        at = len(history) if self._history_at is None else self._history_at
        at = max(0, min(len(history), at + delta))
        self._history_at = at
        box = self.query_one("#command", Input)
        box.value = history[at] if at < len(history) else ""
        box.cursor_position = len(box.value)

    def action_reconnect(self) -> None:
        self._last_from = len(self.lines)
        self._take(self.sandbox.connect())
        self._refresh()

    def action_help(self) -> None:
        from simulator.tui.screens.modals import HelpScreen

        self.app.push_screen(HelpScreen(SANDBOX_HELP))

    def action_leave(self) -> None:
        leave = getattr(self.app, "leave_lesson", None)
        if leave is not None:
            leave(self)
        else:
            self.app.pop_screen()


SANDBOX_HELP = """\
# The sandbox

You are typing straight into a connection, as with `telnet mx.example.net 25`.
Each line you type is sent with CRLF; the server's replies appear below it.

| key | does |
|---|---|
| Enter | send the line |
| ↑ / ↓ | earlier lines you typed |
| ctrl+r | connect again (after QUIT, or to start over) |
| Escape | back |
| ctrl+q | quit |

The hint line lists the commands the server's **state table** accepts in its
current state. After `DATA` and the `354` reply every line is message text,
until a line holding only a dot.

A session to try:

```
EHLO alice-laptop.example.org
MAIL FROM:<alice@example.org>
RCPT TO:<bob@example.net>
DATA
Subject: Hello from the sandbox

Hi Bob!
.
QUIT
```
"""
