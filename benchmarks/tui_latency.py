"""TUI latency: cold start of ``mailsim play`` and per-step render time.

Run by hand (this is not a test)::

    python benchmarks/tui_latency.py [--runs 5] [--events 10000] [--size 120x40] [--walks 5]

* **Cold start.** A fresh interpreter runs ``mailsim play`` on the longest
  bundled lesson (the one whose trace has the most events) until its first
  frame is on screen, and, in the same run, a fresh interpreter shows an empty
  Textual app's first frame. Each runs on a pseudo-terminal of ``--size``;
  the time runs from spawning the process until a marker text of the frame
  arrives on the terminal, so interpreter start-up, imports and the first
  paint are all included. ``mailsim play`` paints a first frame before it
  imports the simulator and runs the scenario (in a worker thread), so the
  script also prints when the lesson itself is on screen.
  The figure is the median of ``--runs`` runs of each, after one warm-up
  run of each (so bytecode is compiled, as in an installed package, even
  when ``PYTHONDONTWRITEBYTECODE`` is set). Goal: within 1.5x the empty app.
* **Step render.** In one app of ``--size``, every step of that lesson is
  shown forwards then backwards (``--walks`` times), and once for a synthetic trace of
  ``--events`` events; each step is timed from the key's action until the
  screen is idle again (widgets updated, layout and paint done). Questions
  are answered beforehand so the player never stops. The render figure is
  the CPU time the process spent on the step (``time.process_time``), since
  the wall time also holds Textual's frame pacing (it paints at most 60
  times a second, so an idle ``pilot.pause()`` alone takes ~20 ms of wall
  time); both are printed. Median and max in ms. Goal: median under 16 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from pty_watch import time_markers

EMPTY_APP = r"""
from textual.app import App
from textual.widgets import Static


class Empty(App):
    def compose(self):
        yield Static("hello, empty app")


Empty().run()
"""


def cold_start(kind: str, lesson: str, data_dir: str, size: tuple[int, int] = (120, 40)) -> dict[str, float]:
    """Seconds from spawning the process until each marker is on a real (pseudo) terminal."""
    env = dict(os.environ, MAILSIM_DATA_DIR=data_dir, TEXTUAL_ANIMATIONS="none", TERM="xterm-256color",
               COLORTERM="truecolor")
    # An installed package has its bytecode compiled; let the children write and use it.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if kind == "empty":
        argv = [sys.executable, "-c", EMPTY_APP]
        markers = {"first frame": b"hello, empty app"}
    else:
        argv = [sys.executable, "-m", "simulator.cli", "play", lesson]
        markers = {"first frame": b"mailsim", "lesson": b"What if"}
    return time_markers(argv, markers, size=size, label=kind, env=env)


def longest_lesson() -> tuple[str, int]:
    from simulator.lesson.catalog import load_catalog
    from simulator.scenario.runner import run_scenario

    best = ("smtp-basics", 0)
    for entry in load_catalog().entries:
        n = len(run_scenario(entry.scenario).trace)
        if n > best[1]:
            best = (str(entry.path), n)
    return best


async def step_latencies(player, size: tuple[int, int], walks: int = 1) -> tuple[list[float], list[float], float]:
    """Per step: CPU ms from the action until the app is idle again, and wall ms; idle baseline."""
    from simulator.lesson.progress import ProgressStore
    from simulator.tui.app import create_app

    for i in range(player.count):
        ask = player.ask_at(i)
        if ask is not None:
            player.answer(i, ask.answer)
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(mode="player", player=player, progress=ProgressStore(Path(tmp) / "p.json"),
                         theme="textual-dark")
        cpu: list[float] = []
        wall: list[float] = []
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            screen = app.screen
            idle = []
            for _ in range(20):
                c = time.process_time()
                await pilot.pause()
                idle.append((time.process_time() - c) * 1000)
            for target in (["next"] * (player.count - 1) + ["back"] * (player.count - 1)) * walks:
                t, c = time.perf_counter(), time.process_time()
                screen.go(target)
                await pilot.pause()
                cpu.append((time.process_time() - c) * 1000)
                wall.append((time.perf_counter() - t) * 1000)
    return cpu, wall, statistics.median(idle)


def fmt(times: list[float]) -> str:
    return f"median {statistics.median(times):6.2f} ms   max {max(times):6.2f} ms   ({len(times)} steps)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--size", default="120x40")
    parser.add_argument("--walks", type=int, default=5, help="walks forward and back through the lesson")
    args = parser.parse_args()
    size = tuple(int(x) for x in args.size.split("x"))

    lesson, events = longest_lesson()
    print(f"longest lesson: {lesson} ({events} events)")
    with tempfile.TemporaryDirectory() as data_dir:
        empty, play = [], []
        cold_start("empty", lesson, data_dir)  # warm-up: bytecode written, files in the page cache
        cold_start("play", lesson, data_dir)
        for _ in range(args.runs):  # interleaved, so both see the same machine state
            empty.append(cold_start("empty", lesson, data_dir, size)["first frame"])
            play.append(cold_start("play", lesson, data_dir, size))
    e = statistics.median(empty)
    first = statistics.median(x["first frame"] for x in play)
    ready = statistics.median(x["lesson"] for x in play)

    def runs(xs) -> str:
        return "(runs: " + ", ".join(f"{x * 1000:.0f}" for x in xs) + ")"

    print(f"cold start, empty Textual app, first frame : {e * 1000:7.1f} ms  {runs(empty)}")
    print(f"cold start, mailsim play, first frame      : {first * 1000:7.1f} ms  "
          f"{runs(x['first frame'] for x in play)}")
    print(f"cold start, mailsim play, lesson on screen : {ready * 1000:7.1f} ms  {runs(x['lesson'] for x in play)}")
    print(f"ratio first frame / empty app              : {first / e:.2f}x   (goal <= 1.5x)")
    print(f"ratio lesson on screen / empty app         : {ready / e:.2f}x")

    from simulator.lesson.player import Player
    from simulator.lesson.synthetic import synthetic_trace
    from simulator.tui.app import load_player

    player, _title, _id = load_player(Path(lesson))
    cpu, wall, idle = asyncio.run(step_latencies(player, size, walks=args.walks))
    name = Path(lesson).stem
    print(f"step render CPU, {name}: {fmt(cpu)}")
    print(f"step wall time,  {name}: {fmt(wall)}   (includes Textual's frame pacing)")
    t = time.perf_counter()
    synthetic = Player(synthetic_trace(args.events))
    build = (time.perf_counter() - t) * 1000
    s_cpu, s_wall, s_idle = asyncio.run(step_latencies(synthetic, size))
    print(f"step render CPU, synthetic {len(synthetic.trace)} events: {fmt(s_cpu)}"
          f"   (trace + player built in {build:.0f} ms)")
    print(f"step wall time,  synthetic {len(synthetic.trace)} events: {fmt(s_wall)}")
    print(f"harness: an idle pilot.pause() costs {idle:.2f} ms CPU (included above)")
    worst = max(statistics.median(cpu), statistics.median(s_cpu))
    print(f"goal: step render median < 16 ms: {'met' if worst < 16 else 'NOT met'} ({worst:.2f} ms CPU)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
