"""A live session saved as a scenario: what real clients did, as steps ``mailsim run`` replays.

``mailsim serve --live`` records what real clients send; :func:`recorded_scenario`
turns that trace into a scenario file a teacher can replay to a class:

* each connection of the real client becomes a ``connect`` step from the
  client host to the server it reached, on the virtual port it reached (a
  login through the mailbox front connects to the mail host the login
  reached: ``route``), named ``c1``, ``c2`` ... in the order they opened;
* what the client sent between two answers of the server (a command line,
  a message however many reads it came in, commands pipelined together)
  becomes a ``send`` step with those bytes: ``line`` for
  one line ending in CRLF, else ``data`` (CRLF line ends written as newlines,
  or ``raw_newlines`` with the bytes as they were when a line ended otherwise);
  STARTTLS is sent as the line it is, so the replay's virtual client makes a
  TLS handshake of its own where the real client made one;
* a ``close`` step where the client closed (a server that closed, after
  QUIT, closes in the replay by itself);
* a ``run_queue`` step where the live world queued a message (``mailsim
  serve`` relays at once; a scenario relays when told);
* each step expects the reply codes the server gave live (SMTP's codes,
  POP3's +OK / -ERR; IMAP's tagged replies are not expected, its untagged
  data depends on timing), and a last ``note`` step expects the mailboxes
  as they were when the session was saved.

So ``mailsim run`` of the saved file fails if the replay does not reproduce
the session. The replay starts at the live session's start time with its
seed, and an ``advance_clock`` step puts the replay's clock where the live
one was whenever the client waited a second or more, so a challenge-response
login (CRAM-MD5, SCRAM-SHA-256, APOP: a challenge made of the server's clock
and random numbers) gets the challenge the client answered live; should one
differ, that step's expected reply says so. Bytes that are not UTF-8 cannot
be written in YAML text and are left out of a step (its ``explain`` says how many).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import yaml

from simulator.scenario.schema import modeline
from simulator.trace import (
    C2S,
    BytesSent,
    ConnectionClosed,
    ConnectionOpened,
    Event,
    QueueChanged,
    ReplySent,
)

EXPECTED_PROTOCOLS = ("smtp", "pop3")  # whose reply codes the steps expect (see the module docstring)
CLOCK_STEP = 1.0  # seconds the live clock ran ahead of the replay's before an advance_clock step
_ONE_LINE = re.compile(r"[^\r\n]*\r\n")


@dataclass
class MailboxAtEnd:
    """A folder as it was when the session was saved."""

    user: str
    folder: str
    subjects: list[str]
    flags: list[list[str]] = field(default_factory=list)  # each message's flags, in order ([]: none known)


@dataclass
class _Conn:
    name: str
    protocol: str
    steps: list[dict[str, Any]] = field(default_factory=list)
    open: bool = True


def _payload(data: bytes) -> tuple[dict[str, Any], int]:
    """The keys of a send step that send ``data``, and how many bytes could not be written."""
    text = data.decode("utf-8", errors="replace")
    lost = text.count("\ufffd") - data.decode("utf-8", errors="ignore").count("\ufffd")
    if lost:
        text = text.replace("\ufffd", "")
    if _ONE_LINE.fullmatch(text):
        return {"line": text[:-2]}, lost
    plain = text.replace("\r\n", "")
    if "\r" not in plain and "\n" not in plain:  # every line ends with CRLF: newlines read better
        return {"data": text.replace("\r\n", "\n")}, lost
    return {"data": text, "raw_newlines": True}, lost


def recorded_scenario(events: Iterable[Event], *, client: str, world: Mapping[str, Any], scenario_id: str,
                      title: str, start: datetime | None = None,
                      route: Callable[[str, str], str] = lambda conn, host: host,
                      mailboxes: Iterable[MailboxAtEnd] = ()) -> dict[str, Any]:
    """The scenario (as the mapping its YAML holds) that replays what ``client`` did in ``events``.

    ``route(conn, server_host)`` names the host a connection is to reach in the
    replay (the host it reached live, unless that host is not in a scenario's
    world); ``world`` is the scenario's ``world`` section.
    """
    steps: list[dict[str, Any]] = []
    conns: dict[str, _Conn] = {}
    last: dict[str, Any] | None = None  # the step the replies and the queue belong to
    queued: list[str] = []  # hosts that queued mail since the client last acted

    def flush_queue() -> None:
        for host in dict.fromkeys(queued):
            steps.append({"id": f"relay-{sum(1 for s in steps if s['action'] == 'run_queue') + 1}",
                          "action": "run_queue", "host": host,
                          "explain": f"{host} relays what it queued (live, `mailsim serve` did it at once)."})
        queued.clear()

    clock = 0.0  # the replay's virtual clock, in seconds since the start

    def add(conn: _Conn, step: dict[str, Any], t: float) -> None:
        nonlocal last, clock
        flush_queue()
        if t - clock >= CLOCK_STEP:  # the replay's clock reads what the live one read
            steps.append({"id": f"wait-{sum(1 for s in steps if s['action'] == 'advance_clock') + 1}",
                          "action": "advance_clock", "seconds": round(t - clock, 3)})
            clock = t
        steps.append(step)
        conn.steps.append(step)
        last = step

    for event in events:
        if isinstance(event, ConnectionOpened):
            if event.client_host != client:
                continue
            conn = conns[event.conn] = _Conn(f"c{len(conns) + 1}", event.service)
            to = route(event.conn, event.server_host)
            via = f"; live through {event.server_host}" if to != event.server_host else ""
            add(conn, {"id": f"{conn.name}-connect", "action": "connect", "from": client, "to": to,
                       "port": event.port, "conn": conn.name,
                       "title": f"{client} connects to {to}:{event.port} ({event.service}{via})"}, event.t)
        elif isinstance(event, BytesSent):
            conn = conns.get(event.conn)
            if conn is None or event.direction != C2S or not event.plaintext:
                continue
            if last is not None and last is (conn.steps[-1] if conn.steps else None) and "_raw" in last \
                    and "_codes" not in last:
                last["_raw"] += event.plaintext  # more of what it was sending, unanswered yet: the same step
                continue
            add(conn, {"id": f"{conn.name}-{len(conn.steps)}", "action": "send", "conn": conn.name,
                       "_raw": bytes(event.plaintext)}, event.t)
        elif isinstance(event, ReplySent):
            conn = conns.get(event.conn)
            if conn is None or not conn.steps or not event.machine.endswith(".server"):
                continue
            step = conn.steps[-1]
            step.setdefault("_codes", []).append(event.code)
            step["_protocol"] = event.machine.split(".")[0]
        elif isinstance(event, QueueChanged):
            if event.action == "queued":
                queued.append(event.host)
        elif isinstance(event, ConnectionClosed):
            conn = conns.get(event.conn)
            if conn is None or not conn.open:
                continue
            conn.open = False
            if event.by == "client":
                add(conn, {"id": f"{conn.name}-close", "action": "close", "conn": conn.name}, event.t)
    flush_queue()
    for step in steps:
        raw = step.pop("_raw", None)
        if raw is not None:
            payload, lost = _payload(raw)
            step.update(payload)
            if lost:
                step["explain"] = f"{lost} byte(s) the client sent here were not UTF-8 and are left out."
        codes, protocol = step.pop("_codes", None), step.pop("_protocol", "")
        if codes and protocol in EXPECTED_PROTOCOLS:
            step["expect"] = {"replies": [int(c) if c.isdigit() else c for c in codes]}
    rows = []
    for m in mailboxes:
        row: dict[str, Any] = {"user": m.user, "folder": m.folder, "count": len(m.subjects), "subjects": m.subjects}
        if m.flags:  # exactly each message's flags, by its number in the folder
            row["flags"] = {n: sorted(f) for n, f in enumerate(m.flags, 1)}
        rows.append(row)
    end: dict[str, Any] = {"id": "mailboxes", "action": "note",
                           "text": "The mailboxes as they were when the live session was saved."}
    if rows:
        end["expect"] = {"mailbox": rows}
    steps.append(end)
    scenario: dict[str, Any] = {
        "id": scenario_id, "title": title,
        "summary": (f"A live session of `mailsim serve`, saved: what a real mail client did, replayed step by "
                    f"step from {client}. Each step expects the replies the server gave live."),
        "seed": 1,
    }
    if start is not None:
        scenario["start"] = start.isoformat()
    scenario["world"] = dict(world)
    scenario["steps"] = steps
    return scenario


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # Multi-line text as a block (readable, diffable); anything a block cannot hold
    # exactly (a CR, trailing spaces, tabs) is left to the dumper's quoting.
    if "\n" in value and "\r" not in value and not re.search(r"[ \t]\n|[ \t]$|\t", value):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


def _list(dumper: yaml.SafeDumper, value: list) -> yaml.SequenceNode:
    flow = bool(value) and all(isinstance(v, (int, float)) or (isinstance(v, str) and "\n" not in v and len(v) < 40)
                               for v in value)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=flow)


_Dumper.add_representer(str, _str)
_Dumper.add_representer(list, _list)


def dump(scenario: Mapping[str, Any], *, header: str = "") -> str:
    """The YAML of a recorded scenario, with the schema comment first (and ``header`` as comments).

    The comment points where the bundled files point (``../schema/``); ``mailsim schema scenario``
    writes that file for an editor beside any folder.
    """
    out = io.StringIO()
    out.write(modeline("scenario") + "\n")
    for line in header.splitlines():
        out.write(f"# {line}".rstrip() + "\n")
    yaml.dump(dict(scenario), out, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    return out.getvalue()
