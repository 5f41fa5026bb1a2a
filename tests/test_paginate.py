"""The paginator stops on servers that would keep it polling: repeated cursors, empty pages."""

from __future__ import annotations

import itertools

import pytest

from aelyst_async import ResponseFormatError
from aelyst_async._paginate import MAX_EMPTY_PAGES, FetchPage, Paginator
from aelyst_async._sansio.operations import Page


def server(pages: list[Page[int]]) -> tuple[list[str | None], FetchPage[int]]:
    """A fetch answering ``pages``, then empty pages with a fresh cursor (1,000 of them, so a
    paginator without the bound fails its test instead of hanging)."""
    asked: list[str | None] = []
    fresh = (f"c{i}" for i in itertools.count())

    async def fetch(cursor: str | None) -> Page[int]:
        asked.append(cursor)
        if len(asked) <= len(pages):
            return pages[len(asked) - 1]
        return Page((), next(fresh) if len(asked) < len(pages) + 1000 else None)

    return asked, fetch


def gap(name: str, count: int = MAX_EMPTY_PAGES - 1) -> list[Page[int]]:
    return [Page((), f"{name}{i}") for i in range(count)]


async def drain(paginator: Paginator[int], into: list[int]) -> None:
    async for item in paginator:
        into.append(item)


async def test_empty_pages_with_fresh_cursors_stop_after_the_bound() -> None:
    asked, fetch = server([Page((1, 2), "a")])
    items: list[int] = []
    paginator = Paginator(fetch, method="GET", path="/contact/list")
    with pytest.raises(ResponseFormatError, match=f"{MAX_EMPTY_PAGES} empty pages in a row") as e:
        await drain(paginator, items)
    assert items == [1, 2]  # what came before is kept
    assert len(asked) == 1 + MAX_EMPTY_PAGES
    assert (e.value.method, e.value.path) == ("GET", "/contact/list")


async def test_empty_pages_between_full_ones_are_followed() -> None:
    pages = [Page((1,), "a"), *gap("e"), Page((2,), "b"), *gap("f"), Page((3,), None)]
    asked, fetch = server(pages)
    items: list[int] = []
    await drain(Paginator(fetch), items)
    assert items == [1, 2, 3]
    assert len(asked) == len(pages)


async def test_a_page_of_only_skipped_items_is_not_empty() -> None:
    skipped = [Page[int]((), f"s{i}", skipped=1) for i in range(2 * MAX_EMPTY_PAGES)]
    _, fetch = server([*skipped, Page((), None)])
    paginator = Paginator(fetch)
    items: list[int] = []
    await drain(paginator, items)
    assert items == []
    assert paginator.skipped == 2 * MAX_EMPTY_PAGES
