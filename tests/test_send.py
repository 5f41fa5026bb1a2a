"""The pipeline: retry schedules, final errors, hooks, counters and logs, on a virtual clock."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import random
from collections.abc import Mapping

import pytest

from aelyst_async import (
    AuthenticationError,
    BadRequestError,
    ClientStats,
    NotFoundError,
    QueuedError,
    RateLimitError,
    RateLimitPolicy,
    ResponseFormatError,
    RetryEvent,
    RetryPolicy,
    ServerError,
    TransportError,
    UpsertResult,
)
from aelyst_async._errors import APIError
from aelyst_async._mask import masked
from aelyst_async._sansio.request import Request
from aelyst_async._sansio.response import Response
from aelyst_async._send import Sender
from aelyst_async._throttle import Throttle
from aelyst_async._throttle.paths import SEND_MARGIN
from tests.mock_transport import MockTransport
from tests.upsert_helpers import interpret_upsert
from tests.virtual_time import virtual_time

WINDOW = 1.0 + SEND_MARGIN
"""A path's window as the throttle keeps it: a period from the send, plus a jitter margin."""
REQUEST = Request("POST", "/contact/create_or_update/email:ana@example.com", {}, b"{}")
Outcome = Response | TransportError


def answer(status: int, headers: Mapping[str, str] | None = None) -> Response:
    body: object = {"contactId": 7} if status < 300 else {"code": status, "message": "nope"}
    return Response(status, dict(headers or {}), json.dumps(body).encode())


def replying(*script: Outcome, latency: float = 0.0) -> MockTransport:
    """A mock transport answering 200 once its script runs out."""
    return MockTransport(*script, latency=latency, default=answer(200))


def pipeline(
    transport: MockTransport,
    retry: RetryPolicy | None = None,
    policy: RateLimitPolicy | None = None,
    on_retry: list[RetryEvent] | None = None,
    seed: int = 0,
) -> Sender:
    return Sender(
        transport,
        throttle=Throttle(policy or RateLimitPolicy(per_path=100)),
        retry=retry or RetryPolicy(),
        on_retry=on_retry.append if on_retry is not None else None,
        rng=random.Random(seed),
    )


def gaps(times: list[float]) -> list[float]:
    return [b - a for a, b in itertools.pairwise(times)]


@virtual_time
async def test_a_success_takes_one_attempt() -> None:
    transport = replying(answer(200))
    result, attempts = await pipeline(transport).send(REQUEST, interpret_upsert)
    assert (result, attempts) == (UpsertResult(7), 1)


@virtual_time
async def test_5xx_is_retried_with_full_jitter_backoff_and_succeeds() -> None:
    transport = replying(answer(500), answer(502), answer(503), answer(200))
    events: list[RetryEvent] = []
    pipe = pipeline(transport, RetryPolicy(backoff_base=1.0), on_retry=events, seed=3)
    result, attempts = await pipe.send(REQUEST, interpret_upsert)
    assert (result, attempts) == (UpsertResult(7), 4)
    twin = random.Random(3)
    expected = [twin.uniform(0, 1.0), twin.uniform(0, 2.0), twin.uniform(0, 4.0)]
    assert gaps(transport.times) == pytest.approx(expected, abs=1e-6)
    assert [e.attempt for e in events] == [1, 2, 3]
    assert [e.delay for e in events] == pytest.approx(expected)
    assert all(isinstance(e.error, ServerError) for e in events)


@virtual_time
async def test_backoff_is_capped_at_backoff_max() -> None:
    transport = replying(*[answer(500)] * 9)
    policy = RetryPolicy(max_attempts=10, backoff_base=1.0, backoff_max=2.0)
    await pipeline(transport, policy).send(REQUEST, interpret_upsert)
    assert all(0 <= g <= 2.0 + 1e-6 for g in gaps(transport.times))


