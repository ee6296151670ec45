"""The trace as a plain-text transcript: what ``mailsim run`` prints."""

from __future__ import annotations

from collections.abc import Iterator

from simulator.trace import (
    C2S,
    BytesSent,
    ClockAdvanced,
    ConnectionClosed,
    ConnectionOpened,
    ConnectionRefused,
    DnsLookup,
    Event,
    ExpectationChecked,
    FaultInjected,
    MailboxChanged,
    Note,
    QueueChanged,
    StateChanged,
    StepStarted,
    Trace,
)

MAX_DATA_LINES = 12  # message text lines shown per DATA burst unless verbose


def bytes_lines(data: bytes) -> list[str]:
    """Split on CRLF only, showing a bare CR or LF as an escape."""
    text = data.decode("utf-8", "replace")
    parts = text.split("\r\n")
    if parts and parts[-1] == "":
        parts.pop()
    return [p.replace("\r", "\\r").replace("\n", "\\n") for p in parts]


def render(trace: Trace, *, verbose: bool = False) -> Iterator[str]:
    conns: dict[str, ConnectionOpened] = {}
    for event in trace.events:
        yield from _render_event(event, conns, verbose)


def render_event(event: Event, conns: dict[str, ConnectionOpened], *, verbose: bool = False) -> Iterator[str]:
    """One event's lines, for a live view; ``conns`` keeps the open connections between calls."""
    return _render_event(event, conns, verbose)


def _render_event(event: Event, conns: dict[str, ConnectionOpened], verbose: bool) -> Iterator[str]:
    t = f"[{event.t:7.1f}s]"
    if isinstance(event, StepStarted):
        yield ""
        yield f"== {event.step_id}: {event.title}" if event.title else f"== {event.step_id}"
    elif isinstance(event, ConnectionOpened):
        conns[event.conn] = event
        yield (f"{t} {event.conn}: {event.client_host} ({event.client_addr}) -> {event.server_host} "
               f"({event.server_addr}) port {event.port} [{event.service}]")
    elif isinstance(event, ConnectionClosed):
        yield f"{t} {event.conn}: closed by {event.by}" + (f" ({event.reason})" if event.reason else "")
    elif isinstance(event, ConnectionRefused):
        yield f"{t} {event.client_host} -> {event.server_host} port {event.port}: {event.reason}"
    elif isinstance(event, BytesSent):
        opened = conns.get(event.conn)
        side = "C" if event.direction == C2S else "S"
        who = ""
        if opened is not None:
            who = opened.client_host if event.direction == C2S else opened.server_host
        lines = bytes_lines(event.plaintext)
        if not verbose and len(lines) > MAX_DATA_LINES:
            hidden = len(lines) - MAX_DATA_LINES + 2
            lines = [*lines[: MAX_DATA_LINES - 2], f"... ({hidden} more lines)", lines[-1]]
        for line in lines:
            yield f"{t} {event.conn} {side}: {line}" + (f"    ({who})" if who and verbose else "")
    elif isinstance(event, DnsLookup):
        answer = ", ".join(event.answers) if event.answers else event.error
        yield f"{t} DNS {event.asker}: {event.name} {event.rtype}? -> {answer}"
    elif isinstance(event, StateChanged):
        if verbose:
            yield f"{t} {event.conn} {event.machine}: {event.from_state} -> {event.to_state} on {event.trigger}"
    elif isinstance(event, MailboxChanged):
        if event.action != "created" or verbose:
            detail = f" UID {event.uid} {event.subject!r}" if event.uid else ""
            yield f"{t} mailbox {event.user}/{event.folder} on {event.host}: {event.action}{detail}"
    elif isinstance(event, QueueChanged):
        rcpts = ", ".join(event.recipients)
        extra = f" ({event.detail})" if event.detail else ""
        retry = f", retry at {event.next_attempt:.0f}s" if event.action == "deferred" else ""
        yield f"{t} queue {event.host} {event.queue_id}: {event.action} {rcpts}{extra}{retry}"
    elif isinstance(event, ClockAdvanced):
        yield f"{t} clock advanced by {event.seconds:g}s"
    elif isinstance(event, FaultInjected):
        yield f"{t} FAULT {event.fault}: {event.detail}"
    elif isinstance(event, Note):
        yield f"{t} note: {event.text}"
    elif isinstance(event, ExpectationChecked):
        if not event.ok:
            yield f"{t} EXPECTATION FAILED ({event.what}): {event.detail}"
        elif verbose:
            yield f"{t} expectation met ({event.what}): {event.detail}"
