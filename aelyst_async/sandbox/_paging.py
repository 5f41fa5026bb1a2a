"""Cursor pagination, as every list of the API answers it.

``?limit=`` (1-100, default 10) items whose key is above ``?cursorId=`` (default: from the
start), as ``{"items": [...], "pagination": {"next": url|null, "previous": url|null}}``; the
cursor of ``next`` is the key of the page's last item, so items added or deleted meanwhile never
make a page repeat or skip one that stayed.

>>> page_links("http://h/v1/space/user", 2, [1, 2, 3, 5], 0)
(0, 'http://h/v1/space/user?limit=2&cursorId=2', None)
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from typing import Any

from ._http import invalid

DEFAULT_LIMIT, MAX_LIMIT = 10, 100


def page_params(query: Mapping[str, str]) -> tuple[int, int]:
    """``(limit, cursor)`` from the query; a 400 when either is not a number in range."""
    limit, cursor = query.get("limit", str(DEFAULT_LIMIT)), query.get("cursorId", "0")
    if not (limit.isascii() and limit.isdigit() and 1 <= int(limit) <= MAX_LIMIT):
        raise invalid(f"limit: an integer 1-{MAX_LIMIT} required, not {limit!r}")
    if not (cursor.isascii() and cursor.isdigit() and len(cursor) <= 19):
        raise invalid(f"cursorId: a non-negative integer required, not {cursor!r}")
    return int(limit), int(cursor)


def page_link(url: str, limit: int, cursor: int | None) -> str:
    """The link to the page of ``limit`` items after key ``cursor`` (None: the first)."""
    return f"{url}?limit={limit}" + (f"&cursorId={cursor}" if cursor is not None else "")


def page_links(
    url: str, limit: int, keys: Sequence[int], cursor: int
) -> tuple[int, str | None, str | None]:
    """``(start, next, previous)``: where the page starts in the sorted ``keys`` and its links."""
    start = bisect.bisect_right(keys, cursor)
    end = start + limit
    next_url = page_link(url, limit, keys[end - 1]) if end < len(keys) else None
    previous = None
    if start > 0:
        back = max(0, start - limit)
        previous = page_link(url, limit, keys[back - 1] if back > 0 else None)
    return start, next_url, previous


def paginate(
    url: str, query: Mapping[str, str], keyed: Sequence[tuple[int, Any]]
) -> dict[str, Any]:
    """The page of ``keyed`` (``(key, item)`` sorted by key) that ``query`` asks for."""
    limit, cursor = page_params(query)
    start, next_url, previous = page_links(url, limit, [k for k, _ in keyed], cursor)
    return {
        "items": [item for _, item in keyed[start : start + limit]],
        # the official TypeScript SDK types both as strings: "" where there is no page
        "pagination": {"next": next_url or "", "previous": previous or ""},
    }
