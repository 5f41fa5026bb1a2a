"""What a bulk run is given, and how each item becomes an entry to send or an outcome at once.

An item is a :class:`Contact` (identified by its email, else its phone) or an
``(identifier, Contact)`` pair, optionally wrapped as :class:`WithContext` to carry a value
handed back with its outcome. An item that cannot be sent (no identifier, a malformed one,
something that is not a contact) fails at its index without a request.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterable, Awaitable, Callable, Iterable, Mapping
from typing import Any, TypeAlias, Union

import attrs

from .._errors import ContactValidationError, IdentifierError, ValidationProblem
from .._sansio.convert import contact_to_wire
from ..types.bulk import BulkOutcome
from ..types.contact import Contact, Identifier

BulkItem: TypeAlias = Union[Contact, tuple[Union[Identifier, str], Contact]]  # noqa: UP007
"""One item of a bulk run: a Contact, or an ``(identifier, Contact)`` pair."""
BulkItems: TypeAlias = Union[Iterable[BulkItem], AsyncIterable[BulkItem]]  # noqa: UP007
"""The input of a bulk run: a sync or async iterable of :data:`BulkItem`."""


@attrs.frozen
class WithContext:
    """An item with an opaque ``context`` that bulk hands to the send callable (as
    ``Entry.context``) and back with the item's outcome (``BulkOutcome.context``).

    >>> WithContext(("email:ana@example.com", Contact("Ana")), context=row)
    """

    item: BulkItem
    context: object


RunItems: TypeAlias = Union[  # noqa: UP007
    Iterable[Union[BulkItem, WithContext]], AsyncIterable[Union[BulkItem, WithContext]]  # noqa: UP007
]
"""What a run reads: :data:`BulkItems`, any of them possibly wrapped as :class:`WithContext`."""


@attrs.frozen
class Sent:
    """What a send callable answers for an item: the contact's id and the attempts taken."""

    contact_id: int
    attempts: int = 1


@attrs.define
class InFlight:
    """How a send callable tells the journal that a re-keying item is about to be sent (its
    repetition could duplicate a contact), and what a resumed run knows of an earlier send.

    ``mark(holders)``: journal the item as in flight, with the ids of the contacts that held
    the new email or phone before (None: not known). ``resumed``: the journal records the item
    as in flight and not finished since: resolve it (look it up) before sending it again;
    ``holders``: what that record noted; ``sent_at``: when it was sent (unix time).
    """

    mark: Callable[[frozenset[int] | None], None]
    resumed: bool = False
    holders: frozenset[int] | None = None
    sent_at: float = 0.0


@attrs.define(slots=True)
class Entry:
    """An item that can be sent: its index, identifier, ordering keys, context and content key.

    While queued behind earlier items of its contact, ``blockers`` counts those not finished;
    ``followers`` are the later items queued behind it.
    """

    index: int
    identifier: Identifier
    contact: Contact
    label: str
    """``str(identifier)``: what outcomes and the journal show."""
    orders: tuple[str, ...]
    """Items sharing an ordering key run one at a time, in input order: the identifier's, and
    for a re-keying item (changing the email or phone it names) the new value's too."""
    ready: float = 0.0
    """The clock time before which it must not be sent (a settle delay), 0.0 for none."""
    key: str | None = None
    """What the journal records it by (None without a journal)."""
    context: object = None
    """The item's :class:`WithContext` value, if it had one."""
    in_flight: InFlight | None = None
    """Set when a journal is kept (see :class:`InFlight`)."""
    blockers: int = 0
    followers: list[Entry] = attrs.field(factory=list)


SendOne: TypeAlias = Callable[[Entry], Awaitable[Sent]]
"""Sends one item's create-or-update (and whatever else the caller's item needs); raises an
``AelystError`` on failure."""


def printable(text: str) -> str:
    """``text`` with control characters and lone surrogates escaped (safe to print or log)."""
    escaped = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in escaped)


