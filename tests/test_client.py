"""AelystClient against a real local server: headers, body, errors, timeouts, sessions."""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import socket
from typing import Any

import aiohttp
import pytest
from aioresponses import aioresponses

import aelyst_async
from aelyst_async import (
    AelystClient,
    AuthenticationError,
    BadRequestError,
    Contact,
    ContactValidationError,
    CustomField,
    NotFoundError,
    RetryPolicy,
    TransportError,
    UpsertResult,
)
from aelyst_async._sansio.request import Request
from aelyst_async._sansio.response import Response
from tests.fake_api import TOKEN, FakeAPI, Scripted
from tests.mock_transport import MockTransport
from tests.test_convert import DOCUMENTED_BODY, documented_contact
from tests.virtual_time import virtual_time

NO_RETRY = RetryPolicy(max_attempts=1)


def client_for(api: FakeAPI, **kwargs: object) -> AelystClient:
    return AelystClient(TOKEN, base_url=api.base_url, **kwargs)  # type: ignore[arg-type]


async def test_create_or_update_sends_the_documented_request(fake_api: FakeAPI) -> None:
    fake_api.answer(Scripted(json={"contactId": 1}))
    async with client_for(fake_api) as client:
        result = await client.contacts.create_or_update(
            "email:test@example.com", documented_contact()
        )
    assert result == UpsertResult(contact_id=1)
    [sent] = fake_api.requests
    assert sent.method == "POST"
    assert sent.raw_path == "/v1/contact/create_or_update/email:test@example.com"
    assert sent.json() == json.loads(DOCUMENTED_BODY)
    assert sent.headers["Authorization"] == f"Bearer {TOKEN}"
    assert sent.headers["Content-Type"] == "application/json"
    assert sent.headers["User-Agent"].startswith(f"aelyst_async/{aelyst_async.__version__} ")


async def test_identifier_with_path_characters_stays_one_segment(fake_api: FakeAPI) -> None:
    async with client_for(fake_api, validation="off") as client:
        await client.contacts.create_or_update("email:../../admin?x=1#y", Contact("A"))
    assert fake_api.requests[0].raw_path == (
        "/v1/contact/create_or_update/email:..%2F..%2Fadmin%3Fx%3D1%23y"
    )


@pytest.mark.parametrize(
    ("status", "message", "cls"),
    [
        (400, "Validation error.", BadRequestError),
        (401, "UN_AUTHORIZED", AuthenticationError),
        (404, "Contact not found", NotFoundError),
    ],
)
async def test_error_statuses_raise_typed_errors_without_retrying(
    fake_api: FakeAPI, status: int, message: str, cls: type[Exception]
) -> None:
    fake_api.answer(Scripted(status=status, json={"code": status, "message": message}))
    async with client_for(fake_api) as client:
        with pytest.raises(cls) as info:
            await client.contacts.create_or_update("id:9", Contact("A"))
    assert info.value.status == status  # type: ignore[attr-defined]
    assert info.value.message == message  # type: ignore[attr-defined]
    assert info.value.path == "/contact/create_or_update/id:9"  # type: ignore[attr-defined]
    assert len(fake_api.requests) == 1


async def test_invalid_contact_sends_nothing(fake_api: FakeAPI) -> None:
    async with client_for(fake_api) as client:
        with pytest.raises(ContactValidationError) as info:
            await client.contacts.create_or_update(
                "email:a@b.com",
                Contact("A", country_code="Malaysia", custom_fields=[CustomField("", 1)]),
            )
    assert [e.field for e in info.value.errors] == ["country_code", "custom_fields[0].name"]
    assert fake_api.requests == []


async def test_validation_setting_of_the_client_applies(fake_api: FakeAPI) -> None:
    async with client_for(fake_api, validation="off") as client:
        await client.contacts.create_or_update("email:a@b.com", Contact("A", country_code="my"))
    assert fake_api.requests[0].json() == {"firstName": "A", "countryCode": "my"}


@virtual_time
async def test_timeout_is_a_transport_error() -> None:
    with socket.socket() as server:  # accepts the connection (the kernel does), never answers
        server.bind(("127.0.0.1", 0))
        server.listen()
        url = f"http://127.0.0.1:{server.getsockname()[1]}/v1"
        async with AelystClient(TOKEN, base_url=url, timeout=0.2, retry=NO_RETRY) as client:
            with pytest.raises(TransportError, match=r"timed out after 0\.2s"):
                await client.contacts.create_or_update("id:1", Contact("A"))
        assert asyncio.get_running_loop().time() == pytest.approx(0.2, abs=1e-3)


async def test_connection_refused_is_a_transport_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    async with AelystClient(TOKEN, base_url=url, retry=NO_RETRY) as client:
        with pytest.raises(TransportError) as info:
            await client.contacts.create_or_update("id:1", Contact("A"))
    assert TOKEN not in str(info.value)


async def test_malformed_success_body_is_a_transport_error(fake_api: FakeAPI) -> None:
    fake_api.answer(Scripted(body=b'{"contactId": "seven"}'))
    async with client_for(fake_api, retry=NO_RETRY) as client:
        with pytest.raises(TransportError, match="contactId"):
            await client.contacts.create_or_update("id:1", Contact("A"))


