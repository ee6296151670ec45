"""The DMARC aggregate report a receiver sends the Domain Owner (RFC 9990), as XML.

RFC 9989 moved reporting out to RFC 9990 (aggregate) and RFC 9991 (failure). A
receiver keeps one ``record`` per sending address and outcome (RFC 9990 2.1: row
with source_ip, count and policy_evaluated; identifiers; auth_results, uninterpreted)
and once a day sends them, wrapped in report_metadata and policy_published, to the
rua= addresses of the DMARC Policy Record. :func:`record_element` builds the record
one message gives; :func:`aggregate_report` the whole document.
"""

from __future__ import annotations

from collections.abc import Iterable
from xml.etree import ElementTree as ET

from simulator.security.dmarc import NONE, PASS, DkimAuth, DmarcResult

NAMESPACE = "urn:ietf:params:xml:ns:dmarc-2.0"  # RFC 9990 IANA considerations
VERSION = "1.0"
GENERATOR = "mailsim"


def _add(parent: ET.Element, tag: str, text: str | int | None = None) -> ET.Element:
    child = ET.SubElement(parent, tag)
    if text is not None:
        child.text = str(text)
    return child


def disposition(result: DmarcResult) -> str:
    """policy_evaluated/disposition: "pass" for a pass under an enforcing policy, else the action taken."""
    if result.result == PASS:
        return PASS if result.policy != NONE else NONE
    return result.disposition


def record_element(result: DmarcResult, source_ip: str, *, count: int = 1, envelope_to: str = "") -> ET.Element:
    """One <record>: what the receiver saw from ``source_ip`` for ``count`` such messages."""
    record = ET.Element("record")
    row = _add(record, "row")
    _add(row, "source_ip", source_ip)
    _add(row, "count", count)
    evaluated = _add(row, "policy_evaluated")
    _add(evaluated, "disposition", disposition(result))
    _add(evaluated, "dkim", PASS if result.dkim_aligned else "fail")  # the aligned DKIM result
    _add(evaluated, "spf", PASS if result.spf_aligned else "fail")
    if result.result != PASS and result.disposition != result.policy and result.testing:
        reason = _add(evaluated, "reason")
        _add(reason, "type", "policy_test_mode")  # the t tag made it milder
        _add(reason, "comment", f"t=y: {result.policy} applied as {result.disposition}")
    identifiers = _add(record, "identifiers")
    _add(identifiers, "header_from", result.author_domain)
    _add(identifiers, "envelope_from", result.spf.domain if result.spf else "")
    if envelope_to:
        _add(identifiers, "envelope_to", envelope_to)
    auth = _add(record, "auth_results")
    for dkim in _by_priority(result):
        element = _add(auth, "dkim")
        _add(element, "domain", dkim.domain)
        _add(element, "selector", dkim.selector)
        _add(element, "result", dkim.result)
        if dkim.human:
            _add(element, "human_result", dkim.human)
    if result.spf is not None:
        spf = _add(auth, "spf")
        _add(spf, "domain", result.spf.domain)
        _add(spf, "scope", result.spf.scope)
        _add(spf, "result", result.spf.result)
        if result.spf.human:
            _add(spf, "human_result", result.spf.human)
    return record


def _by_priority(result: DmarcResult) -> list[DkimAuth]:
    """RFC 9990's order for DKIM results: aligned passes (strict, then relaxed), other passes, the rest."""
    aligned = {a.identifier: a.mode for a in result.alignments if a.mechanism == "dkim" and a.aligned}

    def rank(dkim: DkimAuth) -> int:
        if dkim.result != PASS:
            return 3
        if dkim.domain == result.author_domain:
            return 0
        return 1 if dkim.domain in aligned else 2
    return sorted(result.dkim, key=rank)[:100]  # "no more than 100 signatures for a given row"


def policy_published(result: DmarcResult) -> ET.Element:
    """<policy_published>: the record applied, every tag with its value in force (defaults included)."""
    if result.record is None:
        raise ValueError("no DMARC Policy Record was applied: there is nothing to report")
    record = result.record
    element = ET.Element("policy_published")
    _add(element, "domain", result.policy_domain)
    _add(element, "discovery_method", "treewalk")
    _add(element, "p", record.p or NONE)
    if record.sp is not None:
        _add(element, "sp", record.sp)
    if record.np is not None:
        _add(element, "np", record.np)
    if record.ruf:
        _add(element, "fo", record.fo)
    _add(element, "adkim", record.adkim)
    _add(element, "aspf", record.aspf)
    _add(element, "testing", record.t)
    return element


def aggregate_report(result: DmarcResult, records: Iterable[ET.Element], *, org_name: str, email: str,
                     report_id: str, begin: int, end: int, extra_contact_info: str = "",
                     generator: str = GENERATOR) -> str:
    """The aggregate report document for ``result``'s Policy Domain (RFC 9990: one per Policy Domain),
    with ``records`` built by :func:`record_element`; ``begin`` and ``end`` in POSIX seconds."""
    records = list(records)
    if not records:
        raise ValueError("an aggregate report holds at least one record (RFC 9990)")
    feedback = ET.Element("feedback", {"xmlns": NAMESPACE})
    _add(feedback, "version", VERSION)
    metadata = _add(feedback, "report_metadata")
    _add(metadata, "org_name", org_name)
    _add(metadata, "email", email)
    if extra_contact_info:
        _add(metadata, "extra_contact_info", extra_contact_info)
    _add(metadata, "report_id", report_id)
    date_range = _add(metadata, "date_range")
    _add(date_range, "begin", begin)
    _add(date_range, "end", end)
    for note in result.record.notes if result.record else ():
        _add(metadata, "error", note)  # "DMARC Policy Record evaluation errors" (RFC 9990 error element)
    _add(metadata, "generator", generator)
    feedback.append(policy_published(result))
    feedback.extend(records)
    ET.indent(feedback)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(feedback, encoding="unicode") + "\n"


def to_xml(element: ET.Element) -> str:
    """One element (a <record>) as indented XML text, for the teaching view."""
    copy = ET.fromstring(ET.tostring(element))
    ET.indent(copy)
    return ET.tostring(copy, encoding="unicode")


def report_filename(receiver: str, result: DmarcResult, begin: int, end: int) -> str:
    """The attachment name RFC 9990 prescribes: receiver!policy-domain!begin!end.xml."""
    return f"{receiver}!{result.policy_domain}!{begin}!{end}.xml"
