"""The nearest valid name: a typing slip is named, an unrelated word is not."""

from __future__ import annotations

import pytest

from simulator.scenario.suggest import distance, nearest, unknown


@pytest.mark.parametrize(("name", "known", "expected"), [
    ("mx.exmaple.net", ["mx.example.net", "mail.example.org"], "mx.example.net"),  # two letters swapped
    ("sned", ["send", "connect"], "send"),
    ("EXPECT_HELO", ["EXPECT_EHLO", "EXPECT_MAIL"], "EXPECT_EHLO"),
    ("smtp.Server", ["smtp.server"], "smtp.server"),  # case alone
    ("gopher.server", ["pop3.server", "smtp.server"], None),  # shares only ".server"
    ("HELO", ["MAIL", "RCPT", "DATA"], None),
    ("send", ["send"], None),  # the name itself is not a suggestion
])
def test_nearest(name: str, known: list[str], expected: str | None) -> None:
    assert nearest(name, known) == expected


def test_distance_counts_a_swap_as_one_edit() -> None:
    assert distance("RCTP", "RCPT") == 1
    assert distance("kitten", "sitting") == 3


def test_unknown_names_the_guess_or_lists_every_name() -> None:
    assert unknown("host", "mx.exmaple.net", ["mx.example.net"]) == (
        "unknown host 'mx.exmaple.net': did you mean 'mx.example.net'?")
    assert unknown("machine", "x", ["b", "a"], listed="machines") == "unknown machine 'x'; machines: a, b"
