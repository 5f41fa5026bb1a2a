"""Client-side validation: every problem of what a call sends, each with its field path.

Modes: ``"strict"`` (the ``[validation]`` extra's libraries where installed, else shape checks),
``"basic"`` (shape checks only) and ``"off"`` (only what the wire format itself cannot carry:
types, lone surrogates, values with no wire form).

>>> validate_contact(Contact("", country_code="my"), "basic")
[ValidationProblem(field='first_name', ...), ValidationProblem(field='country_code', ...)]
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, get_args

from ..._errors import ValidationError, ValidationProblem
from ...types._wire import custom_value_to_wire
from ...types.contact import (
    UNSET,
    Contact,
    ContactUpdate,
    CustomField,
    Identifier,
    UnsetType,
    is_unicode,
)
from ...types.records import ContactFilter, FilterCategory, FilterOperator
from . import formats as _formats
from .checks import ValidationMode, check_text, refuse, type_name

_Check = Callable[[str, bool], "str | None"]

_FORMAT_CHECKS: dict[str, _Check] = {
    "email": lambda v, strict: _formats.check_email(v, strict=strict),
    "phone": lambda v, strict: _formats.check_phone(v, strict=strict),
    "language": lambda v, strict: _formats.check_language(v, strict=strict),
    "country_code": lambda v, strict: _formats.check_country_code(v, strict=strict),
    "profile_pic": lambda v, strict: _formats.check_http_url(v),
}
_OPTIONAL_TEXT = (("last_name", None), *_FORMAT_CHECKS.items())
"""The optional text fields of a contact and their format checks (None: no format)."""


def validate_contact(
    contact: Contact | ContactUpdate, mode: ValidationMode
) -> list[ValidationProblem]:
    """Every problem of ``contact`` under ``mode``; an empty list when it can be sent.

    A :class:`ContactUpdate` may leave ``first_name`` unset; a :class:`Contact` may not.
    """
    if not isinstance(contact, (Contact, ContactUpdate)):
        return [
            ValidationProblem(
                "contact", f"expected a Contact or ContactUpdate, got {type_name(contact)}"
            )
        ]
    problems: list[ValidationProblem] = []
    if contact.first_name is not UNSET:
        problems += check_text("first_name", contact.first_name, mode=mode)
    for field, check in _OPTIONAL_TEXT:
        value = getattr(contact, field)
        if value is None or value is UNSET:
            continue
        if not isinstance(value, str):
            problems.append(
                ValidationProblem(field, f"must be a string or None, got {type_name(value)}")
            )
            continue
        if not is_unicode(value):
            problems.append(ValidationProblem(field, "contains a lone surrogate"))
            continue
        if mode != "off" and check is not None and (problem := check(value, mode == "strict")):
            problems.append(ValidationProblem(field, problem))
    if contact.custom_fields is not UNSET:
        problems.extend(_custom_field_problems(contact.custom_fields, mode))
    return problems


def _custom_field_problems(fields: object, mode: ValidationMode) -> list[ValidationProblem]:
    if fields is None or isinstance(fields, UnsetType):
        return []
    if not isinstance(fields, tuple):
        return [
            ValidationProblem(
                "custom_fields", f"must be a list of CustomField, got {type_name(fields)}"
            )
        ]
    problems: list[ValidationProblem] = []
    seen: dict[str, int] = {}
    for i, field in enumerate(fields):
        path = f"custom_fields[{i}]"
        if not isinstance(field, CustomField):
            problems.append(
                ValidationProblem(path, f"must be a CustomField, got {type_name(field)}")
            )
            continue
        problems += check_text(f"{path}.name", field.name, mode=mode)
        if isinstance(field.name, str) and mode != "off":
            first = seen.setdefault(field.name, i)
            if first != i:
                problems.append(
                    ValidationProblem(f"{path}.name", f"repeats custom_fields[{first}].name")
                )
        if isinstance(field.value, str) and not is_unicode(field.value):
            problems.append(ValidationProblem(f"{path}.value", "contains a lone surrogate"))
            continue
        try:
            custom_value_to_wire(field.value)
        except (TypeError, ValueError) as exc:
            problems.append(ValidationProblem(f"{path}.value", str(exc)))
    return problems


def validate_identifier(
    identifier: Identifier, mode: ValidationMode, *, field: str = "identifier"
) -> list[ValidationProblem]:
    """Problems of an identifier's value (email syntax, E.164) under ``mode``."""
    if mode == "off" or identifier.kind == "id":
        return []
    check = _FORMAT_CHECKS[identifier.kind]
    problem = check(identifier.value, mode == "strict")
    return [ValidationProblem(field, problem)] if problem else []


