"""``mailsim web`` with a class of visitors: memory per session and time to first frame.

Run by hand (this is not a test; it starts N app processes at once)::

    python benchmarks/web_visitors.py [--visitors 30] [--settle 20] [--timeout 120]

``mailsim web`` (textual-serve) is started as a child process on 127.0.0.1
(a port the kernel picks). Each visitor is a websocket client (aiohttp, as a
browser's page script is) on ``/ws?width=120&height=40``: textual-serve
starts the app command in a new process for every websocket, so each
visitor has a process (and a virtual world) of its own.

Two rounds, in the same run:

* the baseline: one visitor alone;
* ``--visitors`` visitors (30) connecting at once.

For each visitor: the time from opening the websocket to the first bytes
the app wrote (textual-serve forwards the app's output as binary messages;
these are terminal mode settings), to its first frame (the picker's header,
drawn before the lessons are loaded), and to the first frame that shows the picker's lessons
(``--marker`` text, default a lesson title, appears in the output: the
picker loads its list behind its first frame). Memory: once every visitor
has its lessons on screen and ``--settle`` seconds have passed, the
resident set (RSS, Linux ``/proc``) and the proportional set (PSS: shared
pages divided among the processes that share them, what the machine
actually spends) of each visitor's process tree, and of the textual-serve
server itself. The figures are printed beside the baseline's, as ratios.

Every wait is bounded by ``--timeout``; the server binds to 127.0.0.1 only
and is stopped by the script, which closes every visitor first.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
FRAME_MARKER = b"how e-mail really travels"  # the header of the picker's first frame (before its lessons)


@dataclass
class Visit:
    first_bytes: float | None = None  # seconds from the websocket's open to the app's first output
    first_frame: float | None = None  # ... to the first frame drawn (the picker's header)
    lessons: float | None = None  # ... to the first output showing the marker
    error: str = ""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children(pid: int) -> list[int]:
    """Every descendant of ``pid`` (from /proc: each process's parent)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        parents.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def memory_kib(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of one process in KiB; (0, 0) if it is gone."""
    rss = pss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Rss:"):
                    rss = int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss


def visitor_trees(server: int) -> list[list[int]]:
    """The process tree of each visitor: each direct child of the server and its descendants."""
    direct = [p for p in children(server) if _ppid(p) == server]
    return [[p, *children(p)] for p in direct]


def _ppid(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return -1


async def visit(result: Visit, url: str, marker: bytes, started: asyncio.Event, done: asyncio.Event,
                timeout: float, session: aiohttp.ClientSession) -> Visit:
    await started.wait()
    t0 = time.perf_counter()
    tail = b""
    try:
        async with session.ws_connect(url, timeout=aiohttp.ClientWSTimeout(ws_close=5)) as ws:
            deadline = t0 + timeout
            while result.lessons is None:
                left = deadline - time.perf_counter()
                if left <= 0:
                    result.error = "timed out"
                    break
                msg = await ws.receive(timeout=left)
                if msg.type == aiohttp.WSMsgType.BINARY:
                    now = time.perf_counter() - t0
                    if result.first_bytes is None:
                        result.first_bytes = now
                    data = tail + msg.data
                    if result.first_frame is None and FRAME_MARKER in data:
                        result.first_frame = now
                    if marker in data:
                        result.lessons = now
                    tail = data[-max(len(marker), len(FRAME_MARKER)):]
                elif msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                    result.error = f"closed ({msg.type.name})"
                    break
            await done.wait()  # hold the session open while memory is measured
    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
        result.error = result.error or f"{type(exc).__name__}: {exc}"
    return result


@dataclass
class Round:
    visits: list[Visit]
    per_visitor_rss: list[int]
    per_visitor_pss: list[int]
    server_rss: int
    total_pss: int


async def run_round(port: int, server_pid: int, n: int, args: argparse.Namespace) -> Round:
    url = f"ws://127.0.0.1:{port}/ws?width=120&height=40"
    started, done = asyncio.Event(), asyncio.Event()
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        visits = [Visit() for _ in range(n)]
        tasks = [asyncio.create_task(visit(v, url, args.marker.encode(), started, done, args.timeout, session))
                 for v in visits]
        await asyncio.sleep(0.1)
        started.set()
        # Wait until every visitor saw its lessons (or gave up), then let the processes settle.
        deadline = time.perf_counter() + args.timeout + 5
        while time.perf_counter() < deadline:
            trees = visitor_trees(server_pid)
            if len(trees) >= n:
                break
            await asyncio.sleep(0.2)
        waited = time.perf_counter()
        while time.perf_counter() - waited < args.timeout:
            await asyncio.sleep(0.5)
            if all(v.lessons is not None or v.error for v in visits):
                break
        await asyncio.sleep(args.settle)
        trees = visitor_trees(server_pid)
        rss, pss = [], []
        for tree in trees:
            mem = [memory_kib(p) for p in tree]
            rss.append(sum(m[0] for m in mem))
            pss.append(sum(m[1] for m in mem))
        server_rss = memory_kib(server_pid)[0]
        done.set()
        await asyncio.gather(*tasks)
    # The processes end when their websocket closes; wait for them (bounded) before the next round.
    deadline = time.perf_counter() + 30
    while visitor_trees(server_pid) and time.perf_counter() < deadline:
        await asyncio.sleep(0.5)
    return Round(list(visits), rss, pss, server_rss, sum(pss))


def fmt_s(values: list[float]) -> str:
    if not values:
        return "n/a"
    values = sorted(values)
    p90 = values[min(len(values) - 1, int(round(0.9 * (len(values) - 1))))]
    return f"median {statistics.median(values):5.2f} s  p90 {p90:5.2f} s  max {values[-1]:5.2f} s"


def mib(kib: float) -> str:
    return f"{kib / 1024:6.1f} MiB"


def report(name: str, r: Round) -> None:
    ok = [v for v in r.visits if not v.error and v.lessons is not None]
    print(f"\n{name}: {len(r.visits)} visitor(s), {len(ok)} saw the lessons, "
          f"{len(r.visits) - len(ok)} failed" + "".join(f"\n  failed: {v.error}" for v in r.visits if v.error))
    print(f"  first output      {fmt_s([v.first_bytes for v in r.visits if v.first_bytes is not None])}")
    print(f"  first frame       {fmt_s([v.first_frame for v in r.visits if v.first_frame is not None])}")
    print(f"  lessons on screen {fmt_s([v.lessons for v in ok])}")
    if r.per_visitor_rss:
        print(f"  per visitor: RSS median {mib(statistics.median(r.per_visitor_rss))}, "
              f"PSS median {mib(statistics.median(r.per_visitor_pss))}  ({len(r.per_visitor_rss)} processes)")
    print(f"  all visitors: PSS {mib(r.total_pss)};  textual-serve server RSS {mib(r.server_rss)}")


def ratio(a: float, b: float) -> str:
    return f"{a / b:5.2f}x" if b else "n/a"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--visitors", type=int, default=30)
    ap.add_argument("--settle", type=float, default=10.0, help="seconds to wait before measuring memory")
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds a visitor waits for its lessons")
    ap.add_argument("--marker", default="SMTP basics", help="text that shows the picker's lessons are drawn")
    args = ap.parse_args()

    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    server = subprocess.Popen([sys.executable, "-m", "simulator.cli", "web", "--port", str(port)], cwd=ROOT,
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.perf_counter() + 30
        while time.perf_counter() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        else:
            print("mailsim web did not start listening", file=sys.stderr)
            return 1
        print(f"mailsim web on 127.0.0.1:{port} (pid {server.pid}); {os.cpu_count()} CPU cores")
        base = asyncio.run(run_round(port, server.pid, 1, args))
        report("baseline", base)
        load = asyncio.run(run_round(port, server.pid, args.visitors, args))
        report(f"{args.visitors} at once", load)

        def med(values: list[float | None]) -> float:
            present = [v for v in values if v is not None]
            return statistics.median(present) if present else 0.0

        print(f"\n{args.visitors} at once against one visitor alone:")
        print(f"  first frame (median)       {ratio(med([v.first_frame for v in load.visits]), med([v.first_frame for v in base.visits]))}")
        print(f"  lessons on screen (median) {ratio(med([v.lessons for v in load.visits]), med([v.lessons for v in base.visits]))}")
        if base.per_visitor_pss and load.per_visitor_pss:
            print(f"  PSS per visitor (median)   {ratio(statistics.median(load.per_visitor_pss), statistics.median(base.per_visitor_pss))}")
            print(f"  RSS per visitor (median)   {ratio(statistics.median(load.per_visitor_rss), statistics.median(base.per_visitor_rss))}")
        return 0
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


if __name__ == "__main__":
    raise SystemExit(main())
