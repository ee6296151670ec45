"""The narration: the lesson's Markdown for the current step."""

from __future__ import annotations

import re

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
