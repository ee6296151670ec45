"""The one error a record can raise while it is read: a syntax error (RFC 7208 4.6 -> permerror)."""


class SpfSyntaxError(ValueError):
    """A record, term or macro string that does not follow RFC 7208's grammar; str() is a sentence."""
