"""The DNS Tree Walk (RFC 9989 4.10, 4.10.2) and RFC 7489's public suffix list beside it."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.security.dmarc_walk import (
    MAX_QUERIES,
    Lookups,
    psl_organizational_domain,
    walk,
    walk_targets,
)
from simulator.security.dns import NXDOMAIN, TEMPFAIL


def test_short_names_walk_one_label_at_a_time() -> None:
    assert walk_targets("a.mail.example.com") == ["a.mail.example.com", "mail.example.com", "example.com", "com"]
    assert walk_targets("Example.COM.") == ["example.com", "com"]
    assert walk_targets("com") == ["com"]
    assert walk_targets("") == []


def test_the_rfc_example_of_a_deep_name_takes_eight_queries() -> None:
    # RFC 9989 4.10: the eight queries for a.b.c.d.e.f.g.h.i.j.mail.example.com
    assert walk_targets("a.b.c.d.e.f.g.h.i.j.mail.example.com") == [
        "a.b.c.d.e.f.g.h.i.j.mail.example.com", "g.h.i.j.mail.example.com", "h.i.j.mail.example.com",
        "i.j.mail.example.com", "j.mail.example.com", "mail.example.com", "example.com", "com"]


@pytest.mark.parametrize(("count", "second"), [(7, 6), (8, 7), (9, 7), (30, 7)])
def test_eight_or_more_labels_jump_to_seven(count: int, second: int) -> None:
    targets = walk_targets(".".join(f"l{i}" for i in range(count)))
    assert len(targets[1].split(".")) == second
    assert len(targets) == min(count, MAX_QUERIES)


def test_the_zone_cut_below_eight_labels_is_never_seen(dmarc_zone) -> None:
    # RFC 9989 5.1.8's example: a psd=n record at b.c.d.e.f.g.example.com is skipped for a longer name
    zone = dmarc_zone({"_dmarc.b.c.d.e.f.g.example.com": "v=DMARC1; p=reject; psd=n",
                       "_dmarc.example.com": "v=DMARC1; p=none"})
    tree = walk("mail.a.b.c.d.e.f.g.example.com", Lookups(zone))
    assert "_dmarc.b.c.d.e.f.g.example.com" not in zone.txt_queries
    assert zone.txt_queries[1] == "_dmarc.c.d.e.f.g.example.com" and len(zone.txt_queries) == 8
    assert tree.organizational_domain()[0] == "example.com"


@pytest.mark.parametrize(("records", "start", "org", "queried"), [
    # B.4.1: records at signing.example.com and example.com: the one with the fewest labels
    ({"example.com": "p=none", "signing.example.com": "p=none"}, "signing.example.com", "example.com", 3),
    # 4.10.2's examples for a.mail.example.com
    ({"mail.example.com": "p=none", "example.com": "p=none"}, "a.mail.example.com", "example.com", 4),
    ({"mail.example.com": "p=none; psd=n", "example.com": "p=none"}, "a.mail.example.com", "mail.example.com", 2),
    ({"com": "p=reject; psd=y"}, "a.mail.example.com", "example.com", 4),
    # B.4.3: psd=y at bank.example
    ({"giant.bank.example": "p=reject", "bank.example": "p=none; psd=y"}, "mail.giant.bank.example",
     "giant.bank.example", 3),
    ({"giant.bank.example": "p=reject", "bank.example": "p=none; psd=y"}, "mail.mega.bank.example",
     "mega.bank.example", 3),
    # psd=y at the start itself: the walk stops there and the name is its own (rule 2 excludes the start)
    ({"bank.example": "p=reject; psd=y", "example": "p=none"}, "bank.example", "bank.example", 1),
    # no record at all: the starting name
    ({}, "x.example.net", "x.example.net", 3),
])
def test_organizational_domain(dmarc_zone, records: dict, start: str, org: str, queried: int) -> None:
    zone = dmarc_zone({f"_dmarc.{name}": f"v=DMARC1; {tags}" for name, tags in records.items()})
    tree = walk(start, Lookups(zone))
    assert tree.organizational_domain()[0] == org
    assert len(zone.txt_queries) == queried


def test_multiple_records_at_one_name_are_all_discarded(dmarc_zone) -> None:
    zone = dmarc_zone({"_dmarc.mail.example.com": ["v=DMARC1; p=reject; psd=n", "v=DMARC1; p=none"],
                       "_dmarc.example.com": "v=DMARC1; p=none"})
    tree = walk("mail.example.com", Lookups(zone))
    assert tree.lookups[0].outcome == "multiple" and "all are discarded" in tree.lookups[0].describe()
    assert tree.organizational_domain()[0] == "example.com"


def test_a_dns_error_stops_the_walk(dmarc_zone) -> None:
    zone = dmarc_zone({"_dmarc.example.com": "v=DMARC1; p=none"}, failing=("_dmarc.mail.example.com",))
    tree = walk("a.mail.example.com", Lookups(zone))
    assert tree.failed and len(tree.lookups) == 2


def test_answers_are_reused_within_one_message(dmarc_zone) -> None:
    zone = dmarc_zone({"_dmarc.example.com": "v=DMARC1; p=none"})
    lookups = Lookups(zone)
    walk("a.example.com", lookups)
    walk("b.example.com", lookups)
    assert zone.txt_queries == ["_dmarc.a.example.com", "_dmarc.example.com", "_dmarc.com", "_dmarc.b.example.com"]
    assert lookups.queries == 4


# --- tree walk against the public suffix list ---------------------------------------------------


@pytest.mark.parametrize(("name", "records", "psl", "tree"), [
    # the same where the Organizational Domain publishes a record
    ("mail.example.com", {"example.com": "p=none"}, "example.com", "example.com"),
    ("a.b.example.co.uk", {"example.co.uk": "p=reject"}, "example.co.uk", "example.co.uk"),
    # a department's psd=n makes its own Organizational Domain; the PSL cannot know
    ("mail.dept.example.com", {"dept.example.com": "p=reject; psd=n", "example.com": "p=none"},
     "example.com", "dept.example.com"),
    # a private suffix on the list (github.io) without records: the PSL stops at the user's site,
    # the tree walk, finding no record, stays at the name itself
    ("www.alice.github.io", {}, "alice.github.io", "www.alice.github.io"),
    # a PSD that publishes psd=y, on the list or not (.example is not on it)
    ("mail.giant.bank.example", {"bank.example": "p=reject; psd=y"}, "bank.example", "giant.bank.example"),
])
def test_public_suffix_list_and_tree_walk(dmarc_zone, name: str, records: dict, psl: str, tree: str) -> None:
    zone = dmarc_zone({f"_dmarc.{n}": f"v=DMARC1; {tags}" for n, tags in records.items()})
    assert psl_organizational_domain(name) == psl
    assert walk(name, Lookups(zone)).organizational_domain()[0] == tree


def test_a_public_suffix_stands_for_itself() -> None:
    assert psl_organizational_domain("co.uk") == "co.uk"


# --- properties ---------------------------------------------------------------------------------

_LABEL = st.text("abcxyz019-", min_size=1, max_size=5)
_NAMES = st.lists(_LABEL, min_size=1, max_size=40).map(".".join)
_RECORD = st.one_of(
    st.sampled_from(["v=DMARC1; p=reject", "v=DMARC1; psd=y", "v=DMARC1; psd=n", "v=DMARC1; p=x; psd=u",
                     "v=spf1 -all", "v=DMARC1"]),
    st.text(st.characters(codec="ascii"), max_size=40).map(lambda t: "v=DMARC1;" + t),
    st.text(max_size=30),
)


class _Random:
    def __init__(self, data) -> None:
        self.data = data
        self.asked: list[str] = []

    def query(self, name: str, rtype: str):
        self.asked.append(name)
        kind = self.data.draw(st.sampled_from(["records", "nxdomain", "tempfail", "nodata"]))
        if kind == "records":
            return tuple(self.data.draw(st.lists(_RECORD, max_size=3)))
        return {"nxdomain": NXDOMAIN, "tempfail": TEMPFAIL, "nodata": ()}[kind]


@settings(max_examples=200, deadline=None)
@given(name=_NAMES, data=st.data())
def test_a_walk_never_makes_more_than_eight_queries_nor_raises(name: str, data) -> None:
    resolver = _Random(data)
    tree = walk(name, Lookups(resolver))
    assert len(resolver.asked) <= MAX_QUERIES
    assert len(resolver.asked) == len(set(resolver.asked))
    org, why = tree.organizational_domain()
    assert name.lower().endswith(org) and why
