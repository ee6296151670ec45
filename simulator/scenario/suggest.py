"""The nearest valid name to a misspelt one, for "did you mean ...?" in error messages."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def distance(a: str, b: str) -> int:
    """Edits (insert, delete, replace, swap two neighbours) that turn ``a`` into ``b``."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                row[j] = min(row[j], prev2[j - 2] + 1)
        prev2, prev = prev, row
    return prev[-1]


def nearest(name: str, known: Iterable[str]) -> str | None:
    """The known name a typing slip away from ``name`` (a letter or two, or another case), else None.

    difflib shortlists similar names; a suggestion must also be within one edit per five
    letters, so 'gopher.server' suggests nothing rather than 'pop3.server'."""
    names = sorted(set(known))
    folded = {n.casefold(): n for n in names}
    if name.casefold() in folded and folded[name.casefold()] != name:
        return folded[name.casefold()]
    allowed = max(1, len(name) // 5)
    for candidate in difflib.get_close_matches(name.casefold(), list(folded), n=5, cutoff=0.5):
        if distance(name.casefold(), candidate) <= allowed and folded[candidate] != name:
            return folded[candidate]
    return None


def unknown(what: str, name: str, known: Iterable[str], *, listed: str = "known") -> str:
    """``unknown host 'mx.exmaple.net': did you mean 'mx.example.net'?``, or the whole list
    (``unknown host 'x'; known: a, b``) when no name is close."""
    names = sorted(set(known))
    guess = nearest(name, names)
    if guess is not None:
        return f"unknown {what} {name!r}: did you mean {guess!r}?"
    return f"unknown {what} {name!r}; {listed}: {', '.join(names)}"
