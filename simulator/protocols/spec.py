"""What a protocol tells the rest of the simulator about itself: one :class:`ProtocolSpec`.

The registry (:mod:`simulator.protocols.registry`) holds one spec per
protocol. Layers above ``protocols/`` (runner, agents, serve, the player)
ask a spec for a protocol's state tables, machine factories, reply reader,
fault stages, stream framing and services instead of importing SMTP, IMAP or
POP3 modules by name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from simulator.protocols.machine import StateTable
from simulator.protocols.stripping import OfferStripper


class ReplyLike(Protocol):
    """A complete reply or response as a test or expectation reads it."""

    @property
    def code(self) -> int | str: ...

    @property
    def enhanced(self) -> str: ...

    @property
    def text(self) -> str: ...


class ReplyReader(Protocol):
    """Turns the bytes a server sent into replies; raises RemoteProtocolError on garbage."""

    def command_sent(self, data: bytes) -> None:
        """The client wrote ``data``. Where a reply's framing depends on the command (a POP3
        +OK to RETR has a body, one to DELE has not), the reader learns it here."""
        ...

    def feed(self, data: bytes) -> None: ...

    def next_reply(self) -> Any | None: ...


class Framer(Protocol):
    """Tells a byte-stream bridge (``mailsim serve``) where the next unit ends.

    ``cut(held, state)`` returns how many of the ``held`` bytes the machine
    should get now (0: wait for more); ``state`` is the server machine's
    current state, since the unit can depend on it (an SMTP message body is
    handed over whole). The bytes :meth:`cut` returns must be taken; bytes
    taken otherwise (an overlong line's start) are reported with :meth:`taken`,
    since the framer remembers how far it searched.
    """

    def cut(self, held: bytes | bytearray, state: str) -> int: ...

    def in_message(self, state: str) -> bool:
        """``state`` takes a message's text rather than commands (the bridge's message deadline runs)."""
        ...

    def taken(self, n: int) -> None:
        """Bytes the bridge took from the front of ``held`` other than by :meth:`cut`."""
        ...


@dataclass(frozen=True, slots=True)
class ServiceInfo:
    """A service a protocol offers: its name (as in /etc/services), default port, TLS mode."""

    name: str
    port: int
    implicit_tls: bool = False
    doc: str = ""


@dataclass(frozen=True, slots=True)
class ProtocolSpec:
    name: str  # "smtp", "imap", "pop3"
    server_table: StateTable
    client_table: StateTable
    services: tuple[ServiceInfo, ...]
    fault_stages: tuple[str, ...]  # what a scenario's fault may replace the reply of
    new_server: Callable[..., Any]  # keyword arguments: see the protocol's factory
    new_client: Callable[..., Any]
    reply_reader: Callable[[], ReplyReader]
    framer: Callable[..., Framer]  # keyword argument data_chunk: message text held back at most
    make_reply: Callable[[int, str, str], Any]  # (code, text, enhanced) -> the protocol's reply
    busy_reply: Callable[[str], bytes]  # the bytes refusing a connection (too many), given the host name
    # What a STARTTLS-stripping man in the middle does to a session's plaintext (one per connection).
    offer_stripper: Callable[[], OfferStripper]
    doc: str = ""

    @property
    def tables(self) -> tuple[StateTable, ...]:
        return (self.server_table, self.client_table)

    def service(self, name: str) -> ServiceInfo | None:
        return next((s for s in self.services if s.name == name), None)

    def service_on(self, port: int) -> ServiceInfo | None:
        return next((s for s in self.services if s.port == port), None)
