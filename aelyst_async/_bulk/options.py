"""The options of a bulk run, declared once: :class:`BulkOptions` (and the keywords of the
public methods, :class:`BulkKeywords`)."""

from __future__ import annotations

import math
from typing import Any, TypedDict

import attrs

from .items import ContentKey
from .journal import PathLike
from .progress import ProgressCallback

DEFAULT_CONCURRENCY = 16
"""In-flight sends when neither ``concurrency`` nor a concurrency hint is given."""
MAX_HINTED_CONCURRENCY = 512
"""The most sends in flight a concurrency hint may ask for (the memory bound of a run)."""
DEFAULT_SETTLE_DELAY = 1.0
"""Seconds between an item that may have created a contact and the next item of it."""
DEFAULT_PROGRESS_INTERVAL = 0.1


def _check_concurrency(_: Any, __: Any, value: int | None) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise ValueError(f"concurrency must be a positive integer or None, not {value!r}")


def _check_buffer(_: Any, __: Any, value: int | None) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise ValueError(f"buffer must be an integer >= 0 or None, not {value!r}")


def _check_seconds(_: Any, attribute: attrs.Attribute[float], value: float) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not (ok and 0 <= value < math.inf):
        raise ValueError(f"{attribute.name} must be a number of seconds >= 0, not {value!r}")


@attrs.frozen
class BulkOptions:
    """How a bulk run behaves (every option of ``upsert_many`` / ``bulk_upsert``).

    ``concurrency``: sends in flight at most (None: follow the client's concurrency hint, else
    16); a given number is a hard cap. ``settle_delay``: seconds between an item that may have
    created a contact and the next item of it. ``buffer``: items read ahead beyond
    ``concurrency`` (None: 3 x concurrency), to find work while some contacts are busy.
    ``journal``: a JSONL file of outcomes; items it records as succeeded are skipped
    (``skipped=True``). ``on_progress``: called with a :class:`BulkProgress` at most every
    ``progress_interval`` seconds and once at the end; ``total``: the item count it reports
    (default ``len(items)`` when the input has one). ``content_key``: what the journal matches
    an item by, from its entry and whether the journal is of version 2 (default: a strong hash
    of the identifier and the wire body, :func:`~aelyst_async._bulk.items.entry_key`); a send
    callable that does more than the upsert gives one covering what else it does. Bad values
    raise ``ValueError``.

    >>> BulkOptions(concurrency=8, journal="import.journal")
    """

    concurrency: int | None = attrs.field(default=None, validator=_check_concurrency)
    settle_delay: float = attrs.field(default=DEFAULT_SETTLE_DELAY, validator=_check_seconds)
    buffer: int | None = attrs.field(default=None, validator=_check_buffer)
    journal: PathLike | None = None
    on_progress: ProgressCallback | None = None
    total: int | None = None
    progress_interval: float = attrs.field(
        default=DEFAULT_PROGRESS_INTERVAL, validator=_check_seconds
    )
    content_key: ContentKey | None = None


class BulkKeywords(TypedDict, total=False):
    """The keyword arguments of the public bulk methods: the fields of :class:`BulkOptions`."""

    concurrency: int | None
    settle_delay: float
    buffer: int | None
    journal: PathLike | None
    on_progress: ProgressCallback | None
    total: int | None
    progress_interval: float
