"""Scrolling views that render only the lines on screen (Textual's line API).

:class:`LinesView` asks a subclass for one line at a time, so a trace of ten
thousand events costs no more to show than one of ten. :class:`RichLinesView`
renders a Rich renderable once per change (and per width) and then serves the
cached lines. Both change their scrollable height without asking the screen
for a new layout, so stepping repaints only what changed.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

from rich.console import RenderableType
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget

from simulator.tui.widgets.palette import palette


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
        self._base_style: Style | None = None
        self._pending_range: tuple[int, int] | None = None

    @property
    def base_style(self) -> Style:
        """The widget's own Rich style (colours and background), kept until the CSS changes."""
        if self._base_style is None:
            self._base_style = self.rich_style
        return self._base_style

    def notify_style_update(self) -> None:
        self._base_style = None
        super().notify_style_update()

    def set_height(self, count: int) -> None:
        """Set the scrollable height; only a scrollbar appearing or going needs a layout."""
        self.line_count = count
        size = Size(0, count)
        if size != self.virtual_size:
            if self.is_mounted and self.size.height:
                self.set_reactive(Widget.virtual_size, size)
                self._scroll_update(size)
            else:
                self.virtual_size = size
        self.refresh()

    def set_line_count(self, count: int, *, follow: int | None = None) -> None:
        self.set_height(count)
        if follow is not None:
            self.show_line(follow)

    def show_line(self, y: int) -> None:
        self.show_range(y, y)

    def show_range(self, first: int, last: int) -> None:
        """Scroll the least amount that shows ``last`` and, if it fits, ``first``."""
        height = self.scrollable_content_region.height
        if height <= 0:
            # Not laid out, or in a tab not shown: scroll once it has a size. (Retrying
            # after every refresh would keep a hidden view busy for ever.)
            self._pending_range = (first, last)
            return
        self._pending_range = None
        top = int(self.scroll_y)
        if last >= top + height:
            top = last - height + 1
        if first < top:
            top = first
        top = max(0, min(top, max(0, self.line_count - height)))
        if top != int(self.scroll_y):
            self.scroll_y = top

    def on_resize(self) -> None:  # Textual calls this besides a subclass's own on_resize
        if self._pending_range is not None and self.scrollable_content_region.height > 0:
            self.show_range(*self._pending_range)

    def build_line(self, y: int, width: int) -> Text:  # pragma: no cover - overridden
        return Text("")

    def style_of(self, name: str) -> Style:
        """A style of the current theme's palette (see :mod:`.palette`)."""
        return palette(self.app).get(name, Style())

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        index = scroll_y + y
        base = self.base_style
        if index >= self.line_count or width <= 0:
            return Strip.blank(width, base)
        text = self.build_line(index, width)
        text.no_wrap = True
        text.overflow = "crop"
        segments = [Segment(s.text, base + s.style if s.style else base) for s in
                    text.render(self.app.console) if s.text != "\n"]
        strip = Strip(segments)
        return strip.crop_extend(scroll_x, scroll_x + width, base)


class RichLinesView(LinesView):
    """A Rich renderable, rendered once per change and width, shown line by line."""

    DEFAULT_CSS = """
    RichLinesView { scrollbar-gutter: stable; }
    """

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._renderable: RenderableType | None = None
        self._strips: list[Strip] = []
        self._rendered_width = -1
        self._key: Hashable = None
        self._cache: dict[Hashable, list[Strip]] = {}

    CACHE_SIZE = 64

    def set_renderable(self, renderable: RenderableType | Callable[[], RenderableType] | None, *,
                       home: bool = False, key: Hashable = None) -> None:
        """Show a renderable (or a factory of one). With a ``key``, the rendered lines are
        kept, so showing the same thing again (stepping back) costs nothing."""
        self._renderable = renderable
        self._key = key
        self._rendered_width = -1
        self._render_now()
        if home and self.scroll_y:
            self.scroll_y = 0

    def _render_now(self) -> None:
        width = self.scrollable_content_region.width
        if width <= 0:
            self.set_height(0)
            return
        self._rendered_width = width
        base = self.base_style
        cache_key = None if self._key is None else (self._key, width, base, self.app.theme)
        cached = self._cache.get(cache_key) if cache_key is not None else None
        if cached is not None:
            self._strips = cached
        elif self._renderable is None:
            self._strips = []
        else:
            renderable = self._renderable() if callable(self._renderable) else self._renderable
            console = self.app.console
            options = console.options.update(width=width, height=None, highlight=False)
            lines = console.render_lines(renderable, options, pad=False, new_lines=False)
            self._strips = [Strip(line).apply_style(base).crop_extend(0, width, base) for line in lines]
            if cache_key is not None:
                if len(self._cache) >= self.CACHE_SIZE:
                    self._cache.pop(next(iter(self._cache)))
                self._cache[cache_key] = self._strips
        self.lines_changed(len(self._strips))
        self.set_height(len(self._strips))

    def lines_changed(self, count: int) -> None:
        """Hook: the rendered height changed (a pane sizing itself to fit overrides this)."""

    def on_resize(self) -> None:
        if self.scrollable_content_region.width != self._rendered_width:
            self._render_now()

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        index = scroll_y + y
        base = self.base_style
        if width != self._rendered_width and width > 0:
            self._render_now()
        if index >= len(self._strips) or width <= 0:
            return Strip.blank(max(0, width), base)
        return self._strips[index]
