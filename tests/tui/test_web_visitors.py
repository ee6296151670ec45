"""``mailsim web``: each browser visitor is a process of its own, with its own progress.

textual-serve starts the app command once per websocket; the virtual world,
the sandbox and the mailboxes live in that process's memory. The one thing on
disk, lesson progress, is kept per visit (``--visitor``). Every wait is
bounded; nothing asserts how fast anything is.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp

from simulator.cli import visitor_data_dir
from simulator.lesson.progress import ENV_DATA_DIR, ProgressStore

ROOT = Path(__file__).resolve().parents[2]
WAIT = 60.0
HEADER = b"how e-mail really travels"  # the picker's first frame


def test_each_visit_keeps_its_progress_apart(monkeypatch) -> None:
    monkeypatch.delenv(ENV_DATA_DIR, raising=False)
    first = visitor_data_dir()
    ProgressStore().record_answer("smtp-basics", "ehlo", True)
    second = visitor_data_dir()
    assert first != second and os.environ[ENV_DATA_DIR] == str(second)
    assert not ProgressStore().get("smtp-basics").answers  # the second visitor sees none of the first's
    assert ProgressStore(first / "progress.json").get("smtp-basics").answers == {"ehlo": True}


def _children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry))
    return out


def _app_processes(server: int) -> list[int]:
    """The visitors' app processes under the server (through the shell textual-serve may start)."""
    found, todo = [], _children(server)
    while todo:
        pid = todo.pop()
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"simulator.cli" in cmdline and b"--visitor" in cmdline:
            found.append(pid)
        else:
            todo += _children(pid)
    return found


async def _visit(url: str, seen: asyncio.Event, done: asyncio.Event) -> bytes:
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
        data = b""
        while HEADER not in data:
            msg = await ws.receive(timeout=WAIT)
            assert msg.type == aiohttp.WSMsgType.BINARY, msg
            data = data[-len(HEADER):] + msg.data
        seen.set()
        await asyncio.wait_for(done.wait(), WAIT)
        return data


def test_two_visitors_are_two_processes(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, PYTHONPATH=str(ROOT), MAILSIM_DATA_DIR=str(tmp_path / "server-data"))
    server = subprocess.Popen([sys.executable, "-m", "simulator.cli", "web", "--port", str(port)], cwd=tmp_path,
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + WAIT
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, "mailsim web did not listen"
                time.sleep(0.1)

        async def both() -> list[int]:
            url = f"ws://127.0.0.1:{port}/ws?width=80&height=24"
            seen, done = [asyncio.Event(), asyncio.Event()], asyncio.Event()
            visits = [asyncio.create_task(_visit(url, ev, done)) for ev in seen]
            for ev in seen:
                await asyncio.wait_for(ev.wait(), WAIT)
            apps = _app_processes(server.pid)  # while both visitors are connected
            done.set()
            await asyncio.gather(*visits)
            return apps

        apps = asyncio.run(both())
        assert len(apps) == 2 and len(set(apps)) == 2  # a process, and so a world, per visitor
        deadline = time.monotonic() + WAIT
        while _app_processes(server.pid):  # a closed tab ends its process
            assert time.monotonic() < deadline, "a visitor's process outlived its websocket"
            time.sleep(0.2)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def test_every_address_needs_the_address_browsers_use(capsys) -> None:
    from simulator.cli import main

    assert main(["web", "--host", "0.0.0.0", "--public"]) == 2
    err = capsys.readouterr().err
    assert "no address another computer can reach" in err and "--public-url http://NAME-OR-ADDRESS:8000" in err


def test_the_public_url_reaches_textual_serve(monkeypatch, capsys) -> None:
    import textual_serve.server

    from simulator.cli import main

    made = []

    class FakeServer:
        def __init__(self, command: str, **options) -> None:
            made.append((command, options))

        def serve(self) -> None:
            pass

    monkeypatch.setattr(textual_serve.server, "Server", FakeServer)
    url = "http://192.168.1.20:8000"
    assert main(["web", "--host", "0.0.0.0", "--public", "--public-url", url]) == 0
    command, options = made[0]
    assert options["public_url"] == url and options["host"] == "0.0.0.0" and "--visitor" in command
    assert f"Serving mailsim on {url}" in capsys.readouterr().out
