"""``client.contacts``: the contact endpoints.

>>> record = await client.contacts.get("email:ana@example.com")
>>> await client.contacts.add_tags(record.id and f"id:{record.id}", ["vip"])
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import AsyncGenerator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .._core import Core
from .._errors import (
    AelystError,
    ContactValidationError,
    MaybeAppliedError,
    ValidationProblem,
)
from .._log import Masked
from .._paginate import Paginator
from .._sansio.convert import contact_to_wire
from .._sansio.operations import (
    CONTACT_ADD_TAGS,
    CONTACT_CHANNELS,
    CONTACT_CREATE,
    CONTACT_DELETE,
    CONTACT_GET,
    CONTACT_LIFECYCLE,
    CONTACT_LIST,
    CONTACT_MERGE,
    CONTACT_REKEY,
    CONTACT_REMOVE_TAGS,
    CONTACT_UPDATE,
    CONTACT_UPSERT,
)
from .._sansio.validate.checks import check_id, check_text, refuse
from .._sansio.validate.contact import checked_filter, validate_contact, validate_tags
from ..types.bulk import BulkOutcome, BulkReport
from ..types.contact import Contact, ContactUpdate, Identifier, UpsertResult
from ..types.records import (
    ContactChannel,
    ContactFilter,
    ContactRecord,
)
from ._rekey import holders, rekey_applied, rekeys

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .._bulk import BulkItems, BulkKeywords
    from .._bulk.items import Entry, InFlight, Sent

log = logging.getLogger("aelyst_async")
DEFAULT_PAGE_SIZE = 100


@functools.cache
def _sent() -> type[Sent]:
    """Bulk's ``Sent`` (bulk is imported when first used; then looked up once)."""
    from .._bulk.items import Sent

    return Sent


