"""The virtual clock a test's sandbox and client share: :class:`VirtualClock`."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable

from .._clock import Clock
from ..sandbox import FakeClock


class VirtualClock(FakeClock, Clock):
    """A clock that stands still until the client waits on it (or :meth:`advance` moves it).

    The client's waits (throttle, retry backoff, ``Retry-After``, 449 delays, bulk settle
    delays) return at once, moving the clock forward by their length; a :class:`Sandbox` on the
    same clock sees that time pass (its rate-limit windows and ``processing`` window). Waits in
    concurrent tasks add up, so time never runs slower than it would for real: no wait ends
    early. ``now`` is the time in seconds (it starts at ``start``).

    Once :meth:`follow_real_time` is called (``running_sandbox`` calls it on the first request
    from a client outside the kit, which waits in real time), the clock also moves with real
    time (``real``, seconds, default ``time.monotonic``): from then on it never falls behind
    it, and every jump of :meth:`advance` or :meth:`sleep` still adds to it.

    >>> clock = VirtualClock()
    >>> await clock.sleep(1.5)       # returns at once
    >>> clock.now
    1.5
    """

    def __init__(self, start: float = 0.0, *, real: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()  # the sandbox's thread and the test's both move it
        self._real = real
        self._since: float | None = None  # the real time last added, once following it
        super().__init__(start)

    @property
    def now(self) -> float:
        """Seconds on this clock now."""
        with self._lock:
            return self._fold()

    @now.setter
    def now(self, value: float) -> None:
        with self._lock:
            self._now = value

    @property
    def follows_real_time(self) -> bool:
        """Whether the clock also moves with real time (see :meth:`follow_real_time`)."""
        return self._since is not None

    def follow_real_time(self) -> None:
        """From now on, move with real time too (once on, it stays on; idempotent)."""
        with self._lock:
            if self._since is not None:
                return
            self._since = self._real()
        for listener in list(self.listeners):
            listener()  # what waits on the clock may now have a real-time deadline

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("time only moves forward")
        with self._lock:
            self._now = self._fold() + seconds
        for listener in list(self.listeners):
            listener()

    def time(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.advance(seconds)
        await asyncio.sleep(0)  # a wait still lets the other tasks run

    def _fold(self) -> float:
        if self._since is not None:
            real = self._real()
            self._now += max(0.0, real - self._since)
            self._since = max(self._since, real)
        return self._now
