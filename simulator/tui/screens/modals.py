"""Small modal screens: the help screen and the what-if menu."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Label, Markdown, OptionList, Static
from textual.widgets.option_list import Option

from simulator.tui.widgets.markdown import inline

HELP = """\
# Keys

| key | does |
|---|---|
| → or Space | next step (a question may come first: predict, then see) |
| ← | previous step: the world exactly as it was then |
| Home / End | first / last step |
| ↓ ↑ PgDn PgUp | scroll the narration ("more ↓" at its foot: the text goes on); Tab gives another pane the keys |
| p | autoplay on or off; **+** / **-** faster / slower |
| e | expand the step into its raw trace events |
| w | what if? fork the lesson here with a fault injected |
| n | at the end of a lesson: open the next one (on the learning path, or in the teacher's folder) |
| ctrl+r / ctrl+n | with `--present`, in a question: reveal the answer to the class / skip the question |
| [ / ] | previous / next tab; **l** switches the wire lens |
| ctrl+s | save the screen as an SVG picture |
| ? | this help |
| Escape | back to the lessons |
| ctrl+q | quit |

# What you see

- **Sequence diagram**: hosts as columns, one arrow per exchange; the current
  step is lit. Click an arrow to jump to its step.
- **Narration**: what happens and why, with the RFC sections.
- **State machines**: both ends of the connection, drawn from the very tables
  the protocol code enforces; the last transition is lit.
- **Tabs**: Transcript (`C:`/`S:` lines), Wire (what the client, the server and
  an eavesdropper see), Message (as delivered), DNS, Checks (SPF, DKIM,
  DMARC), Mailboxes, Events (the raw trace).

On a small terminal the diagram and the state machines become tabs too.
"""


class HelpScreen(ModalScreen[None]):
    CSS_PATH = "modals.tcss"
    BINDINGS = [Binding("escape,question_mark,q", "close", "Close")]

    def __init__(self, text: str = HELP) -> None:
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Markdown(self.text)
            yield Label(Content.from_markup("[$text-muted]Escape or ? closes this help[/]"))

    def action_close(self) -> None:
        self.dismiss(None)


class WhatIfScreen(ModalScreen[str | None]):
    """Pick a fault that fits this step; dismisses with its id (or None)."""

    CSS_PATH = "modals.tcss"
    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    AUTO_FOCUS = "#faults"

    def __init__(self, step_title: str, options: list[tuple[str, str, str]], why: str = "") -> None:
        super().__init__()
        self.step_title = step_title
        self.options = options  # (id, title, description)
        self.why = why  # with no options: why none fits here

    def compose(self) -> ComposeResult:
        with Vertical(id="whatif"):
            yield Label(Content.from_markup("[b]What if…[/b] [$text-muted]at[/] $s", s=self.step_title),
                        id="whatif-title")
            if self.options:
                yield OptionList(*[
                    Option(inline(title).stylize_before("bold") + "\n" + inline(desc).stylize_before("$text-muted"), id=fid)
                    for fid, title, desc in self.options], id="faults")
                yield Label(Content.from_markup(
                    "[$text-muted]Enter forks the lesson here with that fault; Escape cancels[/]"))
            else:
                yield Static(Content.from_markup("[b]No fault fits this step.[/b] ") + inline(self.why or (
                    "Try a step where a connection opens or a message is on its way.")), id="whatif-why")
                yield Label(Content.from_markup("[$text-muted]Escape closes[/]"))

    @on(OptionList.OptionSelected, "#faults")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
