"""How two timelines differ (a base run and a what-if branch), computed over data.

:func:`diff` compares two traces step by step (steps matched by id), and then
what they left behind: the replies each step got, the mailboxes at the end,
each recipient's history in the queues, and each check's verdicts. Every
:class:`DiffLine` carries the data it compares (:class:`Answer`,
:class:`Letter`, :class:`QueueMove`, :class:`Verdict`, steps); its text and the
:meth:`TimelineDiff.summary` are written from that data, never re-parsed from
strings.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field, fields
from typing import Literal

from simulator.replay.index import Index
from simulator.replay.text import plural
from simulator.trace import (
    CheckStep,
    ConnectionRefused,
    Event,
    ExpectationChecked,
    MailboxChanged,
    QueueChanged,
    ReplySent,
    Step,
    Trace,
)

DiffKind = Literal["reply", "mailbox", "queue", "verdict", "step"]

SIGNED = "signed"  # the result of a signer's concluding check step (DKIM signing), not a verdict on mail

# Left out when deciding whether two steps differ: a branch drops its expectations on purpose.
IGNORED: tuple[type[Event], ...] = (ExpectationChecked,)


# --- the data a line compares ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Answer:
    """What a server answered in a step: a reply, or nothing (its port refused the connection)."""

    host: str
    code: str = ""
    enhanced: str = ""
    text: tuple[str, ...] = ()
    refused: str = ""  # why nobody answered; "" for a reply
    port: int = 0

    @property
    def brief(self) -> str:
        """The answer without its host: ``550 5.1.1 Mailbox … (+1 more line)``."""
        if self.refused:
            return f"no answer on port {self.port} ({self.refused})"
        first = self.text[0] if self.text else ""
        # An SMTP enhanced code (RFC 3463) reads as is; a POP3 response code is bracketed on the wire (RFC 2449 8).
        enhanced = self.enhanced if not self.enhanced or self.enhanced[0].isdigit() else f"[{self.enhanced}]"
        text = " ".join(x for x in (self.code, enhanced, first) if x)
        if len(self.text) > 1:
            text += f" (+{plural(len(self.text) - 1, 'more line')})"
        return text

    def __str__(self) -> str:
        return f"{self.host}: {self.brief}"


@dataclass(frozen=True, slots=True)
class Letter:
    """A message in a mailbox at the end of a timeline."""

    subject: str
    bounce: bool  # a delivery status notification (RFC 3464: multipart/report; delivery-status)

    def __str__(self) -> str:
        return f"'{self.subject}'" + (" (a bounce)" if self.bounce else "")


@dataclass(frozen=True, slots=True)
class QueueMove:
    """One thing a queue did with a recipient: queued, deferred (why), sent, failed (why)."""

    action: str
    detail: str = ""

    def __str__(self) -> str:
        return self.action + (f" ({self.detail})" if self.detail and self.action != "queued" else "")


@dataclass(frozen=True, slots=True)
class Verdict:
    """How one SPF, DKIM or DMARC evaluation ended: its result, and why in a few words."""

    result: str
    reason: str = ""  # "body hash mismatch", "p=reject: refused"

    def __str__(self) -> str:
        return self.result + (f" ({self.reason})" if self.reason else "")


# --- the diff -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DiffLine:
    """One difference: what the base timeline has here (``before``) and what the branch has (``after``).

    ``before``/``after`` hold data: for ``reply`` at most one :class:`Answer`;
    for ``mailbox`` the :class:`Letter` s left in the box; for ``queue`` the
    :class:`QueueMove` s of one recipient; for ``verdict`` the :class:`Verdict` s of
    one check at one host; for ``step`` the :class:`~simulator.trace.Step` only one side has.
    ``base`` and ``branch`` are their text ("" when a side has nothing there).
    """

    kind: DiffKind
    step_id: str  # the step where the difference shows
    what: str  # what differs: a host, a mailbox, a queue entry, a check
    before: tuple = ()
    after: tuple = ()

    @property
    def base(self) -> str:
        return _side_text(self, self.before, base=True)

    @property
    def branch(self) -> str:
        return _side_text(self, self.after, base=False)


def _side_text(line: DiffLine, items: tuple, *, base: bool) -> str:
    if line.kind == "mailbox":  # a mailbox always has a count, even when empty
        if not items:
            return f"{line.what}: 0 messages"
        return f"{line.what}: {plural(len(items), 'message')}: " + ", ".join(map(str, items))
    if not items:
        return ""
    if line.kind == "step":
        step = items[0]
        return step.title or step.step_id
    if line.kind == "reply":
        return str(items[0])
    return f"{line.what}: " + ", ".join(map(str, items))


def _brief(line: DiffLine, items: tuple) -> str:
    """A side as the summary writes it, without the label the line already names."""
    if not items:
        return "(nothing)"
    if line.kind == "reply":
        return items[0].brief
    return ", ".join(map(str, items))


@dataclass(frozen=True, slots=True)
class TimelineDiff:
    """How a branch differs from its base.

    ``first_divergent_step`` indexes ``base.steps()`` (``branch_divergent_step``
    the same point in ``branch.steps()``): the first step whose events differ,
    comparing events without ``seq`` and ``t``. Expectation verdicts are left
    out of that comparison, because a branch drops its expectations on purpose;
    steps only the branch has (the injected what-if steps) are reported as
    ``step`` lines rather than as the parting point.
    """

    first_divergent_step: int | None
    lines: list[DiffLine] = field(default_factory=list)
    branch_divergent_step: int | None = None
    divergent_step_id: str = ""
    divergent_step_title: str = ""

    @property
    def identical(self) -> bool:
        return self.first_divergent_step is None and not self.lines

    def of_kind(self, kind: DiffKind) -> list[DiffLine]:
        return [line for line in self.lines if line.kind == kind]

    def injected_step(self) -> str | None:
        """The id of the first step only the branch has (where a what-if starts)."""
        return next((line.step_id for line in self.of_kind("step") if line.after), None)

    def summary(self, max_replies: int = 3) -> str:
        if self.identical:
            return "The two timelines are identical."
        out: list[str] = []
        if self.first_divergent_step is not None:
            title = f" ({self.divergent_step_title})" if self.divergent_step_title else ""
            out.append(f"The timelines part at step '{self.divergent_step_id}'{title}.")
        else:
            out.append("The timelines never part: the steps they share have the same events.")
        steps = self.of_kind("step")
        injected = [line.branch for line in steps if line.after]
        if injected:
            out.append("Only in the branch: " + "; ".join(injected) + ".")
        dropped = [line.base for line in steps if line.before]
        if dropped:
            out.append("Only in the base: " + "; ".join(dropped) + ".")
        replies = self.of_kind("reply")
        if replies:
            shown = [f"{r.what}: {_brief(r, r.before)} → {_brief(r, r.after)} (step '{r.step_id}')"
                     for r in replies[:max_replies]]
            more = f"; and {len(replies) - max_replies} more" if len(replies) > max_replies else ""
            out.append("Replies: " + "; ".join(shown) + more + ".")
        boxes = self.of_kind("mailbox")
        if boxes:
            out.append("Mailboxes: " + "; ".join(_mailbox_change(b) for b in boxes) + ".")
        for kind, heading in (("queue", "Queues"), ("verdict", "Checks")):
            lines = self.of_kind(kind)  # type: ignore[arg-type]
            if lines:
                out.append(f"{heading}: " + "; ".join(
                    f"{x.what}: {_brief(x, x.before)} → {_brief(x, x.after)}" for x in lines) + ".")
        return "\n".join(out)


def _mailbox_change(line: DiffLine) -> str:
    bounced_before = any(letter.bounce for letter in line.before)
    bounced_after = any(letter.bounce for letter in line.after)
    note = " (a bounce)" if bounced_after and not bounced_before else (
        " (no bounce)" if bounced_before and not bounced_after else "")
    return f"{line.what}: {plural(len(line.before), 'message')} → {len(line.after)}{note}"


# --- what each timeline left behind ---------------------------------------------------


def is_bounce(event: MailboxChanged) -> bool:
    """Whether a delivered message is a delivery status notification (RFC 3464 §2, RFC 6522)."""
    head = event.raw.split(b"\r\n\r\n", 1)[0].lower()
    return b"multipart/report" in head and b"delivery-status" in head


def answers(index: Index, step: int) -> list[Answer]:
    """The servers' answers in one step, in order: replies, and ports that refused."""
    out = []
    for e in index.events_of(step):
        if isinstance(e, ReplySent):
            opened = index.conns.get(e.conn)
            out.append(Answer(opened.server_host if opened else e.machine, e.code, e.enhanced, tuple(e.text)))
        elif isinstance(e, ConnectionRefused):
            out.append(Answer(e.server_host, refused=e.reason, port=e.port))
    return out


