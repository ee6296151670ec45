"""A scrolling view that renders only the lines on screen (Textual's line API).

Subclasses say how many lines there are and build one line on demand, so a
trace of ten thousand events costs no more to show than one of ten.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip


class LinesView(ScrollView, can_focus=True):
    DEFAULT_CSS = """
    LinesView {
        height: 1fr;
        overflow-x: hidden;
    }
    """

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.line_count = 0
        self.content_width = 0

    def set_line_count(self, count: int, *, follow: int | None = None) -> None:
        """Change how many lines there are; ``follow`` scrolls so that line shows (near the bottom)."""
        self.line_count = count
        self.virtual_size = Size(self.content_width, count)
        self.refresh()
        if follow is not None:
            self.call_after_refresh(self.show_line, follow)

    def show_line(self, y: int) -> None:
        height = self.scrollable_content_region.height or 1
        if y < self.scroll_y or y >= self.scroll_y + height:
            self.scroll_to(y=max(0, y - height + 2), animate=False, immediate=True)

    def show_range(self, first: int, last: int) -> None:
        """Scroll the least amount that shows ``last`` and, if it fits, ``first``."""
        height = self.scrollable_content_region.height or 1
        top = self.scroll_y
        if last >= top + height:
            top = last - height + 1
        if first < top:
            top = first
        if top != self.scroll_y:
            self.scroll_to(y=max(0, top), animate=False, immediate=True)

    def build_line(self, y: int, width: int) -> Text:  # pragma: no cover - overridden
        return Text("")

    def component_style(self, name: str) -> Style:
        return self.get_component_rich_style(name, partial=True)

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        index = scroll_y + y
        base = self.rich_style
        if index >= self.line_count or width <= 0:
            return Strip.blank(width, base)
        text = self.build_line(index, width)
        text.no_wrap = True
        text.overflow = "crop"
        segments = [Segment(s.text, base + s.style if s.style else base) for s in
                    text.render(self.app.console) if s.text != "\n"]
        strip = Strip(segments)
        return strip.crop_extend(scroll_x, scroll_x + width, base)

    def refresh_line_region(self, y: int) -> None:
        self.refresh(Region(0, y - int(self.scroll_y), self.size.width, 1))
