"""with_options(deadline=..., priority=...): a deadline bounds a whole call (virtual time)."""

from __future__ import annotations

import asyncio

import pytest

from aelyst_async import (
    AelystClient,
    Contact,
    DeadlineExceededError,
    MaybeAppliedError,
    RateLimitPolicy,
    RetryPolicy,
)
from tests.fake_api import TOKEN
from tests.test_send import answer, replying
from tests.virtual_time import virtual_time

ANA = Contact("Ana", email="ana@example.com")
EMAIL = "email:ana@example.com"


@virtual_time
async def test_a_throttle_wait_past_the_deadline_fails_before_sending() -> None:
    transport = replying()
    policy = RateLimitPolicy(per_path=1, period=10.0)
    client = AelystClient(transport=transport, token=TOKEN, rate_limit=policy)
    await client.contacts.create_or_update(EMAIL, ANA)
    hurried = client.with_options(deadline=2.0)
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(DeadlineExceededError) as caught:
        await hurried.contacts.create_or_update(EMAIL, ANA)
    assert loop.time() - started == pytest.approx(2.0)
    assert (caught.value.request_sent, caught.value.attempts) == (False, 0)
    assert len(transport.sent) == 1
    await client.aclose()


@virtual_time
async def test_retries_stop_at_the_deadline() -> None:
    transport = replying(*[answer(503)] * 50)
    retry = RetryPolicy(max_attempts=50)
    client = AelystClient(transport=transport, token=TOKEN, retry=retry)
    with pytest.raises(DeadlineExceededError) as caught:
        await client.with_options(deadline=5.0).contacts.create_or_update(EMAIL, ANA)
    error = caught.value
    assert error.request_sent is True
    assert 1 <= error.attempts == len(transport.sent) < 50
    assert max(transport.times) <= 5.0
    await client.aclose()


@virtual_time
async def test_a_call_that_is_not_idempotent_past_its_deadline_may_have_been_applied() -> None:
    transport = replying(latency=10.0)
    client = AelystClient(transport=transport, token=TOKEN)
    with pytest.raises(MaybeAppliedError) as caught:
        await client.with_options(deadline=1.0).contacts.create(EMAIL, ANA)
    assert caught.value.attempts == 1
    assert len(transport.sent) == 1
    await client.aclose()


@virtual_time
async def test_an_idempotent_call_on_the_wire_at_its_deadline_was_sent() -> None:
    transport = replying(latency=10.0)
    client = AelystClient(transport=transport, token=TOKEN)
    with pytest.raises(DeadlineExceededError) as caught:
        await client.with_options(deadline=1.0).contacts.create_or_update(EMAIL, ANA)
    assert (caught.value.request_sent, caught.value.attempts) == (True, 1)
    await client.aclose()


@virtual_time
async def test_a_call_within_its_deadline_succeeds() -> None:
    transport = replying(answer(503), latency=0.5)
    client = AelystClient(transport=transport, token=TOKEN)
    result = await client.with_options(deadline=60.0).contacts.create_or_update(EMAIL, ANA)
    assert result.contact_id == 7
    assert len(transport.sent) == 2
    await client.aclose()


@pytest.mark.parametrize("deadline", [0, -1, float("inf"), float("nan"), True, "5"])
def test_a_bad_deadline_is_refused_naming_it(deadline: object) -> None:
    client = AelystClient(transport=replying(), token=TOKEN)
    with pytest.raises(ValueError, match="deadline must be"):
        client.with_options(deadline=deadline)  # type: ignore[arg-type]


@pytest.mark.parametrize("priority", ["urgent", "HIGH", None])
def test_a_priority_is_high_normal_or_low(priority: object) -> None:
    client = AelystClient(transport=replying(), token=TOKEN)
    assert client.with_options(priority="high")._options.priority == "high"
    if priority is None:
        assert client.with_options(priority=None)._options.priority == "normal"
        return
    with pytest.raises(ValueError, match="priority must be 'high', 'normal' or 'low'"):
        client.with_options(priority=priority)  # type: ignore[arg-type]
