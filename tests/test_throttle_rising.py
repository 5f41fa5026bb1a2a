"""A hidden limit that rises is followed within seconds (virtual time, 250 ms round trips)."""

from __future__ import annotations

import asyncio
import random

import pytest

from aelyst_async import RateLimitPolicy, RetryPolicy
from aelyst_async._send import Sender
from aelyst_async._throttle import Throttle
from tests.test_throttle_latency import DistantAPI, bulk_like
from tests.virtual_time import run

RISE, END = 8.0, 20.0


def first_second_at(api: DistantAPI, start: float, end: float, rate: float) -> float | None:
    """Seconds from ``start`` until one second's admitted requests first reach ``rate``."""
    t = start
    while t + 1.0 <= end:
        if api.admitted(t, t + 1.0) >= rate:
            return t - start
        t += 0.1
    return None


def test_a_limit_that_rises_sixfold_is_found_by_doubling_within_seconds() -> None:
    api = DistantAPI("fixed", workspace=25)

    async def main() -> None:
        asyncio.get_running_loop().call_at(RISE, setattr, api.hidden, "limit", 150)
        throttle = Throttle(RateLimitPolicy())
        sender = Sender(api, throttle=throttle, retry=RetryPolicy(), rng=random.Random(1))
        await bulk_like(sender, END)

    run(main())
    # a 5% step proven every 2 periods took 14 s to reach 102/s; now a rate proven above the
    # last refused one doubles every window until the risen limit refuses it
    reached = first_second_at(api, RISE, END, 0.9 * 150)
    assert reached is not None and reached <= 8.0, reached
    assert api.admitted(RISE + 8.0, END) >= 0.85 * 150 * (END - RISE - 8.0)
    limited, answers = api.refused(RISE + 8.0, END)
    assert limited <= 0.03 * answers, (limited, answers)


@pytest.mark.parametrize("seed", [5, 6])
def test_a_limit_that_fell_in_bounded_steps_and_rose_again_is_found(seed: int) -> None:
    """100 -> 25 -> 150/s: the fall takes several decreases (each at most a halving), so the
    rate last refused stays far above 25/s; the count of the refused windows shows the rise."""
    api = DistantAPI("fixed", workspace=100, seed=seed)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        loop.call_at(5.0, setattr, api.hidden, "limit", 25)
        loop.call_at(10.0, setattr, api.hidden, "limit", 150)
        throttle = Throttle(RateLimitPolicy())
        sender = Sender(api, throttle=throttle, retry=RetryPolicy(), rng=random.Random(1))
        await bulk_like(sender, END)

    run(main())
    # judged against the rate last refused alone, these runs never reached 0.9 of 150/s
    reached = first_second_at(api, 10.0, END, 0.9 * 150)
    assert reached is not None and reached <= 6.0, reached
