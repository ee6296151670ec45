"""The lesson player: sequence diagram, narration, state machines and tabs over one trace.

The screen owns a :class:`~simulator.lesson.player.Player` (the plain-Python
stepper) and pushes the view of the current step down into its widgets. On a
wide terminal the diagram and the state machines sit beside the narration; on
a small one they collapse into tabs; ``--present`` keeps only the diagram and
the narration, large, for a projector.
"""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.css.query import NoMatches
from textual.events import Resize
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Static, TabbedContent, TabPane
from textual.worker import get_current_worker

from simulator.lesson.player import Player
from simulator.lesson.progress import ProgressStore
from simulator.lesson.quiz import QuizResult
from simulator.replay.text import describe_event
from simulator.tui.messages import StepRequested
from simulator.tui.widgets.message import MessageModel, MessagePane
from simulator.tui.widgets.narration import Narration
from simulator.tui.widgets.panes import ChecksPane, DiffPane, DnsPane, EventsPane, MailboxesPane
from simulator.tui.widgets.sequence import SequenceDiagram
from simulator.tui.widgets.states import StatePane
from simulator.tui.widgets.stepbar import StepBar
from simulator.tui.widgets.transcript import TranscriptView
from simulator.tui.widgets.wire import LENSES, WireModel, WirePane

SPEEDS = (4.0, 2.0, 1.0, 0.5, 0.25)  # seconds per step in autoplay
NARROW_WIDTH = 100
NARROW_HEIGHT = 32
WIDE_ONLY_HIDDEN = ("pane-diagram", "pane-states")
TAB_ORDER = ("pane-diagram", "pane-states", "pane-transcript", "pane-wire", "pane-message", "pane-dns",
             "pane-checks", "pane-mailboxes", "pane-events", "pane-diff")


PANES = {  # tab pane id -> (tab title, widget factory); built on first show
    "pane-diagram": ("Diagram", lambda: SequenceDiagram(id="diagram-tabbed")),
    "pane-states": ("States", lambda: StatePane(id="states-tabbed", fit=False)),
    "pane-transcript": ("Transcript", lambda: TranscriptView(id="transcript")),
    "pane-wire": ("Wire", lambda: WirePane(id="wire")),
    "pane-message": ("Message", lambda: MessagePane(id="message")),
    "pane-dns": ("DNS", lambda: DnsPane(id="dns")),
    "pane-checks": ("Checks", lambda: ChecksPane(id="checks")),
    "pane-mailboxes": ("Mailboxes", lambda: MailboxesPane(id="mailboxes")),
    "pane-events": ("Events", lambda: EventsPane(id="events")),
    "pane-diff": ("Diff", lambda: DiffPane(id="diff")),
}


