"""Several clients sharing one budget through a store, on a virtual clock.

:class:`MemoryStore` has the semantics of :class:`aelyst_async.redis.RedisLimitStore` (GCRA
slots at least ``period / limit`` apart, the pause, the learned limit, the count of requests
sent) on the event loop's clock, so the throttle's use of the store can be checked against the
simulated API in virtual time, deterministically.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import deque

import pytest

from aelyst_async import DeadlineExceededError, LimitStore, RateLimitPolicy, RetryPolicy
from aelyst_async._sansio.ratelimit import RateLimit
from aelyst_async._send import Sender
from aelyst_async._throttle import CountingLimitStore, Throttle, WarmingLimitStore
from aelyst_async._throttle.learning import MARGIN, WorkspaceLearner
from tests.test_throttle_simulation import Kind, SimulatedAPI, upsert
from tests.upsert_helpers import interpret_upsert
from tests.virtual_time import run, virtual_time

KEEP = 1 - MARGIN  # the share of a counted window the learner keeps

KEY = "POST /contact/create_or_update/email:a@example.com"


class MemoryStore:
    """A shared store in memory on the loop's clock: RedisLimitStore's behaviour, no Redis.

    This one does not count what was sent (a plain :class:`LimitStore`); :class:`CountingStore`
    does, as RedisLimitStore.
    """

    def __init__(self) -> None:
        self.tat: dict[str, float] = {}
        self.workspace_tat = 0.0
        self.workspace_step = 0.0
        self.pause_until = 0.0
        self.sent: deque[float] = deque()
        self.learned: float | None = None
        self.published: list[float] = []
        self.booked_rates: list[float] = []  # workspace rates (per second) booked with

    @staticmethod
    def now() -> float:
        return asyncio.get_running_loop().time()

    async def reserve(
        self, key: str, *, limit: float, workspace: float | None, period: float
    ) -> float:
        now = self.now()
        if workspace is not None:
            self.booked_rates.append(workspace / period)
        step = period / workspace if workspace is not None else self.workspace_step
        at = max(now, self.pause_until, self.tat.get(key, 0.0))
        if step > 0:
            at = max(at, self.workspace_tat)
            self.workspace_tat, self.workspace_step = at + step, step
        self.tat[key] = at + period / limit
        self.sent.append(at)
        return at - now

    async def pause(self, seconds: float) -> None:
        self.pause_until = max(self.pause_until, self.now() + seconds)

    async def get_workspace_limit(self) -> float | None:
        return self.learned

    async def set_workspace_limit(self, rate: float) -> None:
        self.learned = rate
        self.published.append(rate)


class CountingStore(MemoryStore):
    """A :class:`MemoryStore` that also counts what every client sent."""

    async def booked(self, seconds: float, *, ago: float = 0.0) -> int | None:
        end = self.now() - ago
        return sum(1 for t in self.sent if end - seconds < t <= end)


class WarmingStore(CountingStore):
    """A :class:`CountingStore` that also holds everyone's warm-up in one bucket: all of
    RedisLimitStore's behaviour."""

    def __init__(self) -> None:
        super().__init__()
        self.warm_tat = 0.0
        self.warm_ups = 0  # tokens of the warm-up bucket taken

    async def warm_up(self, *, rate: float, burst: float, period: float) -> float:
        now = self.now()
        if self.pause_until > now:
            return self.pause_until - now
        step = period / rate
        tat = max(self.warm_tat, now)
        if tat - (burst - 1) * step > now:
            return tat - (burst - 1) * step - now
        self.warm_tat = tat + step
        self.warm_ups += 1
        return 0.0


class BrokenStore:
    """A store whose every call fails, as a store with a bug or a dead backend might."""

    def __init__(self) -> None:
        self.calls = 0

    async def _fail(self) -> None:
        self.calls += 1
        raise ConnectionError("backend down")

    async def reserve(
        self, key: str, *, limit: float, workspace: float | None, period: float
    ) -> float:
        await self._fail()
        return 0.0

    async def pause(self, seconds: float) -> None:
        await self._fail()

    async def get_workspace_limit(self) -> float | None:
        await self._fail()
        return None

    async def set_workspace_limit(self, rate: float) -> None:
        await self._fail()

    async def booked(self, seconds: float, *, ago: float = 0.0) -> int | None:
        await self._fail()
        return None

    async def warm_up(self, *, rate: float, burst: float, period: float) -> float:
        await self._fail()
        return 0.0


def test_the_memory_store_matches_the_protocols() -> None:
    assert isinstance(CountingStore(), CountingLimitStore)
    assert not isinstance(CountingStore(), WarmingLimitStore)
    assert isinstance(WarmingStore(), WarmingLimitStore)
    assert isinstance(MemoryStore(), LimitStore)
    assert not isinstance(MemoryStore(), CountingLimitStore)


# -- the learner's scale -------------------------------------------------------------------------


