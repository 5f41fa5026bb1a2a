"""Learning the workspace limit that no header announces (pure: times are passed in).

The API may refuse a request with 429 although its path still had budget: a hidden limit for
all requests of the workspace together. :class:`WorkspaceLearner` turns those refusals and the
admitted requests into a rate (requests per period) for the workspace bucket:

- **Start**: no rate (unlimited) until the first such 429 with requests of ours admitted in
  its window (before that, the client-wide pause after each 429 is the only brake).
- **Decrease** (multiplicative) on such a 429: the server just admitted as many requests as it
  allows, so count the admitted requests sent from one period before the refused one until
  its answer, and run at ``count * (1 - margin)``; never higher than the rate in force. 429s of
  requests sent before that decrease (same "epoch") answer the old rate and teach nothing.
  Admitted requests of that window still in flight when the 429 arrives raise the count later.
  The count starts no earlier than the end of the last pause of a whole period (nothing was
  sent during it, so the server's window, fixed or sliding, was empty then). A first burst
  that straddles a fixed window's edge counts two windows and overestimates: a refusal within
  ``hold`` periods of the last decrease reveals it, and the rate then drops by at least
  ``3 * margin``.
- **Increase** (additive, slow): after ``hold`` periods without a refusal, the rate counts as
  working (``best``); a rate below ``best`` climbs back by ``step = margin * best`` per ``hold``
  periods, never above ``best``, the highest rate observed to work.
- **Probe** (rare): only when the rate has been at ``best``, in use, for ``probe`` periods
  without a refusal does it try one ``step`` higher; a refusal sends it back down.
- **Shared budget** (several processes behind one shared store, each seeing only its own
  answers): the throttle passes :meth:`refused` a ``count`` measured by the store (the requests
  every process sent in the period before the refused one: before it, the server admitted them),
  and sets ``scale`` (everyone's requests per request of this process, recently) for the "in use"
  check. A rate adopted from another process is a change like any other: requests sent before a
  lower one was adopted teach nothing, and probing waits ``probe`` periods from it.

With the defaults (margin 3%, hold 5, probe 60 periods) a hidden limit of 50/s is found from
the first burst, run at 48.5/s, and probed at most once a minute.

>>> learner = WorkspaceLearner(1.0)
>>> for i in range(50):
...     learner.admitted(sent_at=0.001 * i, now=0.01)
>>> learner.refused(sent_at=0.05, epoch=0, now=0.06)
True
>>> learner.rate
48.5
"""

from __future__ import annotations

import math
from collections import deque

import attrs

MARGIN = 0.03
HOLD_PERIODS = 5.0
PROBE_PERIODS = 60.0
MIN_RATE = 1.0
BUSY_SHARE = 0.9
"""A rate counts as 'in use' when at least this share of it was admitted in the last period."""


@attrs.define
class _Decrease:
    """The window counted at the last decrease, for late admitted answers to raise the count."""

    start: float
    end: float
    count: float
    cap: float


