"""WebhookDeduplicator: each event_id once within its window, in memory and through real Redis."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from redis import asyncio as aioredis

from aelyst_async.redis import RedisLimitStore
from aelyst_async.webhooks import WebhookDeduplicator
from tests.redis_server import RedisServer


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_in_memory_first_seen_once_within_the_window() -> None:
    clock = Clock()
    dedupe = WebhookDeduplicator(window=60, clock=clock)
    assert await dedupe.first_seen("e1") is True
    assert await dedupe.first_seen("e1") is False
    assert await dedupe.first_seen("e2") is True
    clock.now += 59.9
    assert await dedupe.first_seen("e1") is False
    clock.now += 0.1
    assert await dedupe.first_seen("e1") is True


async def test_in_memory_is_bounded_forgetting_the_oldest() -> None:
    dedupe = WebhookDeduplicator(window=60, max_size=2, clock=Clock())
    for event_id in ("a", "b", "c"):
        assert await dedupe.first_seen(event_id) is True
    assert len(dedupe._seen) == 2
    assert await dedupe.first_seen("c") is False
    assert await dedupe.first_seen("a") is True  # forgotten: the bound won over the window


async def test_a_full_memory_still_recognises_every_id_it_holds() -> None:
    """Only a new id makes room; a redelivery looked up never evicts one of the ids kept."""
    dedupe = WebhookDeduplicator(window=60, max_size=2, clock=Clock())
    assert [await dedupe.first_seen(e) for e in ("a", "b")] == [True, True]
    assert [await dedupe.first_seen(e) for e in ("b", "a", "b", "a")] == [False] * 4
    one = WebhookDeduplicator(window=60, max_size=1, clock=Clock())
    assert [await one.first_seen("a") for _ in range(3)] == [True, False, False]


async def test_bad_arguments_name_the_field() -> None:
    with pytest.raises(ValueError, match="window"):
        WebhookDeduplicator(window=0)
    with pytest.raises(ValueError, match="max_size"):
        WebhookDeduplicator(max_size=0)
    with pytest.raises(ValueError, match="event_id is None, not a string"):
        await WebhookDeduplicator().first_seen(None)  # type: ignore[arg-type]


class CountingRedis:
    """A stand-in for ``redis.asyncio.Redis``'s ``SET NX EX``, counting the calls."""

    def __init__(self) -> None:
        self.keys: set[str] = set()
        self.calls = 0

    async def set(self, name: str, value: str, *, nx: bool, ex: int) -> bool | None:
        self.calls += 1
        if name in self.keys:
            return None
        self.keys.add(name)
        return True


async def test_an_event_without_an_id_is_new_every_time_and_recorded_nowhere() -> None:
    """Deliveries are at least once: an event nothing can recognise is handled, never dropped
    nor refused (a handler raising would answer 500 to every delivery of it)."""
    dedupe = WebhookDeduplicator(window=60, max_size=2, clock=Clock())
    assert await dedupe.first_seen("e1") is True
    assert [await dedupe.first_seen("") for _ in range(3)] == [True, True, True]
    assert await dedupe.first_seen("e1") is False  # "" took no room from the ids kept
    redis = CountingRedis()
    shared = WebhookDeduplicator(window=60, redis=redis)
    assert [await shared.first_seen("") for _ in range(2)] == [True, True]
    assert (redis.calls, redis.keys) == (0, set())
    assert [await shared.first_seen("e1") for _ in range(2)] == [True, False]
    assert redis.calls == 2


async def test_redis_from_a_limit_store_shares_across_workers(redis_server: RedisServer) -> None:
    namespace = f"test:{uuid.uuid4().hex}"
    store = RedisLimitStore.from_url(redis_server.url, namespace="aelyst:dedupe-test")
    other = WebhookDeduplicator.redis(redis_server.url, window=30, namespace=namespace)
    try:
        dedupe = WebhookDeduplicator.redis(store, window=30, namespace=namespace)
        results = await asyncio.gather(
            *(d.first_seen("evt-42") for d in (dedupe, other, dedupe, other))
        )
        assert sorted(results) == [False, False, False, True]
        assert await other.first_seen("evt-43") is True
        client = aioredis.Redis.from_url(redis_server.url)
        try:
            keys = [k.decode() async for k in client.scan_iter(f"{namespace}:*")]
            assert len(keys) == 2 and all("evt-" not in k for k in keys)
            assert 0 < await client.ttl(keys[0]) <= 30
        finally:
            await client.aclose()
    finally:
        await other.aclose()
        await store.aclose()
