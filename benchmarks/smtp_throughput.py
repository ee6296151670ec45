"""SMTP throughput: the in-memory path against smtplib and aiosmtpd over loopback.

Run by hand (this is not a test)::

    python benchmarks/smtp_throughput.py [--count 2000] [--repeat 3] [--no-trace]

Both sides send the same ``--count`` messages of 1 KiB to bob@example.net
over ONE connection, and the script prints each rate in messages per second
and their ratio, measured in the same run. The goal is an in-memory rate of
at least 20 times the loopback pair.

* in-memory: an :class:`SmtpClient` on mail.example.org carries all messages
  in one session to the :class:`SmtpServer` of mx.example.net port 25 through
  the world's in-memory connection; each message is delivered into the
  MailStore and the world's Recorder records every event (bytes, commands,
  replies, state changes, mailbox changes).
* loopback: :meth:`smtplib.SMTP.sendmail` repeated on one connection to an
  aiosmtpd server (a handler keeping the messages in a list) on 127.0.0.1,
  on a port the kernel picks.

``--repeat K`` keeps the best of K runs of each. ``--cpu`` times with the
process's CPU time instead of the wall clock (both paths run in this one
process, the aiosmtpd server in a thread), which keeps the load of other
programs on a shared machine out of the figures. ``--no-trace`` adds a line
for the in-memory path with a recorder that drops every event (the machines
still build them), to show what stamping and keeping the trace costs.

The server is bound to 127.0.0.1 only; every loop is bounded by ``--count``
and the script stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import smtplib
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from aiosmtpd.smtp import SMTP as AiosmtpdServer

from simulator.agents.world import build_world
from simulator.mail.message import build_message
from simulator.net.clock import DEFAULT_START
from simulator.protocols.smtp.client import OutgoingMessage, SmtpClient
from simulator.trace import Event, Recorder

MESSAGE_SIZE = 1024
SENDER = "alice@example.org"
RECIPIENT = "bob@example.net"
CLIENT_HOST = "mail.example.org"
SERVER_HOST = "mx.example.net"
GOAL = 20.0
_clock = time.perf_counter  # time.process_time with --cpu


# --- the messages -------------------------------------------------------------


def make_messages(count: int) -> list[bytes]:
    """``count`` distinct messages (own Message-ID and Subject), each exactly 1 KiB."""
    template = build_message(
        sender=SENDER, to=[RECIPIENT], subject="Benchmark message 00000000",
        body="x", date=DEFAULT_START, message_id="<00000000@example.org>",
    )
    head = template.partition(b"\r\n\r\n")[0] + b"\r\n\r\n"
    pad = MESSAGE_SIZE - len(head)
    line = b"The quick brown fox jumps over the lazy dog, again and again. 0123456789\r\n"
    template = head + (line * (pad // len(line) + 1))[: pad - 2] + b"\r\n"
    assert len(template) == MESSAGE_SIZE, len(template)
    return [template.replace(b"00000000", b"%08d" % n) for n in range(count)]


# --- in-memory: SmtpClient -> Connection -> SmtpServer -> MailStore -----------


class _DroppingRecorder(Recorder):
    """Tracing off: events are built by the machines but neither stamped nor kept."""

    def record(self, event: Event, **stamp: Any) -> Event:
        return event


def run_in_memory(messages: list[bytes], *, trace: bool = True) -> float:
    """Seconds to carry ``messages`` through one in-memory SMTP session."""
    world = build_world()
    net = world.net
    if not trace:
        net.recorder = _DroppingRecorder(net.clock.now)
    outgoing = [OutgoingMessage(SENDER, [RECIPIENT], data) for data in messages]
    events_before = len(net.trace)
    gc.collect()
    start = _clock()
    conn = net.connect(CLIENT_HOST, SERVER_HOST, 25)
    assert conn is not None
    client = SmtpClient(CLIENT_HOST, outgoing)
    conn.run_client(client)
    elapsed = _clock() - start
    delivered = sum(r.outcome == "delivered" for m in client.results for r in m.recipients)
    if delivered != len(messages) or world.mailbox_count(RECIPIENT) != len(messages):
        raise SystemExit(f"in-memory: {delivered} of {len(messages)} delivered ({client.error!r})")
    if trace and len(net.trace) - events_before < 10 * len(messages):
        raise SystemExit("in-memory: the trace holds fewer events than expected")
    return elapsed


# --- loopback: smtplib -> TCP 127.0.0.1 -> aiosmtpd ---------------------------


class _Inbox:
    """An aiosmtpd handler that keeps every message in memory."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope.content)
        return "250 2.0.0 OK"


