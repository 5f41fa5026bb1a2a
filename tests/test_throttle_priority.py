"""Priorities and deadlines at every gate and pause of the throttle (issue 23), virtual time."""

from __future__ import annotations

import asyncio

import pytest

from aelyst_async import DeadlineExceededError, RateLimitPolicy, RequestError
from aelyst_async._throttle import Throttle
from aelyst_async._throttle.turn import SHARE, Priority, Turn
from tests.test_throttle import KEY, call, limits, now
from tests.virtual_time import virtual_time


async def admitted(throttle: Throttle, key: str, name: str, order: list[str], **kw: object) -> None:
    permit = await throttle.acquire(key, **kw)  # type: ignore[arg-type]
    order.append(name)
    throttle.release(permit)


async def queue(throttle: Throttle, jobs: list[tuple[str, str, Priority]]) -> list[str]:
    """Start the jobs (key, name, priority) in this order, all waiting; the admission order."""
    order: list[str] = []
    tasks = []
    for key, name, priority in jobs:
        tasks.append(asyncio.create_task(admitted(throttle, key, name, order, priority=priority)))
        await asyncio.sleep(0)
    await asyncio.gather(*tasks)
    return order


@virtual_time
async def test_the_workspace_gate_admits_higher_priorities_first_fifo_within_one() -> None:
    throttle = Throttle(RateLimitPolicy(workspace=10))
    await call(throttle, "POST /first")  # the bucket is now empty for 0.1 s
    jobs: list[tuple[str, str, Priority]] = [(f"POST /low/{i}", f"low{i}", "low") for i in range(5)]
    jobs += [("POST /n", "normal", "normal"), ("POST /h0", "high0", "high")]
    jobs += [("POST /h1", "high1", "high")]
    order = await queue(throttle, jobs)
    # low0 held the gate's turn, waiting for the token: it cedes it, and keeps its place in line
    assert order == ["high0", "high1", "normal", "low0", "low1", "low2", "low3", "low4"]
    assert now() == pytest.approx(0.8, abs=1e-6)  # one token each, none lost to the ceding


@virtual_time
async def test_after_a_pause_the_high_priority_request_goes_first() -> None:
    throttle = Throttle(RateLimitPolicy(workspace=100))
    await call(throttle, "POST /a", status=429, headers=limits(5, 3, "2"))  # pauses everyone
    jobs: list[tuple[str, str, Priority]] = [(f"POST /b/{i}", f"low{i}", "low") for i in range(3)]
    order = await queue(throttle, [*jobs, ("POST /c", "high", "high")])
    assert order == ["high", "low0", "low1", "low2"]  # low0 held the turn through the pause
    assert now() >= 2.0


@virtual_time
async def test_the_path_gate_admits_higher_priorities_first() -> None:
    throttle = Throttle(RateLimitPolicy(per_path=1))
    await call(throttle, KEY)  # the path's budget is spent for a period
    jobs: list[tuple[str, str, Priority]] = [(KEY, "low0", "low"), (KEY, "low1", "low")]
    order = await queue(throttle, [*jobs, (KEY, "high", "high")])
    assert order == ["low0", "high", "low1"]


@virtual_time
async def test_lower_priorities_keep_one_turn_in_share() -> None:
    turn = Turn()
    await turn.take()
    order: list[str] = []

    async def wait(name: str, priority: Priority) -> None:
        await turn.take(priority)
        order.append(name)
        turn.give()

    tasks = [asyncio.create_task(wait("low", "low"))]
    tasks += [asyncio.create_task(wait(f"high{i}", "high")) for i in range(3 * SHARE)]
    await asyncio.sleep(0)
    turn.give()
    await asyncio.gather(*tasks)
    assert order.index("low") == SHARE - 1  # not after all 30 high ones


@virtual_time
async def test_a_wait_that_would_pass_the_deadline_fails_at_once_unsent() -> None:
    throttle = Throttle(RateLimitPolicy(workspace=1))
    await call(throttle, "POST /first")
    waiting = [asyncio.create_task(throttle.acquire(f"POST /w/{i}")) for i in range(3)]
    await asyncio.sleep(0)
    start = now()
    with pytest.raises(DeadlineExceededError) as info:
        await throttle.acquire("POST /late", deadline=start + 2.0)  # 4 s of queue ahead
    assert now() == start  # at once
    error = info.value
    assert isinstance(error, RequestError)
    assert (error.request_sent, error.attempts, error.method, error.path) == (
        False,
        0,
        "POST",
        "/late",
    )
    permits = await asyncio.gather(*waiting)  # the queue was not disturbed
    assert [p.sent_at for p in permits] == pytest.approx([1.0, 2.0, 3.0], abs=1e-6)
    high = await throttle.acquire("POST /in-time", priority="high", deadline=now() + 1.5)
    assert high.sent_at == pytest.approx(4.0, abs=1e-6)


@virtual_time
async def test_a_pause_longer_than_the_deadline_fails_at_once() -> None:
    throttle = Throttle(RateLimitPolicy())
    await call(throttle, "POST /a", status=429, headers=limits(5, 3, "5"))
    with pytest.raises(DeadlineExceededError):
        await throttle.acquire("POST /b", deadline=now() + 2.0)
    assert now() < 1e-3
    permit = await throttle.acquire("POST /b", deadline=now() + 6.0)
    assert permit.sent_at == pytest.approx(5.0, abs=1e-6)


@virtual_time
async def test_a_turn_not_come_by_the_deadline_times_out_and_passes_on() -> None:
    turn = Turn()
    await turn.take()
    late = asyncio.create_task(turn.take("high", deadline=1.0))
    after = asyncio.create_task(turn.take("low"))
    with pytest.raises(TimeoutError):
        await late
    assert now() == pytest.approx(1.0)
    turn.give()
    assert await after is True  # the turn went on to the next waiter, not lost
    turn.give()
    assert not turn.busy


def test_an_unknown_priority_is_refused_by_name() -> None:
    async def main() -> None:
        with pytest.raises(ValueError, match="priority"):
            await Throttle(RateLimitPolicy()).acquire(KEY, priority="urgent")  # type: ignore[arg-type]

    asyncio.run(main())


@virtual_time
async def test_a_waiter_cancelled_just_before_the_turn_is_given_raises_cancelled() -> None:
    turn = Turn()
    await turn.take()
    waiter = asyncio.create_task(turn.take("low"))
    await asyncio.sleep(0)
    waiter.cancel()  # its future is cancelled now; the task has not run its cleanup yet
    turn.give()  # passes over the cancelled waiter: the turn is free
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert not turn.busy
    assert await turn.take() is False