class LessonScreen(Screen):
    CSS_PATH = "lesson.tcss"
    CLIENT_NOTE = ""  # the state pane's note where no client machine runs ("": a script typed the lines)
    AUTO_FOCUS = ""  # no pane has the keys until Tab gives it them: ↓/↑/PgDn/PgUp scroll the narration

    BINDINGS = [
        # Back before Next: the footer lists them in this order.
        Binding("left", "step('back')", "Back", id="step-back", priority=True),
        Binding("right,space", "step('next')", "Next", id="step-next", priority=True),
        Binding("home", "step('home')", "Start", id="step-home", show=False, priority=True),
        Binding("end", "step('end')", "End", id="step-end", show=False, priority=True),
        Binding("p", "autoplay", "Play", id="autoplay"),
        Binding("plus,equals_sign", "speed(1)", "Faster", id="faster", show=False),
        Binding("minus", "speed(-1)", "Slower", id="slower", show=False),
        Binding("e", "expand", "Events", id="expand"),
        Binding("w", "what_if", "What if", id="what-if"),
        Binding("n", "next_lesson", "Next lesson", id="next-lesson"),
        Binding("right_square_bracket", "tab(1)", "Next tab", show=False),
        Binding("left_square_bracket", "tab(-1)", "Prev tab", show=False),
        Binding("l", "lens", "Lens", show=False),
        # Not priority: a pane with the focus (Tab) scrolls itself; otherwise the narration scrolls.
        Binding("down", "narration('down')", "Scroll narration", show=False),
        Binding("up", "narration('up')", "Scroll narration", show=False),
        Binding("pagedown", "narration('page_down')", "Narration page down", show=False),
        Binding("pageup", "narration('page_up')", "Narration page up", show=False),
        Binding("question_mark", "help", "Help", id="help"),
        Binding("escape", "leave", "Lessons", id="leave"),
    ]

    def __init__(self, player: Player, *, title: str = "", lesson_id: str = "", present: bool = False,
                 progress: ProgressStore | None = None, branch: Any = None, diff: Any = None,
                 start: int = 0, path: Path | None = None) -> None:
        super().__init__()
        self.player = player
        self.path = path  # the lesson's file: the next lesson is looked up after it
        self.lesson_title = title or player.trace.meta.get("title", "mailsim")
        self.lesson_id = lesson_id
        self.present = present
        self.progress = progress
        self.branch = branch
        self.diff = diff
        self.start = start
        self.playing = False
        self.speed = 1  # index into SPEEDS
        self._timer: Timer | None = None
        self._narrow: bool | None = None
        self._resume_after_quiz = False
        self._previous_tab = "pane-transcript"
        self._view = None
        self._ends: tuple[bool, bool] | None = None
        self._running_note: Timer | None = None  # "Running the branch…", if a fork is slow
        self._next: Any = None  # the picker's entry of the lesson after this one, once looked up
        self._next_looked_up = False

    # --- layout -----------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(id="reload-error")  # mailsim play --watch: a save that does not load, file:line:column
        yield StepBar(id="stepbar")
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield SequenceDiagram(id="diagram")
                yield StatePane(id="states")
            yield Narration(id="narration")
        initial = "pane-diff" if self.diff is not None else "pane-transcript"
        with TabbedContent(id="tabs", initial=initial):
            for pane_id in TAB_ORDER:
                if pane_id == "pane-diff" and self.diff is None:
                    continue
                title, factory = PANES[pane_id]
                with TabPane(title, id=pane_id):
                    if pane_id == initial:  # the others are built when first shown
                        yield factory()
        yield Footer()

    @on(TabbedContent.TabActivated, "#tabs")
    async def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        pane = event.pane
        if pane.id in PANES and not pane.children:
            await pane.mount(PANES[pane.id][1]())
        self._update_pane(pane.id or "")

    def on_mount(self) -> None:
        self.set_class(self.present, "-present")
        self.set_class(self.branch is not None, "-branch")
        self.player.go(self.start)
        self._ends = (self.player.at_start, self.player.at_end)  # the footer is composed with these
        try:
            self._apply_size(self.app.size.width, self.app.size.height)
            self.refresh_view()
        except NoMatches:  # the app is closing while this screen was still being built
            return
        # The trace and its views live as long as the screen: move them out of the
        # cyclic collector's way, or a full collection every few hundred steps
        # walks them all and a step now and then takes 150 ms instead of 15.
        self.call_after_refresh(gc.freeze)

    def on_resize(self, event: Resize) -> None:
        self._fit_footer(event.size.width)
        self._apply_size(event.size.width, event.size.height)

    def _fit_footer(self, width: int) -> None:
        """On a narrow terminal the footer packs its keys and leaves out the palette entry
        (ctrl+p still opens it), so the last key, ``^q Quit``, stays on screen."""
        try:
            footer = self.query_one(Footer)
        except NoMatches:
            return
        footer.compact = width < NARROW_WIDTH
        footer.show_command_palette = width >= NARROW_WIDTH

    def _apply_size(self, width: int, height: int) -> None:
        narrow = width < NARROW_WIDTH or height < NARROW_HEIGHT
        if narrow == self._narrow:
            return
        self._narrow = narrow
        self.set_class(narrow, "-narrow")
        tabs = self.query_one("#tabs", TabbedContent)
        try:
            for pane in WIDE_ONLY_HIDDEN:
                if narrow:
                    tabs.show_tab(pane)
                else:
                    tabs.hide_tab(pane)
        except NoMatches:  # the tab strip is not composed yet: try again after this frame
            self._narrow = None
            self.call_after_refresh(lambda: self._apply_size(self.app.size.width, self.app.size.height))
            return
        if narrow and self.diff is None:
            tabs.active = "pane-diagram"
        elif not narrow and tabs.active in WIDE_ONLY_HIDDEN:
            tabs.active = "pane-transcript"
        if self._view is not None:
            self.refresh_view()

    # --- the view -----------------------------------------------------------------

    def _branch_title(self) -> str:
        fault = getattr(self.branch, "fault", None)
        return getattr(fault, "title", "") or str(fault or "")

    def refresh_view(self) -> None:
        """Push the current step into the widgets that are on screen (the others catch up when shown)."""
        p = self.player
        self._view = view = p.view()
        self.query_one(StepBar).show(
            title=self.lesson_title, index=p.index, count=p.count,
            step_title=view.step.title or view.step.step_id, playing=self.playing, speed=SPEEDS[self.speed],
            branch=self._branch_title() if self.branch else "")
        self.query_one(Narration).show(view.narration)
        if not self._narrow or self.present:
            self.query_one("#diagram", SequenceDiagram).show(
                p.hosts, p.arrows, p.upto("arrows"), p.since("arrows"), p.index)
            if not self.present:
                self.query_one("#states", StatePane).show(view.machines, question_open=p.pending_ask() is not None,
                                                          client_note=self.CLIENT_NOTE)
        if not self.present:
            self._update_pane(self.query_one("#tabs", TabbedContent).active)
        ends = (p.at_start, p.at_end)
        if ends != self._ends:  # the footer greys out Back / Next at the ends
            self._ends = ends
            self.refresh_bindings()
        if p.at_end and p.count > 1:
            self._look_up_next()

    def show_reload_error(self, errors: str) -> None:
        """``--watch``: the last save does not load; this run stays on screen until one that does."""
        self.query_one("#reload-error", Static).update(
            Content.from_markup("[b]The saved file does not load[/b] (still showing the last good one):\n")
            + Content(errors))
        self.add_class("-reload-error")

    # --- the next lesson ----------------------------------------------------------------

    def _look_up_next(self) -> None:
        """At the end of a lesson, find the one after it in the picker's order (in a thread: the
        first look-up reads every lesson), then offer it in the narration and the footer."""
        if self._next_looked_up or not self.lesson_id or self.branch is not None or self.player.lesson is None:
            return
        library = getattr(self.app, "library_after", None)
        if library is None:
            return
        self._next_looked_up = True
        self.run_worker(lambda: self._from_worker(self._offer_next, library(self.lesson_id, self.path)),
                        thread=True, group="next-lesson", name="next-lesson", exit_on_error=False)

    def _offer_next(self, entry: Any) -> None:
        if entry is None:
            return
        self._next = entry
        self.player.next_lesson = entry.title
        self.refresh_view()
        self.refresh_bindings()

    def action_next_lesson(self) -> None:
        if self._next is None or not self.player.at_end:
            return
        self._stop_autoplay()
        self.app.open_next(self, self._next.path, self._next.key)

    def _update_pane(self, pane_id: str) -> None:
        p, view = self.player, self._view
        if view is None:
            return
        i = p.index
        for widget in self.query_one("#tabs", TabbedContent).query(f"#{pane_id} > *"):
            if isinstance(widget, SequenceDiagram):
                widget.show(p.hosts, p.arrows, p.upto("arrows"), p.since("arrows"), i)
            elif isinstance(widget, StatePane):
                widget.show(view.machines, question_open=p.pending_ask() is not None, client_note=self.CLIENT_NOTE)
            elif isinstance(widget, TranscriptView):
                widget.show(p.transcript, p.upto("transcript"), p.since("transcript"))
            elif isinstance(widget, WirePane):
                wire_from, wire_upto = p.since("wire"), p.upto("wire")
                current = wire_upto > wire_from
                chunks = p.wire[wire_from:wire_upto] if current else p.wire[max(0, wire_upto - 1):wire_upto]
                widget.show(WireModel(chunks, current, p.tls[: p.upto("tls")], i, p.sniffed[: p.upto("sniffed")]))
            elif isinstance(widget, MessagePane):
                delivered, message, count, new = p.message()
                widget.show(MessageModel(delivered, message, count, new))
            elif isinstance(widget, DnsPane):
                widget.show((p.dns_records, p.dns[: p.upto("dns")], i))
            elif isinstance(widget, ChecksPane):
                widget.show((p.checks[: p.upto("checks")], i))
            elif isinstance(widget, MailboxesPane):
                widget.show((view.mail, view.queues))
            elif isinstance(widget, EventsPane):
                widget.show((f"Step {i}: {view.step.title or view.step.step_id}", _LazyLines(view.events)))
            elif isinstance(widget, DiffPane):
                widget.show((f"What if: {self._branch_title()}", self.diff))

    # --- stepping -------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "step" and parameters:
            if parameters[0] in ("back", "home") and self.player.at_start:
                return None
            if parameters[0] in ("next", "end") and self.player.at_end:
                return None
        if action == "what_if" and self.player.scenario is None:
            return None
        if action == "expand" and self.present:  # the projector layout has no tabs to expand into
            return False
        if action == "next_lesson":
            return self.player.at_end and self._next is not None
        return True

    def action_step(self, target: str) -> None:
        self.go(target)

    @on(StepRequested)
    def _step_requested(self, message: StepRequested) -> None:
        message.stop()
        self.go(message.target)

    def go(self, target: str | int) -> None:
        p = self.player
        if target == "next":
            index = p.index + 1
        elif target == "back":
            index = p.index - 1
        elif target == "home":
            index = 0
        elif target == "end":
            index = p.count - 1
        else:
            index = int(target)
        index = max(0, min(index, p.count - 1))
        if index > p.index:
            question = p.first_unanswered_before(index)
            if question is not None:
                self._ask(question)
                return
        if index == p.index:
            if self.playing and p.at_end:
                self._stop_autoplay()
            return
        p.go(index)
        self.refresh_view()
        if p.at_end:
            self._stop_autoplay()
            self._save(done=True)

    def _ask(self, index: int) -> None:
        from simulator.tui.screens.quiz import QuizScreen

        ask = self.player.ask_at(index)
        assert ask is not None
        self._resume_after_quiz = self.playing
        self._stop_autoplay()
        step = self.player.steps[index]

        def answered(result: QuizResult | None) -> None:
            if result is None:  # "not now": stay where we are
                return
            if self.progress is not None and self.lesson_id and result.outcome == "answered":
                self.progress.record_answer(self.lesson_id, step.step_id, result.correct)
            self.player.go(index)
            self.refresh_view()
            if self.player.at_end:
                self._save(done=True)
            if self._resume_after_quiz and not self.player.at_end:
                self._start_autoplay()

        self.app.push_screen(
            QuizScreen(ask.prompt, list(ask.choices), lambda given: self.player.answer(index, given),
                       step_title=f"Step {index}: {step.title or step.step_id}",
                       settle=self._settler(index) if self.present else None),
            answered)

    def _settler(self, index: int):
        """What the projector's reveal and skip keys do to step ``index``'s question."""
        def settle(outcome: str) -> QuizResult:
            return self.player.reveal(index) if outcome == "revealed" else self.player.skip(index)
        return settle

    def _save(self, *, done: bool = False) -> None:
        if self.progress is not None and self.lesson_id and self.branch is None:
            self.progress.set_position(self.lesson_id, self.player.index, done=done)

    def on_unmount(self) -> None:
        self._save()

    # --- autoplay ---------------------------------------------------------------------

    def action_autoplay(self) -> None:
        if self.playing:
            self._stop_autoplay()
        else:
            if self.player.at_end:
                self.player.home()
                self.refresh_view()
            self._start_autoplay()
        self.refresh_view()

    def _start_autoplay(self) -> None:
        self.playing = True
        self.add_class("-playing")
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_interval(SPEEDS[self.speed], self._tick)
        self.refresh_view()

    def _stop_autoplay(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if self.playing:
            self.playing = False
            self.remove_class("-playing")
            self.refresh_view()

    def _tick(self) -> None:
        if self.player.at_end:
            self._stop_autoplay()
            return
        self.go("next")

    def action_speed(self, delta: int) -> None:
        self.speed = max(0, min(len(SPEEDS) - 1, self.speed + delta))
        if self.playing:
            self._start_autoplay()
        self.notify(f"Autoplay: one step every {SPEEDS[self.speed]:g} s", timeout=1.5)
        self.refresh_view()

    # --- tabs, expand, help --------------------------------------------------------------

    def _visible_tabs(self) -> list[str]:
        tabs = self.query_one("#tabs", TabbedContent)
        hidden = () if self._narrow else WIDE_ONLY_HIDDEN
        present = {pane.id for pane in tabs.query(TabPane)}
        return [t for t in TAB_ORDER if t in present and t not in hidden]

    def action_tab(self, delta: int) -> None:
        tabs = self.query_one("#tabs", TabbedContent)
        order = self._visible_tabs()
        current = order.index(tabs.active) if tabs.active in order else 0
        tabs.active = order[(current + delta) % len(order)]

    def action_narration(self, how: str) -> None:
        """Scroll the narration from the keyboard without giving it the focus first."""
        narration = self.query_one(Narration)
        scroll = {"down": narration.scroll_down, "up": narration.scroll_up,
                  "page_down": narration.scroll_page_down, "page_up": narration.scroll_page_up}[how]
        scroll(animate=False)

    def action_expand(self) -> None:
        tabs = self.query_one("#tabs", TabbedContent)
        if tabs.active == "pane-events":
            tabs.active = self._previous_tab
        else:
            self._previous_tab = tabs.active
            tabs.active = "pane-events"

    def action_lens(self) -> None:
        tabs = self.query_one("#tabs", TabbedContent)
        if tabs.active != "pane-wire":
            tabs.active = "pane-wire"
            return
        wire = self.query_one(WirePane)
        wire.set_lens(LENSES[(LENSES.index(wire.lens) + 1) % len(LENSES)])

    def action_help(self) -> None:
        from simulator.tui.screens.modals import HelpScreen

        self.app.push_screen(HelpScreen())

    def action_leave(self) -> None:
        self._stop_autoplay()
        leave = getattr(self.app, "leave_lesson", None)
        if leave is not None:
            leave(self)
        else:
            self.app.pop_screen()

    # --- what if ---------------------------------------------------------------------------

    def action_what_if(self) -> None:
        """Offer the faults that fit this step. Finding them runs the scenario (once, then it is
        cached) and a fork runs it again: both happen in a worker thread, so the screen never
        freezes; only one what-if job runs at a time (a new one cancels the last)."""
        p = self.player
        if p.scenario is None:
            return
        index = p.scenario_index()
        if index is None:
            index = 0
        self._stop_autoplay()
        step = p.steps[p.index]
        label = f"step {p.index}: {step.title or step.step_id}"
        self.run_worker(lambda: self._find_faults(p.scenario, index, label), thread=True,
                        group="what-if", exclusive=True, name="what-if-options", exit_on_error=False)

    def _find_faults(self, scenario: Any, index: int, label: str) -> None:
        """Worker thread: the faults that fit, or why none does."""
        from simulator.scenario import whatif

        try:
            options = whatif.fault_options(scenario, index)
            why = "" if options else whatif.nothing_fits(scenario, index)
        except Exception as exc:  # a step the catalogue cannot read: say so, never crash the lesson
            self._from_worker(self.notify, f"Cannot offer faults here: {exc}", severity="error", timeout=6)
            return
        self._from_worker(self._offer_faults, index, label, options, why)

    def _from_worker(self, callback: Any, *args: Any, **kwargs: Any) -> None:
        """Hand a worker's result to the UI thread, unless the job was cancelled meanwhile."""
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(callback, *args, **kwargs)

    def _offer_faults(self, index: int, label: str, options: list, why: str) -> None:
        from simulator.tui.screens.modals import WhatIfScreen

        if not self.is_current:
            return

        def chosen(fault_id: str | None) -> None:
            if fault_id is not None:
                # Say so only if the run is slow enough to notice.
                self._running_note = self.set_timer(
                    0.4, lambda: self.notify("Running the branch…", title="What if…", timeout=3))
                self.run_worker(lambda: self._fork(index, fault_id), thread=True, group="what-if",
                                exclusive=True, name="what-if-fork", exit_on_error=False)

        self.app.push_screen(WhatIfScreen(label, [(o.id, o.title, o.description) for o in options], why),
                             chosen)

    def _stop_running_note(self) -> None:
        if self._running_note is not None:
            self._running_note.stop()
            self._running_note = None

    def _fork(self, scenario_index: int, fault_id: str) -> None:
        """Worker thread: run the branch and its diff, then show them."""
        from simulator.scenario import whatif

        p = self.player
        try:
            branch = whatif.fork(p.scenario, scenario_index, fault_id)
            diff = whatif.diff(p.trace, branch.result.trace)
            bp = Player.from_result(branch.result, lesson=p.lesson, asks=False)
        except Exception as exc:  # a fault that cannot apply here: say so, never crash the lesson
            self._from_worker(self._fork_failed, f"Could not fork here: {exc}")
            return
        self._from_worker(self._show_branch, branch, diff, bp)

    def _fork_failed(self, message: str) -> None:
        self._stop_running_note()
        self.notify(message, severity="error", timeout=6)

    def _show_branch(self, branch: Any, diff: Any, bp: Player) -> None:
        self._stop_running_note()
        if not self.is_current:
            return
        injected = next((line.step_id for line in diff.lines if line.kind == "step" and line.branch), None)
        start = next((st.index for st in bp.steps if st.step_id == injected), None)
        if start is None:
            start = diff.branch_divergent_step or self.player.index
        self.app.push_screen(LessonScreen(bp, title=self.lesson_title, present=self.present, branch=branch,
                                          diff=diff, start=min(start, bp.count - 1)))


class _LazyLines:
    """Raw event descriptions, built only when the Events tab draws them."""

    def __init__(self, events) -> None:
        self.events = events
        self._lines: list[str] | None = None

    def _get(self) -> list[str]:
        if self._lines is None:
            self._lines = [describe_event(e) for e in self.events]
        return self._lines

    def __len__(self) -> int:
        return len(self.events)

    def __getitem__(self, item):
        return self._get()[item]

    def __iter__(self):
        return iter(self._get())
