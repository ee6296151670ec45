"""The plain-Python side of the TUI: the player, quiz checking, progress, the sandbox."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulator.lesson.player import Player
from simulator.lesson.progress import ProgressStore
from simulator.lesson.quiz import check, matches
from simulator.scenario.loader import load_scenario
from simulator.scenario.models import Ask
from simulator.scenario.runner import run_scenario
from simulator.trace import MailboxChanged, StateChanged, Trace


def _player(fixtures: Path, name: str) -> Player:
    return Player.from_result(run_scenario(load_scenario(fixtures / "scenarios" / f"{name}.yaml")))


def test_step_views_are_rederived_not_reversed(fixtures: Path) -> None:
    player = _player(fixtures, "typed-session")
    forward = []
    for i in range(player.count):
        player.go(i)
        v = player.view()
        forward.append(([(m.machine, m.state) for m in v.machines], v.mailboxes, player.upto("arrows")))
    for i in reversed(range(player.count)):
        player.go(i)
        v = player.view()
        assert ([(m.machine, m.state) for m in v.machines], v.mailboxes, player.upto("arrows")) == forward[i]
    # A fresh player asked for a late step directly agrees with the walk.
    fresh = _player(fixtures, "typed-session")
    assert [(m.machine, m.state) for m in fresh.view(player.count - 1).machines] == forward[-1][0]


def test_machine_states_follow_the_trace(fixtures: Path) -> None:
    player = _player(fixtures, "typed-session")
    states = [dict(player.view(i).machines and {m.machine: m.state for m in player.view(i).machines})
              for i in range(player.count)]
    ids = [s.step_id for s in player.steps]
    assert states[ids.index("connect")] == {"smtp.server": "EXPECT_EHLO"}
    assert states[ids.index("rcpt")] == {"smtp.server": "EXPECT_RCPT_OR_DATA"}
    assert states[ids.index("quit")] == {"smtp.server": "CLOSED"}
    last = player.view(ids.index("rcpt")).machines[0].last
    assert (last.from_state, last.trigger, last.to_state) == ("EXPECT_RCPT", "RCPT", "EXPECT_RCPT_OR_DATA")


def test_mailboxes_fold_delivered_messages(fixtures: Path) -> None:
    player = _player(fixtures, "relay-mini")
    ids = [s.step_id for s in player.steps]
    before = player.view(ids.index("submit")).mailboxes
    after = player.view(ids.index("relay")).mailboxes
    assert before[("mx.example.net", "bob@example.net", "INBOX")] == []
    assert [m.subject for m in after[("mx.example.net", "bob@example.net", "INBOX")]] == ["Test message"]
    delivered, view, count, new = player.message(ids.index("relay"))
    assert delivered is not None and view is not None and new and count == 1
    assert len(view.received) == 2  # the submission server's hop and the MX's
    assert player.message(ids.index("submit"))[0] is None


def test_arrows_and_transcript_grow_with_the_steps(fixtures: Path) -> None:
    player = _player(fixtures, "relay-mini")
    counts = [player.upto("arrows", i) for i in range(player.count)]
    assert counts == sorted(counts) and counts[-1] == len(player.arrows)
    assert [h.name for h in player.hosts] == ["alice-laptop", "mail.example.org", "mx.example.net"]
    assert any(a.kind == "dns" and "MX?" in a.label for a in player.arrows)
    assert any(t.side == "C" and t.text.startswith("EHLO") for t in player.transcript)


def test_questions_block_until_answered(fixtures: Path) -> None:
    scenario = load_scenario(fixtures / "scenarios" / "typed-session.yaml")
    player = Player.from_result(run_scenario(scenario), )
    ids = [s.step_id for s in player.steps]
    ehlo = ids.index("ehlo")
    assert player.first_unanswered_before(player.count - 1) == ehlo
    result = player.answer(ehlo, "354")
    assert not result.correct and result.expected == "250"
    assert player.pending_ask(ehlo) is None
    assert "not quite" in player.narration(ehlo)


@pytest.mark.parametrize(("answer", "given", "ok"), [
    ("250", "250", True), ("250", " 250 OK", True), ("250", "2500", False), ("250", "220", False),
    ("EXPECT_RCPT_OR_DATA", "expect rcpt or data", True), ("EXPECT_RCPT_OR_DATA", "EXPECT-RCPT", False),
    ("MX", "mx", True), ("MX", "", False),
])
def test_typed_answers_are_forgiving_where_it_does_not_matter(answer: str, given: str, ok: bool) -> None:
    assert matches(answer, given) is ok


def test_multiple_choice_checks_the_choice() -> None:
    ask = Ask(prompt="?", choices=["A", "MX"], answer="MX", why="because")
    assert check(ask, "MX").correct
    assert not check(ask, "A").correct


def test_progress_round_trip_and_first_answer_counts(tmp_path: Path) -> None:
    path = tmp_path / "p" / "progress.json"
    store = ProgressStore(path)
    store.record_answer("l1", "ehlo", False)
    store.record_answer("l1", "ehlo", True)  # a second try does not change the score
    store.record_answer("l1", "rcpt", True)
    store.set_position("l1", 4, done=True)
    again = ProgressStore(path).get("l1")
    assert again.done and again.last_step == 4 and (again.right, again.answered) == (1, 2)
    assert json.loads(path.read_text())["lessons"]["l1"]["answers"] == {"ehlo": False, "rcpt": True}


def test_progress_survives_a_corrupt_file(tmp_path: Path) -> None:
    path = tmp_path / "progress.json"
    path.write_text("{not json")
    store = ProgressStore(path)
    assert store.get("x").answered == 0
    assert (tmp_path / "progress.json.bad").exists()


def test_progress_lives_in_the_data_dir_override(_private_data_dir: Path) -> None:
    store = ProgressStore()
    store.set_position("l", 1)
    assert (_private_data_dir / "progress.json").is_file()


def test_sandbox_session_to_221() -> None:
    from simulator.lesson.sandbox import Sandbox, available_protocols

    assert "smtp" in available_protocols()
    box = Sandbox("smtp")
    assert box.state == "EXPECT_EHLO"
    assert "EHLO" in box.valid_commands() and "MAIL" not in box.valid_commands()
    for line in ["EHLO me.example", "MAIL FROM:<alice@example.org>", "RCPT TO:<bob@example.net>", "DATA",
                 "Subject: hi", "", "hello", "."]:
        box.send(line)
    assert box.state == "EXPECT_MAIL"
    assert [m.subject for m in box.mailboxes()[("mx.example.net", "bob@example.net", "INBOX")]] == ["hi"]
    out = box.send("QUIT")
    assert any(o.side == "S" and o.text.startswith("221") for o in out)
    assert box.closed and box.state == "CLOSED" and box.valid_commands() == []
    box.connect()
    assert box.state == "EXPECT_EHLO" and not box.closed


def test_a_synthetic_long_trace_folds_in_one_pass() -> None:
    from simulator.lesson.synthetic import synthetic_trace

    player = Player(synthetic_trace(10_000))
    assert len(player.trace) >= 10_000
    last = player.view(player.count - 1)
    assert last.machines[0].state == "CLOSED"
    boxes = last.mailboxes[("mx.example.net", "bob@example.net", "INBOX")]
    assert len(boxes) == len(player.arrived)
    assert player.upto("arrows", player.count - 1) == len(player.arrows)


def test_player_handles_an_empty_trace() -> None:
    player = Player(Trace())
    assert player.count == 1
    assert player.view().machines == ()


def test_state_changes_are_rows_of_the_table(fixtures: Path) -> None:
    from simulator.protocols.machine import TABLES

    player = _player(fixtures, "relay-mini")
    for event in player.trace.events:
        if isinstance(event, StateChanged):
            assert TABLES[event.machine].lookup(event.from_state, event.trigger) is not None
        if isinstance(event, MailboxChanged):
            assert event.host


def test_narration_keeps_smtp_paths_visible() -> None:
    from rich.console import Console
    from rich.markdown import Markdown

    from simulator.lesson.player import md_escape
    from simulator.tui.widgets.narration import unwrap

    text = "**" + md_escape("C: MAIL FROM:<alice@example.org>") + "**\n\nRCPT TO:<bob@example.net> then `<x@y>`."
    console = Console(width=100, color_system=None, record=True)
    console.print(Markdown(unwrap(text)))
    out = console.export_text()
    assert "C: MAIL FROM:<alice@example.org>" in out
    assert "RCPT TO:<bob@example.net>" in out and "\\" not in out


@pytest.mark.parametrize(("answer", "given", "ok", "note"), [
    # a bare code asks for the code; an added enhanced code is named as unchecked
    ("550", "550", True, ""),
    ("550", "550 5.7.1", True, "Only the reply code is asked for: 550 is checked, the enhanced code 5.7.1 you added is not."),
    ("550", "550 5.1.1 no such user", True, "the enhanced code 5.1.1 you added is not"),
    ("550", "554 5.7.1", False, ""),
    # an answer with an enhanced code needs both
    ("550 5.7.1", "550 5.7.1", True, ""),
    ("550 5.7.1", "550-5.7.1 Relaying denied", True, ""),
    ("550 5.7.1", "550", False, "The enhanced code is part of the answer: 550 5.7.1."),
    ("550 5.7.1", "550 5.1.1", False, "The enhanced code is part of the answer: 550 5.7.1."),
    ("550 5.7.1", "551 5.7.1", False, ""),
])
def test_typed_reply_codes_match_as_far_as_the_answer_goes(answer: str, given: str, ok: bool, note: str) -> None:
    ask = Ask(prompt="Which reply?", answer=answer, why="RFC 5321 section 3.6.2.")
    result = check(ask, given)
    assert result.correct is ok
    if note:
        assert note in result.why and result.why.endswith("RFC 5321 section 3.6.2.")
    else:
        assert result.why == "RFC 5321 section 3.6.2."
    assert (note in result.markdown()) if note else True


def test_a_chosen_answer_gets_no_reply_code_note() -> None:
    ask = Ask(prompt="?", choices=["550", "550 5.7.1"], answer="550", why="because")
    assert check(ask, "550 5.7.1").correct is False and check(ask, "550 5.7.1").why == "because"


def test_quiz_verdicts_read_as_one_sentence() -> None:
    from simulator.lesson.quiz import QuizResult

    wrong = QuizResult(prompt="?", given="250", expected="354", correct=False).markdown()
    assert wrong == "✗ **You predicted** `250`, not quite; the answer is **354**."
    right = QuizResult(prompt="?", given="354", expected="354", correct=True).markdown()
    assert right == "✓ **You predicted** `354`: right."


def test_counts_in_labels_are_singular_or_plural() -> None:
    from rich.console import Console

    from simulator.tui.widgets.panes import EventsPane

    pane = EventsPane()
    pane.s = lambda name: ""  # no app: plain styles
    for lines, label in ((["ConnectionOpened  c1"], "step 1: 1 event"), (["a", "b"], "step 1: 2 events")):
        console = Console(width=80, color_system=None, record=True)
        console.print(pane.render_model(("step 1", lines)))
        assert console.export_text().splitlines()[0] == label


def test_the_state_pane_names_what_moves_a_machine_without_a_command() -> None:
    from simulator.protocols.registry import machine_tables
    from simulator.tui.widgets.states import _others_from

    text = _others_from(machine_tables()["smtp.server"], "EXPECT_MAIL")
    # Named, grouped by where they lead, instead of a bare "(+4 events)".
    assert text == "too many errors, idle timeout, shutdown or peer closed → CLOSED"
