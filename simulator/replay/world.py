"""The world as a trace tells it, folded event by event.

A :class:`World` is the state after some prefix of a trace: each machine's
state and last transition, the connections (open and closed), the mailboxes,
the queues and the virtual clock. What each event kind does to it is written
once, in that kind's row of :data:`simulator.replay.kinds.KINDS`; this module
only holds the state and the few operations the rows share.

A machine's first state is not read from any state table: the reader derives
it from the trace (the ``from_state`` of the machine's first ``StateChanged``
on its connection) and hands it in as ``initial``; a live reader (the
sandbox) may hand in the states it knows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from simulator.replay.views import LastTransition, MachineView, MessageRow
from simulator.trace import (
    ConnectionOpened,
    MailboxView,
    QueueChanged,
    ReplySent,
    StateChanged,
    Trace,
)

MachineKey = tuple[str, str]  # (conn, machine)


@dataclass
class World:
    """Everything a step's views need that depends on the events before it."""

    machines: dict[MachineKey, tuple[str, LastTransition | None]] = field(default_factory=dict)
    conn_machines: dict[str, list[str]] = field(default_factory=dict)
    conns: dict[str, ConnectionOpened] = field(default_factory=dict)
    closed: set[str] = field(default_factory=set)
    current_conn: str = ""
    mailboxes: dict[tuple[str, str, str], dict[int, MessageRow]] = field(default_factory=dict)
    queues: dict[tuple[str, str], QueueChanged] = field(default_factory=dict)
    clock: float = 0.0
    # What each IMAP session has told its client (by connection): see trace.MailboxView.
    views: dict[str, MailboxView] = field(default_factory=dict)
    # Folders a step did something to (the world's setup only creates them), and the
    # maildrops a POP3 session holds locked (RFC 1939 8): what the Mailboxes pane shows.
    touched: set[tuple[str, str, str]] = field(default_factory=set)
    locked: set[tuple[str, str]] = field(default_factory=set)
    # Replies a server has recorded on a connection and not yet sent as bytes (how the
    # diagram knows where one reply of a pipelined group ends and the next begins).
    unsent: dict[str, list[ReplySent]] = field(default_factory=dict)
    # Each machine's first state: by (conn, machine), else by machine name.
    initial: dict[MachineKey | str, str] = field(default_factory=dict)

    def copy(self) -> World:
        return World(
            machines=dict(self.machines),
            conn_machines={k: list(v) for k, v in self.conn_machines.items()},
            conns=dict(self.conns),
            closed=set(self.closed),
            current_conn=self.current_conn,
            mailboxes={k: dict(v) for k, v in self.mailboxes.items()},
            queues=dict(self.queues),
            clock=self.clock,
            views=dict(self.views),
            touched=set(self.touched),
            locked=set(self.locked),
            unsent={k: list(v) for k, v in self.unsent.items()},
            initial=self.initial,  # shared: it never changes while folding
        )

    # --- what the rows of the kinds table share ---------------------------------------

    def see_machine(self, conn: str, machine: str) -> None:
        """A machine shows up on a connection (in its first state until it moves)."""
        names = self.conn_machines.setdefault(conn, [])
        if machine not in names:
            names.append(machine)
        if (conn, machine) not in self.machines:
            state = self.initial.get((conn, machine), self.initial.get(machine, ""))
            self.machines[(conn, machine)] = (state, None)

    def move(self, event: StateChanged, step: int) -> None:
        self.see_machine(event.conn, event.machine)
        last = LastTransition(event.from_state, event.to_state, event.trigger, step)
        self.machines[(event.conn, event.machine)] = (event.to_state, last)

    def hosts_of(self, conn: str, *, c2s: bool) -> tuple[str, str]:
        """(sender, receiver) of bytes on ``conn`` in that direction; ("", "") for an unknown connection."""
        opened = self.conns.get(conn)
        if opened is None:
            return "", ""
        return (opened.client_host, opened.server_host) if c2s else (opened.server_host, opened.client_host)

    def box(self, host: str, user: str, folder: str) -> dict[int, MessageRow]:
        """One mailbox's messages by UID, made empty if the trace has not shown it yet."""
        return self.mailboxes.setdefault((host, user, folder), {})

    # --- what the views read ----------------------------------------------------------

    def machine_views(self, conn: str, step: int) -> list[MachineView]:
        """The machines of one connection, client side first."""
        opened = self.conns.get(conn)
        out = []
        names = sorted(self.conn_machines.get(conn, []), key=lambda m: (not m.endswith(".client"), m))
        for machine in names:
            state, last = self.machines[(conn, machine)]
            host = ""
            if opened is not None:
                host = opened.client_host if machine.endswith(".client") else opened.server_host
            out.append(MachineView(machine, conn, host, state, last, last is not None and last.step == step,
                                   conn in self.closed))
        return out

    def mailbox_rows(self) -> dict[tuple[str, str, str], list[MessageRow]]:
        """Every mailbox, sorted, with its messages in UID order."""
        return {k: [v[uid] for uid in sorted(v)] for k, v in sorted(self.mailboxes.items())}

    def states(self) -> dict[MachineKey, str]:
        return {k: v[0] for k, v in self.machines.items()}


def initial_states(trace: Trace) -> dict[MachineKey | str, str]:
    """Each machine's first state, from the trace: the ``from_state`` of its first transition.

    Keyed by (conn, machine) for the machines that moved on a connection, and
    by machine name (its first transition anywhere) for a machine seen on a
    connection where it never moved.
    """
    out: dict[MachineKey | str, str] = {}
    for event in trace.events:
        if isinstance(event, StateChanged):
            out.setdefault((event.conn, event.machine), event.from_state)
            out.setdefault(event.machine, event.from_state)
    return out
