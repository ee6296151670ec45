"""The sequence diagram: hosts as columns, one arrow per exchange, the current step lit.

The two header rows (host names and addresses) stay put while the arrows
scroll; the view follows the current step. Columns are spaced by what passes
between them (:func:`column_centers`): a pair of hosts that talk a lot gets
room for its labels, a host that is seldom spoken to does not take a full
share. A label that still does not fit is cut with "…", and the status row at
the foot of the diagram shows the selected arrow (marked ›) in full: by
default the current step's first arrow whose label is cut, else its last; with the focus (Tab), ↑/↓ select another and Enter
goes to its step; the mouse shows any arrow's full label as a tooltip.
Clicking an arrow asks for its step.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual import events
from textual.binding import Binding

from simulator.replay import Arrow, HostColumn
from simulator.tui.messages import StepRequested
from simulator.tui.widgets.lines import LinesView

HEADER_ROWS = 2
FOOTER_ROWS = 1  # the status row: the selected arrow's full label
GUTTER = 4
ARROW_ROOM = 5  # columns an arrow between two lifelines needs besides its label (see _arrow_line)
MAX_WANTED = 60  # a label longer than this does not claim more room (it is cut, and shown in the status row)


def even_centers(n: int, width: int, gutter: int = GUTTER) -> list[int]:
    """``n`` columns spread evenly over ``width`` (the layout when nothing else fits)."""
    usable = max(1, width - gutter)
    if n <= 0:
        return []
    slot = usable / n
    return [gutter + int(slot * i + slot / 2) for i in range(n)]


def column_centers(names: Sequence[str], width: int, wanted: Sequence[int] = (), gutter: int = GUTTER) -> list[int]:
    """Where each lifeline goes, given the room each gap between neighbours wants.

    Every gap first gets what its two host names need (half of each, and a space);
    what is left goes to the gaps whose labels want more, in proportion to what they
    still lack; whatever room remains after every label fits is shared evenly. With
    no ``wanted`` (or too little width for the names) the columns are even.
    """
    n = len(names)
    if n <= 1 or not wanted:
        return even_centers(n, width, gutter)
    halves = [(len(name) + 1) // 2 for name in names]
    left, right = gutter + halves[0], width - 1 - halves[-1]
    total = right - left
    need = [halves[i] + halves[i + 1] + 2 for i in range(n - 1)]
    want = [max(need[i], wanted[i] if i < len(wanted) else 0) for i in range(n - 1)]
    if total < sum(need):
        return even_centers(n, width, gutter)
    if total >= sum(want):
        extra = total - sum(want)
        gaps = [w + extra / (n - 1) for w in want]
    else:
        lacking = [w - m for w, m in zip(want, need, strict=True)]
        spare = total - sum(need)
        gaps = [m + spare * lack / sum(lacking) for m, lack in zip(need, lacking, strict=True)]
    centers, x = [left], float(left)
    for gap in gaps:
        x += gap
        centers.append(int(round(x)))
    return centers


def wanted_gaps(names: Sequence[str], arrows: Sequence[Arrow]) -> list[int]:
    """The room each gap between neighbouring columns wants for the labels that cross it
    (an arrow over several gaps asks each for its share)."""
    index = {name: i for i, name in enumerate(names)}
    wanted = [0] * max(0, len(names) - 1)
    for arrow in arrows:
        a, b = index.get(arrow.src), index.get(arrow.dst)
        if a is None or b is None or a == b:
            continue
        lo, hi = min(a, b), max(a, b)
        share = -(-(min(len(arrow.label), MAX_WANTED) + ARROW_ROOM) // (hi - lo))
        for gap in range(lo, hi):
            wanted[gap] = max(wanted[gap], share)
    return wanted


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
    SequenceDiagram:focus { background-tint: $foreground 4%; }
    """

    BINDINGS = [
        Binding("down", "select(1)", "Next arrow", show=False),
        Binding("up", "select(-1)", "Previous arrow", show=False),
        Binding("pagedown", "select(8)", show=False),
        Binding("pageup", "select(-8)", show=False),
        Binding("enter", "open", "Go to its step", show=False),
    ]

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.hosts: Sequence[HostColumn] = ()
        self.arrows: Sequence[Arrow] = ()
        self.shown_count = 0
        self.current_from = 0
        self.current_step = 0
        self._centers: list[int] = []
        self._width = 0
        self._layout_for: tuple = ()
        self._picked: int | None = None  # an arrow chosen by hand (click, ↑/↓) in the current step
        self._default_for: tuple = ()
        self._default: int | None = None
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
        if arrows is not self.arrows:
            self._width = 0
        self.arrows = arrows
        self.shown_count = visible
        self.current_from = current_from
        self.current_step = current_step
        picked = self._picked
        if picked is not None and not (picked < visible and arrows[picked].step == current_step):
            self._picked = None
        self.set_height(visible + HEADER_ROWS + FOOTER_ROWS)
        self._follow()

    def on_resize(self) -> None:
        self._width = 0
        self._follow()

    def _follow(self) -> None:
        if self.scrollable_content_region.height <= 0:
            return  # not laid out (or hidden): on_resize follows once it has a size
        body = max(1, self.scrollable_content_region.height - HEADER_ROWS - FOOTER_ROWS)
        first, last = self.current_from, max(self.current_from, self.shown_count - 1)
        selected = self.selected
        if selected is not None and not first <= selected <= last:
            first = last = selected  # a hand-picked arrow of another step
        elif selected is not None and selected - first >= body:
            first = selected  # the step is taller than the view: keep the selected arrow on it
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
            names = [h.name for h in self.hosts]
            # Spaced for every arrow of the trace, not only those shown, so the
            # columns stay put while the lesson steps on.
            self._centers = column_centers(names, width, wanted_gaps(names, self.arrows))

    @property
    def selected(self) -> int | None:
        """The arrow the status row shows in full: one chosen by hand, else the first of
        this step whose label is cut, else the step's last arrow (None: it sent nothing)."""
        if self._picked is not None:
            return self._picked
        if self.shown_count <= self.current_from:
            return None
        width = self.scrollable_content_region.width
        key = (id(self.arrows), self.current_from, self.shown_count, width)
        if key != self._default_for:
            self._default_for = key
            self._default = self.shown_count - 1
            if width > 0:
                self._layout(width)
                self._default = next((i for i in range(self.current_from, self.shown_count)
                                      if self.is_cut(self.arrows[i])), self._default)
        return self._default

    def label_room(self, arrow: Arrow) -> int | None:
        """Columns the label of ``arrow`` gets between its lifelines (None: written beyond them)."""
        a, b = self._index.get(arrow.src), self._index.get(arrow.dst)
        if a is None or b is None or a == b or not self._centers:
            return None
        room = abs(self._centers[a] - self._centers[b]) - ARROW_ROOM
        return room if room >= 3 else None

    def is_cut(self, arrow: Arrow) -> bool:
        """Whether the diagram shows ``arrow``'s label cut short (its full text is in the status row)."""
        room = self.label_room(arrow)
        if room is not None:
            return len(arrow.label) > room
        a = self._index.get(arrow.src)
        start = (self._centers[a] + 3) if a is not None and self._centers else GUTTER
        return start + len(arrow.label) > self._width

    def full_label(self, arrow: Arrow) -> str:
        """What the status row and the tooltip say of one arrow: who to whom, and all of its label."""
        more = len(arrow.lines) - 1 if arrow.kind in ("command", "reply") else 0  # a multi-line reply
        tail = f"  (+{more} more line{'s' if more > 1 else ''})" if more > 0 else ""
        if not arrow.src:  # a note over everyone
            return arrow.label + tail
        who = arrow.src if arrow.src == arrow.dst or not arrow.dst else f"{arrow.src} → {arrow.dst}"
        return f"{who}: {arrow.label}{tail}"

    def render_line(self, y: int):  # noqa: D401 - the line API
        from textual.strip import Strip

        width = self.scrollable_content_region.width
        base = self.base_style
        if width <= 0:
            return Strip.blank(width, base)
        self._layout(width)
        height = self.scrollable_content_region.height
        status = y == height - FOOTER_ROWS and height > HEADER_ROWS + FOOTER_ROWS
        row = int(self.scroll_y) + y - HEADER_ROWS
        is_arrow = not status and y >= HEADER_ROWS and 0 <= row < self.shown_count
        if status:
            key: tuple = ("status", width, self.selected, self.current_step, self.has_focus)
        elif y < HEADER_ROWS:
            key = (y, width)
        elif is_arrow:
            key = ("arrow", row, width, self.arrows[row].step == self.current_step, row == self.selected)
        else:
            key = ("empty", width, bool(self.hosts), y == HEADER_ROWS)
        context = (id(self.hosts), id(self.arrows), self.app.theme, base)
        if context != self._cache_key:
            self._cache_key = context
            self._cache.clear()
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        if status:
            text = self._status(width)
        elif y < HEADER_ROWS:
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
        """Host names (``y == 0``) or addresses, each centred on its lifeline within
        the halfway marks to its neighbours."""
        n = len(self.hosts)
        chars = [" "] * width
        style = self.style_of("title" if y == 0 else "muted")
        centers = self._centers
        for i, (host, center) in enumerate(zip(self.hosts, centers, strict=False)):
            lo = GUTTER - 1 if i == 0 else (centers[i - 1] + center) // 2 + 1
            hi = width - 1 if i == len(centers) - 1 else (center + centers[i + 1]) // 2 - 1
            label = _fit(host.name if y == 0 else host.address, max(1, hi - lo + 1))
            start = max(lo, min(hi + 1 - len(label), center - len(label) // 2))
            chars[start : start + len(label)] = list(label)
        if y == 0 and n:
            chars[0:3] = list("  #")
        return Text("".join(chars), style)

    def _status(self, width: int) -> Text:
        """The foot row: the selected arrow in full, or how to choose one."""
        if self.selected is None or self.selected >= self.shown_count:
            hint = " ↑/↓ choose an arrow, Enter goes to its step" if self.has_focus else ""
            return Text(hint, self.style_of("muted"))
        arrow = self.arrows[self.selected]
        text = Text(f"{arrow.step:>3}›", self.style_of("muted"))
        style = self._style(arrow.kind) or self.style_of("text")
        body = Text(" " + self.full_label(arrow), style)
        text.append_text(body)
        if text.cell_len > width:
            text.truncate(width - 1)
            text.append("…", style)
        return text

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
        if row == self.selected:  # the arrow the status row shows in full
            chars[3] = "›"
            kinds[3] = "gutter"
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
            room = hi - lo - ARROW_ROOM
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

    def _row_at(self, y: int) -> int | None:
        """The arrow drawn at screen row ``y`` of the widget, if any."""
        height = self.scrollable_content_region.height
        if y < HEADER_ROWS or y >= height - FOOTER_ROWS:
            return None
        row = int(self.scroll_y) + y - HEADER_ROWS
        return row if 0 <= row < self.shown_count else None

    def on_click(self, event: events.Click) -> None:
        row = self._row_at(event.y)
        if row is not None:
            self._picked = row
            self.refresh()
            self.post_message(StepRequested(self.arrows[row].step))

    def on_mouse_move(self, event: events.MouseMove) -> None:
        row = self._row_at(event.y)
        self.tooltip = self.full_label(self.arrows[row]) if row is not None else None

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def action_select(self, delta: int) -> None:
        """Select another arrow (the status row shows it), scrolling it into view."""
        if not self.shown_count:
            return
        current = self.selected
        start = current if current is not None else self.shown_count - 1
        picked = self._picked = max(0, min(self.shown_count - 1, start + delta))
        top, body = int(self.scroll_y), max(1, self.scrollable_content_region.height - HEADER_ROWS - FOOTER_ROWS)
        if picked < top:
            self.scroll_y = picked
        elif picked >= top + body:
            self.scroll_y = picked - body + 1
        self.refresh()

    def action_open(self) -> None:
        if self.selected is not None and self.selected < self.shown_count:
            self.post_message(StepRequested(self.arrows[self.selected].step))
