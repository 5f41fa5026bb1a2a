"""Bulk upserts: items in, one outcome each (run), what an item is (items), options, progress,
journal.

The client hands :func:`upsert_many` / :func:`bulk_upsert` one send callable and a
:class:`BulkOptions`; bulk never sees the client.
"""

from .items import BulkItem, BulkItems, SendOne
from .journal import Journal
from .options import DEFAULT_CONCURRENCY, DEFAULT_SETTLE_DELAY, BulkKeywords, BulkOptions
from .outcomes import BulkInputError, BulkItemError
from .progress import BulkProgress, ProgressCallback
from .run import bulk_upsert, upsert_many

__all__ = [
    "DEFAULT_CONCURRENCY",
    "DEFAULT_SETTLE_DELAY",
    "BulkInputError",
    "BulkItem",
    "BulkItemError",
    "BulkItems",
    "BulkKeywords",
    "BulkOptions",
    "BulkProgress",
    "Journal",
    "ProgressCallback",
    "SendOne",
    "bulk_upsert",
    "upsert_many",
]
