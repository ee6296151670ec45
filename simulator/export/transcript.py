"""The trace as a plain-text transcript: what ``mailsim run`` prints (and ``mailsim serve`` logs).

The words are the reader's (:mod:`simulator.replay`), the same every other
face shows; this module only lays them out: a time stamp, ``C:``/``S:`` with
the connection, ``==`` before each step, and long message text cut short
unless verbose.
"""

from __future__ import annotations

from collections.abc import Iterator

from simulator.replay import Live, TranscriptLine
from simulator.trace import Event, Trace

MAX_DATA_LINES = 12  # message text lines shown per burst of bytes unless verbose


class Printer:
    """Events to transcript lines, one event at a time, as ``mailsim run`` prints them."""

    def __init__(self, *, verbose: bool = False) -> None:
        self.verbose = verbose
        self.reader = Live()

    def lines(self, event: Event) -> list[str]:
        said = [line for line in self.reader.feed(event) if self._shown(line)]
        wire = [line for line in said if line.side in ("C", "S")]
        if not self.verbose and len(wire) > MAX_DATA_LINES:
            hidden = len(wire) - MAX_DATA_LINES + 2
            cut = TranscriptLine(0, wire[0].conn, wire[0].side, f"... ({hidden} more lines)", event)
            said = [*wire[: MAX_DATA_LINES - 2], cut, wire[-1]]
        return [text for line in said for text in self._format(event, line)]

    def _shown(self, line: TranscriptLine) -> bool:
        return line.level != "detail" or self.verbose

    def _format(self, event: Event, line: TranscriptLine) -> Iterator[str]:
        t = f"[{event.t:7.1f}s]"
        if line.level == "heading":
            yield ""
            yield f"== {line.text}"
        elif line.side in ("C", "S"):
            who = f"    ({line.who})" if line.who and self.verbose else ""
            yield f"{t} {line.conn} {line.side}: {line.text}{who}"
        else:
            yield f"{t} {line.text}"


def render(trace: Trace, *, verbose: bool = False) -> Iterator[str]:
    printer = Printer(verbose=verbose)
    for event in trace.events:
        yield from printer.lines(event)