class Contacts:
    """The contact endpoints, reached as ``client.contacts``."""

    def __init__(self, core: Core) -> None:
        self._core = core

    def _identifier(
        self, identifier: Identifier | str, *more: list[ValidationProblem]
    ) -> Identifier:
        return self._core.identifier(identifier, *more, error=ContactValidationError)

    def _checked(
        self, identifier: Identifier | str, contact: Contact | ContactUpdate
    ) -> tuple[Identifier, dict[str, Any]]:
        problems = validate_contact(contact, self._core.options.validation)
        return self._identifier(identifier, problems), contact_to_wire(contact)

    async def create_or_update(
        self, identifier: Identifier | str, contact: Contact
    ) -> UpsertResult:
        """Update the first contact matching ``identifier``, or create one.

        Fields of ``contact`` left UNSET are not sent; ``None`` clears a field. When ``contact``
        changes the email or phone the identifier names, a lost answer is resolved by looking
        the contact up before sending again, so a retry never creates a second contact.
        Raises :class:`ContactValidationError` (nothing sent) or an :class:`AelystError`.

        >>> await client.contacts.create_or_update("email:ana@example.com", Contact("Ana"))
        UpsertResult(contact_id=1)
        """
        contact_id, _ = await self._upsert(identifier, contact)
        return UpsertResult(contact_id)

    async def send_for_bulk(self, entry: Entry) -> Sent:
        """Bulk's send callable: the create-or-update of one item."""
        return _sent()(*await self._upsert(entry.identifier, entry.contact, entry.in_flight))

    async def _upsert(
        self, identifier: Identifier | str, contact: Contact, in_flight: InFlight | None = None
    ) -> tuple[int, int]:
        """The contact's id and the attempts the create-or-update took."""
        if not isinstance(contact, Contact):
            raise ContactValidationError(
                [ValidationProblem("contact", f"expected a Contact, got {type(contact).__name__}")]
            )
        ident, body = self._checked(identifier, contact)
        params = {"identifier": ident}
        if not rekeys(ident, contact):
            result, attempts = await self._core.call(CONTACT_UPSERT, params, body=body)
            return result.contact_id, attempts
        return await self._rekeying_upsert(ident, contact, body, in_flight)

    async def _rekeying_upsert(
        self, ident: Identifier, contact: Contact, body: dict[str, Any], in_flight: InFlight | None
    ) -> tuple[int, int]:
        """A create-or-update that changes the email or phone ``ident`` names. Before sending,
        the contacts already holding the new value are noted; after an answer that leaves the
        write's fate unknown, the client waits one request timeout (the write may still land),
        then looks up: the old identifier still names a contact -> not applied, send again
        (while attempts remain); exactly one contact not noted before holds the new value ->
        that one; none -> not applied; several -> :class:`MaybeAppliedError`. In bulk with a
        journal, the item is journaled in flight before it is sent, and an item a resumed run
        finds in flight is resolved so (two timeouts after its send) before it is sent again.
        A write the API applies later than two timeouts after it was sent cannot be seen."""
        timeout = self._core.options.attempt_seconds
        if in_flight is not None and in_flight.resumed:
            # the earlier run's write may still land: until two timeouts after it was sent
            left = in_flight.sent_at + 2 * timeout - time.time()
            await asyncio.sleep(max(0.0, min(2 * timeout, left)))
            applied = await rekey_applied(self, ident, contact, in_flight.holders)
            if applied is None:
                raise MaybeAppliedError(
                    "an earlier run sent this re-keying upsert and its fate cannot be told "
                    f"(several contacts hold the new {ident.kind}); check before sending it again",
                    method="POST",
                    path=f"/contact/create_or_update/{ident}",
                    attempts=0,
                )
            if not isinstance(applied, bool):
                return applied, 0
        attempts = 0
        rounds = self._core.options.retry.max_attempts
        try:
            holders_before = await holders(self, ident.kind, getattr(contact, ident.kind))
        except AelystError:  # then a lost answer cannot be resolved: MaybeAppliedError
            holders_before = None
        if in_flight is not None:
            in_flight.mark(holders_before)
        while True:
            try:
                result, used = await self._core.call(
                    CONTACT_REKEY, {"identifier": ident}, body=body
                )
            except MaybeAppliedError as exc:
                attempts += exc.attempts
                exc.attempts = attempts
                rounds -= 1
                await asyncio.sleep(timeout)  # an unanswered write may still land
                try:
                    applied = await rekey_applied(self, ident, contact, holders_before)
                except AelystError:
                    applied = None  # the look-up failed too: the answer stays unknown
                if isinstance(applied, int) and not isinstance(applied, bool):
                    return applied, attempts
                if applied is None or rounds <= 0:
                    raise
                log.debug(
                    "aelyst_async: re-keying upsert %s was not applied; sending again",
                    Masked(str(ident)),
                )
                continue
            return result.contact_id, attempts + used

    def upsert_many(
        self, items: BulkItems, **options: Unpack[BulkKeywords]
    ) -> AsyncGenerator[BulkOutcome, None]:
        """Upsert many contacts; yields one :class:`BulkOutcome` per item as each finishes.

        ``items``: a sync or async iterable of :class:`Contact` (identified by its email, else
        its phone) or ``(identifier, Contact)`` pairs, read lazily. At most ``concurrency``
        requests are in flight; items of one identifier run one at a time in input order,
        ``settle_delay`` seconds apart after a possible create. ``journal``: a JSONL file of
        outcomes; an existing one makes the run skip the items it records as succeeded.
        ``on_progress`` receives a :class:`BulkProgress`. Its requests pass the throttle at
        priority ``"low"`` (a view's ``with_options(priority=...)`` overrides it), so the
        client's other calls go first. Close the stream early with
        ``contextlib.aclosing`` to cancel the requests in flight.

        >>> async with aclosing(client.contacts.upsert_many(contacts)) as outcomes:
        ...     async for outcome in outcomes:
        ...         print(outcome.index, outcome.ok, outcome.error)
        """
        from .._bulk import BulkOptions, upsert_many  # bulk is imported when first used

        return upsert_many(
            self._bulk().send_for_bulk,
            items,
            BulkOptions(**options),
            concurrency_hint=self._core.suggested_concurrency,
            clock=self._core.clock.time,
            sleep=self._core.clock.sleep,
        )

    async def bulk_upsert(self, items: BulkItems, **options: Unpack[BulkKeywords]) -> BulkReport:
        """Upsert many contacts and return a :class:`BulkReport` (counts and failures only).

        Options as for :meth:`upsert_many`. If the call is cancelled, the requests in flight are
        cancelled; the outcomes that finished are in the ``journal``, when one is given.

        >>> report = await client.contacts.bulk_upsert(contacts, journal="import.journal")
        >>> report.total, report.succeeded, report.failed, report.skipped
        """
        from .._bulk import BulkOptions, bulk_upsert  # bulk is imported when first used

        return await bulk_upsert(
            self._bulk().send_for_bulk,
            items,
            BulkOptions(**options),
            concurrency_hint=self._core.suggested_concurrency,
            clock=self._core.clock.time,
            sleep=self._core.clock.sleep,
        )

    def _bulk(self) -> Contacts:
        """These endpoints for a bulk run's requests: at the view's bulk priority (``"low"``
        unless ``with_options(priority=...)`` set one)."""
        return Contacts(self._core.evolve(priority=self._core.options.bulk_priority))

    async def get(self, identifier: Identifier | str) -> ContactRecord:
        """The contact ``identifier`` names; raises :class:`NotFoundError` when there is none.

        >>> record = await client.contacts.get("id:7")
        >>> record.first_name, record.tags, record.created_at
        """
        ident = self._identifier(identifier)
        return await self._core.result(CONTACT_GET, {"identifier": ident})

    async def create(self, identifier: Identifier | str, contact: Contact) -> int | None:
        """Create a contact keyed by an ``email:`` or ``phone:`` identifier; returns the new
        contact's id when the answer carries one (``contactId``), else None (the API's
        documented answer is ``{code, message}``: look the contact up by its identifier).

        Not idempotent: after a timeout, a lost answer or a 5xx it raises
        :class:`MaybeAppliedError` instead of sending it again. Raises :class:`ConflictError`
        (409) when the contact exists.

        >>> await client.contacts.create("email:ana@example.com", Contact("Ana"))
        """
        ident, body = self._checked(identifier, contact)
        if ident.kind == "id":
            problem = ValidationProblem("identifier", "create takes an email: or phone: identifier")
            refuse([problem], ContactValidationError)
        return await self._core.result(CONTACT_CREATE, {"identifier": ident}, body=body)

    async def update(self, identifier: Identifier | str, update: ContactUpdate | Contact) -> int:
        """Change the fields set in ``update`` (UNSET left alone, None cleared); returns the
        contact id. Raises :class:`NotFoundError` when no contact matches.

        >>> await client.contacts.update("id:7", ContactUpdate(last_name="Silva"))
        7
        """
        ident, body = self._checked(identifier, update)
        return await self._core.result(CONTACT_UPDATE, {"identifier": ident}, body=body)

    async def delete(self, identifier: Identifier | str) -> int:
        """Delete the contact; returns its id. Raises :class:`NotFoundError` when none matches.

        >>> await client.contacts.delete("id:7")
        7
        """
        ident = self._identifier(identifier)
        return await self._core.result(CONTACT_DELETE, {"identifier": ident})

    async def merge(
        self, keep: int, merge: int, update: ContactUpdate | Contact | None = None
    ) -> int:
        """Merge contact ``merge`` into contact ``keep`` (ids); ``update`` sets fields on the
        result. Returns the kept id. Not idempotent (see :meth:`create`).

        >>> await client.contacts.merge(7, 9, ContactUpdate(first_name="Ana"))
        7
        """
        problems = check_id("keep", keep) + check_id("merge", merge)
        if not problems and keep == merge:
            problems.append(ValidationProblem("merge", "must differ from keep"))
        fields: dict[str, Any] = {}
        if update is not None:
            problems += validate_contact(update, self._core.options.validation)
            if not problems:
                fields = contact_to_wire(update)
        refuse(problems, ContactValidationError)
        from .._sansio.bodies import merge_body  # the request bodies: on first use

        return await self._core.result(CONTACT_MERGE, body=merge_body(keep, merge, fields))

    def list(
        self,
        *,
        search: str | None = None,
        filter: ContactFilter | Mapping[str, Any] | None = None,
        timezone: str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Paginator[ContactRecord]:
        """Every contact matching ``search`` (name, email or phone) and ``filter``, as an
        async iterator fetching ``page_size`` (1-100) contacts a request.

        The body is always the official clients' ``{"search", "timezone", "filter"}``: no
        ``search`` sends ``""`` (every contact), no ``timezone`` sends ``"UTC"`` (the zone the
        API reads dates of timestamp filters in, an IANA name such as ``"Asia/Kuala_Lumpur"``),
        no ``filter`` sends ``{"$and": []}``.

        >>> async for record in client.contacts.list(search="ana"):
        ...     print(record.id, record.email)
        """
        wire_filter: dict[str, Any] | None = None
        problems: list[ValidationProblem] = []
        if search is not None:
            problems += check_text("search", search, mode="off")
        if timezone is not None:
            problems += check_text("timezone", timezone, mode="off")
        if filter is not None:
            wire_filter, filter_problems = checked_filter(filter)
            problems += filter_problems
        refuse(problems, ContactValidationError)
        from .._sansio.bodies import ContactSearch  # the request bodies: on first use

        body = ContactSearch(
            "" if search is None else search,
            "UTC" if timezone is None else timezone,
            **({} if wire_filter is None else {"filter": wire_filter}),
        )
        return self._core.paginate(CONTACT_LIST, page_size=page_size, body=body)

    async def add_tags(self, identifier: Identifier | str, tags: Sequence[str]) -> int:
        """Add 1-10 tags (each 1-255 characters); returns the contact id.

        >>> await client.contacts.add_tags("id:7", ["vip", "2026"])
        7
        """
        return await self._tags(CONTACT_ADD_TAGS, identifier, tags)

    async def remove_tags(self, identifier: Identifier | str, tags: Sequence[str]) -> int:
        """Remove 1-10 tags; returns the contact id.

        >>> await client.contacts.remove_tags("id:7", ["vip"])
        7
        """
        return await self._tags(CONTACT_REMOVE_TAGS, identifier, tags)

    async def _tags(self, operation: Any, identifier: Identifier | str, tags: Any) -> int:
        ident = self._identifier(identifier, validate_tags(tags, self._core.options.validation))
        result: int = await self._core.result(operation, {"identifier": ident}, body=list(tags))
        return result

    async def update_lifecycle(self, identifier: Identifier | str, name: str | None) -> int | None:
        """Move the contact to lifecycle stage ``name``; ``None`` removes its stage. Returns
        the ``contactId`` the answer carries, else None (the API's documented answer is
        ``{code, message}``: None, as the contract says).

        >>> await client.contacts.update_lifecycle("id:7", "Customer")
        """
        problems = (
            [] if name is None else check_text("name", name, mode=self._core.options.validation)
        )
        ident = self._identifier(identifier, problems)
        from .._sansio.bodies import LifecycleBody  # the request bodies: on first use

        body = LifecycleBody(name)
        result: int | None = await self._core.result(
            CONTACT_LIFECYCLE, {"identifier": ident}, body=body
        )
        return result

    def list_channels(
        self, identifier: Identifier | str, *, page_size: int = DEFAULT_PAGE_SIZE
    ) -> Paginator[ContactChannel]:
        """The channels the contact is reachable on, as an async iterator.

        >>> async for channel in client.contacts.list_channels("id:7"):
        ...     print(channel.id, channel.source)
        """
        ident = self._identifier(identifier)
        return self._core.paginate(CONTACT_CHANNELS, {"identifier": ident}, page_size=page_size)
