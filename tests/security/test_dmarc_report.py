"""The DMARC aggregate report (RFC 9990) a receiver would send for a message, checked with xml.etree."""

from __future__ import annotations

from xml.etree import ElementTree as ET

import pytest

from simulator.security.dkim import DkimVerdict, SignatureVerdict
from simulator.security.dmarc import evaluate
from simulator.security.dmarc_report import (
    NAMESPACE,
    aggregate_report,
    record_element,
    report_filename,
    to_xml,
)
from simulator.security.spf import SpfResult

NS = {"d": NAMESPACE}


def _result(dmarc_zone, record: str, *, spf: str = "example.org", dkim: tuple[str, ...] = ("example.org",),
            dkim_result: str = "pass"):
    zone = dmarc_zone({"_dmarc.example.org": record})
    spf_result = SpfResult("pass" if spf == "example.org" else "fail", spf, f"bounce@{spf}", "192.0.2.10")
    signatures = tuple(SignatureVerdict(dkim_result, "" if dkim_result == "pass" else "body hash mismatch",
                                        domain=d, selector="s1") for d in dkim)
    return evaluate("example.org", spf_result, DkimVerdict(dkim_result, signatures, ()), zone)


def test_one_record_for_a_message(dmarc_zone) -> None:
    result = _result(dmarc_zone, "v=DMARC1; p=reject")
    record = ET.fromstring(to_xml(record_element(result, "192.0.2.10", envelope_to="example.net")))
    assert [child.tag for child in record] == ["row", "identifiers", "auth_results"]
    row = record.find("row")
    assert [c.tag for c in row] == ["source_ip", "count", "policy_evaluated"]
    assert (row.findtext("source_ip"), row.findtext("count")) == ("192.0.2.10", "1")
    assert [c.text for c in row.find("policy_evaluated")] == ["pass", "pass", "pass"]
    assert record.findtext("identifiers/header_from") == "example.org"
    assert record.findtext("identifiers/envelope_from") == "example.org"
    assert record.findtext("identifiers/envelope_to") == "example.net"
    assert [(d.findtext("domain"), d.findtext("selector"), d.findtext("result")) for d in record.findall("auth_results/dkim")] == [
        ("example.org", "s1", "pass")]
    assert (record.findtext("auth_results/spf/scope"), record.findtext("auth_results/spf/result")) == ("mfrom", "pass")


def test_a_spoofed_message_is_reported_as_rejected(dmarc_zone) -> None:
    result = _result(dmarc_zone, "v=DMARC1; p=reject", spf="evil.example", dkim=("example.org",), dkim_result="fail")
    record = record_element(result, "203.0.113.66", count=3)
    evaluated = record.find("row/policy_evaluated")
    assert [c.text for c in evaluated] == ["reject", "fail", "fail"]
    assert record.findtext("row/count") == "3"
    assert record.findtext("auth_results/spf/result") == "fail"
    assert record.findtext("auth_results/dkim/human_result") == "body hash mismatch"


def test_testing_mode_gives_a_reason(dmarc_zone) -> None:
    result = _result(dmarc_zone, "v=DMARC1; p=reject; t=y", spf="evil.example", dkim=())
    evaluated = record_element(result, "203.0.113.66").find("row/policy_evaluated")
    assert evaluated.findtext("disposition") == "quarantine"
    assert evaluated.findtext("reason/type") == "policy_test_mode"


def test_dkim_results_in_the_order_rfc_9990_asks(dmarc_zone) -> None:
    zone = dmarc_zone({"_dmarc.example.org": "v=DMARC1; p=none"})
    signatures = (SignatureVerdict("fail", "signature mismatch", domain="broken.example", selector="a"),
                  SignatureVerdict("pass", domain="esp.example", selector="b"),
                  SignatureVerdict("pass", domain="mail.example.org", selector="c"),
                  SignatureVerdict("pass", domain="example.org", selector="d"))
    result = evaluate("example.org", None, DkimVerdict("pass", signatures, ()), zone)
    record = record_element(result, "192.0.2.10")
    assert [d.findtext("domain") for d in record.findall("auth_results/dkim")] == [
        "example.org", "mail.example.org", "esp.example", "broken.example"]
    assert record.find("auth_results/spf") is None


def test_the_report_document(dmarc_zone) -> None:
    result = _result(dmarc_zone, "v=DMARC1; p=quarantine; sp=none; np=reject; pct=20; rua=mailto:d@example.org")
    xml = aggregate_report(result, [record_element(result, "192.0.2.10"), record_element(result, "2001:db8::1")],
                           org_name="example.net", email="dmarc-reports@example.net", report_id="r1@example.net",
                           begin=1_780_000_000, end=1_780_086_399)
    root = ET.fromstring(xml.encode())
    assert root.tag == f"{{{NAMESPACE}}}feedback"
    assert [c.tag.split("}")[1] for c in root] == ["version", "report_metadata", "policy_published", "record", "record"]
    assert root.findtext("d:version", namespaces=NS) == "1.0"
    meta = root.find("d:report_metadata", NS)
    assert [c.tag.split("}")[1] for c in meta] == ["org_name", "email", "report_id", "date_range", "error", "generator"]
    assert "pct" in meta.findtext("d:error", namespaces=NS)  # the record's evaluation errors are reported
    assert meta.findtext("d:date_range/d:begin", namespaces=NS) == "1780000000"
    published = {c.tag.split("}")[1]: c.text for c in root.find("d:policy_published", NS)}
    assert published == {"domain": "example.org", "discovery_method": "treewalk", "p": "quarantine", "sp": "none",
                         "np": "reject", "adkim": "r", "aspf": "r", "testing": "n"}
    assert [r.findtext("d:row/d:source_ip", namespaces=NS) for r in root.findall("d:record", NS)] == [
        "192.0.2.10", "2001:db8::1"]
    assert report_filename("example.net", result, 1_780_000_000, 1_780_086_399) == (
        "example.net!example.org!1780000000!1780086399.xml")


def test_no_policy_no_report(dmarc_zone) -> None:
    result = evaluate("example.org", None, None, dmarc_zone({}))
    with pytest.raises(ValueError):
        aggregate_report(result, [record_element(result, "192.0.2.1")], org_name="x", email="y", report_id="z",
                         begin=0, end=1)
