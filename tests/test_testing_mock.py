"""aelyst_async.testing.MockTransport through the public constructor: what the handler sees,
what its answers become, and that every wait of the client follows the mock's virtual clock.

These tests run on pytest-asyncio's ordinary loop: the virtual clock, not the loop, is what keeps
them from waiting (the throttle's, Retry-After's and backoff's seconds are asserted on it).
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from aelyst_async import (
    AelystClient,
    BadRequestError,
    Contact,
    MaybeAppliedError,
    NotFoundError,
    RetryPolicy,
    TransportError,
)
from aelyst_async.testing import MockRequest, MockResponse, MockTransport, VirtualClock

TOKEN = "tok-mock-4242"
UPSERT = "/contact/create_or_update/email:ana@example.com"


def upserted(request: MockRequest) -> MockResponse:
    return MockResponse(200, {"contactId": 7})


def client_on(transport: MockTransport, **options: Any) -> AelystClient:
    return AelystClient(TOKEN, transport=transport, **options)


async def test_the_handler_sees_the_request_as_the_api_would() -> None:
    transport = MockTransport(upserted)
    client = client_on(transport)
    result = await client.contacts.create_or_update(
        "email:ana@example.com", Contact("Ana", phone="+60123456789")
    )
    assert result.contact_id == 7
    [request] = transport.requests
    assert (request.method, request.path, request.params) == ("POST", UPSERT, {})
    assert request.json["firstName"] == "Ana" and request.json["phone"] == "+60123456789"
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["User-Agent"].startswith("aelyst_async/")
    assert TOKEN not in repr(request) and "Bearer ***" in repr(request)


async def test_query_parameters_and_an_async_handler() -> None:
    async def users(request: MockRequest) -> MockResponse:
        await asyncio.sleep(0)
        if request.params.get("cursorId") is None:
            next_url = "https://api.aelyst.ai/v1/space/user?limit=1&cursorId=c2"
            return MockResponse(200, {"items": [{"id": 1}], "pagination": {"next": next_url}})
        return MockResponse(200, {"items": [{"id": 2}], "pagination": {}})

    transport = MockTransport(users)
    ids = [user.id async for user in client_on(transport).workspace.list_users(page_size=1)]
    assert ids == [1, 2]
    assert [(r.path, r.params) for r in transport.requests] == [
        ("/space/user", {"limit": "1"}),
        ("/space/user", {"limit": "1", "cursorId": "c2"}),
    ]


async def test_error_answers_raise_the_sdk_errors() -> None:
    def handler(request: MockRequest) -> MockResponse:
        if request.method == "GET":
            return MockResponse(404, {"code": 404, "message": "Contact not found"})
        return MockResponse(400, {"code": 400, "message": "Validation error."})

    client = client_on(MockTransport(handler))
    with pytest.raises(NotFoundError) as missing:
        await client.contacts.get("id:9")
    assert (missing.value.status, missing.value.attempts) == (404, 1)
    with pytest.raises(BadRequestError, match=r"Validation error\."):
        await client.contacts.create_or_update("email:ana@example.com", Contact("Ana"))


async def test_retry_after_and_backoff_take_virtual_time_only() -> None:
    answers = [
        MockResponse(429, {"code": 429, "message": "Too Many Requests"}, {"Retry-After": "30"}),
        MockResponse(500, {"code": 500, "message": "Unexpected error occurred"}),
        MockResponse(200, {"contactId": 7}),
    ]
    transport = MockTransport(lambda request: answers.pop(0))
    client = client_on(transport)
    result = await client.contacts.create_or_update("email:ana@example.com", Contact("Ana"))
    assert result.contact_id == 7
    stats = client.stats
    assert (stats.requests, stats.retries, stats.rate_limited, stats.server_errors) == (3, 2, 1, 1)
    assert stats.retry_wait >= 30
    assert transport.clock.now >= stats.retry_wait  # every wait moved the mock's clock


async def test_the_sixth_call_on_a_path_waits_on_the_virtual_clock() -> None:
    clock = VirtualClock()
    client = client_on(MockTransport(upserted, clock=clock))
    for _ in range(5):
        await client.contacts.create_or_update("email:ana@example.com", Contact("Ana"))
    assert clock.now == 0  # the burst of 5 (the default per-path limit) waits for nothing
    await client.contacts.create_or_update("email:ana@example.com", Contact("Ana"))
    assert clock.now == client.stats.throttle_wait >= 1.0  # a second's window, on the clock


async def test_an_unhandled_request_fails_at_once_and_is_not_retried() -> None:
    transport = MockTransport(lambda request: None)
    with pytest.raises(AssertionError, match=r"returned None for GET /contact/id:7"):
        await client_on(transport).contacts.get("id:7")
    assert len(transport.requests) == 1
    assert transport.clock.now == 0


async def test_a_handler_returning_something_else_is_a_type_error() -> None:
    transport = MockTransport(lambda request: {"contactId": 7})  # type: ignore[arg-type,return-value]
    with pytest.raises(TypeError, match="must return a MockResponse, not dict"):
        await client_on(transport).contacts.get("id:7")


async def test_a_refused_connection_is_retried_even_for_a_call_that_is_not_idempotent() -> None:
    calls: list[str] = []

    def handler(request: MockRequest) -> MockResponse:
        calls.append(request.method)
        if len(calls) == 1:
            raise ConnectionRefusedError("nobody listens")
        return MockResponse(200, {})

    client = client_on(MockTransport(handler))
    await client.contacts.create("email:ana@example.com", Contact("Ana"))  # POST, not idempotent
    assert calls == ["POST", "POST"]
    assert client.stats.transport_errors == 1


async def test_a_reset_after_sending_is_never_repeated_for_a_call_that_is_not_idempotent() -> None:
    def handler(request: MockRequest) -> MockResponse:
        raise ConnectionResetError("reset by peer")

    transport = MockTransport(handler)
    with pytest.raises(MaybeAppliedError) as caught:
        await client_on(transport).contacts.create("email:ana@example.com", Contact("Ana"))
    assert len(transport.requests) == 1
    cause = caught.value.__cause__
    assert isinstance(cause, TransportError) and cause.request_sent
    assert "ConnectionResetError raised by the mock handler" in str(cause)


async def test_a_handler_error_echoing_the_token_is_redacted_in_the_sdk_errors() -> None:
    def handler(request: MockRequest) -> MockResponse:
        raise ConnectionResetError(f"peer said {request.headers['Authorization']}")

    with pytest.raises(MaybeAppliedError) as caught:
        await client_on(MockTransport(handler)).request("POST", "/space/x", json={})
    cause = caught.value.__cause__
    assert isinstance(cause, TransportError)
    for error in (caught.value, cause):
        assert TOKEN not in str(error) and "peer said Bearer ***" in str(error)


async def test_timeouts_are_retried_then_raised_as_transport_errors() -> None:
    def handler(request: MockRequest) -> MockResponse:
        raise TimeoutError

    transport = MockTransport(handler)
    client = client_on(transport, retry=RetryPolicy(max_attempts=3))
    with pytest.raises(TransportError) as caught:
        await client.contacts.get("id:7")
    assert caught.value.attempts == 3 and len(transport.requests) == 3
    assert transport.clock.now == pytest.approx(client.stats.retry_wait)


async def test_any_other_exception_propagates_unchanged_and_is_not_retried() -> None:
    class Bug(Exception):
        pass

    def handler(request: MockRequest) -> MockResponse:
        raise Bug("in the handler")

    transport = MockTransport(handler)
    with pytest.raises(Bug):
        await client_on(transport).contacts.get("id:7")
    assert len(transport.requests) == 1


async def test_with_options_keeps_the_transport_and_its_clock() -> None:
    transport = MockTransport(upserted)
    view = client_on(transport).with_options(timeout=5)
    await view.contacts.create_or_update("email:ana@example.com", Contact("Ana"))
    assert transport.requests[0].headers["Authorization"] == f"Bearer {TOKEN}"


def test_mock_responses_are_checked_when_made() -> None:
    with pytest.raises(ValueError, match="status must be an int from 100 to 599, not 700"):
        MockResponse(700)
    with pytest.raises(TypeError, match="headers must map str to str"):
        MockResponse(200, headers={"Retry-After": 1})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="handler must be callable"):
        MockTransport("not a function")  # type: ignore[arg-type]


async def test_transport_and_session_are_exclusive_and_checked() -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises(ValueError, match="session= or transport=, not both"):
            AelystClient(TOKEN, transport=MockTransport(upserted), session=session)
    with pytest.raises(ValueError, match="proxy= or transport=, not both"):
        AelystClient(TOKEN, transport=MockTransport(upserted), proxy="http://proxy.test:3128")
    with pytest.raises(TypeError, match="transport must be a MockTransport"):
        AelystClient(TOKEN, transport=upserted)  # type: ignore[arg-type]
