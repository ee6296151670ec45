"""Check steps as data, and how bytes are shown in them.

SPF, DKIM and DMARC return their reasoning as a list of :class:`Step`; the host that
ran the check turns each into a ``CheckStep`` trace event (simulator/trace.py). A step's
first line says what happened; further lines show the data (canonicalized text, a
record, a hash input), cut to a readable size.
"""

from __future__ import annotations

from dataclasses import dataclass

CRLF = b"\r\n"
SHOW_LINES = 12  # lines of data shown in a step; the rest is counted, not printed
SHOW_WIDTH = 76  # characters of one line shown
_MARKS = str.maketrans({"\t": "⇥", "\r": "␍", "\n": "␊"})


@dataclass(frozen=True, slots=True)
class Step:
    text: str
    result: str = ""  # set on the step that concludes a check: "pass", "fail", ...
    reason: str = ""  # on a concluding step, why in a few words ("body hash mismatch")


def show_line(line: bytes, *, width: int = SHOW_WIDTH) -> str:
    """One line of data: tabs as ⇥, a lone CR or LF as ␍ ␊, trailing spaces as ·, cut at ``width``."""
    text = line.decode("utf-8", "backslashreplace")
    stripped = text.rstrip(" ")
    text = stripped.translate(_MARKS) + "·" * (len(text) - len(stripped))
    return text if len(text) <= width else text[:width - 1] + "…"


def show(data: bytes, *, max_lines: int = SHOW_LINES, width: int = SHOW_WIDTH, wrap: bool = False) -> str:
    """Bytes made of CRLF lines, one shown line each, ↵ marking every CRLF; long data is cut in the middle.

    Long lines are cut at ``width``, or with ``wrap`` continued on lines starting "  ⤷ ",
    for data where every byte counts (the header hash input).
    """
    if not data:
        return "(empty)"
    lines = data.split(CRLF)
    ends = [True] * (len(lines) - 1) + [False]
    if not lines[-1]:
        lines.pop()
        ends.pop()
    if wrap:
        shown = []
        for line, end in zip(lines, ends, strict=True):
            text = show_line(line, width=len(line) * 4 + 1) + ("↵" if end else "")
            shown += [text[:width]] + ["⤷ " + text[i:i + width - 2] for i in range(width, len(text), width - 2)]
    else:
        shown = [show_line(line, width=width - 1) + ("↵" if end else "") for line, end in zip(lines, ends, strict=True)]
    if len(shown) > max_lines:
        head, tail = max_lines - 3, 2
        skipped = len(shown) - head - tail
        shown = shown[:head] + [f"… {skipped} more lines …"] + shown[-tail:]
    return "\n".join("  " + line for line in shown)
