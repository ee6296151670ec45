"""Tag=value lists (RFC 6376 section 3.2): the syntax of DKIM-Signature fields and DKIM key records.

    tag-list  =  tag-spec *( ";" tag-spec ) [ ";" ]
    tag-spec  =  [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS]
    tag-name  =  ALPHA *ALNUMPUNC            ; ALNUMPUNC = ALPHA / DIGIT / "_"
    tag-value =  [ tval *( 1*(WSP / FWS) tval ) ]
    tval      =  1*VALCHAR                   ; VALCHAR = %x21-3A / %x3C-7E

Tag names are case-sensitive; a tag may appear once; unknown tags are kept for the
caller to ignore (3.2: "Unrecognized tags MUST be ignored").
"""

from __future__ import annotations

import re

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
_VALUE = re.compile(r"[\x21-\x3a\x3c-\x7e]+(?:[ \t\r\n]+[\x21-\x3a\x3c-\x7e]+)*\Z")
_FWS = " \t\r\n"


class TagListError(ValueError):
    """The text is not a tag-list; str() says where."""


def parse_tags(text: str) -> dict[str, str]:
    """Tag names to values (leading and trailing FWS removed, inner FWS kept), in the order written."""
    tags: dict[str, str] = {}
    specs = text.split(";")
    if specs and not specs[-1].strip(_FWS):
        specs.pop()  # the optional ";" at the end
    for n, spec in enumerate(specs, 1):
        name, eq, value = spec.partition("=")
        name, value = name.strip(_FWS), value.strip(_FWS)
        if not eq:
            raise TagListError(f"tag {n} ({spec.strip(_FWS)!r}) has no '='")
        if not _NAME.match(name):
            raise TagListError(f"tag {n}: {name!r} is not a tag name")
        if value and not _VALUE.match(value):
            raise TagListError(f"tag {name}=: the value holds a character a tag value may not")
        if name in tags:
            raise TagListError(f"tag {name}= appears twice (RFC 6376 3.2)")
        tags[name] = value
    return tags


def without_fws(value: str) -> str:
    """A base64 value (b=, bh=, p=) with its folding whitespace removed (RFC 6376 3.5)."""
    return "".join(value.split())


def colon_list(value: str) -> list[str]:
    """A colon-separated list (h=, t=), each entry stripped of FWS."""
    return [item.strip(_FWS) for item in value.split(":")]
