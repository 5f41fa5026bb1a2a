"""The throttle's side of a shared :class:`~aelyst_async._throttle.policy.LimitStore`.

A store that raises is logged once (until it answers again) and treated as "nothing shared"
for that call: the local gates still apply, and a request never fails because of the store.

While no workspace rate is learned, a :class:`~aelyst_async._throttle.policy.WarmingLimitStore`
holds every process's warm-up in one bucket at this client's warm-up allowance (its burst
included), so processes started together warm up as one client would instead of each sending
its own burst; a wait there counts as the rate holding this client back (the warm-up grows),
and the store's learned rate is read every ``WARM_TICK`` periods until there is one.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Awaitable
from typing import TypeVar

from .._clock import LOOP_CLOCK, Clock
from .learning import MAX_SCALE, WARM_TICK, WorkspaceLearner
from .policy import CountingLimitStore, LimitStore, WarmingLimitStore
from .workspace import WorkspaceGate

log = logging.getLogger("aelyst_async")
T = TypeVar("T")


class SharedBudget:
    """One client's use of a store: booking, the learned rate both ways, everyone's count."""

    def __init__(
        self,
        store: LimitStore,
        gate: WorkspaceGate,
        period: float,
        max_wait: float,
        clock: Clock = LOOP_CLOCK,
    ) -> None:
        self.store, self._gate, self._period, self._clock = store, gate, period, clock
        self._max_wait = max_wait  # the longest wait a store's answer may impose
        self._failed = False
        self._polled = -float("inf")
        counting = isinstance(store, CountingLimitStore) and gate.learner is not None
        self._sends: deque[float] | None = deque() if counting else None  # ~2 periods
        self._warming = isinstance(store, WarmingLimitStore) and gate.learner is not None

    def reset(self) -> None:
        self._polled = -float("inf")
        if self._sends is not None:
            self._sends.clear()

    async def call(self, call: Awaitable[T], fallback: T) -> T:
        """The store's answer, or ``fallback`` when it raises (logged once until it recovers)."""
        try:
            result = await call
        except Exception as exc:
            if not self._failed:
                self._failed = True
                log.warning(
                    "aelyst_async: the shared limit store failed (%s: %s); this client keeps to "
                    "its own throttle until the store answers again",
                    type(exc).__name__,
                    exc,
                )
            return fallback
        if self._failed:
            self._failed = False
            log.info("aelyst_async: the shared limit store answers again")
        return result

    async def reserve(
        self, key: str, limit: int, now: float, deadline: float | None = None
    ) -> tuple[float, float]:
        """Book one request: ``(warmed, delay)``, the seconds it waited for everyone's warm-up
        while this client warms up (see the module doc) and the seconds still to wait (0 when
        the store says so or fails); TimeoutError when the warm-up's wait would pass
        ``deadline``."""
        learner = self._gate.learner
        warmed = 0.0
        if learner is not None and learner.rate is None and self._warming:
            start, now = now, await self._warm_up(learner, now, deadline)
            warmed = now - start
        if learner is not None and now - self._polled >= self._poll_every(learner):
            self._polled = now
            shared = await self.call(self.store.get_workspace_limit(), None)
            proven = learner.proven
            # a lower rate: someone was refused; a higher one: someone proved it (a probe of
            # this client above the shared rate goes on)
            if shared is not None and (
                proven is None or shared < proven or shared > learner.allowance
            ):
                self._gate.adopt(shared, now)
            if self._sends is not None:
                await self._rescale(learner, now)
        delay = await self.call(
            self.store.reserve(
                key, limit=limit, workspace=self._gate.learned_or_configured, period=self._period
            ),
            0.0,
        )
        if not delay > 0:  # 0, negative or NaN: send now
            return warmed, 0.0
        return warmed, min(delay, self._max_wait)

    def _poll_every(self, learner: WorkspaceLearner) -> float:
        """Seconds between two reads of the store's learned rate."""
        warming = self._warming and learner.rate is None
        return WARM_TICK * self._period if warming else self._period

    async def _warm_up(
        self, learner: WorkspaceLearner, now: float, deadline: float | None
    ) -> float:
        """Take a token of everyone's warm-up (until a rate is learned or adopted); the time."""
        store = self.store
        assert isinstance(store, WarmingLimitStore)
        while learner.rate is None:
            if now - self._polled >= self._poll_every(learner):
                self._polled = now
                shared = await self.call(store.get_workspace_limit(), None)
                if shared is not None:
                    self._gate.adopt(shared, now)
                    break
            rate = learner.allowance
            taken = store.warm_up(rate=rate, burst=max(1.0, rate / 2), period=self._period)
            wait = await self.call(taken, 0.0)
            if not wait > 0:  # taken (0, negative or NaN: go)
                break
            if deadline is not None and now + min(wait, self._max_wait) > deadline:
                raise TimeoutError
            # ask again at least every poll: a rate published meanwhile ends the warm-up
            await self._clock.sleep(min(wait, self._max_wait, self._poll_every(learner)))
            now = self._clock.time()
            learner.held_back(now)
        return now

    def sent(self, now: float) -> None:
        sends = self._sends
        if sends is None:
            return
        sends.append(now)
        horizon = now - 2 * self._period
        while sends[0] <= horizon:
            sends.popleft()

    async def pause(self, seconds: float) -> None:
        await self.call(self.store.pause(seconds), None)

    async def publish(self, rate: float) -> None:
        await self.call(self.store.set_workspace_limit(rate), None)

    async def refused(self, learner: WorkspaceLearner, sent_at: float, epoch: int) -> bool:
        """A workspace 429 while the store is shared; True when this client lowered the rate.

        Another client may have lowered the shared rate for this very burst already: take its
        rate. Otherwise lower it from the store's count of what every client sent in the period
        before the refused request (the server admitted those), or this client's own count when
        the store cannot tell.
        """
        if self._sends is None or epoch != learner.epoch:
            return learner.refused(sent_at, epoch, self._now())
        shared = await self.call(self.store.get_workspace_limit(), None)
        if shared is not None and (learner.rate is None or shared < learner.rate):
            self._gate.adopt(shared, self._now())
            return False
        assert isinstance(self.store, CountingLimitStore)
        ago = min(max(self._now() - sent_at, 0.0), self._period)
        booked = await self.call(self.store.booked(self._period, ago=ago), None)
        count = None if booked is None else max(0, booked - 1)  # less the refused one itself
        return learner.refused(sent_at, epoch, self._now(), count=count)

    async def _rescale(self, learner: WorkspaceLearner, now: float) -> None:
        """Set the learner's scale: everyone's sends per send of this client in the last
        period, from the store; 1 when the store cannot tell."""
        store, sends = self.store, self._sends
        assert isinstance(store, CountingLimitStore)
        assert sends is not None
        total = await self.call(store.booked(self._period), None)
        if total is None:
            learner.scale = 1.0  # no shared view: this client's own count is all there is
            return
        mine = sum(1 for t in sends if t > now - self._period)
        if mine > 0 and total >= 0:
            learner.scale = min(MAX_SCALE, max(1.0, total / mine))

    def _now(self) -> float:
        return self._clock.time()
