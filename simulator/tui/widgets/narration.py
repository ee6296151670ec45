"""The narration: the lesson's Markdown for the current step.

A step's text may be taller than its pane (five lines or so at 80x24): then
the pane's last row says so ("more ↓") and names the keys that scroll it, which
work without moving the focus (the lesson screen hands ↓/↑/PgDn/PgUp to the
narration when no other pane has the focus).
"""

from __future__ import annotations

import re

from rich.segment import Segment
from rich.text import Text
from textual.strip import Strip

from simulator.tui.widgets.lines import RichLinesView

_BLOCK_START = re.compile(r"^\s*([-*+]\s|\d+[.)]\s|>|#|\||```|~~~|---\s*$)")


_ANGLE = re.compile(r"(?<!\\)<([^<>\s`\\]+)>")


def keep_angles(line: str) -> str:
    """``<bob@example.net>`` is an SMTP path, not a Markdown autolink: keep the brackets."""
    parts = line.split("`")
    for n in range(0, len(parts), 2):  # outside inline code only
        parts[n] = _ANGLE.sub(r"\\<\1\\>", parts[n])
    return "`".join(parts)


def unwrap(markdown: str) -> str:
    """Join soft-wrapped paragraph lines (a soft break can lose its space when rendered)."""
    out: list[str] = []
    fenced = False
    for line in markdown.splitlines():
        stripped = line.strip()
        if stripped.startswith(("```", "~~~")):
            fenced = not fenced
            out.append(line)
            continue
        if not fenced:
            line = keep_angles(line)
            stripped = line.strip()
        joinable = (out and not fenced and stripped and out[-1].strip()
                    and not _BLOCK_START.match(line)
                    and not out[-1].endswith("  ")
                    and not out[-1].lstrip().startswith(("#", "|", "```", "~~~")))
        if joinable:
            out[-1] = out[-1].rstrip() + " " + stripped
        else:
            out.append(line)
    return "\n".join(out)


class Narration(RichLinesView):
    """The step's Markdown, rendered by Rich once per step and shown line by line."""

    DEFAULT_CSS = """
    Narration {
        height: 1fr; padding: 0 1; overflow-y: scroll;
        scrollbar-size-vertical: 1; scrollbar-background: $background; scrollbar-background-hover: $background;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.markdown = ""

    def show(self, text: str) -> None:
        if text == self.markdown:
            return
        self.markdown = text
        def build():
            from simulator.tui.widgets.markdown import block, is_dark

            return block(text, dark=is_dark(self.app))

        self.set_renderable(build, home=True, key=text)

    @property
    def more_below(self) -> int:
        """How many lines of the step's text are below the pane (0: the end is on screen)."""
        height = self.scrollable_content_region.height
        return max(0, self.line_count - int(self.scroll_y) - height) if height > 0 else 0

    MORE = " more ↓  ↓ PgDn scroll "

    def render_line(self, y: int) -> Strip:
        height = self.scrollable_content_region.height
        more = self.more_below
        if more and y == height - 1:
            # The last row becomes the sign that the text goes on (the line it hides
            # moves up into view with the first ↓).
            width = self.scrollable_content_region.width
            text = Text(self.MORE if len(self.MORE) + 2 <= width else " more ↓ ", self.style_of("accent"))
            text.stylize("reverse")
            rule = Text("─" * max(0, width - text.cell_len - 1), self.style_of("disabled"))
            line = Text.assemble(rule, text, " ")
            line.truncate(width)
            base = self.base_style
            segments = [Segment(seg.text, base + seg.style if seg.style else base)
                        for seg in line.render(self.app.console) if seg.text != "\n"]
            return Strip(segments).crop_extend(0, width, base)
        return super().render_line(y)