def ordering_key(identifier: Identifier) -> str:
    """Identifiers naming one contact share a key: email addresses compare case-insensitively
    (the API matches them so; two spellings must not race)."""
    if identifier.kind == "email":
        return f"email:{identifier.value.lower()}"
    return str(identifier)


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def ordering_keys(identifier: Identifier, contact: Contact) -> tuple[str, ...]:
    """The ordering keys of an item: its identifier's, and the new email's or phone's when the
    contact changes the one the identifier names (a re-key: later items may name it so)."""
    own = ordering_key(identifier)
    if identifier.kind not in ("email", "phone"):
        return (own,)
    new = getattr(contact, identifier.kind)
    if not isinstance(new, str) or not new or new == identifier.value:
        return (own,)
    other = f"email:{new.lower()}" if identifier.kind == "email" else f"phone:{new}"
    return (own,) if other == own else (own, other)


def content_key(identifier: str, contact: Contact, extra: Mapping[str, Any] | None = None) -> str:
    """What a journal matches an item by: a strong hash (BLAKE2b, 128 bits) of the canonical
    JSON of what is sent, ``{"identifier", "body"}`` (the body as on the wire: a field left
    UNSET is not in it) and ``extra`` (what else is done with the item, e.g. its tags and
    lifecycle). A new optional field or another repr of the models does not change it."""
    try:
        body: object = contact_to_wire(contact)
    except Exception:  # an invalid contact (it fails when sent): its key never skips it
        body = repr(contact)
    canonical = {"identifier": identifier, "body": body, **(extra or {})}
    text = json.dumps(
        canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=repr
    )
    return _digest(text)


def legacy_content_key(identifier: str, contact: Contact, extra: str = "") -> str:
    """The key of journals of format version 2 (a hash of the contact's repr), to honour them."""
    return _digest(f"{identifier}\n{contact!r}" + (f"\n{extra}" if extra else ""))


ContentKey: TypeAlias = Callable[[Entry, bool], str]
"""What the journal matches an entry by; the flag asks for the key of a version-2 journal."""


def entry_key(entry: Entry, legacy: bool) -> str:
    """The default :data:`ContentKey`: the entry's identifier and contact."""
    if legacy:
        return legacy_content_key(entry.label, entry.contact)
    return content_key(entry.label, entry.contact)


def invalid(field: str, problem: str) -> ContactValidationError:
    """A one-problem :class:`ContactValidationError`."""
    return ContactValidationError([ValidationProblem(field, problem)])


def _not_utf8(field: str) -> ContactValidationError:
    return invalid(field, "contains a lone surrogate (text that cannot be encoded as UTF-8)")


def classify(index: int, item: object) -> Entry | BulkOutcome:
    """An item as an :class:`Entry` to send, or its failure outcome when it cannot be sent."""
    if isinstance(item, WithContext):
        found = _classify(index, item.item)
        if isinstance(found, BulkOutcome):
            return attrs.evolve(found, context=item.context)
        found.context = item.context
        return found
    return _classify(index, item)


def _classify(index: int, item: object) -> Entry | BulkOutcome:
    if isinstance(item, Contact):
        field = "email" if isinstance(item.email, str) and item.email else "phone"
        try:
            identifier = item.default_identifier()
        except IdentifierError as exc:
            value = getattr(item, field)
            return BulkOutcome(index, printable(f"{field}:{value}"), False, error=exc)
        if identifier is None:
            error = invalid(
                "email",
                "no email or phone to identify the contact by: "
                "set one, or pass an (identifier, contact) pair",
            )
            return BulkOutcome(index, "", False, error=error)
        contact = item
    elif isinstance(item, tuple) and len(item) == 2:
        raw, contact = item
        field = "identifier"
        try:
            identifier = Identifier.parse(raw)
        except IdentifierError as exc:
            label = printable(raw) if isinstance(raw, str) else repr(raw)
            return BulkOutcome(index, label, False, error=exc)
        if not isinstance(contact, Contact):
            problem = f"expected a Contact, got {type(contact).__name__}"
            return BulkOutcome(index, str(identifier), False, error=invalid("contact", problem))
    else:
        problem = f"expected a Contact or an (identifier, Contact) pair, got {type(item).__name__}"
        return BulkOutcome(index, "", False, error=invalid("contact", problem))
    label = str(identifier)
    try:
        label.encode("utf-8")
    except UnicodeEncodeError:
        return BulkOutcome(index, printable(label), False, error=_not_utf8(field))
    return Entry(index, identifier, contact, label, ordering_keys(identifier, contact))


def not_utf8_contact() -> ContactValidationError:
    """The error of a contact holding text that cannot be encoded (a lone surrogate)."""
    return _not_utf8("contact")
