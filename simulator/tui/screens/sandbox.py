"""The sandbox: type raw commands to a virtual server and watch its state machine move.

The :class:`~simulator.lesson.sandbox.Sandbox` owns the world and the
connection; this screen only shows its output (wrapped to the pane), its
machine (drawn from the table), its mailboxes and the last message delivered,
and keeps a history of typed lines (↑/↓). ``[`` and ``]`` switch the side tabs
while the command line is empty (``[`` can start nothing a server accepts); in
a line being typed they are just characters, as in ``EHLO [192.0.2.10]``.
"""

from __future__ import annotations

from textual import on
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.events import Resize
from textual.screen import Screen
from textual.widgets import Footer, Input, Static, TabbedContent, TabPane

from simulator.lesson.message_view import parse
from simulator.lesson.sandbox import Sandbox
from simulator.replay import TranscriptLine
from simulator.tui.widgets.message import MessageModel, MessagePane
from simulator.tui.widgets.panes import MailboxesPane
from simulator.tui.widgets.states import StatePane
from simulator.tui.widgets.stepbar import StepBar
from simulator.tui.widgets.transcript import TranscriptView
from simulator.tui.widgets.wire import WireModel, WirePane

TAB_KEYS = ("left_square_bracket", "right_square_bracket")


class CommandInput(Input):
    """The command line: ``[`` and ``]`` are the screen's tab keys while it is empty."""

    def check_consume_key(self, key: str, character: str | None) -> bool:
        if key in TAB_KEYS and not self.value:
            return False
        return super().check_consume_key(key, character)


class SandboxScreen(Screen):
    CSS_PATH = "sandbox.tcss"
    AUTO_FOCUS = "#command"
    BINDINGS = [
        Binding("up", "history(-1)", "History", show=False),
        Binding("down", "history(1)", "History", show=False),
        Binding("ctrl+r", "reconnect", "Reconnect"),
        Binding("right_square_bracket", "tab(1)", "Next tab", show=False, priority=True),
        Binding("left_square_bracket", "tab(-1)", "Prev tab", show=False, priority=True),
        Binding("f1", "help", "Help"),
        Binding("escape", "leave", "Back"),
    ]

    def __init__(self, protocol: str = "smtp") -> None:
        super().__init__()
        self.sandbox = Sandbox(protocol)
        self.lines: list[TranscriptLine] = []
        self._last_from = 0
        self._history_at: int | None = None
        self._parsed: dict[int, object] = {}  # delivery seq -> its parsed view
        self._seen_seq = 0  # events before the last line typed (a delivery after it is new)

    def compose(self) -> ComposeResult:
        t = self.sandbox.target
        yield StepBar(id="stepbar")
        with Horizontal(id="body"):
            with Vertical(id="session"):
                yield TranscriptView(id="log", wrap=True)
                yield Static(id="hint")
                yield CommandInput(placeholder="type a command and press Enter (↑/↓: history; [ ]: tabs)",
                                   id="command")
            with TabbedContent(id="side"):
                with TabPane("State machine", id="side-state"):
                    yield StatePane(id="states", note_missing_client=False, fit=False)
                with TabPane("Mailboxes", id="side-mailboxes"):
                    yield MailboxesPane(id="mailboxes")
                with TabPane("Message", id="side-message"):
                    yield MessagePane(id="message")
                with TabPane("Wire", id="side-wire"):
                    yield WirePane(id="wire")
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
        self.lines.append(TranscriptLine(0, "", side, text))  # the log wraps it to its width

    def _take(self, outputs) -> None:
        for out in outputs:
            self._add(out.side, out.text)

    def _refresh(self) -> None:
        self.query_one(TranscriptView).show(self.lines, len(self.lines), self._last_from)
        hint = self.sandbox.hint()
        self.query_one("#hint", Static).update(Content.from_markup("[$text-accent]$h[/]", h=hint))
        self.query_one(StatePane).show(self.sandbox.machines())
        self.query_one(MailboxesPane).show((self.sandbox.mail_view(), ()))
        self.query_one(MessagePane).show(self._message())
        chunks, current = self.sandbox.wire_now()
        self.query_one(WirePane).show(WireModel(chunks, current, self.sandbox.tls, self.sandbox.commands))

    def _message(self) -> MessageModel:
        """The last message delivered, parsed: what the recipient's mailbox holds."""
        delivered = self.sandbox.delivered()
        if not delivered:
            return MessageModel(None, None, 0, False)
        last = delivered[-1]
        view = self._parsed.get(last.seq)
        if view is None:
            view = self._parsed[last.seq] = parse(last.raw)
        return MessageModel(last, view, len(delivered), last.seq >= self._seen_seq)

    @on(Input.Submitted, "#command")
    def _submit(self, event: Input.Submitted) -> None:
        line = event.value
        event.input.value = ""
        self._history_at = None
        self._last_from = len(self.lines)
        self._seen_seq = len(self.sandbox.trace.events)
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

    def action_tab(self, delta: int) -> None:
        if self.query_one("#command", Input).value:
            raise SkipAction()  # a character of the line being typed
        tabs = self.query_one("#side", TabbedContent)
        ids = [pane.id for pane in tabs.query(TabPane) if pane.id]
        at = ids.index(tabs.active) if tabs.active in ids else 0
        tabs.active = ids[(at + delta) % len(ids)]

    def action_reconnect(self) -> None:
        self._last_from = len(self.lines)
        self._take(self.sandbox.connect())
        self._refresh()

    def action_help(self) -> None:
        from simulator.tui.screens.modals import HelpScreen

        t = self.sandbox.target
        self.app.push_screen(HelpScreen(sandbox_help(t.protocol, t.server, t.port)))

    def action_leave(self) -> None:
        leave = getattr(self.app, "leave_lesson", None)
        if leave is not None:
            leave(self)
        else:
            self.app.pop_screen()


