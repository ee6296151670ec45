"""Faults a scenario injects on purpose: a server answering with a chosen reply."""

from __future__ import annotations

from dataclasses import dataclass

from simulator.protocols.smtp.replies import Reply

STAGES = ("MAIL", "RCPT", "DATA")  # DATA = the reply at the final dot


@dataclass(slots=True)
class ReplyFault:
    host: str
    stage: str
    reply: Reply
    times: int = 1  # 0 = for ever

    def fire(self) -> Reply | None:
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

    def reply_for(self, host: str, stage: str) -> Reply | None:
        for fault in self.reply_faults:
            if fault.host == host and fault.stage == stage:
                reply = fault.fire()
                if reply is not None:
                    return reply
        return None
