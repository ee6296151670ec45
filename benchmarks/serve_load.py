"""``mailsim serve`` under a class: N clients connecting at once, beside aiosmtpd.

Run by hand (this is not a test)::

    python benchmarks/serve_load.py [--clients 200 500] [--timeout 10]

For each N, two servers are started as child processes on 127.0.0.1 (ports
the kernel picks) and loaded the same way, in the same run:

* ``mailsim serve`` with its defaults (the live log is read and thrown away,
  as a terminal would show it), clients on its SMTP listener (mx.example.net
  port 25 of the virtual world);
* aiosmtpd (the version in the venv) with a handler that keeps each message
  in a list, listening with the same backlog as mailsim (1024; aiosmtpd's own
  command line would use asyncio's 100).

N asyncio clients are created, wait at a barrier, and connect at once; each
sends one 1 KiB message to bob@example.net (EHLO, MAIL, RCPT, DATA, QUIT,
one command at a time) and waits at most ``--timeout`` seconds for each
reply, the greeting included. A client is *delivered* when the final dot
gets 250, *refused* when a reply is 4xx/5xx (mailsim's ``421 too many
connections`` past its cap), *timed out* when a reply did not come in time,
and an *error* when the connection failed. Latency is from the start of the
connect to the 250 after the dot, for delivered clients. Memory is the
server's resident set (Linux ``/proc``): at start, its peak (VmHWM) and after
the load. At the end each server is stopped and says how many messages it
holds, which must equal the delivered count (no duplicate, nothing lost).

Then ``--bombs`` clients (20) connect at once to a fresh ``mailsim serve``
and each sends one command line of ``--bomb-mib`` MiB (10) without CRLF,
then the CRLF: the script prints the replies and the server's memory at
start, at its peak and after every session closed (issue 7 item 24).

Every loop is bounded (the clients by ``--timeout``); both servers bind to
127.0.0.1 only and are stopped by the script.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
MESSAGE = (b"From: Alice <alice@example.org>\r\nTo: Bob <bob@example.net>\r\nSubject: load\r\n\r\n"
           + (b"x" * 76 + b"\r\n") * 12)  # about 1 KiB

AIOSMTPD_SERVER = r"""
import asyncio, signal, sys
from aiosmtpd.smtp import SMTP

class Keep:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.content)
        return "250 OK"

async def main():
    loop = asyncio.get_running_loop()
    handler = Keep()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    server = await loop.create_server(lambda: SMTP(handler), "127.0.0.1", 0, backlog=1024)
    print("port", server.sockets[0].getsockname()[1], flush=True)
    await stop.wait()
    server.close()
    print("messages", len(handler.messages), flush=True)

