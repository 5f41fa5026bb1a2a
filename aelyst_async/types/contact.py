"""The typed models of the Aelyst API: what a caller builds and what a call returns.

Example::

    contact = Contact("Ana", email="ana@example.com", country_code="PT",
                      custom_fields=[CustomField("Plan", "gold")])
    Identifier.email("ana@example.com")       # or the string "email:ana@example.com"
"""

from __future__ import annotations

import datetime
import enum
import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal, Union

import attrs

from .._errors import ContactValidationError, IdentifierError, ValidationProblem


class UnsetType(enum.Enum):
    """Type of :data:`UNSET`: a field the caller did not set (omitted from the request)."""

    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


UNSET = UnsetType.UNSET
"""A field left UNSET is omitted from the request body; ``None`` is sent as ``null``."""

WIRE_NAME = "aelyst_async.wire_name"
"""attrs field metadata key: the field's JSON key where the API does not use its camelCase."""
NULL_SENT = "aelyst_async.null_sent"
"""attrs field metadata key: the field is sent as ``null`` at its default None, not left out."""


def wire_key(name: str | None = None, *, null_sent: bool = False) -> dict[str, Any]:
    """Field metadata for a field the API treats irregularly: its JSON key ``name`` where it is
    not the camelCase of the field's, ``null_sent`` where a None is sent rather than left out.
    """
    metadata: dict[str, Any] = {NULL_SENT: null_sent}
    if name is not None:
        metadata[WIRE_NAME] = name
    return metadata


CustomFieldValue = Union[str, int, float, bool, datetime.date, datetime.time, None]  # noqa: UP007
"""What a custom field value may be (a runtime union, usable by cattrs on Python 3.10)."""


@attrs.frozen
class CustomField:
    """A workspace custom field and its value.

    ``value`` goes on the wire by the API's rules: ``str`` as is, ``int``/``float`` as a JSON
    number, ``bool`` as ``"true"``/``"false"``, ``date`` as ``"yyyy-mm-dd"``, ``time`` as
    ``"HH:MM"``, ``None`` as ``null``.

    >>> CustomField("Company Website", "https://example.com")
    CustomField(name='Company Website', value='https://example.com')
    """

    name: str
    value: CustomFieldValue


def freeze_list(value: Any) -> Any:
    """Lists, tuples and other iterables (a generator too) become a tuple; the rest is kept for
    validation to report."""
    if value is None or isinstance(value, (UnsetType, str, bytes, Mapping, tuple)):
        return value
    try:
        return tuple(value)
    except TypeError:
        return value


@attrs.frozen
class Contact:
    """A contact to create or update. Fields left ``UNSET`` are not sent; ``None`` clears.

    >>> Contact("Muhammad", phone="+60123456789", custom_fields=[CustomField("Plan", "gold")])
    Contact(first_name='Muhammad', last_name=UNSET, phone='+60123456789', ...)

    Constructing a contact never checks formats: the client validates it when a call sends it.
    """

    first_name: str
    last_name: str | UnsetType | None = attrs.field(default=UNSET, kw_only=True)
    phone: str | UnsetType | None = attrs.field(default=UNSET, kw_only=True)
    email: str | UnsetType | None = attrs.field(default=UNSET, kw_only=True)
    language: str | UnsetType | None = attrs.field(default=UNSET, kw_only=True)
    profile_pic: str | UnsetType | None = attrs.field(default=UNSET, kw_only=True)
    country_code: str | UnsetType | None = attrs.field(default=UNSET, kw_only=True)
    custom_fields: Sequence[CustomField] | UnsetType | None = attrs.field(
        default=UNSET, kw_only=True, converter=freeze_list, metadata=wire_key("custom_fields")
    )

    @classmethod
    def from_dict(cls, wire: Mapping[str, Any]) -> Contact:
        """A contact from its wire-format body (the API's JSON keys: ``firstName``,
        ``countryCode``, ``custom_fields`` as ``[{"name", "value"}]``; a key left out stays
        UNSET, null stays None), read by the package's one converter. Values keep their JSON
        types: a custom field value is a string, a number or None.

        Raises :class:`ContactValidationError` (a ValueError) listing every problem by Python
        field path: a missing ``first_name``, an unknown key, a value of the wrong type
        (``"custom_fields[1].value: must be a string, number or null, got an object"``).

        >>> Contact.from_dict({"firstName": "Ana", "countryCode": "PT", "lastName": None})
        Contact(first_name='Ana', last_name=None, phone=UNSET, ..., country_code='PT', ...)
        """
        from ._contact_wire import contact_from_wire  # here: that module imports this one

        if not isinstance(wire, Mapping):
            problem = f"must be a dict of the wire body, not {type(wire).__name__}"
            raise ContactValidationError([ValidationProblem("contact", problem)])
        return contact_from_wire(dict(wire))

    def to_dict(self) -> dict[str, Any]:
        """The wire-format body this contact is sent as (JSON-ready): fields left UNSET are
        left out, None is null, custom field values in their wire form (a ``bool`` as
        ``"true"``, a ``date`` as ``"yyyy-mm-dd"``). ``Contact.from_dict`` reads it back.

        >>> Contact("Ana", last_name=None).to_dict()
        {'firstName': 'Ana', 'lastName': None}
        """
        from ._contact_wire import contact_to_wire  # here: that module imports this one

        return contact_to_wire(self)

    def default_identifier(self) -> Identifier | None:
        """The identifier a bulk upsert derives: the email if set, else the phone, else None."""
        if isinstance(self.email, str) and self.email:
            return Identifier.email(self.email)
        if isinstance(self.phone, str) and self.phone:
            return Identifier.phone(self.phone)
        return None


