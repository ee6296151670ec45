"""What a what-if menu offers, and the errors of a fork that cannot be made."""

from __future__ import annotations

from dataclasses import dataclass


class BranchError(ValueError):
    """A fork that cannot be made: unknown fault, a fault that does not fit, a bad index."""


class UnknownFault(BranchError):
    pass


class FaultDoesNotFit(BranchError):
    pass


@dataclass(frozen=True, slots=True)
class FaultOption:
    """A fault offered at one step: what the what-if menu shows."""

    id: str
    title: str
    description: str
    target: str = ""  # the host the fault hits
