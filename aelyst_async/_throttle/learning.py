"""Learning the workspace limit that no header announces (pure: times are passed in).

The API may refuse a request with 429 although its path still had budget: a hidden limit for
all requests of the workspace together. :class:`WorkspaceLearner` turns those refusals, the
requests sent and the admitted ones into the rate (requests per period) of the workspace gate:

- **Warm-up**: before the first such 429 the limit is unknown. Instead of bursting into it, the
  gate runs at :attr:`allowance`: ``WARM_START`` per period, doubled every round trip (at least
  ``WARM_TICK`` periods) while the *rate* holds requests back (a request that only queued behind
  others at the gate does not count), like TCP's slow start; and never above what the client
  could send: ``WARM_MARGIN`` times its peak requests in flight (of the last round trip) per
  round trip (at least ``MIN_RTT``), so it stays bounded however long a run without a limit is.
- **Bounds**: every rate is within ``[min_rate, MAX_RATE]``, every step and wait finite, and the
  deques hold the send times of about two periods (see :meth:`WorkspaceLearner.sent`).
- **Decrease** on such a 429: the server had just admitted as many requests as it allows, so
  count the admitted requests *sent* in the period up to the refused one (the server's window
  they landed in: a request sent later landed later, whatever the answer times) and run at
  ``count * (1 - margin)``. A decrease is bounded by what was observed: never above the rate in
  force, never below half of it in one step. 429s of requests sent before that decrease (same
  "epoch") answer the old rate and teach nothing. Admitted requests of that window still in
  flight when the 429 arrives raise the count later. The count starts no earlier than the end of
  the last pause of a whole period (the server's window was empty then). A first burst that
  straddles a fixed window's edge counts two windows and overestimates: a refusal within
  ``SOON_PERIODS`` of the last decrease reveals it, and the rate then drops by ``3 * margin``.
- **Increase**, within seconds, whatever the latency: once a request sent ``hold`` periods after
  the last change is admitted (``PROVE_PERIODS`` times that above the best: a whole server window,
  aligned anywhere, ran at it) while the rate is in use (requests *sent* in the last period,
  answered or not, reach ``BUSY_SHARE`` of it), the rate counts as working (``best``). Below
  ``best`` it climbs back by ``step``; at ``best`` it probes one ``step`` higher once
  ``probe_wait`` has passed since the last probe. Each success doubles ``step`` (a raised limit is
  found in a few periods); a probe that is refused goes back to ``best`` and doubles
  ``probe_wait`` (up to ``probe`` periods), so a limit that did not move is probed ever more
  rarely; a refusal at ``best`` whose count is within ``2 * margin`` of it is noise at the limit
  (jitter crowded a window): ``best`` gives way by ``margin`` at most; any other refusal means the
  limit came down: it becomes ``best``.
- **Rising limits**: once a rate ``RISE_MARGIN`` above the one in force at the last refusal, or
  above the highest count of a window refused at a steady rate since the limit came down
  (not a warm-up's or a doubling's: those also hold the lower rates before them), is proven (after a
  fall of 100 -> 25/s the halvings bounded per step leave the refused rate near 50/s, the count
  at 25), the limit went up: each increase then doubles the rate and counts after one window
  (multiplicative increase, like slow start) until a 429, whose count of the window becomes the
  new rate and ``best`` (100 -> 25 -> 150/s: 0.9 of 150/s after about 5 s at 250 ms).
- **Shared budget** (several processes behind one shared store, each seeing only its own
  answers): the throttle passes :meth:`refused` a ``count`` measured by the store, and sets
  ``scale`` (everyone's requests per request of this process, recently) for the "in use" check.

>>> learner = WorkspaceLearner(1.0)
>>> for i in range(50):
...     learner.admitted(sent_at=0.001 * i, now=0.01)
>>> learner.refused(sent_at=0.05, epoch=0, now=0.06)
True
>>> learner.rate
49.0
"""

from __future__ import annotations

import math
from collections import deque

import attrs

