"""The trace as a Markdown transcript: one section per step, narration, then what crossed the wire."""

from __future__ import annotations

import re

from simulator.export.timeline import Timeline, build, transcript_text
from simulator.replay.text import md_escape
from simulator.trace import Trace


def escape(text: str) -> str:
    """Plain text for a Markdown heading or list item: no emphasis, links or HTML."""
    return md_escape(" ".join(text.split()))


def fence(lines: list[str], info: str = "text") -> list[str]:
    """A fenced code block whose fence is longer than any run of backticks inside it."""
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    marker = "`" * max(3, longest + 1)
    return [f"{marker}{info}", *lines, marker]


def render(trace: Trace, *, title: str = "", summary: str = "") -> str:
    return render_timeline(build(trace, title), trace, summary=summary)


def render_timeline(timeline: Timeline, trace: Trace, *, summary: str = "") -> str:
    out = [f"# {escape(timeline.title)}", ""]
    if summary.strip():
        out += [summary.strip(), ""]
    meta = trace.meta
    if meta.get("scenario"):
        out += [f"*Scenario `{meta['scenario']}`, seed {meta.get('seed', 1)}; "
                f"hosts: {', '.join(_host(timeline, h) for h in timeline.participants)}.*", ""]
    for step in timeline.steps:
        out += [f"## {escape(step.heading)}", ""]
        if step.step.explain.strip():
            out += [step.step.explain.strip(), ""]
        lines = transcript_text(step)
        if lines:
            out += [*fence(lines), ""]
        for check in step.expectations:
            mark = "✓" if check.ok else "✗ FAILED"
            out.append(f"- {mark} expected {escape(check.what)}: {escape(check.detail)}")
        if step.expectations:
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def _host(timeline: Timeline, name: str) -> str:
    addr = timeline.addresses.get(name)
    return escape(f"{name} ({addr})" if addr else name)
