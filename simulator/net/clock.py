"""Virtual time and seeded randomness: a run never reads the real clock."""

from __future__ import annotations

import random
from datetime import UTC, datetime

DEFAULT_START = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)


class VirtualClock:
    def __init__(self, start: datetime = DEFAULT_START) -> None:
        if start.tzinfo is None:
            start = start.replace(tzinfo=UTC)
        self._epoch = start.timestamp()
        self._now = self._epoch

    def now(self) -> float:
        """Seconds since the start of the run."""
        return self._now - self._epoch

    def timestamp(self) -> float:
        """POSIX time of the virtual now."""
        return self._now

    def datetime(self) -> datetime:
        return datetime.fromtimestamp(self._now, tz=UTC)

    def datetime_at(self, run_seconds: float) -> datetime:
        """The wall-clock time of a moment given in seconds since the start of the run."""
        return datetime.fromtimestamp(self._epoch + run_seconds, tz=UTC)

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the virtual clock only moves forward")
        self._now += seconds

    def advance_to(self, run_seconds: float) -> None:
        self.advance(max(0.0, run_seconds - self.now()))


class SeededRandom(random.Random):
    def hex(self, n: int) -> str:
        return "".join(self.choice("0123456789ABCDEF") for _ in range(n))
