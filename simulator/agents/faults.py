"""Faults a scenario injects on purpose: a server answering with a chosen reply.

A fault is keyed by host, protocol and stage: the stage is one of the
protocol's fault stages as its registry entry lists them (for SMTP the MAIL,
RCPT and DATA replies, DATA meaning the reply at the final dot).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from simulator.protocols.registry import fault_stages


@dataclass(slots=True)
class ReplyFault:
    host: str
    stage: str
    reply: Any  # the protocol's reply type (an SMTP Reply)
    times: int = 1  # 0 = for ever
    protocol: str = "smtp"

    def __post_init__(self) -> None:
        stages = fault_stages(self.protocol)
        if self.stage not in stages:
            raise ValueError(f"{self.protocol} has no fault stage {self.stage!r}; "
                             f"it has {', '.join(stages)}")
        if self.times < 0:
            raise ValueError("times must be 0 (for ever) or more")

    def fire(self) -> Any | None:
        if self.times < 0:
            return None
        if self.times > 0:
            self.times -= 1
            if self.times == 0:
                self.times = -1
        return self.reply


class FaultBoard:
    """The faults in force in a world; hosts consult it at each stage."""

    def __init__(self) -> None:
        self.reply_faults: list[ReplyFault] = []

    def add(self, fault: ReplyFault) -> None:
        self.reply_faults.append(fault)

    def reply_for(self, host: str, stage: str, protocol: str = "smtp") -> Any | None:
        for fault in self.reply_faults:
            if fault.host == host and fault.stage == stage and fault.protocol == protocol:
                reply = fault.fire()
                if reply is not None:
                    return reply
        return None
