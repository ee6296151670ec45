"""The tabbed panes of the lesson screen: DNS, checks, mailboxes, raw events, diff.

Each pane is a scrolling Static fed a view model by the screen; styles come
from component classes so light and dark themes both read well.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from simulator.replay.mailboxes import LEGEND, MailboxesView, UserBoxes, flag_marks
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
            return Text("No check has run yet. When a server checks something (SPF, DKIM and DMARC at "
                        "a receiving MX, MTA-STS at a relay, the proofs of a SCRAM login), every reasoning "
                        "step appears here: the DNS records fetched, the values compared, and each verdict.",
                        self.s("muted"))
        # The latest hop with checks (this step's, or the last one before it) is walked step by
        # step, one table per check and host: DKIM signing at the sender's provider is another
        # hop than its verification at the MX. Earlier hops keep one line each, their verdict.
        latest = max(step for step, _ in rows)
        by_check: dict[tuple[str, str, int], list[CheckStep]] = {}
        for step, row in rows:
            by_check.setdefault((row.check.upper(), row.host, step), []).append(row)
        now = {key: items for key, items in by_check.items() if key[2] == latest}
        before = {key: items for key, items in by_check.items() if key[2] != latest}
        where = "this step" if latest == current else f"step {latest}, the last step with checks"
        parts: list[RenderableType] = [Text(f"Checks of {where}, step by step", self.s("muted"))]
        for (check, host, _), items in now.items():
            verdict = next((r.result for r in reversed(items) if r.result), "")
            head = Text(f"{check} ", self.s("title"))
            head.append(f"at {host}  ", self.s("muted"))
            if verdict:
                head.append(verdict, self.result_style(verdict))
            reason = next((r.reason for r in reversed(items) if r.result), "")
            if reason:
                head.append(f" ({reason})", self.s("muted"))
            parts.append(head)
            # One numbered line per step, its data below at full width: the data lines (a
            # canonicalized body, the data signed) are cut to 76 columns and fit at 80.
            for n, r in enumerate(items, 1):
                first, _, rest = r.text.partition("\n")
                line = Text(f"{n:>2} ", self.s("muted"))
                line.append(first)
                if r.result:
                    line.append("  → ", self.s("muted"))
                    line.append(r.result, self.result_style(r.result))
                parts.append(line)
                if rest:
                    parts.append(Text(rest))
            parts.append(Text(""))
        if before:
            parts.append(Text("Earlier hops", self.s("title")))
            t = self.table("step", "check", "host", "verdict")
            for (check, host, step), items in before.items():
                verdict = next((r.result for r in reversed(items) if r.result), "")
                reason = next((r.reason for r in reversed(items) if r.result), "")
                shown = Text(verdict, self.result_style(verdict))
                if reason:
                    shown.append(f" ({reason})", self.s("muted"))
                t.add_row(str(step), check, host, shown)
            parts.append(t)
        return Group(*parts)


class MailboxesPane(RichPane):
    """Per user, the folders with mail or touched (UIDs, flags as marks, the step's changes lit),
    the empty special-use folders on one line, and what each open session has been told."""

    DEFAULT_CSS = PANE_CSS.format(name="MailboxesPane")

    def render_model(self, model: tuple[MailboxesView, Sequence[QueueChanged]] | None):
        if model is None:
            return Text("")
        view, queues = model
        head = Text("Mailboxes", self.s("title"))
        head.append(f"   {LEGEND}", self.s("muted"))
        parts: list[RenderableType] = [head]
        if not view.users and not view.quiet:
            parts.append(Text("No mailboxes.", self.s("muted")))
        for user in view.users:
            parts += self.user_parts(user)
        if view.quiet:
            names = ", ".join(user for _, user in view.quiet)
            parts.append(Text(f"No mail yet: {names}", self.s("muted")))
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

    def user_parts(self, user: UserBoxes) -> list[RenderableType]:
        head = Text(user.user, self.s("key"))
        head.append(f"  on {user.host}", self.s("muted"))
        parts: list[RenderableType] = [Text(""), head]
        if user.locked:  # RFC 1939 8: one session at a time; its DELEs take effect at QUIT (6)
            parts.append(Text(" maildrop locked by a POP3 session: what it deletes goes at QUIT", self.s("warn")))
        for folder in user.folders:
            line = Text(f" {folder.name}", self.s("title"))
            line.append(f"  {plural(len(folder.messages), 'message')}", self.s("muted"))
            if folder.gone:
                line.append(f"  {'; '.join(folder.gone)} in this step", self.s("bad"))
            parts.append(line)
            if folder.messages:
                t = Table(box=None, show_edge=False, pad_edge=False, header_style=self.s("muted"), padding=(0, 1))
                t.add_column("  UID", justify="right", no_wrap=True)
                t.add_column("flags", no_wrap=True)
                t.add_column("subject", overflow="fold", max_width=48)
                t.add_column("size", justify="right", no_wrap=True)
                for msg in folder.messages:
                    t.add_row(str(msg.uid), flag_marks(msg.flags), msg.subject or "(no subject)", f"{msg.size} B",
                              style=self.s("current") if msg.uid in folder.lit else None)
                parts.append(t)
        if user.idle:
            parts.append(Text(f" also: {', '.join(user.idle)} (empty)", self.s("muted")))
        for session in user.sessions:
            line = Text(" ")
            line.append(session.summary(), self.s("current") if session.changed else None)
            parts.append(line)
            for behind in session.behind:
                parts.append(Text(f"   {behind}", self.s("warn")))
        return parts


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


# The diff's kinds in the order the table shows them, each under its heading.
DIFF_GROUPS = (("step", "Steps"), ("reply", "Replies"), ("mailbox", "Mailboxes"), ("queue", "Queues"),
               ("verdict", "Checks"))


def diff_side(line: Any, items: tuple) -> str:
    """One side of a difference without the label the row already names ("" for nothing there)."""
    if line.kind == "mailbox":  # a mailbox always has a count, even when empty
        return plural(len(items), "message") + (": " + ", ".join(map(str, items)) if items else "")
    if not items:
        return ""
    if line.kind == "step":
        return items[0].title or items[0].step_id
    if line.kind == "reply":
        return items[0].brief
    return ", ".join(map(str, items))


class DiffPane(RichPane):
    """Where a what-if branch parts from the main line, and what differs: a table of
    what, the main line and the branch, grouped by kind (steps, replies, mailboxes,
    queues, checks), so it reads at 80 columns."""

    DEFAULT_CSS = PANE_CSS.format(name="DiffPane")

    def render_model(self, model: Any):
        if model is None:
            return Text("")
        title, diff = model
        parts: list[RenderableType] = [Text(title, self.s("title"))]
        if diff.identical:
            parts.append(Text("The two timelines are identical.", self.s("muted")))
            return Group(*parts)
        if diff.first_divergent_step is None:
            parting = Text("The timelines never part: the steps they share have the same events.")
        else:
            parting = Text("The timelines part at step ")
            parting.append(diff.divergent_step_id, self.s("key"))
            if diff.divergent_step_title:
                parting.append(f" ({diff.divergent_step_title})")
            parting.append(".")
        parts.append(parting)
        if diff.lines:
            parts.append(Text(""))
            parts.append(self.diff_table(diff))
        return Group(*parts)

    def diff_table(self, diff: Any) -> Table:
        nothing = Text("—", self.s("muted"))
        t = Table(box=box.SIMPLE_HEAD, expand=True, show_edge=False, pad_edge=False,
                  header_style=self.s("title"), padding=(0, 1))
        t.add_column("what", ratio=5, overflow="fold")
        t.add_column("main line", ratio=6, overflow="fold")
        t.add_column("branch", ratio=6, overflow="fold")
        groups: list[tuple[str, list[Any]]] = []
        for kind, heading in DIFF_GROUPS:
            lines = diff.of_kind(kind)
            if kind != "reply":
                groups += [(heading, lines)] if lines else []
                continue
            by_step: dict[str, list[Any]] = {}  # replies under the step that got them
            for line in lines:
                by_step.setdefault(line.step_id, []).append(line)
            groups += [(f"{heading} in step {step_id}", group) for step_id, group in by_step.items()]
        for n, (heading, lines) in enumerate(groups):
            t.add_row(Text(heading, self.s("accent")), "", "")
            for i, line in enumerate(lines):
                what = Text()
                if line.kind == "step":
                    what.append("only in the branch" if line.after else "only in the main line")
                else:
                    what.append(line.what)
                before, after = diff_side(line, line.before), diff_side(line, line.after)
                t.add_row(what, Text(before, self.s("client")) if before else nothing,
                          Text(after, self.s("bad")) if after else nothing,
                          end_section=i == len(lines) - 1 and n < len(groups) - 1)
        return t