def test_a_count_measured_elsewhere_replaces_the_local_one() -> None:
    learner = WorkspaceLearner(1.0)
    for i in range(10):  # this process's own admitted requests: a quarter of everyone's
        learner.admitted(sent_at=0.01 * i, now=0.1)
    assert learner.refused(sent_at=0.1, epoch=0, now=0.12, count=40)
    assert learner.rate == pytest.approx(40 * KEEP)
    learner.admitted(sent_at=0.11, now=0.13)  # a late answer does not refine a measured count
    assert learner.rate == pytest.approx(40 * KEEP)


def test_the_scale_makes_the_in_use_check_count_everyones_requests() -> None:
    def learner_after_busy_periods(scale: float) -> WorkspaceLearner:
        learner = WorkspaceLearner(1.0)
        learner.adopt(40.0, now=0.0)
        learner.scale = scale
        for i in range(1, 101):  # 10 admitted per second here, for 10 seconds
            learner.admitted(sent_at=i / 10, now=i / 10 + 0.01)
        return learner

    assert learner_after_busy_periods(1.0).best is None  # 10/s is not "in use" of 40/s
    best = learner_after_busy_periods(4.0).best  # three others send as much: proven, and up
    assert best is not None and best >= 40.0


def test_adopting_a_lower_rate_starts_a_new_epoch_and_restarts_the_probe_clock() -> None:
    learner = WorkspaceLearner(1.0)
    learner.adopt(40.0, now=1.0)
    epoch = learner.epoch
    learner.adopt(30.0, now=2.0)
    assert learner.epoch == epoch + 1  # requests sent at 40 teach nothing about 30
    learner.adopt(35.0, now=3.0)
    assert learner.epoch == epoch + 1  # a higher rate: nothing sent before is refuted


@virtual_time
async def test_a_workspace_429_takes_a_lower_rate_another_client_published() -> None:
    store = CountingStore()
    throttle = Throttle(RateLimitPolicy(shared=store))
    permit = await throttle.acquire(KEY)
    store.learned = 30.0  # another client met the limit in the same burst, and lowered it
    await throttle.observe(
        permit, 429, RateLimit.from_headers({"X-RateLimit-Remaining": "3", "Retry-After": "1"})
    )
    snap = throttle.snapshot()
    assert (snap.workspace_rate, snap.workspace_source) == (30.0, "learned")
    assert store.published == []  # nothing new to publish


@virtual_time
async def test_a_workspace_429_measures_what_every_client_sent_before_it() -> None:
    store = CountingStore()
    throttle = Throttle(RateLimitPolicy(shared=store))
    loop = asyncio.get_running_loop()
    store.sent.extend(loop.time() - 0.5 + 0.01 * i for i in range(40))  # other clients' sends
    permit = await throttle.acquire(KEY)  # the 41st request of the period: refused
    await throttle.observe(
        permit, 429, RateLimit.from_headers({"X-RateLimit-Remaining": "3", "Retry-After": "1"})
    )
    assert store.published == [pytest.approx(40 * KEEP)]


# -- clients sharing a budget --------------------------------------------------------------------


async def shared_run(
    api: SimulatedAPI, store: LimitStore, *, clients: int, each: int, concurrency: int
) -> list[Throttle]:
    """``clients`` pipelines, each upserting ``each`` distinct contacts, sharing ``store``."""
    throttles = [Throttle(RateLimitPolicy(shared=store)) for _ in range(clients)]

    async def client(n: int, throttle: Throttle) -> None:
        pipeline = Sender(api, throttle=throttle, retry=RetryPolicy(), rng=random.Random(n))
        queue = deque(range(n * each, (n + 1) * each))

        async def worker() -> None:
            while queue:
                i = queue.popleft()
                path = f"/contact/create_or_update/id:{i + 1}"
                await pipeline.send(upsert(path), interpret_upsert)

        await asyncio.gather(*(worker() for _ in range(concurrency)))

    await asyncio.gather(*(client(n, t) for n, t in enumerate(throttles)))
    return throttles


@pytest.mark.parametrize("kind", ["fixed", "sliding"])
def test_four_clients_sharing_a_store_keep_under_the_workspace_limit_together(kind: Kind) -> None:
    api = SimulatedAPI(kind, workspace=40)
    store = CountingStore()
    throttles = run(shared_run(api, store, clients=4, each=300, concurrency=8))
    answers, limited, rate = api.after_warm_up()
    assert limited <= 0.02 * answers, (limited, answers)
    assert rate >= 0.9 * 40, rate
    total = len(api.answers)
    assert sum(1 for _, s in api.answers if s == 429) <= 0.03 * total
    # every client runs at (about) the whole workspace's rate, learned from everyone's count
    for throttle in throttles:
        snap = throttle.snapshot()
        assert snap.workspace_source == "learned"
        assert snap.workspace_rate is not None and 0.85 * 40 <= snap.workspace_rate <= 40


def test_without_counts_each_client_learns_only_its_own_share() -> None:
    """Why the store counts sends: without, a refusal measures one client's admitted requests."""
    api = SimulatedAPI("fixed", workspace=40)
    store = MemoryStore()
    run(shared_run(api, store, clients=4, each=100, concurrency=8))
    assert store.published and min(store.published) < 0.5 * 40


