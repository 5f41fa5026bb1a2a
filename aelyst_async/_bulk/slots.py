"""Request slots of a bulk run: at most ``limit`` sends in flight, waiters served first come,
first served.

A freed slot is handed to the longest waiter directly (one future resolved), so a release costs
the same with 10 or 2,000 items waiting; an ``asyncio.Condition`` wakes waiters that then
re-check and queue again.

>>> slots = Slots(lambda: 32)
>>> await slots.acquire()
>>> slots.release()
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable


class Slots:
    """At most ``limit()`` holders at once; ``limit`` is read on every acquire and release, so
    a limit that grows lets more in at the next release and one that shrinks admits no one
    until enough have left."""

    def __init__(self, limit: Callable[[], int]) -> None:
        self._limit = limit
        self._waiters: deque[asyncio.Future[None]] = deque()
        self.in_flight = 0

    async def acquire(self) -> None:
        """Wait for a slot (in arrival order) and hold it until :meth:`release`."""
        if not self._waiters and self.in_flight < self._limit():
            self.in_flight += 1
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():  # granted just before the cancel
                self.release()
            raise

    def release(self) -> None:
        """Give the slot back, to the first waiter if the limit lets it in."""
        self.in_flight -= 1
        self._grant()

    def _grant(self) -> None:
        waiters = self._waiters
        if not waiters:
            return
        limit = self._limit()
        while waiters and self.in_flight < limit:
            waiter = waiters.popleft()
            if not waiter.done():  # a waiter cancelled while queued is skipped
                self.in_flight += 1
                waiter.set_result(None)
