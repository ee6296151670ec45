"""The protocol registry: everything above ``protocols/`` asks here, never names SMTP.

One :class:`~simulator.protocols.spec.ProtocolSpec` per protocol gives its
state tables, machine factories, reply reader, fault stages, stream framing
for ``mailsim serve`` and its services with their default ports. Adding a
protocol (IMAP, POP3) means one line in :data:`PROTOCOLS` and its package.
"""

from __future__ import annotations

from simulator.protocols.imap.protocol import IMAP
from simulator.protocols.machine import StateTable
from simulator.protocols.pop3.protocol import POP3
from simulator.protocols.smtp.protocol import SMTP
from simulator.protocols.spec import ProtocolSpec, ServiceInfo

PROTOCOLS: dict[str, ProtocolSpec] = {spec.name: spec for spec in (SMTP, IMAP, POP3)}


class UnknownProtocol(KeyError):
    def __str__(self) -> str:
        return f"unknown protocol {self.args[0]!r}; known: {', '.join(sorted(PROTOCOLS))}"


def protocol(name: str) -> ProtocolSpec:
    """The spec of protocol ``name`` ("smtp"); UnknownProtocol if there is none."""
    try:
        return PROTOCOLS[name]
    except KeyError:
        raise UnknownProtocol(name) from None


def protocols() -> tuple[str, ...]:
    return tuple(PROTOCOLS)


def machine_tables() -> dict[str, StateTable]:
    """Every machine's table by machine name ("smtp.server", "smtp.client", ...)."""
    return {table.machine: table for spec in PROTOCOLS.values() for table in spec.tables}


def machine_table(machine: str) -> StateTable | None:
    return machine_tables().get(machine)


def protocol_of_machine(machine: str) -> ProtocolSpec | None:
    """The protocol a machine name ("smtp.server") belongs to."""
    for spec in PROTOCOLS.values():
        if any(t.machine == machine for t in spec.tables):
            return spec
    return None


def fault_stages(protocol_name: str) -> tuple[str, ...]:
    """The stages (commands) whose reply a fault of ``protocol_name`` may replace."""
    return protocol(protocol_name).fault_stages


def service(name: str) -> tuple[ProtocolSpec, ServiceInfo]:
    """The protocol and service info of a service name ("submission"); KeyError if unknown."""
    for spec in PROTOCOLS.values():
        info = spec.service(name)
        if info is not None:
            return spec, info
    raise KeyError(f"unknown service {name!r}")


def protocol_of_service(name: str) -> ProtocolSpec:
    return service(name)[0]
