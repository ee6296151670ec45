"""A small SVG sequence diagram of a trace, drawn without any library.

Hosts are columns with lifelines; every command and reply is an arrow
(replies dashed), DNS lookups go to a ``DNS`` column, notes sit on the host they
concern, and each scenario step opens with a band across the diagram. All
text is XML-escaped and clipped to the room it has.
"""

from __future__ import annotations

from html import escape

from simulator.export.timeline import DNS, Exchange, Timeline

COLUMN = 240  # px between lifelines
MARGIN = 16
HEAD = 46  # height of a host's box
ROW = 24  # height of one arrow or note
BAND = 26  # height of a step's band
CHAR = 6.4  # px per character at the label font size (monospace 11 px)

# Its own styles with plain colours, so the SVG also stands alone (SVG renderers
# outside browsers know no CSS variables); the HTML page restyles it for dark mode.
STYLE = (
    "svg.sequence{font:11px ui-monospace,Menlo,Consolas,monospace}"
    ".life{stroke:#888;stroke-dasharray:3 4}"
    ".host{fill:#e6eef8;stroke:#888}"
    ".name{font-weight:bold;font-size:12px;fill:#1d1d1f}"
    ".addr{fill:#666}"
    ".band{fill:#ecebe4}"
    ".step{font-weight:bold;fill:#1d1d1f}"
    "rect.note{fill:#fff6d5;stroke:#ddd}"
    "text.note,.label{fill:#1d1d1f}"
    ".label.refused{fill:#b3261e}"
)

COLOURS = {
    "command": "#1f5fa8",
    "reply": "#2f7d32",
    "dns-query": "#7a4fa0",
    "dns-answer": "#7a4fa0",
    "refused": "#b3261e",
}


def _clip(text: str, width_px: float) -> str:
    room = max(int(width_px / CHAR), 4)
    return text if len(text) <= room else text[: room - 1] + "…"


def _text(x: float, y: float, text: str, *, cls: str = "", anchor: str = "middle") -> str:
    klass = f' class="{cls}"' if cls else ""
    return f'<text x="{x:.0f}" y="{y:.0f}" text-anchor="{anchor}"{klass}>{escape(text)}</text>'


def render(timeline: Timeline) -> str:
    names = timeline.participants or ["(nobody)"]
    xs = {name: MARGIN + COLUMN / 2 + n * COLUMN for n, name in enumerate(names)}
    width = MARGIN * 2 + COLUMN * len(names)
    body: list[str] = []
    y = MARGIN + HEAD + 10
    for step in timeline.steps:
        body.append(f'<rect class="band" x="{MARGIN / 2:.0f}" y="{y:.0f}" width="{width - MARGIN:.0f}" '
                    f'height="{BAND - 6}" rx="3"></rect>')
        body.append(_text(MARGIN, y + BAND - 11, _clip(step.heading, width - 2 * MARGIN),
                          cls="step", anchor="start"))
        y += BAND
        for x in step.exchanges:
            body.append(_exchange(x, xs, y, width))
            y += ROW
    height = y + MARGIN
    lifelines = [f'<line class="life" x1="{xs[n]:.0f}" y1="{MARGIN + HEAD:.0f}" x2="{xs[n]:.0f}" '
                 f'y2="{height - MARGIN:.0f}"></line>' for n in names]
    heads = []
    for name in names:
        cx = xs[name]
        heads.append(f'<rect class="host{" dns" if name == DNS else ""}" x="{cx - COLUMN / 2 + 8:.0f}" '
                     f'y="{MARGIN}" width="{COLUMN - 16}" height="{HEAD}" rx="5"></rect>')
        heads.append(_text(cx, MARGIN + 19, _clip(name, COLUMN - 24), cls="name"))
        addr = timeline.addresses.get(name, "")
        if addr:
            heads.append(_text(cx, MARGIN + 36, addr, cls="addr"))
    defs = "".join(
        f'<marker id="arrow-{kind}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{colour}">'
        f"</path></marker>"
        for kind, colour in COLOURS.items()
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="sequence" width="{width:.0f}" '
        f'height="{height:.0f}" style="background:#fbfbf8" viewBox="0 0 {width:.0f} {height:.0f}" role="img" '
        f'aria-label="{escape(timeline.title)}: sequence diagram">'
        f"<style>{STYLE}</style><defs>{defs}</defs>" + "".join(lifelines) + "".join(heads) + "".join(body) + "</svg>"
    )


def _exchange(x: Exchange, xs: dict[str, float], y: float, width: float) -> str:
    text = x.label + (f" (+{len(x.lines) - 1} lines)" if len(x.lines) > 1 else "")
    if x.kind == "note":
        if x.src in xs:
            cx, w = xs[x.src], COLUMN - 12
        else:  # over everyone
            cx, w = width / 2, width - 2 * MARGIN
        return (f'<rect class="note" x="{cx - w / 2:.0f}" y="{y + 3:.0f}" width="{w:.0f}" '
                f'height="{ROW - 6}" rx="2"></rect>' + _text(cx, y + ROW - 9, _clip(text, w - 8), cls="note"))
    if x.src not in xs or x.dst not in xs:
        return ""
    x1, x2 = xs[x.src], xs[x.dst]
    line_y = y + ROW - 6
    direction = 1 if x2 >= x1 else -1
    end = x2 - direction * 2
    dashed = ' stroke-dasharray="5 3"' if x.kind in ("reply", "dns-answer") else ""
    colour = COLOURS[x.kind]
    if x.kind == "refused":
        arrow = (f'<line x1="{x1:.0f}" y1="{line_y:.0f}" x2="{end:.0f}" y2="{line_y:.0f}" '
                 f'stroke="{colour}" stroke-width="1.4"></line>'
                 f'<path d="M{end - 5:.0f},{line_y - 5:.0f} l10,10 m0,-10 l-10,10" stroke="{colour}" '
                 f'stroke-width="2"></path>')
    else:
        arrow = (f'<line x1="{x1:.0f}" y1="{line_y:.0f}" x2="{end:.0f}" y2="{line_y:.0f}" '
                 f'stroke="{colour}" stroke-width="1.4"{dashed} marker-end="url(#arrow-{x.kind})"></line>')
    label = _text((x1 + x2) / 2, line_y - 4, _clip(text, abs(x2 - x1) - 10), cls=f"label {x.kind}")
    return f'<g class="{x.kind}">{arrow}{label}</g>'
