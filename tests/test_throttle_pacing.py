"""Pacing at high rates: timers that wake late lose no rate (virtual time, counts only)."""

from __future__ import annotations

import asyncio

import pytest

from aelyst_async import RateLimitPolicy
from aelyst_async._clock import Clock
from aelyst_async._sansio.ratelimit import RateLimit
from aelyst_async._throttle import Throttle
from aelyst_async._throttle.bucket import Bucket
from tests.virtual_time import virtual_time

LATE = 0.001
"""Every sleep of the clock ends this much late, as a busy event loop's timers do."""


class LateClock(Clock):
    def __init__(self, late: float = LATE) -> None:
        self.late = late

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds + self.late)


async def send_for(throttle: Throttle, seconds: float, workers: int = 64) -> list[float]:
    """Send times of distinct contacts from ``workers`` tasks for ``seconds``."""
    loop = asyncio.get_running_loop()
    sent: list[float] = []

    async def worker(w: int) -> None:
        i = 0
        while True:
            i += 1
            permit = await throttle.acquire(f"POST /contact/create_or_update/id:{w}-{i}")
            if loop.time() >= seconds:
                return
            sent.append(loop.time())
            await throttle.observe(permit, 200, RateLimit())

    await asyncio.gather(*(worker(w) for w in range(workers)))
    return sent


def most_in_a_second(times: list[float]) -> int:
    times = sorted(times)
    most, start = 0, 0
    for end, t in enumerate(times):
        while times[start] <= t - 1.0:
            start += 1
        most = max(most, end - start + 1)
    return most


@virtual_time
async def test_a_configured_500_per_second_is_sent_although_every_timer_wakes_late() -> None:
    throttle = Throttle(RateLimitPolicy(workspace=500), clock=LateClock())
    sent = await send_for(throttle, 10.0)
    assert len(sent) >= 4850  # one token per late wake-up sent 3,333
    assert most_in_a_second(sent) <= 500 + 5 + 1  # the slack: 1% of a period's tokens


@virtual_time
async def test_a_configured_rate_without_late_timers_is_sent_evenly() -> None:
    throttle = Throttle(RateLimitPolicy(workspace=200))
    sent = await send_for(throttle, 5.0)
    assert len(sent) >= 995
    assert most_in_a_second(sent) <= 200 + 2 + 1


async def bucket_times(bucket: Bucket, count: int, clock: Clock | None = None) -> list[float]:
    loop, times = asyncio.get_running_loop(), []

    async def one() -> None:
        await bucket.take(clock=clock or LateClock())
        times.append(loop.time())

    await asyncio.gather(*(one() for _ in range(count)))
    return times


@virtual_time
async def test_a_line_is_credited_its_late_timers_but_never_sent_early() -> None:
    punctual = [i * 0.002 for i in range(100)]  # 500/s, one token at a time
    times = await bucket_times(Bucket(1, 0.002, slack=5), 100)
    assert all(t >= due - 1e-9 for t, due in zip(times, punctual, strict=True))
    assert times[-1] <= punctual[-1] + 2 * LATE  # no rate lost to the late timers
    uncredited = await bucket_times(Bucket(1, 0.002), 100)
    assert uncredited[-1] - uncredited[0] >= 99 * (0.002 + LATE) - 1e-6  # a timer per token


@virtual_time
async def test_credit_is_bounded_by_the_slack_and_dropped_when_the_line_empties() -> None:
    clock = LateClock(0.01)  # 5 tokens late at 500/s
    bucket = Bucket(1, 0.002, slack=2)
    times = await bucket_times(bucket, 7, clock)
    # one token at once, then per late wake-up: its own and the 2 credited (not all 5 due)
    assert times == pytest.approx([0, 0.012, 0.012, 0.012, 0.024, 0.024, 0.024], abs=1e-6)
    await asyncio.sleep(1.0)
    assert await bucket_times(bucket, 2, clock) == pytest.approx([1.024, 1.024 + 0.012], abs=1e-6)
    # the second was credited 2 and used 1; the line is empty now, so the next one, taken at
    # once, drops the leftover: newcomers wait for a whole token (and its late timer) again
    await bucket.take(clock=clock)
    start = asyncio.get_running_loop().time()
    later = await bucket_times(bucket, 2, clock)
    assert later == pytest.approx([start + 0.012, start + 0.012], abs=1e-6)
