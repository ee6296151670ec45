"""What the lesson picker offers: a teacher's own folders, the learning path's lessons in
teaching order under their parts' headings, then bare scenarios.

A scenario that no lesson uses is still worth stepping through, so the picker
lists it after the lessons. Each teacher's folder (``mailsim --lessons DIR``,
``MAILSIM_LESSONS``) is a group of its own, under the folder's name, with its
lessons and then its other scenarios. Files that fail to load are reported, not shown.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulator.lesson.catalog import CatalogEntry, heading_of, load_catalog
from simulator.scenario.loader import (
    ContentError,
    ContentErrors,
    kind_of,
    load_lesson,
    load_scenario,
    parse_yaml,
    read_text,
    validate_file,
)
from simulator.scenario.models import Scenario


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
    group: str = ""  # a teacher's folder it comes from: the heading it is listed under
    part: str = ""  # a bundled lesson's part of the learning path: its heading otherwise

    def matches(self, query: str) -> bool:
        hay = " ".join([self.title, self.topic, self.part, self.key, self.level, self.kind]).casefold()
        return all(word in hay for word in query.casefold().split())


@dataclass
class Library:
    entries: list[Entry] = field(default_factory=list)
    errors: list[ContentError] = field(default_factory=list)

    def topics(self) -> dict[str, list[Entry]]:
        out: dict[str, list[Entry]] = {}
        for e in self.entries:
            out.setdefault(e.group or e.part or e.topic, []).append(e)
        return out

    def after(self, key: str, path: Path | None = None) -> Entry | None:
        """The lesson after lesson ``key`` (the one at ``path`` when given) in the picker's order: the
        next on the learning path for a bundled lesson, the next of its folder for a teacher's own."""
        lessons = [e for e in self.entries if e.kind == "lesson"]
        here = next((i for i, e in enumerate(lessons) if e.key == key
                     and (path is None or e.path is None or _same(e.path, path))), None)
        if here is None:
            return None
        nxt = lessons[here + 1] if here + 1 < len(lessons) else None
        return nxt if nxt is not None and nxt.group == lessons[here].group else None


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return a == b


def _lesson_entry(item: CatalogEntry, group: str = "", part: str = "") -> Entry:
    lesson, scenario = item.lesson, item.scenario
    return Entry(
        "lesson", lesson.id, lesson.title, lesson.topic, item.path, lesson.level, lesson.minutes,
        len(scenario.steps), sum(1 for s in scenario.steps if s.ask is not None), lesson.intro.strip(),
        tuple(lesson.objectives),
        tuple(f"RFC {r.rfc}" + (f" §{r.section}" if r.section else "") + (f" {r.title}" if r.title else "")
              for r in lesson.rfcs), group, part)


def _scenario_entry(scenario: Scenario, path: Path, topic: str = "Scenarios", group: str = "") -> Entry:
    return Entry("scenario", scenario.id, scenario.title, topic, path, "", 0, len(scenario.steps),
                 sum(1 for s in scenario.steps if s.ask is not None), scenario.summary.strip(), group=group)


def _teacher_folder(folder: Path, taken: dict[str, Path]) -> tuple[list[Entry], list[ContentError]]:
    """The entries of one teacher's folder (all its YAML, subfolders included), grouped under its name."""
    from simulator.content import yaml_files

    if not folder.is_dir():
        return [], [ContentError(str(folder), 0, 0, "no such folder of lessons (given with --lessons or "
                                 "MAILSIM_LESSONS)")]
    group = folder.name or str(folder)
    lessons: list[CatalogEntry] = []
    scenarios: list[tuple[Path, Scenario]] = []
    errors: list[ContentError] = []
    for path in yaml_files(folder):
        kind = kind_of(path)
        try:
            if kind == "lesson":
                lessons.append(CatalogEntry(path, *load_lesson(path)))
            elif kind == "scenario":
                scenarios.append((path, load_scenario(path)))
            else:
                errors += validate_file(path)
        except ContentErrors as exc:
            errors += exc.errors
    lessons.sort(key=lambda e: (e.lesson.order, e.lesson.id))
    entries: list[Entry] = []

    def take(entry: Entry) -> bool:
        key, path = f"{entry.kind}:{entry.key}", entry.path or folder
        if key in taken:
            doc = parse_yaml(read_text(path), str(path))
            errors.append(doc.error(("id",), f"{entry.kind} id {entry.key!r} is already used by "
                                    f"{taken[key]}; give this one an id of its own"))
            return False
        taken[key] = path
        entries.append(entry)
        return True

    used = {item.scenario.id for item in lessons if take(_lesson_entry(item, group))}
    for path, scenario in scenarios:
        if scenario.id not in used:
            take(_scenario_entry(scenario, path, group=group))
    return entries, errors


