"""The wire: plaintext beside what is on the wire, through three lenses, and TLS records.

The client lens shows what the client sent and received, the server lens the
same from the server's side, the eavesdropper lens only what a listener on the
path captures. When no TLS is up, the eavesdropper reads every word.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.console import Group, RenderableType
from rich.text import Text
from textual import on
from textual.widgets import Tab, Tabs

from simulator.replay import WireChunk, sniffed_text
from simulator.replay.tls import TlsView, tls_view
from simulator.trace import Sniffed, TlsRecord
from simulator.tui.widgets.panes import PANE_CSS, RichPane

LENSES = ("client", "server", "eavesdropper")


@dataclass(frozen=True)
class WireModel:
    chunks: Sequence[WireChunk]  # the current step's, or the latest before it
    current: bool  # whether the chunks belong to the current step
    tls: Sequence[tuple[int, TlsRecord]]  # (step, record)
    step: int
    sniffed: Sequence[tuple[int, Sniffed]] = ()  # (step, what an eavesdropper learned) up to this step


class WirePane(RichPane):
    DEFAULT_CSS = PANE_CSS.format(name="WirePane") + """
    WirePane > Tabs { dock: top; height: 2; margin: 0 0 0 0; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.lens = "client"

    def compose(self):
        yield Tabs(Tab("Client", id="lens-client"), Tab("Server", id="lens-server"),
                   Tab("Eavesdropper", id="lens-eavesdropper"), id="wire-lens")
        yield from super().compose()

    @on(Tabs.TabActivated, "#wire-lens")
    def _lens_changed(self, event: Tabs.TabActivated) -> None:
        event.stop()
        self.lens = (event.tab.id or "lens-client").removeprefix("lens-")
        self._draw()

    def set_lens(self, lens: str) -> None:
        self.query_one("#wire-lens", Tabs).active = f"lens-{lens}"

    def render_model(self, model: WireModel | None) -> RenderableType:
        if model is None:
            return Text("")
        bytes_part: list[RenderableType] = []
        if not model.chunks:
            bytes_part.append(Text("No bytes have crossed the network yet.", self.s("muted")))
        else:
            if not model.current:
                bytes_part.append(Text("Nothing crossed during this step; the last bytes before it were:",
                                       self.s("muted")))
            bytes_part.append(self._eavesdropper(model.chunks) if self.lens == "eavesdropper"
                              else self._endpoint(model.chunks))
        # The eavesdropper lens starts with what the listeners learned so far (credentials, messages).
        learned = [self._learned(model)] if self.lens == "eavesdropper" and model.sniffed else []
        view = tls_view(model.tls, model.step, lens=self.lens)
        if view is None:
            return Group(*learned, *bytes_part)
        records = self._records(view)
        # A handshake step: its records first (the hex of the same bytes follows).
        parts = [*records, Text(""), *bytes_part] if view.handshake_now else [*bytes_part, Text(""), *records]
        return Group(*learned, *parts)

    def _records(self, view: TlsView) -> list[RenderableType]:
        lens = "what an eavesdropper reads" if self.lens == "eavesdropper" else f"as the {self.lens} decodes them"
        parts: list[RenderableType] = [
            Text.assemble(("TLS records", self.s("title")), (f"  {lens}", self.s("muted")))]
        if view.earlier:
            parts.append(Text(f"({view.earlier} earlier record{'s' if view.earlier != 1 else ''} "
                              "in the steps before)", self.s("muted")))
        t = self.table("", "record (header)", "holds")
        t.columns[0].no_wrap = True
        t.columns[1].max_width = 26  # the header wraps; the decoded fields take the room
        t.columns[2].ratio = 1
        for r in view.records:
            side = self.s("client") if r.arrow == "C→S" else self.s("server")
            body = Text(r.title, side if r.readable else self.s("warn"))
            for line in r.lines:
                body.append("\n  " + line, self.s("muted") if r.readable else self.s("warn"))
            t.add_row(Text(r.arrow, side), Text(r.header), body, style=self.s("current") if r.current else None)
        parts.append(t)
        parts.append(Text(view.note, self.s("muted")))
        return parts

    def _endpoint(self, chunks: Sequence[WireChunk]) -> RenderableType:
        client = self.lens == "client"
        first = chunks[0]
        me = (first.src if first.direction == "c2s" else first.dst) if client else (
            first.dst if first.direction == "c2s" else first.src)
        table = self.table("", f"what {me} sees", "on the wire")
        table.columns[0].no_wrap = True
        table.columns[0].overflow = "ellipsis"
        for chunk in chunks:
            c2s = chunk.direction == "c2s"
            sends = c2s == client
            side_style = self.s("client") if c2s else self.s("server")
            if chunk.altered_by and not sends:  # what reached this end is what the man in the middle passed on
                table.add_row(Text(f"← got {chunk.delivered_size} B", side_style),
                              Text("\n".join(chunk.delivered_lines), side_style),
                              Text(f"changed by {chunk.altered_by} on the way: {'; '.join(chunk.changes)}",
                                   self.s("bad")))
                continue
            arrow = f"→ sent {chunk.size} B" if sends else f"← got {chunk.size} B"
            plain = Text("\n".join(chunk.plain_lines), side_style)
            if chunk.encrypted:
                wire = Text("\n".join(chunk.wire_lines), self.s("warn"))
            else:
                wire = Text("same bytes: readable by anyone on the path", self.s("bad"))
            table.add_row(Text(arrow, side_style), plain, wire)
        return table

    def _learned(self, model: WireModel) -> RenderableType:
        """What the eavesdroppers in the world learned so far: the credentials and messages they read."""
        lines = [Text("What the eavesdropper learned", self.s("title"))]
        for step, e in model.sniffed:
            style = self.s("good") if e.what == "tls" else self.s("bad")
            line = Text(f"{e.attacker} {sniffed_text(e)}", style)
            if step == model.step:
                line.stylize(self.s("current"))
            lines.append(line)
        lines.append(Text(""))
        return Group(*lines)

    def _eavesdropper(self, chunks: Sequence[WireChunk]) -> RenderableType:
        table = self.table("", "what a listener on the path captures")
        for chunk in chunks:
            c2s = chunk.direction == "c2s"
            side_style = self.s("client") if c2s else self.s("server")
            head = Text(f"{chunk.src} → {chunk.dst}, {chunk.wire_size} B", side_style)
            verdict = (Text("encrypted: only lengths and timing leak", self.s("good")) if chunk.encrypted
                       else Text("plaintext: every word is readable", self.s("bad")))
            table.add_row(Text.assemble(head, "\n", verdict), Text("\n".join(chunk.wire_lines)))
            if chunk.altered_by:  # the listener on the path is the one who changed them
                table.add_row(Text(f"{chunk.altered_by} → {chunk.dst}, {chunk.delivered_size} B\n"
                                   f"{'; '.join(chunk.changes)}", self.s("bad")),
                              Text("\n".join(chunk.delivered_lines)))
        return table
