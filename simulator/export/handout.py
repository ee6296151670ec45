"""What a lesson adds to an export to make it a handout: objectives, questions, summary, RFCs.

A handout is printed for a class. Its questions come first, numbered, on a page
of their own (the steps after them give the answers away); each step that a
question is about says so. Answers (and why) appear only when asked for
(``mailsim export --answers``), for the teacher's copy.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulator.scenario.models import Lesson, Scenario


@dataclass(frozen=True)
class Question:
    number: int
    step_id: str
    step_number: int  # the step's number in the export (0 when the trace has no such step)
    step_title: str
    prompt: str  # Markdown
    choices: tuple[str, ...]
    answer: str
    why: str  # Markdown


@dataclass(frozen=True)
class RfcLine:
    rfc: int
    section: str
    title: str

    @property
    def text(self) -> str:
        where = f" section {self.section}" if self.section else ""
        return f"RFC {self.rfc}{where}" + (f": {self.title}" if self.title else "")


@dataclass(frozen=True)
class Handout:
    """A lesson's parts for a handout; ``answers`` says whether the answers are printed."""

    objectives: tuple[str, ...]
    questions: tuple[Question, ...]
    summary: str  # Markdown
    rfcs: tuple[RfcLine, ...]
    answers: bool = False

    def question_at(self, step_id: str) -> Question | None:
        return next((q for q in self.questions if q.step_id == step_id), None)


def build(lesson: Lesson, scenario: Scenario, step_numbers: dict[str, tuple[int, str]],
          *, answers: bool = False) -> Handout:
    """The handout of ``lesson``; ``step_numbers`` maps a step id to its number and heading in the export."""
    questions = []
    for step in scenario.steps:
        if step.ask is None:
            continue
        number, title = step_numbers.get(step.id, (0, step.title or step.id))
        questions.append(Question(len(questions) + 1, step.id, number, title, step.ask.prompt.strip(),
                                  tuple(step.ask.choices), step.ask.answer, step.ask.why.strip()))
    rfcs = tuple(RfcLine(r.rfc, r.section, r.title) for r in lesson.rfcs)
    return Handout(tuple(lesson.objectives), tuple(questions), lesson.summary.strip(), rfcs, answers)