class WorkspaceLearner:
    """AIMD on the workspace rate, in requests per ``period``; see the module docstring."""

    def __init__(
        self,
        period: float,
        *,
        margin: float = MARGIN,
        hold: float = HOLD_PERIODS,
        probe: float = PROBE_PERIODS,
        min_rate: float = MIN_RATE,
    ) -> None:
        self.period = period
        self.margin, self.min_rate = margin, min_rate
        self._hold, self._probe = hold * period, probe * period
        self.rate: float | None = None
        """The rate in force (requests per period); None until the first workspace 429."""
        self.best: float | None = None
        """The highest rate observed to work: in force for ``hold`` periods without a 429."""
        self.epoch = 0
        """Bumped on every decrease; tag requests with it when they are sent."""
        self.scale = 1.0
        """Requests of every process sharing the budget per request of this one (for 'in use')."""
        self._admitted: deque[float] = deque()  # send times of admitted requests, ~2 periods
        self._changed = 0.0
        self._probed = 0.0
        self._decrease: _Decrease | None = None
        self._clear = -math.inf
        self._decreased = -math.inf

    def admitted(self, sent_at: float, now: float) -> bool:
        """A request sent at ``sent_at`` was not refused; True when the rate changed."""
        horizon = now - 2 * self.period
        admitted = self._admitted
        admitted.append(sent_at)
        while admitted and admitted[0] < horizon:
            admitted.popleft()
        changed = self._refine(sent_at)
        if self.rate is not None and now - self._changed >= self._hold:
            changed = self._increase(now) or changed
        return changed

    def refused(
        self, sent_at: float, epoch: int, now: float, *, count: float | None = None
    ) -> bool:
        """A request sent at ``sent_at`` (of ``epoch``) met the hidden limit; True if lowered.

        ``count``: the admitted requests of that window when measured elsewhere (e.g. by a
        shared store, for every process); None to count this learner's admitted requests.
        """
        if epoch != self.epoch:
            return False
        # admitted requests sent from a period before the refused one until its answer: some
        # sent after it reached the server first (latencies differ) and used the same window.
        # Counting starts no earlier than when the server's window was last known empty.
        start = sent_at - self.period
        if start < self._clear <= sent_at:
            start = self._clear
        measured = count is not None
        if count is None:
            count = self._count(start, now)
        before = self.rate
        if count > 0:
            rate = count * (1.0 - self.margin)
        elif before is not None:
            rate = before * 0.5
        else:
            # nothing of ours got in (other senders share the workspace): no evidence of the
            # limit yet, and guessing the floor would starve this client; the pause holds it
            return False
        if before is not None:
            rate = min(rate, before)
            if now - self._decreased < self._hold:
                # refused again before the last estimate could hold: it was too high (a burst
                # that straddled a fixed window's edge counts two windows), so step down harder
                rate = min(rate, before * (1.0 - 3 * self.margin))
        rate = max(self.min_rate, rate)
        if before is not None and self.best is not None and before < self.best:
            self.best = rate  # refused below the best: the limit itself came down
        self.rate = rate
        self.epoch += 1
        self._changed = self._probed = self._decreased = now
        # late admitted answers refine a count made here, not one measured elsewhere
        self._decrease = None if measured else _Decrease(start, now, count, before or float("inf"))
        return True

    def cleared(self, at: float) -> None:
        """Nothing was sent for a whole period before ``at``: the server's window was empty."""
        self._clear = max(self._clear, at)

    def adopt(self, rate: float, now: float) -> None:
        """Take a rate learned elsewhere (e.g. by another process through a shared store)."""
        rate = max(self.min_rate, rate)
        if self.rate is None or rate < self.rate:
            self.epoch += 1  # requests sent before answer the old rate: they teach nothing
        self.rate = rate
        self._changed = self._probed = now
        self._decrease = None

    def _count(self, start: float, end: float) -> int:
        return sum(1 for t in self._admitted if start < t <= end)

    def _refine(self, sent_at: float) -> bool:
        last = self._decrease
        if last is None or not last.start < sent_at <= last.end:
            return False
        last.count += 1
        rate = max(self.min_rate, min(last.cap, last.count * (1.0 - self.margin)))
        if self.rate is not None and rate > self.rate:
            self.rate = rate
            return True
        return False

    def _increase(self, now: float) -> bool:
        assert self.rate is not None
        self._changed = now
        busy = self.scale * self._count(now - self.period, now) >= BUSY_SHARE * self.rate
        if busy and (self.best is None or self.rate > self.best):
            self.best = self.rate
        if self.best is None:
            return False
        step = max(self.margin * self.best, 0.01)
        if self.rate < self.best:
            self.rate = min(self.best, self.rate + step)
            return True
        if busy and now - self._probed >= self._probe:
            self._probed = now
            self.rate += step
            return True
        return False
