"""FETCH output read back by a real client's parser (imapclient) gives what the message holds.

For random messages built with the stdlib (multipart/alternative, attachments,
nested message/rfc822, 8-bit and encoded-word headers, long folded headers),
imapclient's ``parse_fetch_response`` must read our ENVELOPE, BODYSTRUCTURE and
section literals (RFC 9051 7.5.2) to the values the stdlib parser finds in the
same message.
"""

from __future__ import annotations

import email
import email.header
import email.policy
import email.utils
import re
import urllib.parse
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage, Message

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from imapclient.response_parser import _convert_ENVELOPE, parse_fetch_response

from simulator.protocols.imap.fetch import fetch_response, parse_fetch_items
from simulator.protocols.imap.tokens import Atom


@dataclass
class Msg:
    data: bytes
    uid: int = 7
    internal_date: float = 1_700_000_000.0
    flags: set[str] = field(default_factory=lambda: {"\\Seen", "$Label"})

    @property
    def size(self) -> int:
        return len(self.data)


def imaplib_records(line: bytes) -> list:
    """Split a response the way imaplib hands it to imapclient: (text ending in {n}, literal) pairs."""
    records: list = []
    i = start = 0
    quoted = False
    while i < len(line):
        c = line[i:i + 1]
        if quoted:
            if c == b"\\":
                i += 2
                continue
            quoted = c != b'"'
        elif c == b'"':
            quoted = True
        elif c == b"{" and (m := re.match(rb"\{(\d+)\}\r\n", line[i:])):
            head_end = i + len(m.group(0)) - 2
            lit_start = i + len(m.group(0))
            n = int(m.group(1))
            records.append((line[start:head_end], line[lit_start:lit_start + n]))
            i = start = lit_start + n
            continue
        i += 1
    records.append(line[start:])
    return records


def client_parse(seq: int, response: bytes) -> dict:
    parsed = parse_fetch_response(imaplib_records(b"%d " % seq + response), uid_is_key=False, normalise_times=False)
    assert list(parsed) == [seq]
    return parsed[seq]


def test_imaplib_records_split_literals_outside_quotes():
    assert imaplib_records(b'1 (A "x{3}\r\n" B {3}\r\nabc C)') == [(b'1 (A "x{3}\r\n" B {3}', b"abc"), b" C)"]


# --- random messages ---------------------------------------------------------------------

_words = st.text(
    alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyzABCXYZ0123456789 .,;:'\"()<>@!?-_=+/éüßø中文ж"),
    min_size=0, max_size=40,
)
# The stdlib writes a name mixing non-ASCII and specials as encoded words next to bare
# specials (a malformed header), so a name is either ASCII with specials or plain words.
_names = st.one_of(
    st.text(alphabet=st.sampled_from("abcxyzABC019 .,;:'\"()<>@!?-_=+/\\"), max_size=40),
    st.text(alphabet=st.sampled_from("abcxyzABC019 '!-_+/éüßø中文ж"), max_size=40),
)
# The stdlib's SMTPUTF8 generator writes a non-ASCII display name unquoted even when it holds
# specials (a malformed header neither side could read back), and its parser trips over
# some 8-bit words with '.', '=' or '?'; so 8-bit names avoid those.
_words_8bit = st.text(alphabet=st.sampled_from("abcxyzABC019 '!-_+/éüßø中文ж"), max_size=40)
_local = st.from_regex(r"[a-z][a-z0-9.]{0,10}[a-z0-9]", fullmatch=True).filter(lambda s: ".." not in s)
_domain = st.from_regex(r"[a-z]{1,10}\.(org|net|example)", fullmatch=True)


def _header_address(addr: tuple[str, str, str]) -> str:
    name, local, domain = addr
    return email.utils.formataddr((name, f"{local}@{domain}")) if name else f"{local}@{domain}"


@st.composite
def messages(draw, utf8: bool, depth: int = 0) -> EmailMessage:
    _address = st.tuples((_words_8bit if utf8 else _names).map(str.strip), _local, _domain)
    msg = EmailMessage()
    msg["From"] = _header_address(draw(_address))
    msg["To"] = ", ".join(_header_address(a) for a in draw(st.lists(_address, min_size=1, max_size=3)))
    if draw(st.booleans()):
        msg["Cc"] = ", ".join(_header_address(a) for a in draw(st.lists(_address, min_size=1, max_size=4)))
    subject = draw(st.one_of(_words, st.text(alphabet="abc xyz é", min_size=60, max_size=180)))
    msg["Subject"] = " ".join(subject.split())
    msg["Date"] = email.utils.format_datetime(
        draw(st.datetimes(datetime(1990, 1, 1), datetime(2090, 1, 1), timezones=st.just(UTC)))
    )
    msg["Message-ID"] = f"<{draw(_local)}@{draw(_domain)}>"
    body = draw(st.text(alphabet=st.sampled_from("abc xyz\n=é中.-"), max_size=300))
    cte = draw(st.sampled_from([None, "8bit", "base64", "quoted-printable"]))
    if cte is None and not body.isascii():
        cte = "quoted-printable"
    msg.set_content(body, cte=cte) if cte else msg.set_content(body)
    if draw(st.booleans()):
        msg.add_alternative(f"<p>{body[:50]}</p>", subtype="html")
    for _ in range(draw(st.integers(0, 2))):
        content = draw(st.binary(max_size=200))
        name = draw(st.text(alphabet="abcxyz-é", min_size=1, max_size=12)) + ".bin"
        msg.add_attachment(content, maintype="application", subtype="octet-stream", filename=name)
    if depth == 0 and draw(st.booleans()):
        msg.add_attachment(draw(messages(utf8, depth=1)))
    return msg


