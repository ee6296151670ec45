"""Where a message body changed between two hops: the first differing line and byte, as a sentence.

The simulator saw the body the signer hashed and the body the verifier got, so when a
body hash fails it can say what changed ("line 3, byte 2: 'Hello' became 'Hallo'").
"""

from __future__ import annotations

from simulator.security.steps import show_line

CRLF = b"\r\n"
_CONTEXT = 24  # characters shown either side of the first difference in a long line


def first_difference(sent: bytes, received: bytes) -> str:
    """The first place ``received`` departs from ``sent``; empty when they are equal."""
    if sent == received:
        return ""
    a, b = _lines(sent), _lines(received)
    for n, (x, y) in enumerate(zip(a, b, strict=False), 1):
        if x != y:
            col = next((i for i, (p, q) in enumerate(zip(x, y, strict=False)) if p != q), min(len(x), len(y)))
            return f"line {n}, byte {col + 1}: {_quote(x, col)} became {_quote(y, col)}"
    n = min(len(a), len(b))
    if len(a) == len(b):  # the same lines: only the CRLF after the last one differs
        if sent.endswith(CRLF):
            return f"line {n}: the original's last line ended in CRLF; here it has none"
        return f"line {n}: the original's last line had no CRLF; here it has one"
    if len(a) > len(b):
        gone = len(a) - len(b)
        return f"line {n + 1}: missing; the original had {_count(gone)} more from here, first {_quote(a[n], 0)}"
    added = len(b) - len(a)
    return f"line {n + 1}: added; {_count(added)} from here not in the original, first {_quote(b[n], 0)}"


def _count(lines: int) -> str:
    return f"{lines} line{'s' if lines != 1 else ''}"


def _lines(data: bytes) -> list[bytes]:
    lines = data.split(CRLF)
    if not lines[-1]:
        lines.pop()  # after the last CRLF: not a line
    return lines


def _quote(line: bytes, col: int) -> str:
    start = max(0, col - _CONTEXT)
    piece = line[start:col + _CONTEXT]
    text = show_line(piece, width=2 * _CONTEXT + 2)
    return ("…" if start else "") + f"'{text}'" + ("…" if col + _CONTEXT < len(line) else "")