MARGIN = 0.02
HOLD_PERIODS = 1.0
PROVE_PERIODS = 2.0
"""A rate above the best counts as working after this many ``hold`` s in use without a 429."""
SOON_PERIODS = 5.0
"""A refusal this soon after a decrease shows the decrease was not enough."""
PROBE_PERIODS = 60.0
"""The longest wait between probes above the best rate (after probes that keep failing)."""
FIRST_STEP = 0.05
"""The first step of an increase, as a share of the rate."""
RISE_MARGIN = 0.05
"""A rate proven this far above the last refused one (or above the count of the refused windows
since the limit last came down) shows the limit went up: from then on each increase doubles the
rate and counts after one window (multiplicative increase) until a 429."""
MIN_RATE = 1.0
MAX_RATE = 100_000.0
"""No rate (requests per period) of the learner exceeds this, whatever the run or the answers."""
MAX_SCALE = 1024.0
"""No more than this many requests of all processes per request of this one (``scale``)."""
BUSY_SHARE = 0.97
"""A rate counts as 'in use' when at least this share of it was sent in the last period."""
WARM_START = 20.0
"""Requests per period before anything is known of the workspace limit."""
WARM_TICK = 0.05
"""The shortest time (in periods) between two doublings of the warm-up allowance."""
WARM_MARGIN = 4.0
"""The warm-up allowance stays within this many times the peak in flight per round trip (twice
the throttle's ``HEADROOM``: a client that keeps the suggested concurrency is never held by it)."""
MIN_RTT = 0.001
"""Seconds: round trips shorter than this count as this long for the warm-up's bound."""
RTT_WEIGHT = 0.125
SMALL_DROP = 0.1
"""A new rate within this share of the best (or the previous) one answers a small overshoot:
no client-wide pause is needed."""


@attrs.define
class _Decrease:
    """The window counted at the last decrease, for late admitted answers to raise the count."""

    start: float
    end: float
    count: float
    cap: float


