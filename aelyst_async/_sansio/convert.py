"""Reading and writing the wire format with the package's one converter (:mod:`..types._wire`):
contact bodies, records, ids, and the problems of a wire-format contact by Python field path.

>>> contact_to_wire(Contact("Ana", last_name=None))
{'firstName': 'Ana', 'lastName': None}
"""

from __future__ import annotations

from typing import Any, TypeVar

from ..types._contact_wire import (
    PYTHON_NAMES,
    WIRE_NAMES,
    contact_from_wire,
    contact_to_wire,
    json_type,
    wire_problems,
)
from ..types._read import UnreadableKey, read_int, read_record
from ..types.contact import UpsertResult

__all__ = [
    "PYTHON_NAMES",
    "WIRE_NAMES",
    "contact_from_wire",
    "contact_to_wire",
    "json_type",
    "record_from_wire",
    "upsert_result_from_wire",
    "wire_int",
    "wire_problems",
]
T = TypeVar("T")


def wire_int(body: Any, key: str) -> int:
    """``body[key]`` as a positive int (an id: a JSON integer or a string of digits); raises
    :class:`UnreadableKey` (a ValueError naming ``key``) otherwise."""
    if not isinstance(body, dict) or body.get(key) is None:
        raise UnreadableKey(key, "is missing from the response")
    try:
        value = read_int(body[key])
    except TypeError as exc:
        raise UnreadableKey(key, f"cannot be read: {exc}") from None
    if value < 1:
        raise UnreadableKey(key, f"is {value}, not a positive id")
    return value


def upsert_result_from_wire(body: Any) -> UpsertResult:
    """``{"contactId": 7}`` -> ``UpsertResult(7)``; anything else raises TypeError/ValueError."""
    return UpsertResult(wire_int(body, "contactId"))


def record_from_wire(body: Any, cls: type[T]) -> T:
    """A record from its JSON object, read tolerantly (:mod:`..types._read`); raises
    :class:`UnreadableKey` (a ValueError naming the key) when it lacks the key that identifies
    it. Webhook payloads read their records through it too."""
    return read_record(body, cls)