@attrs.frozen(kw_only=True)
class ContactUpdate:
    """The fields to change on an existing contact; every field is optional.

    Fields left ``UNSET`` are not sent (the API keeps them); ``None`` clears a field (all but
    ``first_name``). A :class:`Contact` is accepted wherever a ``ContactUpdate`` is.

    >>> await client.contacts.update("id:7", ContactUpdate(last_name="Silva", phone=None))
    7
    """

    first_name: str | UnsetType = UNSET
    last_name: str | UnsetType | None = UNSET
    phone: str | UnsetType | None = UNSET
    email: str | UnsetType | None = UNSET
    language: str | UnsetType | None = UNSET
    profile_pic: str | UnsetType | None = UNSET
    country_code: str | UnsetType | None = UNSET
    custom_fields: Sequence[CustomField] | UnsetType | None = attrs.field(
        default=UNSET, converter=freeze_list, metadata=wire_key("custom_fields")
    )


def is_unicode(text: str) -> bool:
    """False when ``text`` holds a lone surrogate, which no UTF-8 body or URL can carry."""
    if text.isascii():  # most text: no surrogate, and no encoding to try
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


_CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f]")
_CONTACT_ID = re.compile(r"[1-9][0-9]*")
IdentifierKind = Literal["id", "email", "phone"]
_KINDS: tuple[IdentifierKind, ...] = ("id", "email", "phone")


@attrs.frozen
class Identifier:
    """Which contact a call acts on: ``id:123``, ``email:a@b.com`` or ``phone:+60121233112``.

    >>> str(Identifier.parse("email:a@b.com"))
    'email:a@b.com'

    The value's format (email syntax, E.164) is checked under the client's validation setting
    when a call sends it; here only the shape is checked. ``str()`` gives ``"kind:value"``.
    """

    kind: IdentifierKind
    value: str

    def __attrs_post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise IdentifierError(
                f"identifier kind must be one of id, email, phone, not {self.kind!r}"
            )
        if not isinstance(self.value, str) or not self.value:
            raise IdentifierError(f"identifier {self.kind}: the value must be a non-empty string")
        if _CONTROL_CHARACTER.search(self.value):
            raise IdentifierError(f"identifier {self.kind}: the value contains a control character")
        if not is_unicode(self.value):
            raise IdentifierError(f"identifier {self.kind}: the value contains a lone surrogate")
        if self.kind == "id" and not _CONTACT_ID.fullmatch(self.value):
            raise IdentifierError(f"identifier id: {self.value!r} is not a positive integer")

    @classmethod
    def id(cls, contact_id: int) -> Identifier:
        """The contact with this Aelyst contact id."""
        if isinstance(contact_id, bool) or not isinstance(contact_id, int) or contact_id < 1:
            raise IdentifierError(f"identifier id: {contact_id!r} is not a positive integer")
        return cls("id", str(contact_id))

    @classmethod
    def email(cls, address: str) -> Identifier:
        """The first contact with this email address."""
        return cls("email", address)

    @classmethod
    def phone(cls, number: str) -> Identifier:
        """The first contact with this phone number (E.164, e.g. ``+60121233112``)."""
        return cls("phone", number)

    @classmethod
    def parse(cls, text: str | Identifier) -> Identifier:
        """Parse ``"kind:value"``; an :class:`Identifier` is returned as is."""
        if isinstance(text, Identifier):
            return text
        if not isinstance(text, str):
            raise IdentifierError(
                f"an identifier must be a string or Identifier, not {type(text).__name__}"
            )
        kind, sep, value = text.partition(":")
        if not sep or kind not in _KINDS:
            raise IdentifierError(
                f"identifier {text!r} must look like id:123, email:a@b.com or phone:+60121233112"
            )
        return cls(kind, value)

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


@attrs.frozen
class UpsertResult:
    """What ``create_or_update`` returns: the id of the contact created or updated."""

    contact_id: int
