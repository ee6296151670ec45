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


@dataclass(slots=True)
class BodyChange:
    """A relay that changes the body of the mail it passes on: a footer added after DKIM signing,
    a "helpful" rewrite of a link. ``old`` is replaced by ``new`` where it first occurs in the body;
    an empty ``old`` adds ``new`` as a last line."""

    host: str
    old: str
    new: str
    times: int = 1  # 0 = for ever

    def apply(self, data: bytes) -> tuple[bytes, str] | None:
        """The message with its body changed and a sentence saying how; None when it does not apply."""
        if self.times < 0:
            return None
        head, sep, body = data.partition(b"\r\n\r\n")
        if not sep:
            return None
        if self.old:
            old = self.old.encode()
            if old not in body:
                return None
            body = body.replace(old, self.new.encode(), 1)
            how = f"{self.host} changed {self.old!r} to {self.new!r} in the body"
        else:
            body = body + (b"" if body.endswith(b"\r\n") or not body else b"\r\n") + self.new.encode() + b"\r\n"
            how = f"{self.host} added {self.new!r} at the end of the body"
        if self.times > 0:
            self.times = self.times - 1 or -1
        return head + sep + body, how


class FaultBoard:
    """The faults in force in a world; hosts consult it at each stage."""

    def __init__(self) -> None:
        self.reply_faults: list[ReplyFault] = []
        self.body_changes: list[BodyChange] = []

    def add(self, fault: ReplyFault | BodyChange) -> None:
        (self.body_changes if isinstance(fault, BodyChange) else self.reply_faults).append(fault)

    def change_body(self, host: str, data: bytes) -> tuple[bytes, str]:
        """``data`` as relay ``host`` passes it on, and what it changed ("" when nothing)."""
        said = []
        for change in self.body_changes:
            if change.host == host:
                changed = change.apply(data)
                if changed is not None:
                    data, how = changed
                    said.append(how)
        return data, "; ".join(said)

    def reply_for(self, host: str, stage: str, protocol: str = "smtp") -> Any | None:
        for fault in self.reply_faults:
            if fault.host == host and fault.stage == stage and fault.protocol == protocol:
                reply = fault.fire()
                if reply is not None:
                    return reply
        return None
