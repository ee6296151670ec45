"""The lesson picker: lessons by topic in teaching order, with level, minutes and progress.

Typing filters the list; ↑/↓ move; Enter opens. Everything works from the
keyboard alone; the mouse works too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.events import Resize
from textual.screen import Screen
from textual.widgets import Footer, Input, OptionList, Static
from textual.widgets.option_list import Option

from simulator.lesson.progress import ProgressStore
from simulator.replay.text import plural
from simulator.tui.messages import LessonChosen, SandboxChosen
from simulator.tui.widgets.markdown import block, is_dark
from simulator.tui.widgets.palette import palette

if TYPE_CHECKING:
    from simulator.lesson.library import Entry, Library


class PickerScreen(Screen):
    CSS_PATH = "picker.tcss"
    AUTO_FOCUS = "#filter"
    BINDINGS = [
        Binding("down", "move(1)", "Down", show=False, priority=True),
        Binding("up", "move(-1)", "Up", show=False, priority=True),
        Binding("pagedown", "move(8)", show=False, priority=True),
        Binding("pageup", "move(-8)", show=False, priority=True),
        Binding("enter", "open", "Open", priority=True),
        Binding("escape", "clear", "Clear filter"),
        Binding("f1", "help", "Help"),
    ]

    def __init__(self, library: Library | None, progress: ProgressStore | None = None, *,
                 loader: Callable[[], Library] | None = None) -> None:
        super().__init__()
        self.library = library
        self.loading_lessons = library is None and loader is not None
        self.loader = loader
        self.progress = progress
        self.shown: list[Entry] = []

    def compose(self) -> ComposeResult:
        yield Static(Content.from_markup(
            "[b]mailsim[/b]  [$text-muted]how e-mail really travels, one exchange at a time[/]"), id="banner")
        yield Input(placeholder="type to filter lessons; ↑/↓ choose, Enter opens", id="filter")
        with Horizontal(id="body"):
            yield OptionList(id="lessons")
            with VerticalScroll(id="details-box"):
                yield Static(id="details")
                yield Static(id="details-intro")
                yield Static(id="details-more")
        yield Footer()

    def on_mount(self) -> None:
        self._fill("")
        if self.loading_lessons:
            loader = self.loader
            assert loader is not None

            def work() -> None:
                library = loader()
                self.app.call_from_thread(self._loaded, library)

            self.call_after_refresh(lambda: self.run_worker(work, thread=True, name="load-lessons"))
            return
        self._warn_errors()

    def _loaded(self, library: Library) -> None:
        self.library = library
        self.loading_lessons = False
        if self.is_mounted:
            self._fill(self.query_one("#filter", Input).value)
            self._warn_errors()

    def _warn_errors(self) -> None:
        if self.library is not None and self.library.errors:
            self.notify(f"{plural(len(self.library.errors), 'content file')} failed to load; "
                        "`mailsim validate lessons scenarios` shows why.", severity="warning", timeout=6)

    def on_resize(self, event: Resize) -> None:
        self.set_class(event.size.width < 90, "-narrow")

    def on_screen_resume(self) -> None:
        if self.is_mounted:
            self._fill(self.query_one("#filter", Input).value)

    # --- the list -----------------------------------------------------------------

    def _label(self, e: Entry) -> Table:
        """A lesson's row: its mark, its title (which wraps in its own column when it must)
        and its level and minutes, kept whole in a column of their own ("intermediate
        · 15 min" never breaks over two lines)."""
        progress = self.progress.get(e.key) if (self.progress and e.kind == "lesson") else None
        styles = palette(self.app)
        mark = (Text("✓", styles["good"]) if progress and progress.done
                else Text("…", styles["warn"]) if progress and progress.started else Text(" "))
        meta = []
        if e.level:
            meta.append(e.level)
        if e.minutes:
            meta.append(f"{e.minutes} min")
        if e.kind == "scenario":
            meta.append(f"{e.steps} steps")
        if progress and progress.answered:
            meta.append(f"quiz {progress.right}/{progress.answered}")
        row = Table.grid(expand=True, padding=(0, 1))
        row.add_column(width=1, no_wrap=True)
        row.add_column(ratio=1, overflow="fold")
        row.add_column(no_wrap=True, justify="right")
        row.add_row(mark, Text(e.title), Text(" · ".join(meta), styles["muted"]))
        return row

    def _fill(self, query: str) -> None:
        lessons = self.query_one("#lessons", OptionList)
        highlighted = self._current()
        lessons.clear_options()
        self.shown = []
        options: list[Option] = []
        for topic, entries in (self.library.topics() if self.library is not None else {}).items():
            matching = [e for e in entries if e.matches(query)]
            if not matching:
                continue
            options.append(Option(Content.from_markup("[b $accent]$t[/]", t=topic), disabled=True))
            for e in matching:
                options.append(Option(self._label(e), id=f"{e.kind}:{e.key}"))
                self.shown.append(e)
        if not options and self.loading_lessons:
            options.append(Option(Content.from_markup("[$text-muted]Loading the lessons…[/]"), disabled=True))
        elif not options:
            options.append(Option(Content.from_markup("[$text-muted]Nothing matches “$q”.[/]", q=query),
                                  disabled=True))
        lessons.add_options(options)
        target = None
        if highlighted is not None:
            target = next((i for i, o in enumerate(options) if o.id == f"{highlighted.kind}:{highlighted.key}"),
                          None)
        if target is None:
            target = next((i for i, o in enumerate(options) if not o.disabled), None)
        lessons.highlighted = target
        self._details()

    def _current(self) -> Entry | None:
        lessons = self.query_one("#lessons", OptionList)
        if lessons.highlighted is None or lessons.option_count == 0:
            return None
        option = lessons.get_option_at_index(lessons.highlighted)
        return next((e for e in self.shown if f"{e.kind}:{e.key}" == option.id), None)

    def _details(self) -> None:
        e = self._current()
        details = self.query_one("#details", Static)
        intro = self.query_one("#details-intro", Static)
        more = self.query_one("#details-more", Static)
        if e is None:
            for widget in (details, intro, more):
                widget.update("")
            return
        lines = [Content.from_markup("[b]$t[/b]", t=e.title)]
        meta = [x for x in (e.topic, e.level, f"{e.minutes} min" if e.minutes else "",
                            f"{e.steps} steps" if e.steps else "",
                            plural(e.questions, "question") if e.questions else "") if x]
        lines.append(Content.from_markup("[$text-muted]$m[/]", m=" · ".join(meta)))
        if self.progress is not None and e.kind == "lesson":
            p = self.progress.get(e.key)
            if p.done:
                state = "done"
            elif p.started:
                state = f"started (reached step {p.last_step})" if p.last_step else "started"
            else:
                state = "not started"
            score = f", quiz {p.right}/{p.answered} right" if p.answered else ""
            lines.append(Content.from_markup("[$text-success]Progress: $s$q[/]", s=state, q=score))
        details.update(Content("\n").join(lines))
        # The description and the objectives are the lesson's Markdown: rendered, not shown raw.
        text = e.intro.strip()
        if e.objectives:
            text += "\n\n**You will learn**\n\n" + "\n".join(f"- {' '.join(o.split())}" for o in e.objectives)
        intro.update(block(text, dark=is_dark(self.app)) if text.strip() else "")
        intro.display = bool(text.strip())
        more.update(Content.from_markup("[$text-muted]$r[/]", r=", ".join(e.rfcs)) if e.rfcs else "")
        more.display = bool(e.rfcs)

    # --- input ----------------------------------------------------------------------

    @on(Input.Changed, "#filter")
    def _filter(self, event: Input.Changed) -> None:
        self._fill(event.value)

    @on(OptionList.OptionHighlighted, "#lessons")
    def _highlighted(self) -> None:
        self._details()

    @on(OptionList.OptionSelected, "#lessons")
    def _selected(self) -> None:
        self.action_open()

    def action_move(self, delta: int) -> None:
        lessons = self.query_one("#lessons", OptionList)
        if lessons.option_count == 0:
            return
        index = lessons.highlighted if lessons.highlighted is not None else -1
        step = 1 if delta > 0 else -1
        remaining = abs(delta)
        target = index
        i = index
        while remaining:
            i += step
            if not 0 <= i < lessons.option_count:
                break
            if not lessons.get_option_at_index(i).disabled:
                target = i
                remaining -= 1
        if target != index and target >= 0:
            lessons.highlighted = target

    def action_open(self) -> None:
        e = self._current()
        if e is None:
            return
        if e.kind == "sandbox":
            self.post_message(SandboxChosen(e.key))
        elif e.path is not None:
            self.post_message(LessonChosen(e.path, e.key if e.kind == "lesson" else ""))

    def action_clear(self) -> None:
        self.query_one("#filter", Input).value = ""

    def action_help(self) -> None:
        from simulator.tui.screens.modals import HelpScreen

        self.app.push_screen(HelpScreen())
