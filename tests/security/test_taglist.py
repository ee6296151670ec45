"""Tag=value lists (RFC 6376 3.2)."""

from __future__ import annotations

import pytest

from simulator.security.taglist import TagListError, colon_list, parse_tags, without_fws


def test_parse_tags_strips_fws_and_keeps_order() -> None:
    tags = parse_tags(" v=1;\r\n a = rsa-sha256 ; b=abc\r\n def;x=;")
    assert list(tags) == ["v", "a", "b", "x"]
    assert tags == {"v": "1", "a": "rsa-sha256", "b": "abc\r\n def", "x": ""}
    assert without_fws(tags["b"]) == "abcdef"


def test_colon_list() -> None:
    assert colon_list("from : to:\r\n subject") == ["from", "to", "subject"]


@pytest.mark.parametrize("text, says", [
    ("v=1; a", "has no '='"),
    ("1v=1", "not a tag name"),
    ("v=1; v=1", "appears twice"),
    ("b=a;;c=d", "has no '='"),
    ("n=caf\u00e9", "may not"),
])
def test_parse_tags_errors(text: str, says: str) -> None:
    with pytest.raises(TagListError, match=says):
        parse_tags(text)


def test_tag_names_are_case_sensitive() -> None:
    assert parse_tags("V=1; v=2") == {"V": "1", "v": "2"}
