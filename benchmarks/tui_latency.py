"""TUI latency: cold start of ``mailsim play`` and per-step render time.

Run by hand (this is not a test)::

    python benchmarks/tui_latency.py [--runs 5] [--events 10000] [--size 120x40]

* **Cold start.** A fresh interpreter runs ``mailsim play`` on the longest
  bundled lesson (the one whose trace has the most events) until its first
  frame is on screen, and, in the same run, a fresh interpreter shows an empty
  Textual app's first frame. Both run headless through the same harness (the
  app exits from its first idle moment after the first screen is up); the time
  counts from process start, so interpreter start-up and imports are included.
  The figure is the median of ``--runs`` runs of each. Goal: within 1.5x the
  empty app.
* **Step render.** In one app of ``--size``, every step of that lesson is
  shown forwards then backwards, and the same for a synthetic trace of
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
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HARNESS = r"""
import sys, time
T0 = float(sys.argv[1])
kind = sys.argv[2]
if kind == "empty":
    from textual.app import App
    from textual.widgets import Static

    class Empty(App):
        def compose(self):
            yield Static("hello")
    app = Empty()
    ready = lambda app: True
else:
    from pathlib import Path
    from simulator.tui.launch import _resolve
    from simulator.scenario.loader import kind_of, load_lesson, load_scenario
    from simulator.tui.app import create_app
    path = _resolve(sys.argv[3])
    load_lesson(path) if kind_of(path) == "lesson" else load_scenario(path)  # what cmd_play does first
    app = create_app(mode="play", target=path)
    ready = lambda app: type(app.screen).__name__ == "LessonScreen"

async def pilot(p):
    while not ready(p.app):
        await p.pause()
    await p.pause()
    print(f"FIRST_FRAME {time.time() - T0:.6f}", flush=True)
    p.app.exit()

app.run(headless=True, size=(120, 40), auto_pilot=pilot)
"""


def cold_start(kind: str, lesson: str, data_dir: str) -> float:
    env = dict(os.environ, MAILSIM_DATA_DIR=data_dir, TEXTUAL_ANIMATIONS="none")
    t0 = time.time()
    out = subprocess.run([sys.executable, "-c", HARNESS, repr(t0), kind, lesson], capture_output=True,
                         text=True, env=env, timeout=120)
    for line in out.stdout.splitlines():
        if line.startswith("FIRST_FRAME "):
            return float(line.split()[1])
    raise RuntimeError(f"{kind}: no first frame\n{out.stdout}\n{out.stderr}")


def longest_lesson() -> tuple[str, int]:
    from simulator.lesson.catalog import load_catalog
    from simulator.scenario.runner import run_scenario

    best = ("smtp-basics", 0)
    for entry in load_catalog().entries:
        n = len(run_scenario(entry.scenario).trace)
        if n > best[1]:
            best = (str(entry.path), n)
    return best


async def step_latencies(player, size: tuple[int, int]) -> tuple[list[float], list[float], float]:
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
            for target in ["next"] * (player.count - 1) + ["back"] * (player.count - 1):
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
    args = parser.parse_args()
    size = tuple(int(x) for x in args.size.split("x"))

    lesson, events = longest_lesson()
    print(f"longest lesson: {lesson} ({events} events)")
    with tempfile.TemporaryDirectory() as data_dir:
        empty, play = [], []
        for _ in range(args.runs):  # interleaved, so both see the same machine state
            empty.append(cold_start("empty", lesson, data_dir))
            play.append(cold_start("play", lesson, data_dir))
    e, p = statistics.median(empty), statistics.median(play)
    print(f"cold start, empty Textual app : median {e * 1000:7.1f} ms  (runs: "
          + ", ".join(f"{x * 1000:.0f}" for x in empty) + ")")
    print(f"cold start, mailsim play      : median {p * 1000:7.1f} ms  (runs: "
          + ", ".join(f"{x * 1000:.0f}" for x in play) + ")")
    print(f"ratio play / empty            : {p / e:.2f}x   (goal <= 1.5x)")

    from simulator.lesson.player import Player
    from simulator.lesson.synthetic import synthetic_trace
    from simulator.tui.app import load_player

    player, _title, _id = load_player(Path(lesson))
    cpu, wall, idle = asyncio.run(step_latencies(player, size))
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
