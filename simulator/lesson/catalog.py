"""The bundled lessons, in teaching order, with the errors of any that fail to load."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from simulator.content import lessons_dir
from simulator.scenario.loader import ContentError, ContentErrors, load_lesson
from simulator.scenario.models import Lesson, Scenario

TOPIC_ORDER = ["SMTP", "IMAP", "POP3", "TLS", "AUTH", "MIME", "DKIM", "SPF", "DMARC"]


@dataclass(frozen=True)
class CatalogEntry:
    path: Path
    lesson: Lesson
    scenario: Scenario


@dataclass
class Catalog:
    entries: list[CatalogEntry] = field(default_factory=list)
    errors: list[ContentError] = field(default_factory=list)

    def by_topic(self) -> dict[str, list[CatalogEntry]]:
        out: dict[str, list[CatalogEntry]] = {}
        for entry in self.entries:
            out.setdefault(entry.lesson.topic, []).append(entry)
        return out

    def find(self, lesson_id: str) -> CatalogEntry | None:
        return next((e for e in self.entries if e.lesson.id == lesson_id), None)


def _order(entry: CatalogEntry) -> tuple[int, int, str]:
    topic = entry.lesson.topic
    rank = TOPIC_ORDER.index(topic) if topic in TOPIC_ORDER else len(TOPIC_ORDER)
    return (rank, entry.lesson.order, entry.lesson.id)


def load_catalog(folder: Path | None = None) -> Catalog:
    catalog = Catalog()
    for path in sorted((folder or lessons_dir()).glob("*.yaml")):
        try:
            lesson, scenario = load_lesson(path)
        except ContentErrors as exc:
            catalog.errors += exc.errors
            continue
        catalog.entries.append(CatalogEntry(path, lesson, scenario))
    catalog.entries.sort(key=_order)
    return catalog
