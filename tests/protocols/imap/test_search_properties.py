"""SEARCH laws over random mailboxes: NOT complements, OR unites, keys in a row intersect,
and a substring of a decoded subject or body is found (RFC 9051 6.4.4)."""

from __future__ import annotations

from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import SMTP, default

from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.protocols.imap.search import SearchContext, parse_search, search
from simulator.protocols.imap.tokens import Atom


@dataclass
class Msg:
    uid: int
    data: bytes
    internal_date: float = 0.0
    flags: set[str] = field(default_factory=set)

    @property
    def size(self) -> int:
        return len(self.data)


FLAGS = ["\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft"]
KEYS = [["SEEN"], ["ANSWERED"], ["FLAGGED"], ["DELETED"], ["DRAFT"], ["UNSEEN"], ["LARGER", "300"],
        ["SMALLER", "400"], ["2:4"], ["UID", "3:*"], ["SUBJECT", "a"], ["BODY", "b"], ["ALL"]]
_text = st.text(alphabet="abc déf中", min_size=1, max_size=30)


@st.composite
def mailboxes(draw) -> list[Msg]:
    out = []
    uid = 0
    for _ in range(draw(st.integers(0, 6))):
        uid += draw(st.integers(1, 3))
        m = EmailMessage()
        m["Subject"] = draw(_text).strip() or "x"
        m.set_content(draw(_text))
        out.append(Msg(uid, m.as_bytes(policy=SMTP), flags=set(draw(st.lists(st.sampled_from(FLAGS))))))
    return out


def run(tokens: list, box: list[Msg]) -> set[int]:
    pairs = list(enumerate(box, 1))
    return set(search(parse_search(tokens), pairs, SearchContext.of(pairs)))


def atoms(key: list[str]) -> list:
    return [Atom(k) for k in key]


@settings(max_examples=80, deadline=None)
@given(mailboxes(), st.sampled_from(KEYS), st.sampled_from(KEYS))
def test_boolean_laws(box, a, b):
    everything = set(range(1, len(box) + 1))
    ra, rb = run(atoms(a), box), run(atoms(b), box)
    assert run([Atom("NOT"), *atoms(a)], box) == everything - ra
    assert run([Atom("OR"), *atoms(a), *atoms(b)], box) == ra | rb
    assert run([*atoms(a), *atoms(b)], box) == ra & rb
    assert run([atoms(a), Atom("NOT"), atoms(b)], box) == ra - rb


@settings(max_examples=60, deadline=None)
@given(mailboxes(), st.data())
def test_substrings_of_decoded_subject_and_body_are_found(box, data):
    if not box:
        return
    n = data.draw(st.integers(0, len(box) - 1))
    parsed = message_from_bytes(box[n].data, policy=default)
    subject = str(parsed["subject"])
    start = data.draw(st.integers(0, len(subject) - 1))
    needle = subject[start:start + data.draw(st.integers(1, 5))].upper()
    if needle.strip():
        assert n + 1 in run([Atom("SUBJECT"), needle], box)
    body = parsed.get_content()
    word = body.split()[0] if body.split() else ""
    if word:
        assert n + 1 in run([Atom("BODY"), word.upper()], box)
        assert n + 1 in run([Atom("TEXT"), word], box)
