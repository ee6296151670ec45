"""Checking a predict-then-reveal answer against a step's ``ask``.

Multiple choice compares the chosen text. A typed answer is forgiving about
what does not matter: case, spaces, ``-`` or ``_`` in state names, and text
after a reply code ("250 OK" answers "250").

A typed reply code is checked as far as the answer goes. An answer of a bare
code ("550") asks for the code: "550 5.7.1" is right, and the feedback says
that the enhanced code was not checked, so a wrong one (say "550 5.1.1") is
never taken for confirmed. An answer with an enhanced code ("550 5.7.1")
needs both: "550" alone or "550 5.1.1" is not quite, and the feedback says
the enhanced code is part of the answer.
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
    outcome: str = "answered"  # or "revealed" / "skipped" by the teacher in --present

    def markdown(self) -> str:
        if self.outcome == "revealed":
            text = f"**The question:** {self.prompt.strip()} **The answer:** {self.expected}."
            return f"{text} {self.why.strip()}" if self.why.strip() else text
        if self.outcome == "skipped":
            return "*The question of this step was skipped.*"
        mark = "✓" if self.correct else "✗"
        given = f"{mark} **You predicted** `{self.given or '(nothing)'}`"
        text = f"{given}: right." if self.correct else f"{given}, not quite; the answer is **{self.expected}**."
        if self.why:
            text += f" {self.why.strip()}"
        return text


def normalize(text: str) -> str:
    text = text.strip().casefold()
    text = re.sub(r"[\s_\-]+", "_", text)
    return text.strip("_.")


# A reply code and, optionally, an RFC 3463 enhanced code after it: "550", "550 5.7.1", "550-5.7.1 ..."
_REPLY = re.compile(r"\s*([2-5]\d\d)(?![\d.])(?:[\s\-]+([245]\.\d{1,3}\.\d{1,3})(?![\d.]))?")


def _reply(text: str, *, whole: bool) -> tuple[str, str] | None:
    m = _REPLY.fullmatch(text.strip()) if whole else _REPLY.match(text)
    return (m.group(1), m.group(2) or "") if m else None


def matches(answer: str, given: str) -> bool:
    want, got = normalize(answer), normalize(given)
    if not got:
        return False
    if want == got:
        return True
    code = _reply(answer, whole=True)
    if code is not None:
        typed = _reply(given, whole=False)
        if typed is None or typed[0] != code[0]:
            return False
        # With an enhanced code in the answer, the typed one must be it (module docstring).
        return not code[1] or typed[1] == code[1]
    return False


def reply_code_note(answer: str, given: str) -> str:
    """What the feedback must say about a typed reply code, beyond right or wrong."""
    code, typed = _reply(answer, whole=True), _reply(given, whole=False)
    if code is None or typed is None or typed[0] != code[0]:
        return ""
    if not code[1] and typed[1]:
        return (f"Only the reply code is asked for: {code[0]} is checked, the enhanced code "
                f"{typed[1]} you added is not.")
    if code[1] and typed[1] != code[1]:
        return f"The enhanced code is part of the answer: {code[0]} {code[1]}."
    return ""


def check(ask: Ask, given: str) -> QuizResult:
    given = given.strip()
    note = ""
    if ask.choices:
        correct = given == ask.answer or normalize(given) == normalize(ask.answer)
    else:
        correct = matches(ask.answer, given)
        note = reply_code_note(ask.answer, given)
    why = f"{note} {ask.why.strip()}".strip() if note else ask.why
    return QuizResult(ask.prompt, given, ask.answer, correct, why)