asyncio.run(main())
"""


# --- the servers ------------------------------------------------------------------


class Server:
    """A server child process: its port, its log drained by a thread, its memory from /proc."""

    def __init__(self, name: str, argv: list[str], port_pattern: str) -> None:
        self.name = name
        env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=env, cwd=ROOT)
        self.tail: list[str] = []  # the last lines, to find the message count at the end
        self.lines = 0
        self.port = 0
        found = threading.Event()

        def drain() -> None:
            assert self.proc.stdout is not None
            for raw in self.proc.stdout:
                line = raw.decode("utf-8", "replace").rstrip("\n")
                self.lines += 1
                if not self.port:
                    m = re.search(port_pattern, line)
                    if m:
                        self.port = int(m.group(1))
                        found.set()
                self.tail = [*self.tail[-40:], line]
            found.set()

        threading.Thread(target=drain, daemon=True).start()
        if not found.wait(60) or not self.port:
            self.proc.kill()
            raise SystemExit(f"{name} did not start: {self.tail}")
        time.sleep(0.3)  # let it settle before the baseline
        self.rss_start = self.memory("VmRSS")

    def memory(self, field_name: str) -> float | None:
        """``VmRSS`` / ``VmHWM`` of the child in MiB (None where /proc is missing)."""
        try:
            text = Path(f"/proc/{self.proc.pid}/status").read_text()
        except OSError:
            return None
        m = re.search(rf"^{field_name}:\s+(\d+) kB", text, re.M)
        return int(m.group(1)) / 1024 if m else None

    def stop(self, held_pattern: str) -> int | None:
        """Stop it (SIGINT for mailsim, SIGTERM for aiosmtpd) and read how many messages it holds."""
        self.proc.send_signal(signal.SIGINT if self.name.startswith("mailsim") else signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        time.sleep(0.2)
        for line in reversed(self.tail):
            m = re.search(held_pattern, line)
            if m:
                return int(m.group(1))
        return None


def start_mailsim(*options: str) -> Server:
    return Server(" ".join(["mailsim serve", *options]),
                  [sys.executable, "-m", "simulator.cli", "serve", "--submission-port", "0", "--smtp-port", "0",
                   *options],
                  r"^\s+smtp\s+127\.0\.0\.1:(\d+)\s")


def start_aiosmtpd() -> Server:
    return Server("aiosmtpd", [sys.executable, "-c", AIOSMTPD_SERVER], r"^port (\d+)$")


# --- the clients ------------------------------------------------------------------


@dataclass
class Outcome:
    delivered: int = 0
    refused: int = 0
    timed_out: int = 0
    errors: int = 0
    latencies: list[float] = field(default_factory=list)
    greeting_waits: list[float] = field(default_factory=list)
    refusals: dict[str, int] = field(default_factory=dict)


class Refused(Exception):
    pass


async def read_reply(reader: asyncio.StreamReader, timeout: float) -> str:
    """One whole reply (the last line of a multiline one); Refused on 4xx/5xx."""
    while True:
        line = (await asyncio.wait_for(reader.readline(), timeout)).decode("utf-8", "replace")
        if not line:
            raise ConnectionError("closed")
        if len(line) < 4 or line[3] != "-":
            if line[:1] in "45":
                raise Refused(line.strip())
            return line


async def one_client(port: int, start: asyncio.Event, timeout: float, out: Outcome) -> None:
    await start.wait()
    t0 = time.perf_counter()
    writer = None
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, port), timeout)
        await read_reply(reader, timeout - (time.perf_counter() - t0))  # the greeting, within the timeout
        out.greeting_waits.append(time.perf_counter() - t0)
        for command in (b"EHLO load.example", b"MAIL FROM:<alice@example.org>", b"RCPT TO:<bob@example.net>",
                        b"DATA"):
            writer.write(command + b"\r\n")
            await read_reply(reader, timeout)
        writer.write(MESSAGE + b".\r\n")
        await read_reply(reader, timeout)
        out.latencies.append(time.perf_counter() - t0)
        out.delivered += 1
        writer.write(b"QUIT\r\n")
        await asyncio.wait_for(reader.read(), timeout)
    except Refused as exc:
        out.refused += 1
        key = exc.args[0][:40]
        out.refusals[key] = out.refusals.get(key, 0) + 1
    except TimeoutError:
        out.timed_out += 1
    except (OSError, ConnectionError):
        out.errors += 1
    finally:
        if writer is not None:
            writer.close()
            try:
                await asyncio.wait_for(writer.wait_closed(), timeout)
            except (OSError, TimeoutError):
                pass


async def load(port: int, clients: int, timeout: float) -> tuple[Outcome, float]:
    out = Outcome()
    start = asyncio.Event()
    tasks = [asyncio.create_task(one_client(port, start, timeout, out)) for _ in range(clients)]
    await asyncio.sleep(0.2)  # every task waits at the barrier
    t0 = time.perf_counter()
    start.set()
    await asyncio.gather(*tasks)
    return out, time.perf_counter() - t0


# --- the report -------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def ms(value: float | None) -> str:
    return "-" if value is None else f"{value * 1000:,.0f}"


def mib(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


MAILSIM_HELD = r"bob@example\.net\s+INBOX\s+on mx\.example\.net\s+(\d+) message"
DEFAULT_CAP = 200  # mailsim serve's default --max-connections


def run(clients: int, timeout: float) -> list[list[str]]:
    servers = [(start_mailsim, MAILSIM_HELD)]
    if clients > DEFAULT_CAP:  # and with a cap that lets all of them in
        servers.append((lambda: start_mailsim("--max-connections", str(clients + 100)), MAILSIM_HELD))
    servers.append((start_aiosmtpd, r"^messages (\d+)$"))
    rows = []
    for starter, held in servers:
        server = starter()
        out, wall = asyncio.run(load(server.port, clients, timeout))
        time.sleep(0.5)
        peak, after = server.memory("VmHWM"), server.memory("VmRSS")
        kept = server.stop(held)
        rows.append([
            server.name, str(clients), str(out.delivered), str(out.refused), str(out.timed_out), str(out.errors),
            ms(percentile(out.latencies, 50)), ms(percentile(out.latencies, 99)),
            ms(max(out.greeting_waits, default=None)), f"{wall:.1f}",
            mib(server.rss_start), mib(peak), mib(after), "?" if kept is None else str(kept),
        ])
        if out.refusals:
            print(f"  {server.name}, {clients} clients, refusals: {out.refusals}", file=sys.stderr)
    return rows


async def bomb(port: int, count: int, size: int, timeout: float) -> list[str]:
    """``count`` clients at once, each one command line of ``size`` octets without CRLF, then CRLF."""
    async def one() -> str:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, port), timeout)
        try:
            await read_reply(reader, timeout)
            chunk = b"x" * (1024 * 1024)
            for _ in range(size // len(chunk)):
                writer.write(chunk)
                await writer.drain()
            writer.write(b"\r\n")
            try:
                await read_reply(reader, timeout)
            except Refused as exc:
                return exc.args[0][:3]
            return "2xx"
        finally:
            writer.close()

    return await asyncio.gather(*(one() for _ in range(count)))


def run_bombs(count: int, size_mib: int, timeout: float) -> None:
    server = start_mailsim()
    replies = asyncio.run(bomb(server.port, count, size_mib * 1024 * 1024, timeout))
    time.sleep(1.0)  # every session closed
    peak, after = server.memory("VmHWM"), server.memory("VmRSS")
    lines = server.lines
    server.stop(MAILSIM_HELD)
    print(f"\nline bombs: {count} clients at once, each a {size_mib} MiB command line without CRLF "
          f"(replies: {', '.join(sorted(set(replies)))}), against mailsim serve with its defaults:")
    print(f"  RSS start {mib(server.rss_start)} MiB, peak {mib(peak)} MiB, after every session closed "
          f"{mib(after)} MiB; {lines} log lines")


HEADER = ["server", "clients", "delivered", "refused", "timed out", "errors", "p50 ms", "p99 ms",
          "slowest greeting ms", "wall s", "RSS start MiB", "RSS peak MiB", "RSS after MiB", "messages held"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[200, 500])
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds a client waits for each reply")
    parser.add_argument("--bombs", type=int, default=20, help="line-bomb clients (0: none)")
    parser.add_argument("--bomb-mib", type=int, default=10, help="MiB of each bomb's line")
    args = parser.parse_args(argv)
    if any(n < 1 or n > 2000 for n in args.clients):
        parser.error("--clients must be between 1 and 2000")
    rows = [HEADER]
    for n in args.clients:
        rows += run(n, args.timeout)
    print("| " + " | ".join(rows[0]) + " |")
    print("|" + "|".join("---" for _ in rows[0]) + "|")
    for row in rows[1:]:
        print("| " + " | ".join(row) + " |")
    print(f"\n(each reply awaited at most {args.timeout:g} s; Python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs)")
    if args.bombs:
        run_bombs(min(args.bombs, 200), max(1, min(args.bomb_mib, 100)), args.timeout * 6)
    return 0


if __name__ == "__main__":
    sys.exit(main())
