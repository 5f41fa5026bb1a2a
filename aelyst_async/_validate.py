"""Client-side validation: every problem of a contact, each with its field path.

Modes: ``"strict"`` (the ``[validation]`` extra's libraries where installed, else shape checks),
``"basic"`` (shape checks only) and ``"off"`` (only what the wire format itself cannot carry).

>>> validate_contact(Contact("", country_code="my"), "basic")
[ValidationProblem(field='first_name', ...), ValidationProblem(field='country_code', ...)]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from . import _checks
from ._convert import custom_value_to_wire
from ._errors import ValidationProblem
from ._models import Contact, CustomField, Identifier, UnsetType

Mode = Literal["strict", "basic", "off"]
MODES: tuple[Mode, ...] = ("strict", "basic", "off")

_Check = Callable[[str, bool], "str | None"]

_FORMAT_CHECKS: dict[str, _Check] = {
    "email": lambda v, strict: _checks.check_email(v, strict=strict),
    "phone": lambda v, strict: _checks.check_phone(v, strict=strict),
    "language": lambda v, strict: _checks.check_language(v, strict=strict),
    "country_code": lambda v, strict: _checks.check_country_code(v, strict=strict),
    "profile_pic": lambda v, strict: _checks.check_http_url(v),
}


def _type_name(value: object) -> str:
    return type(value).__name__


def validate_contact(contact: Contact, mode: Mode) -> list[ValidationProblem]:
    """Every problem of ``contact`` under ``mode``; an empty list when it can be sent."""
    if not isinstance(contact, Contact):
        return [ValidationProblem("contact", f"expected a Contact, got {_type_name(contact)}")]
    problems: list[ValidationProblem] = []
    if not isinstance(contact.first_name, str):
        problems.append(
            ValidationProblem(
                "first_name", f"must be a string, got {_type_name(contact.first_name)}"
            )
        )
    elif mode != "off" and not contact.first_name.strip():
        problems.append(ValidationProblem("first_name", "is required and must not be blank"))
    for field in ("last_name", *_FORMAT_CHECKS):
        value = getattr(contact, field)
        if value is None or isinstance(value, UnsetType):
            continue
        if not isinstance(value, str):
            problems.append(
                ValidationProblem(field, f"must be a string or None, got {_type_name(value)}")
            )
            continue
        check = _FORMAT_CHECKS.get(field)
        if mode != "off" and check is not None and (problem := check(value, mode == "strict")):
            problems.append(ValidationProblem(field, problem))
    problems.extend(_custom_field_problems(contact.custom_fields, mode))
    return problems


def _custom_field_problems(fields: object, mode: Mode) -> list[ValidationProblem]:
    if fields is None or isinstance(fields, UnsetType):
        return []
    if isinstance(fields, (str, bytes)) or not hasattr(fields, "__iter__"):
        return [
            ValidationProblem(
                "custom_fields", f"must be a list of CustomField, got {_type_name(fields)}"
            )
        ]
    problems: list[ValidationProblem] = []
    for i, field in enumerate(fields):
        path = f"custom_fields[{i}]"
        if not isinstance(field, CustomField):
            problems.append(
                ValidationProblem(path, f"must be a CustomField, got {_type_name(field)}")
            )
            continue
        if not isinstance(field.name, str):
            problems.append(
                ValidationProblem(f"{path}.name", f"must be a string, got {_type_name(field.name)}")
            )
        elif mode != "off" and not field.name.strip():
            problems.append(ValidationProblem(f"{path}.name", "must not be blank"))
        try:
            custom_value_to_wire(field.value)
        except (TypeError, ValueError) as exc:
            problems.append(ValidationProblem(f"{path}.value", str(exc)))
    return problems


def validate_identifier(identifier: Identifier, mode: Mode) -> list[ValidationProblem]:
    """Problems of an identifier's value (email syntax, E.164) under ``mode``."""
    if mode == "off" or identifier.kind == "id":
        return []
    check = _FORMAT_CHECKS[identifier.kind]
    problem = check(identifier.value, mode == "strict")
    return [ValidationProblem("identifier", problem)] if problem else []