async def test_token_never_leaks_into_repr_errors_or_logs(
    fake_api: FakeAPI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    echo = json.dumps({"code": 400, "message": f"bad header Bearer {TOKEN}"})
    fake_api.answer(Scripted(status=400, body=echo.encode()))
    client = client_for(fake_api)
    assert TOKEN not in repr(client)
    async with client:
        with pytest.raises(BadRequestError) as info:
            await client.contacts.create_or_update("id:1", Contact("A"))
    assert TOKEN not in str(info.value) and TOKEN not in repr(info.value)
    assert "***" in info.value.message
    assert TOKEN not in caplog.text


async def test_borrowed_session_is_left_open(fake_api: FakeAPI) -> None:
    async with aiohttp.ClientSession() as session:
        async with client_for(fake_api, session=session) as client:
            await client.contacts.create_or_update("id:1", Contact("A"))
        assert not session.closed
        assert client.closed


async def test_owned_session_is_closed_and_use_after_close_is_an_error(
    fake_api: FakeAPI,
) -> None:
    client = client_for(fake_api)
    await client.contacts.create_or_update("id:1", Contact("A"))
    session = client._transport._sessions.session  # type: ignore[attr-defined]
    assert session is not None and not session.closed
    await client.aclose()
    assert session.closed
    with pytest.raises(RuntimeError, match="closed"):
        await client.contacts.create_or_update("id:1", Contact("A"))
    with pytest.raises(RuntimeError, match="closed"):
        await client.__aenter__()
    await client.aclose()  # idempotent


def test_token_comes_from_argument_or_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AELYST_API_TOKEN", raising=False)
    with pytest.raises(ValueError, match="AELYST_API_TOKEN"):
        AelystClient()
    with pytest.raises(ValueError, match="whitespace"):
        AelystClient("abc\r\nX-Evil: 1")
    monkeypatch.setenv("AELYST_API_TOKEN", "from-env")
    assert AelystClient().base_url == "https://api.aelyst.ai/v1"


def test_base_url_comes_from_argument_environment_or_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AELYST_BASE_URL", "https://eu.aelyst.example/v1/")
    assert AelystClient(TOKEN).base_url == "https://eu.aelyst.example/v1"
    assert AelystClient(TOKEN, base_url="https://x.example/v2").base_url == "https://x.example/v2"


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8080/v1", "http://127.9.9.9/v1", "http://[::1]:9/v1", "http://localhost/v1"],
)
def test_plain_http_is_allowed_to_loopback(url: str) -> None:
    assert AelystClient(TOKEN, base_url=url).base_url == url


@pytest.mark.parametrize(
    "url",
    [
        "http://api.aelyst.ai/v1",
        "http://10.0.0.1/v1",
        "http://localhost.evil.com/v1",
        "ftp://x/v1",
        "api.aelyst.ai",
    ],
)
def test_other_base_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match="base_url"):
        AelystClient(TOKEN, base_url=url)


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="validation"):
        AelystClient(TOKEN, validation="loose")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="timeout"):
        AelystClient(TOKEN, timeout=0)


async def test_works_with_a_mocked_aiohttp(mock_aiohttp: aioresponses) -> None:
    url = "https://api.aelyst.ai/v1/contact/create_or_update/phone:+60123456789"
    mock_aiohttp.post(url, payload={"contactId": 31})
    mock_aiohttp.post(url, status=401, payload={"code": 401, "message": "UN_AUTHORIZED"})
    async with AelystClient(TOKEN) as client:
        first = await client.contacts.create_or_update("phone:+60123456789", Contact("Muhammad"))
        with pytest.raises(AuthenticationError):
            await client.contacts.create_or_update("phone:+60123456789", Contact("Muhammad"))
    assert first.contact_id == 31
    [(_, calls)] = [(k, v) for k, v in mock_aiohttp.requests.items()]
    assert calls[0].kwargs["data"] == b'{"firstName": "Muhammad"}'


async def test_nasty_identifiers_reach_the_server_as_one_decodable_segment(
    fake_api: FakeAPI,
) -> None:
    from urllib.parse import unquote

    from tests.test_sansio import NASTY

    async with client_for(fake_api, validation="off") as client:
        for value in NASTY:
            await client.contacts.create_or_update(f"email:{value}", Contact("A"))
    assert len(fake_api.requests) == len(NASTY)
    for value, sent in zip(NASTY, fake_api.requests, strict=True):
        prefix, _, segment = sent.raw_path.rpartition("/")
        assert prefix == "/v1/contact/create_or_update"
        assert unquote(segment) == f"email:{value}"


def test_the_public_constructor_has_no_test_seam() -> None:
    assert not [name for name in inspect.signature(AelystClient).parameters if name[0] == "_"]


@virtual_time
async def test_a_transport_gets_method_path_headers_and_json() -> None:
    seen: list[tuple[str, str, dict[str, str], Any]] = []

    def handler(request: Request) -> Response:
        seen.append((request.method, request.path, dict(request.headers), request.json()))
        return Response(200, {}, b'{"contactId": 3}')

    client = AelystClient(TOKEN, transport=MockTransport(handler=handler))
    result = await client.contacts.create_or_update("email:ana@example.com", Contact("Ana"))
    assert result.contact_id == 3
    json_headers = {"Content-Type": "application/json", "Accept": "application/json"}
    path = "/contact/create_or_update/email:ana@example.com"
    assert seen == [("POST", path, json_headers, {"firstName": "Ana"})]
    await client.aclose()
