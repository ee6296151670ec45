"""Start a terminal program on a pseudo-terminal and time when given texts first appear.

Shared by the cold-start benchmarks (tui_latency.py, startup.py), which run as scripts from
this folder, so a plain ``import pty_watch`` finds it.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import termios
import time
from collections.abc import Sequence


def time_markers(argv: Sequence[str], markers: dict[str, bytes], *, size: tuple[int, int], label: str,
                 env: dict[str, str] | None = None, cwd: str | os.PathLike[str] | None = None,
                 timeout: float = 60) -> dict[str, float]:
    """Seconds from spawning ``argv`` on a ``size`` (columns, rows) terminal until each marker is on it.

    The program is killed once every marker was seen (or after ``timeout``); a marker never seen
    raises RuntimeError with the tail of the output, naming ``label``.
    """
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
    t0 = time.perf_counter()
    proc = subprocess.Popen(list(argv), stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd,
                            close_fds=True, start_new_session=True)
    os.close(slave)
    seen: dict[str, float] = {}
    buffer = b""
    deadline = t0 + timeout
    try:
        while len(seen) < len(markers) and time.perf_counter() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if not ready:
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            buffer += chunk
            now = time.perf_counter()
            for name, marker in markers.items():
                if name not in seen and marker in buffer:
                    seen[name] = now - t0
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
        os.close(master)
    if len(seen) < len(markers):
        raise RuntimeError(f"{label}: markers not seen; output tail: {buffer[-500:]!r}")
    return seen
