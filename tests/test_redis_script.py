"""The Lua scripts of RedisLimitStore: GCRA slots, the pause, counts, key layout and expiry.

Each test runs on ``fakeredis`` (no server needed) and on a real ``redis-server`` (skipped when
the binary is missing, except under ``CI=true``). Budgets use long periods (e.g. 10 per 1000 s,
one slot every 100 s), so the few milliseconds a test takes never blur which slot a request got:
assertions are on slot numbers and counts, not on durations.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import fakeredis
import pytest
import redis.asyncio as aioredis

from aelyst_async.redis import RedisLimitStore
from tests.redis_server import RedisServer

KEY = "POST /contact/create_or_update/email:ana@example.com"


@pytest.fixture(params=["fakeredis", "redis-server"])
async def client(request: pytest.FixtureRequest) -> AsyncIterator[aioredis.Redis]:
    if request.param == "fakeredis":
        fake = fakeredis.FakeAsyncRedis(server=fakeredis.FakeServer())
        yield fake
        await fake.aclose()
    else:
        server: RedisServer = request.getfixturevalue("redis_server")
        real = aioredis.Redis.from_url(server.url, socket_timeout=2.0)
        yield real
        await real.aclose()


@pytest.fixture
def store(client: aioredis.Redis) -> RedisLimitStore:
    return RedisLimitStore(client, namespace=f"test:{uuid.uuid4().hex[:12]}")


def slot(wait: float, interval: float) -> int:
    """Which slot a wait stands for (waits are whole intervals minus a few milliseconds)."""
    number = round(wait / interval)
    assert abs(wait - number * interval) < interval / 10, (wait, interval)
    return number


async def namespace_keys(client: aioredis.Redis, store: RedisLimitStore) -> dict[str, int]:
    """Every key of the store's namespace and its PTTL (ms; -1 would mean no expiry)."""
    keys = await client.keys("{" + store.namespace + "}:*")
    return {key.decode(): await client.pttl(key) for key in keys}


async def test_one_path_books_slots_one_interval_apart(store: RedisLimitStore) -> None:
    waits = [await store.reserve(KEY, limit=10, workspace=None, period=1000) for _ in range(5)]
    assert [slot(w, 100) for w in waits] == [0, 1, 2, 3, 4]
    other = await store.reserve(KEY + "x", limit=10, workspace=None, period=1000)
    assert other == 0.0  # another path has its own budget


async def test_the_workspace_budget_spans_paths(store: RedisLimitStore) -> None:
    waits = [await store.reserve(f"{KEY}{i}", limit=5, workspace=10, period=1000) for i in range(5)]
    assert [slot(w, 100) for w in waits] == [0, 1, 2, 3, 4]


async def test_a_request_takes_the_later_of_its_budgets_and_both_move_there(
    store: RedisLimitStore,
) -> None:
    first = await store.reserve(KEY, limit=1, workspace=10, period=1000)  # path: one per 1000 s
    second = await store.reserve(KEY, limit=1, workspace=10, period=1000)  # waits for its path
    third = await store.reserve("other", limit=1, workspace=10, period=1000)  # workspace: +100
    assert [slot(w, 100) for w in (first, second, third)] == [0, 10, 11]


async def test_without_a_rate_a_request_still_takes_the_workspace_budget_at_the_booked_rate(
    store: RedisLimitStore,
) -> None:
    await store.reserve("a", limit=5, workspace=10, period=1000)
    wait = await store.reserve("b", limit=5, workspace=None, period=1000)
    assert slot(wait, 100) == 1


async def test_the_pause_holds_new_bookings_and_only_ever_extends(store: RedisLimitStore) -> None:
    await store.pause(500)
    await store.pause(1)  # shorter: ignored
    waits = [await store.reserve(KEY, limit=10, workspace=None, period=1000) for _ in range(2)]
    assert [slot(w, 100) for w in waits] == [5, 6]  # after the pause, then one interval later


