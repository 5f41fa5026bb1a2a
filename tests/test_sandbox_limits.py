"""Rate-limit windows: unit tests on the window, and the server's per-path and workspace limits."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from aelyst_async.sandbox import FakeClock, Window
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
