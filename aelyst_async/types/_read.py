"""Reading the API's answers as a tolerant reader: every record class of the package
(a :class:`WireRecord`) is read from its JSON object by :func:`read_record`.

- A value of another JSON type is read where its meaning is clear: an integer from a string of
  digits (``"7"``) or an integral number; a string from a number (``channelMessageId: 42``); a
  list from ``{"listValues": [...]}`` or from a JSON string holding a list (a template's
  ``components``); a team from its name (``"Sales"``); a time from unix seconds, a string of
  them or ISO 8601. Custom field values keep their JSON type (string, number, boolean, null).
- A value that still cannot be read leaves its field at its default (None, or empty); an item
  of a list that cannot be read is left out. Both stay in :meth:`WireRecord.to_dict`.
- Keys the package does not model are kept: :attr:`WireRecord.extra`.
- Only a record without the key that identifies it (a field without a default: ``id``,
  ``messageId``, a tag's ``name``) fails: :class:`UnreadableKey` (a ValueError) naming the key.

>>> record = read_record({"id": "7", "firstName": "Ana", "vip": True}, ContactRecord)
>>> record.id, record.extra, record.to_dict()
(7, {'vip': True}, {'id': '7', 'firstName': 'Ana', 'vip': True})
"""

from __future__ import annotations

import copy
import datetime
import functools
import json
import logging
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, Union

import attrs

from ._wire import converter, wire_name
from .contact import CustomField

T = TypeVar("T")
ALSO_READ = "aelyst_async.also_read"
"""Field metadata: other keys the field is read from when its own is absent (``title`` for a
custom field's ``name`` in the n8n integration's type)."""
log = logging.getLogger("aelyst_async")


