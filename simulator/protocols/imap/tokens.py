"""What the IMAP command parser hands on: the arguments of one command as Python values.

* :class:`Atom` -- an atom as sent (case kept; compare ``.upper()``). ``NIL`` is
  ``Atom("NIL")``. Sequence sets, flags (``\\Seen``), search keys, fetch items
  are atoms. An atom that contains ``[`` runs to its matching ``]`` and on
  through the atom characters after it, spaces and parentheses inside the
  brackets included, so ``BODY.PEEK[HEADER.FIELDS (From To)]<0.100>`` is one
  atom for the fetch parser to read.
* ``str`` -- a quoted string, unescaped, decoded as UTF-8.
* :class:`Literal` -- a literal ``{n}`` / ``{n+}``: its octets, as bytes.
* ``list`` -- a parenthesised list of the above.
"""

from __future__ import annotations


class Atom(str):
    __slots__ = ()

    def __repr__(self) -> str:
        return f"Atom({str(self)!r})"


class Literal(bytes):
    __slots__ = ()

    def __repr__(self) -> str:
        return f"Literal({bytes(self)!r})"


Token = Atom | str | Literal | list


def text_of(token: Token) -> str:
    """An astring/string argument as text (atom, quoted or literal); TypeError for a list."""
    if isinstance(token, list):
        raise TypeError("a list where a string was expected")
    if isinstance(token, bytes):
        return token.decode("utf-8", "replace")
    return str(token)
