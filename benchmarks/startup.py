"""Start-up: loading the lesson catalogue, and a cold ``mailsim`` until the picker shows its lessons.

Run by hand (this is not a test)::

    python benchmarks/startup.py [--runs 7] [--size 120x40] [--before PATH]

Each figure is measured for three set-ups in the same run, interleaved so
all see the same machine load, and printed with the ratio to the first:

* **python**: the loader with libyaml turned off (``MAILSIM_YAML=python``),
  PyYAML's pure-Python scanner and parser, as mailsim parsed every file
  before, and an empty cache folder at every run;
* **libyaml**: the default, libyaml's parser feeding the same guarded composer
  (simulator/scenario/loader.py says how the two are kept the same), with an
  empty cache folder at every run: a first start, or the first visitor;
* **cached**: the default with the cache folder kept from the runs before
  (simulator/lesson/entry_cache.py): every later start, and every later visitor.

``--before PATH`` adds a fourth, first: another checkout of mailsim (e.g. a
``git worktree`` of an older commit), run the same way, as a baseline of
the whole change.

* **Catalogue.** A fresh interpreter imports the picker's library module,
  then times ``load_library()`` on the bundled lessons and scenarios (what
  the picker shows: every lesson with its scenario's step and question counts,
  then the scenarios no lesson uses): wall time and the CPU time of the
  process (``time.process_time``) for that call alone; the imports it
  triggers the first time (the reference checks, the protocol tables) are
  included, as they are for a visitor.
* **Cold start.** A fresh interpreter runs ``mailsim`` (the picker) on a
  pseudo-terminal of ``--size``; the time runs from spawning the process
  until the picker's first frame (its header, drawn before the lessons are
  loaded) and until a lesson title (``--marker``) is on the terminal, so
  interpreter start-up, imports and painting are all included; and the CPU
  time the process used until then (it is killed as soon as the lessons show:
  what a visitor costs the machine before the picker is usable).

Figures are medians of ``--runs`` runs after one warm-up of each set-up (so
bytecode is compiled, as in an installed package).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from pty_watch import time_markers

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = r"""
import json, time
from simulator.lesson.library import load_library
t, c = time.perf_counter(), time.process_time()
lib = load_library(folders=[])
print(json.dumps({"wall": time.perf_counter() - t, "cpu": time.process_time() - c,
                  "entries": len(lib.entries), "errors": len(lib.errors)}))
"""
FRAME_MARKER = b"how e-mail really travels"


def environment(setup: tuple[str, Path, dict[str, str]], data_dir: str) -> dict[str, str]:
    name, tree, extra = setup
    # A cache folder kept for the "cached" set-up, a new empty one at every run for the others.
    cache = os.path.join(data_dir, "cache") if name == "cached" else tempfile.mkdtemp(dir=data_dir)
    env = dict(os.environ, MAILSIM_DATA_DIR=data_dir, PYTHONPATH=str(tree), TEXTUAL_ANIMATIONS="none",
               TERM="xterm-256color", COLORTERM="truecolor", MAILSIM_CACHE_DIR=cache, **extra)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("MAILSIM_LESSONS", None)
    return env


def catalogue(setup: tuple[str, Path, dict[str, str]], data_dir: str) -> dict[str, float]:
    done = subprocess.run([sys.executable, "-c", CATALOGUE], cwd=setup[1], env=environment(setup, data_dir),
                          capture_output=True, text=True, timeout=120, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def cold_start(setup: tuple[str, Path, dict[str, str]], data_dir: str, size: tuple[int, int],
               marker: bytes) -> dict[str, float]:
    """Seconds from spawning ``mailsim`` until its first frame, and until ``marker``, are on a terminal."""
    markers = {"first frame": FRAME_MARKER, "lessons": marker}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    seen = time_markers([sys.executable, "-m", "simulator.cli"], markers, size=size, label=setup[0],
                        env=environment(setup, data_dir), cwd=setup[1])
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the app, killed once its lessons showed
    seen["cpu"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return seen


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--size", default="120x40")
    parser.add_argument("--marker", default="SMTP basics", help="text that shows the picker's lessons are drawn")
    parser.add_argument("--before", type=Path, help="another mailsim checkout to measure as the baseline")
    args = parser.parse_args()
    size = (int(args.size.split("x")[0]), int(args.size.split("x")[1]))
    setups = [("python", ROOT, {"MAILSIM_YAML": "python"}), ("libyaml", ROOT, {}), ("cached", ROOT, {})]
    if args.before is not None:
        setups.insert(0, ("before", args.before.resolve(), {}))
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at the start; {args.runs} runs each")
    cat: dict[str, list[dict[str, float]]] = {s[0]: [] for s in setups}
    cold: dict[str, list[dict[str, float]]] = {s[0]: [] for s in setups}
    with tempfile.TemporaryDirectory() as data_dir:
        for setup in setups:  # warm-up: bytecode written, files in the page cache
            catalogue(setup, data_dir)
            cold_start(setup, data_dir, size, args.marker.encode())
        for _ in range(args.runs):  # interleaved, so every set-up sees the same machine state
            for setup in setups:
                cat[setup[0]].append(catalogue(setup, data_dir))
                cold[setup[0]].append(cold_start(setup, data_dir, size, args.marker.encode()))
    print(f"load average {os.getloadavg()[0]:.2f} at the end")
    base = setups[0][0]

    def med(rows: list[dict[str, float]], key: str) -> float:
        return statistics.median(r[key] for r in rows)

    rows = [("catalogue, wall", cat, "wall"), ("catalogue, CPU", cat, "cpu"),
            ("cold start, first frame", cold, "first frame"), ("cold start, lessons on screen", cold, "lessons"),
            ("cold start, CPU until lessons", cold, "cpu")]
    print(f"{'':32}" + "".join(f"{name:>12}" for name, _, _ in setups) + f"   ratio to {base}")
    for label, table, key in rows:
        values = [med(table[name], key) for name, _, _ in setups]
        ratios = ", ".join(f"{name} {v / values[0]:.2f}x" for (name, _, _), v in zip(setups[1:], values[1:], strict=True))
        print(f"{label:32}" + "".join(f"{v * 1000:10.0f}ms" for v in values) + f"   {ratios}")
    counts = {name: (int(cat[name][0]["entries"]), int(cat[name][0]["errors"])) for name, _, _ in setups}
    print("picker entries / load errors: " + ", ".join(f"{n} {e}/{x}" for n, (e, x) in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
