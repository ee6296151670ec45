"""SASLprep (RFC 4013), the stringprep profile SCRAM normalises passwords and user names with (RFC 5802 2.2)."""

from __future__ import annotations

import stringprep
import unicodedata

_PROHIBITED = (
    stringprep.in_table_c12, stringprep.in_table_c21_c22, stringprep.in_table_c3, stringprep.in_table_c4,
    stringprep.in_table_c5, stringprep.in_table_c6, stringprep.in_table_c7, stringprep.in_table_c8,
    stringprep.in_table_c9,
)


def saslprep(text: str) -> str:
    """RFC 4013 2: map (non-ASCII spaces to SPACE, B.1 to nothing), NFKC, prohibit, check bidi; ValueError if refused."""
    mapped = "".join(" " if stringprep.in_table_c12(c) else c for c in text if not stringprep.in_table_b1(c))
    out = unicodedata.normalize("NFKC", mapped)
    for c in out:
        if any(table(c) for table in _PROHIBITED) or stringprep.in_table_a1(c):
            raise ValueError(f"SASLprep: prohibited character U+{ord(c):04X} (RFC 4013 2.3, 2.5)")
    if any(stringprep.in_table_d1(c) for c in out):  # RFC 3454 6: right-to-left text
        if any(stringprep.in_table_d2(c) for c in out) or not (
                stringprep.in_table_d1(out[0]) and stringprep.in_table_d1(out[-1])):
            raise ValueError("SASLprep: mixed or badly placed right-to-left characters (RFC 3454 6)")
    return out
