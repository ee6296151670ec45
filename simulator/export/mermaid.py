"""The trace as a Mermaid ``sequenceDiagram``: one arrow per command and per reply.

Hosts are participants in the order they first appear; a ``DNS`` participant
answers lookups; mailbox and queue effects are notes over their host; each
scenario step opens with a note across the diagram. Text is escaped with
Mermaid's entity codes (``#59;`` for ``;``, ``#lt;`` for ``<``...), so reply
texts such as ``<CRLF>.<CRLF>`` or a hostile subject cannot break the syntax.
"""

from __future__ import annotations

from simulator.export.timeline import DNS, Exchange, Timeline, build
from simulator.trace import Trace

ARROWS = {"command": "->>", "reply": "-->>", "dns-query": "->>", "dns-answer": "-->>", "refused": "-x"}
MAX_TEXT = 120  # characters per line of a label; Mermaid draws long labels very wide

# Characters Mermaid's sequence grammar cannot take as is, as its entity codes.
_ENTITIES = {
    "#": "#35;",  # first: every other code starts with '#'
    ";": "#59;",  # ends a statement
    "<": "#lt;",  # labels are HTML: <bob@example.net> would vanish as a tag
    ">": "#gt;",
    "&": "#amp;",
    '"': "#quot;",
    "{": "#123;",  # %%{init}%% directives
    "}": "#125;",
    "%": "#37;",  # %% comments
}


def escape(text: str) -> str:
    """One line of label text, safe inside a Mermaid statement."""
    text = " ".join(text.replace("\r", " ").replace("\n", " ").split()) or " "
    if len(text) > MAX_TEXT:
        text = text[: MAX_TEXT - 1] + "…"
    return "".join(_ENTITIES.get(ch, ch) for ch in text)


def label(lines: tuple[str, ...] | list[str]) -> str:
    return "<br/>".join(escape(line) for line in lines) or " "


def render(trace: Trace, *, title: str = "") -> str:
    return render_timeline(build(trace, title))


def render_timeline(timeline: Timeline) -> str:
    ids = {name: ("dns" if name == DNS else f"h{n}") for n, name in enumerate(timeline.participants, 1)}
    out = [f"%% {escape(timeline.title)}", "sequenceDiagram"]
    for name in timeline.participants:
        addr = timeline.addresses.get(name)
        shown = f"{name} ({addr})" if addr else name
        out.append(f"    participant {ids[name]} as {escape(shown)}")
    everyone = _span(ids, timeline.participants)
    for step in timeline.steps:
        if everyone:
            out.append(f"    Note over {everyone}: {escape(step.heading)}")
        for x in step.exchanges:
            line = _statement(x, ids, everyone)
            if line:
                out.append(f"    {line}")
    return "\n".join(out) + "\n"


def _span(ids: dict[str, str], names: list[str]) -> str:
    if not names:
        return ""
    first, last = ids[names[0]], ids[names[-1]]
    return first if first == last else f"{first},{last}"


def _statement(x: Exchange, ids: dict[str, str], everyone: str) -> str:
    if x.kind == "note":
        over = ids.get(x.src) if x.src else everyone
        return f"Note over {over}: {label(x.lines)}" if over else ""
    src, dst = ids.get(x.src), ids.get(x.dst)
    if src is None or dst is None:
        return ""
    return f"{src}{ARROWS[x.kind]}{dst}: {label(x.lines)}"
