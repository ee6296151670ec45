"""The raw transcript: ``C:`` and ``S:`` lines as they crossed, the current step lit."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

from simulator.lesson.player import TranscriptLine
from simulator.tui.widgets.lines import LinesView


class TranscriptView(LinesView):
    COMPONENT_CLASSES = {
        "transcript--client",
        "transcript--server",
        "transcript--remark",
        "transcript--conn",
        "transcript--current",
        "transcript--empty",
    }

    DEFAULT_CSS = """
    TranscriptView > .transcript--client { color: $primary; }
    TranscriptView > .transcript--server { color: $success; }
    TranscriptView > .transcript--remark { color: $text-muted; text-style: italic; }
    TranscriptView > .transcript--conn { color: $text-muted; }
    TranscriptView > .transcript--current { background: $accent 15%; }
    TranscriptView > .transcript--empty { color: $text-muted; text-style: italic; }
    """

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
        self.set_line_count(max(1, visible))
        last = max(current_from, visible - 1)
        self.call_after_refresh(self.show_range, current_from, last)

    def build_line(self, y: int, width: int) -> Text:
        if self.shown_count == 0:
            return Text(" Nothing has crossed the network yet.", self.component_style("transcript--empty"))
        line = self.items[y]
        text = Text()
        if self.multi_conn:
            text.append(f"{line.conn or '':>3} ", self.component_style("transcript--conn"))
        if line.side == "C":
            text.append("C: " + line.text, self.component_style("transcript--client"))
        elif line.side == "S":
            text.append("S: " + line.text, self.component_style("transcript--server"))
        else:
            text.append("   " + line.text, self.component_style("transcript--remark"))
        if y >= self.current_from:
            text.pad_right(max(0, width - text.cell_len))
            text.stylize(self.component_style("transcript--current"))
        return text