def _render(msg: EmailMessage, utf8: bool) -> bytes:
    policy = email.policy.SMTPUTF8 if utf8 else email.policy.SMTP
    return msg.as_bytes(policy=policy)


def _decoded(raw: bytes | None) -> str:
    if raw is None:
        return ""
    text = raw.decode("utf-8", "replace")
    return " ".join(str(email.header.make_header(email.header.decode_header(text))).split())


def _norm(text: str) -> str:
    """Unfolded, and 8-bit header octets (which the stdlib keeps as surrogates) read as UTF-8."""
    return " ".join(text.encode("utf-8", "surrogateescape").decode("utf-8", "replace").split())


def _check_envelope(env, parsed: Message) -> None:
    assert _decoded(env.subject) == _norm(str(parsed["subject"]))
    assert env.date == email.utils.parsedate_to_datetime(str(parsed["date"]))
    assert env.message_id.decode() == str(parsed["message-id"])
    for got, name in ((env.from_, "from"), (env.to, "to"), (env.cc, "cc")):
        addresses = parsed[name].addresses if parsed[name] else ()
        expected = [(_norm(a.display_name), _norm(a.username), a.domain) for a in addresses]
        seen = [(_decoded(a.name), _norm(a.mailbox.decode()), a.host.decode()) for a in got or ()]
        # The stdlib folds "x é" into two encoded words around the space, then keeps that space
        # when reading them back (RFC 2047 6.2 drops it): names compare without white space.
        assert [(n.replace(" ", ""), m, h) for n, m, h in seen] == [
            (n.replace(" ", ""), m, h) for n, m, h in expected], name
    assert env.sender == env.from_ and env.reply_to == env.from_  # RFC 9051 7.5.2 defaults


def _leaves(part: Message, body, prefix: str, out: list) -> None:
    """Pair the stdlib's parts with imapclient's structure, part number by part number."""
    if part.get_content_maintype() == "multipart":
        children, subtype = body[0], body[1]
        assert subtype.decode().lower() == part.get_content_subtype()
        payload = part.get_payload()
        assert len(children) == len(payload)
        for n, (child, child_body) in enumerate(zip(payload, children, strict=True), 1):
            _leaves(child, child_body, f"{prefix}.{n}" if prefix else str(n), out)
        return
    out.append((prefix or "1", part, body))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.booleans().flatmap(lambda utf8: st.tuples(messages(utf8), st.just(utf8))))
def test_imapclient_reads_what_the_message_holds(example):
    msg, utf8 = example
    data = _render(msg, utf8)
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    structure_items = ["UID", "FLAGS", "RFC822.SIZE", "INTERNALDATE", "ENVELOPE", "BODYSTRUCTURE", "BODY",
                       "BODY.PEEK[]", "BODY.PEEK[HEADER]", "BODY.PEEK[HEADER.FIELDS (Subject From)]"]
    got = client_parse(3, fetch_response(3, Msg(data), parse_fetch_items([Atom(i) for i in structure_items])))

    assert got[b"UID"] == 7
    assert set(got[b"FLAGS"]) == {b"\\Seen", b"$Label"}
    assert got[b"RFC822.SIZE"] == len(data)
    assert got[b"BODY[]"] == data
    header = data[: data.index(b"\r\n\r\n") + 4]
    assert got[b"BODY[HEADER]"] == header
    fields = got[b"BODY[HEADER.FIELDS (SUBJECT FROM)]"]
    assert email.message_from_bytes(fields, policy=email.policy.default)["subject"] == parsed["subject"]
    _check_envelope(got[b"ENVELOPE"], parsed)

    leaves: list = []
    _leaves(parsed, got[b"BODYSTRUCTURE"], "", leaves)
    plain: list = []
    _leaves(parsed, got[b"BODY"], "", plain)
    assert len(plain) == len(leaves)
    names = [f"BODY.PEEK[{n}]" for n, _, _ in leaves] + [f"BINARY.PEEK[{n}]" for n, p, _ in leaves
                                                        if p.get_content_maintype() != "message"]
    sections = client_parse(3, fetch_response(3, Msg(data), parse_fetch_items([Atom(n) for n in names])))
    for number, part, body in leaves:
        maintype, subtype = body[0].decode().lower(), body[1].decode().lower()
        assert (maintype, subtype) == (part.get_content_maintype(), part.get_content_subtype())
        encoding = body[5].decode().lower()
        assert encoding == str(part.get("content-transfer-encoding", "7bit")).lower()
        raw = sections[f"BODY[{number}]".encode()]
        assert body[6] == len(raw)
        if maintype == "text":
            assert body[7] == raw.count(b"\n") + (1 if raw and not raw.endswith(b"\n") else 0)
            assert body[8:] == (None, None, None, None)  # MD5 disposition language location
        if maintype == "message":
            inner = part.get_payload()[0]
            _check_envelope(_convert_ENVELOPE(body[7], normalise_times=False), inner)
            assert raw in data and raw.startswith(b"From: ")
            assert email.message_from_bytes(raw, policy=email.policy.default)["subject"] == inner["subject"]
            continue
        payload = part.get_payload(decode=True)
        if b"\x00" not in payload:  # imapclient reads no literal8 (~{n}); test_fetch covers it
            assert sections[f"BINARY[{number}]".encode()] == payload
        filename = part.get_filename()
        if filename is not None:
            disposition = body[-3]
            assert disposition[0] == b"ATTACHMENT"
            params = dict(zip(disposition[1][::2], disposition[1][1::2], strict=True))
            if b"FILENAME*" in params:  # RFC 2231 parameters go out as sent, for the client to decode
                charset, _, value = params[b"FILENAME*"].decode().split("'", 2)
                assert urllib.parse.unquote(value, encoding=charset) == filename
            else:
                assert params[b"FILENAME"].decode("utf-8") == filename
