"""Extra request headers through with_options: sent on every call of the view, checked."""

from __future__ import annotations

import pytest

from aelyst_async import AelystClient, Contact
from aelyst_async._sansio.request import Request
from aelyst_async._transports.aiohttp import AiohttpTransport
from tests.fake_api import TOKEN, FakeAPI
from tests.test_send import replying
from tests.virtual_time import virtual_time

ANA = Contact("Ana", email="ana@example.com")


@virtual_time
async def test_a_views_headers_go_with_its_calls_only() -> None:
    transport = replying()
    client = AelystClient(transport=transport, token=TOKEN)
    traced = client.with_options(headers={"X-Trace-Id": "abc"})
    both = traced.with_options(headers={"X-Tenant": "t7"})
    await traced.contacts.create_or_update("email:ana@example.com", ANA)
    await both.contacts.create_or_update("email:ana@example.com", ANA)
    await client.contacts.create_or_update("email:ana@example.com", ANA)
    first, second, plain = (sent.headers for sent in transport.sent)
    assert first["X-Trace-Id"] == "abc"
    assert (second["X-Trace-Id"], second["X-Tenant"]) == ("abc", "t7")
    assert "X-Trace-Id" not in plain
    assert first["Content-Type"] == "application/json"
    await client.aclose()


@virtual_time
async def test_the_sdks_own_content_type_stays() -> None:
    transport = replying()
    client = AelystClient(transport=transport, token=TOKEN)
    view = client.with_options(headers={"Content-Type": "text/plain"})
    await view.contacts.create_or_update("email:ana@example.com", ANA)
    assert transport.sent[0].headers["Content-Type"] == "application/json"
    await client.aclose()


@pytest.mark.parametrize("name", ["Authorization", "authorization", "AUTHORIZATION"])
def test_an_authorization_header_is_refused_in_any_case(name: str) -> None:
    client = AelystClient(transport=replying(), token=TOKEN)
    with pytest.raises(ValueError, match=rf"headers\['{name}'\] is refused"):
        client.with_options(headers={name: "Bearer other"})


@pytest.mark.parametrize(
    ("headers", "error"),
    [
        ({"X-A": "one\r\nX-B: two"}, ValueError),
        ({"X:A": "1"}, ValueError),
        ({"X-A": 1}, TypeError),
        (["X-A"], TypeError),
    ],
)
def test_bad_headers_are_refused_naming_them(headers: object, error: type[Exception]) -> None:
    client = AelystClient(transport=replying(), token=TOKEN)
    with pytest.raises(error, match="headers"):
        client.with_options(headers=headers)  # type: ignore[arg-type]


async def test_the_aiohttp_transport_sends_each_requests_headers_as_they_are_now(
    fake_api: FakeAPI,
) -> None:
    transport = AiohttpTransport(fake_api.base_url, headers={"X-Ours": "1"}, timeout=5.0)
    shared = {"Accept": "application/json"}
    await transport.send(Request("GET", "/space/user", headers=shared))
    await transport.send(Request("GET", "/space/user", headers=shared))  # merged once, reused
    shared["X-Tenant"] = "t7"  # the same mapping, changed: merged afresh
    await transport.send(Request("GET", "/space/user", headers=shared))
    await transport.send(Request("GET", "/space/user", headers={"X-Tenant": "t8"}))
    await transport.aclose()
    sent = [request.headers for request in fake_api.requests]
    assert [h.get("X-Ours") for h in sent] == ["1", "1", "1", "1"]
    assert [h.get("X-Tenant") for h in sent] == [None, None, "t7", "t8"]
    assert [h.get("Accept") for h in sent[:3]] == ["application/json"] * 3