History = dict[str, list[tuple[object, int]]]  # what -> [(item, seq)]


def mailboxes(index: Index) -> tuple[dict[str, list[Letter]], History]:
    """Each mailbox's letters at the end, and the history of what happened to it."""
    boxes: dict[str, dict[int, Letter]] = {}
    history: History = {}
    for _, e in index.of(MailboxChanged):
        key = f"{e.user} {e.folder}"
        box = boxes.setdefault(key, {})
        history.setdefault(key, [])
        if e.action in ("delivered", "appended"):
            box[e.uid] = Letter(e.subject, is_bounce(e))
        elif e.action in ("copied", "moved"):
            dest = f"{e.user} {e.dest}"
            letter = box.pop(e.uid, None) if e.action == "moved" else box.get(e.uid)
            boxes.setdefault(dest, {})[e.dest_uid] = letter or Letter(e.subject, False)
            history.setdefault(dest, []).append((("arrived", e.subject), e.seq))
        elif e.action == "expunged":
            box.pop(e.uid, None)
        elif e.action == "deleted":
            boxes.pop(key, None)
        elif e.action == "renamed":
            boxes[f"{e.user} {e.dest}"] = boxes.pop(key)
            history.setdefault(f"{e.user} {e.dest}", [])
            if e.folder == "INBOX":
                boxes[key] = {}
        if e.action in _STORY:
            history[key].append(((e.action, e.subject), e.seq))
    return {k: list(v.values()) for k, v in boxes.items()}, history


