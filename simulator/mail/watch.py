"""Watching a folder: what an open IMAP session learns of changes made by others (RFC 9051 5.2, 7.4).

A session that has a folder selected watches it; the store calls every
watcher of the folder synchronously, once per change, with a
:class:`FolderChange`. ``origin`` names whoever asked for the change (the
object passed as ``origin=`` to the store method), so a session can skip the
echo of its own command and still report what another session or a delivery
did: new messages (EXISTS), removed ones (EXPUNGE), flags (FETCH FLAGS).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

ChangeKind = Literal["exists", "expunge", "flags", "deleted", "renamed"]


@dataclass(frozen=True, slots=True)
class FolderChange:
    """One change to a watched folder.

    * ``exists``  -- a message with ``uid`` (and ``flags``) was added at the end;
    * ``expunge`` -- the message with ``uid`` was removed;
    * ``flags``   -- the message with ``uid`` now has exactly ``flags``;
    * ``deleted`` -- the folder itself was deleted (the watch is closed after this);
    * ``renamed`` -- the folder is now called ``name``.
    """

    kind: ChangeKind
    uid: int = 0
    flags: frozenset[str] = frozenset()
    origin: object | None = None
    name: str = ""


Listener = Callable[[FolderChange], None]


@dataclass(eq=False)
class Watch:
    """An open watch on one folder; ``close()`` stops it (idempotent)."""

    listener: Listener
    _watchers: list[Watch] = field(repr=False)
    closed: bool = False

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._watchers.remove(self)


def notify(watchers: list[Watch], change: FolderChange) -> None:
    """Tell every open watcher, in the order they started watching."""
    for watch in list(watchers):  # a listener may close its own watch
        if not watch.closed:
            watch.listener(change)
