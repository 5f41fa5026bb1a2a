"""The one cattrs converter aelyst_async owns, configured in :func:`make_converter`.

Python names become the API's wire names, ``UNSET`` fields are left out, custom field values
follow the API's formatting rules, and values read back keep their JSON types (no coercion).

>>> contact_to_wire(Contact("Ana", last_name=None))
{'firstName': 'Ana', 'lastName': None}
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Sequence
from typing import Any, TypeVar

import cattrs
from attrs import fields as attrs_fields
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from .._errors import ContactValidationError, ValidationProblem
from ..types.contact import (
    Contact,
    ContactUpdate,
    CustomField,
    CustomFieldValue,
    UnsetType,
    UpsertResult,
)
from ..types.messages import MessageRecord, MessageStatus
from ..types.records import Assignee, ContactChannel, ContactRecord
from ..types.workspace import (
    ClosingNote,
    CustomFieldDefinition,
    Tag,
    Team,
    Template,
    User,
    WorkspaceChannel,
)

WIRE_NAMES = {
    "first_name": "firstName",
    "last_name": "lastName",
    "phone": "phone",
    "email": "email",
    "language": "language",
    "profile_pic": "profilePic",
    "country_code": "countryCode",
    "custom_fields": "custom_fields",
}
"""Contact attribute name -> JSON key."""

PYTHON_NAMES = {wire: name for name, wire in WIRE_NAMES.items()}
MAX_EXACT_INT = 2**53 - 1
"""The largest integer a JSON number holds exactly (an IEEE double, as most JSON parsers use)."""
T = TypeVar("T")


def custom_value_to_wire(value: object) -> str | int | float | None:
    """A custom field value as the API wants it; raises ValueError/TypeError if it has no form."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        if abs(value) > MAX_EXACT_INT:
            raise ValueError(f"{value} is beyond what a JSON number holds exactly (±2**53-1)")
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value!r} is not a finite number")
        return value
    if isinstance(value, datetime.datetime):
        raise TypeError("a datetime has no custom field form: pass a date or a time")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, datetime.time):
        if value.second or value.microsecond:
            raise ValueError(f"{value.isoformat()} has seconds; the API takes HH:MM")
        if value.tzinfo is not None:
            raise ValueError(f"{value.isoformat()} has a time zone; the API takes a plain HH:MM")
        return value.strftime("%H:%M")
    raise TypeError(
        f"{type(value).__name__} is not a custom field value "
        "(str, int, float, bool, date, time or None)"
    )