async def test_the_learned_limit_round_trips_and_expires(
    client: aioredis.Redis, store: RedisLimitStore
) -> None:
    assert await store.get_workspace_limit() is None
    await store.set_workspace_limit(38.8)
    assert await store.get_workspace_limit() == 38.8
    ttl = (await namespace_keys(client, store))["{" + store.namespace + "}:limit"]
    assert 0 < ttl <= store.limit_ttl * 1000


async def test_booked_counts_what_every_client_sent_in_a_window(store: RedisLimitStore) -> None:
    for i in range(5):
        await store.reserve(f"{KEY}{i}", limit=5, workspace=None, period=1000)
    assert await store.booked(10) == 5
    assert await store.booked(10, ago=50) == 0  # before they were sent
    await store.reserve("later", limit=5, workspace=1, period=1000)  # slot now (first)
    await store.reserve("later2", limit=5, workspace=1, period=1000)  # slot 1000 s from now
    assert await store.booked(10) == 6  # a booked slot counts once it has come


async def test_the_warm_up_bucket_gives_its_burst_then_one_token_per_interval(
    store: RedisLimitStore,
) -> None:
    # 10 per 1000 s with a burst of 3: three tokens now, then nothing for 100 s
    waits = [await store.warm_up(rate=10, burst=3, period=1000) for _ in range(5)]
    assert waits[:3] == [0.0, 0.0, 0.0]
    assert [slot(w, 100) for w in waits[3:]] == [1, 1]  # nothing taken: the same wait
    assert await store.booked(1000) == 0  # a warm-up token books nothing


async def test_the_shared_pause_holds_the_warm_up(store: RedisLimitStore) -> None:
    await store.pause(500)
    assert slot(await store.warm_up(rate=10, burst=3, period=1000), 100) == 5
    another = RedisLimitStore(store.redis, namespace=store.namespace + "-other")
    assert await another.warm_up(rate=10, burst=3, period=1000) == 0.0  # its own namespace


async def test_every_key_expires_a_period_or_two_after_its_last_slot(
    client: aioredis.Redis, store: RedisLimitStore
) -> None:
    await store.reserve(KEY, limit=5, workspace=10, period=1.0)  # path 0.2 s, workspace 0.1 s
    assert await store.warm_up(rate=10, burst=1, period=1.0) == 0.0  # its TAT 0.1 s ahead
    await store.pause(0.5)
    await store.set_workspace_limit(10.0)
    ttls = await namespace_keys(client, store)
    ns = "{" + store.namespace + "}:"
    path_keys = [k for k in ttls if k.startswith(ns + "path:")]
    assert len(path_keys) == 1
    assert 1000 < ttls[path_keys[0]] <= 1200  # slot + interval + one period
    assert 1000 < ttls[ns + "workspace"] <= 1100
    assert 1000 < ttls[ns + "warm"] <= 1100
    assert 1900 < ttls[ns + "sent"] <= 2000  # the count keeps two periods
    assert 1900 < ttls[ns + "sent:seq"] <= 2000
    assert 0 < ttls[ns + "pause"] <= 500
    assert set(ttls) == {
        *path_keys,
        *(ns + k for k in ("workspace", "warm", "sent", "sent:seq")),
    } | {
        ns + "pause",
        ns + "limit",
    }
    assert all(ttl > 0 for ttl in ttls.values())  # no key without an expiry


async def test_a_queue_keeps_its_budget_alive_until_its_last_slot(
    client: aioredis.Redis, store: RedisLimitStore
) -> None:
    for _ in range(30):  # 30 slots of 100 s: the budget must outlive the last of them
        await store.reserve(KEY, limit=10, workspace=None, period=1000)
    ttls = await namespace_keys(client, store)
    path_ttl = next(t for k, t in ttls.items() if ":path:" in k)
    assert 3_900_000 < path_ttl <= 4_000_000  # 30 slots + one period, in ms


async def test_no_identifier_is_written_to_redis(
    client: aioredis.Redis, store: RedisLimitStore
) -> None:
    await store.reserve(KEY, limit=5, workspace=None, period=1.0)
    for key in await namespace_keys(client, store):
        assert "ana" not in key and "example" not in key
