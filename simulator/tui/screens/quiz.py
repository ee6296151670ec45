"""Predict, then reveal: a modal that asks a step's question before the step is shown.

The screen collects an answer, hands it to ``checker`` (the player's quiz
checking; no logic here), shows the verdict and the explanation, and on
Enter dismisses with the result. In ``--present`` (a teacher at a projector)
the footer offers two more keys: ctrl+r reveals the answer to the class, ctrl+n
skips the question; both settle it through ``settle`` (the player's).
"""

from __future__ import annotations

from collections.abc import Callable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from simulator.lesson.quiz import QuizResult
from simulator.tui.widgets.markdown import inline


class QuizScreen(ModalScreen[QuizResult | None]):
    CSS_PATH = "quiz.tcss"
    # Control keys, not letters: a typed answer's input has the focus and takes every letter.
    BINDINGS = [
        Binding("ctrl+r", "settle('revealed')", "Reveal answer", id="quiz-reveal", priority=True),
        Binding("ctrl+n", "settle('skipped')", "Skip question", id="quiz-skip", priority=True),
        Binding("escape", "skip", "Not now"),
    ]
    AUTO_FOCUS = "#choices, #typed"

    def __init__(self, prompt: str, choices: list[str], checker: Callable[[str], QuizResult], *,
                 step_title: str = "", settle: Callable[[str], QuizResult] | None = None) -> None:
        super().__init__()
        self.prompt = prompt
        self.choices = choices
        self.checker = checker
        self.settle = settle  # given (--present): the teacher may reveal or skip
        self.step_title = step_title
        self.result: QuizResult | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="quiz"):
            yield Label(Content.from_markup("[b]Predict[/b] [$text-muted]before the step runs[/]"), id="quiz-kicker")
            if self.step_title:
                yield Label(Content(self.step_title), id="quiz-step")
            yield Static(inline(self.prompt), id="quiz-prompt")
            if self.choices:
                yield OptionList(*[Option(inline(c), id=f"choice-{i}") for i, c in enumerate(self.choices)],
                                 id="choices")
                yield Static(id="verdict")
                yield Label(Content.from_markup("[$text-muted]↑/↓ to choose, Enter to answer, Escape: not now[/]"),
                            id="quiz-help")
            else:
                yield Input(placeholder="type your answer (a reply code, a state...) and press Enter", id="typed")
                yield Static(id="verdict")
                yield Label(Content.from_markup("[$text-muted]Enter to answer, Escape: not now[/]"), id="quiz-help")
            yield Button("Continue", id="continue", variant="primary")
        if self.settle is not None:
            yield Footer()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "settle":
            if self.settle is None:
                return False
            return None if self.result is not None else True  # greyed once the question is settled
        return True

    def action_settle(self, outcome: str) -> None:
        if self.settle is None or self.result is not None:
            return
        result = self.settle(outcome)
        if outcome == "skipped":
            self.dismiss(result)
            return
        self.result = result
        self._settled(Content.from_markup("[$accent b]The answer:[/] [b]$answer[/b]. ", answer=result.expected)
                      + inline(result.why), right=True)

    @on(OptionList.OptionSelected, "#choices")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        index = int((event.option.id or "choice-0").removeprefix("choice-"))
        self._submit(self.choices[index])

    @on(Input.Submitted, "#typed")
    def _typed(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self._submit(event.value)

    def _submit(self, given: str) -> None:
        if self.result is not None:
            self.dismiss(self.result)
            return
        self.result = self.checker(given)
        r = self.result
        if r.correct:
            text = Content.from_markup("[$success b]✓ Right.[/] ") + inline(r.why)
        else:
            text = Content.from_markup("[$error b]✗ Not quite:[/] you said [b]$given[/b], the answer is "
                                       "[b]$answer[/b]. ", given=r.given, answer=r.expected) + inline(r.why)
        self._settled(text, right=r.correct)

    def _settled(self, text: Content, *, right: bool) -> None:
        self.query_one("#verdict", Static).update(text)
        self.add_class("-answered")
        self.set_class(right, "-right")
        for widget in self.query("#choices, #typed"):
            widget.disabled = True
        self.query_one("#quiz-help", Label).update(Content.from_markup("[$text-muted]Enter to see the step[/]"))
        self.query_one("#continue", Button).focus()
        self.refresh_bindings()

    @on(Button.Pressed, "#continue")
    def _continue(self) -> None:
        self.dismiss(self.result)

    def action_skip(self) -> None:
        self.dismiss(self.result)
