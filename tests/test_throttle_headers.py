"""Header hygiene (issue 23): absurd, listed and sub-second rate-limit headers."""

from __future__ import annotations

import pytest

from aelyst_async._sansio.ratelimit import RateLimit, parse_retry_after
from aelyst_async._throttle import RateLimitPolicy, Throttle
from aelyst_async._throttle.paths import MAX_PATH_LIMIT, PathBudget
from tests.test_throttle import WINDOW, call, limits, now
from tests.virtual_time import virtual_time


@pytest.mark.parametrize("limit", [20_000_000, 100_000_000, 10**18])
def test_an_absurd_limit_with_nothing_remaining_is_one_counted_entry(limit: int) -> None:
    budget = PathBudget(5, 1.0, 0.0)
    seq = budget.sent(0.0)
    budget.answered(seq, 0.0, limit, 0, 0.01)
    assert budget.limit == MAX_PATH_LIMIT  # clamped to the documented range
    assert budget.logged == MAX_PATH_LIMIT  # the window is full ...
    assert len(budget.log) <= 2  # ... in one counted entry beside the request sent
    assert budget.ready_in(0.01) == pytest.approx(WINDOW - 0.01)  # and the path waits it out


@virtual_time
async def test_a_path_told_20_million_with_none_remaining_waits_one_window() -> None:
    throttle = Throttle(RateLimitPolicy())
    await call(throttle, headers=limits(20_000_000, 0))
    sent = await call(throttle)
    assert sent == pytest.approx(WINDOW, abs=1e-6)
    sizes = [len(b.log) for b in throttle._paths._budgets.values()]
    assert max(sizes) <= 3


def test_a_limit_listed_twice_with_one_value_is_read() -> None:
    assert RateLimit.from_headers({"X-RateLimit-Limit": "2, 2"}).limit == 2
    assert RateLimit.from_headers({"X-RateLimit-Remaining": "0,0"}).remaining == 0
    assert RateLimit.from_headers({"X-RateLimit-Limit": "2, 3"}).limit is None  # they disagree
    assert RateLimit.from_headers({"X-RateLimit-Limit": "2,"}).limit is None


@pytest.mark.parametrize(
    ("raw", "seconds"), [("0.001", 1.0), ("0.5", 1.0), ("1.5", 1.5), ("0", 0.0)]
)
def test_a_sub_second_retry_after_counts_as_one_second(raw: str, seconds: float) -> None:
    assert parse_retry_after(raw) == seconds


@virtual_time
async def test_a_sub_second_retry_after_does_not_make_a_storm() -> None:
    throttle = Throttle(RateLimitPolicy())
    sent = 0
    while now() < 10.0:  # a server refusing everything with Retry-After: 0.001
        await call(throttle, status=429, headers=limits(5, 0, "0.001"))
        sent += 1
    assert sent <= 11  # one a second, not hundreds
