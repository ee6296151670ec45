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
)
from simulator.scenario.models import Lesson, Scenario
from simulator.scenario.runner import RunResult, run_scenario


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
        raise ContentErrors([ContentError(str(source), 0, 0, "no such file, lesson or scenario")])
    return path


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
