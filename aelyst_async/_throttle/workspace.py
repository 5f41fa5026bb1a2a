"""The workspace gate: every request of the client, in turn (by priority), after the pause.

The gate's rate is the configured ``workspace`` rate, or the one a
:class:`~aelyst_async._throttle.learning.WorkspaceLearner` finds (its warm-up allowance until the
first workspace 429, with a burst of half a period's worth), or none (unlimited) when neither
applies. Otherwise the bucket holds a burst of 1 (a little more when learned), so requests leave
evenly spaced; a line of waiters is credited the tokens its late timers missed, up to ``SLACK``
of a period's (so a timer that wakes late loses no rate; see :class:`Bucket`).
"""

from __future__ import annotations

import logging
import math
from typing import Literal

from .._clock import LOOP_CLOCK, Clock
from .._log import Masked
from .bucket import Bucket
from .learning import WorkspaceLearner
from .turn import Priority

log = logging.getLogger("aelyst_async")

Source = Literal["configured", "learned", "none"]
SLACK = 0.01
"""The tokens a waiting line may be credited for late timers: this share of a period's (10 ms
of them at 1 s)."""


class WorkspaceGate:
    """The pause and the workspace bucket of one client (see the module docstring)."""

    def __init__(self, configured: float | None, period: float, *, learn: bool) -> None:
        self.configured = configured
        self.period = period
        self._learn = learn
        self.learner = WorkspaceLearner(period) if learn else None
        self.pause_until = -math.inf
        self._bucket = Bucket(*self._shape(), slack=self._slack())

    def reset(self, now: float) -> None:
        """Start afresh (a new event loop), keeping a learned rate."""
        learned = self.learned
        self.pause_until = -math.inf
        if self._learn:
            self.learner = WorkspaceLearner(self.period)
            if learned is not None:
                self.learner.adopt(learned, now)
        self._bucket = Bucket(*self._shape(), slack=self._slack())

    @property
    def learned(self) -> float | None:
        return self.learner.rate if self.learner is not None else None

    @property
    def learned_or_configured(self) -> float | None:
        """The rate to share with other processes: not a warm-up's guess."""
        return float(self.configured) if self.configured is not None else self.learned

    @property
    def proven_or_configured(self) -> float | None:
        """The configured rate, or the learned one without a probe above it in progress."""
        if self.configured is not None:
            return float(self.configured)
        return self.learner.proven if self.learner is not None else None

    @property
    def rate(self) -> float | None:
        """Requests per period in force: configured, learned, the warm-up's, or None."""
        if self.configured is not None:
            return float(self.configured)
        return self.learner.allowance if self.learner is not None else None

    @property
    def source(self) -> Source:
        if self.configured is not None:
            return "configured"
        return "learned" if self.learned is not None else "none"

    def paused_for(self, now: float) -> float:
        """Seconds left of the client-wide pause (0 or less: not paused)."""
        return self.pause_until - now

    async def acquire(
        self,
        priority: Priority = "normal",
        deadline: float | None = None,
        clock: Clock = LOOP_CLOCK,
    ) -> tuple[bool, bool]:
        """Wait for the pause to end and for a token: ``(waited, held)``, ``held`` True when
        the rate in force made the request wait (not the pause, nor its turn behind others);
        TimeoutError when that would pass ``deadline`` (see :meth:`Bucket.take`)."""
        return await self._bucket.take(
            self.paused_for, priority=priority, deadline=deadline, clock=clock
        )

    def wait_for(self, priority: Priority, now: float) -> float:
        """Seconds a request of ``priority`` arriving now would wait here, at least."""
        return max(self.paused_for(now), self._bucket.wait_for(priority, now))

    def pause(self, key: str, seconds: float, now: float) -> None:
        """Hold every request for ``seconds`` from ``now``; never shortens a pause."""
        until = now + max(0.0, seconds)
        if until <= self.pause_until:
            return
        if self.learner is not None and until - max(now, self.pause_until) >= self.period:
            self.learner.cleared(until)
        self.pause_until = until
        log.debug("aelyst_async: 429 on %s: every request waits %.3fs", Masked(key or "-"), seconds)

    def changed(self) -> None:
        """The rate changed: refit the bucket, its burst spent (it was in use)."""
        capacity, period = self._shape()
        self._bucket.refit(capacity, period, used=capacity or 0.0, slack=self._slack())
        rate = self.rate
        shown = "unlimited" if rate is None else f"{rate:.2f}"
        log.debug("aelyst_async: workspace rate now %s per %gs", shown, self.period)

    def adopt(self, rate: float, now: float) -> None:
        """Take the workspace rate another client published through a shared store."""
        assert self.learner is not None
        self.learner.adopt(rate, now)
        self.changed()

    def _slack(self) -> float:
        rate = self.rate
        return 0.0 if rate is None else SLACK * rate

    def _shape(self) -> tuple[float | None, float]:
        """The bucket: burst 1 (a little more when learned), at the rate in force."""
        if self.configured is not None:
            return 1.0, self.period / self.configured
        learner = self.learner
        if learner is None:
            return None, self.period
        rate = learner.allowance
        if learner.rate is None:  # warming up: half a period's worth at once
            capacity = max(1.0, rate / 2)
        else:
            capacity = 1.0 + min(0.5, learner.margin * rate)
        return capacity, capacity * self.period / rate

    def admit_now(self, now: float) -> bool:
        """Take a token at once when the client is not paused at ``now``, nobody is in line
        and one is free (a request that passes :meth:`acquire` without waiting); False,
        nothing taken, otherwise."""
        return self.pause_until <= now and self._bucket.take_now(now)
