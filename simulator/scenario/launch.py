"""Load a lesson or scenario by path or bundled name, and run it: the one way every face does it.

``mailsim run``, ``mailsim export``, the TUI and ``mailsim serve`` all open content
through :func:`load` (serve needs only the world) or :func:`load_run`. Every
failure is a :class:`~simulator.scenario.loader.ContentErrors`: a file that does
not exist, a folder, or a mistake in the YAML, each worded once, here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from simulator import content
from simulator.scenario.loader import (
    ContentError,
    ContentErrors,
    kind_of,
    load_lesson,
    load_scenario,
    parse_yaml,
    read_text,
)
from simulator.scenario.models import Lesson, Scenario
from simulator.scenario.runner import Failure, RunResult, run_scenario
from simulator.scenario.suggest import nearest


@dataclass(frozen=True)
class Loaded:
    """A scenario ready to run, and the lesson it came from (if it came from one)."""

    path: Path
    scenario: Scenario
    lesson: Lesson | None

    @property
    def title(self) -> str:
        """The title a user sees: the lesson's when there is one, so every face shows the same."""
        return self.lesson.title if self.lesson else self.scenario.title

    @property
    def summary(self) -> str:
        return (self.lesson.intro or self.scenario.summary) if self.lesson else self.scenario.summary

    @property
    def lesson_id(self) -> str:
        return self.lesson.id if self.lesson else ""

    @property
    def scenario_path(self) -> Path:
        """The scenario file: this file, or the one the lesson names (relative to the lesson)."""
        return self.path.parent / self.lesson.scenario if self.lesson else self.path


@dataclass(frozen=True)
class LoadedRun(Loaded):
    """:class:`Loaded`, run: its trace and failed expectations are in ``result``."""

    result: RunResult


def find(source: str | Path) -> Path:
    """The file ``source`` names (a path, or a bundled lesson or scenario name); ContentErrors if none."""
    path = content.resolve(str(source))
    if path.is_dir():
        raise ContentErrors([ContentError(str(source), 0, 0,
                                          "is a directory; name a scenario or lesson file "
                                          "(mailsim validate checks whole folders)")])
    if not path.is_file():
        raise ContentErrors([ContentError(str(source), 0, 0, "no such file, lesson or scenario"
                                          + _not_found_hint(str(source)))])
    return path


def _not_found_hint(name: str) -> str:
    """For a name (not a path): the nearest lesson or scenario name, and where a teacher's own are found."""
    if "/" in name or "\\" in name or name.endswith((".yaml", ".yml")):
        return ""
    guess = nearest(name, content.known_names())
    said = f": did you mean {guess!r}?" if guess else ""
    if content.teacher_folders():
        return said
    return said + " (a lesson in a folder of your own: add --lessons DIR, or set MAILSIM_LESSONS)"


def load(source: str | Path) -> Loaded:
    """Find and check a lesson or scenario; raises ContentErrors (file:line:column) on any mistake."""
    path = find(source)
    if kind_of(path) == "lesson":
        lesson, scenario = load_lesson(path)
        return Loaded(path, scenario, lesson)
    return Loaded(path, load_scenario(path), None)


def load_run(source: str | Path) -> LoadedRun:
    """:func:`load`, then run the scenario headless."""
    loaded = load(source)
    return LoadedRun(loaded.path, loaded.scenario, loaded.lesson, run_scenario(loaded.scenario))


def located_failures(loaded: Loaded, failures: list[Failure]) -> list[ContentError]:
    """Each failed expectation at the key it is about in the scenario file
    (``steps[3].expect.reply``; the step itself when its action failed), as file:line:column."""
    path = loaded.scenario_path
    try:
        doc = parse_yaml(read_text(path), str(path))
    except ContentErrors:  # the file changed since it was run: say where it was, without a line
        return [ContentError(str(path), 0, 0, str(f)) for f in failures]
    steps = doc.data.get("steps") if isinstance(doc.data, dict) else None
    index = {}
    for n, step in enumerate(steps if isinstance(steps, list) else []):
        if isinstance(step, dict) and isinstance(step.get("id"), str):
            index.setdefault(step["id"], n)
    out = []
    for f in failures:
        at: tuple = ("steps", index[f.step_id]) if f.step_id in index else ()
        expect = doc.data["steps"][at[1]].get("expect") if at else None
        if isinstance(expect, dict) and f.what in expect:
            at = (*at, "expect", f.what)
        elif isinstance(expect, dict) and f.what not in (loaded.scenario.steps[at[1]].action, ""):
            at = (*at, "expect")
        out.append(doc.error(at, str(f), at_key=True))
    return out
