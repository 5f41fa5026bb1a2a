"""Rate-limit windows keyed by strings (``"POST /v1/contact/..."``), on an injected clock time.

A request is first *checked* (no budget used) and then, if every limit it falls under has room,
*taken*. Windows idle for a whole period are dropped, so memory stays bounded by the number of
keys used in the last period or two, not by every key ever seen.

>>> w = Window(2, 1.0, "fixed")
>>> w.check("k", 0.0), w.take("k", 0.0), w.take("k", 0.1), w.check("k", 0.2)
((2, None), 1, 0, (0, 1))
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Sequence
from typing import Literal

WindowKind = Literal["fixed", "sliding"]
Clock = Callable[[], float]
"""Seconds on a monotonic scale, e.g. ``time.monotonic`` or a :class:`FakeClock`."""


def retry_after_seconds(wait: float) -> int:
    """``Retry-After`` in whole seconds: the wait rounded up, never 0."""
    return max(1, math.ceil(wait - 1e-9))


class Window:
    """``limit`` requests per ``period`` seconds for each key.

    ``"fixed"``: buckets aligned on multiples of ``period``; ``"sliding"``: a log of the times
    taken within the last ``period``.
    """

    def __init__(self, limit: int, period: float, kind: WindowKind = "fixed") -> None:
        if limit < 1 or not period > 0:
            raise ValueError("limit must be >= 1 and period > 0")
        if kind not in ("fixed", "sliding"):
            raise ValueError(f"unknown window kind: {kind!r}")
        self.limit, self.period, self.kind = limit, period, kind
        self._fixed: dict[str, tuple[int, int]] = {}  # key -> (bucket, count)
        self._sliding: dict[str, deque[float]] = {}  # key -> times taken, oldest first
        self._swept = -math.inf

    def __len__(self) -> int:
        """How many keys are currently tracked."""
        return len(self._fixed) + len(self._sliding)

    def check(self, key: str, now: float) -> tuple[int, int | None]:
        """``(remaining, retry_after)``: ``retry_after`` is None when a request may be taken."""
        self._sweep(now)
        if self.kind == "fixed":
            bucket = math.floor(now / self.period)
            used = self._used_fixed(key, bucket)
            wait = (bucket + 1) * self.period - now
        else:
            log = self._sliding.get(key)
            if log is not None:
                while log and log[0] <= now - self.period:
                    log.popleft()
            used = len(log) if log else 0
            wait = log[0] + self.period - now if log else 0.0
        remaining = max(0, self.limit - used)
        return remaining, (retry_after_seconds(wait) if remaining == 0 else None)

    def take(self, key: str, now: float) -> int:
        """Use one request of ``key``'s budget (call after :meth:`check`); returns what is left."""
        if self.kind == "fixed":
            bucket = math.floor(now / self.period)
            used = self._used_fixed(key, bucket) + 1
            self._fixed[key] = (bucket, used)
        else:
            log = self._sliding.setdefault(key, deque())
            log.append(now)
            used = len(log)
        return max(0, self.limit - used)

    def clear(self) -> None:
        """Forget every key."""
        self._fixed.clear()
        self._sliding.clear()

    def _used_fixed(self, key: str, bucket: int) -> int:
        entry = self._fixed.get(key)
        return entry[1] if entry is not None and entry[0] == bucket else 0

    def _sweep(self, now: float) -> None:
        """Drop idle keys, at most once per period (amortised O(1) per request)."""
        if now - self._swept < self.period:
            return
        self._swept = now
        if self.kind == "fixed":
            bucket = math.floor(now / self.period)
            self._fixed = {k: v for k, v in self._fixed.items() if v[0] == bucket}
        else:
            horizon = now - self.period
            self._sliding = {k: v for k, v in self._sliding.items() if v and v[-1] > horizon}


def _check_limit(limit: int | None) -> int | None:
    if limit is not None and (type(limit) is not int or limit < 1):
        raise ValueError(f"a workspace limit is an int >= 1 or None, not {limit!r}")
    return limit


class WorkspaceLimit:
    """The hidden workspace limit: a :class:`Window` whose limit can change at run time.

    ``schedule`` lists ``(at_seconds, limit)``: once ``at_seconds`` have elapsed (as passed to
    :meth:`current`), the limit becomes ``limit`` (``None``: no limit). Counts taken in the
    current window survive a change.

    >>> w = WorkspaceLimit(100, 1.0, "fixed", [(10.0, 40), (20.0, None)])
    >>> w.current(0.0), w.current(10.0), w.current(25.0)
    (100, 40, None)
    """

    def __init__(
        self,
        limit: int | None,
        period: float,
        kind: WindowKind,
        schedule: Sequence[tuple[float, int | None]] = (),
    ) -> None:
        self._initial = _check_limit(limit)
        steps = sorted((float(at), _check_limit(step)) for at, step in schedule)
        if any(not (math.isfinite(at) and at >= 0) for at, _ in steps):
            raise ValueError("workspace schedule times must be finite and >= 0")
        self._steps = steps
        self._window = Window(1, period, kind)  # validates period and kind
        self.reset()

    def reset(self) -> None:
        """Back to the initial limit at the schedule's start, with no requests counted."""
        self._limit = self._initial
        self._next_step = 0
        self._window.clear()

    def current(self, elapsed: float) -> int | None:
        """The limit in force ``elapsed`` seconds after the start (applying due steps)."""
        while self._next_step < len(self._steps) and self._steps[self._next_step][0] <= elapsed:
            self._limit = self._steps[self._next_step][1]
            self._next_step += 1
        return self._limit

    def set(self, limit: int | None, elapsed: float) -> None:
        """Make ``limit`` the limit now; later steps of the schedule still apply."""
        self.current(elapsed)
        self._limit = _check_limit(limit)

    def window(self, elapsed: float) -> Window | None:
        """The window enforcing the limit in force, or None when there is none."""
        limit = self.current(elapsed)
        if limit is None:
            return None
        self._window.limit = limit
        return self._window


class FakeClock:
    """A clock for tests: it stands still until :meth:`advance` moves it.

    >>> clock = FakeClock()
    >>> clock.advance(1.5)
    >>> clock()
    1.5
    """

    def __init__(self, start: float = 0.0) -> None:
        self.now = start
        self.listeners: list[Callable[[], None]] = []
        """Called after every :meth:`advance` (what waits on this clock, e.g. webhook retries)."""

    def __call__(self) -> float:
        return self.now

    @property
    def follows_real_time(self) -> bool:
        """Whether the clock also moves with real time (never, for this one)."""
        return False

    def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds``."""
        if seconds < 0:
            raise ValueError("time only moves forward")
        self.now += seconds
        for listener in list(self.listeners):
            listener()
