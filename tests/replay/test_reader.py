"""The one reader of a trace: step index, folds with checkpoints, one wording per kind, arrows."""

from __future__ import annotations

import dataclasses

import pytest

from simulator import trace as trace_module
from simulator.content import scenarios_dir
from simulator.lesson.synthetic import synthetic_trace
from simulator.replay import CHECKPOINT, KINDS, Live, Replay
from simulator.replay.kinds import kind_of
from simulator.scenario.loader import load_scenario
from simulator.scenario.runner import run_scenario
from simulator.trace import (
    C2S,
    S2C,
    BytesSent,
    CommandReceived,
    ConnectionOpened,
    DnsLookup,
    Event,
    ReplySent,
    StateChanged,
    StepStarted,
    Trace,
)


def stamped(events: list[Event]) -> Trace:
    return Trace(events=[dataclasses.replace(e, seq=n, t=float(n)) for n, e in enumerate(events)])


@pytest.fixture(scope="module")
def errors() -> Replay:
    return Replay(run_scenario(load_scenario(scenarios_dir() / "smtp-errors.yaml")).trace)


@pytest.fixture(scope="module")
def long() -> Replay:
    return Replay(synthetic_trace(3_000))


# --- the step index ---------------------------------------------------------------------


def test_step_of_every_event_is_the_step_that_holds_it(errors: Replay) -> None:
    for step in errors.steps:
        for event in errors.trace.events[step.start : step.end]:
            assert errors.step_of(event.seq) == step.index
    assert [s.step_id for s in errors.steps][:3] == ["setup", "submit", "relay-550"]


def test_per_kind_lists_pair_each_event_with_its_step(errors: Replay) -> None:
    lookups = errors.of(DnsLookup)
    assert lookups and all(isinstance(e, DnsLookup) for _, e in lookups)
    assert [n for n, _ in lookups] == [errors.step_of(e.seq) for _, e in lookups]
    assert all(errors.steps[n].step_id == "relay-550" for n, e in lookups[:2])
    mixed = errors.of(CommandReceived, ReplySent)
    assert [e.seq for _, e in mixed] == sorted(e.seq for _, e in mixed)


def test_step_of_works_when_seq_is_not_the_position() -> None:
    trace = Trace(events=[StepStarted(seq=10, step_id="a"), DnsLookup(seq=11, asker="h", name="x", rtype="A"),
                          StepStarted(seq=20, step_id="b"), DnsLookup(seq=25, asker="h", name="y", rtype="A")])
    replay = Replay(trace)
    assert [replay.step_of(s) for s in (10, 11, 20, 25)] == [0, 0, 1, 1]


# --- folds with checkpoints -------------------------------------------------------------------


def test_the_world_at_a_checkpoint_equals_the_world_folded_from_scratch(long: Replay) -> None:
    assert long.count > 3 * CHECKPOINT
    for step in (0, CHECKPOINT - 1, CHECKPOINT, CHECKPOINT + 1, 2 * CHECKPOINT + 5, long.count - 1):
        kept, scratch = long.world(step), long.world_from_scratch(step)
        assert kept.states() == scratch.states(), step
        assert kept.mailbox_rows() == scratch.mailbox_rows(), step
        assert kept.conns == scratch.conns and kept.closed == scratch.closed
        assert kept.clock == scratch.clock and kept.current_conn == scratch.current_conn


def test_stepping_back_re_derives_the_same_world(long: Replay) -> None:
    forward = [long.world(n).states() for n in range(long.count)]
    backward = [long.world(n).states() for n in reversed(range(long.count))]
    assert backward[::-1] == forward
    # Asking for a late step first, then an early one, changes nothing either.
    fresh = Replay(long.trace)
    assert fresh.world(long.count - 1).states() == forward[-1]
    assert fresh.world(3).states() == forward[3]


def test_machine_states_come_from_the_trace_not_from_the_tables() -> None:
    trace = stamped([
        StepStarted(step_id="one"),
        ConnectionOpened(conn="c1", client_host="a", client_addr="1", server_host="b", server_addr="2",
                         port=25, service="smtp"),
        ReplySent(conn="c1", machine="toy.server", code="220"),
        StepStarted(step_id="two"),
        CommandReceived(conn="c1", machine="toy.server", verb="GO"),
        StateChanged(conn="c1", machine="toy.server", from_state="WAITING", to_state="GOING", trigger="GO"),
    ])
    replay = Replay(trace)
    (before,) = replay.view(0).machines
    assert (before.machine, before.state, before.last) == ("toy.server", "WAITING", None)
    (after,) = replay.view(1).machines
    assert (after.state, after.last.from_state, after.moved) == ("GOING", "WAITING", True)
    # A live reader cannot look ahead: it starts a machine in the state it is handed.
    live = Live({"toy.server": "WAITING"})
    for event in trace.events[:3]:
        live.feed(event)
    assert live.world.states() == {("c1", "toy.server"): "WAITING"}


