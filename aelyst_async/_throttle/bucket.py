"""A leaky bucket whose size and rate can change, by priority and cancel-safe: :class:`Bucket`.

The bucket holds a *level* that drains continuously at ``capacity / period`` per second; a token
may be taken while ``level + 1 <= capacity`` (aiolimiter's ``AsyncLimiter`` semantics: a burst of
``capacity``, then one token every ``period / capacity`` seconds). The level is plain arithmetic on
the loop's clock, read when a token is asked for, so

- taking a token when there is room costs a subtraction and a comparison, and never suspends;
- :meth:`Bucket.refit` changes size and rate at once, for the next token (aiolimiter's rate is
  fixed at creation, mjpieters/aiolimiter#98, which is why this is not an ``AsyncLimiter``);
- waiters are served by priority, first come first served within one, through a
  :class:`~aelyst_async._throttle.turn.Turn`: the head of the line sleeps until the level has
  room and takes its token without suspending in between, so a cancelled waiter takes nothing;
  a head that wakes to find a higher priority waiting cedes the turn to it (and the token due:
  :meth:`~aelyst_async._throttle.turn.Turn.cede`), so a high request waits one slot at most;
- a task that finds no one in line, ``ready`` true and a token free takes it at once, without the
  lock: nothing it does then can suspend, so neither order nor cancellation is at stake;
- a timer that wakes late loses no rate: while tasks wait in line the level may drain up to
  ``slack`` tokens below empty, so the tokens due meanwhile are taken at once, one waiter after
  the other without a timer each (aiolimiter keeps a whole period's burst for that; this credits
  only the lateness of a line that was waiting, so no task is ever sent earlier than a punctual
  timer would have sent it);
- nothing is bound to an event loop: a bucket made outside any loop works in the one using it.

>>> bucket = Bucket(5, 1.0)           # 5 at once, then one every 0.2 s
>>> await bucket.acquire()
>>> bucket.refit(10, 1.0, used=3)     # the server says: limit 10, 7 remaining
"""

from __future__ import annotations

import math
from collections.abc import Callable

from .._clock import LOOP_CLOCK, Clock
from .turn import Priority, Turn

Ready = Callable[[float], float]
"""Given the loop time, seconds to wait before the bucket may be used (0 or less: now)."""


PUNCTUAL = 1e-6
"""Seconds: a timer this late counts as on time (no credit for the clock's own rounding)."""


def _always(_now: float) -> float:
    return 0.0


