"""The bundled lessons on the learning path, in teaching order, with the errors of any that fail to load.

The path is a list of numbered parts: sending mail, logging in, TLS, MIME,
reading mail, SPF, DKIM, DMARC, and the attacks as a part of their own. A
lesson is on the part that names its id, else on the part that collects its
topic; within a part the named lessons come in the order named, then the
others by ``order``. A lesson whose topic no part collects (a teacher's own
topic) is listed after the path under its topic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from simulator.content import lessons_dir
from simulator.scenario.loader import ContentError, ContentErrors, load_lesson
from simulator.scenario.models import Lesson, Scenario


@dataclass(frozen=True)
class Part:
    """One part of the learning path."""

    number: int
    title: str
    topics: tuple[str, ...]
    lessons: tuple[str, ...] = ()  # placed here whatever their topic, in this order

    @property
    def heading(self) -> str:
        return f"{self.number}. {self.title}"


PATH: tuple[Part, ...] = (
    Part(1, "Sending mail: SMTP", ("SMTP",), ("smtp-basics", "smtp-relay-mx", "smtp-errors")),
    Part(2, "Logging in: SMTP AUTH", ("AUTH",), ("smtp-auth",)),
    Part(3, "Encryption: TLS", ("TLS",), ("starttls", "implicit-tls", "tls12-vs-tls13", "bad-certificate")),
    Part(4, "Message format: MIME", ("MIME",), ("mime-attachment",)),
    Part(5, "Reading mail: POP3, IMAP", ("POP3", "IMAP"),
         ("pop3-download-delete", "pop3-dropped-connection", "imap-two-devices", "pop3-vs-imap",
          "mailbox-logins")),
    Part(6, "Who may send: SPF", ("SPF",)),
    Part(7, "Signed mail: DKIM", ("DKIM",), ("dkim-signing", "dkim-tampered")),
    Part(8, "The From domain: DMARC", ("DMARC",), ("dmarc-spoofing", "dmarc-forwarding")),
    Part(9, "Attacks and defences", ("Attacks",),
         ("smtp-auth-sniffed", "starttls-stripping", "starttls-injection", "smtp-smuggling", "open-relay",
          "from-spoofing", "display-name-phishing")),
)

TOPICS: tuple[str, ...] = tuple(topic for part in PATH for topic in part.topics)


def part_of(lesson: Lesson) -> Part | None:
    """The part of the path a lesson is on, or None when neither its id nor its topic is on it."""
    return (next((p for p in PATH if lesson.id in p.lessons), None)
            or next((p for p in PATH if lesson.topic in p.topics), None))


def heading_of(lesson: Lesson) -> str:
    """The heading the picker lists a lesson under: its part of the path, else its own topic."""
    part = part_of(lesson)
    return part.heading if part is not None else lesson.topic


@dataclass(frozen=True)
class CatalogEntry:
    path: Path
    lesson: Lesson
    scenario: Scenario


@dataclass
class Catalog:
    entries: list[CatalogEntry] = field(default_factory=list)
    errors: list[ContentError] = field(default_factory=list)

    def by_part(self) -> dict[str, list[CatalogEntry]]:
        """The entries under their headings, in teaching order."""
        out: dict[str, list[CatalogEntry]] = {}
        for entry in self.entries:
            out.setdefault(heading_of(entry.lesson), []).append(entry)
        return out

    def find(self, lesson_id: str) -> CatalogEntry | None:
        return next((e for e in self.entries if e.lesson.id == lesson_id), None)

    def after(self, lesson_id: str) -> CatalogEntry | None:
        """The lesson that comes next on the path, if any."""
        ids = [e.lesson.id for e in self.entries]
        if lesson_id not in ids:
            return None
        i = ids.index(lesson_id) + 1
        return self.entries[i] if i < len(self.entries) else None


def teaching_order(lesson: Lesson) -> tuple[int, str, int, int, int, str]:
    """Sort key: the part, the lesson's place among the part's named lessons, its topic, its order."""
    part = part_of(lesson)
    if part is None:  # after the path, grouped by topic
        return (len(PATH) + 1, lesson.topic, 0, 0, lesson.order, lesson.id)
    named = part.lessons.index(lesson.id) if lesson.id in part.lessons else len(part.lessons)
    topic = part.topics.index(lesson.topic) if lesson.topic in part.topics else len(part.topics)
    return (part.number, "", named, topic, lesson.order, lesson.id)


def load_catalog(folder: Path | None = None) -> Catalog:
    catalog = Catalog()
    for path in sorted((folder or lessons_dir()).glob("*.yaml")):
        try:
            lesson, scenario = load_lesson(path)
        except ContentErrors as exc:
            catalog.errors += exc.errors
            continue
        catalog.entries.append(CatalogEntry(path, lesson, scenario))
    catalog.entries.sort(key=lambda e: teaching_order(e.lesson))
    return catalog
