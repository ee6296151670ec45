"""The trace: typed events, steps, and a lossless JSON round trip."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from simulator.scenario.loader import load_scenario
from simulator.scenario.runner import run_scenario
from simulator.trace import (
    EVENT_TYPES,
    BytesSent,
    DnsLookup,
    Note,
    Recorder,
    ReplySent,
    StepStarted,
    Trace,
)

ROOT = Path(__file__).resolve().parents[1]


def test_recorder_stamps_seq_and_time() -> None:
    now = [0.0]
    rec = Recorder(lambda: now[0])
    rec.record(Note(text="a"))
    now[0] = 2.5
    event = rec.record(ReplySent(machine="smtp.server", code="250", text=("OK",)), conn="c1")
    assert (event.seq, event.t, event.conn) == (1, 2.5, "c1")
    assert [e.seq for e in rec.trace] == [0, 1]


def test_events_are_frozen_and_keyword_only() -> None:
    note = Note(text="x")
    with pytest.raises(AttributeError):
        note.text = "y"  # type: ignore[misc]
    with pytest.raises(TypeError):
        Note("x")  # type: ignore[misc]


def test_every_event_kind_is_registered_once() -> None:
    kinds = [cls.kind for cls in EVENT_TYPES.values()]
    assert len(kinds) == len(set(kinds))
    assert all(":" in k for k in kinds)  # category:event, after qlog


def test_json_round_trip_keeps_bytes_and_tuples() -> None:
    trace = Trace(meta={"scenario": "x"})
    trace.events += [
        StepStarted(seq=0, step_id="s", title="T", explain="**md**"),
        BytesSent(seq=1, t=1.0, conn="c1", direction="c2s", plaintext=b"EHLO x\r\n", wire=bytes(range(256))),
        DnsLookup(seq=2, asker="h", name="example.net", rtype="MX", answers=("10 mx.example.net",)),
        DnsLookup(seq=3, asker="h", name="nope.example", rtype="A", error="NXDOMAIN"),
    ]
    again = Trace.loads(trace.dumps())
    assert again.events == trace.events and again.meta == trace.meta


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown trace event kind"):
        Trace.from_json({"events": [{"kind": "bogus:event"}]})


def test_steps_group_events() -> None:
    result = run_scenario(load_scenario(ROOT / "scenarios" / "smtp-basics.yaml"))
    steps = result.trace.steps()
    # World construction (mailboxes created) comes first, as a setup step.
    assert [s.step_id for s in steps][:4] == ["setup", "connect", "ehlo", "mail-from"]
    assert steps[0].start == 0 and all(a.end == b.start for a, b in zip(steps, steps[1:], strict=False))
    assert steps[-1].end == len(result.trace)


def test_same_scenario_same_trace() -> None:
    scenario = load_scenario(ROOT / "scenarios" / "smtp-basics.yaml")
    assert run_scenario(scenario).trace.dumps() == run_scenario(scenario).trace.dumps()


def test_run_json_loads_back_equal(tmp_path: Path) -> None:
    out = tmp_path / "trace.json"
    subprocess.run([sys.executable, "-m", "simulator.cli", "run", "-q", "--json", str(out),
                    str(ROOT / "scenarios" / "smtp-basics.yaml")], check=True, timeout=60, capture_output=True)
    loaded = Trace.load(out)
    fresh = run_scenario(load_scenario(ROOT / "scenarios" / "smtp-basics.yaml")).trace
    assert loaded.events == fresh.events
