"""Live mode (``mailsim serve --live``): real clients' sessions as they happen, in the lesson panes.

The screen is the lesson screen over a trace that grows. Its
:class:`LiveSource` (``mailsim serve``'s bridge, composed by the CLI: the
faces do not import each other) is started in the app's own event loop, so
the sockets, the virtual world and the widgets share one loop and one
thread; its trace listener hands each event to this screen, which cuts
the events into steps (:class:`simulator.replay.live.LiveSteps`: one per
thing a client did) and, a moment later, reads the grown trace into a new
:class:`~simulator.lesson.player.Player` (the widgets read the trace through
it, as in a lesson). The view follows the newest step unless the teacher
has stepped back; End follows again.

``s`` saves the session so far as a scenario file (``--save FILE`` names
it; else ``live-session-<time>.yaml`` in the current folder). Escape (or
ctrl+q) stops the servers: open sessions get their 421 first.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from textual.binding import Binding

from simulator.lesson.player import Player
from simulator.replay.live import LiveSteps
from simulator.trace import Event, Trace
from simulator.tui.screens.lesson import LessonScreen

CATCH_UP = 0.15  # seconds between an event and the view that shows it (events in between come along)
# Reading the grown trace takes longer as it grows (about 0.1 s for 14,000 events on a slow core):
# the next catch-up waits at least this many times as long as the last took, so the keys stay quick.
CATCH_UP_SHARE = 3


class LiveSource(Protocol):
    """What the screen needs of a live server (``simulator.serve.LiveSource``)."""

    client: str
    title: str

    def subscribe(self, listener: Callable[[Event], None]) -> None: ...
    def setup_events(self) -> list[Event]: ...
    def intro(self) -> str: ...
    def dns_records(self) -> list[tuple[str, str, str]]: ...
    async def start(self) -> None: ...
    async def aclose(self) -> None: ...
    def save(self, path: Path) -> int: ...


def default_save_path(now: datetime | None = None) -> Path:
    """Where ``s`` saves when no ``--save FILE`` was given: the current folder, named by the time."""
    now = now or datetime.now(UTC)
    return Path.cwd() / f"live-session-{now:%Y%m%d-%H%M%S}.yaml"


class LiveScreen(LessonScreen):
    CSS_PATH = "lesson.tcss"
    CLIENT_NOTE = (" A real mail program is the\n client: its own code, not one\n of mailsim's machines, so only\n"
                   " the server's states show.")

    BINDINGS = [
        Binding("s", "save", "Save", id="live-save"),
        Binding("escape", "leave", "Stop", id="leave"),
    ]

    def __init__(self, source: LiveSource, *, save_to: Path | None = None, present: bool = False) -> None:
        self.source = source
        self.save_to = save_to
        self.steps = LiveSteps(source.client, title=source.title, intro="Starting the servers…")
        self._pending: list[Event] = []
        self._scheduled = False
        self._took = 0.0  # seconds the last catch-up took
        self.serving = False
        self._stopped = False
        source.subscribe(self._event)
        super().__init__(self._player(), title=source.title, present=present)

    def _player(self) -> Player:
        trace = Trace(events=list(self.steps.trace.events), meta=dict(self.steps.trace.meta))
        return Player(trace, dns_records=self.source.dns_records(), live=True)

    def on_mount(self) -> None:  # LessonScreen.on_mount runs too (Textual calls each class's handler)
        self.run_worker(self._serve(), name="live-serve", group="live", exit_on_error=False)

    async def _serve(self) -> None:
        try:
            await self.source.start()
        except Exception as exc:  # a port in use, a CA file that cannot be written: say so and stop
            self._stopped = True
            self.app.exit(return_code=2, message=f"mailsim serve --live: {exc}")
            return
        self.serving = True
        self.steps = LiveSteps(self.source.client, title=self.source.title, intro=self.source.intro(),
                               setup=self.source.setup_events())
        self._catch_up()

    # --- events in --------------------------------------------------------------

    def _event(self, event: Event) -> None:
        """The trace listener: called in this loop, as the world records ``event``."""
        self._pending.append(event)
        if not self._scheduled and self.is_attached:
            self._scheduled = True
            self.set_timer(max(CATCH_UP, CATCH_UP_SHARE * self._took), self._catch_up)

    def _catch_up(self) -> None:
        self._scheduled = False
        if not self.serving:
            return
        began = time.perf_counter()
        following = self.player.at_end
        index = self.player.index
        for event in self._pending:
            self.steps.feed(event)
        self._pending.clear()
        self.player = player = self._player()
        player.go(player.count - 1 if following else index)
        self.refresh_view()
        self._took = time.perf_counter() - began

    # --- keys ----------------------------------------------------------------------

    def action_save(self) -> None:
        path = self.save_to or default_save_path()
        try:
            steps = self.source.save(path)
        except OSError as exc:
            self.notify(f"Could not save {path}: {exc.strerror or exc}", severity="error", timeout=8)
            return
        self.notify(f"{steps} step{'' if steps == 1 else 's'} in {path}; replay it with mailsim run or "
                    "mailsim play", title="Saved", timeout=8)

    async def stop(self) -> None:
        """Stop the servers (open sessions get 421 first); the view stays as it is."""
        if self._stopped:
            return
        self._stopped = True
        if self.serving:
            await self.source.aclose()
            self._catch_up()
        self.serving = False

    async def action_leave(self) -> None:
        self._stop_autoplay()
        await self.stop()
        self.app.exit()

    async def on_unmount(self) -> None:  # and LessonScreen's
        await self.stop()
