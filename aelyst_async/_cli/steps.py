"""The send callable of ``aelyst upsert``: a row's upsert, then its tags and its lifecycle.

Bulk sees one send per row, so a row has one outcome: it succeeds only when its upsert and every
call after it succeeded, and rows of one contact (bulk's ordering key) run their calls one row
at a time, in file order. The calls after the upsert name the contact by the id the upsert
answered (``id:N``); tags go in calls of at most 10. Each item carries its row as an opaque
:class:`RowContext` (bulk hands it to the send and back with the outcome): nothing is looked up
by the contact object.

The journal matches a row by its identifier, contact, tags and lifecycle together
(:meth:`RowSteps.key`): a row is journaled as done only when all its calls succeeded, so a
resume re-sends a row whose upsert succeeded but whose tags or lifecycle failed. That is safe:
the upsert, adding tags and setting a lifecycle are idempotent.

>>> steps = RowSteps(client.contacts)
>>> item = WithContext(row.contact, RowContext(row))
>>> upsert_many(steps.send, items, BulkOptions(content_key=RowSteps.key))
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

from .._bulk.items import Entry, Sent, content_key, legacy_content_key
from .._errors import AelystError
from ..types.contact import Identifier
from .row import Row

if TYPE_CHECKING:
    from .._resources.contacts import Contacts

MAX_TAGS_PER_CALL = 10


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


@attrs.define
class RowContext:
    """A row as bulk carries it: the row, and the step after its upsert that failed, if one."""

    row: Row
    failed: FailedStep | None = None


def _context(entry: Entry) -> RowContext | None:
    return entry.context if isinstance(entry.context, RowContext) else None


class RowSteps:
    """The send callable of the rows: upsert, then the row's tags and lifecycle."""

    def __init__(self, contacts: Contacts) -> None:
        self._contacts = contacts

    @staticmethod
    def key(entry: Entry, legacy: bool) -> str:
        """The journal's key of a row: its identifier, contact, tags and lifecycle (a row
        without tags or lifecycle has the key bulk would give it); ``legacy``: as a journal of
        version 2 keyed it."""
        context = _context(entry)
        row = context.row if context is not None else None
        has_steps = row is not None and (row.tags or row.lifecycle is not None)
        if legacy:
            extra = ""
            if row is not None and has_steps:
                extra = f"tags={list(row.tags)!r} lifecycle={row.lifecycle!r}"
            return legacy_content_key(entry.label, entry.contact, extra)
        steps: dict[str, Any] | None = None
        if row is not None and has_steps:
            steps = {"tags": list(row.tags), "lifecycle": row.lifecycle}
        return content_key(entry.label, entry.contact, steps)

    async def send(self, entry: Entry) -> Sent:
        """Upsert, then add the row's tags, then set its lifecycle; raises the first error
        (recording the step that failed on the row's context)."""
        sent = await self._contacts.send_for_bulk(entry)
        context = _context(entry)
        if context is None:
            return sent
        row = context.row
        target = Identifier.id(sent.contact_id)
        step = "tags"
        try:
            for start in range(0, len(row.tags), MAX_TAGS_PER_CALL):
                chunk = list(row.tags[start : start + MAX_TAGS_PER_CALL])
                await self._contacts.add_tags(target, chunk)
            step = "lifecycle"
            if row.lifecycle is not None:
                await self._contacts.update_lifecycle(target, row.lifecycle)
        except AelystError:
            context.failed = FailedStep(step, sent.contact_id)
            raise
        return sent
