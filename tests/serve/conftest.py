"""``mailsim serve`` on ephemeral 127.0.0.1 ports, in a background thread, for the interop tests.

Every wait has a timeout (:data:`WAIT`), so a broken bridge fails a test
instead of hanging it; nothing asserts how fast anything is.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import smtplib
import ssl
import threading
import time
from pathlib import Path

import pytest

from simulator.serve import LISTENERS, Bridge, serve_world
from simulator.trace import ConnectionOpened

WAIT = 10.0  # seconds any single wait may take before the test fails
HELO = "smtplib.example"


class ServedWorld:
    """A Bridge with every listener on a free port, serving from its own thread until :meth:`stop`."""

    def __init__(self, world, **options) -> None:
        self.world = world
        self.options = options
        self.lines: list[str] = []
        self.delivery_conns: set[str] = set()  # the connections deliver() made, for tests that count others
        self.error: BaseException | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    async def _main(self) -> None:
        self.loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        try:
            self.bridge = Bridge(self.world, ports={li.name: 0 for li in LISTENERS}, out=self.lines.append,
                                 **self.options)
            await self.bridge.start()
        except BaseException as exc:
            self.error = exc
            self._ready.set()
            return
        self._ready.set()
        try:
            await self._stop.wait()
        finally:
            await self.bridge.aclose()

    def start(self) -> ServedWorld:
        self._thread.start()
        assert self._ready.wait(WAIT), "the bridge did not start"
        if self.error is not None:
            raise self.error
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self.loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(WAIT)
            assert not self._thread.is_alive(), "the bridge did not stop"

    def port(self, listener: str) -> int:
        return self.bridge.ports[listener]

    def call(self, fn):
        """Run ``fn`` on the bridge's loop (the world belongs to that thread) and return its result."""
        done: concurrent.futures.Future = concurrent.futures.Future()

        def run() -> None:
            try:
                done.set_result(fn())
            except BaseException as exc:
                done.set_exception(exc)

        self.loop.call_soon_threadsafe(run)
        return done.result(timeout=WAIT)

    def wait_until(self, predicate, what: str) -> None:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            if self.call(predicate):
                return
            time.sleep(0.02)
        pytest.fail(f"timed out waiting until {what}")

    def count(self, user: str, folder: str = "INBOX") -> int:
        return self.call(lambda: self.world.mailbox_count(user, folder))

    def uids(self, user: str, folder: str = "INBOX") -> list[int]:
        def read() -> list[int]:
            return [m.uid for m in self.world.mailhost_for(user).store.folder(user, folder).messages]
        return self.call(read)

    def flags(self, user: str, uid: int, folder: str = "INBOX") -> set[str]:
        return self.call(lambda: set(self.world.mailhost_for(user).store.folder(user, folder).by_uid(uid).flags))

    def notes(self) -> list[str]:
        from simulator.trace import Note

        return self.call(lambda: [e.text for e in self.world.trace.of_type(Note)])

    def deliver(self, subject: str, to: str = "bob@example.net", body: str = "Hello from smtplib.") -> None:
        """Alice's mail client hands a message to submission (2587), which signs and relays it at once.

        Not straight to the MX: mail From alice@example.org from anywhere but example.org's
        server fails SPF and carries no DKIM signature, so example.org's p=reject refuses it
        (RFC 9989), as it should.
        """
        before = self.count(to)
        opened = self.call(lambda: {e.conn for e in self.world.trace.of_type(ConnectionOpened)})
        data = (f"From: Alice <alice@example.org>\r\nTo: {to}\r\nSubject: {subject}\r\n"
                f"Message-ID: <{abs(hash(subject))}@example.org>\r\n\r\n{body}\r\n").encode()
        with smtplib.SMTP("127.0.0.1", self.port("submission"), local_hostname=HELO, timeout=WAIT) as client:
            # Submission requires AUTH (RFC 6409 4.3), offered over TLS (RFC 4954 4).
            client.starttls(context=ssl.create_default_context(cafile=str(self.bridge.ca_out)))
            client.login("alice@example.org", "wonderland")
            assert client.sendmail("alice@example.org", [to], data) == {}
        self.wait_until(lambda: self.world.mailbox_count(to) == before + 1, f"{to} has {subject!r}")
        self.delivery_conns |= self.call(
            lambda: {e.conn for e in self.world.trace.of_type(ConnectionOpened)}) - opened


@pytest.fixture
def served(tmp_path: Path):
    """``served(spec=None, **bridge_options)`` starts mailsim serve (CA certificate in ``tmp_path/ca.pem``)."""
    started: list[ServedWorld] = []

    def start(spec=None, **options) -> ServedWorld:
        options.setdefault("ca_out", tmp_path / "ca.pem")
        sw = ServedWorld(serve_world(spec), **options)
        started.append(sw)
        return sw.start()

    yield start
    for sw in started:
        sw.stop()