class Bucket:
    """``capacity`` tokens refilled continuously over ``period`` seconds, in turn, cancel-safe.

    ``capacity=None`` makes an unlimited bucket: :meth:`acquire` then only keeps the order
    and the ``ready`` condition.
    """

    __slots__ = ("_capacity", "_drain", "_level", "_slack", "_stamp", "_turn")

    def __init__(self, capacity: float | None, period: float, *, slack: float = 0.0) -> None:
        self._turn = Turn()
        self.refit(capacity, period, slack=slack)

    @staticmethod
    def _check(capacity: float | None, period: float) -> None:
        if capacity is not None and not (math.isfinite(capacity) and capacity >= 1):
            raise ValueError(f"bucket capacity must be a finite number >= 1, not {capacity!r}")
        if not (math.isfinite(period) and period > 0):
            raise ValueError(f"bucket period must be a finite number > 0, not {period!r}")

    @property
    def waiting(self) -> bool:
        """True while a task holds or waits for this bucket's turn."""
        return self._turn.busy

    def wait_for(self, priority: Priority, now: float) -> float:
        """Seconds a request of ``priority`` arriving now would wait for its token, at least
        (the waiters ahead of it each take one; ``ready`` conditions not included)."""
        if self._capacity is None:
            return 0.0
        level = self._level
        if self._stamp is not None and now > self._stamp:
            level = max(0.0, level - (now - self._stamp) * self._drain)
        turn = self._turn
        ahead = turn.ahead(priority) - turn.cedes_to(priority)  # a lower holder lets it pass
        tokens = ahead + 1 + level - self._capacity
        return max(0.0, tokens / self._drain)

    def refit(
        self, capacity: float | None, period: float, *, used: float = 0.0, slack: float = 0.0
    ) -> None:
        """Change the size and rate; ``used`` tokens of the new capacity count as already taken
        (as of the bucket's next use); ``slack``: the tokens a waiting line's late timers may be
        credited (see the module doc). Takes effect for the next token: a task waiting for one
        looks again when its current wait ends (at most one old refill interval later)."""
        self._check(capacity, period)
        if not (math.isfinite(slack) and slack >= 0):
            raise ValueError(f"bucket slack must be a finite number >= 0, not {slack!r}")
        self._slack = slack
        self._capacity = capacity
        self._drain = 0.0 if capacity is None else capacity / period  # level drained per second
        self._level = 0.0 if capacity is None else min(max(used, 0.0), capacity)
        self._stamp: float | None = None  # loop time the level was last brought up to date

    def _credit(self, now: float, due: float | None) -> float:
        """The floor of the level for a task in line: the tokens due while its timer woke
        late (``due``: when its token was due, None if it did not sleep for one), within
        ``slack``; else what earlier waiters were credited and did not use."""
        if due is None:
            return min(0.0, self._level)
        late = now - due - PUNCTUAL
        return -min(self._slack, late * self._drain) if late > 0 else 0.0

    def _room_in(self, now: float, floor: float = 0.0) -> float:
        """Seconds until a token is free (0 or less: now); brings the level up to ``now``, not
        below ``floor``."""
        capacity = self._capacity
        if capacity is None:
            return 0.0
        stamp = self._stamp
        if stamp is not None and now > stamp:
            self._level = max(floor, self._level - (now - stamp) * self._drain)
        self._stamp = now
        excess = self._level + 1.0 - capacity
        return excess / self._drain if excess > 0.0 else 0.0

    async def acquire(self, ready: Ready = _always) -> bool:
        """Wait for this task's turn, for ``ready`` to allow it, and for a token; take it.

        Returns True when the task had to wait (False: it never suspended). ``ready`` and the
        token are checked together, in turn order, and the token taken without suspending.
        """
        return (await self.take(ready))[0]

    async def take(
        self,
        ready: Ready = _always,
        *,
        priority: Priority = "normal",
        deadline: float | None = None,
        clock: Clock = LOOP_CLOCK,
    ) -> tuple[bool, bool]:
        """:meth:`acquire`, telling more: ``(waited, held)``, ``held`` True when the rate itself
        held this task back (it slept for a token), not only its turn behind others or ``ready``.
        ``priority``: its place in line (see :class:`~aelyst_async._throttle.turn.Turn`);
        ``deadline`` (``clock`` time): TimeoutError, nothing taken, when its turn has not come by
        then or, at once, when a wait for ``ready`` or a token would pass it. ``clock``: the
        time ``ready`` and the level are read on, and the sleeps.
        """
        turn = self._turn
        if not turn.busy:
            now = clock.time()
            if ready(now) <= 0 and self._room_in(now) <= 0:
                self._level += 1.0
                return False, False
        waited = await turn.take(priority, deadline, clock)  # behind another: after a suspension
        held, holding = False, True
        due: float | None = None  # when the token this task last slept for was due
        try:
            while True:
                now = clock.time()
                delay = ready(now)
                if delay <= 0:  # the level is not looked at before: a refit's ``used``
                    # counts from the first use after it
                    delay = self._room_in(now, self._credit(now, due))
                    if delay <= 0:
                        self._level += 1.0
                        return waited, held
                    held = True
                    due = now + delay
                else:
                    due = None
                waited = True
                if deadline is not None and now + delay > deadline:
                    raise TimeoutError
                await clock.sleep(delay)
                if turn.outranked():  # a higher priority came meanwhile: it goes first
                    now = clock.time()
                    self._room_in(now, self._credit(now, due))  # what was due stays credited
                    due, holding = None, False
                    await turn.cede(priority, deadline, clock)
                    holding = True
        finally:
            if holding:
                turn.give()

    def take_now(self, now: float) -> bool:
        """Take a token at once when no task holds or waits for the turn and one is free at
        ``now`` (the lock-free case of :meth:`take`, without ``ready``); False, nothing taken,
        otherwise."""
        if self._turn.busy or self._room_in(now) > 0:
            return False
        self._level += 1.0
        return True