@pytest.mark.parametrize(
    "failure",
    [TransportError("ClientConnectorError: refused"), TransportError("timed out after 30s")],
)
@virtual_time
async def test_connection_errors_and_timeouts_are_retried(failure: TransportError) -> None:
    transport = replying(failure, failure, answer(200))
    result, attempts = await pipeline(transport).send(REQUEST, interpret_upsert)
    assert (result, attempts) == (UpsertResult(7), 3)
    assert gaps(transport.times)[0] <= 0.5 + 1e-6 and gaps(transport.times)[1] <= 1.0 + 1e-6


@virtual_time
async def test_the_final_error_carries_the_attempts() -> None:
    transport = replying(*[answer(503)] * 10)
    with pytest.raises(ServerError) as caught:
        await pipeline(transport, RetryPolicy(max_attempts=4)).send(REQUEST, interpret_upsert)
    assert caught.value.attempts == 4
    assert len(transport.times) == 4
    assert "after 4 attempts" in str(caught.value)


@virtual_time
async def test_a_final_transport_error_carries_the_attempts() -> None:
    transport = replying(*[TransportError("refused")] * 3)
    with pytest.raises(TransportError) as caught:
        await pipeline(transport, RetryPolicy(max_attempts=3)).send(REQUEST, interpret_upsert)
    assert caught.value.attempts == 3


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (404, NotFoundError),
        (403, APIError),
        (422, APIError),
    ],
)
@virtual_time
async def test_400_401_404_and_other_4xx_are_never_retried(
    status: int, error: type[APIError]
) -> None:
    transport = replying(answer(status), answer(200))
    with pytest.raises(error) as caught:
        await pipeline(transport).send(REQUEST, interpret_upsert)
    assert caught.value.attempts == 1
    assert len(transport.times) == 1


@virtual_time
async def test_an_unreadable_2xx_body_is_never_retried() -> None:
    transport = replying(Response(200, {}, b"<html>"), answer(200))
    with pytest.raises(ResponseFormatError, match="not the documented") as exc:
        await pipeline(transport).send(REQUEST, interpret_upsert)
    assert exc.value.attempts == 1 and exc.value.status == 200
    assert len(transport.times) == 1


@virtual_time
async def test_429_waits_at_least_its_retry_after() -> None:
    limited = answer(429, {"Retry-After": "4", "X-RateLimit-Remaining": "0"})
    transport = replying(limited, answer(200))
    pipe = pipeline(transport)
    _, attempts = await pipe.send(REQUEST, interpret_upsert)
    assert attempts == 2
    assert gaps(transport.times)[0] >= 4.0 - 1e-9
    stats = pipe.stats
    assert (stats.rate_limited, stats.retries, stats.requests) == (1, 1, 2)


@virtual_time
async def test_429_without_retry_after_waits_one_period() -> None:
    transport = replying(answer(429), answer(200))
    await pipeline(transport, policy=RateLimitPolicy(period=2.5)).send(REQUEST, interpret_upsert)
    assert gaps(transport.times)[0] == pytest.approx(2.5, abs=1e-6)


