"""Reading and writing the wire format with the package's one converter (:mod:`..types._wire`):
contact bodies, records, ids, and the problems of a wire-format contact by Python field path.

>>> contact_to_wire(Contact("Ana", last_name=None))
{'firstName': 'Ana', 'lastName': None}
"""

from __future__ import annotations

from typing import Any, TypeVar

import attrs

from .._errors import ContactValidationError, ValidationProblem
from ..types._read import UnreadableKey, read_int, read_record
from ..types._wire import converter, wire_name
from ..types.contact import Contact, ContactUpdate, UpsertResult

WIRE_NAMES = {field.name: wire_name(field) for field in attrs.fields(Contact)}
"""Contact attribute name -> JSON key (from the converter's naming)."""

PYTHON_NAMES = {wire: name for name, wire in WIRE_NAMES.items()}
T = TypeVar("T")


def contact_to_wire(contact: Contact | ContactUpdate) -> dict[str, Any]:
    """The JSON body for ``contact``: fields left UNSET are omitted, ``None`` becomes null."""
    wire: dict[str, Any] = converter.unstructure(contact, type(contact))
    return wire


def wire_problems(body: dict[str, Any]) -> list[ValidationProblem]:
    """What keeps a wire-format body from becoming a Contact, by Python field path."""
    problems: list[ValidationProblem] = []
    for key, value in body.items():
        name = PYTHON_NAMES.get(key)
        if name is None:
            problems.append(ValidationProblem(key, "unknown field"))
        elif key == "firstName":
            if not isinstance(value, str):
                problems.append(
                    ValidationProblem(name, f"must be a string, got {json_type(value)}")
                )
        elif key == "custom_fields":
            problems += _custom_field_problems(value)
        elif value is not None and not isinstance(value, str):
            problems.append(
                ValidationProblem(name, f"must be a string or null, got {json_type(value)}")
            )
    if "firstName" not in body:
        problems.insert(0, ValidationProblem("first_name", "is required"))
    return problems


def _custom_field_problems(items: Any) -> list[ValidationProblem]:
    if items is None:
        return []
    if not isinstance(items, list):
        return [ValidationProblem("custom_fields", f"must be a list, got {json_type(items)}")]
    problems: list[ValidationProblem] = []
    for i, item in enumerate(items):
        where = f"custom_fields[{i}]"
        if not isinstance(item, dict):
            problems.append(ValidationProblem(where, "must be an object with a name and a value"))
            continue
        for key in item:
            if key not in ("name", "value"):
                problems.append(ValidationProblem(where, f"unknown key {key!r}"))
        if not isinstance(item.get("name"), str):
            problems.append(ValidationProblem(f"{where}.name", "is required and must be a string"))
        if "value" not in item:
            problems.append(ValidationProblem(f"{where}.value", "is required (null clears)"))
        else:
            value = item["value"]
            if isinstance(value, bool) or not (
                value is None or isinstance(value, (str, int, float))
            ):
                problems.append(
                    ValidationProblem(
                        f"{where}.value",
                        f"must be a string, number or null, got {json_type(value)}",
                    )
                )
    return problems


def json_type(value: object) -> str:
    """How JSON names the type of ``value`` (for error messages)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def contact_from_wire(body: dict[str, Any]) -> Contact:
    """A :class:`Contact` from a wire-format body (as in a JSONL import).

    Raises :class:`ContactValidationError` naming each unknown key or wrongly typed value by its
    Python field path (``first_name``, ``custom_fields[0].value``).
    """
    problems = wire_problems(body)
    if problems:
        raise ContactValidationError(problems)
    return converter.structure(body, Contact)


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
