"""Helpers for the bulk tests: sandboxes on a fake clock, a request gauge, fast clients."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import unquote

import attrs
from aiohttp import web

from aelyst_async import (
    AelystClient,
    BulkOutcome,
    BulkReport,
    Contact,
    RateLimitPolicy,
    RetryPolicy,
)
from aelyst_async._bulk import BulkOptions, SendOne, bulk_upsert, upsert_many
from aelyst_async.sandbox import FakeClock, Sandbox

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
UPSERT = "/v1/contact/create_or_update/"


def fast_retry(max_attempts: int = 8, **options: float) -> RetryPolicy:
    """A retry policy that never waits long (no test sleeps for real)."""
    settings: dict[str, Any] = {
        "max_attempts": max_attempts,
        "backoff_base": 0.0001,
        "backoff_max": 0.001,
        "queued_delay": 0.0001,
        "queued_max_wait": 10.0,
        **options,
    }
    return RetryPolicy(**settings)


def unlimited() -> RateLimitPolicy:
    """A rate-limit policy that never holds a request back."""
    return RateLimitPolicy(per_path=1_000_000, workspace=1_000_000)


def client_for(sb: Sandbox, **options: Any) -> AelystClient:
    """A client of ``sb`` with fast retries and no client-side rate limit unless told."""
    options.setdefault("retry", fast_retry())
    options.setdefault("rate_limit", unlimited())
    return AelystClient(sb.token, base_url=sb.base_url, **options)


@attrs.define
class Seen:
    """One request the gauge let through: identifier, body, clock time, in-flight count."""

    identifier: str
    body: bytes
    at: float
    in_flight: int


@attrs.define
class Gauge:
    """Server-side middleware: counts requests in flight (overall and per identifier), records
    them, and can hold requests back until released."""

    clock: Callable[[], float]
    yields: int = 20
    in_flight: int = 0
    max_in_flight: int = 0
    per_identifier: dict[str, int] = attrs.field(factory=dict)
    overlaps: int = 0
    seen: list[Seen] = attrs.field(factory=list)
    hold: Callable[[str], bool] = lambda _identifier: False
    key: Callable[[str], str] = lambda identifier: identifier
    """Which identifiers count as one contact for ``per_identifier`` / ``overlaps``."""
    held: int = 0
    release: asyncio.Event = attrs.field(factory=asyncio.Event)

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        path = request.raw_path
        if not path.startswith(UPSERT):
            return await handler(request)
        identifier = unquote(path[len(UPSERT) :])
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        contact = self.key(identifier)
        count = self.per_identifier.get(contact, 0) + 1
        self.per_identifier[contact] = count
        self.overlaps += count > 1
        try:
            if self.hold(identifier):
                self.held += 1
                await self.release.wait()
                # a held request never reaches the API: as if the connection had failed first
                return web.json_response({"code": 503, "message": "held"}, status=503)
            self.seen.append(Seen(identifier, await request.read(), self.clock(), self.in_flight))
            for _ in range(self.yields):  # let other requests in, to overlap them
                await asyncio.sleep(0)
            return await handler(request)
        finally:
            self.in_flight -= 1
            self.per_identifier[contact] -= 1


@asynccontextmanager
async def gauged_sandbox(**options: Any) -> AsyncIterator[tuple[Sandbox, Gauge]]:
    """A started sandbox on a fake clock (unless given one), with a :class:`Gauge` in front."""
    options.setdefault("clock", FakeClock())
    options.setdefault("per_path", 1_000_000)
    sb = Sandbox(**options)
    gauge = Gauge(sb.clock)
    sb.app.middlewares.append(gauge.middleware)
    async with sb:
        yield sb, gauge


def fake_sleep(clock: FakeClock) -> Callable[[float], Awaitable[None]]:
    """A sleep that moves ``clock`` instead of waiting (and lets other tasks run)."""

    async def sleep(seconds: float) -> None:
        clock.advance(max(0.0, seconds))
        await asyncio.sleep(0)

    return sleep


def person(i: int, **fields: Any) -> Contact:
    """A valid contact with a unique email."""
    return Contact(f"Person{i}", email=f"person{i}@example.com", **fields)


def send_of(client: AelystClient) -> SendOne:
    """The one send callable the client hands bulk (the seam the bulk tests drive)."""
    return client.contacts.send_for_bulk


def timed_outcomes(
    client: AelystClient,
    items: Any,
    clock: Callable[[], float],
    sleep: Callable[[float], Awaitable[object]] | None = None,
    **options: Any,
) -> AsyncGenerator[BulkOutcome, None]:
    """``upsert_many`` of the client's bulk, on ``clock`` and ``sleep`` (private seams)."""
    return upsert_many(send_of(client), items, BulkOptions(**options), clock=clock, sleep=sleep)


async def timed_report(
    client: AelystClient,
    items: Any,
    clock: Callable[[], float],
    sleep: Callable[[float], Awaitable[object]] | None = None,
    **options: Any,
) -> BulkReport:
    """``bulk_upsert`` of the client's bulk, on ``clock`` and ``sleep`` (private seams)."""
    return await bulk_upsert(
        send_of(client), items, BulkOptions(**options), clock=clock, sleep=sleep
    )
