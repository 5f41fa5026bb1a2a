"""One client across event loops: ``asyncio.run`` twice, a loop per thread, a loop closed
without shutting down, two loops at once, a borrowed session, and use after ``aclose()``.

The servers run in a thread of their own, on a loop that outlives the client's loops; threads
are synchronised with events, never by sleeping.
"""

from __future__ import annotations

import asyncio
import gc
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import aiohttp
import pytest
from aiohttp import web

from aelyst_async import (
    AelystClient,
    AelystError,
    ClientClosedError,
    Contact,
    EventLoopError,
    UpsertResult,
)
from aelyst_async._throttle import RateLimitPolicy, Throttle
from aelyst_async.sandbox import Sandbox
from tests.cli_helpers import upserts
from tests.test_throttle import call, limits
from tests.virtual_time import run

T = TypeVar("T")
WAIT = 30.0  # seconds an event may take before the test fails (never slept)


@contextmanager
def serving(start: Callable[[], Awaitable[Any]]) -> Iterator[Any]:
    """Run ``start()`` (a coroutine returning an async context manager's value and its exit)
    on a loop in its own thread; yields that value until the ``with`` block ends."""
    ready, stop = threading.Event(), threading.Event()
    box: dict[str, Any] = {}

    async def main() -> None:
        try:
            value, close = await start()
            box["value"] = value
        finally:
            ready.set()
        await asyncio.get_running_loop().run_in_executor(None, stop.wait)
        await close()

    thread = threading.Thread(target=asyncio.run, args=(main(),))
    thread.start()
    try:
        assert ready.wait(WAIT) and "value" in box
        yield box["value"]
    finally:
        stop.set()
        thread.join(WAIT)


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    async def start() -> tuple[Sandbox, Callable[[], Awaitable[None]]]:
        sb = Sandbox()
        await sb.start()
        return sb, sb.close

    with serving(start) as sb:
        yield sb


