"""Where the client reads the time and waits: :class:`Clock`.

The throttle, the retries and bulk's settle delays read ``clock.time()`` and wait with
``await clock.sleep(seconds)``. The default is the event loop's clock; a test transport may bring
a virtual one (``aelyst_async.testing``), so that no wait of the client takes real time.

>>> LOOP_CLOCK.time()          # the running loop's time, in seconds
>>> await LOOP_CLOCK.sleep(0.2)
"""

from __future__ import annotations

import asyncio


class Clock:
    """The running event loop's clock: ``time()`` is ``loop.time()`` (seconds, monotonic) and
    ``sleep(seconds)`` is ``asyncio.sleep``. Subclasses replace both together."""

    def time(self) -> float:
        """Seconds on this clock now (only differences mean anything)."""
        return asyncio.get_running_loop().time()

    async def sleep(self, seconds: float) -> None:
        """Return once ``seconds`` have passed on this clock."""
        await asyncio.sleep(seconds)


LOOP_CLOCK = Clock()
"""The default clock: the running event loop's."""
