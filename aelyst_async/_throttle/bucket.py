"""The one place that uses aiolimiter: a leaky bucket whose size and rate can change.

aiolimiter's :class:`~aiolimiter.AsyncLimiter` cannot change its rate at runtime (its rate is
computed once, mjpieters/aiolimiter#98), shrinking its capacity below a waiter's amount strands
that waiter, and it binds to the first event loop it runs on. :class:`Bucket` therefore

- creates its limiter lazily, inside the running loop, on first use;
- *replaces* the limiter on :meth:`Bucket.refit` instead of mutating it, carrying over how much
  of the new capacity is already used by taking it from the fresh limiter;
- serves waiters first come, first served through an :class:`asyncio.Lock` (itself FIFO), so at
  most one task (the head of the line) ever waits inside a limiter: a refit can never strand a
  queue of waiters in an old limiter, and the head simply moves to the new one;
- takes nothing for a waiter cancelled while it waits (both the lock and aiolimiter are
  cancellation-safe: the level only rises once a wait has succeeded);
- lets a task that finds no one in line, ``ready`` true and a token free take it at once,
  without the lock: nothing it awaits then can suspend, so neither order nor cancellation
  is at stake.

Only aiolimiter's public ``AsyncLimiter(max_rate, time_period)``, ``has_capacity()`` and
``acquire(amount)`` are used (aiolimiter 1.2 and 1.3, which wake waiters on exact timers).

>>> bucket = Bucket(5, 1.0)           # 5 at once, then one every 0.2 s
>>> await bucket.acquire()
>>> bucket.refit(10, 1.0, used=3)     # the server says: limit 10, 7 remaining
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable

from aiolimiter import AsyncLimiter

Ready = Callable[[float], float]
"""Given the loop time, seconds to wait before the bucket may be used (0 or less: now)."""


def _always(_now: float) -> float:
    return 0.0


class Bucket:
    """``capacity`` tokens refilled continuously over ``period`` seconds, FIFO and cancel-safe.

    ``capacity=None`` makes an unlimited bucket: :meth:`acquire` then only keeps the FIFO order
    and the ``ready`` condition.
    """

    __slots__ = ("_capacity", "_limiter", "_lock", "_period", "_queued", "_used")

    def __init__(self, capacity: float | None, period: float) -> None:
        self._check(capacity, period)
        self._capacity = capacity
        self._period = period
        self._used = 0.0
        self._limiter: AsyncLimiter | None = None
        self._lock: asyncio.Lock | None = None
        self._queued = 0  # tasks holding or waiting for the lock

    @staticmethod
    def _check(capacity: float | None, period: float) -> None:
        if capacity is not None and not (math.isfinite(capacity) and capacity >= 1):
            raise ValueError(f"bucket capacity must be a finite number >= 1, not {capacity!r}")
        if not (math.isfinite(period) and period > 0):
            raise ValueError(f"bucket period must be a finite number > 0, not {period!r}")

    @property
    def waiting(self) -> bool:
        """True while a task holds or waits for this bucket's turn."""
        return self._queued > 0

    def refit(self, capacity: float | None, period: float, *, used: float = 0.0) -> None:
        """Change the size and rate; ``used`` tokens of the new capacity count as already taken.

        They are taken from the new limiter when it is first used. Takes effect for the next
        token: a task waiting in the old limiter gets its token from the new one once the old
        one lets it go (at most one old refill interval later).
        """
        self._check(capacity, period)
        self._capacity, self._period = capacity, period
        self._used = 0.0 if capacity is None else min(max(used, 0.0), capacity)
        self._limiter = None

    async def acquire(self, ready: Ready = _always) -> bool:
        """Wait for this task's turn, for ``ready`` to allow it, and for a token; take it.

        Returns True when the task had to wait (False: it never suspended). ``ready`` is checked
        in turn order before and after the token is taken (a token taken while ``ready`` turned
        false is dropped, which only ever errs on the slow side).
        """
        loop = asyncio.get_running_loop()
        if not self._queued and ready(loop.time()) <= 0:
            if self._capacity is None:
                return False
            limiter = self._limiter or await self._fresh_limiter()
            if limiter.has_capacity():
                await limiter.acquire()  # has room: returns without suspending
                return False
        if self._lock is None:
            self._lock = asyncio.Lock()
        waited = self._queued > 0  # behind another task: its turn comes after a suspension
        self._queued += 1
        try:
            async with self._lock:
                return await self._acquire_in_turn(ready, loop, waited)
        finally:
            self._queued -= 1

    async def _acquire_in_turn(
        self, ready: Ready, loop: asyncio.AbstractEventLoop, waited: bool
    ) -> bool:
        while True:
            delay = ready(loop.time())
            if delay > 0:
                waited = True
                await asyncio.sleep(delay)
                continue
            if self._capacity is not None:
                limiter = self._limiter or await self._fresh_limiter()
                if not limiter.has_capacity():
                    waited = True
                await limiter.acquire()
                if limiter is not self._limiter:
                    continue  # refitted while waiting: take from the new limiter
            if ready(loop.time()) <= 0:
                return waited

    async def _fresh_limiter(self) -> AsyncLimiter:
        assert self._capacity is not None
        limiter = self._limiter = AsyncLimiter(self._capacity, self._period)
        if self._used > 0:
            await limiter.acquire(self._used)  # a fresh limiter has room: returns at once
        return limiter
