"""The throttle's gates, on a virtual clock: per-path budgets, the workspace, the pause."""

from __future__ import annotations

import asyncio
import email.utils
import logging
import math
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone

import pytest

from aelyst_async import LimitStore, RateLimitPolicy, ThrottleSnapshot, WaitEvent
from aelyst_async._sansio.ratelimit import RateLimit
from aelyst_async._throttle import Throttle
from aelyst_async._throttle.learning import MARGIN, PROVE_PERIODS, WARM_START
from aelyst_async._throttle.paths import SEND_MARGIN
from aelyst_async._throttle.throttle import HEADROOM
from tests.virtual_time import run, virtual_time

KEEP = 1 - MARGIN  # the share of a counted window the learner keeps

WINDOW = 1.0 + SEND_MARGIN
"""A path's window as the client keeps it: a period from the send, and a margin for jitter."""
KEY = "POST /contact/create_or_update/email:a@example.com"
OTHER = "POST /contact/create_or_update/email:b@example.com"


def now() -> float:
    return asyncio.get_running_loop().time()


def limits(limit: int, remaining: int, retry_after: str | None = None) -> RateLimit:
    headers = {"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": str(remaining)}
    if retry_after is not None:
        headers["Retry-After"] = retry_after
    return RateLimit.from_headers(headers)


async def call(
    throttle: Throttle,
    key: str = KEY,
    status: int = 200,
    headers: Mapping[str, str] | RateLimit | None = None,
    latency: float = 0.0,
) -> float:
    """One request through the throttle: returns when it was sent."""
    permit = await throttle.acquire(key)
    sent = now()
    if latency:
        await asyncio.sleep(latency)
    facts = headers if isinstance(headers, RateLimit) else RateLimit.from_headers(headers or {})
    await throttle.observe(permit, status, facts)
    return sent


def max_in_window(times: list[float], period: float = 1.0) -> int:
    """The most send times within any half-open window of ``period`` (a sliding server's view)."""
    times = sorted(times)
    return max(sum(1 for u in times if t - period < u <= t + 1e-9) for t in times)


# -- the policy ----------------------------------------------------------------------------------


