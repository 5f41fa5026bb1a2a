"""What a bulk upsert reports: one outcome per item, and the run's summary."""

from __future__ import annotations

import attrs

from .._errors import AelystError


@attrs.frozen
class BulkOutcome:
    """What happened to one item of a bulk upsert.

    ``index`` is the item's position in the input; exactly one outcome exists per item.
    ``skipped`` is True for an item a resumed run did not send because its journal records it
    as succeeded (``ok`` is then True, ``contact_id`` the recorded one, ``attempts`` 0).
    ``context`` is the opaque value an item was given with, handed back untouched (None when
    it had none).
    """

    index: int
    identifier: str
    ok: bool
    contact_id: int | None = None
    error: AelystError | None = None
    attempts: int = 0
    skipped: bool = False
    context: object = attrs.field(default=None, eq=False, repr=False)


@attrs.define
class BulkReport:
    """The summary of a bulk upsert: counts, the failed outcomes, and the elapsed seconds.

    Every input item is counted once: ``total == succeeded + failed + skipped``, where
    ``skipped`` counts the items a resumed run did not send because its journal records them as
    succeeded. ``failures`` holds the failed outcomes in the order they finished.
    """

    total: int = 0
    succeeded: int = 0
    failed: int = 0
    failures: list[BulkOutcome] = attrs.field(factory=list)
    elapsed: float = 0.0
    skipped: int = 0
