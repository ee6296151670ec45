"""What every export shows, taken from the one reader: the steps, their arrows and transcript lines.

Markdown, Mermaid, HTML and SVG all read this one :class:`Timeline`, built on
:class:`simulator.replay.Replay`, so they agree with each other and with the
TUI: the same arrows (one per command, one per reply, however they were
pipelined), the same transcript wording. Nothing here reads an event: the
reader did.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulator.replay import DNS, Arrow, Replay, StepView
from simulator.trace import Trace

__all__ = ["DNS", "Arrow", "Timeline", "build", "transcript_text"]


@dataclass(slots=True)
class Timeline:
    title: str
    participants: list[str]  # hosts in order of appearance, then DNS if anyone asked it
    addresses: dict[str, str]
    steps: list[StepView]
    replay: Replay

    def arrows(self) -> list[Arrow]:
        return [a for step in self.steps for a in step.arrows]


def build(trace: Trace | Replay, title: str = "") -> Timeline:
    replay = trace if isinstance(trace, Replay) else Replay(trace)
    steps = [v for v in replay.views() if v.number > 0 or v.transcript or v.arrows]
    addresses = {h.name: h.address for h in replay.hosts if h.address}
    name = title or str(replay.trace.meta.get("title", "")) or "mailsim trace"
    return Timeline(name, replay.participants(), addresses, steps, replay)


def transcript_text(step: StepView) -> list[str]:
    """The step's transcript as plain lines (``C:``/``S:`` plus ``--`` remarks)."""
    several = len(step.conns) > 1
    out = []
    for line in step.transcript:
        if line.side in ("C", "S"):
            prefix = f"{line.conn} " if several else ""
            out.append(f"{prefix}{line.side}: {line.text}")
        else:
            out.append(f"-- {line.text}")
    return out