def in_thread(coroutine: Awaitable[T]) -> T:
    """``asyncio.run(coroutine)`` on a thread of its own (a worker's loop)."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = asyncio.run(coroutine)  # type: ignore[arg-type]
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(WAIT)
    if "error" in box:
        raise box["error"]
    return box["value"]  # type: ignore[no-any-return]


async def upsert(client: AelystClient, email: str) -> UpsertResult:
    return await client.contacts.create_or_update(f"email:{email}", Contact("Ana"))


def session_of(client: AelystClient) -> aiohttp.ClientSession:
    session = client._transport._sessions.session  # type: ignore[attr-defined]
    assert isinstance(session, aiohttp.ClientSession)
    return session


def test_asyncio_run_twice_uses_one_client(sandbox: Sandbox) -> None:
    client = AelystClient(sandbox.token, base_url=sandbox.base_url)
    first = asyncio.run(upsert(client, "a@example.com"))
    session = session_of(client)
    assert session.closed  # closed on its loop when asyncio.run shut it down
    second = asyncio.run(upsert(client, "b@example.com"))
    assert session_of(client) is not session
    assert session_of(client).closed  # that loop's session too, when it ended
    asyncio.run(client.aclose())
    assert client.closed
    assert first.contact_id != second.contact_id
    assert upserts(sandbox) == 2 and client.stats.requests == 2


def test_a_loop_per_thread_in_turn(sandbox: Sandbox) -> None:
    client = AelystClient(sandbox.token, base_url=sandbox.base_url)
    ids = [in_thread(upsert(client, f"{n}@example.com")).contact_id for n in range(3)]
    in_thread(client.aclose())
    assert len(set(ids)) == 3 and client.closed


@pytest.mark.filterwarnings("ignore::ResourceWarning")  # the sockets that loop left open
def test_a_loop_closed_without_shutting_down_is_left_behind(sandbox: Sandbox) -> None:
    # a worker that runs each task with run_until_complete, then loop.close() alone
    client = AelystClient(sandbox.token, base_url=sandbox.base_url)
    loop = asyncio.new_event_loop()
    try:
        first = loop.run_until_complete(upsert(client, "a@example.com"))
    finally:
        loop.close()
    session = session_of(client)
    assert not session.closed
    second = asyncio.run(upsert(client, "b@example.com"))
    assert session.closed and session_of(client) is not session
    asyncio.run(client.aclose())
    gc.collect()  # what the old loop left is collected here, under this test's filter
    assert first.contact_id != second.contact_id and upserts(sandbox) == 2


class HeldServer:
    """A server whose first answer waits until :attr:`release` is set (:attr:`arrived` is set
    when that request came in)."""

    def __init__(self) -> None:
        self.arrived, self.release = threading.Event(), threading.Event()
        self.requests = 0

    async def handle(self, request: web.Request) -> web.Response:
        self.requests += 1
        if self.requests == 1:
            self.arrived.set()
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait)
        return web.json_response({"contactId": self.requests})

    async def start(self) -> tuple[str, Callable[[], Awaitable[None]]]:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handle)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        return f"http://127.0.0.1:{runner.addresses[0][1]}/v1", runner.cleanup


def test_two_loops_at_once_is_a_clear_error() -> None:
    server = HeldServer()
    with serving(server.start) as base_url:
        client = AelystClient("tok+en/==", base_url=base_url)
        box: dict[str, Any] = {}
        worker = threading.Thread(
            target=lambda: box.setdefault("result", asyncio.run(upsert(client, "a@example.com")))
        )
        worker.start()
        try:
            assert server.arrived.wait(WAIT)
            with pytest.raises(EventLoopError, match="in flight on another event loop") as info:
                asyncio.run(upsert(client, "b@example.com"))
            assert isinstance(info.value, AelystError)
            assert "own AelystClient" in str(info.value)
            with pytest.raises(EventLoopError):
                asyncio.run(client.aclose())
            assert not client.closed and server.requests == 1  # the refused call sent nothing
        finally:
            server.release.set()
            worker.join(WAIT)
        assert box["result"] == UpsertResult(contact_id=1)
        # the first loop's calls are done: the client follows this loop now
        assert asyncio.run(upsert(client, "b@example.com")) == UpsertResult(contact_id=2)
        asyncio.run(client.aclose())
    assert client.closed


async def test_a_borrowed_session_is_bound_to_its_loop(sandbox: Sandbox) -> None:
    async with aiohttp.ClientSession() as session:
        client = AelystClient(sandbox.token, base_url=sandbox.base_url, session=session)
        await upsert(client, "a@example.com")
        with pytest.raises(EventLoopError, match=r"session=\.\.\.\) belongs to another event"):
            in_thread(upsert(client, "b@example.com"))
        await client.aclose()
        assert not session.closed
    assert upserts(sandbox) == 1


def test_use_after_aclose_is_a_clear_error(sandbox: Sandbox) -> None:
    client = AelystClient(sandbox.token, base_url=sandbox.base_url)
    view = client.with_options(timeout=5)
    asyncio.run(upsert(client, "a@example.com"))
    asyncio.run(client.aclose())
    for user in (client, view):
        with pytest.raises(ClientClosedError, match="create a new AelystClient") as info:
            asyncio.run(upsert(user, "b@example.com"))
        assert isinstance(info.value, AelystError)
    asyncio.run(client.aclose())  # idempotent, from any loop
    assert upserts(sandbox) == 1


def test_the_throttle_keeps_the_learned_rate_and_drops_the_pause_on_a_new_loop() -> None:
    throttle = Throttle(RateLimitPolicy())

    async def learn() -> None:
        for i in range(40):  # 40 paths admitted, then the hidden workspace limit
            await call(throttle, f"POST /p/{i}", headers=limits(5, 4))
        await call(throttle, "POST /p/x", status=429, headers=limits(5, 4, retry_after="30"))

    run(learn())
    learned = throttle.snapshot()
    assert learned.workspace_source == "learned" and learned.paused_for > 29
    waited = run(call(throttle, "POST /p/y"))  # another loop: its clock, its timers
    after = throttle.snapshot()
    assert (after.workspace_source, after.workspace_rate) == ("learned", learned.workspace_rate)
    assert waited == pytest.approx(0.0, abs=1e-6)
