"""Helpers of the ``aelyst`` command tests: running the real entry point, counting what a
sandbox received."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from aelyst_async import _client
from aelyst_async._cli import main
from aelyst_async._retry import RetryPolicy
from aelyst_async.sandbox import Sandbox

UPSERT = "POST /contact/create_or_update/{identifier}"
FIELDS = "GET /space/custom_field"


async def aelyst(*argv: str) -> int:
    """``aelyst ARGV...`` through the real entry point, in a worker thread (the command runs
    its own event loop) while the test's loop serves the sandbox (argparse's exit as a code)."""
    try:
        return await asyncio.to_thread(main, list(argv))
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 2


def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command's client retries at once (backoff 0 s, the attempts and their order kept):
    a test of what the command does after failures then waits on no real-time sleep."""
    real = _client.AelystClient

    def client(*args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("retry", RetryPolicy(backoff_base=0.0, backoff_max=0.0))
        return real(*args, **kwargs)

    monkeypatch.setattr(_client, "AelystClient", client)


def upserts(sb: Sandbox) -> int:
    """How many create-or-update requests ``sb`` received."""
    return sb.stats.operations.get(UPSERT, 0)


def calls(sb: Sandbox, operation: str) -> int:
    """How many requests of ``operation`` (e.g. ``"POST /contact/{identifier}/tag"``) ``sb``
    received."""
    return sb.stats.operations.get(operation, 0)


Answer = Callable[[web.Request], tuple[int, dict[str, Any]] | None]


@asynccontextmanager
async def proxied(answer: Answer) -> AsyncIterator[tuple[Sandbox, str]]:
    """A sandbox behind a proxy that answers a request itself when ``answer(request)`` gives
    ``(status, JSON body)`` and forwards it otherwise: ``(sandbox, proxy base URL)``."""
    async with Sandbox() as sb, aiohttp.ClientSession() as session:

        async def forward(request: web.Request) -> web.Response:
            own = answer(request)
            if own is not None:
                return web.json_response(own[1], status=own[0])
            async with session.request(
                request.method,
                sb.url + request.path_qs,
                headers={"Authorization": request.headers.get("Authorization", "")},
                data=await request.read(),
            ) as reply:
                body = await reply.read()
                return web.Response(status=reply.status, body=body, content_type="application/json")

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", forward)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        try:
            yield sb, f"http://127.0.0.1:{runner.addresses[0][1]}/v1"
        finally:
            await runner.cleanup()


def forbidding_fields() -> AbstractAsyncContextManager[tuple[Sandbox, str]]:
    """A sandbox behind a proxy that answers 403 to ``GET /space/custom_field`` (a token
    without that permission) and forwards every other request: ``(sandbox, proxy base URL)``."""

    def forbid(request: web.Request) -> tuple[int, dict[str, Any]] | None:
        if request.path.endswith("/space/custom_field"):
            return 403, {"code": 403, "message": "Forbidden"}
        return None

    return proxied(forbid)