class UnreadableKey(ValueError):
    """A record's identifying ``key`` is missing or cannot be read (``key`` names it)."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"{key} {problem}")
        self.key = key


def received() -> Any:
    """The field every record declares last: the JSON object it was read from (not compared,
    not shown in its repr)."""
    return attrs.field(factory=dict, eq=False, repr=False, kw_only=True)


class WireRecord:
    """What every record answers besides its fields: :attr:`extra` and :meth:`to_dict`."""

    __slots__ = ()
    _wire: Mapping[str, Any]

    @property
    def extra(self) -> dict[str, Any]:
        """The keys of the answer the SDK does not model, as received."""
        known = _known_keys(_any(type(self)))
        return {key: value for key, value in self._wire.items() if key not in known}

    def to_dict(self) -> dict[str, Any]:
        """The record's JSON object as the API sent it (a deep copy; ``json.dumps`` takes it).
        For a record built in Python rather than read, its fields by their wire names."""
        if self._wire:
            return copy.deepcopy(dict(self._wire))
        return {
            wire_name(field): _json_ready(getattr(self, field.name))
            for field in _fields(type(self))
            if field.name != "_wire" and getattr(self, field.name) is not None
        }


def _json_ready(value: Any) -> Any:
    if isinstance(value, WireRecord):
        return value.to_dict()
    if isinstance(value, CustomField):
        return {"name": value.name, "value": _json_ready(value.value)}
    if isinstance(value, datetime.datetime):
        return int(value.timestamp()) if value.microsecond == 0 else value.timestamp()
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (tuple, list)):
        return [_json_ready(item) for item in value]
    if isinstance(value, Mapping):
        return {key: _json_ready(item) for key, item in value.items()}
    return value


def _any(value: object) -> Any:
    """``value`` typed as Any: a type used as a key of a cache (types hash by identity)."""
    return value


def _fields(cls: Any) -> tuple[attrs.Attribute[Any], ...]:
    """The attrs fields of ``cls``, their annotations resolved to types."""
    resolved: tuple[attrs.Attribute[Any], ...] = attrs.fields(attrs.resolve_types(cls))
    return resolved


def _keys(field: attrs.Attribute[Any]) -> tuple[str, ...]:
    return (wire_name(field), *field.metadata.get(ALSO_READ, ()))


@functools.cache
def _known_keys(cls: type[Any]) -> frozenset[str]:
    return frozenset(key for field in _fields(cls) for key in _keys(field))


Reader = Callable[[Any], Any]


Step = tuple[str, str, tuple[str, ...], Reader, bool]


@functools.cache
def _plan(cls: type[Any]) -> tuple[Step, ...]:
    """How to read each field of ``cls``: its argument name, its key, the other keys it is
    read from, its reader (of a value that is not null), and whether it is required (no
    default: it identifies the record). Made once per class."""
    return tuple(
        (
            field.alias or field.name,
            _keys(field)[0],
            _keys(field)[1:],
            _reader(_not_null(_any(field.type))),
            field.default is attrs.NOTHING,
        )
        for field in _fields(cls)
        if field.name != "_wire"
    )


def _not_null(tp: Any) -> Any:
    """``tp`` without ``None`` (``str | None`` -> ``str``): a null is never read, so a field's
    reader need not check for one."""
    if typing.get_origin(tp) in (Union, types.UnionType):
        args = [arg for arg in typing.get_args(tp) if arg is not type(None)]
        if len(args) == 1:
            return args[0]
    return tp


def read_record(body: Any, cls: type[T]) -> T:
    """A record of ``cls`` (a :class:`WireRecord`) from its JSON object, read tolerantly.

    Raises :class:`UnreadableKey` when ``body`` is not an object or lacks a readable value for
    a field without a default (the key that identifies the record).
    """
    if not isinstance(body, dict):
        raise UnreadableKey(cls.__name__, f"is not a JSON object: got {type(body).__name__}")
    values: dict[str, Any] = {}
    kind: Any = cls
    get = body.get
    for name, key, others, reader, required in _plan(kind):
        value = get(key)
        if value is None and others:
            key = next((k for k in others if get(k) is not None), key)
            value = get(key)
        if value is None:
            if required:
                raise UnreadableKey(key, f"is missing from the {cls.__name__}")
            continue
        try:
            values[name] = reader(value)
        except (TypeError, ValueError) as exc:
            if required:
                raise UnreadableKey(key, f"of the {cls.__name__} cannot be read: {exc}") from None
            log.debug("aelyst_async: %s.%s left at its default: %s", cls.__name__, key, exc)
    built: T = kind(**values, wire=body)
    return built


def read_int(value: Any) -> int:
    """An integer from a JSON integer, an integral number or a string of digits."""
    if isinstance(value, bool):
        raise TypeError("a boolean is not an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    raise TypeError(f"{value!r} is not an integer")


def read_str(value: Any) -> str:
    """A string from a JSON string or a number (``42`` -> ``"42"``)."""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise TypeError(f"expected a string, got {type(value).__name__}")


def read_time(value: Any) -> datetime.datetime:
    """An aware UTC datetime from unix seconds (a number or a string of them) or ISO 8601."""
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            when = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
            if when.tzinfo is None:
                when = when.replace(tzinfo=datetime.timezone.utc)
            return when.astimezone(datetime.timezone.utc)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.datetime.fromtimestamp(value, datetime.timezone.utc)
    raise TypeError(f"expected unix seconds or an ISO 8601 time, got {type(value).__name__}")


def read_list(value: Any) -> list[Any]:
    """A list from a JSON list, ``{"listValues": [...]}`` or a JSON string holding a list."""
    if isinstance(value, dict) and isinstance(value.get("listValues"), list):
        value = value["listValues"]
    elif isinstance(value, str):
        value = json.loads(value)
    if not isinstance(value, list):
        raise TypeError(f"expected a list, got {type(value).__name__}")
    return value


def read_custom_field(value: Any) -> CustomField:
    """``{"name": ..., "value": ...}``; the value kept as sent: string, number, boolean, null."""
    if not isinstance(value, dict):
        raise TypeError(f"a custom field is an object, got {type(value).__name__}")
    field_value = value.get("value")
    if field_value is not None and not isinstance(field_value, (str, int, float)):
        raise TypeError(f"a custom field value is never {type(field_value).__name__}")
    return CustomField(read_str(value.get("name")), field_value)


def _read_items(value: Any, item: Reader) -> tuple[Any, ...]:
    items = []
    for i, raw in enumerate(read_list(value)):
        try:
            items.append(item(raw))
        except (TypeError, ValueError) as exc:
            log.debug("aelyst_async: list item %d left out: %s", i, exc)
    return tuple(items)


def _read_object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError(f"expected an object, got {type(value).__name__}")
    return value


def _read_nested(cls: type[Any], value: Any) -> Any:
    if isinstance(value, str) and any(field.name == "name" for field in _fields(cls)):
        return read_record({"name": value}, cls)  # a team given by its name
    return read_record(value, cls)


def read_value(value: Any, tp: Any) -> Any:
    """``value`` as the type ``tp`` of a record field (see the module's rules)."""
    return _reader(tp)(value)


@functools.cache
def _reader(tp: Any) -> Reader:
    """The function reading a JSON value as ``tp``, made once per type."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (Union, types.UnionType):
        (inner,) = [_reader(arg) for arg in args if arg is not type(None)]
        return lambda value: None if value is None else inner(value)
    if origin is tuple:
        item = _reader(args[0])
        return lambda value: _read_items(value, item)
    if origin in (dict, Mapping) or tp in (dict, Mapping):
        return _read_object
    if isinstance(tp, type) and issubclass(tp, WireRecord):
        return functools.partial(_read_nested, tp)
    simple: dict[Any, Reader] = {
        Any: lambda value: value,
        int: read_int,
        str: read_str,
        datetime.datetime: read_time,
        CustomField: read_custom_field,
    }
    if tp in simple:
        return simple[tp]
    raise TypeError(f"no reading for {tp!r}")


def _is_record(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, WireRecord)


converter.register_structure_hook_func(_is_record, read_record)