def test_clients_of_a_shared_store_send_no_faster_than_the_workspace_rate_together() -> None:
    api = SimulatedAPI("sliding", workspace=1000)  # the server never refuses: only the store paces
    store = CountingStore()
    store.learned = 20.0

    async def main() -> None:
        await shared_run(api, store, clients=3, each=40, concurrency=4)

    run(main())
    times = sorted(t for t, _ in api.answers)
    # nothing refuses, so the clients probe above 20/s; the store paces them together at the
    # highest rate any of them booked with: no second holds more (+1 for latency)
    fastest = max(store.booked_rates)
    assert 20.0 <= fastest < 20.0 * 1.5
    assert max(sum(1 for u in times if t - 1.0 < u <= t) for t in times) <= fastest + 1
    assert times[-1] - times[0] >= (120 - fastest - 1) / fastest


@virtual_time
async def test_a_store_that_raises_never_fails_a_request_and_is_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="aelyst_async")
    store = BrokenStore()
    throttle = Throttle(RateLimitPolicy(shared=store))
    for _ in range(3):
        permit = await throttle.acquire(KEY)
        await throttle.observe(
            permit, 429, RateLimit.from_headers({"X-RateLimit-Remaining": "3", "Retry-After": "1"})
        )
    permit = await throttle.acquire(KEY)
    await throttle.observe(permit, 200, RateLimit.from_headers({}))
    assert store.calls >= 6
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "shared limit store failed" in warnings[0].getMessage()


# -- warming up together -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["fixed", "sliding"])
def test_eight_clients_starting_in_one_instant_warm_up_as_one(kind: Kind) -> None:
    api = SimulatedAPI(kind, workspace=40)
    store = WarmingStore()
    run(shared_run(api, store, clients=8, each=50, concurrency=4))
    refused = sum(1 for _, s in api.answers if s == 429)
    # one client's warm-up meets the limit once: its requests in flight then, not 8 bursts
    assert refused <= 8, refused
    assert store.warm_ups >= 20  # the start went through everyone's warm-up bucket
    end = max(t for t, _ in api.answers)
    assert 400 / end >= 0.95 * 40


def test_without_the_shared_warm_up_each_client_bursts_alone() -> None:
    """Why the store holds the warm-up: 8 clients each send a warm-up's burst at once."""
    api = SimulatedAPI("fixed", workspace=40)
    run(shared_run(api, CountingStore(), clients=8, each=50, concurrency=4))
    assert sum(1 for _, s in api.answers if s == 429) >= 20


@virtual_time
async def test_a_wait_in_the_shared_warm_up_grows_the_warm_up_and_is_reported() -> None:
    store = WarmingStore()
    store.warm_tat = 10.0  # other clients took the warm-up's tokens until 10 s from now
    events: list[tuple[str, float]] = []
    throttle = Throttle(
        RateLimitPolicy(shared=store), on_wait=lambda e: events.append((e.reason, e.seconds))
    )
    permit = await throttle.acquire(KEY)
    # the bucket's burst (10 tokens of 20/s) is taken 0.45 s before its TAT
    assert permit.sent_at == pytest.approx(10.0 - 9 * 0.05, abs=1e-6)
    assert events == [("shared", pytest.approx(permit.sent_at, abs=1e-6))]
    assert permit.waited == pytest.approx(permit.sent_at, abs=1e-6)
    learner = throttle._gate.learner
    assert learner is not None
    await throttle.observe(permit, 200, RateLimit())
    assert learner.warm == 40.0  # held back by everyone's warm-up: it doubled


@virtual_time
async def test_a_shared_warm_up_wait_past_the_deadline_fails_at_once_unsent() -> None:
    store = WarmingStore()
    store.warm_tat = 10.0
    throttle = Throttle(RateLimitPolicy(shared=store))
    with pytest.raises(DeadlineExceededError):
        await throttle.acquire(KEY, deadline=5.0)
    assert asyncio.get_running_loop().time() == pytest.approx(0.0, abs=1e-6)
    assert store.sent == deque()  # nothing booked


@virtual_time
async def test_a_rate_published_meanwhile_ends_the_warm_up_wait() -> None:
    store = WarmingStore()
    store.warm_tat = 10.0
    throttle = Throttle(RateLimitPolicy(shared=store))
    task = asyncio.create_task(throttle.acquire(KEY))
    await asyncio.sleep(1.0)
    store.learned = 30.0  # another client met the limit and published it
    permit = await task
    assert permit.sent_at < 1.2  # read within a warm-up tick of the store's polls, not at 9.55
    assert throttle.snapshot().workspace_rate == 30.0


@virtual_time
async def test_the_shared_pause_holds_the_warm_up_too() -> None:
    store = WarmingStore()
    await store.pause(2.0)
    throttle = Throttle(RateLimitPolicy(shared=store))
    permit = await throttle.acquire(KEY)
    assert permit.sent_at == pytest.approx(2.0, abs=1e-6)
    assert store.warm_ups == 1
