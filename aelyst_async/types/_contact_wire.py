"""A :class:`Contact` to and from its wire-format body, through the package's one converter,
checking the body by Python field path (``Contact.from_dict``, a JSONL import).

>>> contact_to_wire(Contact("Ana", last_name=None))
{'firstName': 'Ana', 'lastName': None}
>>> contact_from_wire({"firstName": "Ana", "email": 7})
Traceback (most recent call last):
aelyst_async.ContactValidationError: 1 invalid field: email: must be a string or null, got a number
"""

from __future__ import annotations

from typing import Any

import attrs

from .._errors import ContactValidationError, ValidationProblem
from ._wire import converter, wire_name
from .contact import Contact, ContactUpdate

WIRE_NAMES = {field.name: wire_name(field) for field in attrs.fields(Contact)}
"""Contact attribute name -> JSON key (from the converter's naming)."""

PYTHON_NAMES = {wire: name for name, wire in WIRE_NAMES.items()}
"""JSON key -> Contact attribute name."""


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