def test_policy_defaults_are_the_documented_ones() -> None:
    policy = RateLimitPolicy()
    assert (policy.per_path, policy.period, policy.workspace) == (5, 1.0, None)
    assert (policy.adaptive, policy.shared) == (True, None)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"per_path": 0}, "per_path must be an int >= 1"),
        ({"per_path": 2.5}, "per_path must be an int >= 1"),
        ({"per_path": True}, "per_path must be an int >= 1"),
        ({"period": 0}, "period must be a finite number > 0"),
        ({"period": float("inf")}, "period must be a finite number > 0"),
        ({"workspace": -5}, "workspace must be a finite number > 0 or None"),
        ({"workspace": "50"}, "workspace must be a finite number > 0 or None"),
        ({"adaptive": 1}, "adaptive must be True or False"),
        ({"shared": object()}, "shared must be a LimitStore"),
    ],
)
def test_policy_refuses_bad_arguments_clearly(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RateLimitPolicy(**kwargs)  # type: ignore[arg-type]


def test_policy_arguments_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        RateLimitPolicy(5)  # type: ignore[call-arg]


# -- per-path budgets ----------------------------------------------------------------------------


@virtual_time
async def test_each_method_and_path_has_its_own_budget() -> None:
    throttle = Throttle(RateLimitPolicy(per_path=2))
    a = [await call(throttle, KEY) for _ in range(3)]
    b = [await call(throttle, OTHER) for _ in range(2)]
    assert a[:2] == pytest.approx([0, 0], abs=1e-6)
    assert a[2] == pytest.approx(WINDOW, abs=1e-6)  # KEY spent its 2 at t=0
    assert b == pytest.approx([WINDOW, WINDOW], abs=1e-6)  # OTHER was never held by KEY's budget
    other_method = await call(throttle, "GET /contact/email:a@example.com")
    assert other_method == pytest.approx(WINDOW, abs=1e-6)


@virtual_time
async def test_seeded_budget_never_puts_more_than_per_path_in_any_period() -> None:
    throttle = Throttle(RateLimitPolicy(per_path=5, period=1.0))
    times = [await call(throttle, latency=0.01) for _ in range(23)]
    assert times[:5] == pytest.approx([0, 0.01, 0.02, 0.03, 0.04], abs=1e-6)
    # a leaky bucket alone would let the 6th go at 0.2: the window of the 1st send holds it
    assert times[5] == pytest.approx(WINDOW, abs=1e-6)
    assert max_in_window(times) == 5


@virtual_time
async def test_the_announced_limit_refits_the_bucket_limit_10_allows_10() -> None:
    throttle = Throttle(RateLimitPolicy(per_path=5))
    times = []
    for remaining in range(9, -1, -1):
        permit = await throttle.acquire(KEY)
        times.append(now())
        await throttle.observe(permit, 200, limits(10, remaining))
    assert times == pytest.approx([0.0] * 10, abs=1e-6)
    eleventh = await call(throttle, headers=limits(10, 9))
    assert eleventh == pytest.approx(WINDOW, abs=1e-6)


@virtual_time
async def test_remaining_0_waits_a_window_from_the_send_that_spent_it_not_its_answer() -> None:
    throttle = Throttle(RateLimitPolicy(per_path=5))
    await call(throttle, headers=limits(5, 0), latency=0.5)  # sent at 0, answered at 0.5
    sent = await call(throttle)
    assert sent == pytest.approx(WINDOW, abs=1e-6)  # the server's window began at the send


@virtual_time
async def test_the_servers_remaining_is_trusted_over_the_local_bucket() -> None:
    throttle = Throttle(RateLimitPolicy(per_path=5))
    # another process used this path: only 2 left after the first request
    times = [await call(throttle, headers=limits(5, 2))]
    times += [await call(throttle, headers=limits(5, r)) for r in (1, 0)]
    times.append(await call(throttle))
    assert times[:3] == pytest.approx([0, 0, 0], abs=1e-6)
    assert times[3] == pytest.approx(WINDOW, abs=1e-6)


@virtual_time
async def test_requests_in_flight_are_counted_against_the_servers_remaining() -> None:
    throttle = Throttle(RateLimitPolicy(per_path=5))
    first = await throttle.acquire(KEY)
    second = await throttle.acquire(KEY)  # in flight while the first answer arrives
    await throttle.observe(first, 200, limits(5, 1))  # 1 left, but `second` will take it
    third = asyncio.create_task(throttle.acquire(KEY))
    await asyncio.sleep(0.5)
    assert not third.done()
    await throttle.observe(second, 200, limits(5, 0))
    permit = await third
    assert now() == pytest.approx(WINDOW, abs=1e-6)  # a window after the sends that spent it
    await throttle.observe(permit, 200, limits(5, 4))


@virtual_time
async def test_an_older_answer_does_not_override_a_newer_one() -> None:
    throttle = Throttle(RateLimitPolicy(per_path=5))
    first = await throttle.acquire(KEY)
    second = await throttle.acquire(KEY)
    await throttle.observe(second, 200, limits(5, 0))  # newest: spent
    await throttle.observe(first, 200, limits(5, 4))  # older, arriving late
    sent = await call(throttle)
    assert sent == pytest.approx(WINDOW, abs=1e-6)


@virtual_time
async def test_remaining_above_the_local_view_releases_a_local_hold() -> None:
    throttle = Throttle(RateLimitPolicy(per_path=1))
    await call(throttle, headers=limits(3, 2))  # the server allows 3 here, not 1
    times = [await call(throttle, headers=limits(3, r)) for r in (1, 0)]
    assert times == pytest.approx([0, 0], abs=1e-6)


@virtual_time
async def test_waiters_on_one_path_are_served_first_come_first_served() -> None:
    throttle = Throttle(RateLimitPolicy(per_path=1, period=1.0))
    order: list[int] = []

    async def one(i: int) -> None:
        await call(throttle)
        order.append(i)

    tasks = []
    for i in range(8):
        tasks.append(asyncio.create_task(one(i)))
        await asyncio.sleep(0)
    await asyncio.gather(*tasks)
    assert order == list(range(8))
    assert now() == pytest.approx(7 * WINDOW, abs=1e-5)


@virtual_time
async def test_a_waiter_cancelled_at_its_path_leaks_no_budget() -> None:
    throttle = Throttle(RateLimitPolicy(per_path=1, period=1.0))
    await call(throttle)
    doomed = asyncio.create_task(throttle.acquire(KEY))
    later = asyncio.create_task(call(throttle))
    await asyncio.sleep(0.3)
    doomed.cancel()
    with pytest.raises(asyncio.CancelledError):
        await doomed
    assert await later == pytest.approx(WINDOW, abs=1e-6)  # the cancelled one's turn, not after
    assert await call(throttle) == pytest.approx(2 * WINDOW, abs=1e-6)


@virtual_time
async def test_a_waiter_cancelled_at_the_workspace_leaks_no_workspace_token() -> None:
    throttle = Throttle(RateLimitPolicy(workspace=1, period=1.0))
    await call(throttle, "POST /k0")
    doomed = asyncio.create_task(throttle.acquire("POST /k1"))
    later = asyncio.create_task(call(throttle, "POST /k2"))
    await asyncio.sleep(0.5)
    doomed.cancel()
    with pytest.raises(asyncio.CancelledError):
        await doomed
    assert await later == pytest.approx(1.0, abs=1e-6)
    assert await call(throttle, "POST /k3") == pytest.approx(2.0, abs=1e-6)
    assert throttle.snapshot().paths <= 4


# -- the workspace -------------------------------------------------------------------------------


@virtual_time
async def test_a_configured_workspace_rate_paces_all_paths_together() -> None:
    throttle = Throttle(RateLimitPolicy(workspace=10, period=1.0))
    times = await asyncio.gather(*(call(throttle, f"POST /p/{i}") for i in range(30)))
    assert sorted(times) == pytest.approx([i * 0.1 for i in range(30)], abs=1e-6)
    assert max_in_window(list(times)) <= 10
    snap = throttle.snapshot()
    assert (snap.workspace_rate, snap.workspace_source) == (10.0, "configured")


@virtual_time
async def test_a_429_while_the_path_had_budget_teaches_the_workspace_rate() -> None:
    throttle = Throttle(RateLimitPolicy())
    assert throttle.snapshot().workspace_source == "none"
    for i in range(40):  # 40 distinct paths admitted, then the hidden limit
        await call(throttle, f"POST /p/{i}", headers=limits(5, 4))
    await call(throttle, "POST /p/x", status=429, headers=limits(5, 4, retry_after="1"))
    snap = throttle.snapshot()
    assert snap.workspace_source == "learned"
    assert snap.workspace_rate == pytest.approx(40 * KEEP)
    times = await asyncio.gather(*(call(throttle, f"POST /q/{i}") for i in range(39)))
    assert min(times) >= 1.0 - 1e-6  # the pause
    assert max_in_window(list(times)) <= 40
    assert max(times) - min(times) == pytest.approx(38 / (40 * KEEP), abs=0.05)


@virtual_time
async def test_a_429_with_the_path_spent_teaches_nothing_about_the_workspace() -> None:
    throttle = Throttle(RateLimitPolicy())
    for i in range(10):
        await call(throttle, f"POST /p/{i}", headers=limits(5, 4))
    await call(throttle, KEY, status=429, headers=limits(5, 0, retry_after="1"))
    assert throttle.snapshot().workspace_source == "none"
    await call(throttle, OTHER, status=429, headers={"Retry-After": "1"})  # no Remaining
    assert throttle.snapshot().workspace_source == "none"


@virtual_time
async def test_a_learned_rate_in_use_without_refusals_probes_upward_within_seconds() -> None:
    throttle = Throttle(RateLimitPolicy())
    for i in range(20):
        await call(throttle, f"POST /warm/{i}", headers=limits(5, 4))
    await call(throttle, "POST /warm/x", status=429, headers=limits(5, 4, "1"))
    learned = throttle.snapshot().workspace_rate
    assert learned == pytest.approx(20 * KEEP)
    rates: list[tuple[float, float]] = []

    async def one(i: int) -> None:
        await call(throttle, f"POST /s/{i}", latency=0.25)
        snap = throttle.snapshot()
        assert snap.workspace_rate is not None
        rates.append((now(), snap.workspace_rate))

    await asyncio.gather(*(one(i) for i in range(400)))
    assert [r for _, r in rates] == sorted(r for _, r in rates)  # nothing refused: only up
    first_rise = min(t for t, r in rates if r > learned)
    # within seconds of the pause's end: the learned rate, then the probe above it, proven
    assert first_rise <= 1.0 + 2 * PROVE_PERIODS + 1.0
    snap = throttle.snapshot()
    assert snap.workspace_rate is not None and snap.workspace_rate > 2 * learned
    assert snap.workspace_best is not None and snap.workspace_best >= learned


# -- the client-wide pause -----------------------------------------------------------------------


@virtual_time
async def test_a_429_pauses_every_other_task_until_its_retry_after() -> None:
    throttle = Throttle(RateLimitPolicy())
    await call(throttle, KEY, status=429, headers=limits(5, 0, retry_after="3"))
    assert throttle.snapshot().paused_for == pytest.approx(3.0, abs=1e-6)
    others = await asyncio.gather(*(call(throttle, f"POST /other/{i}") for i in range(5)))
    assert min(others) == pytest.approx(3.0, abs=1e-6)
    assert throttle.snapshot().paused_for == 0.0


@virtual_time
async def test_a_pause_also_holds_tasks_already_waiting() -> None:
    throttle = Throttle(RateLimitPolicy(workspace=2, period=1.0))
    refused = asyncio.create_task(  # sent at 0, answered at 0.6: 429, Retry-After 5
        call(throttle, "POST /w/0", status=429, headers=limits(5, 0, "5"), latency=0.6)
    )
    waiting = [asyncio.create_task(call(throttle, f"POST /w/{i}")) for i in range(1, 4)]
    times = sorted(await asyncio.gather(refused, *waiting))
    assert times[:2] == pytest.approx([0.0, 0.5], abs=1e-6)
    assert min(times[2:]) >= 5.6 - 1e-6


@virtual_time
async def test_retry_after_as_an_http_date() -> None:
    throttle = Throttle(RateLimitPolicy())
    when = datetime.now(timezone.utc) + timedelta(seconds=120)
    date = email.utils.format_datetime(when, usegmt=True)
    await call(throttle, KEY, status=429, headers={"Retry-After": date})
    sent = await call(throttle, OTHER)
    assert 115.0 <= sent <= 121.0  # the date has whole seconds; the wall clock moved a little


@virtual_time
async def test_a_429_without_retry_after_pauses_one_period() -> None:
    throttle = Throttle(RateLimitPolicy(period=2.0))
    await call(throttle, KEY, status=429)
    assert await call(throttle, OTHER) == pytest.approx(2.0, abs=1e-6)


@virtual_time
async def test_not_adaptive_ignores_the_headers() -> None:
    throttle = Throttle(RateLimitPolicy(per_path=2, adaptive=False))
    times = [await call(throttle, headers=limits(10, 9)) for _ in range(3)]
    assert times[2] == pytest.approx(WINDOW, abs=1e-6)  # still 2 per period
    await call(throttle, OTHER, status=429, headers=limits(5, 4, retry_after="30"))
    assert throttle.snapshot().paused_for == pytest.approx(1.0, abs=1e-6)  # one period
    assert throttle.snapshot().workspace_source == "none"


# -- memory --------------------------------------------------------------------------------------


@virtual_time
async def test_budgets_of_idle_paths_are_dropped() -> None:
    throttle = Throttle(RateLimitPolicy(workspace=500, period=1.0))
    most = 0
    for chunk in range(100):
        keys = [f"POST /contact/create_or_update/id:{chunk * 100 + i}" for i in range(100)]
        await asyncio.gather(*(call(throttle, k, headers=limits(5, 4)) for k in keys))
        most = max(most, throttle.snapshot().paths)
    assert now() == pytest.approx(20.0, abs=0.01)  # 10,000 keys at 500/s
    assert most <= 1100  # about two periods' worth, not 10,000


@virtual_time
async def test_a_path_in_use_is_never_dropped() -> None:
    throttle = Throttle(RateLimitPolicy(period=1.0))
    slow = await throttle.acquire(KEY)  # in flight for a long time
    for i in range(50):
        await asyncio.sleep(0.1)
        await call(throttle, f"POST /x/{i}")
    await throttle.observe(slow, 200, limits(1, 0))  # the server allows 1 here, not 5
    # the answer still applied to the budget in use: one at 5.0, the next a window later
    assert [await call(throttle, KEY) for _ in range(2)] == pytest.approx([5.0, 5.0 + WINDOW])


# -- observability -------------------------------------------------------------------------------


@virtual_time
async def test_on_wait_is_called_for_each_wait_with_its_gate(
    caplog: pytest.LogCaptureFixture,
) -> None:
    events: list[WaitEvent] = []
    throttle = Throttle(RateLimitPolicy(per_path=1, workspace=2), on_wait=events.append)
    caplog.set_level(logging.DEBUG, logger="aelyst_async")
    await call(throttle, KEY)
    await call(throttle, KEY)  # waits for its path
    await call(throttle, KEY, status=429, headers=limits(1, 0, retry_after="2"))
    await call(throttle, OTHER)  # waits for the pause
    reasons = [e.reason for e in events]
    assert reasons[:1] == ["path"] and "pause" in reasons
    assert all(e.seconds > 0 for e in events)
    assert events[0] == WaitEvent(KEY, "path", pytest.approx(WINDOW, abs=1e-6))  # type: ignore[arg-type]
    assert any("waited" in r.getMessage() for r in caplog.records)
    assert any("429" in r.getMessage() for r in caplog.records)


@virtual_time
async def test_a_failing_on_wait_hook_is_logged_and_ignored(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(event: WaitEvent) -> None:
        raise RuntimeError("hook bug")

    throttle = Throttle(RateLimitPolicy(per_path=1), on_wait=broken)
    await call(throttle)
    assert await call(throttle) == pytest.approx(WINDOW, abs=1e-6)
    assert "on_wait hook raised" in caplog.text


@virtual_time
async def test_permits_report_their_wait() -> None:
    throttle = Throttle(RateLimitPolicy(per_path=1))
    first = await throttle.acquire(KEY)
    await throttle.observe(first, 200, RateLimit())
    second = await throttle.acquire(KEY)
    assert first.waited == 0.0
    assert second.waited == pytest.approx(WINDOW, abs=1e-6)
    throttle.release(second)


def test_snapshot_before_any_request() -> None:
    snap = Throttle(RateLimitPolicy()).snapshot()
    assert snap == ThrottleSnapshot(
        period=1.0,
        paths=0,
        workspace_rate=None,
        workspace_source="none",
        workspace_best=None,
        paused_for=0.0,
    )


def test_a_throttle_can_move_to_another_event_loop() -> None:
    throttle = Throttle(RateLimitPolicy(per_path=1))
    assert run(call(throttle)) == pytest.approx(0.0, abs=1e-6)
    assert run(call(throttle)) == pytest.approx(0.0, abs=1e-6)  # fresh limiters, fresh clock


# -- the shared store seam -----------------------------------------------------------------------


class FakeStore:
    """An in-memory LimitStore that records what the throttle asks of it."""

    def __init__(self, delay: float = 0.0, learned: float | None = None) -> None:
        self.delay, self.learned = delay, learned
        self.reserved: list[tuple[str, float, float | None, float]] = []
        self.paused: list[float] = []
        self.published: list[float] = []

    async def reserve(
        self, key: str, *, limit: float, workspace: float | None, period: float
    ) -> float:
        self.reserved.append((key, limit, workspace, period))
        return self.delay

    async def pause(self, seconds: float) -> None:
        self.paused.append(seconds)

    async def get_workspace_limit(self) -> float | None:
        return self.learned

    async def set_workspace_limit(self, rate: float) -> None:
        self.published.append(rate)


def test_the_fake_store_satisfies_the_protocol() -> None:
    assert isinstance(FakeStore(), LimitStore)
    RateLimitPolicy(shared=FakeStore())


@virtual_time
async def test_the_shared_store_is_consulted_and_its_delay_honoured() -> None:
    store = FakeStore(delay=0.25)
    events: list[WaitEvent] = []
    throttle = Throttle(RateLimitPolicy(shared=store), on_wait=events.append)
    assert await call(throttle, KEY, headers=limits(5, 4)) == pytest.approx(0.25, abs=1e-6)
    assert store.reserved == [(KEY, 5, None, 1.0)]
    assert [e.reason for e in events] == ["shared"]
    store.delay = 0.0
    for i in range(10):
        await call(throttle, f"POST /p/{i}", headers=limits(5, 4))
    await call(throttle, OTHER, status=429, headers=limits(5, 4, retry_after="2"))
    assert store.paused == [2.0]
    assert store.published == [pytest.approx(11 * KEEP)]  # KEY and the 10 others


@virtual_time
async def test_a_workspace_rate_learned_elsewhere_is_adopted() -> None:
    store = FakeStore(learned=20.0)
    throttle = Throttle(RateLimitPolicy(shared=store))
    await call(throttle)
    snap = throttle.snapshot()
    assert (snap.workspace_rate, snap.workspace_source) == (20.0, "learned")
    assert store.reserved[0][2] == 20.0


# -- bounded server hints ------------------------------------------------------------------------


@virtual_time
async def test_a_huge_retry_after_pauses_the_client_for_at_most_max_pause() -> None:
    throttle = Throttle(RateLimitPolicy())
    await call(throttle, KEY, status=429, headers={"Retry-After": "86400"})
    assert throttle.snapshot().paused_for == pytest.approx(120.0, abs=1e-6)
    short = Throttle(RateLimitPolicy(), max_pause=5.0)
    await call(short, KEY, status=429, headers={"Retry-After": "1e9"})
    assert await call(short, OTHER) == pytest.approx(5.0, abs=1e-6)


@pytest.mark.parametrize(
    "headers",
    [
        {"Retry-After": "86400"},
        {"Retry-After": "1e9"},
        {"Retry-After": "Fri, 01 Jan 2100 00:00:00 GMT", "Date": "Mon, 01 Jan 2024 00:00:00 GMT"},
    ],
)
@virtual_time
async def test_a_hostile_retry_after_holds_other_calls_and_the_store_for_at_most_max_pause(
    headers: dict[str, str],
) -> None:
    store = FakeStore()
    throttle = Throttle(RateLimitPolicy(shared=store), max_pause=30.0)
    await call(throttle, KEY, status=429, headers=headers)
    assert store.paused == [pytest.approx(30.0)]  # the shared pause key's TTL: bounded too
    start = now()
    assert await call(throttle, OTHER) - start == pytest.approx(30.0, abs=1e-6)


@pytest.mark.parametrize("retry_after", ["0", "-3"])
@virtual_time
async def test_a_zero_or_negative_retry_after_still_pauses_one_period(retry_after: str) -> None:
    throttle = Throttle(RateLimitPolicy(period=2.0))
    await call(throttle, KEY, status=429, headers={"Retry-After": retry_after})
    assert await call(throttle, OTHER) == pytest.approx(2.0, abs=1e-6)


# -- concurrency that follows the network --------------------------------------------------------


@virtual_time
async def test_suggested_concurrency_follows_littles_law_with_headroom() -> None:
    configured = Throttle(RateLimitPolicy(workspace=100))
    assert configured.suggested_concurrency() == math.ceil(100 * 0.25 * HEADROOM) + 1  # assumed RTT
    await asyncio.gather(*(call(configured, f"POST /p/{i}", latency=0.1) for i in range(5)))
    assert configured.suggested_concurrency() == math.ceil(100 * 0.1 * HEADROOM) + 1  # observed
    slow = Throttle(RateLimitPolicy(workspace=100))
    await asyncio.gather(*(call(slow, f"POST /p/{i}", latency=0.4) for i in range(5)))
    assert slow.suggested_concurrency() == math.ceil(100 * 0.4 * HEADROOM) + 1
    fast = Throttle(RateLimitPolicy(workspace=100_000))
    assert fast.suggested_concurrency() == 512  # bounded
    assert Throttle(RateLimitPolicy(adaptive=False)).suggested_concurrency() == 64


@virtual_time
async def test_the_warm_up_probes_an_unknown_limit_instead_of_bursting() -> None:
    throttle = Throttle(RateLimitPolicy())
    suggested = [throttle.suggested_concurrency()]
    times = await asyncio.gather(
        *(call(throttle, f"POST /p/{i}", latency=0.25) for i in range(300))
    )
    suggested.append(throttle.suggested_concurrency())
    # not 300 at once: half a period's worth of the warm-up allowance, then paced at it
    assert max_in_window([t for t in times if t < 0.25], 0.25) <= WARM_START / 2 + WARM_START / 4
    assert sorted(times)[-1] < 3.0  # yet the allowance doubles every round trip
    assert suggested[1] > suggested[0]  # and bulk's concurrency grows with it
