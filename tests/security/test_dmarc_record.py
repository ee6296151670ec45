"""DMARC Policy Record syntax (RFC 9989 4.7, 4.8): which records count, tag values, what is ignored."""

from __future__ import annotations

import pytest

from simulator.security.dmarc_record import dmarc_records, is_dmarc, parse_record


@pytest.mark.parametrize(("text", "counts"), [
    ("v=DMARC1; p=reject", True),
    ("v=DMARC1", True),  # p= may be missing (treated as p=none)
    ("v = DMARC1 ;p=none", True),  # equals = *WSP "=" *WSP (4.8)
    ("v=DMARC1;", True),
    ("v=dmarc1; p=reject", False),  # %s"DMARC1": case-sensitive (4.8)
    ("p=reject; v=DMARC1", False),  # v MUST be first (4.7)
    ("v=DMARC10; p=reject", False),
    (" v=DMARC1; p=reject", False),
    ("v=spf1 -all", False),
])
def test_only_records_starting_with_v_dmarc1_count(text: str, counts: bool) -> None:
    assert is_dmarc(text) is counts


def test_other_txt_records_are_discarded_and_split_strings_joined() -> None:
    found, other = dmarc_records("example.org", (("v=DMARC1; ", "p=reject"), "v=spf1 -all"))
    assert found == ["v=DMARC1; p=reject"]  # 4.5: the character-strings are concatenated
    assert other == ["v=spf1 -all"]


def test_defaults() -> None:
    record = parse_record("example.org", "v=DMARC1; p=quarantine")
    assert (record.p, record.sp, record.np, record.adkim, record.aspf, record.psd, record.t, record.fo) == (
        "quarantine", None, None, "r", "r", "u", "n", "0")
    assert record.rua == record.ruf == () and record.notes == ()


def test_every_tag() -> None:
    record = parse_record("example.org", "v=DMARC1;p=Reject; sp=quarantine ; np=none; adkim=s; aspf=S; psd=n;"
                                         " t=y; rua=mailto:a@example.org, mailto:b@example.net; "
                                         "ruf=mailto:f@example.org; fo=d:s")
    assert (record.p, record.sp, record.np, record.adkim, record.aspf, record.psd, record.t) == (
        "reject", "quarantine", "none", "s", "s", "n", "y")  # values compare case-insensitively (RFC 5234)
    assert record.rua == ("mailto:a@example.org", "mailto:b@example.net")
    assert record.ruf == ("mailto:f@example.org",) and record.fo == "d:s" and record.testing
    assert record.notes == ()


@pytest.mark.parametrize("tag", ["pct=50", "rf=afrf", "ri=3600"])
def test_removed_tags_are_noted_and_ignored(tag: str) -> None:
    record = parse_record("example.org", f"v=DMARC1; p=reject; {tag}")
    assert record.p == "reject"
    [note] = record.notes
    assert "RFC 9989 removed" in note and "ignored" in note and "C.5.2" in note
    assert any("removed by RFC 9989" in line for line in record.tag_lines())


@pytest.mark.parametrize(("text", "field", "value", "says"), [
    ("v=DMARC1; p=reject; adkim=x", "adkim", "r", "default"),  # 4.7: syntax errors fall back to defaults
    ("v=DMARC1; p=reject; aspf=strict", "aspf", "r", "default"),
    ("v=DMARC1; p=reject; t=yes", "t", "n", "default"),
    ("v=DMARC1; p=reject; psd=maybe", "psd", "u", "default"),
    ("v=DMARC1; p=reject; fo=2", "fo", "0", "default"),
    ("v=DMARC1; p=reject; foo=bar", "p", "reject", "unknown tags MUST be ignored"),
    ("v=DMARC1; p=reject; garbage", "p", "reject", "not a tag=value pair"),
    ("v=DMARC1; p=reject; p=none", "p", "reject", "first one"),
    ("v=DMARC1; p=reject; rua=not a uri", "rua", (), "not a URI"),
    ("v=DMARC1; p=reject; rua=mailto:a@example.org!10m", "rua", ("mailto:a@example.org",), "C.4"),
])
def test_syntax_errors_are_dropped_for_defaults(text: str, field: str, value: object, says: str) -> None:
    record = parse_record("example.org", text)
    assert getattr(record, field) == value
    assert any(says in note for note in record.notes), record.notes


def test_missing_p_counts_as_none() -> None:
    record = parse_record("example.org", "v=DMARC1; rua=mailto:a@example.org")
    assert record.p is None and record.p_missing and record.usable_policy()
    assert record.as_applied().p == "none"
    assert any("p=none" in note for note in record.notes)


def test_invalid_policy_with_rua_is_p_none_without_it_unusable() -> None:
    with_rua = parse_record("example.org", "v=DMARC1; p=block; sp=reject; rua=mailto:a@example.org")
    assert with_rua.invalid_policy == "p=block" and with_rua.usable_policy()
    applied = with_rua.as_applied()
    assert (applied.p, applied.sp, applied.np) == ("none", None, None)  # "as if a record containing p=none"
    bare = parse_record("example.org", "v=DMARC1; p=reject; np=drop")
    assert bare.invalid_policy == "np=drop" and not bare.usable_policy()


def test_fo_without_ruf_is_ignored() -> None:
    record = parse_record("example.org", "v=DMARC1; p=none; fo=1")
    assert any("no ruf=" in note for note in record.notes)