_HELP_KEYS = """\
You are typing straight into a connection, as with `telnet {server} {port}`.
Each line you type is sent with CRLF; the server's replies appear below it.

| key | does |
|---|---|
| Enter | send the line |
| ↑ / ↓ | earlier lines you typed |
| [ / ] | the previous / next side tab (state machine, mailboxes, the last message), while the command line is empty |
| ctrl+r | connect again (after QUIT, or to start over) |
| Escape | back |
| ctrl+q | quit |

The hint line lists the commands the server's **state table** accepts in its
current state.
"""

# What each sandbox adds to the keys: how its protocol reads, and a session to try.
_HELP_PROTOCOL = {
    "smtp": """\
After `DATA` and the `354` reply every line is message text, until a line
holding only a dot.

The **Message** tab shows the last message to reach a folder, as the mailbox
holds it: a line you typed as `..two dots` (dot-stuffed, RFC 5321 section
4.5.2) is stored as `.two dots`.

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
""",
    "imap": """\
Every IMAP command starts with a **tag** you choose (`a1`, `a2`, ...). Lines
starting with `*` are **untagged**: the server telling you about the mailbox
(`* 1 EXISTS`, `* 1 FETCH (FLAGS (\\Seen))`); the line starting with your tag
(`a2 OK ...`, `NO`, `BAD`) ends that command (RFC 9051 section 2.2.2). A line
starting with `+` asks for more: the rest of a literal `{n}`; after `IDLE` it
means the server is waiting to tell you news, and `DONE` ends it (RFC 2177).

Alice's message waits in Bob's INBOX. The **Mailboxes** tab shows its UID and
flags (✓ \\Seen, ⚑ \\Flagged, ✗ \\Deleted) and what your session has been
told; the **Message** tab shows the message.

A session to try:

```
a1 LOGIN bob@example.net builder
a2 SELECT INBOX
a3 FETCH 1 (FLAGS BODY.PEEK[HEADER.FIELDS (FROM SUBJECT)])
a4 FETCH 1 BODY[]
a5 STORE 1 +FLAGS (\\Flagged)
a6 LOGOUT
```
""",
    "pop3": """\
POP3 answers `+OK` or `-ERR` (RFC 1939 section 3); a multi-line answer (LIST,
UIDL, RETR, TOP) ends with a line holding only a dot. `PASS` locks the
maildrop for your session (the Mailboxes tab says so); `DELE` only marks a
message, and it goes when `QUIT` takes the session to UPDATE (RFC 1939
section 6). Close with ctrl+r instead and nothing is deleted.

A session to try:

```
USER bob@example.net
PASS builder
STAT
LIST
RETR 1
DELE 1
QUIT
```
""",
}


def sandbox_help(protocol: str, server: str, port: int) -> str:
    """The help screen of one sandbox: the keys, then its protocol's notes and a session to try."""
    return ("# The sandbox\n\n" + _HELP_KEYS.format(server=server, port=port) + "\n"
            + _HELP_PROTOCOL.get(protocol, ""))
