"""A lower-priority head of line cedes its turn to a higher arrival (issue 23), virtual time.

A high call made while a low-priority bulk saturates the client takes the next token: its wait
in the throttle is at most one slot of the rate, counted on the loop's virtual clock.
"""

from __future__ import annotations

import asyncio

import pytest

from aelyst_async import DeadlineExceededError, RateLimitPolicy
from aelyst_async._sansio.ratelimit import RateLimit
from aelyst_async._throttle import Throttle
from aelyst_async._throttle.bucket import Bucket
from aelyst_async._throttle.turn import SHARE, Priority
from tests.test_throttle import call, now
from tests.virtual_time import virtual_time

RATE = 50
SLOT = 1.0 / RATE
OFFSETS = [0.0013 * k for k in range(16)]  # arrivals spread over the slot (0 to 19.5 ms)


async def saturate(throttle: Throttle, until: float, sent: list[float], workers: int = 64) -> None:
    """A low-priority bulk of ``workers`` tasks taking permits (distinct contacts) until
    ``until``, each request answered 100 ms after it is sent."""

    async def answer(permit: object) -> None:
        await asyncio.sleep(0.1)
        await throttle.observe(permit, 200, RateLimit())  # type: ignore[arg-type]

    async def worker(w: int) -> None:
        i, pending = 0, set()
        while now() < until:
            i += 1
            permit = await throttle.acquire(f"POST /contact/id:{w}-{i}", priority="low")
            sent.append(now())
            task = asyncio.create_task(answer(permit))
            pending.add(task)
            task.add_done_callback(pending.discard)
        await asyncio.gather(*pending)

    await asyncio.gather(*(worker(w) for w in range(workers)))


async def trickle_waits(priority: Priority) -> tuple[list[float], list[float]]:
    """The throttle waits of single ``priority`` calls, one every 0.2 s plus an offset within a
    slot, while a low bulk saturates a configured 50/s; and the bulk's send times."""
    throttle = Throttle(RateLimitPolicy(workspace=RATE))
    sent: list[float] = []
    waits: list[float] = []
    end = 1.0 + 0.2 * len(OFFSETS) + 0.5

    async def trickle() -> None:
        for k, offset in enumerate(OFFSETS):
            await asyncio.sleep(1.0 + 0.2 * k + offset - now())
            start = now()
            permit = await throttle.acquire(f"GET /contact/id:{k}", priority=priority)
            waits.append(now() - start)
            sent.append(now())
            throttle.release(permit)

    await asyncio.gather(saturate(throttle, end, sent), trickle())
    return waits, sent


@virtual_time
async def test_a_high_call_behind_a_saturating_low_bulk_waits_at_most_one_slot() -> None:
    waits, sent = await trickle_waits("high")
    assert len(waits) == len(OFFSETS)
    assert max(waits) <= SLOT + 1e-6
    # it took the next token, not a second one: the wait is what was left of the slot
    assert sum(w > SLOT / 2 for w in waits) < len(waits)
    # the rate was kept: nothing sent beyond the configured 50/s, none of it lost
    in_window = [t for t in sent if 1.0 <= t < 4.0]
    assert len(in_window) == pytest.approx(3 * RATE, abs=1)


@virtual_time
async def test_a_low_call_behind_the_same_bulk_waits_its_turn_at_the_end_of_the_line() -> None:
    waits, _ = await trickle_waits("low")
    assert waits[0] > 60 * SLOT  # the control: without a higher priority, no one cedes


@virtual_time
async def test_a_ceding_head_keeps_its_place_first_in_its_own_line() -> None:
    bucket = Bucket(1, 0.1)
    await bucket.acquire()  # empty until 0.1
    order: list[str] = []

    async def take(name: str, priority: Priority) -> None:
        await bucket.take(priority=priority)
        order.append(name)

    tasks = [asyncio.create_task(take(f"low{i}", "low")) for i in range(3)]
    await asyncio.sleep(0.05)  # low0 holds the turn, asleep until its token
    tasks += [asyncio.create_task(take("normal", "normal"))]
    tasks += [asyncio.create_task(take(f"high{i}", "high")) for i in range(2)]
    await asyncio.gather(*tasks)
    assert order == ["high0", "high1", "normal", "low0", "low1", "low2"]
    assert now() == pytest.approx(0.6, abs=1e-6)  # one token every 0.1 s, none lost


@virtual_time
async def test_the_lower_share_turn_is_not_ceded() -> None:
    bucket = Bucket(1, 0.1)
    await bucket.acquire()
    order: list[str] = []

    async def take(name: str, priority: Priority) -> None:
        await bucket.take(priority=priority)
        order.append(name)

    tasks = [asyncio.create_task(take("low", "low"))]
    await asyncio.sleep(0)
    tasks += [asyncio.create_task(take(f"high{i}", "high")) for i in range(3 * SHARE)]
    await asyncio.gather(*tasks)
    # low ceded once, then got its share turn and kept it although high ones still waited
    assert order.index("low") == SHARE - 1


@virtual_time
async def test_a_ceded_head_cancelled_while_it_waits_again_takes_nothing() -> None:
    bucket = Bucket(1, 1.0)
    await bucket.acquire()
    low = asyncio.create_task(bucket.take(priority="low"))
    await asyncio.sleep(0.5)
    high = asyncio.create_task(bucket.take(priority="high"))
    after = asyncio.create_task(bucket.take(priority="high"))
    await high  # at 1.0: low ceded to it
    assert now() == pytest.approx(1.0, abs=1e-6)
    low.cancel()  # waiting again, behind ``after``
    with pytest.raises(asyncio.CancelledError):
        await low
    await after
    assert now() == pytest.approx(2.0, abs=1e-6)
    await bucket.acquire()  # the low task's token was never taken, nor its turn kept
    assert now() == pytest.approx(3.0, abs=1e-6)
    assert not bucket.waiting


@virtual_time
async def test_a_ceded_head_whose_deadline_passes_times_out_and_the_line_goes_on() -> None:
    bucket = Bucket(1, 1.0)
    await bucket.acquire()
    low = asyncio.create_task(bucket.take(priority="low", deadline=1.5))
    after = asyncio.create_task(bucket.take(priority="low"))
    await asyncio.sleep(0.5)
    highs = [asyncio.create_task(bucket.take(priority="high")) for _ in range(2)]
    with pytest.raises(TimeoutError):
        await low  # ceded at 1.0, its turn again only at 2.0
    assert now() == pytest.approx(1.5, abs=1e-6)
    await asyncio.gather(*highs, after)
    assert now() == pytest.approx(3.0, abs=1e-6)  # high at 1 and 2, then ``after``
    assert not bucket.waiting


@virtual_time
async def test_a_high_deadline_counts_on_the_lower_head_ceding() -> None:
    throttle = Throttle(RateLimitPolicy(workspace=1))
    await call(throttle, "POST /first")  # the next token at 1.0
    low = asyncio.create_task(throttle.acquire("POST /low", priority="low"))
    await asyncio.sleep(0)
    with pytest.raises(DeadlineExceededError):  # another low one waits behind it
        await throttle.acquire("POST /n", priority="low", deadline=now() + 1.5)
    permit = await throttle.acquire("POST /high", priority="high", deadline=now() + 1.5)
    assert permit.sent_at == pytest.approx(1.0, abs=1e-6)
    assert (await low).sent_at == pytest.approx(2.0, abs=1e-6)
