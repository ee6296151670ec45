"""The trace as a Mermaid ``sequenceDiagram``: one arrow per command and per reply.

The arrows are the reader's (:mod:`simulator.replay`), the same the TUI draws.
Hosts are participants in the order they first appear; a ``DNS`` participant
answers lookups; connections opening and closing are open arrows (``-)``,
``--)``); mailbox and queue effects are notes over their host; each scenario
step opens with a note across the diagram. Text is escaped with
Mermaid's entity codes (``#59;`` for ``;``, ``#lt;`` for ``<``...), so reply
texts such as ``<CRLF>.<CRLF>`` or a hostile subject cannot break the syntax.
"""

from __future__ import annotations

from simulator.export.timeline import DNS, Arrow, Timeline, build
from simulator.trace import Trace

ARROWS = {"command": "->>", "reply": "-->>", "refused": "-x", "connect": "-)", "close": "--)"}
MAX_TEXT = 120  # characters per line of a label; Mermaid draws long labels very wide
MAX_LINES = 6  # lines of one arrow's label: a whole EHLO reply; a message's text is cut after these

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
    lines = list(lines)
    if len(lines) > MAX_LINES:
        lines = [*lines[: MAX_LINES - 1], f"… (+{len(lines) - MAX_LINES + 1} more lines)"]
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
        for arrow in step.arrows:
            out += [f"    {line}" for line in _statements(arrow, ids, everyone)]
    return "\n".join(out) + "\n"


def _span(ids: dict[str, str], names: list[str]) -> str:
    if not names:
        return ""
    first, last = ids[names[0]], ids[names[-1]]
    return first if first == last else f"{first},{last}"


def _statements(arrow: Arrow, ids: dict[str, str], everyone: str) -> list[str]:
    lines = arrow.lines or (arrow.label,)
    if arrow.kind in ("note", "fault"):
        over = ids.get(arrow.src) if arrow.src else everyone
        return [f"Note over {over}: {label(lines)}"] if over else []
    if arrow.kind == "dns":  # the question to the DNS participant, and its answer
        asker, dns = ids.get(arrow.src), ids.get(DNS)
        if asker is None or dns is None:
            return []
        question, answer = (*lines, "")[:2]
        return [f"{asker}->>{dns}: {label([question])}", f"{dns}-->>{asker}: {label([answer])}"]
    src, dst = ids.get(arrow.src), ids.get(arrow.dst)
    if src is None or dst is None:
        return []
    return [f"{src}{ARROWS[arrow.kind]}{dst}: {label(lines)}"]
