"""The virtual clock a test's sandbox and client share: :class:`VirtualClock`."""

from __future__ import annotations

import asyncio

from .._clock import Clock
from ..sandbox import FakeClock


class VirtualClock(FakeClock, Clock):
    """A clock that stands still until the client waits on it (or :meth:`advance` moves it).

    The client's waits (throttle, retry backoff, ``Retry-After``, 449 delays, bulk settle
    delays) return at once, moving the clock forward by their length; a :class:`Sandbox` on the
    same clock sees that time pass (its rate-limit windows and ``processing`` window). Waits in
    concurrent tasks add up, so time never runs slower than it would for real: no wait ends
    early. ``now`` is the time in seconds (it starts at ``start``).

    >>> clock = VirtualClock()
    >>> await clock.sleep(1.5)       # returns at once
    >>> clock.now
    1.5
    """

    def time(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.advance(seconds)
        await asyncio.sleep(0)  # a wait still lets the other tasks run
