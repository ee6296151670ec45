"""One row per event kind: what it says, what it draws, what it does to the world.

:data:`KINDS` is the only place that interprets an event kind. Each
:class:`Kind` row gives

* ``say``  -- its transcript lines (the wording every face uses: the TUI,
  the exports, ``mailsim run``, the sandbox);
* ``draw`` -- its marks on the sequence diagram;
* ``fold`` -- what it changes in the :class:`~simulator.replay.world.World`;
* ``hosts`` -- the hosts it brings onto the diagram, with their addresses;
* ``narrate`` -- what a lesson's narration adds for it (Markdown), if anything.

Adding an event kind to :mod:`simulator.trace` means adding its row here, and
nothing else; a test fails while a kind in ``trace.EVENT_TYPES`` has no row.

``say`` and ``draw`` see the world *before* the event is folded into it;
``draw`` also sees the events after it (``ahead``), which is how a pipelined
group of commands becomes one arrow per command.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from simulator.replay.text import clip, md_escape, seconds, split_lines
from simulator.replay.views import ArrowKind, Level, MessageRow
from simulator.replay.world import World
from simulator.trace import (
    C2S,
    BytesSent,
    CheckStep,
    ClockAdvanced,
    CommandReceived,
    ConnectionClosed,
    ConnectionOpened,
    ConnectionRefused,
    DnsLookup,
    Event,
    ExpectationChecked,
    FaultInjected,
    MailboxChanged,
    MailboxView,
    Note,
    QueueChanged,
    ReplySent,
    Sniffed,
    StateChanged,
    StepStarted,
    TlsFailed,
    TlsRecord,
    TlsStarted,
    WireAltered,
)

DNS = "DNS"  # the participant a diagram with room draws DNS answers from
DNS_ANSWER_WIDTH = 72  # characters of an answer a transcript line shows


@dataclass(frozen=True, slots=True)
class Said:
    """One transcript line an event says (the reader adds the step and the event)."""

    text: str
    side: str = "*"  # "C", "S" or "*"
    level: Level = "main"
    conn: str = ""
    who: str = ""


@dataclass(frozen=True, slots=True)
class Mark:
    """One arrow or note an event draws (the reader adds the step and the seq)."""

    src: str
    dst: str
    kind: ArrowKind
    label: str
    lines: tuple[str, ...] = ()
    conn: str = ""


Say = Callable[[Any, World], Iterable[Said]]
Draw = Callable[[Any, World, Iterable[Event]], Iterable[Mark]]  # event, world before it, the events after it
Fold = Callable[[World, Any, int], None]
Hosts = Callable[[Any], Iterable[tuple[str, str]]]
Narrate = Callable[[Any], Iterable[str]]


def _nothing(*_: object) -> tuple[()]:
    return ()


def _no_fold(world: World, event: Event, step: int) -> None:
    pass


@dataclass(frozen=True, slots=True)
class Kind:
    """The row of one event kind; a kind that says, draws or changes nothing leaves that field out."""

    say: Say = _nothing
    draw: Draw = _nothing
    fold: Fold = _no_fold
    hosts: Hosts = _nothing
    narrate: Narrate = _nothing


# --- shared wording -------------------------------------------------------------------


def unit_label(lines: Sequence[str]) -> str:
    """The one-line label of an arrow that carries ``lines``."""
    if not lines:
        return "(empty)"
    label = clip(lines[0])
    return label + (f"  (+{len(lines) - 1} lines)" if len(lines) > 1 else "")


def _host_note(host: str, text: str) -> Mark:
    return Mark(host, host, "note", text, (text,))


def _everyone(text: str, kind: ArrowKind = "note") -> Mark:
    return Mark("", "", kind, text, (text,))


def _answer(event: DnsLookup) -> str:
    return ", ".join(event.answers) if event.answers else (event.error or "no answer")


# --- connections ------------------------------------------------------------------------


def _opened_say(e: ConnectionOpened, w: World) -> Iterable[Said]:
    yield Said(f"{e.conn}: {e.client_host} ({e.client_addr}) → {e.server_host} ({e.server_addr}) "
               f"port {e.port} ({e.service})", conn=e.conn)


def _opened_draw(e: ConnectionOpened, w: World, ahead: Iterable[Event]) -> Iterable[Mark]:
    label = f"connect :{e.port} ({e.service})"
    yield Mark(e.client_host, e.server_host, "connect", label, (label,), e.conn)


def _opened_fold(w: World, e: ConnectionOpened, step: int) -> None:
    w.conns[e.conn] = e
    w.current_conn = e.conn


def _closed_say(e: ConnectionClosed, w: World) -> Iterable[Said]:
    why = f" ({e.reason})" if e.reason else ""
    yield Said(f"{e.conn}: closed by {e.by}{why}", conn=e.conn)


def _closed_draw(e: ConnectionClosed, w: World, ahead: Iterable[Event]) -> Iterable[Mark]:
    src, dst = w.hosts_of(e.conn, c2s=e.by != "server")
    if src:
        label = "close" + (f" ({e.reason})" if e.reason else "")
        yield Mark(src, dst, "close", label, (label,), e.conn)


def _closed_fold(w: World, e: ConnectionClosed, step: int) -> None:
    w.closed.add(e.conn)
    w.unsent.pop(e.conn, None)


def _refused_say(e: ConnectionRefused, w: World) -> Iterable[Said]:
    yield Said(f"{e.client_host} → {e.server_host} port {e.port}: {e.reason}")


def _refused_draw(e: ConnectionRefused, w: World, ahead: Iterable[Event]) -> Iterable[Mark]:
    yield Mark(e.client_host, e.server_host, "refused", f"✗ :{e.port} {e.reason}",
               (f"connect to port {e.port}: {e.reason}",))


# --- bytes: one arrow per command and per reply -------------------------------------------


def _bytes_say(e: BytesSent, w: World) -> Iterable[Said]:
    c2s = e.direction == C2S
    who = w.hosts_of(e.conn, c2s=c2s)[0]
    side = "C" if c2s else "S"
    for line in split_lines(e.plaintext):
        yield Said(line, side, conn=e.conn, who=who)


def units(e: BytesSent, w: World, ahead: Iterable[Event]) -> list[tuple[str, ...]]:
    """The lines of a chunk of bytes, grouped into the commands or replies they carry.

    The machines say where the boundaries are, without any protocol parsing
    here: a server records each reply (``ReplySent``, one text entry per line)
    before its bytes leave, and each command it parsed (``CommandReceived``)
    after the bytes arrive. So a pipelined ``MAIL``/``RCPT``/``DATA`` chunk is
    three commands, and its answer ``250``/``550``/``554`` three replies; a
    chunk of message text with its final dot is one unit.
    """
    lines = split_lines(e.plaintext)
    if not lines:
        flight = _tls_flight(e, ahead)
        return [flight] if flight else [()]
    if e.direction == C2S:
        commands = 0
        for later in ahead:
            if isinstance(later, CommandReceived) and later.conn == e.conn:
                commands += 1
            elif (isinstance(later, BytesSent) and later.conn == e.conn and later.direction == C2S) or (
                    isinstance(later, ConnectionClosed) and later.conn == e.conn):
                break
        if commands >= len(lines):
            return [(line,) for line in lines]
        if commands <= 1:
            return [tuple(lines)]
        head = len(lines) - commands + 1  # message text, then what was pipelined after its end
        return [tuple(lines[:head]), *[(line,) for line in lines[head:]]]
    sizes = [max(1, len(r.text)) for r in w.unsent.get(e.conn, ())]
    if sum(sizes) != len(lines) or len(sizes) <= 1:
        return [tuple(lines)]
    out, at = [], 0
    for size in sizes:
        out.append(tuple(lines[at : at + size]))
        at += size
    return out


def _tls_flight(e: BytesSent, ahead: Iterable[Event]) -> tuple[str, ...]:
    """A handshake flight (bytes no endpoint reads as plaintext) as one unit: what its records carry."""
    carried = []
    for later in ahead:
        if isinstance(later, TlsRecord) and later.conn == e.conn and later.direction == e.direction:
            carried.append(", ".join(later.handshake_types) or later.decrypted or later.content_type)
        elif isinstance(later, BytesSent) and later.conn == e.conn:
            break
    return (f"TLS {', '.join(carried)}",) if carried else ()


def _bytes_draw(e: BytesSent, w: World, ahead: Iterable[Event]) -> Iterable[Mark]:
    c2s = e.direction == C2S
    src, dst = w.hosts_of(e.conn, c2s=c2s)
    for unit in units(e, w, ahead):
        yield Mark(src, dst, "command" if c2s else "reply", unit_label(unit), unit, e.conn)


def _bytes_fold(w: World, e: BytesSent, step: int) -> None:
    w.current_conn = e.conn
    if e.direction != C2S:
        w.unsent.pop(e.conn, None)


# --- machines ------------------------------------------------------------------------------


def _command_fold(w: World, e: CommandReceived, step: int) -> None:
    w.see_machine(e.conn, e.machine)
    w.current_conn = e.conn or w.current_conn


def _reply_fold(w: World, e: ReplySent, step: int) -> None:
    w.see_machine(e.conn, e.machine)
    w.current_conn = e.conn or w.current_conn
    w.unsent.setdefault(e.conn, []).append(e)


def _state_say(e: StateChanged, w: World) -> Iterable[Said]:
    yield Said(f"{e.conn} {e.machine}: {e.from_state} → {e.to_state} on {e.trigger}", level="detail",
               conn=e.conn)


def _state_fold(w: World, e: StateChanged, step: int) -> None:
    w.move(e, step)
    w.current_conn = e.conn or w.current_conn


# --- DNS, TLS, checks ------------------------------------------------------------------------


def _dns_say(e: DnsLookup, w: World) -> Iterable[Said]:
    answer = _answer(e)
    if len(answer) > DNS_ANSWER_WIDTH:  # a DKIM key: the DNS tab and the check's own step show all of it
        answer = f"{answer[:DNS_ANSWER_WIDTH - 1]}… ({len(answer)} characters)"
    yield Said(f"DNS {e.asker}: {e.name} {e.rtype}? → {answer}")


def _dns_draw(e: DnsLookup, w: World, ahead: Iterable[Event]) -> Iterable[Mark]:
    question = f"{e.name} {e.rtype}?"
    yield Mark(e.asker, e.asker, "dns", f"DNS {question} {_answer(e)}", (question, _answer(e)))


def _tls_say(e: TlsRecord, w: World) -> Iterable[Said]:
    side = "C" if e.direction == C2S else "S"
    # A length that depends on a randomised signature is not printed: the transcript reads the same every run.
    size = ("its length varies with a randomised signature" if e.length_varies
            else f"{e.length} byte{'' if e.length == 1 else 's'}")
    if e.encrypted:
        inside = f", decrypted: {e.decrypted}" if e.decrypted else ""
        yield Said(f"{e.conn} {side}: TLS {e.content_type}, encrypted ({size}){inside}", conn=e.conn)
    else:
        kinds = f" {', '.join(e.handshake_types)}" if e.handshake_types else ""
        what = f": {e.decrypted}" if e.decrypted else ""
        yield Said(f"{e.conn} {side}: TLS {e.content_type}{kinds} ({size}){what}", conn=e.conn)
    for line in e.fields:
        yield Said(f"{e.conn}     {line}", level="detail", conn=e.conn)


def _tls_failed_say(e: TlsFailed, w: World) -> Iterable[Said]:
    how = "STARTTLS" if e.mode == "starttls" else "implicit TLS"
    yield Said(f"{e.conn}: TLS handshake failed ({how})", level="alert", conn=e.conn)
    if e.client_reason:
        yield Said(f"{e.conn}: client: {e.client_reason}", level="alert", conn=e.conn)
    if e.server_reason:
        yield Said(f"{e.conn}: server: {e.server_reason}", level="alert", conn=e.conn)


def _tls_started_say(e: TlsStarted, w: World) -> Iterable[Said]:
    how = "STARTTLS" if e.mode == "starttls" else "implicit TLS"
    yield Said(f"{e.conn}: TLS layer started ({how}): {e.layer}", conn=e.conn)
    if e.discarded:
        yield Said(f"{e.conn}: {len(e.discarded)} plaintext bytes sent after STARTTLS were discarded, "
                   "not read as if they came over TLS (CVE-2011-0411)", level="alert", conn=e.conn)
    if e.replayed:
        yield Said(f"{e.conn}: VULNERABLE SERVER: it reads the {len(e.replayed)} plaintext bytes sent after "
                   "STARTTLS as if they came over TLS (the CVE-2011-0411 bug)", level="alert", conn=e.conn)


def _tls_started_narrate(e: TlsStarted) -> Iterable[str]:
    for data, said in ((e.discarded, "🛡 **Discarded**: {n} plaintext bytes sent after STARTTLS ({lines}), "
                                      "not read as if they came over TLS (CVE-2011-0411)"),
                       (e.replayed, "⚠ **Vulnerable server**: it reads {n} plaintext bytes sent after STARTTLS "
                                    "({lines}) as if they came over TLS (the CVE-2011-0411 bug)")):
        if data:
            lines = ", ".join(f"`{line.replace('`', chr(39))}`" for line in split_lines(data)[:4])  # code spans
            yield said.format(n=len(data), lines=lines)


def _altered_text(e: WireAltered) -> str:
    return f"the man in the middle ({e.attacker}) {'; '.join(e.changes) or 'changed the bytes'}"


def _altered_say(e: WireAltered, w: World) -> Iterable[Said]:
    yield Said(f"{e.conn}: {_altered_text(e)}", level="alert", conn=e.conn)


def _altered_draw(e: WireAltered, w: World, ahead: Iterable[Event]) -> Iterable[Mark]:
    yield Mark(e.attacker, e.attacker, "fault", f"✂ {'; '.join(e.changes)}", tuple(e.changes), e.conn)


def _altered_narrate(e: WireAltered) -> Iterable[str]:
    yield f"✂ **Man in the middle** ({md_escape(e.attacker)}): {md_escape('; '.join(e.changes))}"


def sniffed_text(e: Sniffed) -> str:
    """What the eavesdropper learned from one capture, as one phrase (every face says it so)."""
    if e.what == "login":
        if e.secret:
            return f"reads {e.how}: user {e.user!r}, password {e.secret!r}"
        return f"reads {e.how}: user {e.user!r}; {e.text}"
    if e.what == "message":
        lines = split_lines(e.text.encode("utf-8"))
        subject = next((line for line in lines if line.lower().startswith("subject:")), "")
        return f"reads the message ({e.how}, {len(lines)} lines){': ' + clip(subject) if subject else ''}"
    if e.what == "tls":
        return "sees TLS begin: from here on only records (type, length), not what they carry"
    return f"sees TLS records only: {e.text}"


def _sniffed_say(e: Sniffed, w: World) -> Iterable[Said]:
    if e.what == "records":
        # Not said line by line: the TLS records themselves are (the lengths a randomised signature
        # changes are said to vary there, so the transcript reads the same every run).
        return
    level: Level = "alert" if e.what in ("login", "message") else "main"
    yield Said(f"{e.conn}: the eavesdropper ({e.attacker}) {sniffed_text(e)}", level=level, conn=e.conn)


def _sniffed_draw(e: Sniffed, w: World, ahead: Iterable[Event]) -> Iterable[Mark]:
    if e.what != "records":  # a record's length is no news worth an arrow
        text = f"👂 {sniffed_text(e)}"
        yield Mark(e.attacker, e.attacker, "fault" if e.what != "tls" else "note", clip(text), (text,), e.conn)


def _sniffed_narrate(e: Sniffed) -> Iterable[str]:
    if e.what != "records":
        yield f"👂 **Eavesdropper** ({md_escape(e.attacker)}): {md_escape(sniffed_text(e))}"


def _check_text(e: CheckStep) -> str:
    said = e.result and e.result in e.text.partition("\n")[0]  # "SPF result for ...: pass" needs no "→ pass"
    return f"{e.check.upper()}: {e.text}" + (f" → {e.result}" if e.result and not said else "")


def _check_say(e: CheckStep, w: World) -> Iterable[Said]:
    # A check's reasoning is detail (the Checks tab shows it all); its verdict is main, so an
    # SMTP lesson reads one line per check where mail arrives.
    yield Said(f"{e.host} {_check_text(e)}", level="main" if e.result else "detail")


def _check_draw(e: CheckStep, w: World, ahead: Iterable[Event]) -> Iterable[Mark]:
    if e.result:
        yield _host_note(e.host, _check_text(e).partition("\n")[0])


# --- mailboxes and queues ----------------------------------------------------------------------

def _message_of(e: MailboxChanged) -> str:
    subject = f' "{e.subject}"' if e.subject else ""
    return f"{e.user} {e.folder} UID {e.uid}{subject}"


def _flags_of(e: MailboxChanged) -> str:
    return " ".join(e.flags) if e.flags else "(none)"


# What each action says, after "mailbox on HOST: ". An action this table lacks says its name.
_MAILBOX_TEXT: dict[str, Callable[[MailboxChanged], str]] = {
    "delivered": lambda e: f"delivered to {_message_of(e)}",
    "appended": lambda e: f"appended to {_message_of(e)}" + (f", flags {_flags_of(e)}" if e.flags else ""),
    "flags": lambda e: f"flags changed in {_message_of(e)}: {_flags_of(e)}",
    "expunged": lambda e: f"expunged from {_message_of(e)}",
    "copied": lambda e: f"copied {_message_of(e)} to {e.dest} UID {e.dest_uid}",
    "moved": lambda e: f"moved {_message_of(e)} to {e.dest} UID {e.dest_uid}",
    "created": lambda e: f"created {e.user} {e.folder}" + (f" ({e.special_use})" if e.special_use else ""),
    "deleted": lambda e: f"deleted {e.user} {e.folder}",
    "renamed": lambda e: f"renamed {e.user} {e.folder} to {e.dest}"
                         + (" (its messages move, INBOX stays and is empty)" if e.folder == "INBOX" else ""),
    "subscribed": lambda e: f"{e.user} subscribed to {e.folder}",
    "unsubscribed": lambda e: f"{e.user} unsubscribed from {e.folder}",
    "locked": lambda e: f"maildrop of {e.user} locked (POP3 session)",
    "unlocked": lambda e: f"maildrop of {e.user} unlocked",
}

# Bookkeeping a verbose run shows and the diagram does not draw.
_MAILBOX_DETAIL = frozenset({"created", "subscribed", "unsubscribed", "locked", "unlocked"})


def _mailbox_text(e: MailboxChanged) -> str:
    text = _MAILBOX_TEXT.get(e.action)
    return text(e) if text is not None else f"{e.action} {e.user} {e.folder}"


def _mailbox_say(e: MailboxChanged, w: World) -> Iterable[Said]:
    yield Said(f"mailbox on {e.host}: {_mailbox_text(e)}", level="detail" if e.action in _MAILBOX_DETAIL else "main")


def _mailbox_draw(e: MailboxChanged, w: World, ahead: Iterable[Event]) -> Iterable[Mark]:
    if e.action not in _MAILBOX_DETAIL:
        yield _host_note(e.host, _mailbox_text(e))


def _mailbox_hosts(e: MailboxChanged) -> list[tuple[str, str]]:
    return [] if e.action in _MAILBOX_DETAIL else [(e.host, "")]


def _row(e: MailboxChanged, uid: int) -> MessageRow:
    return MessageRow(uid, e.subject, tuple(e.flags), e.size, e.message_id)


def _fold_new(w: World, e: MailboxChanged) -> None:
    w.box(e.host, e.user, e.folder)[e.uid] = _row(e, e.uid)


def _fold_flags(w: World, e: MailboxChanged) -> None:
    box = w.box(e.host, e.user, e.folder)
    old = box.get(e.uid)
    box[e.uid] = _row(e, e.uid) if old is None else MessageRow(old.uid, old.subject, tuple(e.flags), old.size,
                                                                 old.message_id)


def _fold_expunged(w: World, e: MailboxChanged) -> None:
    w.box(e.host, e.user, e.folder).pop(e.uid, None)


def _fold_copied(w: World, e: MailboxChanged) -> None:
    w.box(e.host, e.user, e.dest)[e.dest_uid] = _row(e, e.dest_uid)


def _fold_moved(w: World, e: MailboxChanged) -> None:
    _fold_copied(w, e)
    _fold_expunged(w, e)


def _fold_created(w: World, e: MailboxChanged) -> None:
    w.box(e.host, e.user, e.folder)


def _fold_deleted(w: World, e: MailboxChanged) -> None:
    w.mailboxes.pop((e.host, e.user, e.folder), None)


def _fold_renamed(w: World, e: MailboxChanged) -> None:
    # The store records one "renamed" per folder, inferiors included, so this moves one box.
    w.mailboxes[(e.host, e.user, e.dest)] = w.mailboxes.pop((e.host, e.user, e.folder), {})
    if e.folder == "INBOX":  # RFC 9051 6.3.6: INBOX stays, empty
        w.box(e.host, e.user, "INBOX")


_MAILBOX_FOLDS: dict[str, Callable[[World, MailboxChanged], None]] = {
    "delivered": _fold_new,
    "appended": _fold_new,
    "flags": _fold_flags,
    "expunged": _fold_expunged,
    "copied": _fold_copied,
    "moved": _fold_moved,
    "created": _fold_created,
    "deleted": _fold_deleted,
    "renamed": _fold_renamed,
}


# Bookkeeping that does not count as touching a folder when the world's setup (step 0) does it.
_SETUP_ONLY = frozenset({"created", "subscribed", "unsubscribed"})


def _mailbox_fold(w: World, e: MailboxChanged, step: int) -> None:
    fold = _MAILBOX_FOLDS.get(e.action)
    if fold is not None:
        fold(w, e)
    if e.action == "locked":
        w.locked.add((e.host, e.user))
    elif e.action == "unlocked":
        w.locked.discard((e.host, e.user))
    elif e.action == "deleted":
        w.touched.discard((e.host, e.user, e.folder))
    elif step > 0 or e.action not in _SETUP_ONLY:
        w.touched.add((e.host, e.user, e.folder))
        if e.dest:
            w.touched.add((e.host, e.user, e.dest))


def _view_text(e: MailboxView) -> str:
    who = e.peer or e.conn
    if not e.folder:
        return f"{who} has no mailbox selected on {e.host}"
    count = len(e.uids)
    shown = ", ".join(f"{uid}" + (f" ({flags})" if flags else "")
                      for uid, flags in zip(e.uids, e.flags, strict=False))
    mode = " read-only" if e.read_only else ""
    return (f"{who} believes {e.user} {e.folder}{mode} holds {count} message{'s' if count != 1 else ''}"
            + (f": UIDs {clip(shown, 120)}" if shown else ""))


def _view_fold(w: World, e: MailboxView, step: int) -> None:
    if e.folder:
        w.views[e.conn] = e
        w.touched.add((e.host, e.user, e.folder))
    else:
        w.views.pop(e.conn, None)


def _queue_text(e: QueueChanged) -> str:
    rcpts = ", ".join(e.recipients)
    extra = f" ({e.detail})" if e.detail else ""
    retry = f", next attempt at {seconds(e.next_attempt)}" if e.action == "deferred" else ""
    return f"{e.action} {rcpts}{extra}{retry}"


def _queue_fold(w: World, e: QueueChanged, step: int) -> None:
    w.queues[(e.host, e.queue_id)] = e


# --- the scenario's own events ------------------------------------------------------------------


def _step_say(e: StepStarted, w: World) -> Iterable[Said]:
    yield Said(f"{e.step_id}: {e.title}" if e.title else e.step_id, level="heading")


def _expectation_say(e: ExpectationChecked, w: World) -> Iterable[Said]:
    if e.ok:
        yield Said(f"expectation met ({e.what}): {e.detail}", level="detail")
    else:
        yield Said(f"EXPECTATION FAILED ({e.what}): {e.detail}", level="alert")


def _fault_text(e: FaultInjected) -> str:
    return f"⚡ {e.detail or e.fault}"


KINDS: dict[type[Event], Kind] = {
    StepStarted: Kind(say=_step_say),
    ExpectationChecked: Kind(say=_expectation_say, narrate=lambda e: (
        [] if e.ok else [f"✗ **Expectation failed** ({md_escape(e.what)}): {md_escape(e.detail)}"])),
    Note: Kind(say=lambda e, w: [Said(f"note: {e.text}")],
               draw=lambda e, w, ahead: [_everyone(f"✎ {e.text}")], narrate=lambda e: [f"✎ *{md_escape(e.text)}*"]),
    FaultInjected: Kind(say=lambda e, w: [Said(f"FAULT {e.fault}: {e.detail}")],
                        draw=lambda e, w, ahead: [_everyone(_fault_text(e), "fault")],
                        narrate=lambda e: [f"⚡ **Fault injected** ({md_escape(e.fault)}): {md_escape(e.detail)}"]),
    ConnectionOpened: Kind(say=_opened_say, draw=_opened_draw, fold=_opened_fold,
                           hosts=lambda e: [(e.client_host, e.client_addr), (e.server_host, e.server_addr)]),
    ConnectionClosed: Kind(say=_closed_say, draw=_closed_draw, fold=_closed_fold),
    ConnectionRefused: Kind(say=_refused_say, draw=_refused_draw,
                            hosts=lambda e: [(e.client_host, ""), (e.server_host, e.server_addr)]),
    BytesSent: Kind(say=_bytes_say, draw=_bytes_draw, fold=_bytes_fold),
    DnsLookup: Kind(say=_dns_say, draw=_dns_draw, hosts=lambda e: [(e.asker, "")]),
    ClockAdvanced: Kind(say=lambda e, w: [Said(f"clock advanced by {seconds(e.seconds)}")],
                        draw=lambda e, w, ahead: [_everyone(f"{seconds(e.seconds)} later")]),  # the clock itself is every event's ``t``
    CommandReceived: Kind(fold=_command_fold),
    ReplySent: Kind(fold=_reply_fold),
    StateChanged: Kind(say=_state_say, fold=_state_fold),
    TlsRecord: Kind(say=_tls_say),
    TlsFailed: Kind(say=_tls_failed_say),
    TlsStarted: Kind(say=_tls_started_say, narrate=_tls_started_narrate),
    WireAltered: Kind(say=_altered_say, draw=_altered_draw, narrate=_altered_narrate,
                      hosts=lambda e: [(e.attacker, "")]),
    Sniffed: Kind(say=_sniffed_say, draw=_sniffed_draw, narrate=_sniffed_narrate, hosts=lambda e: [(e.attacker, "")]),
    CheckStep: Kind(say=_check_say, draw=_check_draw, hosts=lambda e: [(e.host, "")]),
    MailboxChanged: Kind(say=_mailbox_say, draw=_mailbox_draw, fold=_mailbox_fold, hosts=_mailbox_hosts),
    MailboxView: Kind(say=lambda e, w: [Said(_view_text(e), level="detail", conn=e.conn)], fold=_view_fold),
    QueueChanged: Kind(say=lambda e, w: [Said(f"queue on {e.host}: {e.queue_id} {_queue_text(e)}")],
                       draw=lambda e, w, ahead: [_host_note(e.host, f"queue {e.queue_id}: {_queue_text(e)}")], fold=_queue_fold,
                       hosts=lambda e: [(e.host, "")]),
}

UNKNOWN = Kind(say=lambda e, w: [Said(f"{e.kind} (an event this mailsim cannot describe)", level="detail")])


def kind_of(event: Event) -> Kind:
    """The row of ``event``'s kind (a generic one for a kind added without a row)."""
    return KINDS.get(type(event), UNKNOWN)
