"""The client's own session: aiohttp.ClientTimeout, proxy=, and the standard proxy variables."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from aelyst_async import AelystClient, RetryPolicy, TransportError
from tests.fake_api import TOKEN
from tests.virtual_time import virtual_time

NO_RETRY = RetryPolicy(max_attempts=1)
UNREACHABLE = "http://127.0.0.1:9/v1"  # the discard port: nothing answers there


@pytest.fixture
async def proxy() -> AsyncIterator[tuple[str, list[str]]]:
    """A local HTTP proxy stand-in: answers every request itself, recording its target URL."""
    seen: list[str] = []

    async def handle(request: web.Request) -> web.Response:
        seen.append(str(request.url))
        return web.json_response({"proxied": True})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}", seen
    await runner.cleanup()


async def test_proxy_sends_every_request_through_it(proxy: tuple[str, list[str]]) -> None:
    url, seen = proxy
    async with AelystClient(TOKEN, base_url=UNREACHABLE, proxy=url, retry=NO_RETRY) as client:
        assert await client.request("GET", "/contact/id:7") == {"proxied": True}
    assert seen == ["http://127.0.0.1:9/v1/contact/id:7"]


async def test_the_proxy_variables_are_honoured(
    proxy: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, seen = proxy
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", url)
    async with AelystClient(TOKEN, base_url=UNREACHABLE, retry=NO_RETRY) as client:
        assert await client.request("GET", "/space/tag") == {"proxied": True}
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    async with AelystClient(TOKEN, base_url=UNREACHABLE, retry=NO_RETRY) as client:
        with pytest.raises(TransportError):
            await client.request("GET", "/space/tag")
    assert len(seen) == 1


@virtual_time
async def test_a_client_timeout_bounds_one_attempt() -> None:
    with socket.socket() as server:  # accepts the connection (the kernel does), never answers
        server.bind(("127.0.0.1", 0))
        server.listen()
        url = f"http://127.0.0.1:{server.getsockname()[1]}/v1"
        timeout = aiohttp.ClientTimeout(total=0.3, sock_connect=5)
        async with AelystClient(TOKEN, base_url=url, timeout=timeout, retry=NO_RETRY) as client:
            assert client.timeout == timeout
            with pytest.raises(TransportError, match=r"timed out \(total=0\.3s, sock_connect=5s\)"):
                await client.request("GET", "/contact/id:1")
        assert asyncio.get_running_loop().time() == pytest.approx(0.3, abs=1e-3)


@pytest.mark.parametrize(
    "timeout", [aiohttp.ClientTimeout(), aiohttp.ClientTimeout(total=0), 0, "5", True]
)
def test_a_timeout_without_a_positive_limit_is_refused(timeout: object) -> None:
    with pytest.raises(ValueError, match="timeout must"):
        AelystClient(TOKEN, timeout=timeout)  # type: ignore[arg-type]
