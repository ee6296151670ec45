"""Machines are data: a state table the code enforces and the TUI draws.

A :class:`StateTable` maps (state, input) to a :class:`Transition` naming the
next state and the side effect. A pair missing from the table is a protocol
error for the machine to refuse, never a silent no-op (after h11 ``_state.py``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class StateInfo:
    name: str
    doc: str
    rfc: str = ""


@dataclass(frozen=True, slots=True)
class Transition:
    source: str
    input: str
    target: str
    effect: str
    rfc: str = ""


class StateTable:
    def __init__(
        self,
        machine: str,
        initial: str,
        states: list[StateInfo],
        transitions: list[Transition],
    ) -> None:
        self.machine = machine
        self.initial = initial
        self.states = {s.name: s for s in states}
        self.transitions = tuple(transitions)
        self._index: dict[tuple[str, str], Transition] = {}
        for tr in transitions:
            if tr.source not in self.states or tr.target not in self.states:
                raise ValueError(f"{machine}: transition {tr} names an unknown state")
            key = (tr.source, tr.input)
            if key in self._index:
                raise ValueError(f"{machine}: duplicate transition for {key}")
            self._index[key] = tr
        if initial not in self.states:
            raise ValueError(f"{machine}: unknown initial state {initial}")

    def lookup(self, state: str, input: str) -> Transition | None:
        return self._index.get((state, input))

    def inputs_in(self, state: str) -> list[str]:
        """The inputs the table accepts in ``state``, in table order."""
        return [tr.input for tr in self.transitions if tr.source == state]

    def inputs(self) -> list[str]:
        seen: dict[str, None] = {}
        for tr in self.transitions:
            seen.setdefault(tr.input)
        return list(seen)


TABLES: dict[str, StateTable] = {}


def register(table: StateTable) -> StateTable:
    TABLES[table.machine] = table
    return table
