"""Listing as ``async for``: one generic paginator over the API's cursor pages.

>>> async for record in client.contacts.list(search="ana"):
...     print(record.id)
>>> async for page in client.contacts.list().pages():
...     print(len(page.items), page.next_cursor)
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Generic, TypeVar

from ._errors import ResponseFormatError, TransportError
from ._redact import NOTHING, Redactor
from ._sansio.operations import Page

R = TypeVar("R")
MAX_EMPTY_PAGES = 10
"""Consecutive empty pages (no item, yet a next cursor) after which a listing stops."""
FetchPage = Callable[["str | None"], Awaitable[Page[R]]]


class Paginator(Generic[R]):
    """An async iterator over the items of every page, fetched lazily: the next page is
    requested only when the current one is used up (never more than one page ahead), each page
    its own throttled request. Breaking out of the loop stops it; nothing is left running.

    :meth:`pages` iterates whole :class:`Page` values instead (``items``, ``next_cursor``).
    ``skipped`` counts the items left out so far because they lack the key that identifies
    them (each logged as a warning; see :class:`Page`).
    """

    def __init__(
        self,
        fetch: FetchPage[R],
        *,
        method: str = "",
        path: str = "",
        cursor: str | None = None,
        redact: Redactor = NOTHING,
    ) -> None:
        self._fetch = fetch
        self._method, self._path = method, path
        self._cursor = cursor
        self.skipped = 0
        self._redact = redact

    def __aiter__(self) -> AsyncIterator[R]:
        return self._items()

    async def _items(self) -> AsyncIterator[R]:
        async for page in self.pages():
            for item in page.items:
                yield item

    async def pages(self) -> AsyncIterator[Page[R]]:
        """Each page in turn, from the first (or the ``cursor`` given) to the last.

        Instead of fetching forever, raises :class:`TransportError` when the API hands back a
        cursor it already gave (a pagination loop), and :class:`ResponseFormatError` after
        ``MAX_EMPTY_PAGES`` (10) pages in a row without an item, each with a fresh cursor (the
        pages before were yielded; what a listing gives out is never lost).
        """
        cursor = self._cursor
        seen: set[str] = set()
        empty = 0
        while True:
            page = await self._fetch(cursor)
            self.skipped += page.skipped
            yield page
            cursor = page.next_cursor
            if cursor is None:
                return
            empty = 0 if page.items or page.skipped else empty + 1
            if empty >= MAX_EMPTY_PAGES:
                raise ResponseFormatError(
                    f"the API answered {empty} empty pages in a row, each with a new cursor; "
                    "stopped instead of polling it without end",
                    method=self._method,
                    path=self._path,
                )
            if cursor in seen:
                raise TransportError(
                    f"the API repeated the page cursor {self._redact.excerpt(cursor, 100)!r}; "
                    "stopped instead of fetching the same pages forever",
                    method=self._method,
                    path=self._path,
                )
            seen.add(cursor)
