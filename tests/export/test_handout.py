"""``mailsim export`` of a lesson is a handout: objectives, questions (answers with --answers),
narration and summary, in Markdown and in HTML that prints (print CSS) and escapes what it shows."""

from __future__ import annotations

import re
import textwrap
from html.parser import HTMLParser
from pathlib import Path

import pytest

from simulator.cli import main
from simulator.export.formats import export_text, load_source
from simulator.scenario.launch import load

LESSONS = ("smtp-basics", "dmarc-spoofing", "pop3-vs-imap")


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.tags: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs) -> None:  # noqa: ANN001
        self.tags.append(tag)
        if tag in ("style",):
            self._skip += 1

    def handle_endtag(self, tag) -> None:  # noqa: ANN001
        if tag in ("style",):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.text.append(data)


def _page_text(page: str) -> str:
    parser = _Text()
    parser.feed(page)
    return " ".join("".join(parser.text).split())


def _words(markdown_text: str) -> str:
    """Markdown reduced to its words, to find it in either format whatever the markup."""
    text = re.sub(r"[`*_\\]", "", markdown_text)
    return " ".join(text.split())


def _asks(name: str):
    loaded = load(name)
    return loaded.lesson, [s for s in loaded.scenario.steps if s.ask is not None]


@pytest.mark.parametrize("name", LESSONS)
def test_markdown_handout_has_every_objective_question_and_the_summary(name: str) -> None:
    lesson, asked = _asks(name)
    assert len(asked) >= 2
    source = load_source(name)
    plain = _words(export_text(source, "markdown"))
    for objective in lesson.objectives:
        assert _words(objective) in plain, objective
    for step in asked:
        assert _words(step.ask.prompt) in plain, step.ask.prompt
        for choice in step.ask.choices:
            assert _words(choice) in plain
    for paragraph in lesson.summary.strip().split("\n\n"):
        assert _words(paragraph) in plain
    for ref in lesson.rfcs:
        assert f"RFC {ref.rfc}" in plain


@pytest.mark.parametrize("name", LESSONS)
def test_answers_only_with_answers(name: str) -> None:
    _, asked = _asks(name)
    source = load_source(name)
    for fmt in ("markdown", "html"):
        without, with_ = export_text(source, fmt), export_text(source, fmt, answers=True)
        assert "Answer:" not in without and "Answer:" in with_
        plain_without = _words(without if fmt == "markdown" else _page_text(without))
        plain_with = _words(with_ if fmt == "markdown" else _page_text(with_))
        for step in asked:
            if step.ask.why.strip():  # the explanation of the answer: only in the teacher's copy
                assert _words(step.ask.why) not in plain_without, step.ask.why
                assert _words(step.ask.why) in plain_with, step.ask.why
            assert f"Answer: {_words(step.ask.answer)}" in plain_with
        if fmt == "markdown":  # the right choice is ticked only in the teacher's copy
            assert "- [x]" not in without and "- [x]" in with_


@pytest.mark.parametrize("name", LESSONS)
def test_html_handout_has_the_lesson_and_prints(name: str) -> None:
    lesson, asked = _asks(name)
    page = export_text(load_source(name), "html")
    text = _words(_page_text(page))
    for objective in lesson.objectives:
        assert _words(objective) in text
    for step in asked:
        assert _words(step.ask.prompt) in text
    for item in re.split(r"\n\s*\n|^\s*- ", lesson.summary.strip(), flags=re.M):  # paragraphs, list items
        assert _words(item) in text, item
    assert "Summary" in text and "You will learn" in text and "Questions" in text
    print_css = page[page.index("@media print"):]
    assert "break-after: page" in print_css  # the questions on a page of their own
    assert "--bg: #fff" in print_css and "background: #fff" in print_css  # never a dark page on paper
    assert '<section class="questions-page">' in page
    assert "<script" not in page and "http" not in page.split("<footer>")[0].replace("http://www.w3.org", "")


def test_a_bare_scenario_export_is_no_handout() -> None:
    text = export_text(load_source("scenarios/smtp-basics.yaml"), "markdown", answers=True)
    assert "## Questions" not in text and "## You will learn" not in text and "## Summary" not in text


HOSTILE_LESSON = textwrap.dedent("""\
    id: hostile-lesson
    title: "Lesson <i>one</i>"
    topic: SMTP
    level: beginner
    minutes: 5
    objectives: ["Spot <script>alert('objective')</script> in a handout"]
    intro: "An intro with <b>bold tags</b>."
    summary: "A summary with <script>alert('summary')</script>."
    scenario: hostile.scenario.yaml
    rfcs: [{rfc: 5321, section: "4.2", title: "SMTP <Replies>"}]
    """)
HOSTILE_SCENARIO = textwrap.dedent("""\
    id: hostile
    title: Hostile
    steps:
      - {id: connect, action: connect, from: alice-laptop, to: mx.example.net, port: 25}
      - id: ehlo
        action: send
        line: EHLO a
        ask:
          prompt: "Which <em>code</em> answers?"
          choices: ["<250>", "220 & more"]
          answer: "<250>"
          why: "Because <script>alert('why')</script>."
      - {id: quit, action: send, line: QUIT}
    """)


def test_html_handout_escapes_the_lesson(tmp_path: Path) -> None:
    (tmp_path / "hostile.yaml").write_text(HOSTILE_LESSON, encoding="utf-8")
    (tmp_path / "hostile.scenario.yaml").write_text(HOSTILE_SCENARIO, encoding="utf-8")
    page = export_text(load_source(str(tmp_path / "hostile.yaml")), "html", answers=True)
    assert "<script" not in page and "<em>code</em>" not in page and "<i>one</i>" not in page
    assert "&lt;script&gt;alert(&#x27;objective&#x27;)&lt;/script&gt;" in page
    assert "&lt;250&gt;" in page and "220 &amp; more" in page and "SMTP &lt;Replies&gt;" in page
    text = _page_text(page)
    assert "Spot <script>alert('objective')</script> in a handout" in text  # shown as text
    assert "Which <em>code</em> answers?" in text and "Answer: <250>" in text
    assert "Because <script>alert('why')</script>." in text


def test_cli_export_answers(tmp_path: Path) -> None:
    student, teacher = tmp_path / "student.html", tmp_path / "teacher.md"
    assert main(["export", "smtp-basics", "-o", str(student)]) == 0
    assert main(["export", "smtp-basics", "--answers", "-o", str(teacher)]) == 0
    assert "Answer:" not in student.read_text(encoding="utf-8")
    assert "**Answer:** 250." in teacher.read_text(encoding="utf-8")


def test_the_diagram_styles_stay_inside_the_diagram() -> None:
    """The inline SVG's rules are scoped: a bare ``.step`` made every step section of the page bold."""
    from simulator.export import svg

    rules = [r for r in svg.STYLE.split("}") if r]
    assert rules and all(all(sel.strip().startswith("svg.sequence") for sel in r.split("{")[0].split(","))
                         for r in rules), rules
