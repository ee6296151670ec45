"""The trace as a Markdown transcript: one section per step, narration, then what crossed the wire."""

from __future__ import annotations

import re

from simulator.export.handout import Handout, Question
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


def render_timeline(timeline: Timeline, trace: Trace, *, summary: str = "",
                    handout: Handout | None = None) -> str:
    """The transcript; with ``handout`` (a lesson's) also its objectives, questions, summary and RFCs."""
    out = [f"# {escape(timeline.title)}", ""]
    if summary.strip():
        out += [summary.strip(), ""]
    meta = trace.meta
    if meta.get("scenario"):
        out += [f"*Scenario `{meta['scenario']}`, seed {meta.get('seed', 1)}; "
                f"hosts: {', '.join(_host(timeline, h) for h in timeline.participants)}.*", ""]
    if handout is not None:
        out += _front(handout)
        out.append("## The steps" if handout.questions else "")
        out.append("")
    level = "###" if handout is not None and handout.questions else "##"
    for step in timeline.steps:
        out += [f"{level} {escape(step.heading)}", ""]
        question = handout.question_at(step.step.step_id) if handout is not None else None
        if question is not None:
            out += _about(question, handout.answers)
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
    if handout is not None:
        out += _back(handout)
    return "\n".join(out).rstrip() + "\n"


def _front(handout: Handout) -> list[str]:
    out: list[str] = []
    if handout.objectives:
        out += ["## You will learn", "", *[f"- {escape(o)}" for o in handout.objectives], ""]
    if handout.questions:
        out += ["## Questions", "",
                "*Predict each answer before you read the step it is about.*" if not handout.answers
                else "*With the answers (the teacher's copy).*", ""]
        for q in handout.questions:
            out += _question(q, handout.answers)
    return out


def _question(q: Question, answers: bool) -> list[str]:
    where = f"step {q.step_number}, {q.step_title}" if q.step_number else q.step_title
    out = [f"{q.number}. {_one_line(q.prompt)} *({escape(where)})*", ""]
    if q.choices:
        out += [*[f"   - [{'x' if answers and c == q.answer else ' '}] {escape(c)}" for c in q.choices], ""]
    elif not answers:
        out += ["   Your answer: ______________________________", ""]
    if answers:
        out += [f"   **Answer:** {escape(q.answer)}." + (f" {_one_line(q.why)}" if q.why else ""), ""]
    return out


def _about(q: Question, answers: bool) -> list[str]:
    if answers:
        return [f"> **Question {q.number}:** {_one_line(q.prompt)} **Answer:** {escape(q.answer)}.", ""]
    return [f"> **Question {q.number}** is about this step: predict it before you read on.", ""]


def _back(handout: Handout) -> list[str]:
    out: list[str] = []
    if handout.summary:
        out += ["## Summary", "", handout.summary, ""]
    if handout.rfcs:
        out += ["## Read further", "", *[f"- {escape(r.text)}" for r in handout.rfcs], ""]
    return out


def _one_line(markdown_text: str) -> str:
    """Markdown kept as Markdown, its lines joined (so a list item or quote stays one)."""
    return " ".join(markdown_text.split())


def _host(timeline: Timeline, name: str) -> str:
    addr = timeline.addresses.get(name)
    return escape(f"{name} ({addr})" if addr else name)