# What happens to a mailbox's letters (a history line per event); setup and bookkeeping are not.
_STORY = frozenset({"delivered", "appended", "expunged", "copied", "moved", "flags", "deleted", "renamed"})


def queues(index: Index) -> History:
    """Each recipient's moves through a host's queue."""
    out: History = {}
    for _, e in index.of(QueueChanged):
        for rcpt in e.recipients:
            out.setdefault(f"{rcpt} (queue of {e.host})", []).append((QueueMove(e.action, e.detail), e.seq))
    return out


def verdicts(index: Index) -> History:
    """Each check's concluding results with their reasons, per host: "DKIM at mx.example.net".

    A host that signs ("signed", the DKIM signer's last step) is kept apart from the same
    host verifying others' mail: "DKIM signing at mail.example.org".
    """
    out: History = {}
    for _, e in index.of(CheckStep):
        if e.result:
            what = f"{e.check.upper()} {'signing at' if e.result == SIGNED else 'at'} {e.host}"
            out.setdefault(what, []).append((Verdict(e.result, e.reason), e.seq))
    return out


# --- comparing them -----------------------------------------------------------------------


def _signature(events: list[Event]) -> list[tuple]:
    """The events as data, without their place in time (``seq`` and ``t``)."""
    return [(type(e), *(getattr(e, f.name) for f in fields(e) if f.name not in ("seq", "t")))
            for e in events if not isinstance(e, IGNORED)]


