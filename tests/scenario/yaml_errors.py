"""What the loader says about a scenario text, as the 'line:column: message' parts (a helper, not tests)."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.scenario.loader import ContentErrors, load_scenario

HEAD = "id: bad\ntitle: t\n"
STEP = "steps:\n  - id: n\n    action: note\n    text: hi\n"


def located_errors(tmp_path: Path, text: str) -> list[str]:
    """The errors loading ``text`` as a scenario file gives, each without its file name."""
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ContentErrors) as info:
        load_scenario(path)
    return [str(e).split("bad.yaml:", 1)[1] for e in info.value.errors]
