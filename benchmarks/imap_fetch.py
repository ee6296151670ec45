"""IMAP ``FETCH 1:* (FLAGS ENVELOPE BODYSTRUCTURE)`` over 1,000 messages: in memory and through ``mailsim serve``.

Run by hand (this is not a test)::

    python benchmarks/imap_fetch.py [--messages 1000] [--rounds 5] [--store-messages 10000]

In the same run, over the same mailbox (Bob's INBOX on mx.example.net,
filled with ``--messages`` messages: plain text, multipart/alternative and
a message with an attachment, in turn):

* **in memory**: the IMAP server machine driven directly (LOGIN, SELECT,
  then the FETCH fed to ``receive_data`` and its answer taken with
  ``data_to_send``), no connection, no trace;
* **through mailsim serve**: the bridge on a free 127.0.0.1 port in a
  background thread, imaplib logged in through the mailbox front; the time
  of ``imap.fetch("1:*", ...)``, which includes the socket, the bridge, the
  Connection's trace events (the live log is formatted and thrown away) and
  imaplib's parsing of the answer.

Each is run ``--rounds`` times (the first in-memory round also parses every
message, whose MIME tree is then cached); the script prints the median, the
best, and the ratio of the medians. Then the memory the mailbox store takes
for ``--store-messages`` messages (tracemalloc: what the store allocated
beyond the message bytes themselves, and in all).
"""

from __future__ import annotations

import argparse
import asyncio
import imaplib
import statistics
import sys
import threading
import time
import tracemalloc
from email.message import EmailMessage
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from simulator.mail.store import MailStore  # noqa: E402
from simulator.net.world import Peer  # noqa: E402
from simulator.serve import LISTENERS, Bridge, serve_world  # noqa: E402

USER, PASSWORD = "bob@example.net", "builder"
FETCH_ITEMS = "(FLAGS ENVELOPE BODYSTRUCTURE)"


def message(i: int) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Alice Example <alice{i % 7}@example.org>"
    msg["To"] = "Bob <bob@example.net>"
    msg["Cc"] = "Carol <carol@example.net>"
    msg["Subject"] = f"Message number {i} about the weekly report"
    msg["Date"] = "Wed, 02 Dec 2026 06:00:00 +0000"
    msg["Message-ID"] = f"<{i}.bench@example.org>"
    body = f"Hello Bob,\n\nthis is message {i}.\n" + "Some text of the report.\n" * 20
    msg.set_content(body)
    if i % 3 >= 1:
        msg.add_alternative(f"<p>Hello Bob,</p><p>this is message {i}.</p>", subtype="html")
    if i % 3 == 2:
        msg.add_attachment(b"x" * 2048, maintype="application", subtype="octet-stream", filename=f"data{i}.bin")
    return bytes(msg)


def filled_world(count: int):
    world = serve_world()
    mh = world.mailhost_for(USER)
    for i in range(count):
        mh.store.deliver(USER, message(i), world.net.clock.now())
    return world


def in_memory(world, rounds: int) -> tuple[list[float], int]:
    mh = world.mailhost_for(USER)
    times, size = [], 0
    for r in range(rounds):
        machine = mh.imap_server("", Peer("bench", "192.0.2.1", "bench.example", f"m{r}"))
        machine.start()
        machine.data_to_send()
        machine.receive_data(f"a LOGIN {USER} {PASSWORD}\r\nb SELECT INBOX\r\n".encode())
        machine.data_to_send()
        t0 = time.perf_counter()
        machine.receive_data(f"c FETCH 1:* {FETCH_ITEMS}\r\n".encode())
        out = machine.data_to_send()
        times.append(time.perf_counter() - t0)
        assert out.endswith(b"c OK FETCH completed\r\n"), out[-200:]
        size = len(out)
        machine.receive_data(b"d LOGOUT\r\n")
    return times, size


def through_serve(world, rounds: int) -> list[float]:
    ready, stop = threading.Event(), None
    state: dict = {}

    async def main() -> None:
        nonlocal stop
        stop = asyncio.Event()
        bridge = Bridge(world, ports={li.name: 0 for li in LISTENERS}, out=None)
        await bridge.start()
        state["bridge"], state["loop"] = bridge, asyncio.get_running_loop()
        ready.set()
        try:
            await stop.wait()
        finally:
            await bridge.aclose()

    thread = threading.Thread(target=lambda: asyncio.run(main()), daemon=True)
    thread.start()
    if not ready.wait(30):
        raise SystemExit("mailsim serve did not start")
    times = []
    try:
        for _ in range(rounds):
            with imaplib.IMAP4("127.0.0.1", state["bridge"].ports["imap"], timeout=60) as imap:
                imap.login(USER, PASSWORD)
                imap.select("INBOX", readonly=True)
                t0 = time.perf_counter()
                typ, data = imap.fetch("1:*", FETCH_ITEMS)
                times.append(time.perf_counter() - t0)
                assert typ == "OK" and len(data) >= world.mailbox_count(USER), (typ, len(data))
                imap.logout()
    finally:
        state["loop"].call_soon_threadsafe(stop.set)
        thread.join(30)
    return times


def store_memory(count: int) -> tuple[int, int, int]:
    """(bytes allocated in all, bytes of the messages themselves, peak) for ``count`` messages in one folder."""
    datas = [message(i) for i in range(count)]  # made before tracing: the store only keeps references to them
    raw = sum(len(d) for d in datas)
    tracemalloc.start()
    store = MailStore("bench.example", on_change=lambda event: None)
    store.add_user(USER)
    for i, data in enumerate(datas):
        store.deliver(USER, data, float(i))
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert store.count(USER) == count
    return current, raw, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--store-messages", type=int, default=10_000)
    args = parser.parse_args()

    world = filled_world(args.messages)
    mem, answer = in_memory(world, args.rounds)
    served = through_serve(world, args.rounds)
    med_mem, med_served = statistics.median(mem), statistics.median(served)
    print(f"FETCH 1:* {FETCH_ITEMS} over {args.messages} messages ({answer / 1024:.0f} KiB of answer), "
          f"{args.rounds} rounds:")
    print(f"  in memory (machine directly):  median {med_mem * 1000:8.1f} ms   best {min(mem) * 1000:8.1f} ms"
          f"   first {mem[0] * 1000:8.1f} ms (parses every message)")
    print(f"  through mailsim serve, imaplib: median {med_served * 1000:8.1f} ms   best {min(served) * 1000:8.1f} ms")
    print(f"  ratio serve / in memory (medians): {med_served / med_mem:.1f}x")
    current, raw, peak = store_memory(args.store_messages)
    print(f"Mailbox store with {args.store_messages} messages ({raw / 2**20:.1f} MiB of message text, "
          "kept by reference):")
    print(f"  tracemalloc: {current / 2**20:.2f} MiB allocated by the store "
          f"({current / args.store_messages:.0f} bytes a message), peak {peak / 2**20:.2f} MiB")


if __name__ == "__main__":
    main()
