"""mailsim run --dmarc-reports DIR writes the RFC 9990 aggregate reports the receivers would send."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree as ET

from simulator.cli import main
from simulator.security.dmarc_report import NAMESPACE


def test_run_writes_one_report_per_policy_domain(tmp_path: Path, capsys) -> None:
    assert main(["run", "-q", "dmarc-spoofing", "--dmarc-reports", str(tmp_path / "reports")]) == 0
    said = capsys.readouterr().out
    files = sorted(p.name for p in (tmp_path / "reports").iterdir())
    assert files == ["example.net!example.net!1772409600!1772496000.xml",
                     "example.net!example.org!1772409600!1772496000.xml"]
    assert "DMARC aggregate report for example.org (to mailto:dmarc-reports@example.org)" in said
    for name in files:
        doc = ET.parse(tmp_path / "reports" / name).getroot()
        assert doc.tag == f"{{{NAMESPACE}}}feedback" and doc.find(f"{{{NAMESPACE}}}record") is not None


def test_run_says_when_no_report_is_due(tmp_path: Path, capsys) -> None:
    assert main(["run", "-q", "smtp-basics", "--dmarc-reports", str(tmp_path)]) == 0
    assert "no DMARC aggregate report" in capsys.readouterr().out
    assert list(tmp_path.iterdir()) == []
