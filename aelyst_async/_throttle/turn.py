"""A turn in line with priorities, cancel-safe: :class:`Turn` (the gates' waiting order).

Waiters of a higher priority are served before those of a lower one, first come first served
within a priority. So that lower work is never starved, while higher work keeps waiting, every
``SHARE``-th turn goes to the longest-waiting request of a lower priority: low work keeps at
least one turn in ``SHARE`` of a saturated gate.

>>> turn = Turn()
>>> await turn.take("high")    # at once when free
>>> turn.give()                # to the next in line
"""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from typing import Literal

from .._clock import LOOP_CLOCK, Clock

Priority = Literal["high", "normal", "low"]
PRIORITIES: tuple[Priority, ...] = ("high", "normal", "low")
SHARE = 10
"""While higher priorities wait, one turn in this many goes to the oldest lower one."""

_Waiter = tuple[int, asyncio.Future[None]]  # (arrival number, future)


def _expire(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_exception(TimeoutError())


def check_priority(priority: object) -> Priority:
    """``priority`` if it is one of :data:`PRIORITIES`, else a ValueError naming it."""
    if priority not in PRIORITIES:
        raise ValueError(f"priority must be 'high', 'normal' or 'low', not {priority!r}")
    return priority


class Turn:
    """One turn at a time, by priority, FIFO within one; taken at once when free."""

    __slots__ = ("_arrivals", "_held", "_passed", "_queues")

    def __init__(self) -> None:
        self._held = False
        self._queues: dict[Priority, deque[_Waiter]] | None = None
        self._arrivals = itertools.count()
        self._passed = 0  # turns given to a higher priority while a lower one waited

    @property
    def busy(self) -> bool:
        """True while a task holds or waits for the turn."""
        return self._held or self.waiting > 0

    @property
    def waiting(self) -> int:
        """Tasks waiting for the turn (not the one holding it)."""
        queues = self._queues
        return 0 if queues is None else sum(len(q) for q in queues.values())

    def ahead(self, priority: Priority) -> int:
        """Waiters a new one of ``priority`` would have ahead of it (the holder included)."""
        queues = self._queues
        rank = PRIORITIES.index(priority)
        waiting = 0 if queues is None else sum(len(queues[p]) for p in PRIORITIES[: rank + 1])
        return waiting + self._held

    async def take(
        self,
        priority: Priority = "normal",
        deadline: float | None = None,
        clock: Clock = LOOP_CLOCK,
    ) -> bool:
        """Wait for the turn; True when that meant suspending. Raises TimeoutError, without
        the turn, if it has not come by ``deadline`` (``clock`` time; None: no deadline)."""
        if not self.busy:
            self._held = True
            return False
        if self._queues is None:
            self._queues = {p: deque() for p in PRIORITIES}
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        waiter = (next(self._arrivals), future)
        queue = self._queues[priority]
        queue.append(waiter)
        timer = (
            None
            if deadline is None
            else loop.call_later(max(0.0, deadline - clock.time()), _expire, future)
        )
        try:
            await future
        except BaseException:
            if future.done() and not future.cancelled() and future.exception() is None:
                self.give()  # handed the turn just as it was cancelled: pass it on
            elif waiter in queue:  # (not when ``give`` already passed over it)
                queue.remove(waiter)
            raise
        finally:
            if timer is not None:
                timer.cancel()
        return True

    def give(self) -> None:
        """Hand the turn to the next waiter (see the module docstring), or free it."""
        queues = self._queues
        while queues is not None:
            waiting = [q for q in (queues[p] for p in PRIORITIES) if q]
            if not waiting:
                break
            queue = waiting[0]
            if len(waiting) == 1:
                self._passed = 0
            else:
                self._passed += 1
                if self._passed >= SHARE:  # the oldest of the lower priorities, this time
                    queue = min(waiting[1:], key=lambda q: q[0][0])
                    self._passed = 0
            _, future = queue.popleft()
            if not future.done():
                future.set_result(None)  # it holds the turn now
                return
        self._held = False
