"""The tabbed panes of the lesson screen: DNS, checks, mailboxes, raw events, diff.

Each pane is a scrolling Static fed a view model by the screen; styles come
from component classes so light and dark themes both read well.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from simulator.replay import MessageRow
from simulator.replay.text import plural
from simulator.trace import CheckStep, DnsLookup, QueueChanged
from simulator.tui.widgets.palette import palette

PANE_CSS = """
{name} {{ height: 1fr; padding: 0 1; }}
"""

GOOD = {"pass", "ok", "delivered", "sent", "none"}
BAD = {"fail", "permerror", "temperror", "softfail", "bounced", "failed", "reject", "quarantine"}


class RichPane(VerticalScroll):
    """A scrolling pane whose body is one Static, redrawn from the last view model."""

    DEFAULT_CSS = PANE_CSS.format(name="RichPane")

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._model: Any = None
        self._dirty = False
        self.rendered: RenderableType = Text("")

    def compose(self):
        yield Static(classes="pane-body")

    def s(self, name: str):
        return palette(self.app)[name]

    def show(self, model: Any) -> None:
        self._model = model
        self._dirty = True
        if self.is_mounted and self.display:
            self._draw()

    def on_mount(self) -> None:
        self._draw()

    def on_show(self) -> None:
        if self._dirty:
            self._draw()

    def _draw(self) -> None:
        self._dirty = False
        self.rendered = self.render_model(self._model)
        self.query_one(".pane-body", Static).update(self.rendered)

    def plain_text(self, width: int = 120) -> str:
        """What the pane shows, as plain text (for tests and copying)."""
        import io

        from rich.console import Console

        console = Console(width=width, file=io.StringIO(), color_system=None, record=True)
        console.print(self.rendered)
        return console.export_text()

    def render_model(self, model: Any) -> RenderableType:  # pragma: no cover - overridden
        return Text("")

    def result_style(self, result: str):
        r = result.lower()
        if r in GOOD:
            return self.s("good")
        if r in BAD:
            return self.s("bad")
        return self.s("warn") if r else self.s("muted")

    def table(self, *headers: str) -> Table:
        t = Table(box=None, expand=True, show_edge=False, pad_edge=False, header_style=self.s("title"))
        for h in headers:
            t.add_column(h, overflow="fold")
        return t


class DnsPane(RichPane):
    DEFAULT_CSS = PANE_CSS.format(name="DnsPane")

    def render_model(self, model: tuple[Sequence[tuple[str, str, str]], Sequence[tuple[int, DnsLookup]], int] | None):
        if model is None:
            return Text("")
        records, lookups, current = model
        parts: list[RenderableType] = [Text("Lookups so far", self.s("title"))]
        if lookups:
            t = self.table("step", "asked by", "question", "answer")
            for step, row in lookups:
                answer = Text(", ".join(row.answers)) if row.answers else Text(row.error, self.s("bad"))
                t.add_row(str(step), row.asker, f"{row.name} {row.rtype}?", answer,
                          style=self.s("current") if step == current else None)
            parts.append(t)
        else:
            parts.append(Text("No lookups yet. A relay asks DNS for the MX of the recipient's domain, "
                              "then for that host's address; checks ask for SPF, DKIM and DMARC records.",
                              self.s("muted")))
        parts.append(Text(""))
        parts.append(Text("Records in the virtual DNS", self.s("title")))
        if records:
            t = self.table("name", "type", "value")
            for name, rtype, value in records:
                t.add_row(name, Text(rtype, self.s("key")), value)
            parts.append(t)
        else:
            parts.append(Text("(not known for this trace)", self.s("muted")))
        return Group(*parts)


class ChecksPane(RichPane):
    DEFAULT_CSS = PANE_CSS.format(name="ChecksPane")

    def render_model(self, model: tuple[Sequence[tuple[int, CheckStep]], int] | None):
        if model is None:
            return Text("")
        rows, current = model
        if not rows:
            return Text("No SPF, DKIM or DMARC check has run yet. When a receiving server evaluates a "
                        "message, every reasoning step appears here: the DNS records fetched, the hashes "
                        "compared, and each verdict.", self.s("muted"))
        parts: list[RenderableType] = []
        by_check: dict[str, list[tuple[int, CheckStep]]] = {}
        for step, row in rows:
            by_check.setdefault(row.check.upper(), []).append((step, row))
        for check, items in by_check.items():
            verdict = next((r.result for _, r in reversed(items) if r.result), "")
            head = Text(f"{check} ", self.s("title"))
            if verdict:
                head.append(verdict, self.result_style(verdict))
            parts.append(head)
            t = self.table("step", "host", "reasoning", "result")
            for step, r in items:
                t.add_row(str(step), r.host, r.text, Text(r.result, self.result_style(r.result)),
                          style=self.s("current") if step == current else None)
            parts.append(t)
            parts.append(Text(""))
        return Group(*parts)


class MailboxesPane(RichPane):
    DEFAULT_CSS = PANE_CSS.format(name="MailboxesPane")

    def render_model(self, model: tuple[dict[tuple[str, str, str], list[MessageRow]], Sequence[QueueChanged]] | None):
        if model is None:
            return Text("")
        boxes, queues = model
        parts: list[RenderableType] = [Text("Mailboxes", self.s("title"))]
        if not boxes:
            parts.append(Text("No mailboxes.", self.s("muted")))
        # One heading per mailbox and a narrow table of its messages: four columns fit a side pane.
        for (host, user, folder), messages in boxes.items():
            head = Text(f"{user}/{folder}", self.s("key"))
            head.append(f"  on {host}", self.s("muted"))
            if not messages:
                head.append("  (empty)", self.s("muted"))
                parts.append(head)
                continue
            parts.append(head)
            t = self.table("UID", "flags", "subject", "size")
            for msg in messages:
                t.add_row(str(msg.uid), " ".join(msg.flags), msg.subject, f"{msg.size} B")
            parts.append(t)
        parts.append(Text(""))
        parts.append(Text("Outbound queues", self.s("title")))
        if queues:
            q = self.table("host", "queue id", "status", "recipients", "detail")
            for row in queues:
                q.add_row(row.host, row.queue_id, Text(row.action, self.result_style(row.action)),
                          ", ".join(row.recipients), row.detail)
            parts.append(q)
        else:
            parts.append(Text("Nothing queued.", self.s("muted")))
        return Group(*parts)


class EventsPane(RichPane):
    """The current step expanded into its raw trace events."""

    DEFAULT_CSS = PANE_CSS.format(name="EventsPane")
    LIMIT = 400

    def render_model(self, model: tuple[str, Sequence[str]] | None):
        if model is None:
            return Text("")
        title, lines = model
        text = Text(f"{title}: {plural(len(lines), 'event')}\n", self.s("title"))
        for line in lines[: self.LIMIT]:
            kind_end = line.find("  ")
            text.append(line[:kind_end] if kind_end > 0 else line, self.s("key"))
            if kind_end > 0:
                text.append(line[kind_end:])
            text.append("\n")
        if len(lines) > self.LIMIT:
            text.append(f"… {len(lines) - self.LIMIT} more\n", self.s("muted"))
        return text


class DiffPane(RichPane):
    """Where a what-if branch parts from the main timeline, and what differs."""

    DEFAULT_CSS = PANE_CSS.format(name="DiffPane")

    def render_model(self, model: Any):
        if model is None:
            return Text("")
        title, diff = model
        parts: list[RenderableType] = [Text(title, self.s("title"))]
        summary = diff.summary() if hasattr(diff, "summary") else ""
        if summary:
            parts.append(Text(summary))
        if not summary:
            first = getattr(diff, "first_divergent_step", None)
            parts.append(Text("The timelines never part." if first is None
                              else f"The timelines part at step {first}.", self.s("warn")))
        lines = list(getattr(diff, "lines", []))
        if lines:
            t = self.table("step", "what", "main timeline", "what if")
            for line in lines:
                t.add_row(line.step_id, Text(line.kind, self.s("key")), Text(line.base, self.s("client")),
                          Text(line.branch, self.s("bad")))
            parts.append(t)
        return Group(*parts)
