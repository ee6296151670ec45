"""The raw transcript: ``C:`` and ``S:`` lines as they crossed, the current step lit.

A line wider than the pane ends with an ellipsis; with ``wrap=True`` (the sandbox,
where a student reads every reply) it wraps instead, continuation rows indented
under the text they continue.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from rich.text import Text

from simulator.replay import TranscriptLine
from simulator.tui.widgets.lines import LinesView

PREFIX = 3  # "C: ", "S: ", or three spaces before a remark


def wrap_text(text: str, width: int) -> list[str]:
    """``text`` in rows of at most ``width`` cells: at spaces where it can, mid-word where not."""
    if width <= 0 or len(text) <= width:
        return [text]
    return textwrap.wrap(text, width, break_long_words=True, break_on_hyphens=False,
                         drop_whitespace=True) or [text]


class TranscriptView(LinesView):
    def __init__(self, *, id: str | None = None, classes: str | None = None, wrap: bool = False) -> None:
        super().__init__(id=id, classes=classes)
        self.items: Sequence[TranscriptLine] = ()
        self.shown_count = 0
        self.current_from = 0
        self.multi_conn = False
        self.wrap = wrap
        self._rows: list[tuple[int, str, bool]] = []  # wrap mode: (item, text, first row of it)
        self._rows_width = -1

    def show(self, lines: Sequence[TranscriptLine], visible: int, current_from: int) -> None:
        if lines is not self.items:
            self.multi_conn = len({t.conn for t in lines if t.conn}) > 1
        self.items = lines
        self.shown_count = visible
        self.current_from = current_from
        self._reflow()

    def _prefix(self) -> int:
        return PREFIX + (4 if self.multi_conn else 0)

    def _reflow(self) -> None:
        if self.wrap:
            width = self.scrollable_content_region.width
            self._rows_width = width
            avail = max(8, width - self._prefix()) if width > 0 else 0
            self._rows = [(i, part, n == 0) for i in range(self.shown_count)
                          for n, part in enumerate(wrap_text(self.items[i].text.expandtabs(4), avail))]
            first = next((r for r, row in enumerate(self._rows) if row[0] >= self.current_from), len(self._rows))
            self.set_height(max(1, len(self._rows)))
            self.show_range(first, max(first, len(self._rows) - 1))
            return
        self.set_height(max(1, self.shown_count))
        self.show_range(self.current_from, max(self.current_from, self.shown_count - 1))

    def on_resize(self) -> None:
        if self.shown_count and (not self.wrap or self.scrollable_content_region.width != self._rows_width):
            self._reflow()

    def build_line(self, y: int, width: int) -> Text:
        if self.shown_count == 0:
            return Text(" Nothing has crossed the network yet.", self.style_of("muted"))
        if self.wrap:
            index, part, first = self._rows[y]
        else:
            index, part, first = y, self.items[y].text, True
        line = self.items[index]
        part = part.expandtabs(4)  # a folded header's TAB: the terminal would jump over stale cells
        text = Text()
        if self.multi_conn:
            text.append(f"{line.conn or '':>3} " if first else "    ", self.style_of("muted"))
        if line.side == "C":
            text.append(("C: " if first else "   ") + part, self.style_of("client"))
        elif line.side == "S":
            text.append(("S: " if first else "   ") + part, self.style_of("server"))
        else:
            text.append("   " + part, self.style_of("muted"))
        if text.cell_len > width:
            text.truncate(width, overflow="ellipsis")
        if index >= self.current_from:
            text.pad_right(max(0, width - text.cell_len))
            text.stylize(self.style_of("current"))
        return text
