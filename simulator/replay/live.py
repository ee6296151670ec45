"""A live trace cut into steps: one step per thing a real client did.

``mailsim serve --live`` shows real clients' sessions as they happen, in the
lesson screen's panes. A lesson's trace has its steps from the scenario; a
live world's trace has none, so :class:`LiveSteps` makes them as the events
come: a step begins where a real client acts, and holds what the world did
in answer (the replies, the TLS records, a relay to the MX, a delivery),
until the client acts again:

* the client opens a connection (``ConnectionOpened`` from the client host);
* the client's bytes reach the server after the server last spoke (a
  ``BytesSent`` from the client with plaintext: a command line, a message, a
  TLS record that carried them; a message that arrives in several reads is
  one step, as are commands pipelined before the first reply; handshake
  records carry no plaintext and stay in the step of the STARTTLS that asked
  for them);
* the client closes a connection.

The steps are :class:`~simulator.trace.StepStarted` events in a trace of
its own (the events are copied in, stamped anew, with their virtual times),
so every face reads it as it reads a scenario's.
"""

from __future__ import annotations

from collections.abc import Iterable

from simulator.replay.text import clip, split_lines
from simulator.trace import (
    C2S,
    BytesSent,
    ConnectionClosed,
    ConnectionOpened,
    Event,
    Recorder,
    StepStarted,
    Trace,
)

TITLE_WIDTH = 60  # characters of a client's line in a step title


class LiveSteps:
    """Events of a live world in, a trace with a step per client action out (:attr:`trace`).

    ``client`` is the virtual host the real clients appear as. ``intro`` is the
    first step's narration (what is listening, how to connect), whose events
    are the world's own before anyone connected (``setup``).
    """

    def __init__(self, client: str, *, title: str, intro: str, setup: Iterable[Event] = ()) -> None:
        self.client = client
        self._t = 0.0
        self.trace = Trace(meta={"title": title, "live": True})
        self._recorder = Recorder(lambda: self._t, self.trace)
        self._conns: set[str] = set()  # the client's connections
        self._answered: set[str] = set()  # ... on which the server spoke since the client last sent
        self.steps = 0
        self._recorder.record(StepStarted(step_id="listening", title="Listening for real clients",
                                          explain=intro))
        for event in setup:
            self.feed(event)

    def feed(self, event: Event) -> bool:
        """Copy ``event`` in; True if it began a new step."""
        self._t = max(self._t, event.t)
        title = self._begins(event)
        if title:
            self.steps += 1
            self._recorder.record(StepStarted(step_id=f"live-{self.steps}", title=title))
        self._recorder.record(event)
        return bool(title)

    def _begins(self, event: Event) -> str:
        """The title of the step ``event`` begins ("" if it belongs to the current one)."""
        if isinstance(event, ConnectionOpened):
            if event.client_host != self.client:
                return ""
            self._conns.add(event.conn)
            self._answered.add(event.conn)
            return f"{event.conn}: {self.client} connects to {event.server_host}:{event.port} ({event.service})"
        if isinstance(event, BytesSent):
            if event.conn not in self._conns or not event.plaintext:
                return ""
            if event.direction != C2S:
                self._answered.add(event.conn)
                return ""
            if event.conn not in self._answered:  # more of what the client was sending: the same step
                return ""
            self._answered.discard(event.conn)
            lines = split_lines(event.plaintext)
            first = clip(lines[0] if lines else "", TITLE_WIDTH)
            more = f" (+{len(lines) - 1} lines, {len(event.plaintext)} bytes)" if len(lines) > 1 else ""
            return f"{event.conn} C: {first}{more}"
        if isinstance(event, ConnectionClosed) and event.conn in self._conns:
            self._conns.discard(event.conn)
            return f"{event.conn}: closed by the {event.by}" if event.by == "client" else ""
        return ""