def checked_identifier(
    identifier: Identifier | str,
    mode: ValidationMode,
    *more: list[ValidationProblem],
    error: type[ValidationError] = ValidationError,
) -> Identifier:
    """``identifier`` parsed and checked under ``mode``, with the ``more`` problems the caller
    found in the rest of the call's input: the one check every call that names a contact makes.

    Raises :class:`IdentifierError` (not ``kind:value``) or ``error`` holding every problem
    (a contact call's :class:`ContactValidationError`, else :class:`ValidationError`).

    >>> contact_problems = validate_contact(Contact("Ana"), "strict")
    >>> checked_identifier("email:ana@example.com", "strict", contact_problems)
    Identifier(kind='email', value='ana@example.com')
    """
    ident = Identifier.parse(identifier)
    problems = validate_identifier(ident, mode)
    for found in more:
        problems += found
    refuse(problems, error)
    return ident


def validate_tags(tags: object, mode: ValidationMode) -> list[ValidationProblem]:
    """Tag names for a contact: a list of 1-10 names, each 1-255 characters."""
    if isinstance(tags, (str, bytes)) or not isinstance(tags, (list, tuple)):
        return [ValidationProblem("tags", f"must be a list of tag names, got {type_name(tags)}")]
    problems: list[ValidationProblem] = []
    if mode != "off" and not 1 <= len(tags) <= 10:
        problems.append(ValidationProblem("tags", f"must hold 1 to 10 names, got {len(tags)}"))
    for i, tag in enumerate(tags):
        problems += check_text(f"tags[{i}]", tag, mode=mode, max_length=255)
    return problems


_CATEGORIES = frozenset(get_args(FilterCategory))
_OPERATORS = frozenset(get_args(FilterOperator))


def checked_filter(
    value: ContactFilter | Mapping[str, Any],
) -> tuple[dict[str, Any] | None, list[ValidationProblem]]:
    """A ``contacts.list`` filter as the API's JSON (``{"$and": [...]}`` or ``{"$or": [...]}``)
    and its problems, by field path (``filter.$and[0].operator``)."""
    if isinstance(value, ContactFilter):
        wire = value.to_wire()
    elif isinstance(value, Mapping):
        wire = dict(value)
    else:
        return None, [
            ValidationProblem(
                "filter", f"must be a ContactFilter or a dict, got {type(value).__name__}"
            )
        ]
    keys = [key for key in wire if key in ("$and", "$or")]
    if len(keys) != 1 or len(wire) != 1 or not isinstance(wire[keys[0]], list):
        return None, [ValidationProblem("filter", 'must be {"$and": [...]} or {"$or": [...]}')]
    problems: list[ValidationProblem] = []
    for i, condition in enumerate(wire[keys[0]]):
        where = f"filter.{keys[0]}[{i}]"
        if not isinstance(condition, Mapping):
            problems.append(ValidationProblem(where, "must be an object"))
            continue
        if condition.get("category") not in _CATEGORIES:
            problems.append(
                ValidationProblem(f"{where}.category", f"must be one of {sorted(_CATEGORIES)}")
            )
        if condition.get("operator") not in _OPERATORS:
            problems.append(
                ValidationProblem(f"{where}.operator", f"must be one of {sorted(_OPERATORS)}")
            )
    return wire, problems
