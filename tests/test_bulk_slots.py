"""The bulk run's request slots: a bounded number in flight, handed over in arrival order."""

from __future__ import annotations

import asyncio

from aelyst_async._bulk.slots import Slots


async def settle() -> None:
    for _ in range(3):
        await asyncio.sleep(0)


async def test_slots_are_handed_over_first_come_first_served() -> None:
    slots = Slots(lambda: 2)
    order: list[int] = []

    async def take(i: int) -> None:
        await slots.acquire()
        order.append(i)

    tasks = [asyncio.create_task(take(i)) for i in range(6)]
    await settle()
    assert order == [0, 1] and slots.in_flight == 2
    slots.release()
    await settle()
    assert order == [0, 1, 2] and slots.in_flight == 2
    for _ in range(3):
        slots.release()
    await settle()
    assert order == [0, 1, 2, 3, 4, 5] and slots.in_flight == 2
    await asyncio.gather(*tasks)


async def test_a_release_wakes_only_the_waiters_it_lets_in() -> None:
    limit = [1]
    slots = Slots(lambda: limit[0])
    await slots.acquire()
    woken: list[int] = []

    async def take(i: int) -> None:
        await slots.acquire()
        woken.append(i)

    tasks = [asyncio.create_task(take(i)) for i in range(1000)]
    await settle()
    slots.release()
    await settle()
    assert woken == [0]  # one slot freed: one waiter resumed, not a thousand
    limit[0] = 3  # a grown limit lets more in at the next release
    slots.release()
    await settle()
    assert woken == [0, 1, 2, 3] and slots.in_flight == 3
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def test_a_waiter_cancelled_after_its_grant_passes_the_slot_on() -> None:
    slots = Slots(lambda: 1)
    await slots.acquire()
    first = asyncio.create_task(slots.acquire())
    second = asyncio.create_task(slots.acquire())
    await settle()
    slots.release()  # granted to `first`, which is cancelled before it runs
    first.cancel()
    await settle()
    assert first.cancelled() and second.done() and slots.in_flight == 1
    queued = asyncio.create_task(slots.acquire())
    await settle()
    queued.cancel()  # cancelled while queued: skipped at the next release
    await settle()
    slots.release()
    assert slots.in_flight == 0