class WorkspaceLearner:
    """AIMD-like search of the workspace rate, in requests per ``period``; see the module doc."""

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
        self._hold, self._probe_max = hold * period, probe * period
        self.rate: float | None = None
        """The rate learned (requests per period); None until the first workspace 429."""
        self.best: float | None = None
        """The highest rate observed to work: in use for ``hold`` periods without a 429."""
        self.epoch = 0
        """Bumped on every decrease; tag requests with it when they are sent."""
        self.scale = 1.0
        """Requests of every process sharing the budget per request of this one (for 'in use')."""
        self.rtt: float | None = None
        """Smoothed round trip of admitted requests (seconds)."""
        self.warm = WARM_START
        self._warmed = -math.inf
        self._held = -math.inf
        self._in_flight = 0  # peak of requests in flight since the last warm-up tick
        self._admitted: deque[float] = deque()  # send times of admitted requests, ~2 periods
        self._sent: deque[float] = deque()  # send times of every request, ~1 period
        self._changed = -math.inf
        self._probed = -math.inf
        self._probe_wait = hold * period
        self._step = 0.0
        self._rising = False  # a rate well above the last refused one held: the limit went up
        self._refused_at = math.inf  # the rate in force at the last refusal that lowered it
        self._counted = math.inf  # the highest count of a refused window since the limit fell
        self._decrease: _Decrease | None = None
        self._clear = -math.inf
        self._decreased = -math.inf
        self._lowered = math.inf  # the rate set by the last decrease
        self._small_epoch: int | None = None

    @property
    def allowance(self) -> float:
        """The rate in force: the learned one, or the warm-up's while none is learned."""
        return self.warm if self.rate is None else self.rate

    @property
    def proven(self) -> float | None:
        """The rate to tell others: the learned one, but not a probe above the best."""
        if self.rate is None or self.best is None:
            return self.rate
        return min(self.rate, self.best)

    def small_overshoot(self, epoch: int) -> bool:
        """True when requests sent in ``epoch`` overshot the limit by little: the decrease that
        ended that epoch was at most ``SMALL_DROP`` (a probe, or noise at the limit)."""
        return epoch == self._small_epoch

    def sent(self, at: float, *, held: bool = False, in_flight: int = 1) -> None:
        """A request was sent at ``at`` (for the 'in use' check); ``held``: the rate in force
        made it wait (the warm-up allowance grows only while it holds requests back);
        ``in_flight``: requests sent and not yet answered, this one included (the warm-up's
        bound). The send times are kept one period."""
        sent = self._sent
        if held:
            self._held = at
        self._in_flight = max(self._in_flight, in_flight)
        sent.append(at)
        horizon = at - self.period
        while sent[0] <= horizon:
            sent.popleft()

    def held_back(self, at: float) -> None:
        """Something other than this client's gate held a request back at ``at`` for the
        warm-up's rate: everyone's warm-up, shared through a store (it may grow as if held)."""
        self._held = max(self._held, at)

    def admitted(self, sent_at: float, now: float) -> bool:
        """A request sent at ``sent_at`` was not refused; True when the rate changed."""
        sample = max(0.0, now - sent_at)
        self.rtt = sample if self.rtt is None else self.rtt + RTT_WEIGHT * (sample - self.rtt)
        horizon = now - 2 * self.period
        admitted = self._admitted
        admitted.append(sent_at)
        while admitted and admitted[0] < horizon:
            admitted.popleft()
        if self.rate is None:
            return self._warm_up(now)
        changed = self._refine(sent_at)
        return self._increase(sent_at, now) or changed

    def refused(
        self, sent_at: float, epoch: int, now: float, *, count: float | None = None
    ) -> bool:
        """A request sent at ``sent_at`` (of ``epoch``) met the hidden limit; True if lowered.

        ``count``: the admitted requests of that window when measured elsewhere (e.g. by a
        shared store, for every process); None to count this learner's admitted requests.
        """
        if epoch != self.epoch:
            return False
        start = sent_at - self.period
        if start < self._clear <= sent_at:
            start = self._clear
        if count is not None and not math.isfinite(count):
            count = None  # a store's answer that is no count: count this learner's own
        measured = count is not None
        own = self._count(start, sent_at)
        count = own if count is None else max(count, own * self.scale)
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
            rate = min(max(rate, before * 0.5), before)
            if now - self._decreased < SOON_PERIODS * self.period and before <= self._lowered:
                # refused again before the last estimate could hold: it was too high (a burst
                # that straddled a fixed window's edge counts two windows), so step down harder
                rate = min(rate, before * (1.0 - 3 * self.margin))
        rate = self._bounded(rate)
        best = self.best
        # the count of a window refused at a steady rate is the limit; one that ended a ramp
        # (the warm-up's, a doubling's) also holds the lower rates before it: unknown
        counted = math.inf
        if before is not None and best is not None:
            counted = max(self._counted if math.isfinite(self._counted) else 0.0, count)
            if self._rising and rate > best:
                counted = math.inf
                # a doubling met the risen limit: the count of the window is the new limit
                self.best = rate
            elif before > best and rate >= best * (1.0 - 3 * self.margin):
                # a probe failed: back to what worked, and probe more rarely
                rate = min(rate, best)
                self._probe_wait = min(2 * self._probe_wait, self._probe_max)
            elif rate >= best * (1.0 - 2 * self.margin):
                # noise at the limit (jitter crowded a window): the count says it still holds
                self.best = max(rate, best * (1.0 - self.margin))
            else:  # refused well below what seemed to work: the limit came down
                counted = count
                self.best = rate
                self._probe_wait = self._hold
        self._small_epoch = self.epoch if self._small(before, rate) else None
        self.rate = rate
        self.epoch += 1
        self._step = FIRST_STEP * rate
        self._rising = False
        self._refused_at = before if before is not None else math.inf
        self._counted = counted
        self._changed = self._probed = self._decreased = now
        self._lowered = rate
        # late admitted answers refine a count made here, not one measured elsewhere
        # (never above the best: a count straddling a fixed window's edge overestimates)
        cap = before or math.inf if self.best is None else min(before or math.inf, self.best)
        self._decrease = None if measured else _Decrease(start, sent_at, count, cap)
        return True

    def cleared(self, at: float) -> None:
        """Nothing was sent for a whole period before ``at``: the server's window was empty."""
        self._clear = max(self._clear, at)

    def adopt(self, rate: float, now: float) -> None:
        """Take a rate learned elsewhere (e.g. by another process through a shared store);
        one that is not a finite number is ignored, others are brought within the bounds."""
        if not math.isfinite(rate):
            return
        rate = self._bounded(rate)
        if self.rate is None or rate < self.rate:
            self._small_epoch = self.epoch if self._small(self.rate, rate) else None
            self.epoch += 1  # requests sent before answer the old rate: they teach nothing
        self.rate = rate
        self._step = FIRST_STEP * rate
        self._rising = False  # the doubling of a rising limit is this process's own finding
        self._changed = self._probed = now
        self._decrease = None

    def _bounded(self, rate: float) -> float:
        return min(MAX_RATE, max(self.min_rate, rate))

    def _small(self, before: float | None, after: float) -> bool:
        """Whether going from ``before`` to ``after`` answers a small overshoot."""
        if before is None:
            return False
        worked = before if self.best is None else min(before, self.best)
        return after >= worked * (1.0 - SMALL_DROP)

    def _count(self, start: float, end: float) -> int:
        return sum(1 for t in self._admitted if start < t <= end)

    def _in_use(self, now: float, seconds: float | None = None) -> float:
        """Requests sent (or admitted, by send time) in the last ``seconds``, everyone's."""
        since = now - (self.period if seconds is None else seconds)
        recent = sum(1 for t in self._sent if t > since)
        return self.scale * max(recent, self._count(since, now))

    def _warm_up(self, now: float) -> bool:
        rtt = self.rtt or 0.0
        tick = max(rtt, WARM_TICK * self.period)
        if now - self._warmed < tick:
            return False
        busy = now - self._held <= tick
        self._warmed = now
        # what the client could send: its peak in flight per round trip, with a margin
        ceiling = WARM_MARGIN * self._in_flight * self.period / max(rtt, MIN_RTT)
        ceiling = min(MAX_RATE, max(WARM_START, ceiling))
        self._in_flight = 0
        if not busy or self.warm >= ceiling:
            return False
        self.warm = min(2 * self.warm, ceiling)
        return True

    def _refine(self, sent_at: float) -> bool:
        last = self._decrease
        if last is None or not last.start < sent_at <= last.end:
            return False
        last.count += 1
        if math.isfinite(self._counted):
            # the refused window's count, for telling a risen limit: its requests answered
            # late count too (at 400 ms a tenth of a window may still be in flight at the 429)
            self._counted = max(self._counted, last.count)
        rate = self._bounded(min(last.cap, last.count * (1.0 - self.margin)))
        if self.rate is not None and rate > self.rate:
            self.rate = rate
            return True
        return False

    def _increase(self, sent_at: float, now: float) -> bool:
        rate = self.rate
        assert rate is not None
        # the rate held when a request sent ``hold`` after the change got in: its refusal would
        # have come first (several processes sharing: each sees a share, so hold that longer)
        proving = (self.best is None or rate > self.best) and not self._rising
        # to prove a rate, a whole server window (aligned anywhere) must have run at it; once
        # a probe held (the limit went up), a doubling counts after one window
        hold = self._hold * self.scale * (PROVE_PERIODS if proving else 1.0)
        if sent_at - self._changed < hold:
            return False
        if self._in_use(now) < BUSY_SHARE * rate - 1:  # (-1: a period holds whole requests)
            return False
        self._changed = now
        if self.best is None or rate > self.best:
            # above the rate last refused, by more than noise: the limit went up
            # (the count: a cascade of bounded decreases leaves the rate refused far above it)
            self._rising = rate > min(self._refused_at, self._counted) * (1.0 + RISE_MARGIN)
            self.best = rate  # in use for ``hold`` periods without a 429: it works
            self._probe_wait = self._hold  # and a probe that held keeps probing soon
        best = self.best
        step = max(self._step, 0.01, rate if self._rising else 0.0)
        if rate < best:
            self.rate = self._bounded(min(best, rate + step))
        elif now - self._probed >= self._probe_wait * self.scale:  # n sharing: 1/n as often
            self._probed = now
            self.rate = self._bounded(rate + step)
        else:
            return False
        self._step = min(2 * step, MAX_RATE)
        return True
