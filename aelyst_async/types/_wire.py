"""The one cattrs converter configuration, for every attrs class of the package.

Wire names: each field's camelCase name, or its ``WIRE_NAME`` metadata where the API is
irregular (``custom_fields``, ``created_at``, an attachment's ``type``). Writing leaves out
a field at a default that means "not given" (``UNSET``, ``None``, an empty list; a field whose
metadata says ``NULL_SENT`` is sent as null: a filter condition's ``field``); reading a
:class:`Contact` (a JSONL import) keeps the JSON types strictly. The API's answers (records)
are read by the tolerant reader of :mod:`._read`, registered on this converter.

>>> converter.unstructure(ContactUpdate(last_name="Silva", custom_fields=[CustomField("P", 1)]))
{'lastName': 'Silva', 'custom_fields': [{'name': 'P', 'value': 1}]}
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Callable, Sequence
from typing import Any

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from .contact import NULL_SENT, WIRE_NAME, CustomField, CustomFieldValue, UnsetType

MAX_EXACT_INT = 2**53 - 1
"""The largest integer a JSON number holds exactly (an IEEE double, as most JSON parsers use)."""


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


def wire_name(field: attrs.Attribute[Any]) -> str:
    """A field's JSON key: its ``WIRE_NAME`` metadata, else its name in camelCase."""
    irregular: str | None = field.metadata.get(WIRE_NAME)
    return irregular or re.sub(r"_([a-z])", lambda m: m.group(1).upper(), field.name)


def _renames(cls: type[Any]) -> dict[str, Any]:
    return {field.name: override(rename=wire_name(field)) for field in attrs.fields(cls)}


def _leaves_out(field: attrs.Attribute[Any]) -> bool:
    """Whether the field's default means "not given" (UNSET, None, an empty list): a field at
    such a default is left out of a body; one at another default (``kind="file"``) is sent."""
    if field.metadata.get(NULL_SENT):
        return False
    default = field.default
    return default is None or isinstance(default, UnsetType) or default == ()


def _writes(cls: type[Any]) -> dict[str, Any]:
    return {
        field.name: override(rename=wire_name(field), omit_if_default=_leaves_out(field))
        for field in attrs.fields(cls)
    }


def make_converter() -> cattrs.Converter:
    """Build the package's converter (wire names, defaults omitted, strict value types)."""
    conv = cattrs.Converter()
    conv.register_structure_hook(str, _structure_str)
    conv.register_structure_hook(int, _structure_int)
    conv.register_structure_hook(CustomFieldValue, _structure_custom_value)
    conv.register_structure_hook(str | None | UnsetType, _structure_optional_str)
    conv.register_structure_hook(Sequence[CustomField] | None | UnsetType, _structure_custom_fields)
    conv.register_structure_hook(str | None, _structure_optional_str)
    conv.register_structure_hook(CustomField, _structure_custom_field)
    conv.register_unstructure_hook(
        CustomField, lambda f: {"name": f.name, "value": custom_value_to_wire(f.value)}
    )

    def unstructure(cls: type[Any]) -> Callable[[Any], dict[str, Any]]:
        return make_dict_unstructure_fn(cls, conv, **_writes(cls))

    def structure(cls: type[Any]) -> Callable[[Any, Any], Any]:
        return make_dict_structure_fn(cls, conv, _cattrs_forbid_extra_keys=False, **_renames(cls))

    conv.register_unstructure_hook_factory(attrs.has, unstructure)
    conv.register_structure_hook_factory(attrs.has, structure)
    return conv


converter = make_converter()
