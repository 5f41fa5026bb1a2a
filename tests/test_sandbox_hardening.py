"""Hostile or odd requests get the documented JSON answers, never a text page; limits and headers
hold on every endpoint."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest

from aelyst_async.sandbox import FakeClock, Sandbox, _routes
from aelyst_async.sandbox._routes import Route
from aelyst_async.sandbox._state import Apply, Call
from tests.sandbox_helpers import Start, error_body, sandboxes

INVALID = error_body(400, "Validation error.")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(1000.0)


@pytest.fixture
async def start(clock: FakeClock) -> AsyncIterator[Start]:
    async with sandboxes(clock) as start:
        yield start


async def raw_request(sb: Sandbox, head: bytes, body: bytes = b"") -> tuple[int, bytes, bytes]:
    """Send bytes as they are; ``(status, head, body)`` of the answer."""
    host, _, port = sb.url.removeprefix("http://").rpartition(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(head + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode())
        writer.write(body)
        await writer.drain()
        answer = await reader.read()
    finally:
        writer.close()
        await writer.wait_closed()
    answer_head, _, answer_body = answer.partition(b"\r\n\r\n")
    return int(answer_head.split(b" ", 2)[1]), answer_head, answer_body


@pytest.mark.parametrize("path", ["/contact/create_or_update/email:a@example.com", "/contact/list"])
async def test_a_body_nested_100000_deep_is_400(start: Start, path: str) -> None:
    api = await start()
    for data in (b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 100_000 + b"1" + b"}" * 100_000):
        reply = await api.call("POST", path, data=data)
        assert (reply.status, reply.body) == (400, INVALID)
        assert reply.headers["Content-Type"].startswith("application/json")


@pytest.mark.parametrize("token", [b"\xff\xfe", b"sandbox-token\xc3", b"\xe9t\xe9"])
async def test_non_utf8_authorization_is_401(start: Start, token: bytes) -> None:
    api = await start()
    head = b"GET /v1/space/user HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token + b"\r\n"
    status, answer_head, body = await raw_request(api.sb, head)
    assert (status, body) == (401, error_body(401, "UN_AUTHORIZED"))
    assert b"application/json" in answer_head
    assert api.sb.stats.statuses == {401: 1}


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("/v1/contact/email:a%0A@example.com", 400, "Validation error."),  # an endpoint
        ("/v1/contact/email:a%0Ab@example.com/channels", 400, "Validation error."),
        ("/v1/contact/email:a%0A@example.com/nothing", 404, "Not Found"),
        ("/v1/nothing%0A", 404, "Not Found"),
        ("/%0A", 404, "Not Found"),
        ("/v1", 404, "Not Found"),
        ("/", 404, "Not Found"),
        ("/v1/contact/id:1/message/list/", 404, "Not Found"),
        ("/v1/contact//tag", 404, "Not Found"),
        ("/v1/space/user/%E9", 400, "Validation error."),
    ],
)
async def test_every_answer_is_documented_json(
    start: Start, path: str, status: int, message: str
) -> None:
    api = await start()
    reply = await api.get(path)
    if status == 400:  # an endpoint: authenticated
        reply = await api.call("GET", path.removeprefix("/v1"))
    assert (reply.status, reply.body) == (status, error_body(status, message))
    assert reply.headers["Content-Type"].startswith("application/json")


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("GET", "/contact/merge", "POST"),
        ("PATCH", "/contact/id:1", "DELETE, GET, POST, PUT"),
        ("GET", "/space/tag", "DELETE, POST, PUT"),
        ("POST", "/contact/id:1/message/list", "GET"),
        ("DELETE", "/contact/create_or_update/id:1", "POST"),
    ],
)
async def test_a_wrong_method_is_405_with_allow(
    start: Start, method: str, path: str, allow: str
) -> None:
    api = await start()
    reply = await api.call(method, path, {})
    assert (reply.status, reply.body) == (405, error_body(405, "Method Not Allowed"))
    assert reply.headers["Allow"] == allow
    assert api.sb.stats.requests == 0


async def test_a_body_over_1_mib_is_400_json(start: Start) -> None:
    api = await start()
    data = json.dumps({"firstName": "A" * (1024**2)}).encode()
    head = (
        b"POST /v1/contact/create_or_update/email:a@example.com HTTP/1.1\r\nHost: x\r\n"
        b"Authorization: Bearer sandbox-token\r\nContent-Type: application/json\r\n"
    )
    status, answer_head, body = await raw_request(api.sb, head, data)
    assert (status, body) == (400, INVALID)
    assert b"X-RateLimit-Remaining: 4" in answer_head
    assert len(api.sb.store) == 0


async def test_an_unexpected_error_is_a_json_500(
    start: Start, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(call: Call) -> Apply:
        raise RuntimeError("bug")

    monkeypatch.setattr(_routes, "ROUTES", (Route("GET", "/space/user", broken),))
    api = await start()
    reply = await api.call("GET", "/space/user")
    assert (reply.status, reply.body) == (500, error_body(500, "Unexpected error occurred"))


async def test_each_method_and_path_has_its_own_budget_on_every_endpoint(
    start: Start, clock: FakeClock
) -> None:
    api = await start(per_path=2)
    await api.upsert("email:a@example.com")
    for left in ("1", "0"):
        reply = await api.call("GET", "/contact/id:1")
        assert (reply.headers["X-RateLimit-Limit"], reply.headers["X-RateLimit-Remaining"]) == (
            "2", left,
        )  # fmt: skip
    reply = await api.call("GET", "/contact/id:1")
    assert (reply.status, reply.body) == (429, error_body(429, "Too Many Requests"))
    assert reply.headers["Retry-After"] == "1"
    assert (await api.call("PUT", "/contact/id:1", {"lastName": "X"})).status == 200
    assert (await api.call("GET", "/contact/email:a@example.com")).status == 200  # another path
    assert (await api.call("GET", "/contact/email%3Aa%40example.com")).headers[
        "X-RateLimit-Remaining"
    ] == "0"  # the same decoded path
    for _ in range(2):
        await api.call("POST", "/contact/list?limit=1", {})
    assert (await api.call("POST", "/contact/list?limit=5", {})).status == 429  # query not in path
    clock.advance(1.0)
    assert (await api.call("GET", "/contact/id:1")).status == 200


async def test_401_on_every_endpoint_uses_no_budget(start: Start) -> None:
    api = await start(per_path=1)
    for endpoint in _routes.ROUTES:
        path = endpoint.template.format(identifier="id:1", id="1", messageId="1")
        reply = await api.call(endpoint.method, path, {}, token="wrong")
        assert (reply.status, reply.body) == (401, error_body(401, "UN_AUTHORIZED")), path
        assert reply.headers["X-RateLimit-Remaining"] == "1"
    assert api.sb.stats.requests == len(_routes.ROUTES)
    assert set(api.sb.stats.operations) == {r.name for r in _routes.ROUTES}


async def test_the_workspace_limit_covers_every_endpoint(start: Start) -> None:
    api = await start(workspace=2)
    await api.upsert("email:a@example.com")
    assert (await api.call("GET", "/space/user")).status == 200
    reply = await api.call("GET", "/space/channel")
    assert (reply.status, reply.headers["X-RateLimit-Remaining"]) == (429, "5")
    assert api.sb.stats.workspace_limited == 1
