"""Sequence sets: ``1``, ``2:4``, ``*``, ``3:*``, ``1,3:5,7:*`` (RFC 9051 9, ``sequence-set``).

One syntax serves message sequence numbers and UIDs; what ``*`` stands for and
what a number past the end means differ (RFC 9051 6.4.8, 9 ``seq-number``):

* sequence numbers (:meth:`SequenceSet.resolve`): ``*`` is the number of
  messages; a number beyond it, or ``*`` in an empty mailbox, is an error the
  server answers with a tagged BAD.
* UIDs (:meth:`SequenceSet.resolve_uids`): ``*`` is the highest UID in the
  mailbox; numbers name only the UIDs that exist, so ``n:*`` with ``n`` above
  the highest UID still names the highest one (a range is unordered:
  ``n:*`` is ``*:n``).

The result is always ascending and without repeats (RFC 9051 6.4.8 lets the
server coalesce overlaps).

``$`` alone is the saved search result (SEARCHRES, RFC 9051 6.4.4.1, 9
``seq-last-command``): :attr:`SequenceSet.saved` is True and the resolve
methods return the ``saved`` numbers they are given, those that still exist.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from simulator.protocols.imap.errors import ImapSyntaxError

STAR = 0  # "*" in a range; no real number is 0 (nz-number)
_NUMBER = r"(?:[1-9][0-9]*|\*)"
_RANGE = re.compile(rf"({_NUMBER})(?::({_NUMBER}))?\Z")
_MAX = 4294967295  # nz-number is a 32-bit unsigned value (RFC 9051 9, number)


def _number(text: str) -> int:
    if text == "*":
        return STAR
    value = int(text)
    if value > _MAX:
        raise ImapSyntaxError(f"number out of range in sequence set: {text}")
    return value


@dataclass(frozen=True, slots=True)
class SequenceSet:
    """Ranges as given, ``(first, last)`` with :data:`STAR` for ``*``; or ``$`` (``saved``)."""

    ranges: tuple[tuple[int, int], ...]
    saved: bool = False

    @classmethod
    def parse(cls, text: str) -> SequenceSet:
        """Raise ImapSyntaxError (answer BAD) for anything but a valid ``sequence-set``."""
        if not text:
            raise ImapSyntaxError("empty sequence set")
        if text == "$":
            return cls((), saved=True)
        ranges = []
        for piece in str(text).split(","):
            m = _RANGE.match(piece)
            if m is None:
                raise ImapSyntaxError(f"invalid sequence set: {text}")
            first = _number(m.group(1))
            last = first if m.group(2) is None else _number(m.group(2))
            ranges.append((first, last))
        return cls(tuple(ranges))

    @staticmethod
    def is_sequence_set(text: str) -> bool:
        """True if ``text`` reads as a sequence set (SEARCH tells one from a search key so)."""
        return bool(text) and all(_RANGE.match(p) for p in str(text).split(","))

    def _bounds(self, largest: int) -> Iterable[tuple[int, int]]:
        for first, last in self.ranges:
            a = largest if first == STAR else first
            b = largest if last == STAR else last
            yield (a, b) if a <= b else (b, a)

    def resolve(self, count: int, saved: Iterable[int] = ()) -> list[int]:
        """Message sequence numbers in a mailbox of ``count`` messages (RFC 9051 9, seq-number).

        ``saved``: the saved result as sequence numbers, for ``$``."""
        if self.saved:
            return sorted({n for n in saved if 1 <= n <= count})
        if count == 0 and any(STAR in r for r in self.ranges):
            raise ImapSyntaxError("'*' names no message: the mailbox is empty")
        picked: set[int] = set()
        for lo, hi in self._bounds(count):
            if hi > count:
                raise ImapSyntaxError(f"no message {hi}: the mailbox has {count}")
            picked.update(range(lo, hi + 1))
        return sorted(picked)

    def resolve_uids(self, uids: Sequence[int], saved: Iterable[int] = ()) -> list[int]:
        """The UIDs of ``uids`` (the mailbox's, ascending) this set names (RFC 9051 6.4.8).

        ``saved``: the saved result's UIDs, for ``$``."""
        if self.saved:
            present = set(uids)
            return sorted(n for n in set(saved) if n in present)
        if not uids:
            return []
        picked: set[int] = set()
        for lo, hi in self._bounds(uids[-1]):
            picked.update(uids[bisect_left(uids, lo):bisect_right(uids, hi)])
        return sorted(picked)

    def contains(self, number: int, largest: int) -> bool:
        """Whether ``number`` is in the set when ``*`` is ``largest`` (SEARCH keys)."""
        return any(lo <= number <= hi for lo, hi in self._bounds(largest))

    def __str__(self) -> str:
        if self.saved:
            return "$"

        def one(n: int) -> str:
            return "*" if n == STAR else str(n)

        return ",".join(one(a) if a == b else f"{one(a)}:{one(b)}" for a, b in self.ranges)


def compact(numbers: Iterable[int]) -> str:
    """Numbers as a short sequence set, ``1:3,5`` (COPYUID, APPENDUID, ESEARCH ALL; RFC 9051 7.1)."""
    ordered = sorted(set(numbers))
    if not ordered:
        return ""
    pieces = []
    start = prev = ordered[0]
    for n in ordered[1:]:
        if n != prev + 1:
            pieces.append(str(start) if start == prev else f"{start}:{prev}")
            start = n
        prev = n
    pieces.append(str(start) if start == prev else f"{start}:{prev}")
    return ",".join(pieces)
