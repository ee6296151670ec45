"""Every RFC citation in the bundled content agrees with the reference table of sections.

A lesson's ``rfcs:`` entry must give the title the table gives for its (rfc, section); one
(rfc, section) never carries two titles; and every "RFC N section S" in the narration of the
bundled lessons and scenarios names a section the table lists, for the RFCs it covers. A new
citation goes into simulator/lesson/rfc_sections.py first, with its title read in the RFC.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest
import yaml

from simulator.content import lessons_dir, scenarios_dir
from simulator.lesson.rfc_sections import SECTIONS, citations, covered_rfcs

LESSONS = sorted(lessons_dir().glob("*.yaml"))
CONTENT = LESSONS + sorted(scenarios_dir().glob("*.yaml"))


def _rfcs(path: Path) -> list[dict]:
    return yaml.safe_load(path.read_text(encoding="utf-8")).get("rfcs") or []


def test_the_bundled_content_is_found() -> None:
    assert len(LESSONS) >= 20 and any(_rfcs(p) for p in LESSONS)


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_rfcs_entries_give_the_tables_titles(path: Path) -> None:
    wrong = []
    for ref in _rfcs(path):
        key = (int(ref["rfc"]), str(ref["section"]))
        entry = SECTIONS.get(key)
        if entry is None:
            wrong.append(f"RFC {key[0]} section {key[1]} is not in simulator/lesson/rfc_sections.py: add it "
                         "there with the title from the RFC's table of contents")
        elif entry.title is not None and ref.get("title") != entry.title:
            wrong.append(f"RFC {key[0]} section {key[1]}: {ref.get('title')!r}, the RFC says {entry.title!r}")
    assert not wrong, "\n".join(wrong)


def test_one_section_has_one_title_across_lessons() -> None:
    titles: dict[tuple[int, str], dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for path in LESSONS:
        for ref in _rfcs(path):
            titles[(int(ref["rfc"]), str(ref["section"]))][ref.get("title", "")].append(path.stem)
    clashes = {key: dict(by_title) for key, by_title in titles.items() if len(by_title) > 1}
    assert not clashes


@pytest.mark.parametrize("path", CONTENT, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_narration_cites_sections_that_exist(path: Path) -> None:
    covered = covered_rfcs()
    unknown = sorted({c for c in citations(path.read_text(encoding="utf-8"))
                      if c[0] in covered and c not in SECTIONS})
    assert not unknown, [f"RFC {rfc} section {section}" for rfc, section in unknown]


def test_verified_entries_name_their_source_and_title() -> None:
    for key, entry in SECTIONS.items():
        if entry.source is not None:
            assert entry.title, key
            assert f"RFC {key[0]}" in entry.source, (key, entry.source)


# --- the citation parser ------------------------------------------------------------


def test_citations_reads_single_and_listed_sections() -> None:
    text = ("the client (RFC 5321 section 4.1.1.1) and the lookups (RFC 7208 sections 2.3, 2.4, 4); "
            "SCRAM (RFC 7677, RFC 5802 sections 3 and 5), outside RFC 8314 (section 1). "
            "See RFC 8446 section D.4.")
    assert citations(text) == [(5321, "4.1.1.1"), (7208, "2.3"), (7208, "2.4"), (7208, "4"),
                               (5802, "3"), (5802, "5"), (8314, "1"), (8446, "D.4")]


def test_citations_follow_a_wrapped_line_and_stop_at_the_sentence() -> None:
    text = "is base64 (RFC 4616\n    section 2). Then 4 more words; RFC 6376 alone is no citation."
    assert citations(text) == [(4616, "2")]


def test_a_wrong_section_is_caught() -> None:
    # the mistake this audit found: RFC 4616's Security Considerations are section 5, not 4
    assert SECTIONS[(4616, "5")].title == "Security Considerations"
    assert (4616, "4") not in SECTIONS
