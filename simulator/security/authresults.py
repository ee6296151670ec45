"""The Authentication-Results header field (RFC 8601) a receiving MX adds, and a reader for it.

    Authentication-Results: mx.example.net;
        spf=pass smtp.mailfrom=alice@example.org;
        dkim=pass header.d=example.org header.s=s1 header.b=AbCdEf12;
        dmarc=pass (p=reject dis=none) header.from=example.org

One result per method checked (RFC 8601 2.2 resinfo): SPF with the identity it checked
(smtp.mailfrom, or smtp.helo, 2.7.2), one DKIM result per signature with its d=, s= and
the first characters of b= (2.7.1; header.b from RFC 6008), DMARC with the From domain
(header.from, registered by RFC 7489 11.1). A result other than pass says why in
reason="..." (2.2); comments in parentheses are for people. With nothing checked the
field says ``none`` (2.2 no-result). The field is folded at spaces to lines of at most
78 characters (RFC 5322 2.1.1, 2.2.3).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from simulator.security.dkim import DkimVerdict
from simulator.security.dmarc import PASS, DmarcResult
from simulator.security.spf import SpfResult

FIELD_NAME = "Authentication-Results"
LINE_WIDTH = 78
FOLD = "\r\n\t"
B_PREFIX = 8  # characters of b= in header.b (RFC 6008 2: enough to tell signatures apart)
_TOKEN = re.compile(r"[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+\Z")  # RFC 2045 token: no tspecials
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_ADDRESS = re.compile(rf"(?:(?:{_ATOM}(?:\.{_ATOM})*)?@)?[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\Z")


@dataclass(frozen=True, slots=True)
class MethodResult:
    """One resinfo: ``method=result``, an optional reason and comment, then ptype.property=value."""

    method: str
    result: str
    reason: str = ""
    comment: str = ""
    properties: tuple[tuple[str, str, str], ...] = ()  # (ptype, property, value)

    def text(self) -> str:
        return " ".join(self.words())

    def words(self) -> list[str]:
        words = [f"{self.method}={self.result}"]
        if self.reason:
            words.append(f"reason={_quoted(self.reason)}")
        if self.comment:
            words.append(_comment(self.comment))
        words += [f"{ptype}.{name}={_pvalue(value)}" for ptype, name, value in self.properties]
        return words


@dataclass(frozen=True, slots=True)
class AuthResults:
    authserv_id: str
    results: tuple[MethodResult, ...]


def method_results(*, spf: SpfResult | None = None, helo: SpfResult | None = None,
                   dkim: DkimVerdict | None = None, dmarc: DmarcResult | None = None) -> list[MethodResult]:
    """The resinfo of each check made: SPF of HELO and/or MAIL FROM, each DKIM signature, DMARC."""
    results: list[MethodResult] = []
    for check in (helo, spf):
        if check is None:
            continue
        if check.identity == "helo":
            prop = ("smtp", "helo", check.helo or check.domain)
        else:
            prop = ("smtp", "mailfrom", check.sender)
        reason = check.reason if check.result in ("temperror", "permerror") else ""
        results.append(MethodResult("spf", check.result, reason=reason, properties=(prop,)))
    if dkim is not None:
        if not dkim.signatures:
            results.append(MethodResult("dkim", "none", comment="message not signed"))  # 2.7.1 none
        for sig in dkim.signatures:
            known = sig.properties()
            props = tuple(("header", key, known[f"header.{key}"]) for key in ("d", "s") if known.get(f"header.{key}"))
            if sig.b:
                props += (("header", "b", sig.b[:B_PREFIX]),)
            reason = sig.reason if sig.result != PASS else ""
            results.append(MethodResult("dkim", sig.result, reason=reason, properties=props))
    if dmarc is not None:
        reason = dmarc.reason if dmarc.result != PASS else ""
        props = (("header", "from", dmarc.author_domain),) if dmarc.author_domain else ()
        results.append(MethodResult("dmarc", dmarc.result, reason=reason, comment=dmarc.comment(), properties=props))
    return results


def field_value(authserv_id: str, results: Sequence[MethodResult]) -> str:
    """The folded value after "Authentication-Results:" (starting with a space, no final CRLF)."""
    if not results:
        return f" {authserv_id}; none"
    pieces = [f" {authserv_id};"]
    for n, result in enumerate(results):
        words = result.words()
        if n < len(results) - 1:
            words[-1] += ";"
        pieces.append(words)  # type: ignore[arg-type]
    return _fold(pieces, len(FIELD_NAME) + 1)


def _fold(pieces: list, used: int) -> str:
    """Each resinfo on a line of its own, its words carried onto more lines past LINE_WIDTH."""
    out = pieces[0]
    width = used + len(pieces[0])
    for piece in pieces[1:]:
        words = [piece] if isinstance(piece, str) else piece
        out += FOLD + words[0]
        width = 1 + len(words[0])
        for word in words[1:]:
            if width + 1 + len(word) > LINE_WIDTH:
                out += FOLD + word
                width = 1 + len(word)
            else:
                out += " " + word
                width += 1 + len(word)
    return out


def header_field(authserv_id: str, *, spf: SpfResult | None = None, helo: SpfResult | None = None,
                 dkim: DkimVerdict | None = None, dmarc: DmarcResult | None = None) -> bytes:
    """The whole field, folded, ending in CRLF: what the MX prepends to the message (RFC 8601 4)."""
    results = method_results(spf=spf, helo=helo, dkim=dkim, dmarc=dmarc)
    return (FIELD_NAME + ":" + field_value(authserv_id, results) + "\r\n").encode("utf-8")


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _comment(text: str) -> str:
    return "(" + text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"


def _pvalue(value: str) -> str:
    """A token, an address or domain as it is, anything else a quoted-string (RFC 8601 2.2 pvalue)."""
    if _TOKEN.match(value) or _ADDRESS.match(value):
        return value
    return _quoted(value)


# --- reading a field back (the Message tab) ------------------------------------------------------


class AuthResultsSyntaxError(ValueError):
    """Not an Authentication-Results value; str() says what is wrong."""


def parse(value: str) -> AuthResults:
    """An Authentication-Results value (folded or not, with or without the field name)."""
    if value.lower().startswith(FIELD_NAME.lower() + ":"):
        value = value[len(FIELD_NAME) + 1:]
    segments = _split(value.replace("\r\n", "").replace("\n", ""))
    head = _uncomment(segments[0])[0].split()
    if not head:
        raise AuthResultsSyntaxError("no authserv-id before the first ';'")
    results = []
    for segment in segments[1:]:
        text, comments = _uncomment(segment)
        if text.strip().lower() == "none" and len(segments) == 2:
            break
        pairs = re.findall(r'([A-Za-z0-9_./-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^\s;"]+)', text)
        if not pairs:
            raise AuthResultsSyntaxError(f"{segment.strip()!r} is not method=result")
        method, result = pairs[0][0].split("/")[0].lower(), _unquote(pairs[0][1]).lower()
        rest = pairs[1:]
        reason = ""
        if rest and rest[0][0].lower() == "reason":
            reason = _unquote(rest.pop(0)[1])
        props = []
        for key, raw in rest:
            ptype, dot, name = key.partition(".")
            if not dot:
                raise AuthResultsSyntaxError(f"{key}= is not ptype.property=")
            props.append((ptype.lower(), name.lower(), _unquote(raw)))
        results.append(MethodResult(method, result, reason, " ".join(comments), tuple(props)))
    return AuthResults(head[0], tuple(results))


def _split(value: str) -> list[str]:
    """The value cut at each ';' outside quoted-strings and comments."""
    segments, current, depth, quoted, escaped = [], "", 0, False, False
    for ch in value:
        if escaped:
            escaped = False
        elif ch == "\\" and (quoted or depth):
            escaped = True
        elif quoted:
            quoted = ch != '"'
        elif ch == '"' and not depth:
            quoted = True
        elif ch == "(":
            depth += 1
        elif ch == ")" and depth:
            depth -= 1
        elif ch == ";" and not depth:
            segments.append(current)
            current = ""
            continue
        current += ch
    segments.append(current)
    return segments


def _uncomment(text: str) -> tuple[str, list[str]]:
    """The text without its comments (CFWS), and the comments' contents."""
    out, comments, current, depth, quoted, escaped = "", [], "", 0, False, False
    for ch in text:
        if depth:
            if escaped:
                current += ch
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == "(":
                depth += 1
                current += ch
            elif ch == ")":
                depth -= 1
                if depth:
                    current += ch
                else:
                    comments.append(current)
                    current = ""
                    out += " "
            else:
                current += ch
            continue
        if quoted:
            out += ch
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                quoted = False
        elif ch == '"':
            quoted = True
            out += ch
        elif ch == "(":
            depth = 1
        else:
            out += ch
    return out, comments


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value
