"""client.request: any call through the same throttle, retries, errors and headers."""

from __future__ import annotations

import json

import pytest

from aelyst_async import (
    AelystClient,
    MaybeAppliedError,
    NotFoundError,
    RateLimitPolicy,
    RetryPolicy,
)
from aelyst_async._sansio.response import Response
from tests.fake_api import TOKEN
from tests.test_send import answer, replying
from tests.virtual_time import virtual_time


def ok(body: object, status: int = 200) -> Response:
    return Response(status, {}, json.dumps(body).encode())


@virtual_time
async def test_any_call_returns_the_decoded_json_with_body_and_query() -> None:
    transport = replying(ok({"data": [1, 2]}), Response(204, {}, b""))
    client = AelystClient(transport=transport, token=TOKEN)
    got = await client.request("post", "/contact/id:7/tag", json={"tags": ["vip"]})
    assert got == {"data": [1, 2]}
    assert await client.request("GET", "/space/user", params={"limit": 5, "q": "a b"}) is None
    first, second = transport.sent
    assert (first.method, first.path, first.json(), first.idempotent) == (
        "POST",
        "/contact/id:7/tag",
        {"tags": ["vip"]},
        False,
    )
    assert (second.method, second.path, second.idempotent) == (
        "GET",
        "/space/user?limit=5&q=a%20b",
        True,
    )
    assert first.headers["Content-Type"] == "application/json"
    await client.aclose()


@virtual_time
async def test_it_goes_through_the_throttles_path_budget() -> None:
    transport = replying(*[ok({"contactId": 7})] * 3)
    policy = RateLimitPolicy(per_path=2, period=10.0)
    client = AelystClient(transport=transport, token=TOKEN, rate_limit=policy)
    for _ in range(3):
        await client.request("GET", "/contact/id:7")
    assert transport.times[2] - transport.times[0] >= 10.0 - 1e-9
    await client.aclose()


@virtual_time
async def test_retries_follow_idempotence_and_errors_are_the_sdks() -> None:
    transport = replying(answer(503), answer(503), answer(404))
    client = AelystClient(transport=transport, token=TOKEN, retry=RetryPolicy(max_attempts=5))
    with pytest.raises(NotFoundError) as caught:
        await client.request("DELETE", "/contact/id:7", idempotent=True)
    assert caught.value.attempts == 3
    once = replying(answer(503))
    client2 = AelystClient(transport=once, token=TOKEN, retry=RetryPolicy(max_attempts=5))
    with pytest.raises(MaybeAppliedError):
        await client2.request("POST", "/message/send")
    assert len(once.sent) == 1
    await client.aclose()
    await client2.aclose()


@virtual_time
async def test_the_views_headers_go_with_it() -> None:
    transport = replying(ok({}))
    client = AelystClient(transport=transport, token=TOKEN)
    await client.with_options(headers={"X-Trace-Id": "t"}).request("GET", "/space/tag")
    assert transport.sent[0].headers["X-Trace-Id"] == "t"
    await client.aclose()


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("https://evil.example/x", "relative to the base URL"),
        ("//evil.example/x", "relative to the base URL"),
        ("contact/id:7", "start with '/'"),
        ("/contact/../admin", "'..' segments"),
        ("/contact/%2e%2e/admin", "'..' segments"),
        ("/contact?x=1", "query or fragment"),
        ("/contact\r\nX: y", "control character"),
    ],
)
async def test_a_path_that_leaves_the_base_url_is_refused(path: str, problem: str) -> None:
    client = AelystClient(transport=replying(), token=TOKEN)
    with pytest.raises(ValueError, match="path") as caught:
        await client.request("GET", path)
    assert problem in str(caught.value)
    await client.aclose()


async def test_an_unknown_method_is_refused() -> None:
    client = AelystClient(transport=replying(), token=TOKEN)
    with pytest.raises(ValueError, match="method must be GET, POST, PUT, PATCH or DELETE"):
        await client.request("TRACE", "/contact/id:7")
    await client.aclose()
