"""A sandbox for any test runner, and a client bound to it on the same virtual clock.

The sandbox serves from a thread of its own (its own event loop), so it is running before the
test starts and whatever loop the test runs in (pytest-asyncio's, anyio's, ``asyncio.run``)
talks to it; the client opens one aiohttp session per request, so nothing of it outlives the
loop of the call that used it and it needs no closing. Its requests carry :data:`KIT_HEADER`;
the first request without it (a client the code under test made itself, which waits in real
time) makes the sandbox's :class:`VirtualClock` follow real time too, so that client's waits
are seen to pass (a rate-limit window resets a second later, as it would for real).

>>> with running_sandbox(processing=2.0) as sb:
...     client = sandbox_client(sb)
...     asyncio.run(client.contacts.create_or_update("email:ana@example.com", Contact("Ana")))
...     sb.clock.now    # seconds of virtual time the client waited
"""

from __future__ import annotations

import asyncio
import copy
import threading
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import aiohttp
from aiohttp import web

from .._client import AelystClient
from .._redact import Redactor
from .._sansio.request import Request
from .._sansio.response import Response
from .._transports.aiohttp import AiohttpTransport
from .._transports.base import Transport
from ..sandbox import Sandbox
from ._clock import VirtualClock

KIT_HEADER = "X-Aelyst-Sandbox-Clock"
"""The header (value ``"virtual"``) of the requests of :func:`sandbox_client`'s clients."""
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@contextmanager
def running_sandbox(**options: Any) -> Iterator[Sandbox]:
    """A :class:`Sandbox` made with ``options`` (``clock`` defaults to a new
    :class:`VirtualClock`), serving on loopback from a thread until the block ends.

    ``latency`` stays real time (it is the sandbox's own sleep); every other time of the sandbox
    is its clock's. A :class:`VirtualClock` follows real time as well from the first request of
    a client not made by :func:`sandbox_client` (e.g. ``AelystClient(sb.token,
    base_url=sb.base_url)``): such a client waits in real time, and the sandbox never lags it.
    The sandbox answers from its thread: read ``store``, ``space`` and ``stats`` between calls,
    not while one is in flight.

    >>> with running_sandbox(per_path=5, processing=2.0) as sb:
    ...     sb.base_url, sb.token, sb.store, sb.stats, sb.clock.now
    """
    options.setdefault("clock", VirtualClock())
    sandbox = Sandbox(**options)
    if isinstance(sandbox.clock, VirtualClock):
        sandbox.app.middlewares.insert(0, _real_time_for_outside_clients(sandbox.clock))
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="aelyst-sandbox", daemon=True)
    thread.start()
    try:
        asyncio.run_coroutine_threadsafe(sandbox.start(), loop).result()
        try:
            yield sandbox
        finally:
            asyncio.run_coroutine_threadsafe(sandbox.close(), loop).result()
    finally:
        asyncio.run_coroutine_threadsafe(_cancel_the_rest(), loop).result()
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()


def _real_time_for_outside_clients(clock: VirtualClock) -> Any:
    @web.middleware
    async def follow(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.headers.get(KIT_HEADER) != "virtual":
            clock.follow_real_time()
        return await handler(request)

    return follow


async def _cancel_the_rest() -> None:
    current = asyncio.current_task()
    tasks = [task for task in asyncio.all_tasks() if task is not current]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await asyncio.get_running_loop().shutdown_asyncgens()


def sandbox_client(sandbox: Sandbox, **options: Any) -> AelystClient:
    """An :class:`AelystClient` bound to a running ``sandbox`` (its token and base URL) whose
    waits follow the sandbox's :class:`VirtualClock`: throttle waits, retry backoff and 449
    delays take no real time. ``options`` are the constructor's (``retry=``, ``validation=``,
    ...). It may be used in any event loop and needs no closing (``async with`` works too).

    Raises TypeError when the sandbox's clock is not a :class:`VirtualClock`.
    """
    clock = sandbox.clock
    if not isinstance(clock, VirtualClock):
        raise TypeError(
            f"sandbox_client needs a sandbox on a VirtualClock (its clock is {clock!r}): "
            "make it with running_sandbox() or Sandbox(clock=VirtualClock())"
        )
    transport = _SandboxTransport(sandbox.base_url, clock)
    return AelystClient(sandbox.token, base_url=sandbox.base_url, transport=transport, **options)


class _SandboxTransport(Transport):
    """aiohttp to a sandbox, on the sandbox's clock, one session per request."""

    def __init__(self, base_url: str, clock: VirtualClock) -> None:
        self.clock = clock
        self._base_url = base_url
        self._headers: dict[str, str] = {}
        self._timeout: float | aiohttp.ClientTimeout = 30.0

    def with_headers(self, headers: Mapping[str, str]) -> _SandboxTransport:
        view = copy.copy(self)
        view._headers = {**self._headers, **headers}
        return view

    def with_timeout(self, timeout: float | aiohttp.ClientTimeout) -> _SandboxTransport:
        view = copy.copy(self)
        view._timeout = timeout
        return view

    async def send(self, request: Request) -> Response:
        token = self._headers.get("Authorization", "").removeprefix("Bearer ")
        transport = AiohttpTransport(
            self._base_url,
            headers={**self._headers, KIT_HEADER: "virtual"},
            timeout=self._timeout,
            redact=Redactor(token),
        )
        try:
            return await transport.send(request)
        finally:
            await transport.aclose()
