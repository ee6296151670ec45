"""Machines are data: a state table the code enforces and the TUI draws.

A :class:`StateTable` maps (state, input) to a :class:`Transition` naming the
next state and the side effect. A pair missing from the table is a protocol
error for the machine to refuse, never a silent no-op (after h11 ``_state.py``).

Every input is declared once with a named :class:`InputKind` (a command the
peer sends, a reply it gives, a timer, the peer going away, ...), so no code
has to guess from an input's spelling whether it is a command.

A row may also name where a *refused* input leads (``refused``): a command the
effect turns down (501, 550, ...) takes that branch, which is part of the
table, so an effect can never silently decline a row.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class InputKind(StrEnum):
    """What sort of thing an input of a state table is."""

    COMMAND = "command"  # a command line the peer sent (SMTP verb, IMAP command, POP3 keyword)
    DATA_END = "data end"  # the end of a message body (SMTP CRLF.CRLF)
    REPLY = "reply"  # a reply from the peer, by class (client machines)
    SEND = "send"  # the local user asked the machine to send something (client machines)
    TIMER = "timer"  # a timer the host runs fired (idle timeout)
    OPERATOR = "operator"  # the host stops the service
    LIMIT = "limit"  # a limit the machine counts was passed (too many errors)
    PEER = "peer"  # the peer closed the connection or it broke
    TLS = "tls"  # the connection finished (or failed) a TLS handshake the machine asked for
    ERROR = "error"  # the peer broke the protocol's framing (RemoteProtocolError)
    # The machine moves on by itself once a step is done, with no new input from outside:
    # POP3's UPDATE state ends the session after its reply (RFC 1939 6), a SASL
    # exchange ends in success or failure (RFC 5034 4).
    AUTOMATIC = "automatic"


@dataclass(frozen=True, slots=True)
class StateInfo:
    name: str
    doc: str
    rfc: str = ""


@dataclass(frozen=True, slots=True)
class InputInfo:
    name: str
    kind: InputKind
    doc: str = ""


@dataclass(frozen=True, slots=True)
class Transition:
    source: str
    input: str
    target: str
    effect: str
    rfc: str = ""
    refused: str = ""  # where the input leads when the effect refuses it ("" = it cannot be refused)


class StateTable:
    def __init__(
        self,
        machine: str,
        initial: str,
        states: list[StateInfo],
        transitions: list[Transition],
        inputs: list[InputInfo] | None = None,
        *,
        error: str = "",
    ) -> None:
        self.machine = machine
        self.initial = initial
        self.error = error  # the state a protocol error leads to ("" = none declared)
        self.states = {s.name: s for s in states}
        self.transitions = tuple(transitions)
        if inputs is None:
            seen: dict[str, InputInfo] = {}
            for tr in transitions:
                seen.setdefault(tr.input, InputInfo(tr.input, InputKind.COMMAND))
            inputs = list(seen.values())
        self.input_info = {i.name: i for i in inputs}
        self._index: dict[tuple[str, str], Transition] = {}
        for tr in transitions:
            if tr.source not in self.states or tr.target not in self.states:
                raise ValueError(f"{machine}: transition {tr} names an unknown state")
            if tr.refused and tr.refused not in self.states:
                raise ValueError(f"{machine}: transition {tr} is refused into an unknown state")
            if tr.input not in self.input_info:
                raise ValueError(f"{machine}: transition {tr} takes an undeclared input")
            key = (tr.source, tr.input)
            if key in self._index:
                raise ValueError(f"{machine}: duplicate transition for {key}")
            self._index[key] = tr
        if initial not in self.states:
            raise ValueError(f"{machine}: unknown initial state {initial}")
        if error and error not in self.states:
            raise ValueError(f"{machine}: unknown error state {error}")

    def lookup(self, state: str, input: str) -> Transition | None:
        return self._index.get((state, input))

    def kind_of(self, input: str) -> InputKind | None:
        info = self.input_info.get(input)
        return info.kind if info else None

    def inputs_in(self, state: str, kind: InputKind | None = None) -> list[str]:
        """The inputs the table accepts in ``state`` (of ``kind``, if given), in table order."""
        return [tr.input for tr in self.transitions
                if tr.source == state and (kind is None or self.input_info[tr.input].kind == kind)]

    def inputs(self, kind: InputKind | None = None) -> list[str]:
        """Every declared input (of ``kind``, if given), in declaration order."""
        return [i.name for i in self.input_info.values() if kind is None or i.kind == kind]


# --- control outputs: what a machine asks of its connection, apart from trace records ---


@dataclass(frozen=True, slots=True)
class StartTls:
    """Start TLS now. ``leftover``: bytes the peer sent after the command, in plaintext.

    The framing changes under them, so the connection must discard them, never
    feed them to the machine as if they came over TLS (CVE-2011-0411, RFC 3207 4.2).
    """

    leftover: bytes = b""


@dataclass(frozen=True, slots=True)
class Close:
    """The machine is done with the connection (it said goodbye, or gave up)."""

    reason: str = ""


Control = StartTls | Close


class ProtocolError(Exception):
    """A protocol error; ``reply`` is what the machine sends about it (may be None)."""

    def __init__(self, message: str, reply: object | None = None) -> None:
        super().__init__(message)
        self.reply = reply


class LocalProtocolError(ProtocolError):
    """The caller misused the machine (after h11): a bug in our code, not the peer's."""


class RemoteProtocolError(ProtocolError):
    """The peer broke the protocol's framing; ``reply`` is the answer the machine sends."""


class ServerMachineBase:
    """What every server machine shares with its connection: the bytes, records and controls it queues.

    A subclass names its ``table`` and the state in which it is ``closed`` (``closed_state``),
    and in ``__init__`` sets ``state``, ``_out`` (bytes to send), ``_events`` (trace records)
    and ``_controls`` (StartTls, Close); running the table stays its own business.
    """

    table: StateTable
    closed_state: str
    state: str
    _out: bytearray
    _events: list
    _controls: list[Control]

    def data_to_send(self) -> bytes:
        out = bytes(self._out)
        self._out.clear()
        return out

    def take_controls(self) -> list[Control]:
        """What the machine asks of its connection since last asked: StartTls, Close."""
        controls, self._controls = self._controls, []
        return controls

    @property
    def closed(self) -> bool:
        return self.state == self.closed_state

    def valid_inputs(self) -> list[str]:
        """The commands the table takes in the current state (the sandbox's hint line)."""
        return self.table.inputs_in(self.state, InputKind.COMMAND)

    def _take_events(self) -> list:
        events, self._events = self._events, []
        return events


TABLES: dict[str, StateTable] = {}


def register(table: StateTable) -> StateTable:
    TABLES[table.machine] = table
    return table
