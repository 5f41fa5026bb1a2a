"""Keeping a client's requests just under the API's rate limits: :class:`Throttle`.

Every request passes three gates, in order, before it is sent:

1. **Its path** (method + path, identifier included; :mod:`.paths`): scheduled from the send
   times of the server's current window and the limit its headers announce.
2. **The workspace** (:mod:`.workspace`), in turn over all requests (by priority): the
   client-wide pause after a 429 (its ``Retry-After``, bounded by ``max_pause``; one period when
   it has none or 0), then the workspace rate: configured, learned from 429s (:mod:`.learning`),
   or probed.
3. **The shared store** (:mod:`.shared`), when the policy has one: the budgets of every process
   using it, and their pause.

Times are the client's :class:`~aelyst_async._clock.Clock` (the event loop's by default); the
gates wait with its ``sleep``.

>>> throttle = Throttle(RateLimitPolicy(per_path=5))
>>> permit = await throttle.acquire("POST /contact/create_or_update/id:1")
>>> ...send...
>>> await throttle.observe(permit, response.status, RateLimit.from_headers(response.headers))
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable
from typing import TYPE_CHECKING

from .._clock import LOOP_CLOCK, Clock
from .._errors import DeadlineExceededError
from .._log import Masked
from .._sansio.ratelimit import RateLimit
from .paths import PathBudget, Paths
from .policy import RateLimitPolicy, ThrottleSnapshot, WaitEvent, WaitReason
from .turn import PRIORITIES, Priority, check_priority
from .workspace import WorkspaceGate

if TYPE_CHECKING:
    from .shared import SharedBudget

log = logging.getLogger("aelyst_async")

MAX_PAUSE = 120.0
"""Default bound on the client-wide pause a ``Retry-After`` may ask (``RetryPolicy``'s)."""
CONCURRENCY_BOUNDS = (1, 512)
UNLIMITED_CONCURRENCY = 64
"""Suggested when no workspace rate applies at all (none configured, learning off)."""
ASSUMED_RTT = 0.25
"""Seconds assumed for a round trip before any answer (the API is 100-400 ms away)."""
HEADROOM = 2.0
RTT_WEIGHT = 0.125


async def _sleep(clock: Clock, delay: float, now: float, deadline: float | None) -> None:
    """Sleep ``delay`` seconds from ``now``; TimeoutError at once if it would pass ``deadline``."""
    if deadline is not None and now + delay > deadline:
        raise TimeoutError
    await clock.sleep(delay)


class Permit:
    """Leave to send one request; hand it back to :meth:`Throttle.observe` or ``release``."""

    __slots__ = ("_budget", "epoch", "key", "sent_at", "seq", "waited")

    def __init__(
        self, key: str, budget: PathBudget, seq: int, sent_at: float, waited: float
    ) -> None:
        self.key, self._budget, self.seq = key, budget, seq
        self.sent_at, self.waited = sent_at, waited
        self.epoch = 0


class Throttle:
    """The rate-limit gates of one client (see the module docstring).

    ``on_wait`` is called with a :class:`WaitEvent` after each wait at a gate; ``max_pause``
    bounds the client-wide pause one ``Retry-After`` can cause (seconds); ``clock`` is the time
    the gates read and wait on.
    """

    def __init__(
        self,
        policy: RateLimitPolicy,
        *,
        on_wait: Callable[[WaitEvent], None] | None = None,
        max_pause: float = MAX_PAUSE,
        clock: Clock = LOOP_CLOCK,
    ) -> None:
        self.policy = policy
        self.clock = clock
        self.max_pause = max_pause
        self._period = policy.period
        self._on_wait = on_wait
        self._loop: asyncio.AbstractEventLoop | None = None
        self._paths = Paths(policy.per_path, policy.period)
        learn = policy.workspace is None and policy.adaptive
        self._gate = WorkspaceGate(policy.workspace, policy.period, learn=learn)
        store = policy.shared
        self._shared: SharedBudget | None = None
        if store is not None:
            from .shared import SharedBudget  # only with a store

            self._shared = SharedBudget(
                store, self._gate, policy.period, max_pause + policy.period, clock
            )
        self._rtt: float | None = None
        self._in_flight = 0  # permits handed out and not yet handed back

    async def acquire(
        self, key: str, *, priority: Priority = "normal", deadline: float | None = None
    ) -> Permit:
        """Wait until a request on ``key`` (``"METHOD /path"``) may be sent; cancel-safe.

        ``priority``: at every gate and pause, waiting requests of a higher priority go first,
        first come first served within one (see :mod:`.turn` for the share lower ones keep);
        ``deadline``: the clock's time (``throttle.clock.time()``) by which it must be sent, or
        None. When the wait ahead (pause, path, the workspace queue at its rate) would pass it,
        raises :class:`DeadlineExceededError` at once; when the deadline passes while it waits,
        then.
        Either way nothing was sent (``request_sent`` False, ``attempts`` 0).

        >>> permit = await throttle.acquire("GET /contact/1", priority="high", deadline=t + 2)
        """
        if priority not in PRIORITIES:
            check_priority(priority)
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._bind(loop)
        clock = self.clock
        now = loop.time() if clock is LOOP_CLOCK else clock.time()
        budget = self._paths.enter(key, now)
        if (
            self._shared is None
            and (deadline is None or now <= deadline)
            and budget.open_at(now)
            and self._gate.admit_now(now)
        ):  # every gate open, nobody ahead: through at once (nothing awaited)
            return self._issue(key, budget, budget.sent(now), now, 0.0, held=False)
        try:
            if deadline is not None:
                ahead = budget.turn.ahead(priority) * budget.period / budget.limit
                wait = max(self._gate.wait_for(priority, now), budget.ready_in(now) + ahead)
                if now + wait > deadline:
                    left = deadline - now
                    raise self._late(key, f"{wait:.3f}s of waiting ahead, {left:.3f}s left")
            try:
                return await self._pass(key, budget, priority, deadline)
            except TimeoutError:
                raise self._late(key, "the wait in the throttle would pass it") from None
        except BaseException:
            self._paths.leave(key, budget, clock.time())
            raise

    @staticmethod
    def _late(key: str, why: str) -> DeadlineExceededError:
        method, _, path = key.partition(" ")
        return DeadlineExceededError(
            f"deadline exceeded before sending ({why}); not sent", method=method, path=path
        )

    async def _pass(
        self, key: str, budget: PathBudget, priority: Priority, deadline: float | None
    ) -> Permit:
        """Through the gates in turn (the path's, the workspace's, the store's); the permit.
        TimeoutError when a wait would pass ``deadline``."""
        clock = self.clock
        now = entered = clock.time()
        gate, waited, held = self._gate, 0.0, False
        suspended = await budget.turn.take(priority, deadline, clock)
        try:
            # The key's turn is held until its request is sent, so no other request of the
            # key passes the path gate meanwhile. Answers to earlier requests may still
            # arrive while this one waits at the later gates, spending the path or pausing
            # the client: then it goes through the gates again.
            while True:
                now = clock.time()
                while (delay := budget.ready_in(now)) > 0:
                    await _sleep(clock, delay, now, deadline)
                    now, suspended = clock.time(), True
                if suspended:
                    waited += self._waited(key, "path", now - entered)
                reason: WaitReason = "pause" if gate.paused_for(now) > 0 else "workspace"
                suspended, by_rate = await gate.acquire(priority, deadline, clock)
                held = held or by_rate
                if suspended:
                    waited += self._waited(key, reason, clock.time() - now)
                    now = clock.time()
                if self._shared is not None:
                    warmed, delay = await self._shared.reserve(key, budget.limit, now, deadline)
                    if delay > 0:
                        await _sleep(clock, delay, clock.time(), deadline)
                    waited += self._waited(key, "shared", warmed + delay)
                    now = clock.time()
                if budget.ready_in(now) <= 0 and gate.paused_for(now) <= 0:
                    break
                entered, suspended = now, False
            seq = budget.sent(now)
        finally:
            budget.turn.give()
        return self._issue(key, budget, seq, now, waited, held=held)

    def _issue(
        self, key: str, budget: PathBudget, seq: int, now: float, waited: float, *, held: bool
    ) -> Permit:
        """The permit of request ``seq`` of ``key``, sent at ``now``, counted in flight and
        told to the learner and the store."""
        permit = Permit(key, budget, seq, now, waited)
        self._in_flight += 1
        learner = self._gate.learner
        if learner is not None:
            learner.sent(now, held=held, in_flight=self._in_flight)
            permit.epoch = learner.epoch
        if self._shared is not None:
            self._shared.sent(now)
        return permit

    async def observe(self, permit: Permit, status: int, facts: RateLimit) -> None:
        """Learn from the answer to a permitted request (every answer, not only errors).

        ``facts``: the answer's rate-limit headers, parsed once (``RateLimit.from_headers``).
        """
        now = self._now()
        budget = permit._budget
        self._paths.leave(permit.key, budget, now)
        self._in_flight = max(0, self._in_flight - 1)
        sample = max(0.0, now - permit.sent_at)
        self._rtt = sample if self._rtt is None else self._rtt + RTT_WEIGHT * (sample - self._rtt)
        if not self.policy.adaptive:
            facts = RateLimit()
        budget.answered(permit.seq, permit.sent_at, facts.limit, facts.remaining, now)
        gate, shared = self._gate, self._shared
        learner, changed = gate.learner, False
        if status == 429:
            workspace = facts.remaining is not None and facts.remaining > 0
            if learner is not None and workspace:
                if shared is not None:
                    changed = await shared.refused(learner, permit.sent_at, permit.epoch)
                else:
                    changed = learner.refused(permit.sent_at, permit.epoch, now)
            # a small overshoot (a probe, noise at the limit): stepping the rate back is enough
            if not (workspace and learner is not None and learner.small_overshoot(permit.epoch)):
                wait = self._pause_seconds(facts.retry_after)
                gate.pause(permit.key, wait, now)
                if shared is not None:
                    await shared.pause(wait)
        elif learner is not None:
            changed = learner.admitted(permit.sent_at, now)
        if changed:
            gate.changed()
            if shared is not None and learner is not None and learner.proven is not None:
                await shared.publish(learner.proven)

    def release(self, permit: Permit) -> None:
        """Hand back a permit whose request got no answer (transport error, cancellation)."""
        self._paths.leave(permit.key, permit._budget, self._now())
        self._in_flight = max(0, self._in_flight - 1)

    def suggested_concurrency(self) -> int:
        """Requests to keep in flight to use the rate in force (Little's law, with headroom).

        The workspace rate in force times the observed round trip (``ASSUMED_RTT`` before any
        answer) times ``HEADROOM``, within ``CONCURRENCY_BOUNDS``; ``UNLIMITED_CONCURRENCY``
        when no workspace rate applies.

        >>> throttle.suggested_concurrency()   # e.g. 50/s x 0.25 s x 2 (HEADROOM) + 1
        26
        """
        rate = self._gate.rate
        if rate is None:
            return UNLIMITED_CONCURRENCY
        rtt = ASSUMED_RTT if self._rtt is None else self._rtt
        low, high = CONCURRENCY_BOUNDS
        needed = round(rate / self._period * rtt * HEADROOM, 6)  # no float noise over a whole
        if not needed < high:  # also inf and NaN, which the rates never are (a last guard)
            return high
        return max(low, min(high, math.ceil(needed) + 1))

    def snapshot(self) -> ThrottleSnapshot:
        """The state now: see :class:`ThrottleSnapshot`."""
        gate = self._gate
        paused_for = 0.0 if self._loop is None else max(0.0, gate.paused_for(self._now()))
        learner = gate.learner
        return ThrottleSnapshot(
            period=self._period,
            paths=len(self._paths),
            workspace_rate=gate.proven_or_configured,
            workspace_source=gate.source,
            workspace_best=learner.best if learner is not None else None,
            paused_for=paused_for,
        )

    def _pause_seconds(self, retry_after: float | None) -> float:
        if not self.policy.adaptive or retry_after is None or not retry_after > 0:
            return self._period  # none, 0 or negative: a floor, never a retry storm
        return min(retry_after, self.max_pause)

    def _now(self) -> float:
        if self.clock is LOOP_CLOCK and self._loop is not None:
            return self._loop.time()  # also after the loop stopped (a snapshot)
        return self.clock.time()

    def _bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Start afresh on a new event loop (limiters and locks belong to one loop)."""
        self._loop = loop
        self._in_flight = 0
        self._paths.clear()
        self._gate.reset(self.clock.time())
        if self._shared is not None:
            self._shared.reset()

    def _waited(self, key: str, reason: WaitReason, seconds: float) -> float:
        if seconds <= 0:
            return 0.0
        log.debug("aelyst_async: %s waited %.3fs (%s)", Masked(key), seconds, reason)
        if self._on_wait is not None:
            try:
                self._on_wait(WaitEvent(key, reason, seconds))
            except Exception:
                log.exception("aelyst_async: the on_wait hook raised; ignored")
        return seconds
