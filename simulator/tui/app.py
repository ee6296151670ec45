"""The mailsim Textual app: picker, lesson player, sandbox.

Build it with :func:`create_app` (tests and the CLI both do), which fixes
everything a screenshot depends on: theme, content folders, progress file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on
from textual.app import App
from textual.binding import Binding
from textual.screen import Screen

from simulator.lesson.progress import ProgressStore
from simulator.tui.messages import LessonChosen, SandboxChosen

if TYPE_CHECKING:
    from simulator.lesson.library import Library

DEFAULT_THEME = "textual-dark"


class LoadError(Exception):
    """A lesson or scenario that cannot be opened; the message says why, file:line:column."""


def load_player(path: Path):
    """Load a lesson or a bare scenario, run it, and wrap the result in a Player."""
    player, title, lesson_id, _ = load_watched(path)
    return player, title, lesson_id


def load_watched(path: Path):
    """:func:`load_player`, and the files it read (a lesson's scenario too): what ``--watch`` watches."""
    from simulator.lesson.player import Player
    from simulator.scenario.launch import load_run
    from simulator.scenario.loader import ContentErrors

    try:
        loaded = load_run(path)
    except ContentErrors as exc:
        raise LoadError("\n".join(str(e) for e in exc.errors)) from None
    player = Player.from_result(loaded.result, lesson=loaded.lesson)
    return player, loaded.title, loaded.lesson_id, [loaded.path, loaded.scenario_path]


class MailsimApp(App):
    TITLE = "mailsim"
    CSS_PATH = "app.tcss"
    BINDINGS = [
        Binding("ctrl+s", "save_svg", "Save SVG", show=False),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    def __init__(self, *, mode: str = "picker", target: Path | None = None, present: bool = False,
                 lessons: Path | None = None, scenarios: Path | None = None,
                 progress: ProgressStore | None = None, theme: str | None = None,
                 protocol: str = "smtp", screenshot_dir: Path | None = None, player=None,
                 exit_on_load_error: bool = False, load_in_background: bool = True,
                 live=None, save_to: Path | None = None, watch: bool = False) -> None:
        super().__init__()
        self.watching = watch  # `mailsim play --watch`: reload the target when it is saved
        self._watched = None
        self._reloading = False
        self.live = live  # mode "live": a LiveSource (screens/live.py) whose servers start in this loop
        self.save_to = save_to
        self.mode = mode
        self.target = target
        self.present = present
        self.lessons_dir = lessons
        self.scenarios_dir = scenarios
        self.progress = progress if progress is not None else ProgressStore()
        self.protocol = protocol
        self.screenshot_dir = screenshot_dir
        self._library: Library | None = None
        self.player = player  # mode "player": show this Player (benchmarks, embedding)
        self.exit_on_load_error = exit_on_load_error  # `mailsim play`: print the errors and exit 2
        self.load_in_background = load_in_background  # tests load in the foreground, for stable frames
        self.theme = theme or os.environ.get("MAILSIM_THEME") or DEFAULT_THEME

    @property
    def library(self) -> Library:
        if self._library is None:
            from simulator.lesson.library import load_library
            from simulator.lesson.sandbox import available_protocols

            self._library = load_library(self.lessons_dir, self.scenarios_dir, sandboxes=available_protocols())
        return self._library

    def on_mount(self) -> None:
        if self.mode == "player" and self.player is not None:
            from simulator.tui.screens.lesson import LessonScreen

            self.push_screen(LessonScreen(self.player, present=self.present, progress=self.progress))
        elif self.mode == "play" and self.target is not None:
            if self.watching:
                self._start_watching(self.target)
            if self.load_in_background:
                self.open_in_background(self.target)
            elif not self.open_path(self.target):
                if self.watching:  # stay, show the errors, wait for a good save
                    from simulator.tui.screens.loading import WatchErrorScreen

                    self.push_screen(WatchErrorScreen(self.target, self._last_error))
                    return
                if self.exit_on_load_error:
                    return
                self.push_screen(self.picker())
        elif self.mode == "live" and self.live is not None:
            from simulator.tui.screens.live import LiveScreen

            self.push_screen(LiveScreen(self.live, save_to=self.save_to, present=self.present))
        elif self.mode == "sandbox":
            from simulator.tui.screens.sandbox import SandboxScreen

            self.push_screen(SandboxScreen(self.protocol))
        else:
            self.push_screen(self.picker())

    def picker(self) -> Screen:
        """The picker; its first frame comes before the lessons are loaded (in a thread)."""
        from simulator.tui.screens.picker import PickerScreen

        if self._library is not None or not self.load_in_background:
            return PickerScreen(self.library, self.progress)
        return PickerScreen(None, self.progress, loader=lambda: self.library)

    def open_path(self, path: Path, lesson_id: str = "", *, replace: bool = False) -> bool:
        """Open a lesson or scenario file in the player, above this screen or (``replace``) instead of it."""
        from simulator.tui.screens.lesson import LessonScreen

        try:
            player, title, found_id = load_player(path)
        except LoadError as exc:
            self._last_error = str(exc)
            if not (self.watching and path == self.target):
                self.notify(str(exc), title=f"Cannot open {path.name}", severity="error", timeout=10)
            return False
        screen = LessonScreen(player, title=title, lesson_id=lesson_id or found_id, present=self.present,
                              progress=self.progress, path=path)
        if replace:
            self.switch_screen(screen)
        else:
            self.push_screen(screen)
        return True

    def library_after(self, lesson_id: str, path: Path | None = None):
        """The picker's entry of the lesson after ``lesson_id`` (None at the end of the path or folder)."""
        return self.library.after(lesson_id, path)

    def open_next(self, screen: Screen, path: Path | None, lesson_id: str) -> None:
        """The end of a lesson's "next lesson" key: the next one takes this one's place."""
        if path is not None and screen is self.screen:
            self.open_path(path, lesson_id, replace=True)

    def open_in_background(self, path: Path) -> None:
        """Paint a first frame at once; load and run the scenario in a thread, then show it."""
        from simulator.tui.screens.loading import LoadingScreen

        self.push_screen(LoadingScreen(path.stem))

        def work() -> None:
            import simulator.tui.screens.lesson  # noqa: F401  (its imports, off the UI thread)

            try:
                loaded = load_player(path)
            except LoadError as exc:
                self.call_from_thread(self._load_failed, path, str(exc))
                return
            except Exception as exc:  # a bug, not a bad file: say so rather than "loading" for ever
                self.call_from_thread(self._load_failed, path, f"{path}: could not be opened: {exc!r}")
                return
            self.call_from_thread(self._loaded, loaded)

        # Start loading once the first frame is out: the import and the run would
        # otherwise compete with it for the interpreter.
        self.call_after_refresh(lambda: self.run_worker(work, thread=True, name="load-lesson",
                                                        exit_on_error=False))

    def _loaded(self, loaded) -> None:
        from simulator.tui.screens.lesson import LessonScreen

        player, title, lesson_id = loaded
        self.switch_screen(LessonScreen(player, title=title, lesson_id=lesson_id, present=self.present,
                                        progress=self.progress, path=self.target))

    def _load_failed(self, path: Path, errors: str) -> None:
        if self.watching and self.target is not None and path == self.target:
            from simulator.tui.screens.loading import WatchErrorScreen

            self.switch_screen(WatchErrorScreen(path, errors))
            return
        if self.exit_on_load_error:
            self.exit(return_code=2, message=errors)
            return
        self.notify(errors, title=f"Cannot open {path.name}", severity="error", timeout=10)
        self.switch_screen(self.picker())

    # --- mailsim play --watch ---------------------------------------------------------

    _last_error = ""

    def _start_watching(self, path: Path) -> None:
        from simulator.scenario.launch import load
        from simulator.scenario.loader import ContentErrors
        from simulator.tui.watch import POLL_SECONDS, Watched

        files = [path]
        try:
            files.append(load(path).scenario_path)  # a lesson's scenario is watched too
        except ContentErrors:
            pass  # a broken file: watched alone until it loads
        self._watched = Watched(files)
        self.set_interval(POLL_SECONDS, self._poll_watch, name="watch")

    def _poll_watch(self) -> None:
        if self._watched is None or self._reloading or not self._watched.changed():
            return
        self._reloading = True
        path = self.target

        def work() -> None:
            try:
                loaded = load_watched(path)
            except LoadError as exc:
                self.call_from_thread(self._reload_failed, str(exc))
                return
            except Exception as exc:  # a bug, not a bad file: say so, keep watching
                self.call_from_thread(self._reload_failed, f"{path}: could not be reloaded: {exc!r}")
                return
            self.call_from_thread(self._reloaded, loaded)

        self.run_worker(work, thread=True, name="watch-reload", group="watch", exit_on_error=False)

    def _watched_screen(self) -> Screen | None:
        """The screen a reload replaces: the played file's lesson screen (not a what-if branch),
        or the error screen shown while it could not load; None once the user went elsewhere."""
        from simulator.tui.screens.lesson import LessonScreen
        from simulator.tui.screens.loading import WatchErrorScreen

        for screen in reversed(self.screen_stack):
            if isinstance(screen, WatchErrorScreen):
                return screen
            if isinstance(screen, LessonScreen) and screen.branch is None:
                return screen if screen.path is not None and screen.path == self.target else None
        return None

    async def _reloaded(self, loaded) -> None:

        try:
            await self._replace(loaded)
        finally:
            self._reloading = False  # only now: a save during the switch is the next reload

    async def _replace(self, loaded) -> None:
        from simulator.tui.screens.lesson import LessonScreen
        from simulator.tui.watch import keep_step

        player, title, lesson_id, files = loaded
        if self._watched is not None:
            self._watched.watch(files)
        old = self._watched_screen()
        if old is None:
            return
        start = 0
        if isinstance(old, LessonScreen):
            before = old.player
            start = keep_step([s.step_id for s in before.steps], before.index, [s.step_id for s in player.steps])
            ids = {s.step_id for s in player.steps}
            player.answers.update({k: v for k, v in before.answers.items() if k in ids})
        while self.screen is not old:  # a question, the help or a what-if branch of the old run
            await self.pop_screen()
        await self.switch_screen(LessonScreen(player, title=title, lesson_id=lesson_id, present=self.present,
                                              progress=self.progress, path=self.target, start=start))
        self.notify(f"Reloaded {self.target.name}", timeout=2)

    def _reload_failed(self, errors: str) -> None:
        from simulator.tui.screens.lesson import LessonScreen
        from simulator.tui.screens.loading import WatchErrorScreen

        self._reloading = False
        if self._watched is not None and self.target is not None:
            self._watched.add([self.target])
        screen = self._watched_screen()
        if isinstance(screen, LessonScreen):
            screen.show_reload_error(errors)
        elif isinstance(screen, WatchErrorScreen):
            screen.show(errors)

    @on(LessonChosen)
    def _lesson_chosen(self, message: LessonChosen) -> None:
        self.open_path(message.path, message.lesson_id)

    @on(SandboxChosen)
    def _sandbox_chosen(self, message: SandboxChosen) -> None:
        from simulator.tui.screens.sandbox import SandboxScreen

        self.push_screen(SandboxScreen(message.protocol))

    def leave_lesson(self, screen: Screen) -> None:
        """Escape from a lesson or the sandbox: back to what is below, or to the picker."""
        from simulator.tui.screens.picker import PickerScreen

        below = self.screen_stack[-2] if len(self.screen_stack) >= 2 else None
        if getattr(screen, "branch", None) is not None or isinstance(below, PickerScreen):
            self.pop_screen()
        else:
            self.switch_screen(self.picker())

    async def action_quit(self) -> None:
        """ctrl+q: a live screen stops its servers first (open sessions get 421), then the app exits."""
        from simulator.tui.screens.live import LiveScreen

        for screen in self.screen_stack:
            if isinstance(screen, LiveScreen):
                await screen.stop()
        self.exit()

    def action_save_svg(self) -> None:
        folder = self.screenshot_dir or Path.cwd()
        try:
            path = self.save_screenshot(path=str(folder))
        except OSError as exc:
            self.notify(f"Could not save the screenshot: {exc}", severity="error")
            return
        self.notify(f"Saved {path}", title="Screenshot", timeout=4)


def create_app(**kwargs) -> MailsimApp:
    """The app, built the same way for the CLI, the browser and the tests."""
    return MailsimApp(**kwargs)
