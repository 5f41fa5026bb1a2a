"""Rate-limit windows: unit tests on the window, and the server's per-path and workspace limits."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import pytest

from aelyst_async.sandbox import FakeClock, Window, WorkspaceLimit, _app
from aelyst_async.sandbox._limits import retry_after_seconds
from tests.sandbox_helpers import Start, error_body, sandboxes


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(1000.0)


@pytest.fixture
async def start(clock: FakeClock) -> AsyncIterator[Start]:
    async with sandboxes(clock) as start:
        yield start


def test_retry_after_is_whole_seconds_never_zero() -> None:
    assert [retry_after_seconds(w) for w in (0.0, 0.0001, 0.5, 1.0, 1.0000000001, 1.2, 59.01)] == [
        1, 1, 1, 1, 1, 2, 60,
    ]  # fmt: skip


def test_fixed_window_buckets_are_aligned() -> None:
    w = Window(3, 1.0, "fixed")
    assert w.check("k", 10.2) == (3, None)  # checking uses nothing
    assert [w.take("k", t) for t in (10.2, 10.5, 10.9)] == [2, 1, 0]
    assert w.check("k", 10.95) == (0, 1)
    assert w.check("other", 10.95) == (3, None)
    assert w.check("k", 11.0) == (3, None)  # a new bucket, whatever happened at 10.9
    w = Window(1, 60.0, "fixed")
    w.take("k", 120.5)
    assert w.check("k", 120.5) == (0, 60)  # ceil(59.5)
    assert w.check("k", 179.99) == (0, 1)


def test_sliding_window_counts_the_last_period() -> None:
    w = Window(3, 10.0, "sliding")
    for t in (0.0, 4.0, 5.5):
        w.take("k", t)
    assert w.check("k", 9.0) == (0, 1)  # the oldest (0.0) leaves at 10.0
    assert w.check("k", 7.5) == (0, 3)
    assert w.check("k", 10.0) == (1, None)
    w.take("k", 10.0)
    assert w.check("k", 10.0) == (0, 4)  # next to leave: 4.0, at 14.0
    assert w.check("k", 15.6) == (2, None)


@pytest.mark.parametrize("kind", ["fixed", "sliding"])
def test_idle_keys_are_dropped(kind: str) -> None:
    w = Window(5, 1.0, kind)  # type: ignore[arg-type]
    for i in range(10_000):
        w.check(f"k{i}", 0.5)
        w.take(f"k{i}", 0.5)
    assert len(w) == 10_000
    w.check("fresh", 2.0)
    w.take("fresh", 2.0)
    assert len(w) == 1


def test_window_arguments_are_checked() -> None:
    args: list[tuple[Any, ...]] = [(0, 1.0, "fixed"), (1, 0.0, "fixed"), (1, 1.0, "leaky")]
    for limit, period, kind in args:
        with pytest.raises(ValueError):  # noqa: PT011
            Window(limit, period, kind)


def test_fake_clock_only_moves_forward() -> None:
    c = FakeClock()
    c.advance(2.5)
    assert c() == 2.5
    with pytest.raises(ValueError, match="forward"):
        c.advance(-1)


async def test_each_method_and_decoded_path_has_its_own_budget(
    start: Start, clock: FakeClock
) -> None:
    api = await start(per_path=2)
    for _ in range(2):
        assert (await api.upsert("email:a@example.com")).status == 200
    assert (await api.upsert("email%3Aa%40example.com")).status == 429  # the same decoded path
    assert (await api.upsert("email:b@example.com")).status == 200
    assert (await api.upsert("id:1")).status == 200
    clock.advance(1.0)
    assert (await api.upsert("email:a@example.com")).headers["X-RateLimit-Remaining"] == "1"


async def test_sliding_window_on_the_server(start: Start, clock: FakeClock) -> None:
    api = await start(per_path=2, period=10.0, window="sliding")
    await api.upsert("id:1")  # t = 1000 (a 404 uses budget too)
    clock.advance(6.0)
    await api.upsert("id:1")  # t = 1006
    clock.advance(3.5)
    reply = await api.upsert("id:1")
    assert reply.status == 429
    assert (reply.headers["X-RateLimit-Remaining"], reply.headers["Retry-After"]) == ("0", "1")
    clock.advance(0.5)  # t = 1010: the first request has left the window
    assert (await api.upsert("id:1")).headers["X-RateLimit-Remaining"] == "0"
    reply = await api.upsert("id:1")
    assert reply.headers["Retry-After"] == "6"  # until 1016


async def test_fixed_window_on_the_server(start: Start, clock: FakeClock) -> None:
    api = await start(per_path=2, period=10.0, window="fixed")
    clock.advance(9.0)  # t = 1009, one second before the bucket ends
    await api.upsert("id:1")
    await api.upsert("id:1")
    assert (await api.upsert("id:1")).headers["Retry-After"] == "1"
    clock.advance(1.0)
    assert (await api.upsert("id:1")).headers["X-RateLimit-Remaining"] == "1"


async def test_hidden_workspace_limit(start: Start, clock: FakeClock) -> None:
    api = await start(per_path=5, workspace=3)
    for i in range(3):
        reply = await api.upsert(f"email:u{i}@example.com")
        assert reply.status == 200
        assert "workspace" not in " ".join(reply.headers).lower()  # never announced
    reply = await api.upsert("email:u9@example.com")
    assert reply.status == 429
    assert reply.body == error_body(429, "Too Many Requests")
    # the path's own budget is untouched: that is how a client tells the hidden limit
    assert (reply.headers["X-RateLimit-Limit"], reply.headers["X-RateLimit-Remaining"]) == (
        "5",
        "5",
    )
    assert reply.headers["Retry-After"] == "1"
    assert (api.sb.stats.rate_limited, api.sb.stats.workspace_limited) == (1, 1)
    clock.advance(1.0)
    assert (await api.upsert("email:u9@example.com")).headers["X-RateLimit-Remaining"] == "4"


async def test_path_limit_is_reported_before_the_workspace_limit(start: Start) -> None:
    api = await start(per_path=1, workspace=1)
    await api.upsert("id:1")
    reply = await api.upsert("id:1")
    assert (reply.status, reply.headers["X-RateLimit-Remaining"]) == (429, "0")
    assert api.sb.stats.workspace_limited == 0


def test_workspace_limit_follows_its_schedule_and_overrides() -> None:
    w = WorkspaceLimit(100, 1.0, "fixed", [(20.0, None), (10.0, 40)])  # any order
    assert [w.current(t) for t in (0.0, 9.99, 10.0, 19.0, 20.0)] == [100, 100, 40, 40, None]
    assert w.window(25.0) is None
    w.reset()
    assert w.current(0.0) == 100
    w.set(7, 15.0)  # the step due at 10 is applied first, then overridden
    assert w.current(15.0) == 7
    window = w.window(16.0)
    assert window is not None and window.limit == 7
    assert w.current(20.0) is None  # later steps still apply


@pytest.mark.parametrize(
    ("limit", "schedule"),
    [(0, ()), (-1, ()), (1.5, ()), (None, [(1.0, 0)]), (None, [(-1.0, 5)]), (5, [(math.inf, 5)])],
)
def test_workspace_limit_arguments_are_checked(limit: Any, schedule: Any) -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        WorkspaceLimit(limit, 1.0, "fixed", schedule)


async def test_workspace_limit_schedule_on_the_server(start: Start, clock: FakeClock) -> None:
    api = await start(per_path=100, workspace=3, workspace_schedule=[(5.0, 1), (10.0, None)])

    async def statuses(n: int) -> list[int]:
        return [(await api.upsert(f"email:u{i}@example.com")).status for i in range(n)]

    assert await statuses(4) == [200, 200, 200, 429]
    clock.advance(5.0)  # 5 s after the sandbox was made: the limit drops to 1
    assert api.sb.workspace_limit == 1
    assert await statuses(2) == [200, 429]
    clock.advance(5.0)  # lifted
    assert await statuses(20) == [200] * 20
    assert api.sb.stats.workspace_limited == 2
    api.sb.reset()  # the schedule starts again
    assert api.sb.workspace_limit == 3
    clock.advance(4.0)
    assert await statuses(4) == [200, 200, 200, 429]


async def test_workspace_limit_changes_at_run_time(start: Start, clock: FakeClock) -> None:
    api = await start(per_path=100)
    assert (await api.get("/_sandbox/workspace")).json() == {"limit": None}
    assert [(await api.upsert("id:1")).status for _ in range(5)] == [404] * 5
    reply = await api.admin("/_sandbox/workspace", {"limit": 2})
    assert (reply.status, reply.json()) == (200, {"limit": 2})
    clock.advance(1.0)
    assert [(await api.upsert("id:1")).status for _ in range(3)] == [404, 404, 429]
    api.sb.set_workspace_limit(None)
    assert (await api.upsert("id:1")).status == 404
    assert (await api.get("/_sandbox/workspace")).json() == {"limit": None}
    for bad in ({"limit": 0}, {"limit": "5"}, {"limit": True}, {}, [2]):
        reply = await api.admin("/_sandbox/workspace", bad)
        assert reply.status == 400
        assert reply.json()["message"] == "limit: an integer >= 1 or null"
    with pytest.raises(ValueError, match="workspace limit"):
        api.sb.set_workspace_limit(0)
    assert api.sb.workspace_limit is None


async def test_latency_jitter_is_uniform_and_seeded(
    start: Start, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs: list[list[float]] = []

    async def fake_sleep(seconds: float) -> None:
        runs[-1].append(seconds)

    monkeypatch.setattr(_app, "asyncio", SimpleNamespace(sleep=fake_sleep))
    for seed in (7, 7, 8):
        runs.append([])
        api = await start(per_path=100, latency=0.25, latency_jitter=0.05, seed=seed)
        for i in range(40):
            await api.upsert(f"email:u{i}@example.com")
    assert all(0.2 <= s <= 0.3 for s in runs[0])
    assert len(set(runs[0])) == 40  # drawn, not fixed
    assert min(runs[0]) < 0.22 and max(runs[0]) > 0.28  # spread over the whole range
    assert runs[0] == runs[1]  # the same seed, the same delays
    assert runs[0] != runs[2]


async def test_latency_jitter_never_sleeps_a_negative_time(
    start: Start, monkeypatch: pytest.MonkeyPatch
) -> None:
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(_app, "asyncio", SimpleNamespace(sleep=fake_sleep))
    api = await start(per_path=100, latency=0.0, latency_jitter=0.1, seed=3)
    for i in range(20):
        await api.upsert(f"email:u{i}@example.com")
    assert 0 < len(slept) < 20
    assert all(s > 0 for s in slept)
    with pytest.raises(ValueError, match="latency_jitter"):
        await start(latency_jitter=-0.1)
