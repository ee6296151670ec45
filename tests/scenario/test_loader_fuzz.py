"""Whatever bytes a file holds, loading it gives located errors or a scenario: never another exception."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator import content
from simulator.scenario.loader import ContentErrors, load_scenario

SOURCE = (content.scenarios_dir() / "smtp-basics.yaml").read_bytes()
YAMLISH = st.sampled_from([b"&a ", b"*a", b"<<: ", b"!!python/tuple ", b"!x ", b"[", b"]", b"{", b"}",
                           b": ", b"- ", b"\n", b"  ", b"'", b'"', b"\x00", b"\x1b", b"\xe9", b"\xff\xfe",
                           b"9" * 5000, b"2026-02-30", b"? ", b"|", b">", b"#", b"%YAML 1.1\n", b"---\n"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.lists(st.tuples(st.integers(0, len(SOURCE)), st.integers(0, 40), YAMLISH), max_size=6))
def test_mutated_scenarios_load_or_give_located_errors(tmp_path: Path, edits) -> None:
    data = SOURCE
    for at, cut, insert in edits:
        at = min(at, len(data))
        data = data[:at] + insert + data[at + cut:]
    path = tmp_path / "fuzz.yaml"
    path.write_bytes(data)
    try:
        load_scenario(path)
    except ContentErrors as exc:
        assert exc.errors
        for err in exc.errors:
            assert err.file == str(path) and err.message
            assert (err.line, err.column) == (0, 0) or (err.line >= 1 and err.column >= 1)
