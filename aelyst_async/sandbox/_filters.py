"""The search and filter of ``POST /contact/list``, compiled to predicates over stored contacts.

A filter is ``{"$and": [...]}`` or ``{"$or": [...]}`` (an empty list matches every contact) whose
items are conditions ``{"category", "field", "operator", "value"}`` or nested groups. Categories:
``contactField`` (``field`` a contact field's wire name, ``status``, ``assignee`` or
``assigneeUserId`` (a user id),
``created_at``, or a custom field's name or slug), ``contactTag`` and ``lifecycle`` (``field``
ignored). Text compares without regard to case; numbers are JSON numbers or digit strings;
timestamps are unix seconds or ``yyyy-mm-dd`` dates (midnight UTC). Anything else is a 400.

>>> match = compile_filter({"$and": [{"category": "contactTag", "field": "tags",
...     "operator": "hasAnyOf", "value": ["vip"]}]}, slugs={})
>>> match({"tags": ["VIP"]}), match({"tags": []})
(True, False)
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Callable, Mapping
from typing import Any

from ._formats import DATE, NUMBER_TEXT
from ._http import invalid, obj, only_keys
from ._validation import STANDARD_FIELDS

Predicate = Callable[[Mapping[str, Any]], bool]
Getter = Callable[[Mapping[str, Any]], Any]

CATEGORIES = ("contactField", "contactTag", "lifecycle")
OPERATORS = (
    "isEqualTo", "isNotEqualTo", "isTimestampAfter", "isTimestampBefore", "isTimestampBetween",
    "exists", "doesNotExist", "isGreaterThan", "isLessThan", "isBetween", "hasAnyOf", "hasAllOf",
    "hasNoneOf",
)  # fmt: skip
CONTACT_FIELDS = (*STANDARD_FIELDS, "status", "assignee", "assigneeUserId", "created_at")
ALIASES = {"assigneeUserId": "assignee"}
"""Field names of the official clients for a stored field (the TypeScript SDK's README filters on
``assigneeUserId``)."""


def matches_search(contact: Mapping[str, Any], term: str) -> bool:
    """Whether ``term`` occurs (any case) in the contact's name, full name, email or phone."""
    term = term.casefold()
    first, last = contact.get("firstName") or "", contact.get("lastName") or ""
    haystack = (first, last, f"{first} {last}", contact.get("email"), contact.get("phone"))
    return any(term in value.casefold() for value in haystack if value)


def compile_filter(spec: object, slugs: Mapping[str, str], where: str = "filter") -> Predicate:
    """A predicate for a filter group; ``slugs`` maps custom field names and slugs to names."""
    group = obj(spec, where)
    if not group:
        return lambda contact: True
    if len(group) != 1 or next(iter(group)) not in ("$and", "$or"):
        raise invalid(f"{where}: exactly one of '$and' or '$or' required")
    (key, items), = group.items()  # fmt: skip
    if not isinstance(items, list):
        raise invalid(f"{where}.{key}: not a list")
    parts = [_compile_item(item, slugs, f"{where}.{key}[{i}]") for i, item in enumerate(items)]
    if not parts:
        return lambda contact: True
    combine = all if key == "$and" else any
    return lambda contact: combine(part(contact) for part in parts)


def _compile_item(item: object, slugs: Mapping[str, str], where: str) -> Predicate:
    condition = obj(item, where)
    if not condition or "$and" in condition or "$or" in condition:
        return compile_filter(condition, slugs, where)
    only_keys(condition, ("category", "field", "operator", "value"), where)
    category, field = condition.get("category"), condition.get("field")
    if category == "contactField":
        get = _field_getter(field, slugs, where)
    elif category == "contactTag":
        get = _tags
    elif category == "lifecycle":
        get = _lifecycle
    else:
        raise invalid(f"{where}.category: one of {list(CATEGORIES)} required")
    return _operator(condition.get("operator"), condition.get("value"), get, where)


