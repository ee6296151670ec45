"""Expectations on what the server holds (mailbox) and on what a device was told (view, downloaded).

Each check returns ``(ok, detail)`` pairs; the detail says what was found, so a
failure reads as "bob@example.net INBOX message 1 has flags (none), expected \\Seen".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from email.parser import BytesHeaderParser
from email.policy import default as default_policy

from simulator.mail.store import StoredMessage
from simulator.scenario import models as m
from simulator.trace import Event, MailboxView

Verdict = tuple[bool, str]


def subject_of(data: bytes) -> str:
    """The Subject of a message, RFC 2047 words decoded ('' if it has none)."""
    value = BytesHeaderParser(policy=default_policy).parsebytes(data).get("Subject", "")
    return str(value)


def _flags(flags: Iterable[str]) -> str:
    return " ".join(sorted(flags, key=str.lower)) or "(none)"


def _same(got: Iterable[str], want: Iterable[str]) -> bool:
    return {f.lower() for f in got} == {f.lower() for f in want}


def mailbox(item: m.ExpectMailbox, messages: Sequence[StoredMessage]) -> list[Verdict]:
    where = f"{item.user} {item.folder}"
    subjects = [subject_of(msg.data) for msg in messages]
    out: list[Verdict] = []
    if item.count is not None:
        out.append((len(messages) == item.count,
                    f"{where} holds {len(messages)} message(s), expected {item.count}"))
    if item.subjects is not None:
        out.append((subjects == item.subjects, f"{where} holds {subjects}, expected {item.subjects}"))
    for key, want in (item.flags or {}).items():
        if isinstance(key, int):
            index, name = key - 1, f"message {key}"
            if not 0 <= index < len(messages):
                out.append((False, f"{where} has no message {key}; it holds {len(messages)}"))
                continue
        else:
            if key not in subjects:
                out.append((False, f"{where} has no message with subject {key!r}; subjects: {subjects}"))
                continue
            index, name = subjects.index(key), repr(key)
        got = messages[index].flags
        out.append((_same(got, want), f"{where} {name} (UID {messages[index].uid}) has flags {_flags(got)}, "
                                      f"expected {_flags(want)}"))
    return out


def latest_view(events: Sequence[Event], conn_id: str) -> MailboxView | None:
    """The last MailboxView recorded for connection ``conn_id``: what that session was last told."""
    return next((e for e in reversed(events) if isinstance(e, MailboxView) and e.conn == conn_id), None)


def view(item: m.ExpectView, seen: MailboxView | None) -> list[Verdict]:
    who = f"session {item.conn!r}"
    if seen is None:
        return [(False, f"{who} was never told of a mailbox (no SELECT answered)")]
    out: list[Verdict] = []
    if item.folder is not None:
        out.append((seen.folder == item.folder,
                    f"{who} has {seen.folder or 'no mailbox'} selected, expected {item.folder or 'none'}"))
    if item.exists is not None:
        out.append((len(seen.uids) == item.exists,
                    f"{who} knows {len(seen.uids)} message(s) in {seen.folder or '(none)'}, expected {item.exists}"))
    if item.uids is not None:
        out.append((list(seen.uids) == item.uids, f"{who} knows UIDs {list(seen.uids)}, expected {item.uids}"))
    for n, want in (item.flags or {}).items():
        if not 1 <= n <= len(seen.uids):
            out.append((False, f"{who} knows no message {n}; it knows {len(seen.uids)}"))
            continue
        told = seen.flags[n - 1].split() if n - 1 < len(seen.flags) else []
        out.append((_same(told, want), f"{who} was told message {n} (UID {seen.uids[n - 1]}) has flags "
                                       f"{_flags(told)}, expected {_flags(want)}"))
    return out


def downloaded(item: m.ExpectDownloaded, messages: Sequence[bytes] | None) -> list[Verdict]:
    if messages is None:
        return [(False, "this step downloaded nothing with POP3 (expect downloaded goes with check_mail)")]
    subjects = [subject_of(data) for data in messages]
    out: list[Verdict] = []
    if item.count is not None:
        out.append((len(messages) == item.count, f"downloaded {len(messages)} message(s), expected {item.count}"))
    if item.subjects is not None:
        out.append((subjects == item.subjects, f"downloaded {subjects}, expected {item.subjects}"))
    return out
