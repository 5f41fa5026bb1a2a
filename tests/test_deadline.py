"""with_options(deadline=..., priority=...): a deadline bounds a whole call (virtual time)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from aelyst_async import (
    AelystClient,
    Contact,
    DeadlineExceededError,
    MaybeAppliedError,
    RateLimitPolicy,
    RetryPolicy,
)
from aelyst_async.testing import MockRequest, MockResponse, MockTransport
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
    assert loop.time() - started < 0.001  # at once: the throttle knew the wait (10 s)
    assert (caught.value.request_sent, caught.value.attempts) == (False, 0)
    assert "not sent" in str(caught.value)
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
    high = client.with_options(priority="high")
    assert high._options.call_priority == high._options.bulk_priority == "high"
    if priority is None:  # left unset: calls pass as "normal", bulk runs as "low"
        options = high.with_options(priority=None)._options
        assert (options.call_priority, options.bulk_priority) == ("high", "high")
        options = client.with_options(priority=None)._options
        assert (options.call_priority, options.bulk_priority) == ("normal", "low")
        return
    with pytest.raises(ValueError, match="priority must be 'high', 'normal' or 'low'"):
        client.with_options(priority=priority)  # type: ignore[arg-type]


# The deadline on the client's clock: a VirtualClock (public MockTransport) takes no real time.


def client_on(handler: Any, **options: Any) -> tuple[AelystClient, MockTransport]:
    transport = MockTransport(handler)
    return AelystClient(TOKEN, transport=transport, **options), transport


async def test_a_deadline_shorter_than_a_known_throttle_wait_fails_unsent_at_once() -> None:
    policy = RateLimitPolicy(per_path=1, period=10.0)
    client, transport = client_on(lambda _: MockResponse(200, {"contactId": 7}), rate_limit=policy)
    async with client:
        await client.contacts.create_or_update(EMAIL, ANA)
        started = transport.clock.now
        with pytest.raises(DeadlineExceededError) as caught:
            await client.with_options(deadline=3.0).contacts.create_or_update(EMAIL, ANA)
        assert transport.clock.now == started  # it did not wait out the 10 s
        assert (caught.value.request_sent, caught.value.attempts) == (False, 0)
        assert len(transport.requests) == 1
        # with time enough, the same call waits its turn and passes
        result = await client.with_options(deadline=11.0).contacts.create_or_update(EMAIL, ANA)
        assert result.contact_id == 7 and transport.clock.now - started >= 9.0


async def test_an_idempotent_get_past_its_deadline_during_retries() -> None:
    def unavailable(request: MockRequest) -> MockResponse:
        return MockResponse(503, {"code": 503, "message": "busy"}, {"Retry-After": "2"})

    retry = RetryPolicy(max_attempts=20)
    client, transport = client_on(unavailable, retry=retry)
    async with client:
        with pytest.raises(DeadlineExceededError) as caught:
            await client.with_options(deadline=5.0).contacts.get("id:7")
    error = caught.value
    assert (error.request_sent, error.attempts) == (True, len(transport.requests))
    assert len(transport.requests) == 3  # at 0, 2 and 4 s: the next wait would pass 5 s
    assert transport.clock.now <= 5.0  # the last wait was not slept
    assert "retry wait" in str(error)


async def test_a_message_past_its_deadline_on_a_429_was_surely_not_applied() -> None:
    def limited(request: MockRequest) -> MockResponse:
        return MockResponse(429, {"code": 429, "message": "slow down"}, {"Retry-After": "30"})

    client, transport = client_on(limited)
    async with client:
        with pytest.raises(DeadlineExceededError) as caught:
            await client.with_options(deadline=5.0).messages.send("id:7", "Hello")
    assert not isinstance(caught.value, MaybeAppliedError)
    assert (caught.value.attempts, len(transport.requests)) == (1, 1)
    assert transport.clock.now < 5.0


@virtual_time
async def test_a_message_on_the_wire_at_its_deadline_may_have_been_applied() -> None:
    transport = replying(answer(429, {"Retry-After": "1"}), latency=3.0)
    client = AelystClient(transport=transport, token=TOKEN)
    with pytest.raises(MaybeAppliedError) as caught:
        await client.with_options(deadline=5.0).messages.send("id:7", "Hello")
    assert caught.value.attempts == 2 == len(transport.sent)  # the 429, then the one in flight
    assert "may have been applied" in str(caught.value)
    await client.aclose()


@virtual_time
async def test_a_get_on_the_wire_at_its_deadline_after_a_retry() -> None:
    transport = replying(answer(503), latency=3.0)
    client = AelystClient(transport=transport, token=TOKEN)
    with pytest.raises(DeadlineExceededError) as caught:
        await client.with_options(deadline=5.0).contacts.get("id:7")
    assert not isinstance(caught.value, MaybeAppliedError)
    assert (caught.value.request_sent, caught.value.attempts) == (True, 2)
    await client.aclose()


@pytest.mark.parametrize(
    ("status", "call"),
    [(503, "get"), (429, "send")],  # an idempotent GET; a message the 429 surely refused
)
async def test_a_throttle_wait_past_the_deadline_after_an_attempt_counts_it(
    status: int, call: str
) -> None:
    answers = iter([MockResponse(status, {"code": status, "message": "no"}, {"Retry-After": "1"})])

    def handler(request: MockRequest) -> MockResponse:
        return next(answers, MockResponse(200, {"id": 7, "messageId": 9, "firstName": "A"}))

    policy = RateLimitPolicy(per_path=1, period=10.0)  # the retry waits ~10 s for its path
    client, transport = client_on(handler, rate_limit=policy)
    async with client:
        hurried = client.with_options(deadline=5.0)
        calling = (
            hurried.contacts.get("id:7")
            if call == "get"
            else hurried.messages.send("id:7", "Hello")
        )
        with pytest.raises(DeadlineExceededError) as caught:
            await calling
    error = caught.value
    assert not isinstance(error, MaybeAppliedError)
    assert (error.attempts, error.request_sent, len(transport.requests)) == (1, True, 1)
    assert transport.clock.now < 5.0  # refused at once, not waited out
    assert "waiting ahead" in str(error)