def _row(entry: Entry) -> dict[str, Any]:
    row = dataclasses.asdict(entry)
    row["path"] = None if entry.path is None else str(entry.path)
    return row


def _from_row(row: dict[str, Any]) -> Entry:
    return Entry(**{**row, "path": None if row["path"] is None else Path(row["path"]),
                    "objectives": tuple(row["objectives"]), "rfcs": tuple(row["rfcs"])})


def _bundled(lessons: Path, scenarios: Path) -> tuple[list[Entry], list[ContentError]]:
    """The bundled lessons, then the scenarios no lesson uses; kept in the cache once they are
    error-free (see simulator.lesson.entry_cache), and taken from it while nothing changed."""
    from simulator.lesson import entry_cache

    folders = (lessons, scenarios)
    rows = entry_cache.load(folders)
    if rows is not None:
        try:
            return [_from_row(row) for row in rows], []
        except (KeyError, TypeError):
            pass  # a cache from other code: made again below
    listed = [p for folder in folders if folder.is_dir() for p in sorted(folder.glob("*.yaml"))]
    before = entry_cache.digests(listed)
    catalog = load_catalog(lessons)
    errors = list(catalog.errors)
    used: set[str] = set()
    bundled: list[Entry] = []
    # A lesson's scenario was loaded (and checked) with the lesson: it is not read twice.
    loaded: dict[Path, Scenario] = {}
    for item in catalog.entries:
        used.add(item.scenario.id)
        bundled.append(_lesson_entry(item, part=heading_of(item.lesson)))
        loaded[(item.path.parent / item.lesson.scenario).resolve()] = item.scenario
    for path in sorted(scenarios.glob("*.yaml")) if scenarios.is_dir() else []:
        try:
            scenario = loaded.get(path.resolve()) or load_scenario(path)
        except ContentErrors as exc:
            errors += exc.errors
            continue
        if scenario.id in used:
            continue
        bundled.append(_scenario_entry(scenario, path))
    if not errors:
        entry_cache.save(folders, before, listed + list(loaded), [_row(e) for e in bundled])
    return bundled, errors


def load_library(lessons: Path | None = None, scenarios: Path | None = None, *,
                 sandboxes: list[str] | None = None, folders: list[Path] | None = None) -> Library:
    """The picker's entries; ``folders`` are teachers' folders (default: content.teacher_folders())."""
    from simulator.content import lessons_dir, scenarios_dir, teacher_folders

    lib = Library()
    bundled, errors = _bundled(lessons or lessons_dir(), scenarios or scenarios_dir())
    lib.errors += errors
    taken = {f"{e.kind}:{e.key}": e.path for e in bundled if e.path is not None}
    # A teacher's own folders come first: on a class machine they are what the class is for.
    for teacher in teacher_folders() if folders is None else folders:
        entries, errors = _teacher_folder(teacher, taken)
        lib.entries += entries
        lib.errors += errors
    lib.entries += bundled
    for protocol in sandboxes if sandboxes is not None else ["smtp"]:
        lib.entries.append(Entry(
            "sandbox", protocol, f"{protocol.upper()} sandbox: type commands yourself", "Practice",
            intro="Type raw commands into a virtual server, as with telnet, and watch its state "
                  "machine move and the mailboxes change."))
    return lib