class LoopbackServer:
    """aiosmtpd on 127.0.0.1, an ephemeral port, its event loop in a thread."""

    def __init__(self) -> None:
        self.inbox = _Inbox()
        self._loop = asyncio.new_event_loop()
        self._server = self._loop.run_until_complete(self._loop.create_server(
            lambda: AiosmtpdServer(self.inbox, hostname=SERVER_HOST), "127.0.0.1", 0))
        self.port: int = self._server.sockets[0].getsockname()[1]
        self._thread = threading.Thread(target=self._loop.run_forever, name="aiosmtpd", daemon=True)
        self._thread.start()

    def close(self) -> None:
        async def _stop() -> None:
            self._server.close()
            await self._server.wait_closed()

        asyncio.run_coroutine_threadsafe(_stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()


def run_loopback(server: LoopbackServer, messages: list[bytes]) -> float:
    """Seconds to send ``messages`` with smtplib over one loopback connection."""
    server.inbox.messages.clear()
    gc.collect()
    start = _clock()
    with smtplib.SMTP("127.0.0.1", server.port, local_hostname=CLIENT_HOST, timeout=10) as smtp:
        for data in messages:
            smtp.sendmail(SENDER, [RECIPIENT], data)
    elapsed = _clock() - start
    if len(server.inbox.messages) != len(messages):
        raise SystemExit(f"loopback: {len(server.inbox.messages)} of {len(messages)} received")
    return elapsed


# --- reporting ----------------------------------------------------------------


def best_of(repeat: int, run: Callable[[], float]) -> float:
    return min(run() for _ in range(repeat))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=2000, help="messages per run (default 2000)")
    parser.add_argument("--repeat", type=int, default=1, metavar="K", help="keep the best of K runs")
    parser.add_argument("--no-trace", action="store_true",
                        help="also time the in-memory path with a recorder that drops events")
    parser.add_argument("--cpu", action="store_true", help="time with process CPU time, not the wall clock")
    args = parser.parse_args(argv)
    global _clock
    _clock = time.process_time if args.cpu else time.perf_counter
    if not 1 <= args.count <= 1_000_000 or not 1 <= args.repeat <= 100:
        parser.error("--count must be 1..1000000 and --repeat 1..100")

    messages = make_messages(args.count)
    n = args.count
    print(f"{n} messages of {MESSAGE_SIZE} bytes over one connection, best of {args.repeat}, "
          f"Python {sys.version.split()[0]}, {'CPU time' if args.cpu else 'wall clock'}")

    memory = best_of(args.repeat, lambda: run_in_memory(messages))
    server = LoopbackServer()
    try:
        loopback = best_of(args.repeat, lambda: run_loopback(server, messages))
    finally:
        server.close()
    ratio = loopback / memory
    print(f"  in-memory (tracing on)      {n / memory:10,.0f} msg/s  ({memory * 1e6 / n:7.1f} us/msg)")
    print(f"  smtplib + aiosmtpd loopback {n / loopback:10,.0f} msg/s  ({loopback * 1e6 / n:7.1f} us/msg)")
    if args.no_trace:
        untraced = best_of(args.repeat, lambda: run_in_memory(messages, trace=False))
        print(f"  in-memory (tracing off)     {n / untraced:10,.0f} msg/s  ({untraced * 1e6 / n:7.1f} us/msg)"
              f"  tracing costs {memory / untraced - 1:.0%}")
    verdict = "meets" if ratio >= GOAL else "misses"
    print(f"  ratio in-memory / loopback  {ratio:10.1f}x  ({verdict} the {GOAL:.0f}x goal)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
