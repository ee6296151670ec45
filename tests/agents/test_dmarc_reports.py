"""The receiving MX keeps the DMARC aggregate report row of every message it checks (RFC 9990), shows it
as a DMARC step, and the world writes the daily reports: one per receiver and Policy Domain."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from simulator.content import scenarios_dir
from simulator.scenario.loader import load_scenario
from simulator.scenario.runner import run_scenario
from simulator.security.dmarc_report import NAMESPACE
from simulator.trace import CheckStep

NS = {"d": NAMESPACE}


def spoofing():
    result = run_scenario(load_scenario(scenarios_dir() / "dmarc-spoofing.yaml"))
    assert result.ok, result.failures
    return result


def rows(report: ET.Element) -> list[tuple[str, str, str, str, str]]:
    return [(r.findtext("d:row/d:source_ip", namespaces=NS), r.findtext("d:row/d:count", namespaces=NS),
             r.findtext("d:row/d:policy_evaluated/d:disposition", namespaces=NS),
             r.findtext("d:row/d:policy_evaluated/d:dkim", namespaces=NS),
             r.findtext("d:row/d:policy_evaluated/d:spf", namespaces=NS))
            for r in report.findall("d:record", NS)]


def test_each_checked_message_with_rua_adds_a_row_and_a_step() -> None:
    result = spoofing()
    mx = result.world.mailhosts["mx.example.net"]
    verdicts = [e for e in result.trace.events if isinstance(e, CheckStep) and e.check == "dmarc"
                and e.host == "mx.example.net" and e.result]
    with_policy = [v for v in verdicts if v.result in ("pass", "fail")]
    assert len(mx.dmarc_rows) == len(with_policy) >= 3
    steps = [e for e in result.trace.events if isinstance(e, CheckStep) and e.text.startswith("aggregate report")]
    assert len(steps) == len(mx.dmarc_rows)
    assert "<record>" in steps[0].text and "rua" not in steps[0].text.partition("\n")[2]
    assert all(row.rua and row.rua[0].startswith("mailto:dmarc-reports@") for row in mx.dmarc_rows)


def test_the_daily_reports_follow_rfc_9990s_shape() -> None:
    reports = {r.policy_domain: r for r in spoofing().world.dmarc_reports()}
    assert set(reports) == {"example.org", "example.net"}
    org = reports["example.org"]
    assert org.filename == "example.net!example.org!1772409600!1772496000.xml"  # receiver!domain!begin!end
    assert org.rua == ("mailto:dmarc-reports@example.org",)
    doc = ET.fromstring(org.xml)
    assert doc.tag == f"{{{NAMESPACE}}}feedback"
    assert [c.tag.split("}")[1] for c in doc] == ["version", "report_metadata", "policy_published",
                                                  "record", "record"]
    meta = doc.find("d:report_metadata", NS)
    assert [c.tag.split("}")[1] for c in meta] == ["org_name", "email", "report_id", "date_range", "generator"]
    assert meta.findtext("d:org_name", namespaces=NS) == "example.net"
    assert int(meta.findtext("d:date_range/d:end", namespaces=NS)) - \
        int(meta.findtext("d:date_range/d:begin", namespaces=NS)) == 86400
    assert doc.findtext("d:policy_published/d:p", namespaces=NS) == "reject"
    # The forgery from mail.evil.example was refused, Alice's real mail passed.
    assert sorted(rows(doc)) == [("192.0.2.25", "1", "pass", "pass", "pass"),
                                 ("203.0.113.25", "1", "reject", "fail", "fail")]
    net = ET.fromstring(reports["example.net"].xml)
    assert ("203.0.113.25", "1", "quarantine", "fail", "fail") in rows(net)


def test_rows_alike_are_counted_together() -> None:
    text = (scenarios_dir() / "dkim-signing.yaml").read_text()
    scenario = load_scenario("twice.yaml", text=text.replace("  - id: bob-opens", """  - id: again
    action: send_message
    from: alice-laptop
    sender: alice@example.org
    to: [bob@example.net]
    subject: Tickets, again
    body: Still free?
  - id: again-relay
    action: run_queue
    host: mail.example.org
  - id: bob-opens""", 1))
    reports = {r.policy_domain: r for r in run_scenario(scenario).world.dmarc_reports()}
    assert rows(ET.fromstring(reports["example.org"].xml)) == [("192.0.2.25", "2", "pass", "pass", "pass")]


def test_no_rua_no_report() -> None:
    # evil.example publishes no DMARC record: mail from it leaves no row.
    result = run_scenario(load_scenario(scenarios_dir() / "display-name-phishing.yaml"))
    domains = {r.policy_domain for r in result.world.dmarc_reports()}
    assert "evil.example" not in domains
