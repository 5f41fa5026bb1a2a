"""Progress of a bulk run: counts, a rate over recent seconds, an ETA."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from typing import TypeAlias

import attrs

RATE_WINDOW = 10.0
"""Seconds of recent history the progress rate is measured over."""


@attrs.frozen
class BulkProgress:
    """Where a bulk upsert stands, as given to its ``on_progress`` callback.

    ``done`` counts the items with an outcome (``succeeded + failed + skipped``); ``total`` is
    the number of items if known (``len()`` of the input, or ``total=``); ``rate`` the items
    sent and finished per second over the last few seconds (0.0 until it can be measured;
    skipped items are not counted); ``eta`` the seconds left at that rate, or None; ``elapsed``
    the seconds since the run started.

    >>> def show(p: BulkProgress) -> None:
    ...     print(f"{p.done}/{p.total} {p.rate:.0f}/s eta {p.eta}")
    """

    done: int
    succeeded: int
    failed: int
    skipped: int
    total: int | None
    rate: float
    eta: float | None
    elapsed: float

    @property
    def fraction(self) -> float | None:
        """``done / total``, or None when the total is unknown (or zero)."""
        return self.done / self.total if self.total else None


ProgressCallback: TypeAlias = Callable[[BulkProgress], object]


class ProgressTracker:
    """Calls ``callback`` at most every ``interval`` seconds (of ``clock``), and when final."""

    def __init__(
        self,
        callback: ProgressCallback,
        total: int | None,
        interval: float,
        clock: Callable[[], float],
    ) -> None:
        self._callback = callback
        self._total = total
        self._interval = interval
        self._clock = clock
        self._start = clock()
        self._last_call = -math.inf
        self._samples: deque[tuple[float, int]] = deque([(self._start, 0)])

    def update(self, succeeded: int, failed: int, skipped: int, *, final: bool = False) -> None:
        now = self._clock()
        if not final and now - self._last_call < self._interval:
            return
        self._last_call = now
        processed = succeeded + failed
        samples = self._samples
        if now - samples[-1][0] >= RATE_WINDOW / 50:
            samples.append((now, processed))
        while len(samples) > 2 and samples[1][0] <= now - RATE_WINDOW:
            samples.popleft()
        then, processed_then = samples[0]
        rate = (processed - processed_then) / (now - then) if now > then else 0.0
        done = processed + skipped
        eta = None
        if self._total is not None and rate > 0:
            eta = max(0, self._total - done) / rate
        self._callback(
            BulkProgress(
                done=done,
                succeeded=succeeded,
                failed=failed,
                skipped=skipped,
                total=self._total,
                rate=rate,
                eta=eta,
                elapsed=now - self._start,
            )
        )