# --- one wording per kind ----------------------------------------------------------------------


def test_every_event_kind_has_its_row() -> None:
    missing = sorted(kind for kind, cls in trace_module.EVENT_TYPES.items() if cls not in KINDS)
    assert missing == [], f"event kinds without a row in simulator.replay.kinds.KINDS: {missing}"
    assert set(KINDS) <= set(trace_module.EVENT_TYPES.values())


def test_every_face_uses_the_same_words(errors: Replay) -> None:
    from simulator.export.markdown import render as markdown
    from simulator.export.transcript import render as run_transcript
    from simulator.lesson.player import Player

    run = "\n".join(run_transcript(errors.trace))
    page = markdown(errors.trace)
    tui = [t.text for t in Player(errors.trace).transcript if t.side == "*"]
    for _, event in errors.of(ConnectionOpened, DnsLookup):
        (line,) = [s.text for s in kind_of(event).say(event, errors.world(0))]
        assert line in run and f"-- {line}" in page and line in tui
    assert "->" not in run.replace("-->", "")  # one arrow sign: →


# --- every exchange on the diagram ---------------------------------------------------------------


def test_a_pipelined_group_is_one_arrow_per_command_and_per_reply(errors: Replay) -> None:
    step = next(s.index for s in errors.steps if s.step_id == "relay-550")
    labels = [a.label for a in errors.arrows_of(step) if a.kind in ("command", "reply")]
    # SIZE counts the message as the relay sends it (Received and DKIM-Signature included)
    at = next(n for n, label in enumerate(labels) if label.startswith("MAIL FROM:<alice@example.org> SIZE="))
    assert labels[at].removeprefix("MAIL FROM:<alice@example.org> SIZE=").isdigit()
    assert labels[at + 1 : at + 6] == [
        "RCPT TO:<nobody@example.net>", "DATA",
        "250 2.1.0 Sender <alice@example.org> OK", "550 5.1.1 Mailbox <nobody@example.net> does not exist",
        "554 5.5.1 No valid recipients"]


def test_replies_and_message_text_keep_their_lines_together() -> None:
    ehlo = b"250-mx greets you\r\n250-PIPELINING\r\n250 SIZE 100\r\n"
    body = b"Subject: hi\r\n\r\nhello\r\n.\r\n"
    trace = stamped([
        StepStarted(step_id="s"),
        ConnectionOpened(conn="c1", client_host="a", client_addr="1", server_host="b", server_addr="2",
                         port=25, service="smtp"),
        ReplySent(conn="c1", machine="smtp.server", code="250", text=("mx greets you", "PIPELINING", "SIZE 100")),
        BytesSent(conn="c1", direction=S2C, plaintext=ehlo, wire=ehlo),
        BytesSent(conn="c1", direction=C2S, plaintext=body, wire=body),
        CommandReceived(conn="c1", machine="smtp.server", verb="<CRLF>.<CRLF>"),
    ])
    arrows = [a for a in Replay(trace).arrows if a.kind in ("command", "reply")]
    assert [(a.kind, len(a.lines)) for a in arrows] == [("reply", 3), ("command", 4)]
    assert arrows[0].label == "250-mx greets you  (+2 lines)"


def test_the_mermaid_diagram_has_the_pipelined_group() -> None:
    from simulator.export.mermaid import render

    scenario = load_scenario(scenarios_dir() / "smtp-relay-mx.yaml")
    text = render(run_scenario(scenario).trace)
    group = ["h2->>h3: MAIL FROM:#lt;alice@example.org#gt;", "h2->>h3: RCPT TO:#lt;bob@example.net#gt;",
             "h2->>h3: DATA"]
    lines = [line.strip() for line in text.splitlines()]
    starts = [n for n, line in enumerate(lines) if line.startswith(group[0])]
    assert any(lines[n + 1] == group[1] and lines[n + 2] == group[2] for n in starts), text
