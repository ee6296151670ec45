"""The raw transcript: ``C:`` and ``S:`` lines as they crossed, the current step lit."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

from simulator.replay import TranscriptLine
from simulator.tui.widgets.lines import LinesView


class TranscriptView(LinesView):
    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.items: Sequence[TranscriptLine] = ()
        self.shown_count = 0
        self.current_from = 0
        self.multi_conn = False

    def show(self, lines: Sequence[TranscriptLine], visible: int, current_from: int) -> None:
        if lines is not self.items:
            self.multi_conn = len({t.conn for t in lines if t.conn}) > 1
        self.items = lines
        self.shown_count = visible
        self.current_from = current_from
        self.set_height(max(1, visible))
        self.show_range(current_from, max(current_from, visible - 1))

    def on_resize(self) -> None:
        if self.shown_count:
            self.show_range(self.current_from, max(self.current_from, self.shown_count - 1))

    def build_line(self, y: int, width: int) -> Text:
        if self.shown_count == 0:
            return Text(" Nothing has crossed the network yet.", self.style_of("muted"))
        line = self.items[y]
        text = Text()
        if self.multi_conn:
            text.append(f"{line.conn or '':>3} ", self.style_of("muted"))
        if line.side == "C":
            text.append("C: " + line.text, self.style_of("client"))
        elif line.side == "S":
            text.append("S: " + line.text, self.style_of("server"))
        else:
            text.append("   " + line.text, self.style_of("muted"))
        if y >= self.current_from:
            text.pad_right(max(0, width - text.cell_len))
            text.stylize(self.style_of("current"))
        return text
