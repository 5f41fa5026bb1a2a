"""The send callable of ``aelyst upsert``: a row's upsert, then its tags and its lifecycle.

Bulk sees one send per row, so a row has one outcome: it succeeds only when its upsert and every
call after it succeeded, and rows of one contact (bulk's ordering key) run their calls one row
at a time, in file order. The calls after the upsert name the contact by the id the upsert
answered (``id:N``); tags go in calls of at most 10.

The journal matches a row by its identifier, contact, tags and lifecycle together
(:meth:`RowSteps.key`): a row is journaled as done only when all its calls succeeded, so a
resume re-sends a row whose upsert succeeded but whose tags or lifecycle failed. That is safe:
the upsert, adding tags and setting a lifecycle are idempotent.

>>> steps = RowSteps(client.contacts)
>>> steps.add(contact, ("vip",), "Customer")
>>> upsert_many(steps.send, items, BulkOptions(content_key=steps.key))
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from .._bulk.items import content_key
from .._errors import AelystError
from ..types.contact import Contact, Identifier, UpsertResult

if TYPE_CHECKING:
    from .._resources.contacts import Contacts

MAX_TAGS_PER_CALL = 10


@attrs.frozen
class AfterUpsert:
    """What a row applies to its contact after the upsert."""

    tags: tuple[str, ...] = ()
    lifecycle: str | None = None

    def describe(self) -> str:
        return f"tags={list(self.tags)!r} lifecycle={self.lifecycle!r}"


@attrs.frozen
class FailedStep:
    """The call after a row's upsert that failed: ``step`` is ``"tags"`` or ``"lifecycle"``."""

    step: str
    contact_id: int

    def describe(self, column: str) -> str:
        """The step as shown, naming ``column`` as the file names it."""
        return (
            f"{column} (after the upsert of contact id {self.contact_id} succeeded; a rerun "
            "with --journal sends the row again, safely)"
        )


class RowSteps:
    """The calls after each pending row's upsert (keyed by the row's :class:`Contact` object,
    which bulk hands back to :meth:`send`), and the step that failed for a row."""

    def __init__(self, contacts: Contacts) -> None:
        self._contacts = contacts
        self._after: dict[int, tuple[Contact, AfterUpsert]] = {}
        self._failed: dict[int, FailedStep] = {}

    def add(self, contact: Contact, tags: tuple[str, ...], lifecycle: str | None) -> None:
        """Apply ``tags`` and ``lifecycle`` after ``contact``'s upsert (nothing when neither)."""
        if tags or lifecycle is not None:
            self._after[id(contact)] = (contact, AfterUpsert(tags, lifecycle))

    def _steps(self, contact: Contact) -> AfterUpsert | None:
        found = self._after.get(id(contact))
        return found[1] if found is not None and found[0] is contact else None

    def done(self, contact: Contact) -> FailedStep | None:
        """Forget ``contact``'s row; the step that failed for it, if one did."""
        self._after.pop(id(contact), None)
        return self._failed.pop(id(contact), None)

    def key(self, identifier: str, contact: Contact) -> str:
        """The journal's key of a row: its identifier, contact, tags and lifecycle (a row
        without tags or lifecycle has the key bulk would give it)."""
        steps = self._steps(contact)
        return content_key(identifier, contact, steps.describe() if steps is not None else "")

    async def send(self, identifier: Identifier, contact: Contact) -> tuple[UpsertResult, int]:
        """Upsert, then add the row's tags, then set its lifecycle; raises the first error."""
        result, attempts = await self._contacts.upsert_counted(identifier, contact)
        steps = self._steps(contact)
        if steps is None:
            return result, attempts
        target = Identifier.id(result.contact_id)
        step = "tags"
        try:
            for start in range(0, len(steps.tags), MAX_TAGS_PER_CALL):
                chunk = list(steps.tags[start : start + MAX_TAGS_PER_CALL])
                await self._contacts.add_tags(target, chunk)
            step = "lifecycle"
            if steps.lifecycle is not None:
                await self._contacts.update_lifecycle(target, steps.lifecycle)
        except AelystError:
            self._failed[id(contact)] = FailedStep(step, result.contact_id)
            raise
        return result, attempts
