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
from collections.abc import Callable
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


class FakeClock:
    """A clock for tests: it stands still until :meth:`advance` moves it.

    >>> clock = FakeClock()
    >>> clock.advance(1.5)
    >>> clock()
    1.5
    """

    def __init__(self, start: float = 0.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds``."""
        if seconds < 0:
            raise ValueError("time only moves forward")
        self.now += seconds
