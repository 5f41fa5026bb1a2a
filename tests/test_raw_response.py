"""client.with_raw_response: status, headers, attempts, elapsed and parse() of every call
(issue 19), through the public MockTransport on its virtual clock."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import pytest

from aelyst_async import (
    AelystClient,
    APIResponse,
    ContactRecord,
    ContactUpdate,
    NotFoundError,
    Page,
    ResponseFormatError,
)
from aelyst_async._resources.comments import Comments
from aelyst_async._resources.contacts import Contacts
from aelyst_async._resources.conversations import Conversations
from aelyst_async._resources.messages import Messages
from aelyst_async._resources.workspace import Workspace
from aelyst_async.testing import MockRequest, MockResponse, MockTransport

TOKEN = "tok-raw-31337"
RECORD = {"id": 7, "firstName": "Ana", "email": "ana@example.com"}
LIMITS = {"X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "4", "X-Request-Id": "req-1"}


def api(request: MockRequest) -> MockResponse:
    path = request.path
    if path == "/contact/id:7" and request.method == "GET":
        return MockResponse(200, RECORD, LIMITS)
    if path == "/contact/id:7" and request.method == "PUT":
        return MockResponse(200, {"contactId": 7}, {"X-Request-Id": "req-put"})
    if path == "/contact/id:7/comment":
        return MockResponse(200, {"code": 200, "message": "ok"}, {"X-Request-Id": "req-c"})
    if path == "/space/user":
        cursor = request.params.get("cursorId")
        following = None if cursor else "https://api.aelyst.ai/v1/space/user?cursorId=2"
        user = {"id": 2 if cursor else 1, "firstName": "U", "email": "u@example.com"}
        page = {"items": [user], "pagination": {"next": following}}
        return MockResponse(200, page, {"X-Page": cursor or "first"})
    return MockResponse(404, {"code": 404, "message": "Contact not found"}, {"X-Request-Id": "r4"})


def client_on(handler: Any = api) -> tuple[AelystClient, MockTransport]:
    transport = MockTransport(handler)
    return AelystClient(TOKEN, transport=transport), transport


async def test_a_raw_call_gives_status_headers_attempts_elapsed_and_the_plain_result() -> None:
    client, _ = client_on()
    async with client:
        response = await client.with_raw_response.contacts.get("id:7")
        plain = await client.contacts.get("id:7")
    assert isinstance(response, APIResponse)
    assert response.status == 200
    assert response.headers["x-ratelimit-remaining"] == "4"  # case-insensitive
    assert response.request_id == "req-1"
    assert (response.attempts, response.elapsed) == (1, 0.0)
    record = response.parse()
    assert isinstance(record, ContactRecord) and record == plain
    assert response.parse() is record  # parsed once, when the call returned
    with pytest.raises(TypeError):
        response.headers["X-Page"] = "2"  # type: ignore[index]  # read-only


async def test_attempts_and_elapsed_count_the_retries_on_the_clients_clock() -> None:
    answers = iter([MockResponse(503, {"code": 503, "message": "busy"}, {"Retry-After": "2"})])

    def flaky(request: MockRequest) -> MockResponse:
        return next(answers, MockResponse(200, {"contactId": 7}, {"X-Request-Id": "second"}))

    client, transport = client_on(flaky)
    async with client:
        response = await client.with_raw_response.contacts.update(
            "id:7", ContactUpdate(first_name="Ana")
        )
    assert (response.status, response.attempts, response.parse()) == (200, 2, 7)
    assert response.request_id == "second"  # the answer the result was read from
    assert response.elapsed == pytest.approx(2.0) == transport.clock.now


async def test_errors_are_raised_as_the_plain_call_raises_them() -> None:
    client, _ = client_on()
    async with client:
        with pytest.raises(NotFoundError) as caught:
            await client.with_raw_response.contacts.get("id:8")
        assert caught.value.request_id == "r4"
        broken = AelystClient(TOKEN, transport=MockTransport(lambda _: MockResponse(200, [1])))
        with pytest.raises(ResponseFormatError):
            await broken.with_raw_response.contacts.get("id:7")


async def test_calls_without_a_result_still_give_their_answer() -> None:
    client, transport = client_on()
    async with client:
        response = await client.with_raw_response.comments.create("id:7", "Called")
    assert (response.status, response.request_id, response.parse()) == (200, "req-c", None)
    assert transport.requests[-1].json == {"text": "Called"}


async def test_a_listing_gives_one_raw_response_per_page() -> None:
    client, transport = client_on()
    async with client:
        pages = [page async for page in client.with_raw_response.workspace.list_users()]
    assert [page.headers["X-Page"] for page in pages] == ["first", "2"]
    assert all(page.status == 200 and page.attempts == 1 for page in pages)
    parsed = [page.parse() for page in pages]
    assert all(isinstance(page, Page) for page in parsed)
    assert [user.id for page in parsed for user in page.items] == [1, 2]
    assert parsed[0].next_cursor == "2" and parsed[1].next_cursor is None
    assert len(transport.requests) == 2


async def test_breaking_out_of_raw_pages_fetches_no_more() -> None:
    client, transport = client_on()
    async with client:
        async for _ in client.with_raw_response.workspace.list_users():
            break
    assert len(transport.requests) == 1


async def test_client_request_raw() -> None:
    client, _ = client_on()
    async with client:
        response = await client.with_raw_response.request("GET", "/contact/id:7")
    assert response.status == 200 and response.request_id == "req-1"
    assert response.parse() == RECORD  # the decoded JSON, as client.request returns it


async def test_concurrent_raw_calls_keep_their_own_answers() -> None:
    def by_path(request: MockRequest) -> MockResponse:
        record = {"id": int(request.path.rsplit(":", 1)[1]), "firstName": "X"}
        return MockResponse(200, record, {"X-Request-Id": request.path})

    client, _ = client_on(by_path)
    async with client:
        raw = client.with_raw_response
        responses = await asyncio.gather(*(raw.contacts.get(f"id:{i}") for i in range(1, 6)))
    assert [r.request_id for r in responses] == [f"/contact/id:{i}" for i in range(1, 6)]
    assert [r.parse().id for r in responses] == [1, 2, 3, 4, 5]


async def test_a_header_echoing_the_token_is_redacted() -> None:
    def echo(request: MockRequest) -> MockResponse:
        return MockResponse(200, RECORD, {"X-Echo": request.headers["Authorization"]})

    client, _ = client_on(echo)
    async with client:
        response = await client.with_raw_response.contacts.get("id:7")
    assert TOKEN not in response.headers["X-Echo"] and TOKEN not in repr(response)


async def test_a_raw_view_keeps_the_options_of_its_client() -> None:
    client, transport = client_on()
    async with client:
        traced = client.with_options(headers={"X-Trace-Id": "t-1"}).with_raw_response
        response = await traced.contacts.get("id:7")
    assert response.status == 200
    assert transport.requests[-1].headers["X-Trace-Id"] == "t-1"


@pytest.mark.parametrize(
    ("resource", "twin"),
    [
        (Contacts, "contacts"),
        (Messages, "messages"),
        (Comments, "comments"),
        (Conversations, "conversations"),
        (Workspace, "workspace"),
    ],
)
def test_every_call_of_every_resource_has_a_raw_twin(resource: type, twin: str) -> None:
    not_raw = {"bulk_upsert", "upsert_many", "send_for_bulk"}  # many requests, not one answer
    client, _ = client_on()
    raw = getattr(client.with_raw_response, twin)
    for name, method in inspect.getmembers(resource, inspect.isfunction):
        if name.startswith("_") or name in not_raw:
            continue
        assert hasattr(raw, name), f"{twin}.{name} has no raw twin"
        plain = inspect.signature(method)
        assert list(plain.parameters)[1:] == list(inspect.signature(getattr(raw, name)).parameters)
