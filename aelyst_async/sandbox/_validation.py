"""Server-side checks of identifiers and contact bodies, exactly as the sandbox's OpenAPI
document publishes them (formats in :mod:`._formats`).

Every check returns a list of problems (empty when fine); the sandbox answers any problem with
``400 {"code": 400, "message": "Validation error."}`` and logs the problems.

>>> parse_identifier("email%3Aana%40example.com")
('email', 'ana@example.com')
>>> validate_body({"firstName": "Ana", "language": "pt"}, DEFAULT_CUSTOM_FIELDS)
[]
"""

from __future__ import annotations

import datetime
import json
import math
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import unquote

import attrs

from ._formats import (
    DATE,
    HTTP_URL,
    ID_PATTERN,
    NUMBER_TEXT,
    PHONE,
    TIME,
    is_country,
    is_email,
    is_language,
    is_url,
)

MAX_EXACT_INT = 2**53 - 1
"""The largest integer a JSON number holds exactly (an IEEE double)."""
FIELD_TYPES = ("text", "list", "checkbox", "email", "number", "url", "date", "time")
STANDARD_FIELDS = (
    "firstName",
    "lastName",
    "phone",
    "email",
    "language",
    "profilePic",
    "countryCode",
)
_ID = re.compile(ID_PATTERN)


@attrs.frozen
class FieldSpec:
    """A workspace custom field: its ``type`` (one of :data:`FIELD_TYPES`) and, for ``list``,
    the allowed ``options``."""

    type: str
    options: tuple[str, ...] = ()

    def __attrs_post_init__(self) -> None:
        if self.type not in FIELD_TYPES:
            raise ValueError(f"unknown custom field type {self.type!r} (one of {FIELD_TYPES})")
        if (self.type == "list") != bool(self.options):
            raise ValueError("a 'list' field needs options, and only a 'list' field has them")

    @classmethod
    def parse(cls, spec: str | FieldSpec) -> FieldSpec:
        """``"number"``, ``"list:Free,Starter,Pro"`` (or a :class:`FieldSpec`, returned as is)."""
        if isinstance(spec, FieldSpec):
            return spec
        kind, _, options = spec.partition(":")
        return cls(kind.strip(), tuple(o.strip() for o in options.split(",") if o.strip()))


DEFAULT_CUSTOM_FIELDS: Mapping[str, FieldSpec] = {
    "Company Website": FieldSpec("url"),
    "Plan": FieldSpec("list", ("Free", "Starter", "Pro", "Enterprise")),
    "Seats": FieldSpec("number"),
    "Newsletter": FieldSpec("checkbox"),
    "Renewal Date": FieldSpec("date"),
    "Preferred Call Time": FieldSpec("time"),
    "Notes": FieldSpec("text"),
    "Billing Email": FieldSpec("email"),
}
"""The sandbox workspace's custom fields unless configured otherwise."""


def parse_field_specs(specs: Mapping[str, str | FieldSpec]) -> dict[str, FieldSpec]:
    """Normalise a ``name -> "type[:options]"`` mapping."""
    return {name: FieldSpec.parse(spec) for name, spec in specs.items()}


def decode_segment(raw: str) -> str | None:
    """Percent-decode one raw path segment (``+`` stays ``+``); None if not valid UTF-8."""
    try:
        return unquote(raw, errors="strict")
    except UnicodeDecodeError:
        return None


def parse_identifier(raw: str) -> tuple[str, str] | None:
    """``(kind, value)`` of a raw (still-encoded) identifier segment, or None if malformed."""
    decoded = decode_segment(raw)
    if decoded is None:
        return None
    kind, sep, value = decoded.partition(":")
    if not sep:
        return None
    if kind == "id":
        return (kind, value) if _ID.fullmatch(value) else None
    if kind == "email":
        return (kind, value) if is_email(value) else None
    if kind == "phone":
        return (kind, value) if PHONE.fullmatch(value) else None
    return None


def load_json(body: bytes) -> tuple[bool, Any]:
    """``(True, value)`` for strict JSON (UTF-8, no NaN/Infinity, nesting the parser can
    handle), else ``(False, None)``."""

    def refuse(constant: str) -> Any:
        raise ValueError(constant)

    try:
        return True, json.loads(body.decode("utf-8"), parse_constant=refuse)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return False, None


def _check_date(value: str) -> str | None:
    try:
        if DATE.fullmatch(value):
            datetime.date.fromisoformat(value)
            return None
    except ValueError:
        pass
    return f"not a yyyy-mm-dd date: {value!r}"


