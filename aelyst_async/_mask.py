"""Masking the personal values of a request's path, in one home: identifiers and query values.

A log line masks both (:func:`masked`); an error's message masks the query's values
(:func:`masked_query`) and keeps the identifier, which says which contact failed. Parameter
names are kept, so a line still says what was asked.

>>> masked("GET /contact/email:ana@example.com/tag?limit=5&cursorId=c9")
'GET /contact/email:***/tag?limit=***&cursorId=***'
"""

from __future__ import annotations

import re

MASK = "***"
_IDENTIFIER = re.compile(r"(?:(?<=[/ ])|^)(email|phone|id):[^/?#\s]+")
_QUERY = re.compile(r"\?[^#\s]*")
_VALUE = re.compile(r"(?<=[?&;])([^=&;#\s]*)=[^&;#\s]+")


def masked_query(text: str) -> str:
    """``text`` (a path, or ``"METHOD /path"``) with each query value replaced by ``***``:
    ``"/contact/list?email=a%40b.c&x"`` -> ``"/contact/list?email=***&x"``."""
    if "?" not in text:
        return text
    return _QUERY.sub(lambda query: _VALUE.sub(rf"\1={MASK}", query.group()), text)


def masked(text: str) -> str:
    """``text`` (a path, ``"METHOD /path"`` or an identifier) with every identifier's value
    and every query value replaced by ``***``: ``"/contact/phone:+601234/tag"`` ->
    ``"/contact/phone:***/tag"``."""
    return masked_query(_IDENTIFIER.sub(rf"\1:{MASK}", text))
