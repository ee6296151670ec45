"""Checking a predict-then-reveal answer against a step's ``ask``.

Multiple choice compares the chosen text. A typed answer is forgiving about
what does not matter: case, spaces, ``-`` or ``_`` in state names, and text
after a reply code ("250 OK" answers "250").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from simulator.scenario.models import Ask


@dataclass(frozen=True, slots=True)
class QuizResult:
    prompt: str
    given: str
    expected: str
    correct: bool
    why: str = ""

    def markdown(self) -> str:
        mark = "✓" if self.correct else "✗"
        verdict = "right" if self.correct else f"not quite: the answer is **{self.expected}**"
        text = f"{mark} **You predicted** `{self.given or '(nothing)'}`: {verdict}."
        if self.why:
            text += f" {self.why.strip()}"
        return text


def normalize(text: str) -> str:
    text = text.strip().casefold()
    text = re.sub(r"[\s_\-]+", "_", text)
    return text.strip("_.")


def matches(answer: str, given: str) -> bool:
    want, got = normalize(answer), normalize(given)
    if not got:
        return False
    if want == got:
        return True
    # A reply code: "250", "250 OK", "250-" all answer "250"; "+OK" answers "+ok".
    if re.fullmatch(r"[2-5]\d\d", want):
        return re.match(rf"{want}(?!\d)", got) is not None
    return False


def check(ask: Ask, given: str) -> QuizResult:
    given = given.strip()
    if ask.choices:
        correct = given == ask.answer or normalize(given) == normalize(ask.answer)
    else:
        correct = matches(ask.answer, given)
    return QuizResult(ask.prompt, given, ask.answer, correct, ask.why)
