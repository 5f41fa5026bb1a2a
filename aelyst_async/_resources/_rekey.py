"""Re-keying upserts (the body changes the email or phone the identifier names): what counts as
one, and how a write whose answer was lost is found out (see ``Contacts._rekeying_upsert``)."""

from __future__ import annotations

from collections.abc import AsyncIterable
from typing import Any, Protocol

from .._errors import NotFoundError
from ..types.contact import Contact, ContactUpdate, Identifier, UnsetType
from ..types.records import ContactFilter, ContactRecord, FilterCondition


class Contacts(Protocol):
    """The two look-ups of ``client.contacts`` a re-key check makes."""

    def list(self, *, filter: ContactFilter, page_size: int) -> AsyncIterable[ContactRecord]: ...

    async def get(self, identifier: Identifier) -> Any: ...


MAX_HOLDERS = 100
"""Contacts holding a re-key's new email or phone read at most (an ambiguity shows at 2)."""


def rekeys(identifier: Identifier, contact: Contact | ContactUpdate) -> bool:
    """Whether ``contact`` changes the email or phone that ``identifier`` names: then a
    create-or-update sent twice may create a second contact. Any difference counts, case
    included: whether the API matches emails case-insensitively is not documented."""
    if identifier.kind == "id":
        return False
    new = getattr(contact, identifier.kind)
    return not isinstance(new, UnsetType) and new != identifier.value


async def holders(contacts: Contacts, kind: str, value: object) -> frozenset[int] | None:
    """The ids of the contacts whose ``kind`` (email or phone) is ``value`` (None when the
    value is cleared: nothing to look up by). At most 100 are read."""
    if not isinstance(value, str):
        return None
    condition = FilterCondition("contactField", "isEqualTo", value, field=kind)
    pages = contacts.list(filter=ContactFilter.all_of(condition), page_size=MAX_HOLDERS)
    found: set[int] = set()
    async for record in pages:
        if isinstance(record.id, int) and getattr(record, kind, None) == value:
            found.add(record.id)
        if len(found) >= MAX_HOLDERS:
            break
    return frozenset(found)


async def rekey_applied(
    contacts: Contacts, ident: Identifier, contact: Contact, before: frozenset[int] | None
) -> int | bool | None:
    """After an unknown fate: the contact id if the re-keying upsert landed, False if it
    surely did not, None if that cannot be told."""
    try:
        await contacts.get(ident)
        return False  # the identifier still names a contact: the change did not land
    except NotFoundError:
        pass
    now = await holders(contacts, ident.kind, getattr(contact, ident.kind))
    if now is None or before is None:
        return None  # the field was cleared: nothing left to look the contact up by
    new = now - before
    if len(new) > 1:
        return None  # several contacts hold it now: which one is this write's is unknown
    return next(iter(new)) if new else False
