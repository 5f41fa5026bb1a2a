"""The throttle and retries as the client wires them: policies, hooks, stats, logs."""

from __future__ import annotations

import logging

import pytest

from aelyst_async import (
    AelystClient,
    ClientStats,
    Contact,
    RateLimitPolicy,
    RetryEvent,
    RetryPolicy,
    ServerError,
    ThrottleSnapshot,
    WaitEvent,
)
from tests.fake_api import TOKEN, FakeAPI, Scripted
from tests.test_send import answer, replying
from tests.virtual_time import virtual_time

ANA = Contact("Ana", email="ana@example.com")


def test_policies_of_the_wrong_type_are_refused() -> None:
    with pytest.raises(TypeError, match="rate_limit must be a RateLimitPolicy"):
        AelystClient(token=TOKEN, rate_limit={"per_path": 5})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="retry must be a RetryPolicy"):
        AelystClient(token=TOKEN, retry=3)  # type: ignore[arg-type]


def test_suggested_concurrency_is_the_throttles_estimate_on_the_client_and_its_views() -> None:
    unmetered = AelystClient(
        TOKEN, transport=replying(), rate_limit=RateLimitPolicy(adaptive=False)
    )
    assert unmetered.suggested_concurrency() == 64  # no workspace rate applies
    policy = RateLimitPolicy(workspace=50)
    configured = AelystClient(TOKEN, transport=replying(), rate_limit=policy)
    assert configured.suggested_concurrency() == 26  # 50/s x 0.25 s (assumed) x 2 + 1
    assert configured.with_options(timeout=5).suggested_concurrency() == 26  # the same throttle
    fast = AelystClient(TOKEN, transport=replying(), rate_limit=RateLimitPolicy(workspace=10_000))
    assert fast.suggested_concurrency() == 512  # bounded


def test_defaults_before_any_request() -> None:
    client = AelystClient(TOKEN, transport=replying())
    assert client.stats == ClientStats()
    snap = client.throttle_snapshot()
    assert isinstance(snap, ThrottleSnapshot)
    assert (snap.paths, snap.workspace_rate, snap.paused_for) == (0, None, 0.0)


@virtual_time
async def test_the_client_retries_throttles_counts_and_calls_its_hooks() -> None:
    retries: list[RetryEvent] = []
    waits: list[WaitEvent] = []
    transport = replying(
        answer(500),
        answer(429, {"Retry-After": "3", "X-RateLimit-Remaining": "4"}),
        answer(200, {"X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "4"}),
    )
    async with AelystClient(
        TOKEN,
        transport=transport,
        rate_limit=RateLimitPolicy(per_path=5, workspace=20),
        retry=RetryPolicy(backoff_base=0.1),
        on_retry=retries.append,
        on_wait=waits.append,
    ) as client:
        [outcome] = [o async for o in client.contacts.upsert_many([("email:ana@example.com", ANA)])]
        other = await client.contacts.create_or_update("email:bob@example.com", Contact("Bob"))
    assert (outcome.contact_id, outcome.attempts, other.contact_id) == (7, 3, 7)
    assert [e.error.status for e in retries] == [500, 429]  # type: ignore[attr-defined]
    assert retries[1].delay == 3.0
    stats = client.stats
    assert (stats.requests, stats.retries, stats.server_errors, stats.rate_limited) == (4, 2, 1, 1)
    snap = client.throttle_snapshot()
    assert (snap.workspace_rate, snap.workspace_source) == (20.0, "configured")
    assert snap.paths == 2
    assert all(w.seconds > 0 for w in waits)


@virtual_time
async def test_the_final_error_reaches_the_caller_with_its_attempts() -> None:
    transport = replying(*[answer(503)] * 3)
    client = AelystClient(TOKEN, transport=transport, retry=RetryPolicy(max_attempts=3))
    with pytest.raises(ServerError) as caught:
        await client.contacts.create_or_update("email:ana@example.com", ANA)
    assert caught.value.attempts == 3
    await client.aclose()


async def test_the_token_never_reaches_the_logs(
    fake_api: FakeAPI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    echo = {"code": 500, "message": f"bad token Bearer {TOKEN}"}
    fake_api.answer(
        Scripted(500, json=echo), Scripted(429, json=echo, headers={"Retry-After": "0"})
    )
    async with AelystClient(
        token=TOKEN, base_url=fake_api.base_url, retry=RetryPolicy(backoff_base=0.001)
    ) as client:
        result = await client.contacts.create_or_update("email:ana@example.com", ANA)
    assert result.contact_id == 1
    assert len(fake_api.requests) == 3
    assert fake_api.requests[0].headers["Authorization"] == f"Bearer {TOKEN}"
    assert any("retrying" in r.getMessage() for r in caplog.records)
    assert TOKEN not in caplog.text
    for record in caplog.records:
        assert TOKEN not in repr(record.args)