def _ordered_keys(base: dict, branch: dict) -> list[str]:
    return list(base) + [k for k in branch if k not in base]


def _parting_step(a: list[tuple[object, int]], b: list[tuple[object, int]], ia: Index, ib: Index) -> str:
    """The step where two histories first differ (in the branch if it has an item there)."""
    n = 0
    while n < len(a) and n < len(b) and a[n][0] == b[n][0]:
        n += 1
    if n < len(b):
        return ib.step_id_of(b[n][1])
    if n < len(a):
        return ia.step_id_of(a[n][1])
    return ""


def _history_lines(kind: DiffKind, base: History, branch: History, ia: Index, ib: Index) -> list[DiffLine]:
    out = []
    for key in _ordered_keys(base, branch):
        a, b = base.get(key, []), branch.get(key, [])
        if [x[0] for x in a] == [x[0] for x in b]:
            continue
        out.append(DiffLine(kind, _parting_step(a, b, ia, ib), key, tuple(x[0] for x in a),
                            tuple(x[0] for x in b)))
    return out


def _answer_lines(a: list[Answer], b: list[Answer], step_id: str) -> list[DiffLine]:
    out = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        left, right = a[i1:i2], b[j1:j2]
        for n in range(max(len(left), len(right))):
            x = left[n : n + 1]
            y = right[n : n + 1]
            out.append(DiffLine("reply", step_id, (x or y)[0].host, tuple(x), tuple(y)))
    return out


def diff(base: Trace | Index, branch: Trace | Index) -> TimelineDiff:
    """What differs between two timelines: where they part, replies, mailboxes, queues, checks."""
    ia = base if isinstance(base, Index) else Index(base)
    ib = branch if isinstance(branch, Index) else Index(branch)
    bsteps, rsteps = ia.trace.steps(), ib.trace.steps()
    matcher = difflib.SequenceMatcher(None, [s.step_id for s in bsteps], [s.step_id for s in rsteps],
                                      autojunk=False)
    lines: list[DiffLine] = []
    first: tuple[int, int | None, Step] | None = None
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for bi, ri in zip(range(i1, i2), range(j1, j2), strict=True):
                if _signature(ia.events_of(bi)) == _signature(ib.events_of(ri)):
                    continue
                if first is None:
                    first = (bi, ri, bsteps[bi])
                lines += _answer_lines(answers(ia, bi), answers(ib, ri), bsteps[bi].step_id)
            continue
        for bi in range(i1, i2):  # steps only the base has
            bs = bsteps[bi]
            if first is None:
                first = (bi, j1 if j1 < len(rsteps) else None, bs)
            lines.append(DiffLine("step", bs.step_id, bs.step_id, (bs,), ()))
            lines += _answer_lines(answers(ia, bi), [], bs.step_id)
        for ri in range(j1, j2):  # steps only the branch has: the injected what-ifs
            rs = rsteps[ri]
            lines.append(DiffLine("step", rs.step_id, rs.step_id, (), (rs,)))
            lines += _answer_lines([], answers(ib, ri), rs.step_id)
    (aboxes, ahist), (bboxes, bhist) = mailboxes(ia), mailboxes(ib)
    for key in _ordered_keys(aboxes, bboxes):
        before, after = tuple(aboxes.get(key, ())), tuple(bboxes.get(key, ()))
        if before == after:
            continue
        step_id = _parting_step(ahist.get(key, []), bhist.get(key, []), ia, ib)
        lines.append(DiffLine("mailbox", step_id, key, before, after))
    lines += _history_lines("queue", queues(ia), queues(ib), ia, ib)
    lines += _history_lines("verdict", verdicts(ia), verdicts(ib), ia, ib)
    if first is None:
        return TimelineDiff(None, lines)
    bi, ri, step = first
    return TimelineDiff(bi, lines, ri, step.step_id, step.title)


__all__ = ["Answer", "DiffKind", "DiffLine", "Letter", "QueueMove", "TimelineDiff", "Verdict", "diff", "is_bounce"]
