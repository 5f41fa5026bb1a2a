"""Progress of a bulk run: counts, a rate over recent seconds, an ETA.

Bounded whatever the run's length: at most :data:`MAX_SAMPLES` samples are kept (one every
``RATE_WINDOW / 50`` seconds at most, those older than the window dropped); the rate is measured
over at least ``RATE_WINDOW / 50`` seconds (0.0 before), so it and the ETA stay finite.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from typing import TypeAlias

import attrs

from ..types.bulk import BulkReport

log = logging.getLogger("aelyst_async.bulk")

RATE_WINDOW = 10.0
"""Seconds of recent history the progress rate is measured over."""
_SAMPLE_SPACING = RATE_WINDOW / 50
MAX_SAMPLES = 64
"""Samples of the rate window kept at most (51 fill a window)."""


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
    """Calls ``callback`` at most every ``interval`` seconds (of ``clock``), and when final.

    A callback that raises is logged (a warning) and not called again: progress never stops a
    run.
    """

    def __init__(
        self,
        callback: ProgressCallback,
        total: int | None,
        interval: float,
        clock: Callable[[], float],
    ) -> None:
        self._callback: ProgressCallback | None = callback
        self._total = total
        self._interval = interval
        self._clock = clock
        self._start = clock()
        self._last_call: float | None = None
        self._samples: deque[tuple[float, int]] = deque([(self._start, 0)], maxlen=MAX_SAMPLES)

    def update(self, report: BulkReport, *, final: bool = False) -> None:
        """Call back with the counts of ``report`` if ``interval`` has passed (or ``final``)."""
        if self._callback is None:
            return
        now = self._clock()
        last = self._last_call
        if not final and last is not None and now - last < self._interval:
            return
        self._last_call = now
        processed = report.succeeded + report.failed
        samples = self._samples
        if now - samples[-1][0] >= _SAMPLE_SPACING:
            samples.append((now, processed))
        while len(samples) > 2 and samples[1][0] <= now - RATE_WINDOW:
            samples.popleft()
        then, processed_then = samples[0]
        span = now - then
        rate = (processed - processed_then) / span if span >= _SAMPLE_SPACING else 0.0
        done = processed + report.skipped
        eta = None
        if self._total is not None and rate > 0:
            eta = max(0, self._total - done) / rate
        progress = BulkProgress(
            done=done,
            succeeded=report.succeeded,
            failed=report.failed,
            skipped=report.skipped,
            total=self._total,
            rate=rate,
            eta=eta,
            elapsed=now - self._start,
        )
        try:
            self._callback(progress)
        except Exception as exc:
            log.warning(
                "bulk: the progress callback raised %s: %s; it is not called again",
                type(exc).__name__,
                exc,
                exc_info=log.isEnabledFor(logging.DEBUG),
            )
            self._callback = None
