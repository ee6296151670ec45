"""A small SVG sequence diagram of a trace, drawn without any library.

Hosts are columns with lifelines; every command and reply is an arrow
(replies dashed; the reader's arrows, the same the TUI draws), connections
opening and closing are thin grey arrows, DNS lookups go to a ``DNS`` column,
notes sit on the host they concern, and each scenario step opens with a band
across the diagram. The columns share :data:`PAGE` pixels (the HTML page's
text width), so four hosts and DNS fit the page without scrolling, and a label
longer than the room between its lifelines wraps onto more lines (at most
:data:`MAX_LINES`; only the last is cut with "…"). All text is XML-escaped.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from html import escape

from simulator.export.timeline import DNS, Arrow, Timeline

COLUMN = 240  # px between lifelines, at most
MIN_COLUMN = 120  # px between lifelines, at least (more hosts than that make the picture wider)
PAGE = 918  # px the HTML page gives the diagram (60rem less its padding and border)
MARGIN = 16
HEAD = 46  # height of a host's box
ROW = 24  # height of one arrow or note
LINE = 13  # height of each further line of a wrapped label
MAX_LINES = 4  # lines of one label; the last is cut with "…"
BAND = 26  # height of a step's band
CHAR = 6.4  # px per character at the label font size (monospace 11 px)

# Its own styles with plain colours, so the SVG also stands alone (SVG renderers
# outside browsers know no CSS variables); the HTML page restyles it for dark mode.
# Every rule is scoped to the diagram: inline in the HTML page, a bare ``.step`` would also
# make each of the page's step sections bold.
STYLE = (
    "svg.sequence{font:11px ui-monospace,Menlo,Consolas,monospace}"
    "svg.sequence .life{stroke:#888;stroke-dasharray:3 4}"
    "svg.sequence .host{fill:#e6eef8;stroke:#888}"
    "svg.sequence .name{font-weight:bold;font-size:12px;fill:#1d1d1f}"
    "svg.sequence .addr{fill:#666}"
    "svg.sequence .band{fill:#ecebe4}"
    "svg.sequence .step{font-weight:bold;fill:#1d1d1f}"
    "svg.sequence rect.note{fill:#fff6d5;stroke:#ddd}"
    "svg.sequence text.note,svg.sequence .label{fill:#1d1d1f}"
    "svg.sequence .label.refused{fill:#b3261e}"
)

COLOURS = {
    "command": "#1f5fa8",
    "reply": "#2f7d32",
    "dns": "#7a4fa0",
    "refused": "#b3261e",
    "connect": "#888888",
    "close": "#888888",
}
DASHED = {"reply": "5 3", "close": "2 3", "connect": "2 3"}


def _clip(text: str, width_px: float) -> str:
    room = max(int(width_px / CHAR), 4)
    return text if len(text) <= room else text[: room - 1] + "…"


def _wrap(text: str, width_px: float) -> list[str]:
    """``text`` in lines that fit ``width_px`` (long words broken), at most MAX_LINES."""
    room = max(int(width_px / CHAR), 4)
    lines = textwrap.wrap(text, room, break_long_words=True, break_on_hyphens=False) or [""]
    if len(lines) > MAX_LINES:
        lines = lines[: MAX_LINES - 1] + [_clip(" ".join(lines[MAX_LINES - 1 :]), width_px)]
    return lines


def _lines(x: float, y: float, lines: list[str], *, cls: str, anchor: str = "middle") -> str:
    """Several lines of text, the last at ``y`` (so they stack upwards over an arrow)."""
    top = y - LINE * (len(lines) - 1)
    return "".join(_text(x, top + LINE * n, line, cls=cls, anchor=anchor) for n, line in enumerate(lines))


def column_width(columns: int) -> float:
    """Px between lifelines so that ``columns`` fit the page (within MIN_COLUMN..COLUMN)."""
    return max(MIN_COLUMN, min(COLUMN, (PAGE - 2 * MARGIN) / max(1, columns)))


def _text(x: float, y: float, text: str, *, cls: str = "", anchor: str = "middle") -> str:
    klass = f' class="{cls}"' if cls else ""
    return f'<text x="{x:.0f}" y="{y:.0f}" text-anchor="{anchor}"{klass}>{escape(text)}</text>'


def render(timeline: Timeline) -> str:
    names = timeline.participants or ["(nobody)"]
    column = column_width(len(names))
    xs = {name: MARGIN + column / 2 + n * column for n, name in enumerate(names)}
    width = MARGIN * 2 + column * len(names)
    body: list[str] = []
    y = MARGIN + HEAD + 10
    for step in timeline.steps:
        body.append(f'<rect class="band" x="{MARGIN / 2:.0f}" y="{y:.0f}" width="{width - MARGIN:.0f}" '
                    f'height="{BAND - 6}" rx="3"></rect>')
        body.append(_text(MARGIN, y + BAND - 11, _clip(step.heading, width - 2 * MARGIN),
                          cls="step", anchor="start"))
        y += BAND
        for arrow in step.arrows:
            for row in _rows(arrow, column):
                drawn, height = row(xs, y, width)
                body.append(drawn)
                y += height
    height = y + MARGIN
    lifelines = [f'<line class="life" x1="{xs[n]:.0f}" y1="{MARGIN + HEAD:.0f}" x2="{xs[n]:.0f}" '
                 f'y2="{height - MARGIN:.0f}"></line>' for n in names]
    heads = []
    for name in names:
        cx = xs[name]
        heads.append(f'<rect class="host{" dns" if name == DNS else ""}" x="{cx - column / 2 + 8:.0f}" '
                     f'y="{MARGIN}" width="{column - 16:.0f}" height="{HEAD}" rx="5"></rect>')
        heads.append(_text(cx, MARGIN + 19, _clip(name, column - 24), cls="name"))
        addr = timeline.addresses.get(name, "")
        if addr:
            heads.append(_text(cx, MARGIN + 36, _clip(addr, column - 24), cls="addr"))
    defs = "".join(
        f'<marker id="arrow-{kind}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{colour}">'
        f"</path></marker>"
        for kind, colour in COLOURS.items()
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="sequence" width="{width:.0f}" '
        f'height="{height:.0f}" style="background:#fbfbf8;max-width:100%;height:auto" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" '
        f'aria-label="{escape(timeline.title)}: sequence diagram">'
        f"<style>{STYLE}</style><defs>{defs}</defs>" + "".join(lifelines) + "".join(heads) + "".join(body) + "</svg>"
    )


Row = Callable[[dict[str, float], float, float], tuple[str, float]]


def _rows(arrow: Arrow, column: float) -> list[Row]:
    """The rows an arrow takes, each a function of (columns, y, width) giving its SVG and
    its height: a DNS lookup takes two; a wrapped label makes its row taller."""
    if arrow.kind == "dns":
        question, answer = (*arrow.lines, "")[:2]
        return [lambda xs, y, w: _line(arrow.src, DNS, "dns", question, xs, y, dashed=""),
                lambda xs, y, w: _line(DNS, arrow.src, "dns", answer, xs, y, dashed=DASHED["reply"])]
    if arrow.kind in ("note", "fault"):
        return [lambda xs, y, w: _note(arrow, xs, y, w, column)]
    return [lambda xs, y, w: _line(arrow.src, arrow.dst, arrow.kind, arrow.label, xs, y,
                                   dashed=DASHED.get(arrow.kind, ""))]


def _note(arrow: Arrow, xs: dict[str, float], y: float, width: float, column: float) -> tuple[str, float]:
    if arrow.src in xs:
        cx, w = xs[arrow.src], column - 12
    else:  # over everyone
        cx, w = width / 2, width - 2 * MARGIN
    lines = _wrap(arrow.label, w - 8)
    extra = LINE * (len(lines) - 1)
    return (f'<rect class="note" x="{cx - w / 2:.0f}" y="{y + 3:.0f}" width="{w:.0f}" '
            f'height="{ROW - 6 + extra}" rx="2"></rect>'
            + _lines(cx, y + ROW - 9 + extra, lines, cls="note"), ROW + extra)


def _line(src: str, dst: str, kind: str, text: str, xs: dict[str, float], y: float, *,
          dashed: str) -> tuple[str, float]:
    if src not in xs or dst not in xs:
        return "", 0
    x1, x2 = xs[src], xs[dst]
    lines = _wrap(text, abs(x2 - x1) - 10)
    extra = LINE * (len(lines) - 1)
    line_y = y + ROW - 6 + extra
    direction = 1 if x2 >= x1 else -1
    end = x2 - direction * 2
    dashed = f' stroke-dasharray="{dashed}"' if dashed else ""
    colour = COLOURS[kind]
    if kind == "refused":
        arrow = (f'<line x1="{x1:.0f}" y1="{line_y:.0f}" x2="{end:.0f}" y2="{line_y:.0f}" '
                 f'stroke="{colour}" stroke-width="1.4"></line>'
                 f'<path d="M{end - 5:.0f},{line_y - 5:.0f} l10,10 m0,-10 l-10,10" stroke="{colour}" '
                 f'stroke-width="2"></path>')
    else:
        arrow = (f'<line x1="{x1:.0f}" y1="{line_y:.0f}" x2="{end:.0f}" y2="{line_y:.0f}" '
                 f'stroke="{colour}" stroke-width="1.4"{dashed} marker-end="url(#arrow-{kind})"></line>')
    label = _lines((x1 + x2) / 2, line_y - 4, lines, cls=f"label {kind}")
    return f'<g class="{kind}">{arrow}{label}</g>', ROW + extra
