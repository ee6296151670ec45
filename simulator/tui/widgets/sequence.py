"""The sequence diagram: hosts as columns, one arrow per exchange, the current step lit.

The two header rows (host names and addresses) stay put while the arrows
scroll; the view follows the current step. Clicking an arrow asks for its step.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual import events

from simulator.replay import Arrow, HostColumn
from simulator.tui.messages import StepRequested
from simulator.tui.widgets.lines import LinesView

HEADER_ROWS = 2
GUTTER = 4


def column_centers(n: int, width: int, gutter: int = GUTTER) -> list[int]:
    usable = max(1, width - gutter)
    if n <= 0:
        return []
    slot = usable / n
    return [gutter + int(slot * i + slot / 2) for i in range(n)]


def _fit(text: str, n: int) -> str:
    if n <= 0:
        return ""
    return text if len(text) <= n else text[: max(0, n - 1)] + "…"


class SequenceDiagram(LinesView):
    KIND_STYLE = {
        "header": "title", "address": "muted", "lifeline": "disabled", "gutter": "muted",
        "command": "client", "reply": "server", "connect": "key", "refused": "bad", "close": "muted",
        "note": "warn", "dns": "key_italic", "fault": "fault", "empty": "muted",
    }

    DEFAULT_CSS = """
    SequenceDiagram { height: 1fr; overflow-x: hidden; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.hosts: Sequence[HostColumn] = ()
        self.arrows: Sequence[Arrow] = ()
        self.shown_count = 0
        self.current_from = 0
        self.current_step = 0
        self._centers: list[int] = []
        self._width = 0
        self._index: dict[str, int] = {}
        self._cache: dict[tuple, object] = {}
        self._cache_key: tuple = ()

    def show(self, hosts: Sequence[HostColumn], arrows: Sequence[Arrow], visible: int, current_from: int,
             current_step: int) -> None:
        """Show ``arrows[:visible]``; those from ``current_from`` on belong to the current step."""
        if hosts is not self.hosts:
            self.hosts = hosts
            self._index = {h.name: i for i, h in enumerate(hosts)}
            self._width = 0
        self.arrows = arrows
        self.shown_count = visible
        self.current_from = current_from
        self.current_step = current_step
        self.set_height(visible + HEADER_ROWS)
        self._follow()

    def on_resize(self) -> None:
        self._width = 0
        self._follow()

    def _follow(self) -> None:
        if self.scrollable_content_region.height <= 0:
            self.call_after_refresh(self._follow)
            return
        body = max(1, self.scrollable_content_region.height - HEADER_ROWS)
        first, last = self.current_from, max(self.current_from, self.shown_count - 1)
        top = int(self.scroll_y)
        if last >= top + body:
            top = last - body + 1
        if first < top:
            top = first
        top = max(0, min(top, max(0, self.line_count - self.scrollable_content_region.height)))
        if top != int(self.scroll_y):
            self.scroll_y = top

    def _layout(self, width: int) -> None:
        if width != self._width:
            self._width = width
            self._centers = column_centers(len(self.hosts), width)

    def render_line(self, y: int):  # noqa: D401 - the line API
        from textual.strip import Strip

        width = self.scrollable_content_region.width
        base = self.base_style
        if width <= 0:
            return Strip.blank(width, base)
        self._layout(width)
        row = int(self.scroll_y) + y - HEADER_ROWS
        is_arrow = y >= HEADER_ROWS and 0 <= row < self.shown_count
        key = (y, width) if y < HEADER_ROWS else ("arrow", row, width, self.arrows[row].step == self.current_step) \
            if is_arrow else ("empty", width, bool(self.hosts), y == HEADER_ROWS)
        context = (id(self.hosts), id(self.arrows), self.app.theme, base)
        if context != self._cache_key:
            self._cache_key = context
            self._cache.clear()
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        if y < HEADER_ROWS:
            text = self._header(y, width)
        else:
            if not self.hosts and y == HEADER_ROWS:
                text = Text(" No exchanges yet: press → to take a step.", self.style_of("muted"))
            elif row >= self.shown_count:
                text = self._lifelines_only(width)
            else:
                text = self._arrow_line(row, width)
        text.no_wrap = True
        text.overflow = "crop"
        text.truncate(width, pad=True)
        from rich.segment import Segment

        segments = [Segment(s.text, base + s.style if s.style else base)
                    for s in text.render(self.app.console) if s.text != "\n"]
        strip = Strip(segments, width)
        if len(self._cache) > 512:
            self._cache.clear()
        self._cache[key] = strip
        return strip

    def _header(self, y: int, width: int) -> Text:
        n = len(self.hosts)
        slot = max(1, (width - GUTTER) // max(1, n)) - 1
        chars = [" "] * width
        style = self.style_of("title" if y == 0 else "muted")
        for host, center in zip(self.hosts, self._centers, strict=False):
            label = _fit(host.name if y == 0 else host.address, slot)
            start = max(0, min(width - len(label), center - len(label) // 2))
            chars[start : start + len(label)] = list(label)
        if y == 0 and n:
            chars[0:3] = list("  #")
        return Text("".join(chars), style)

    def _lifelines_only(self, width: int) -> Text:
        chars = [" "] * width
        for c in self._centers:
            if c < width:
                chars[c] = "│"
        return Text("".join(chars), self.style_of("disabled"))

    def _arrow_line(self, row: int, width: int) -> Text:
        arrow = self.arrows[row]
        chars = [" "] * width
        kinds = [""] * width
        for c in self._centers:
            if c < width:
                chars[c] = "│"
                kinds[c] = "lifeline"
        first_of_step = row == 0 or self.arrows[row - 1].step != arrow.step
        if first_of_step:
            label = f"{arrow.step:>3}"[-3:]
            chars[0:3] = list(label)
            kinds[0:3] = ["gutter"] * 3
        kind = arrow.kind
        a = self._index.get(arrow.src)
        b = self._index.get(arrow.dst)
        if a is None or b is None:
            self._put(chars, kinds, GUTTER, arrow.label, kind, width)
        elif a == b:
            x = self._centers[a]
            self._put(chars, kinds, x + 1, "┤ " + arrow.label, kind, width)
        else:
            xa, xb = self._centers[a], self._centers[b]
            lo, hi = min(xa, xb), max(xa, xb)
            line = "┄" if kind in ("connect", "close") else "─"
            for x in range(lo + 1, hi):
                chars[x] = line
                kinds[x] = kind
            if kind == "refused":
                chars[hi - 1 if xb > xa else lo + 1] = "╳"
            elif xb > xa:
                chars[hi - 1] = "▶"
            else:
                chars[lo + 1] = "◀"
            room = hi - lo - 5
            if room >= 3:
                label = _fit(arrow.label, room)
                start = lo + 2 if xb > xa else lo + 3
                self._put(chars, kinds, start, f" {label} "[: room + 2], kind, width, keep_lifelines=False)
            elif arrow.label:
                # No room between the columns: write the label beyond the right one.
                self._put(chars, kinds, hi + 2, arrow.label, kind, width)
        current = arrow.step == self.current_step
        text = Text()
        run_kind, run = kinds[0], [chars[0]]
        for ch, k in zip(chars[1:], kinds[1:], strict=True):
            if k == run_kind:
                run.append(ch)
            else:
                text.append("".join(run), self._style(run_kind))
                run_kind, run = k, [ch]
        text.append("".join(run), self._style(run_kind))
        if current:
            text.stylize(self.style_of("current_bold"))
        return text

    def _style(self, kind: str):
        name = self.KIND_STYLE.get(kind)
        return self.style_of(name) if name else ""

    @staticmethod
    def _put(chars: list[str], kinds: list[str], start: int, text: str, kind: str, width: int,
             keep_lifelines: bool = False) -> None:
        for i, ch in enumerate(text):
            x = start + i
            if x >= width:
                if width > 1:
                    chars[width - 1] = "…"
                break
            if keep_lifelines and chars[x] == "│":
                continue
            chars[x] = ch
            kinds[x] = kind

    def on_click(self, event: events.Click) -> None:
        if event.y < HEADER_ROWS:
            return
        row = int(self.scroll_y) + event.y - HEADER_ROWS
        if 0 <= row < self.shown_count:
            self.post_message(StepRequested(self.arrows[row].step))
