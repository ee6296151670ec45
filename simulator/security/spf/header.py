"""The Received-SPF header field a receiver adds (RFC 7208 9.1)."""

from __future__ import annotations

import re

from simulator.security.spf.check import SpfResult

_DOT_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")

_COMMENTS = {
    "pass": "domain of {sender} designates {ip} as permitted sender",
    "fail": "domain of {sender} does not designate {ip} as permitted sender",
    "softfail": "domain of transitioning {sender} does not designate {ip} as permitted sender",
    "neutral": "{ip} is neither permitted nor denied by domain of {sender}",
    "none": "domain of {sender} does not designate permitted sender hosts",
    "temperror": "error in processing during lookup of {sender}: {reason}",
    "permerror": "permanent error in processing domain of {sender}: {reason}",
}


def received_spf(result: SpfResult, receiver: str) -> str:
    """The field's value (after "Received-SPF: "), unfolded: the result, a comment for
    people and the key-value pairs of RFC 7208 9.1 for programs."""
    comment = _COMMENTS[result.result].format(
        sender=result.sender, ip=result.ip, reason=result.reason
    )
    comment = comment.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    pairs = [
        ("client-ip", result.ip),
        ("envelope-from", result.sender),
        ("helo", result.helo),
        ("receiver", receiver),
        ("identity", result.identity),
    ]
    if result.mechanism:
        pairs.append(("mechanism", result.mechanism))
    if result.reason:
        pairs.append(("problem", result.reason))
    kv = " ".join(f"{key}={_value(value)};" for key, value in pairs if value)
    return f"{result.result} ({receiver}: {comment}) {kv}"


def _value(text: str) -> str:
    """A dot-atom as it is, anything else as a quoted-string (RFC 5322 3.2.3, 3.2.4)."""
    if _DOT_ATOM.fullmatch(text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
