"""The leaky bucket: pacing, refits, FIFO order, cancellation, use from any event loop."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from aelyst_async._throttle.bucket import Bucket
from tests.virtual_time import run, virtual_time


def now() -> float:
    return asyncio.get_running_loop().time()


async def take_times(bucket: Bucket, count: int) -> list[float]:
    times: list[float] = []

    async def one() -> None:
        await bucket.acquire()
        times.append(now())

    await asyncio.gather(*(one() for _ in range(count)))
    return times


@virtual_time
async def test_a_burst_of_capacity_then_one_token_per_interval() -> None:
    times = await take_times(Bucket(5, 1.0), 8)
    assert times == pytest.approx([0, 0, 0, 0, 0, 0.2, 0.4, 0.6], abs=1e-6)


@virtual_time
async def test_acquire_reports_whether_it_waited() -> None:
    bucket = Bucket(1, 1.0)
    assert await bucket.acquire() is False
    assert await bucket.acquire() is True
    assert now() == pytest.approx(1.0, abs=1e-6)


@virtual_time
async def test_waiters_are_served_first_come_first_served() -> None:
    bucket = Bucket(1, 0.1)
    order: list[int] = []

    async def waiter(i: int) -> None:
        await bucket.acquire()
        order.append(i)

    tasks = []
    for i in range(20):
        tasks.append(asyncio.create_task(waiter(i)))
        await asyncio.sleep(0)  # arrive in this order
    await asyncio.gather(*tasks)
    assert order == list(range(20))


@virtual_time
async def test_a_cancelled_waiter_takes_no_token() -> None:
    bucket = Bucket(1, 1.0)
    await bucket.acquire()  # t=0: the bucket is full until t=1
    first = asyncio.create_task(bucket.acquire())
    second = asyncio.create_task(bucket.acquire())
    await asyncio.sleep(0.5)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    await second
    assert now() == pytest.approx(1.0, abs=1e-6)  # second took the token first would have had
    await bucket.acquire()
    assert now() == pytest.approx(2.0, abs=1e-6)  # and nothing else was taken


@virtual_time
async def test_a_waiter_cancelled_while_queued_behind_the_head_takes_nothing() -> None:
    bucket = Bucket(1, 1.0)
    await bucket.acquire()
    head = asyncio.create_task(bucket.acquire())
    queued = asyncio.create_task(bucket.acquire())
    tail = asyncio.create_task(bucket.acquire())
    await asyncio.sleep(0.1)
    queued.cancel()
    await head
    await tail
    assert now() == pytest.approx(2.0, abs=1e-6)


@virtual_time
async def test_a_newcomer_with_a_token_free_still_waits_behind_a_queued_task() -> None:
    bucket = Bucket(2, 1.0)
    assert await bucket.acquire() is False  # t=0: one token left
    order: list[str] = []

    async def take(name: str, opens_at: float) -> bool:
        waited = await bucket.acquire(lambda t: opens_at - t)
        order.append(name)
        return waited

    head = asyncio.create_task(take("head", 1.0))  # holds the turn until t=1
    await asyncio.sleep(0.5)
    assert bucket.waiting
    newcomer = asyncio.create_task(take("newcomer", 0.0))  # a token is free, but not its turn
    assert await head is True
    assert await newcomer is True
    assert order == ["head", "newcomer"]
    assert not bucket.waiting
    assert await bucket.acquire() is True  # the two tokens taken at t=1 leave none free


@virtual_time
async def test_after_a_cancelled_waiter_the_next_task_takes_its_token_at_once() -> None:
    bucket = Bucket(1, 1.0)
    await bucket.acquire()  # t=0: the bucket is full until t=1
    waiter = asyncio.create_task(bucket.acquire())
    await asyncio.sleep(0.5)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert not bucket.waiting
    await asyncio.sleep(0.5)
    assert await bucket.acquire() is False  # t=1: the token the cancelled task never took
    assert now() == pytest.approx(1.0, abs=1e-6)
    assert await bucket.acquire() is True
    assert now() == pytest.approx(2.0, abs=1e-6)


@virtual_time
async def test_refit_raises_capacity_and_counts_what_is_used() -> None:
    bucket = Bucket(5, 1.0)
    await bucket.acquire()
    bucket.refit(10, 1.0, used=1)  # the server: limit 10, 9 remaining
    times = await take_times(bucket, 10)
    assert times[:9] == pytest.approx([0.0] * 9, abs=1e-6)
    assert times[9] == pytest.approx(0.1, abs=1e-6)


@virtual_time
async def test_refit_lower_while_tasks_wait_strands_none_and_keeps_their_order() -> None:
    bucket = Bucket(2, 1.0)
    order: list[tuple[int, float]] = []

    async def waiter(i: int) -> None:
        await bucket.acquire()
        order.append((i, now()))

    tasks = []
    for i in range(6):
        tasks.append(asyncio.create_task(waiter(i)))
        await asyncio.sleep(0)
    await asyncio.sleep(0.1)
    bucket.refit(1, 1.0, used=1)  # shrink below what waiters could take at once
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=60)
    assert [i for i, _ in order] == list(range(6))
    gaps = [b - a for (_, a), (_, b) in itertools.pairwise(order[2:])]
    assert all(gap == pytest.approx(1.0, abs=1e-6) for gap in gaps)


@virtual_time
async def test_refit_to_a_slower_rate_applies_to_the_next_token() -> None:
    bucket = Bucket(1.5, 0.03)  # 50/s with a burst of 1.5
    await take_times(bucket, 10)
    start = now()
    bucket.refit(1.0, 0.1, used=1.0)  # 10/s, full
    times = await take_times(bucket, 5)
    gaps = [b - a for a, b in itertools.pairwise([start, *times])]
    assert gaps == pytest.approx([0.1] * 5, abs=1e-6)


@virtual_time
async def test_an_unlimited_bucket_only_keeps_order_and_the_ready_condition() -> None:
    bucket = Bucket(None, 1.0)
    assert await take_times(bucket, 1000) == pytest.approx([0.0] * 1000, abs=1e-6)
    opens_at = 3.0
    assert await bucket.acquire(lambda t: opens_at - t) is True
    assert now() == pytest.approx(3.0)


@virtual_time
async def test_ready_is_checked_again_after_the_token() -> None:
    bucket = Bucket(1, 1.0)
    await bucket.acquire()
    gate = {"open_at": 0.0}

    async def close_gate_later() -> None:
        await asyncio.sleep(0.5)
        gate["open_at"] = 5.0

    closer = asyncio.create_task(close_gate_later())
    await bucket.acquire(lambda t: gate["open_at"] - t)
    await closer
    assert now() >= 5.0


def test_invalid_sizes_are_refused() -> None:
    with pytest.raises(ValueError, match="capacity"):
        Bucket(0.5, 1.0)
    with pytest.raises(ValueError, match="period"):
        Bucket(1, 0)
    with pytest.raises(ValueError, match="capacity"):
        Bucket(1, 1.0).refit(float("inf"), 1.0)


def test_a_bucket_made_outside_any_loop_works_in_each_loop_that_uses_it() -> None:
    bucket = Bucket(2, 1.0)  # made outside any loop

    async def use() -> float:
        await bucket.acquire()
        return now()

    assert run(use()) == pytest.approx(0.0, abs=1e-6)
    bucket.refit(2, 1.0)  # full again: usable at once in another loop
    assert run(use()) == pytest.approx(0.0, abs=1e-6)


@virtual_time
async def test_take_tells_a_wait_for_the_rate_from_a_wait_behind_others() -> None:
    bucket = Bucket(100, 1.0)  # room for 100 at once: the rate holds no one back here
    opens_at = 1.0
    head = asyncio.create_task(bucket.take(lambda t: opens_at - t))  # waits for its gate
    await asyncio.sleep(0)
    behind = asyncio.create_task(bucket.take())  # a token is free; it waits for its turn
    assert await head == (True, False)
    assert await behind == (True, False)  # waited in line, not held by the rate
    full = Bucket(1, 1.0)
    assert await full.take() == (False, False)
    assert await full.take() == (True, True)  # slept for a token: the rate held it
