"""A turn in line with priorities, cancel-safe: :class:`Turn` (the gates' waiting order).

Waiters of a higher priority are served before those of a lower one, first come first served
within a priority. So that lower work is never starved, while higher work keeps waiting, every
``SHARE``-th turn goes to the longest-waiting request of a lower priority: low work keeps at
least one turn in ``SHARE`` of a saturated gate.

A holder that waits for something everyone waits for (a bucket's next token, a pause) may
:meth:`Turn.cede` the turn to a higher priority that arrived meanwhile: it goes back to the
front of its own priority's line, so a high request behind a saturating low one waits for the
next token, not for the one the low one already waits for and then its own. A turn given as
the lower priorities' share is never ceded (that would starve them).

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

_Waiter = tuple[int, asyncio.Future[None], Priority]  # (arrival number, future, priority)


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

    __slots__ = ("_arrivals", "_held", "_holder", "_holding", "_passed", "_queues", "_share")

    def __init__(self) -> None:
        self._held = False
        self._queues: dict[Priority, deque[_Waiter]] | None = None
        self._arrivals = itertools.count()
        self._passed = 0  # turns given to a higher priority while a lower one waited
        self._holder = -1  # the holder's arrival number (-1: it found the turn free)
        self._holding: Priority = "normal"  # the holder's priority
        self._share = False  # the holder's turn is a lower priority's share

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

    def outranked(self) -> bool:
        """True when the holder may :meth:`cede` the turn: a higher priority waits, and the
        holder's turn is not the lower priorities' share."""
        queues = self._queues
        if queues is None or self._share:
            return False
        return any(queues[p] for p in PRIORITIES[: PRIORITIES.index(self._holding)])

    def cedes_to(self, priority: Priority) -> bool:
        """True when a holder that cedes would cede to a new waiter of ``priority``."""
        if not self._held or self._share:
            return False
        return PRIORITIES.index(priority) < PRIORITIES.index(self._holding)

    async def take(
        self,
        priority: Priority = "normal",
        deadline: float | None = None,
        clock: Clock = LOOP_CLOCK,
    ) -> bool:
        """Wait for the turn; True when that meant suspending. Raises TimeoutError, without
        the turn, if it has not come by ``deadline`` (``clock`` time; None: no deadline)."""
        if not self.busy:
            self._held = True  # (``give`` reset the holder's arrival and share when it freed)
            self._holding = priority
            return False
        await self._wait(priority, deadline, clock, next(self._arrivals), first=False)
        return True

    async def cede(
        self, priority: Priority, deadline: float | None = None, clock: Clock = LOOP_CLOCK
    ) -> None:
        """Hand the held turn on (see the module docstring) and wait for it again, first in
        line of ``priority`` (the holder's); TimeoutError (without the turn) as :meth:`take`."""
        await self._wait(priority, deadline, clock, self._holder, first=True)

    async def _wait(
        self, priority: Priority, deadline: float | None, clock: Clock, arrival: int, first: bool
    ) -> None:
        if self._queues is None:
            self._queues = {p: deque() for p in PRIORITIES}
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        waiter = (arrival, future, priority)
        queue = self._queues[priority]
        if first:
            queue.appendleft(waiter)
            self.give()
        else:
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

    def give(self) -> None:
        """Hand the turn to the next waiter (see the module docstring), or free it."""
        queues = self._queues
        while queues is not None:
            waiting = [q for q in (queues[p] for p in PRIORITIES) if q]
            if not waiting:
                break
            queue, share = waiting[0], False
            if len(waiting) == 1:
                self._passed = 0
            else:
                self._passed += 1
                if self._passed >= SHARE:  # the oldest of the lower priorities, this time
                    queue = min(waiting[1:], key=lambda q: q[0][0])
                    self._passed, share = 0, True
            arrival, future, priority = queue.popleft()
            if not future.done():
                future.set_result(None)  # it holds the turn now
                self._holder, self._holding, self._share = arrival, priority, share
                return
        self._held, self._holder, self._share = False, -1, False
