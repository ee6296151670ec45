"""What the lesson picker offers: the lessons in teaching order, then bare scenarios.

A scenario that no lesson uses is still worth stepping through, so the picker
lists it after the lessons. Files that fail to load are reported, not shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from simulator.lesson.catalog import load_catalog
from simulator.scenario.loader import ContentError, ContentErrors, load_scenario


@dataclass(frozen=True)
class Entry:
    kind: str  # "lesson", "scenario" or "sandbox"
    key: str  # lesson id, scenario id, or sandbox protocol
    title: str
    topic: str
    path: Path | None = None
    level: str = ""
    minutes: int = 0
    steps: int = 0
    questions: int = 0
    intro: str = ""
    objectives: tuple[str, ...] = ()
    rfcs: tuple[str, ...] = ()

    def matches(self, query: str) -> bool:
        hay = " ".join([self.title, self.topic, self.key, self.level, self.kind]).casefold()
        return all(word in hay for word in query.casefold().split())


@dataclass
class Library:
    entries: list[Entry] = field(default_factory=list)
    errors: list[ContentError] = field(default_factory=list)

    def topics(self) -> dict[str, list[Entry]]:
        out: dict[str, list[Entry]] = {}
        for e in self.entries:
            out.setdefault(e.topic, []).append(e)
        return out


def load_library(lessons: Path | None = None, scenarios: Path | None = None, *,
                 sandboxes: list[str] | None = None) -> Library:
    from simulator.content import lessons_dir, scenarios_dir

    lib = Library()
    catalog = load_catalog(lessons or lessons_dir())
    lib.errors += catalog.errors
    used: set[str] = set()
    for item in catalog.entries:
        lesson, scenario = item.lesson, item.scenario
        used.add(scenario.id)
        lib.entries.append(Entry(
            "lesson", lesson.id, lesson.title, lesson.topic, item.path, lesson.level, lesson.minutes,
            len(scenario.steps), sum(1 for s in scenario.steps if s.ask is not None), lesson.intro.strip(),
            tuple(lesson.objectives),
            tuple(f"RFC {r.rfc}" + (f" §{r.section}" if r.section else "") + (f" {r.title}" if r.title else "")
                  for r in lesson.rfcs)))
    folder = scenarios or scenarios_dir()
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        try:
            scenario = load_scenario(path)
        except ContentErrors as exc:
            lib.errors += exc.errors
            continue
        if scenario.id in used:
            continue
        lib.entries.append(Entry(
            "scenario", scenario.id, scenario.title, "Scenarios", path, "", 0, len(scenario.steps),
            sum(1 for s in scenario.steps if s.ask is not None), scenario.summary.strip()))
    for protocol in sandboxes if sandboxes is not None else ["smtp"]:
        lib.entries.append(Entry(
            "sandbox", protocol, f"{protocol.upper()} sandbox: type commands yourself", "Practice",
            intro="Type raw commands into a virtual server, as with telnet, and watch its state "
                  "machine move and the mailboxes change."))
    return lib
