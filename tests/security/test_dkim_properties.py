"""Hypothesis: DKIM sign-then-verify over arbitrary messages, and what a change in transit does."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.security.canonical import split_message
from simulator.security.dkim import FAIL, PASS, DkimSigner, DkimVerifier
from simulator.security.keys import ED25519_SHA256, RSA_SHA256, DemoKeyring

NOW = 1_772_442_000


class OneKey:
    """A resolver with one TXT record at every name."""

    def __init__(self, record: str) -> None:
        self.record = record

    def query(self, name: str, rtype: str) -> tuple[str, ...]:
        return (self.record,)

RING = DemoKeyring()
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_chars = st.sampled_from(list("abcXYZ019 .,:;<>@\"'=!~\t") + ["é", "\u00a0"])
_value = st.text(_chars, max_size=30)
_field_names = st.sampled_from(["To", "Cc", "Subject", "Date", "Message-ID", "Reply-To", "X-Note", "subject"])


@st.composite
def messages(draw) -> bytes:
    fields = [("From", draw(_value))] + draw(st.lists(st.tuples(_field_names, _value), max_size=5))
    draw(st.randoms()).shuffle(fields)
    head = b""
    for name, value in fields:
        words = value.split(" ")
        cut = draw(st.integers(0, len(words)))  # fold before a word, sometimes
        folded = " ".join(words[:cut]) + ("\r\n " if 0 < cut < len(words) else " " if cut else "") \
            + " ".join(words[cut:])
        head += f"{name}:{draw(st.sampled_from(['', ' ', '  ']))}{folded}\r\n".encode()
    return head + b"\r\n" + draw(bodies)


_line = st.text(_chars | st.sampled_from(["\r", "\n"]), max_size=40).map(lambda t: t.encode("utf-8"))
bodies = st.tuples(st.lists(_line, max_size=8).map(b"\r\n".join),
                   st.sampled_from([b"", b"\r\n", b"\r\n\r\n"])).map(b"".join)
signers = st.builds(
    lambda algorithm, h, b: DkimSigner("example.org", "s1", RING.key("example.org", "s1", algorithm),
                                       header_canon=h, body_canon=b),
    st.sampled_from([RSA_SHA256, ED25519_SHA256]), st.sampled_from(["simple", "relaxed"]),
    st.sampled_from(["simple", "relaxed"]))


def _verify(message: bytes, algorithm: str) -> tuple[str, str]:
    verdict = DkimVerifier(OneKey(RING.key("example.org", "s1", algorithm).record())).verify(message, now=NOW)
    return verdict.result, verdict.reason


@SETTINGS
@given(messages(), signers)
def test_sign_then_verify_passes(message: bytes, signer: DkimSigner) -> None:
    signed = signer.sign(message, now=NOW)
    assert _verify(signed.message, signer.key.algorithm) == (PASS, "")


@SETTINGS
@given(messages(), signers, st.data())
def test_any_single_byte_body_change_fails_under_simple(message: bytes, signer: DkimSigner, data) -> None:
    signer = DkimSigner(signer.domain, signer.selector, signer.key, signer.header_canon, "simple")
    signed = signer.sign(message, now=NOW).message
    start = len(signed) - len(split_message(signed)[1])
    if start == len(signed):
        signed += b"x"  # give the body a byte to change; the signature covered an empty body
    at = data.draw(st.integers(start, len(signed) - 1))
    new = data.draw(st.integers(0, 255).filter(lambda b: b != signed[at]))
    changed = signed[:at] + bytes([new]) + signed[at + 1:]
    assert _verify(changed, signer.key.algorithm) == (FAIL, "body hash mismatch")


_spaces = st.sampled_from([" ", "  ", "\t", " \t "])


@SETTINGS
@given(messages(), signers, st.data())
def test_relaxed_body_ignores_whitespace_only_changes(message: bytes, signer: DkimSigner, data) -> None:
    signer = DkimSigner(signer.domain, signer.selector, signer.key, signer.header_canon, "relaxed")
    signed = signer.sign(message, now=NOW).message
    head, body = signed[:len(signed) - len(split_message(signed)[1])], split_message(signed)[1]
    lines = body.split(b"\r\n")
    widened = []
    for line in lines:
        line = line.replace(b" ", data.draw(_spaces).encode())  # a WSP run for every space
        widened.append(line + data.draw(st.sampled_from([b"", b" ", b"\t"])))  # WSP at the line end
    changed = head + b"\r\n".join(widened) + data.draw(st.sampled_from([b"", b"\r\n\r\n", b"\r\n \r\n"]))
    assert _verify(changed, signer.key.algorithm) == (PASS, "")