_STRING_CHECKS: Mapping[str, Callable[[str], bool]] = {
    "phone": lambda v: PHONE.fullmatch(v) is not None,
    "email": is_email,
    "language": is_language,
    "countryCode": is_country,
    "profilePic": lambda v: HTTP_URL.fullmatch(v) is not None,
}


def check_custom_value(spec: FieldSpec, value: object) -> str | None:
    """The problem with a custom field ``value`` of type ``spec``, or None (null always passes).

    As the official clients send them: a checkbox takes ``"true"``/``"false"`` or a JSON boolean
    (the TypeScript SDK's tests send ``true``), a number a JSON number or its text (``"3"``: the
    n8n integration sends every value as a string); :func:`canonical_body` stores both alike."""
    if value is None:
        return None
    if spec.type == "checkbox" and isinstance(value, bool):
        return None
    if spec.type == "number" and isinstance(value, str) and NUMBER_TEXT.fullmatch(value):
        return None
    if spec.type == "number":
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if ok and isinstance(value, int):
            ok = abs(value) <= MAX_EXACT_INT
        return None if ok and math.isfinite(value) else "not a JSON number"  # type: ignore[arg-type]
    if not isinstance(value, str):
        return "not a string"
    if spec.type == "list" and value not in spec.options:
        return f"not one of {list(spec.options)}"
    if spec.type == "checkbox" and value not in ("true", "false"):
        return "not 'true' or 'false'"
    if spec.type == "email" and not is_email(value):
        return f"not an email address: {value!r}"
    if spec.type == "url" and not is_url(value):
        return f"not a URL: {value!r}"
    if spec.type == "date":
        return _check_date(value)
    if spec.type == "time" and not TIME.fullmatch(value):
        return "not an HH:MM 24-hour time"
    return None


def _check_custom_fields(items: object, fields: Mapping[str, FieldSpec]) -> list[str]:
    if items is None:
        return []
    if not isinstance(items, list):
        return ["custom_fields: not a list"]
    problems: list[str] = []
    for i, item in enumerate(items):
        where = f"custom_fields[{i}]"
        if not isinstance(item, dict):
            problems.append(f"{where}: not an object")
            continue
        name = item.get("name")
        if extra := set(item) - {"name", "value"}:
            problems.append(f"{where}: unknown keys {sorted(extra)}")
        if not isinstance(name, str):
            problems.append(f"{where}.name: required string")
        elif name not in fields:
            problems.append(f"{where}.name: no custom field {name!r} in this workspace")
        elif problem := check_custom_value(fields[name], item.get("value")):
            problems.append(f"{where}.value: {problem}")
    return problems


def validate_body(
    body: object,
    fields: Mapping[str, FieldSpec],
    *,
    partial: bool = False,
    extra: tuple[str, ...] = (),
) -> list[str]:
    """Every problem with a contact body (already parsed from JSON): ``firstName`` is required
    unless ``partial``; keys in ``extra`` are left to the caller."""
    if not isinstance(body, dict):
        return ["body: not a JSON object"]
    known = (*STANDARD_FIELDS, "custom_fields", *extra)
    problems = [f"{k}: unknown field" for k in body if k not in known]
    first = body.get("firstName")
    if (not partial or "firstName" in body) and (not isinstance(first, str) or not first.strip()):
        problems.append("firstName: required non-empty string")
    for key in STANDARD_FIELDS[1:]:
        value = body.get(key)
        if value is None or value == "":  # "" is how the official clients send an unset field
            continue
        if not isinstance(value, str):
            problems.append(f"{key}: not a string or null")
        elif (check := _STRING_CHECKS.get(key)) and not check(value):
            problems.append(f"{key}: not in the documented format: {value!r}")
    problems += _check_custom_fields(body.get("custom_fields"), fields)
    return problems


def canonical_body(body: Mapping[str, Any], fields: Mapping[str, FieldSpec]) -> dict[str, Any]:
    """A valid contact body as stored: ``""`` in an optional standard field is null, a checkbox
    value ``"true"``/``"false"``, a number value a JSON number."""
    out = {k: None if k in STANDARD_FIELDS[1:] and v == "" else v for k, v in body.items()}
    items = out.get("custom_fields")
    if isinstance(items, list):
        out["custom_fields"] = [
            {**item, "value": _canonical_value(fields[item["name"]], item.get("value"))}
            for item in items
        ]
    return out


def _canonical_value(spec: FieldSpec, value: object) -> object:
    if spec.type == "checkbox" and isinstance(value, bool):
        return "true" if value else "false"
    if spec.type == "number" and isinstance(value, str):
        number = float(value)
        return int(number) if number.is_integer() and "." not in value else number
    return value