def _tags(contact: Mapping[str, Any]) -> Any:
    return contact.get("tags")


def _lifecycle(contact: Mapping[str, Any]) -> Any:
    return contact.get("lifecycle")


def _field_getter(field: object, slugs: Mapping[str, str], where: str) -> Getter:
    if field in CONTACT_FIELDS:
        key = ALIASES.get(field, field)
        return lambda contact: contact.get(key)
    if isinstance(field, str) and field in slugs:
        name = slugs[field]
        return lambda contact: contact.get("custom_fields", {}).get(name)
    raise invalid(f"{where}.field: no contact field or custom field {field!r}")


def _norm(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).casefold()


def _values(value: object) -> set[str]:
    if value is None or value == "":
        return set()
    return {_norm(v) for v in value} if isinstance(value, list) else {_norm(value)}


def _number(value: object) -> float | None:
    """A JSON number, or a string of digits (``"-12.5"``)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str) and NUMBER_TEXT.fullmatch(value):
        return float(value)
    return None


def _timestamp(value: object) -> float | None:
    """Unix seconds (a JSON number), or a ``yyyy-mm-dd`` date (midnight UTC)."""
    if isinstance(value, str):
        try:
            day = datetime.date.fromisoformat(value) if DATE.fullmatch(value) else None
        except ValueError:
            return None
        if day is None:
            return None
        return datetime.datetime.combine(day, datetime.time(), datetime.timezone.utc).timestamp()
    return _number(value)


def _range(value: object, parse: Callable[[object], float | None], where: str) -> tuple[float, ...]:
    bounds = obj(value, f"{where}.value")
    low, high = parse(bounds.get("from")), parse(bounds.get("to"))
    if low is None or high is None:
        raise invalid(f"{where}.value: {{'from', 'to'}} required")
    return low, high


def _operator(operator: object, value: object, get: Getter, where: str) -> Predicate:
    if operator in ("exists", "doesNotExist"):
        want = operator == "exists"
        return lambda contact: bool(_values(get(contact))) == want
    if operator in ("isEqualTo", "isNotEqualTo"):
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise invalid(f"{where}.value: a string or number required")
        target, want = _norm(value), operator == "isEqualTo"
        return lambda contact: (target in _values(get(contact))) == want
    if operator in ("hasAnyOf", "hasAllOf", "hasNoneOf"):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise invalid(f"{where}.value: a list of strings required")
        wanted = {_norm(v) for v in value}
        if operator == "hasAnyOf":
            return lambda contact: bool(_values(get(contact)) & wanted)
        if operator == "hasAllOf":
            return lambda contact: wanted <= _values(get(contact))
        return lambda contact: not _values(get(contact)) & wanted
    if operator in ("isGreaterThan", "isLessThan", "isBetween"):
        return _compare(operator, value, _number, get, where)
    if operator in ("isTimestampAfter", "isTimestampBefore", "isTimestampBetween"):
        kind = {"isTimestampAfter": "isGreaterThan", "isTimestampBefore": "isLessThan"}
        return _compare(kind.get(operator, "isBetween"), value, _timestamp, get, where)
    raise invalid(f"{where}.operator: one of {list(OPERATORS)} required")


def _compare(
    operator: str,
    value: object,
    parse: Callable[[object], float | None],
    get: Getter,
    where: str,
) -> Predicate:
    if operator == "isBetween":
        low, high = _range(value, parse, where)
    else:
        bound = parse(value)
        if bound is None:
            raise invalid(f"{where}.value: not a number or timestamp")
        low, high = (bound, math.inf) if operator == "isGreaterThan" else (-math.inf, bound)
    strict = operator != "isBetween"

    def check(contact: Mapping[str, Any]) -> bool:
        number = parse(get(contact))
        if number is None:
            return False
        return low < number < high if strict else low <= number <= high

    return check
