"""The throttle's fast path: a request that finds every gate open passes at once, with one clock
read, and is counted as every other request; one that finds anyone ahead, a pause or a full
window takes the path in turn."""

from __future__ import annotations

import asyncio

from aelyst_async import RateLimitPolicy
from aelyst_async._clock import Clock
from aelyst_async._sansio.ratelimit import RateLimit
from aelyst_async._throttle import Throttle

KEY = "POST /contact/create_or_update/email:a@example.com"


class CountingClock(Clock):
    """A clock that stands still at ``now`` and counts its reads; sleeping moves it."""

    def __init__(self) -> None:
        self.now = 100.0
        self.reads = 0

    def time(self) -> float:
        self.reads += 1
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


async def test_an_open_gate_costs_one_clock_read_to_acquire_and_one_to_observe() -> None:
    clock = CountingClock()
    throttle = Throttle(RateLimitPolicy(per_path=5), clock=clock)
    await throttle.acquire("GET /warm-up")  # binding to the loop reads the clock too
    reads = clock.reads
    permit = await throttle.acquire(KEY)
    assert clock.reads == reads + 1
    await throttle.observe(permit, 200, RateLimit())
    assert clock.reads == reads + 2


async def test_every_request_of_the_fast_path_is_counted_and_learned_from() -> None:
    clock = CountingClock()
    throttle = Throttle(RateLimitPolicy(), clock=clock)  # learning: the warm-up allowance
    permits = [await throttle.acquire(f"GET /contact/id:{i}") for i in range(1, 6)]
    learner = throttle._gate.learner  # (made afresh when the throttle bound to this loop)
    assert learner is not None
    assert throttle._in_flight == 5
    assert len(learner._sent) == 5
    assert learner._in_flight == 5  # the peak in flight, for the warm-up's ceiling
    for permit in permits:
        await throttle.observe(permit, 200, RateLimit())
    assert throttle._in_flight == 0
    assert len(learner._admitted) == 5
    assert all(p.waited == 0.0 for p in permits)


async def test_a_full_window_or_a_pause_takes_the_slow_path_and_waits() -> None:
    clock = CountingClock()
    throttle = Throttle(RateLimitPolicy(per_path=1, period=1.0), clock=clock)
    first = await throttle.acquire(KEY)
    await throttle.observe(first, 200, RateLimit())
    second = await throttle.acquire(KEY)  # the window holds one: it waits out the period
    assert second.sent_at > first.sent_at + 1.0
    assert second.waited > 1.0
    await throttle.observe(second, 429, RateLimit(retry_after=5.0))
    third = await throttle.acquire("GET /contact/id:9")  # another path, but the client pauses
    assert third.sent_at >= second.sent_at + 5.0