def _structure_str(value: Any, _: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


def _structure_int(value: Any, _: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected an integer, got {type(value).__name__}")
    return value


def _structure_custom_value(value: Any, _: Any) -> CustomFieldValue:
    if value is None or isinstance(value, (str, int, float)):
        if isinstance(value, bool):
            raise TypeError("a custom field value on the wire is never a JSON boolean")
        return value
    raise TypeError(
        f"a custom field value must be a string, number or null, not {type(value).__name__}"
    )


def _structure_optional_str(value: Any, _: Any) -> str | None:
    return None if value is None else _structure_str(value, _)


def _structure_custom_field(value: Any, _: Any) -> CustomField:
    if not isinstance(value, dict):
        raise TypeError(f"a custom field must be an object, got {type(value).__name__}")
    return CustomField(
        _structure_str(value.get("name"), str), _structure_custom_value(value.get("value"), None)
    )


def _structure_custom_fields(value: Any, _: Any) -> tuple[CustomField, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise TypeError(f"expected a list, got {type(value).__name__}")
    return tuple(_structure_custom_field(item, CustomField) for item in value)


def _structure_time(value: Any, _: Any) -> datetime.datetime | None:
    """Unix seconds (the API's form) or an ISO 8601 string -> an aware UTC datetime."""
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.datetime.fromtimestamp(value, datetime.timezone.utc)
    if isinstance(value, str):
        when = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        if when.tzinfo is None:
            when = when.replace(tzinfo=datetime.timezone.utc)
        return when.astimezone(datetime.timezone.utc)
    raise TypeError(f"expected unix seconds or an ISO 8601 time, got {type(value).__name__}")


def _structure_names(value: Any, _: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise TypeError(f"expected a list, got {type(value).__name__}")
    return tuple(_structure_str(item, str) for item in value)


def _structure_record_fields(value: Any, _: Any) -> tuple[CustomField, ...]:
    return _structure_custom_fields(value, _) or ()


_SNAKE_ON_THE_WIRE = frozenset({"custom_fields", "created_at"})


def wire_name(name: str) -> str:
    """A record attribute's JSON key: camelCase, but for the keys the API spells in snake case."""
    if name in _SNAKE_ON_THE_WIRE:
        return name
    return re.sub(r"_([a-z])", lambda m: m.group(1).upper(), name)


def register_record(conv: cattrs.Converter, cls: type[Any]) -> None:
    """Read ``cls`` from the API's JSON: wire names, unknown keys ignored, missing ones default."""
    renames: dict[str, Any] = {
        field.name: override(rename=wire_name(field.name)) for field in attrs_fields(cls)
    }
    conv.register_structure_hook(
        cls, make_dict_structure_fn(cls, conv, _cattrs_forbid_extra_keys=False, **renames)
    )


RECORDS: tuple[type[Any], ...] = (
    Assignee,
    ContactRecord,
    ContactChannel,
    MessageStatus,
    MessageRecord,
    Team,
    User,
    CustomFieldDefinition,
    WorkspaceChannel,
    ClosingNote,
    Template,
    Tag,
)
"""The response models read by :func:`register_record`; other resources add theirs here."""


def make_converter() -> cattrs.Converter:
    """Build the package's converter (wire names, UNSET omitted, strict value types)."""
    conv = cattrs.Converter(forbid_extra_keys=True)
    conv.register_structure_hook(str, _structure_str)
    conv.register_structure_hook(int, _structure_int)
    conv.register_structure_hook(CustomFieldValue, _structure_custom_value)
    conv.register_structure_hook(str | None | UnsetType, _structure_optional_str)
    conv.register_structure_hook(Sequence[CustomField] | None | UnsetType, _structure_custom_fields)
    conv.register_structure_hook(str | None, _structure_optional_str)
    conv.register_structure_hook(datetime.datetime | None, _structure_time)
    conv.register_structure_hook_func(lambda t: t == tuple[str, ...], _structure_names)
    conv.register_structure_hook_func(
        lambda t: t == tuple[CustomField, ...], _structure_record_fields
    )
    conv.register_structure_hook(CustomField, _structure_custom_field)
    conv.register_unstructure_hook(
        CustomField, lambda f: {"name": f.name, "value": custom_value_to_wire(f.value)}
    )
    renames: dict[str, Any] = {name: override(rename=wire) for name, wire in WIRE_NAMES.items()}
    conv.register_unstructure_hook(
        Contact, make_dict_unstructure_fn(Contact, conv, _cattrs_omit_if_default=True, **renames)
    )
    conv.register_structure_hook(
        Contact, make_dict_structure_fn(Contact, conv, _cattrs_forbid_extra_keys=True, **renames)
    )
    conv.register_unstructure_hook(
        ContactUpdate,
        make_dict_unstructure_fn(ContactUpdate, conv, _cattrs_omit_if_default=True, **renames),
    )
    for record in RECORDS:
        register_record(conv, record)
    return conv


converter = make_converter()


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
    """``body[key]`` as a positive int (an id); raises TypeError/ValueError otherwise."""
    if not isinstance(body, dict) or key not in body:
        raise ValueError(f"no {key} in the response")
    value = body[key]
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{key} is {type(value).__name__}, not an integer")
    if value < 1:
        raise ValueError(f"{key} is {value}, not a positive id")
    return value


def upsert_result_from_wire(body: Any) -> UpsertResult:
    """``{"contactId": 7}`` -> ``UpsertResult(7)``; anything else raises TypeError/ValueError."""
    return UpsertResult(wire_int(body, "contactId"))


def record_from_wire(body: Any, cls: type[T]) -> T:
    """A response model from its JSON; raises ValueError when the JSON is not its shape."""
    if not isinstance(body, dict):
        raise ValueError(f"expected a JSON object, got {json_type(body)}")
    try:
        return converter.structure(body, cls)
    except cattrs.BaseValidationError as exc:
        details = "; ".join(cattrs.transform_error(exc))
        raise ValueError(f"not a {cls.__name__}: {details}") from None
