"""What the API returns for contacts, and the filter ``contacts.list`` takes.

Records are read by the package's converter: wire names become Python names, unix times become
aware UTC datetimes, keys the API adds later are ignored, and a missing optional key is None.

>>> record = await client.contacts.get("email:ana@example.com")
>>> record.id, record.first_name, record.tags, record.created_at
(7, 'Ana', ('vip',), datetime.datetime(2026, 1, 5, 9, 30, tzinfo=datetime.timezone.utc))
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import attrs

from ._read import WireRecord, read_record, received
from ._wire import converter
from .contact import CustomField, wire_key

FilterCategory = Literal["contactField", "contactTag", "lifecycle"]
FilterOperator = Literal[
    "isEqualTo",
    "isNotEqualTo",
    "isTimestampAfter",
    "isTimestampBefore",
    "isTimestampBetween",
    "exists",
    "doesNotExist",
    "isGreaterThan",
    "isLessThan",
    "isBetween",
    "hasAnyOf",
    "hasAllOf",
    "hasNoneOf",
]


@attrs.frozen
class Assignee(WireRecord):
    """The workspace user a contact's conversation is assigned to."""

    id: int
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    _wire: Mapping[str, Any] = received()


@attrs.frozen(kw_only=True)
class ContactRecord(WireRecord):
    """A contact as the API returns it (``contacts.get``, ``contacts.list``).

    ``custom_fields`` holds :class:`CustomField` values as the API sent them (strings, numbers
    or None); ``created_at`` is an aware UTC datetime; ``status`` is any string the API sends
    (``open``, ``close``, ``closed``, ``blocked``, ...).
    """

    id: int
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    email: str | None = None
    language: str | None = None
    profile_pic: str | None = None
    country_code: str | None = None
    custom_fields: tuple[CustomField, ...] = attrs.field(
        default=(), metadata=wire_key("custom_fields")
    )
    status: str | None = None
    tags: tuple[str, ...] = ()
    assignee: Assignee | None = None
    lifecycle: str | None = None
    created_at: datetime.datetime | None = attrs.field(
        default=None, metadata=wire_key("created_at")
    )
    _wire: Mapping[str, Any] = received()

    @classmethod
    def from_dict(cls, wire: Mapping[str, Any]) -> ContactRecord:
        """A record from the API's JSON object for a contact (a webhook's, one stored from
        ``to_dict()``), read as the client reads answers: tolerantly (values of another JSON
        type where the meaning is clear, unknown keys kept in ``extra``; ``to_dict()`` gives
        ``wire`` back). Raises ValueError naming the key when ``id``, the key that identifies
        it, is missing or unreadable.

        >>> ContactRecord.from_dict({"id": "7", "firstName": "Ana", "vip": True}).extra
        {'vip': True}
        """
        return read_record(dict(wire) if isinstance(wire, Mapping) else wire, cls)


@attrs.frozen(kw_only=True)
class ContactChannel(WireRecord):
    """A messaging channel a contact is reachable on (``contacts.list_channels``)."""

    id: int
    name: str | None = None
    source: str | None = None
    meta: Any = None
    last_message_time: datetime.datetime | None = None
    last_incoming_message_time: datetime.datetime | None = None
    created_at: datetime.datetime | None = attrs.field(
        default=None, metadata=wire_key("created_at")
    )
    _wire: Mapping[str, Any] = received()


@attrs.frozen
class FilterCondition:
    """One condition of a :class:`ContactFilter`.

    ``category``: ``"contactField"`` (``field`` names the contact field or custom field),
    ``"contactTag"`` or ``"lifecycle"``; ``operator``: one of the API's operators
    (``isEqualTo``, ``hasAnyOf``, ``exists``, ...); ``value``: a string, a list of strings,
    ``{"from": ..., "to": ...}`` or None.

    >>> FilterCondition("contactTag", "hasAnyOf", ["vip"]).to_wire()
    {'category': 'contactTag', 'operator': 'hasAnyOf', 'value': ['vip'], 'field': None}
    >>> FilterCondition("contactField", "isEqualTo", "MY", field="countryCode").to_wire()
    {'category': 'contactField', 'operator': 'isEqualTo', 'value': 'MY', 'field': 'countryCode'}
    """

    category: FilterCategory
    operator: FilterOperator
    value: str | Sequence[str] | Mapping[str, Any] | None = attrs.field(
        default=None, metadata=wire_key(null_sent=True)
    )
    field: str | None = attrs.field(default=None, kw_only=True, metadata=wire_key(null_sent=True))

    def to_wire(self) -> dict[str, Any]:
        """The condition as the API's JSON object (``field`` and ``value`` sent even when None)."""
        wire: dict[str, Any] = converter.unstructure(self)
        return wire


@attrs.frozen
class ContactFilter:
    """A filter for ``contacts.list``: every condition (``all_of``) or any (``any_of``).

    >>> ContactFilter.all_of(FilterCondition("lifecycle", "isEqualTo", "Customer")).match
    'all'
    """

    conditions: tuple[FilterCondition, ...]
    match: Literal["all", "any"] = "all"

    @classmethod
    def all_of(cls, *conditions: FilterCondition) -> ContactFilter:
        """Contacts matching every condition (the API's ``$and``)."""
        return cls(conditions, "all")

    @classmethod
    def any_of(cls, *conditions: FilterCondition) -> ContactFilter:
        """Contacts matching at least one condition (the API's ``$or``)."""
        return cls(conditions, "any")

    def to_wire(self) -> dict[str, Any]:
        """The filter as the API's JSON object, ``{"$and": [...]}`` or ``{"$or": [...]}``."""
        key = "$and" if self.match == "all" else "$or"
        return {key: [condition.to_wire() for condition in self.conditions]}
