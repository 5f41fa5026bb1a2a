"""The input of a bulk run, read one item at a time: a sync iterable in place, an async one by
one pull task at a time; an input that raises ends the reading and is kept as ``error``."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterable, Callable
from typing import Any

from .items import RunItems

log = logging.getLogger("aelyst_async.bulk")


def loop_time() -> float:
    """The running event loop's clock."""
    return asyncio.get_running_loop().time()


PENDING = object()
"""What :meth:`Source.read` returns while an async input's next item is on its way."""


def _loop_time() -> float:
    return asyncio.get_running_loop().time()


class Source:
    """The items, numbered as read: a sync iterable is read in place, an async one by one
    pull task at a time (whose end the coordinator awaits like a send's)."""

    def __init__(self, items: RunItems, on_done: Callable[[asyncio.Future[Any]], None]) -> None:
        self.index = 0
        self.exhausted = False
        self.error: Exception | None = None
        self.pull: asyncio.Future[Any] | None = None
        self._on_done = on_done
        self._items = items
        self._sync: Any = None
        self._async: Any = None

    def read(self) -> object:
        """The next item, :data:`PENDING` (an async pull started), or :data:`PENDING` once
        exhausted (then ``exhausted`` is set)."""
        try:
            if self._sync is None and self._async is None:
                if isinstance(self._items, AsyncIterable):
                    self._async = aiter(self._items)
                else:
                    self._sync = iter(self._items)
            if self._async is not None:
                if self.pull is None:
                    self.pull = asyncio.ensure_future(anext(self._async))
                    self.pull.add_done_callback(self._on_done)
                return PENDING
            return next(self._sync)
        except StopIteration:
            self.exhausted = True
        except Exception as exc:
            self._failed(exc)
        return PENDING

    def pulled(self) -> object:
        """The item the finished pull task brought, or :data:`PENDING` at the input's end."""
        pull, self.pull = self.pull, None
        assert pull is not None
        try:
            return pull.result()
        except StopAsyncIteration:
            self.exhausted = True
        except Exception as exc:
            self._failed(exc)
        return PENDING

    def _failed(self, exc: Exception) -> None:
        log.debug("bulk: the input raised after %d items", self.index, exc_info=True)
        self.exhausted = True
        self.error = exc

    def cancel(self) -> None:
        if self.pull is not None:
            self.pull.cancel()
