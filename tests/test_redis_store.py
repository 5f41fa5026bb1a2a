"""RedisLimitStore against a real redis-server: concurrency, several clients, outages.

The server comes from the ``redis_server`` / ``own_redis_server`` fixtures (tests/redis_server.py);
without the binary these tests skip, except under ``CI=true``. Nothing here sleeps to wait for
something or asserts a duration: assertions are on slots, counts, log records and outcomes.
"""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

import pytest

from aelyst_async import AelystClient, Contact, RateLimitPolicy, WaitEvent
from aelyst_async._sansio.ratelimit import RateLimit
from aelyst_async._throttle import CountingLimitStore, Throttle, WarmingLimitStore
from aelyst_async._throttle.learning import MARGIN
from aelyst_async.redis import RedisLimitStore
from aelyst_async.sandbox import Sandbox
from tests.redis_server import RedisServer, free_port

KEEP = 1 - MARGIN  # the share of a counted window the learner keeps

KEY = "POST /contact/create_or_update/email:ana@example.com"
LOGGER = "aelyst_async.redis"


class Clock:
    """A monotonic clock the test moves by hand (for the store's retry schedule)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def stores() -> AsyncIterator[AsyncExitStack]:
    async with AsyncExitStack() as stack:
        yield stack


@pytest.fixture
def namespace() -> str:
    return f"test:{uuid.uuid4().hex[:12]}"


def new_store(stack: AsyncExitStack, url: str, namespace: str, **options: Any) -> RedisLimitStore:
    """A store on its own connection pool (as another process would have), closed at the end."""
    store = RedisLimitStore.from_url(url, namespace=namespace, **options)
    stack.push_async_callback(store.aclose)
    return store


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


# -- sharing -------------------------------------------------------------------------------------


async def test_the_store_implements_the_counting_protocol(
    redis_server: RedisServer, stores: AsyncExitStack, namespace: str
) -> None:
    store = new_store(stores, redis_server.url, namespace)
    assert isinstance(store, CountingLimitStore)
    assert isinstance(store, WarmingLimitStore)
    RateLimitPolicy(shared=store)
    assert "test:" in repr(store) and "redis://" not in repr(store)


@pytest.mark.parametrize("budget", ["path", "workspace"])
async def test_200_concurrent_acquirers_of_4_clients_get_200_distinct_slots(
    redis_server: RedisServer, stores: AsyncExitStack, namespace: str, budget: str
) -> None:
    """The script is atomic: no two requests share a slot, none is skipped, whoever books."""
    # a generous timeout: 200 calls at once on a loaded 2-core machine, and atomicity is the point
    clients = [new_store(stores, redis_server.url, namespace, timeout=10.0) for _ in range(4)]

    async def acquire(i: int) -> float:
        store = clients[i % 4]
        if budget == "path":  # one path, 10 per 1000 s: one slot every 100 s
            return await store.reserve(KEY, limit=10, workspace=None, period=1000)
        return await store.reserve(f"{KEY}{i}", limit=5, workspace=10, period=1000)

    waits = await asyncio.gather(*(acquire(i) for i in range(200)))
    assert min(waits) >= 0
    slots = sorted(round(w / 100) for w in waits)
    assert slots == list(range(200))
    assert max(abs(w - round(w / 100) * 100) for w in waits) < 10  # all well inside a slot
    assert await clients[0].booked(10) == 1  # only the first slot has come yet


async def test_one_clients_429_pauses_the_others_next_requests(
    redis_server: RedisServer, stores: AsyncExitStack, namespace: str
) -> None:
    a = new_store(stores, redis_server.url, namespace)
    b = new_store(stores, redis_server.url, namespace)
    assert await b.reserve(KEY, limit=5, workspace=None, period=1.0) == 0.0
    await a.pause(100.0)
    wait = await b.reserve("another path", limit=5, workspace=None, period=1.0)
    assert 99.0 < wait <= 100.0


async def test_the_learned_workspace_limit_is_shared(
    redis_server: RedisServer, stores: AsyncExitStack, namespace: str
) -> None:
    a = new_store(stores, redis_server.url, namespace)
    b = new_store(stores, redis_server.url, namespace)
    other = new_store(stores, redis_server.url, namespace + "-other")
    await a.set_workspace_limit(38.8)
    assert await b.get_workspace_limit() == 38.8
    assert await other.get_workspace_limit() is None  # namespaces are separate budgets


async def test_throttles_share_the_pause_and_the_learned_rate(
    redis_server: RedisServer, stores: AsyncExitStack, namespace: str
) -> None:
    """Two clients' throttles (one store each, as two processes): one learns, both follow."""
    events: list[WaitEvent] = []
    a = Throttle(RateLimitPolicy(period=0.2, shared=new_store(stores, redis_server.url, namespace)))
    b = Throttle(
        RateLimitPolicy(period=0.2, shared=new_store(stores, redis_server.url, namespace)),
        on_wait=events.append,
    )
    for i in range(10):
        permit = await a.acquire(f"{KEY}{i}")
        await a.observe(
            permit,
            200,
            RateLimit.from_headers({"X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "4"}),
        )
    permit = await a.acquire(KEY)
    # refused although its path had budget: the workspace limit; no Retry-After: one period
    await a.observe(
        permit,
        429,
        RateLimit.from_headers({"X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "4"}),
    )
    learned = a.snapshot().workspace_rate
    assert learned is not None and 9 <= learned <= 11 * KEEP  # what everyone sent before it
    permit = await b.acquire(KEY)
    b.release(permit)
    assert [e.reason for e in events] == ["shared"]  # b waited for a's pause
    assert events[0].seconds > 0.1
    snap = b.snapshot()
    assert (snap.workspace_rate, snap.workspace_source) == (learned, "learned")


async def test_two_clients_sharing_a_store_stay_under_the_workspace_limit_together(
    redis_server: RedisServer, stores: AsyncExitStack, namespace: str
) -> None:
    """End to end, in real time: 2 clients at 10 per 0.5 s each would double a limit of 12."""
    async with Sandbox(workspace=12, period=0.5) as sb:
        reports = []
        async with AsyncExitStack() as clients:
            pair = []
            for _ in range(2):
                store = new_store(stores, redis_server.url, namespace)
                policy = RateLimitPolicy(period=0.5, workspace=10, shared=store)
                client = AelystClient(sb.token, base_url=sb.base_url, rate_limit=policy)
                pair.append(await clients.enter_async_context(client))
            contacts = [
                [Contact(f"User {n}-{i}", email=f"u{n}-{i}@example.com") for i in range(15)]
                for n in range(2)
            ]
            reports = await asyncio.gather(
                *(
                    c.contacts.bulk_upsert(items, concurrency=8)
                    for c, items in zip(pair, contacts, strict=True)
                )
            )
        assert [r.succeeded for r in reports] == [15, 15]
        assert sb.stats.rate_limited <= 1, sb.stats  # 0 expected; 1 of slack for a stalled loop
        assert sb.stats.requests == 30 + sb.stats.rate_limited


# -- outages -------------------------------------------------------------------------------------


async def test_fallback_while_redis_is_down_and_recovery_when_it_is_back(
    own_redis_server: RedisServer,
    stores: AsyncExitStack,
    namespace: str,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    clock = Clock()
    store = new_store(stores, own_redis_server.url, namespace, clock=clock, retry_interval=1.0)
    tight = {"limit": 1, "workspace": None, "period": 1000.0}  # one request per 1000 s
    assert await store.reserve(KEY, **tight) == 0.0
    assert await store.reserve(KEY, **tight) > 900  # shared: the second one waits its turn

    own_redis_server.stop()
    assert await store.reserve(KEY, **tight) == 0.0  # the local throttle alone now
    assert not store.available
    attempts = 0
    execute = store._redis.execute_command

    async def counting(*args: Any, **kwargs: Any) -> Any:
        nonlocal attempts
        attempts += 1
        return await execute(*args, **kwargs)

    monkeypatch.setattr(store._redis, "execute_command", counting)
    for _ in range(50):
        assert await store.reserve(KEY, **tight) == 0.0
    await store.pause(5.0)
    await store.set_workspace_limit(20.0)
    assert await store.get_workspace_limit() is None
    assert await store.booked(1.0) is None
    assert attempts == 0  # no attempt to reach Redis before the retry interval has passed
    clock.now += 1.0
    assert await store.reserve(KEY, **tight) == 0.0  # one attempt, still down
    assert await store.reserve(KEY, **tight) == 0.0
    assert 1 <= attempts <= 2  # that one attempt (redis-py may retry it once at once)
    assert len(warnings(caplog)) == 1
    assert "unreachable" in warnings(caplog)[0] and "own throttle" in warnings(caplog)[0]

    own_redis_server.start()  # same port, empty (no persistence)
    assert await store.reserve(KEY, **tight) == 0.0  # not tried again before the interval
    clock.now += 1.0
    assert await store.reserve(KEY, **tight) == 0.0  # back: the first booking of a new budget
    assert store.available
    assert await store.reserve(KEY, **tight) > 900  # shared again
    assert len(warnings(caplog)) == 1
    assert any("reachable again" in r.getMessage() for r in caplog.records)


async def test_a_redis_that_hangs_is_cut_short_by_the_timeout(
    own_redis_server: RedisServer,
    stores: AsyncExitStack,
    namespace: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = new_store(stores, own_redis_server.url, namespace, timeout=0.2)
    assert await store.reserve(KEY, limit=5, workspace=None, period=1.0) == 0.0  # connected
    own_redis_server.freeze()
    try:
        results = await asyncio.gather(
            *(store.reserve(f"{KEY}{i}", limit=5, workspace=None, period=1.0) for i in range(5))
        )
    finally:
        own_redis_server.thaw()
    assert results == [0.0] * 5
    assert not store.available
    assert len(warnings(caplog)) == 1
    assert "TimeoutError" in warnings(caplog)[0]


async def test_a_client_upserts_through_a_store_whose_redis_never_answered(
    stores: AsyncExitStack, namespace: str, caplog: pytest.LogCaptureFixture
) -> None:
    store = new_store(stores, f"redis://127.0.0.1:{free_port()}/0", namespace)
    policy = RateLimitPolicy(shared=store)
    async with (
        Sandbox(workspace=50) as sb,
        AelystClient(sb.token, base_url=sb.base_url, rate_limit=policy) as client,
    ):
        items = [Contact(f"User {i}", email=f"u{i}@example.com") for i in range(8)]
        report = await client.contacts.bulk_upsert(items)
    assert (report.succeeded, report.failed) == (8, 0)
    assert len(warnings(caplog)) == 1  # once, not per request


# -- configuration -------------------------------------------------------------------------------


@pytest.mark.parametrize("namespace", ["", "has space", "{braces}", "x" * 129, "tab\t", 3])
def test_a_bad_namespace_is_refused(namespace: Any) -> None:
    with pytest.raises(ValueError, match="namespace"):
        RedisLimitStore.from_url("redis://127.0.0.1:1/0", namespace=namespace)


def test_the_namespace_must_not_contain_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AELYST_API_TOKEN", "s3cr3t-token")
    with pytest.raises(ValueError, match="contains the API token"):
        RedisLimitStore.from_url("redis://127.0.0.1:1/0", namespace="aelyst:s3cr3t-token")
    derived = RedisLimitStore.namespace_for_token()
    assert derived == RedisLimitStore.namespace_for_token("s3cr3t-token")
    assert derived.startswith("aelyst:") and "s3cr3t" not in derived
    assert RedisLimitStore.namespace_for_token("other") != derived
    RedisLimitStore.from_url("redis://127.0.0.1:1/0", namespace=derived)


def test_a_namespace_with_the_clients_own_token_is_refused_without_echoing_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("AELYST_API_TOKEN", raising=False)  # the client's token, not the env's
    store = RedisLimitStore.from_url("redis://127.0.0.1:1/0", namespace="aelyst:tok-1234-abcd")
    with pytest.raises(ValueError, match="contains the client's API token") as caught:
        store.check_token("tok-1234-abcd")
    chain: BaseException | None = caught.value
    while chain is not None:  # nowhere in the error or its causes
        assert "tok-1234-abcd" not in str(chain) and "tok-1234-abcd" not in repr(chain)
        chain = chain.__cause__ or chain.__context__
    store.check_token("another-token")  # a namespace without the token is fine
    derived = RedisLimitStore.from_url(
        "redis://127.0.0.1:1/0", namespace=RedisLimitStore.namespace_for_token("tok-1234-abcd")
    )
    derived.check_token("tok-1234-abcd")


@pytest.mark.parametrize(
    "options",
    [{"timeout": 0}, {"retry_interval": -1}, {"limit_ttl": float("nan")}],
)
def test_bad_options_are_refused(options: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="RedisLimitStore"):
        RedisLimitStore.from_url("redis://127.0.0.1:1/0", namespace="ns", **options)


def test_the_package_imports_without_redis_and_the_store_says_which_extra_to_install() -> None:
    code = (
        "import sys; sys.modules['redis'] = None\n"
        "import aelyst_async\n"
        "from aelyst_async import AelystClient, RateLimitPolicy\n"
        "try:\n"
        "    import aelyst_async.redis\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert "pip install 'aelyst_async[redis]'" in result.stdout


async def test_a_hostile_retry_after_pauses_the_namespace_for_at_most_max_pause(
    redis_server: RedisServer, stores: AsyncExitStack, namespace: str
) -> None:
    store = new_store(stores, redis_server.url, namespace)
    throttle = Throttle(RateLimitPolicy(shared=store), max_pause=30.0)
    permit = await throttle.acquire(KEY)
    await throttle.observe(permit, 429, RateLimit.from_headers({"Retry-After": "86400"}))
    later = new_store(stores, redis_server.url, namespace)  # a process started afterwards
    wait = await later.reserve("another path", limit=5, workspace=None, period=1.0)
    assert 29.0 < wait <= 30.0
    ttl = await store._redis.pttl(store._pause_key)
    assert 0 < ttl <= 30_000  # the pause key expires with the pause, not in a day


def test_one_namespace_per_organisation_whatever_its_tokens() -> None:
    org = RedisLimitStore.namespace_for("org-4711")
    assert org == RedisLimitStore.namespace_for("org-4711")  # stable: every process, every token
    assert org != RedisLimitStore.namespace_for("org-4712")
    assert org.startswith("aelyst:") and "4711" not in org  # hashed, not in clear
    RedisLimitStore.from_url("redis://127.0.0.1:1/0", namespace=org)  # a valid namespace
    assert RedisLimitStore.namespace_for_token("tok") == RedisLimitStore.namespace_for("tok")
    with pytest.raises(ValueError, match="key"):
        RedisLimitStore.namespace_for("")
