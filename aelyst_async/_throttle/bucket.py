"""A leaky bucket whose size and rate can change, FIFO and cancel-safe: :class:`Bucket`.

The bucket holds a *level* that drains continuously at ``capacity / period`` per second; a token
may be taken while ``level + 1 <= capacity`` (aiolimiter's ``AsyncLimiter`` semantics: a burst of
``capacity``, then one token every ``period / capacity`` seconds). The level is plain arithmetic on
the loop's clock, read when a token is asked for, so

- taking a token when there is room costs a subtraction and a comparison, and never suspends;
- :meth:`Bucket.refit` changes size and rate at once, for the next token (aiolimiter's rate is
  fixed at creation, mjpieters/aiolimiter#98, which is why this is not an ``AsyncLimiter``);
- waiters are served first come, first served through an :class:`asyncio.Lock` (itself FIFO):
  the head of the line sleeps until the level has room and takes its token without suspending
  in between, so a cancelled waiter takes nothing;
- a task that finds no one in line, ``ready`` true and a token free takes it at once, without the
  lock: nothing it does then can suspend, so neither order nor cancellation is at stake;
- nothing is bound to an event loop: a bucket made outside any loop works in the one using it.

>>> bucket = Bucket(5, 1.0)           # 5 at once, then one every 0.2 s
>>> await bucket.acquire()
>>> bucket.refit(10, 1.0, used=3)     # the server says: limit 10, 7 remaining
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable

from .._clock import LOOP_CLOCK, Clock

Ready = Callable[[float], float]
"""Given the loop time, seconds to wait before the bucket may be used (0 or less: now)."""


def _always(_now: float) -> float:
    return 0.0


class Bucket:
    """``capacity`` tokens refilled continuously over ``period`` seconds, FIFO and cancel-safe.

    ``capacity=None`` makes an unlimited bucket: :meth:`acquire` then only keeps the FIFO order
    and the ``ready`` condition.
    """

    __slots__ = ("_capacity", "_drain", "_level", "_lock", "_queued", "_stamp")

    def __init__(self, capacity: float | None, period: float) -> None:
        self._lock: asyncio.Lock | None = None
        self._queued = 0  # tasks holding or waiting for the lock
        self.refit(capacity, period)

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
        """Change the size and rate; ``used`` tokens of the new capacity count as already taken
        (as of the bucket's next use). Takes effect for the next token: a task waiting for one
        looks again when its current wait ends (at most one old refill interval later)."""
        self._check(capacity, period)
        self._capacity = capacity
        self._drain = 0.0 if capacity is None else capacity / period  # level drained per second
        self._level = 0.0 if capacity is None else min(max(used, 0.0), capacity)
        self._stamp: float | None = None  # loop time the level was last brought up to date

    def _room_in(self, now: float) -> float:
        """Seconds until a token is free (0 or less: now); brings the level up to ``now``."""
        capacity = self._capacity
        if capacity is None:
            return 0.0
        stamp = self._stamp
        if stamp is not None and now > stamp:
            self._level = max(0.0, self._level - (now - stamp) * self._drain)
        self._stamp = now
        excess = self._level + 1.0 - capacity
        return excess / self._drain if excess > 0.0 else 0.0

    async def acquire(self, ready: Ready = _always, clock: Clock = LOOP_CLOCK) -> bool:
        """Wait for this task's turn, for ``ready`` to allow it, and for a token; take it.

        Returns True when the task had to wait (False: it never suspended). ``ready`` and the
        token are checked together, in turn order, and the token taken without suspending.
        ``clock``: the time ``ready`` and the level are read on, and the sleeps.
        """
        if not self._queued:
            now = clock.time()
            if ready(now) <= 0 and self._room_in(now) <= 0:
                self._level += 1.0
                return False
        if self._lock is None:
            self._lock = asyncio.Lock()
        waited = self._queued > 0  # behind another task: its turn comes after a suspension
        self._queued += 1
        try:
            async with self._lock:
                while True:
                    now = clock.time()
                    delay = ready(now)
                    if delay <= 0:  # the level is not looked at before: a refit's ``used``
                        delay = self._room_in(now)  # counts from the first use after it
                        if delay <= 0:
                            self._level += 1.0
                            return waited
                    waited = True
                    await clock.sleep(delay)
        finally:
            self._queued -= 1
