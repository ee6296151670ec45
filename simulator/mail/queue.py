"""The outbound queue of a relay: entries, retry with backoff, expiry.

RFC 5321 section 4.5.4.1 asks for retries spread over at least 4-5 days. We
back off from 5 minutes, doubling to at most 4000 s, and give up after 5
days: the defaults of Postfix (minimal_backoff_time, maximal_backoff_time,
maximal_queue_lifetime).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from simulator.trace import QueueChanged

MIN_BACKOFF = 300.0
MAX_BACKOFF = 4000.0
MAX_LIFETIME = 5 * 24 * 3600.0


@dataclass(slots=True)
class QueueEntry:
    queue_id: str
    mail_from: str
    recipients: list[str]  # still to deliver
    data: bytes
    created: float
    attempts: int = 0
    next_attempt: float = 0.0
    last_reply: dict[str, str] = field(default_factory=dict)


class OutboundQueue:
    def __init__(self, host: str, on_change: Callable[[QueueChanged], None] | None = None) -> None:
        self.host = host
        self.on_change = on_change
        self.entries: dict[str, QueueEntry] = {}

    def __len__(self) -> int:
        return len(self.entries)

    def add(self, queue_id: str, mail_from: str, recipients: list[str], data: bytes, now: float) -> QueueEntry:
        entry = QueueEntry(queue_id, mail_from, list(recipients), data, created=now, next_attempt=now)
        self.entries[queue_id] = entry
        self._emit(entry, "queued", entry.recipients)
        return entry

    def due(self, now: float) -> list[QueueEntry]:
        return sorted(
            (e for e in self.entries.values() if e.next_attempt <= now),
            key=lambda e: (e.next_attempt, e.queue_id),
        )

    def next_due_time(self) -> float | None:
        return min((e.next_attempt for e in self.entries.values()), default=None)

    def sent(self, entry: QueueEntry, recipients: list[str], detail: str) -> None:
        entry.recipients = [r for r in entry.recipients if r not in recipients]
        self._emit(entry, "sent", recipients, detail)
        self._drop_if_done(entry)

    def failed(self, entry: QueueEntry, recipients: list[str], detail: str) -> None:
        entry.recipients = [r for r in entry.recipients if r not in recipients]
        self._emit(entry, "failed", recipients, detail)
        self._drop_if_done(entry)

    def defer(self, entry: QueueEntry, recipients: list[str], detail: str, now: float) -> bool:
        """Schedule a retry; False when the entry has outlived MAX_LIFETIME (then bounce it)."""
        for r in recipients:
            entry.last_reply[r] = detail
        if now - entry.created >= MAX_LIFETIME:
            return False
        entry.next_attempt = now + self.backoff(entry.attempts)
        self._emit(entry, "deferred", recipients, detail)
        return True

    @staticmethod
    def backoff(attempts: int) -> float:
        return min(MIN_BACKOFF * 2 ** max(attempts - 1, 0), MAX_BACKOFF)

    def _drop_if_done(self, entry: QueueEntry) -> None:
        if not entry.recipients:
            self.entries.pop(entry.queue_id, None)

    def _emit(self, entry: QueueEntry, action: str, recipients: list[str], detail: str = "") -> None:
        if self.on_change is not None:
            self.on_change(
                QueueChanged(
                    host=self.host,
                    queue_id=entry.queue_id,
                    action=action,
                    recipients=tuple(recipients),
                    detail=detail,
                    next_attempt=entry.next_attempt if action == "deferred" else 0.0,
                )
            )
