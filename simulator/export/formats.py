"""``mailsim export``: find the trace (run a scenario or lesson, or read a trace JSON) and render it."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from simulator import content
from simulator.export import handout, html, markdown, mermaid
from simulator.export.timeline import Timeline, build
from simulator.scenario.models import Lesson, Scenario
from simulator.trace import Trace

# name -> (file suffix, renderer of a source, with or without the questions' answers)
FORMATS: dict[str, tuple[str, Callable[[Source, bool], str]]] = {}


@dataclass(frozen=True)
class Source:
    """What an export shows: the trace, and the title and summary of what produced it; a lesson's
    export is a handout too (objectives, questions, summary, RFCs)."""

    trace: Trace
    title: str
    summary: str = ""
    lesson: Lesson | None = None
    scenario: Scenario | None = None

    def timeline(self) -> Timeline:
        return build(self.trace, self.title)

    def handout(self, timeline: Timeline, answers: bool) -> handout.Handout | None:
        if self.lesson is None or self.scenario is None:
            return None
        numbers = {v.step.step_id: (v.number, v.step.title or v.step.step_id) for v in timeline.steps}
        return handout.build(self.lesson, self.scenario, numbers, answers=answers)


class NotATrace(ValueError):
    pass


def load_source(name: str) -> Source:
    """A scenario, a lesson, a bundled name (run now), or a trace JSON from ``mailsim run --json``.

    Raises NotATrace, or the loader's ContentErrors (a missing file or folder included).
    """
    from simulator.scenario.launch import load_run

    path = content.resolve(name)
    if path.is_file() and _looks_like_json(path):
        trace = _load_trace(path)
        return Source(trace, str(trace.meta.get("title", "")) or path.stem)
    loaded = load_run(name)
    return Source(loaded.result.trace, loaded.title, loaded.summary, loaded.lesson, loaded.scenario)


def _looks_like_json(path: Path) -> bool:
    if path.suffix.lower() == ".json":
        return True
    try:
        with path.open("rb") as f:
            return f.read(64).lstrip().startswith(b"{")
    except OSError:
        return False


def _load_trace(path: Path) -> Trace:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise NotATrace(f"{path}: not a trace JSON file ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("events"), list):
        raise NotATrace(f"{path}: not a trace JSON file (no 'events' list); write one with mailsim run --json")
    try:
        return Trace.from_json(data)
    except (TypeError, ValueError, KeyError) as exc:
        raise NotATrace(f"{path}: not a trace this mailsim can read ({exc})") from None


def guess_format(output: str | None, default: str = "markdown") -> str:
    """The format an output file name asks for (``.md``, ``.mmd``, ``.html``), else ``default``."""
    if output:
        suffix = Path(output).suffix.lower()
        for name, (ext, _) in FORMATS.items():
            if suffix == ext or (name == "markdown" and suffix == ".markdown") or (
                    name == "html" and suffix == ".htm"):
                return name
    return default


def export_text(source: Source, fmt: str, *, answers: bool = False) -> str:
    """``source`` in format ``fmt``; a lesson's questions with their answers only when ``answers``."""
    try:
        _, renderer = FORMATS[fmt]
    except KeyError:
        raise ValueError(f"unknown export format {fmt!r}; choose from {', '.join(FORMATS)}") from None
    return renderer(source, answers)


def _markdown(source: Source, answers: bool) -> str:
    timeline = source.timeline()
    return markdown.render_timeline(timeline, source.trace, summary=source.summary,
                                    handout=source.handout(timeline, answers))


def _html(source: Source, answers: bool) -> str:
    timeline = source.timeline()
    return html.render_timeline(timeline, source.trace, summary=source.summary,
                                handout=source.handout(timeline, answers))


FORMATS.update({
    "markdown": (".md", _markdown),
    "mermaid": (".mmd", lambda s, _answers: mermaid.render(s.trace, title=s.title)),
    "html": (".html", _html),
})
