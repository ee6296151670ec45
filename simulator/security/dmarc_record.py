"""DMARC Policy Records (RFC 9989 4.7, 4.8): which TXT records count, and what their tags say.

    dmarc-record  = dmarc-version *(dmarc-sep dmarc-tag) [dmarc-sep]
    dmarc-version = "v" equals %s"DMARC1"          ; case sensitive, first
    dmarc-sep     = *WSP ";" *WSP
    dmarc-tag     = 1*ALPHA equals 1*dmarc-value   ; %x20-3A / %x3C-7E

A record that does not start with v=DMARC1 is not a DMARC record at all. In the rest,
unknown tags are ignored and a tag with a syntax error is dropped for its default
(4.7); each such thing is kept as a note so the student sees why. ``pct``, ``rf`` and
``ri`` were RFC 7489 tags: RFC 9989 removed them (Appendix C.5.2), so they are noted
and ignored like any unknown tag.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from simulator.security.dns import TxtRecord, txt_text

POLICIES = ("none", "quarantine", "reject")  # dmarc-request (4.8)
_VERSION = re.compile(r"v[ \t]*=[ \t]*DMARC1[ \t]*(?:;|\Z)")
_TAG_NAME = re.compile(r"[A-Za-z]+\Z")
_VALUE = re.compile(r"[\x20-\x3a\x3c-\x7e]+\Z")
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s,!]+\Z")  # RFC 3986 URI, commas and '!' encoded
_WSP = " \t"

REMOVED_TAGS = {
    "pct": "RFC 9989 removed pct (Appendix C.5.2); t=y now does what pct=0 did (Appendix A.6)",
    "rf": "RFC 9989 removed rf, the failure report format (Appendix C.5.2)",
    "ri": "RFC 9989 removed ri, the aggregate report interval (Appendix C.5.2)",
}
TAG_MEANING = {
    "v": "version", "p": "policy for the domain", "sp": "policy for existing subdomains",
    "np": "policy for non-existent subdomains", "adkim": "DKIM alignment: r relaxed, s strict",
    "aspf": "SPF alignment: r relaxed, s strict", "psd": "public suffix domain: y, n or u",
    "t": "testing mode: y or n", "rua": "aggregate report addresses (RFC 9990)",
    "ruf": "failure report addresses (RFC 9991)", "fo": "failure reporting options",
}
_CHOICES = {
    "p": POLICIES, "sp": POLICIES, "np": POLICIES, "adkim": ("r", "s"), "aspf": ("r", "s"),
    "psd": ("y", "n", "u"), "t": ("y", "n"),
}
_FO = ("0", "1", "d", "s")


def is_dmarc(text: str) -> bool:
    """Whether a TXT record starts with the v=DMARC1 tag (RFC 9989 4.10 step 2)."""
    return bool(_VERSION.match(text))


@dataclass(frozen=True, slots=True)
class DmarcRecord:
    """One valid DMARC Policy Record published at ``_dmarc.<domain>``.

    ``p`` is None when the record has no valid p= (see :meth:`usable_policy`); ``sp``,
    ``np`` are None when absent; the rest hold the value in force (the default when absent).
    ``notes`` say which tags were ignored and why (4.7), one sentence each.
    """

    domain: str
    text: str
    tags: tuple[tuple[str, str], ...]
    p: str | None
    sp: str | None = None
    np: str | None = None
    adkim: str = "r"
    aspf: str = "r"
    psd: str = "u"
    t: str = "n"
    rua: tuple[str, ...] = ()
    ruf: tuple[str, ...] = ()
    fo: str = "0"
    p_missing: bool = False  # no p= at all: treated as p=none (4.7)
    invalid_policy: str = ""  # the p=, sp= or np= that is not valid, e.g. "p=block"
    notes: tuple[str, ...] = ()

    @property
    def testing(self) -> bool:
        return self.t == "y"

    def usable_policy(self) -> bool:
        """RFC 9989 4.10.1: a record with an invalid p, sp or np counts as p=none only when rua
        holds a valid reporting URI; otherwise DMARC is not applied."""
        return not self.invalid_policy or bool(self.rua)

    def as_applied(self) -> DmarcRecord:
        """The record as RFC 9989 4.10.1 has it applied: an invalid p, sp or np with a valid
        rua means 'as if a record containing p=none was retrieved'."""
        if self.invalid_policy and self.rua:
            return _replace(self, p="none", sp=None, np=None)
        if self.p is None and self.p_missing:
            return _replace(self, p="none")
        return self

    def tag_lines(self) -> list[str]:
        """Each tag as written with what it means, for the teaching view."""
        return [f"{name}={value}  ({_meaning(name)})" for name, value in self.tags]


def _meaning(name: str) -> str:
    if name in REMOVED_TAGS:
        return "removed by RFC 9989: ignored"
    return TAG_MEANING.get(name, "not a DMARC tag: ignored")


def _replace(record: DmarcRecord, **changes: object) -> DmarcRecord:
    fields = {name: getattr(record, name) for name in DmarcRecord.__slots__}
    fields.update(changes)
    return DmarcRecord(**fields)  # type: ignore[arg-type]


def parse_record(domain: str, text: str) -> DmarcRecord:
    """A TXT record already known to start with v=DMARC1 (see :func:`is_dmarc`), tag by tag."""
    version = _VERSION.match(text)
    if not version:
        raise ValueError(f"{text!r} does not start with v=DMARC1")
    rest = text[version.end():]
    notes: list[str] = []
    tags: list[tuple[str, str]] = [("v", "DMARC1")]
    seen: dict[str, str] = {}
    for spec in rest.split(";"):
        spec = spec.strip(_WSP)
        if not spec:
            continue  # the optional trailing ";" (or an empty one between tags)
        name, eq, value = spec.partition("=")
        name, value = name.strip(_WSP), value.strip(_WSP)
        if not eq or not _TAG_NAME.match(name) or not value or not _VALUE.match(value):
            notes.append(f"{spec!r} is not a tag=value pair: ignored (RFC 9989 4.7, 4.8)")
            continue
        tags.append((name, value))
        if name in REMOVED_TAGS:
            notes.append(f"{name}={value}: {REMOVED_TAGS[name]}: ignored")
        elif name not in TAG_MEANING or name == "v":
            notes.append(f"{name}={value}: not a DMARC tag, ignored (RFC 9989 4.7: unknown tags MUST be ignored)")
        elif name in seen:
            notes.append(f"{name}= appears again: the first one, {name}={seen[name]}, is used")
        else:
            seen[name] = value
    fields: dict[str, object] = {}
    invalid_policy = ""
    for name, value in seen.items():
        if name in _CHOICES:
            lowered = value.lower()  # ABNF strings are case-insensitive (RFC 5234 2.3)
            if lowered in _CHOICES[name]:
                fields[name] = lowered
            elif name in ("p", "sp", "np"):
                invalid_policy = invalid_policy or f"{name}={value}"
                notes.append(f"{name}={value}: not one of none, quarantine, reject (RFC 9989 4.7)")
            else:
                notes.append(f"{name}={value}: not one of {', '.join(_CHOICES[name])}; "
                             f"the default is used (RFC 9989 4.7)")
        elif name in ("rua", "ruf"):
            fields[name] = _uris(name, value, notes)
        elif name == "fo":
            options = [o.strip(_WSP) for o in value.split(":")]
            if all(o in _FO for o in options) and len(set(options)) == len(options):
                fields["fo"] = ":".join(options)
            else:
                notes.append(f"fo={value}: not a list of 0, 1, d, s; the default 0 is used (RFC 9989 4.7)")
    if "fo" in seen and not fields.get("ruf"):
        notes.append("fo= is ignored: there is no ruf= to send failure reports to (RFC 9989 4.7)")
    p_missing = "p" not in seen
    if p_missing:
        notes.append("no p= tag: the record is treated as if it said p=none (RFC 9989 4.7)")
    return DmarcRecord(domain=domain, text=text, tags=tuple(tags), p=fields.pop("p", None),
                       invalid_policy=invalid_policy, p_missing=p_missing, notes=tuple(notes),
                       **fields)  # type: ignore[arg-type]


def _uris(name: str, value: str, notes: list[str]) -> tuple[str, ...]:
    uris = []
    for uri in (u.strip(_WSP) for u in value.split(",")):
        base, bang, size = uri.partition("!")
        if bang and size:
            notes.append(f"{name}: {uri!r} carries a size limit '!{size}', which RFC 9989 removed "
                         f"(Appendix C.4): the limit is ignored")
            uri = base
        if _URI.match(uri):
            uris.append(uri)
        else:
            notes.append(f"{name}: {uri!r} is not a URI: ignored (RFC 9989 4.6)")
    return tuple(uris)


def dmarc_records(domain: str, answer: tuple[TxtRecord, ...]) -> tuple[list[str], list[str]]:
    """The TXT records that start with v=DMARC1, and the others (discarded, 4.10 step 2)."""
    texts = [txt_text(r) for r in answer if isinstance(r, (str, tuple))]
    return [t for t in texts if is_dmarc(t)], [t for t in texts if not is_dmarc(t)]