@virtual_time
async def test_429s_spend_max_attempts_and_the_error_keeps_the_rate_facts() -> None:
    limited = answer(
        429, {"Retry-After": "1", "X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "0"}
    )
    transport = replying(*[limited] * 5)
    with pytest.raises(RateLimitError) as caught:
        await pipeline(transport, RetryPolicy(max_attempts=3)).send(REQUEST, interpret_upsert)
    assert (caught.value.attempts, caught.value.limit, caught.value.remaining) == (3, 5, 0)
    assert caught.value.retry_after == 1.0


@virtual_time
async def test_449_waits_queued_delay_with_jitter_and_gives_up_after_queued_max_wait() -> None:
    transport = replying(*[answer(449)] * 50)
    policy = RetryPolicy(max_attempts=2, queued_delay=60.0, queued_max_wait=600.0)
    with pytest.raises(QueuedError) as caught:
        await pipeline(transport, policy).send(REQUEST, interpret_upsert)
    sent = transport.times
    assert all(48.0 - 1e-6 <= g <= 72.0 + 1e-6 for g in gaps(sent)[:-1])
    assert sent[-1] == pytest.approx(600.0, abs=1e-6)  # the last wait was shortened to end then
    assert caught.value.attempts == len(sent) > 2  # its own budget: more than max_attempts


@virtual_time
async def test_449_then_success_reports_every_attempt() -> None:
    transport = replying(answer(449), answer(449), answer(200))
    pipe = pipeline(transport, RetryPolicy(queued_delay=10.0))
    result, attempts = await pipe.send(REQUEST, interpret_upsert)
    assert (result, attempts) == (UpsertResult(7), 3)
    assert pipe.stats.queued == 2


@virtual_time
async def test_stats_count_requests_retries_statuses_and_waits() -> None:
    script: list[Outcome] = [
        answer(500),
        TransportError("refused"),
        answer(449),
        answer(429, {"Retry-After": "2", "X-RateLimit-Remaining": "0"}),
        answer(200),
    ]
    transport = replying(*script)
    pipe = pipeline(transport, RetryPolicy(queued_delay=5.0))
    assert pipe.stats == ClientStats()
    await pipe.send(REQUEST, interpret_upsert)
    stats = pipe.stats
    assert (stats.requests, stats.retries) == (5, 4)
    assert (stats.server_errors, stats.transport_errors, stats.queued, stats.rate_limited) == (
        1,
        1,
        1,
        1,
    )
    assert stats.retry_wait > 2.0 + 4.0  # the 429's 2s and the 449's ~5s, plus backoffs
    with pytest.raises(AttributeError):
        stats.requests = 0  # type: ignore[misc]


@virtual_time
async def test_stats_count_throttle_waits() -> None:
    transport = replying()
    pipe = pipeline(transport, policy=RateLimitPolicy(per_path=1))
    for _ in range(3):
        await pipe.send(REQUEST, interpret_upsert)
    assert pipe.stats.throttle_wait == pytest.approx(2 * WINDOW, abs=1e-6)
    assert transport.times == pytest.approx([0, WINDOW, 2 * WINDOW], abs=1e-6)


@virtual_time
async def test_a_failing_on_retry_hook_is_logged_and_the_retry_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(event: RetryEvent) -> None:
        raise ValueError("hook bug")

    transport = replying(answer(500), answer(200))
    pipe = Sender(transport, throttle=Throttle(RateLimitPolicy()), on_retry=broken)
    _, attempts = await pipe.send(REQUEST, interpret_upsert)
    assert attempts == 2
    assert "on_retry hook raised" in caplog.text


@virtual_time
async def test_retries_are_logged_at_info_without_bodies(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="aelyst_async")
    secret_body = b'{"code": 500, "message": "internal detail 12345"}'
    transport = replying(Response(500, {}, secret_body), answer(200))
    await pipeline(transport).send(REQUEST, interpret_upsert)
    lines = [r.getMessage() for r in caplog.records if r.name == "aelyst_async"]
    path = masked(REQUEST.path)  # the identifier's value masked
    assert path != REQUEST.path
    assert any("retrying" in line and "500" in line and path in line for line in lines)
    assert "internal detail" not in caplog.text and REQUEST.path not in caplog.text


@virtual_time
async def test_a_cancelled_request_hands_its_permit_back() -> None:
    transport = replying(latency=10.0)
    throttle = Throttle(RateLimitPolicy(per_path=1))
    pipe = Sender(transport, throttle=throttle)
    task = asyncio.create_task(pipe.send(REQUEST, interpret_upsert))
    await asyncio.sleep(1.0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.sleep(5.0)
    assert throttle.snapshot().paths == 1
    await pipe.send(Request("POST", "/contact/create_or_update/id:2", {}, b"{}"), interpret_upsert)
    assert throttle.snapshot().paths == 1  # the idle, cancelled one was dropped
