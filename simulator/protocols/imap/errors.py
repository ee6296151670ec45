"""Why a FETCH, SEARCH or sequence-set argument cannot be served, as the server answers it.

* :class:`ImapSyntaxError` -- the argument does not parse: tagged ``BAD`` with
  ``str(error)`` as the text (RFC 9051 7.1.5).
* :class:`BadCharset` -- SEARCH CHARSET names a charset we do not search in:
  tagged ``NO [BADCHARSET (UTF-8 US-ASCII)]`` (RFC 9051 6.4.4, 7.1).
* :class:`UnknownCte` -- BINARY[] of a part whose Content-Transfer-Encoding we
  cannot undo: tagged ``NO [UNKNOWN-CTE]`` (RFC 9051 6.4.5, 7.1).

``response_code`` is the bracketed code without brackets ("" when none), so
the server writes ``tag NO [code] text`` from the exception alone.
"""

from __future__ import annotations


class ImapSyntaxError(ValueError):
    response_code = ""


class BadCharset(Exception):
    response_code = "BADCHARSET (UTF-8 US-ASCII)"


class UnknownCte(Exception):
    response_code = "UNKNOWN-CTE"
