"""A webhook receiver on loopback for the sandbox's delivery tests: the README's handler
(``construct_event`` + ``WebhookDeduplicator``), answering from a script, recording everything."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from types import TracebackType

from aiohttp import web

from aelyst_async.webhooks import (
    WebhookDeduplicator,
    WebhookEvent,
    WebhookSignatureError,
    construct_event,
)


class Receiver:
    """Verifies, parses and dedupes every delivery; answers ``statuses`` in order, then 200.

    ``deliveries``: every verified delivery's event (redeliveries included), in arrival order;
    ``processed``: the events the deduplicator let through; ``rejected``: bad signatures.
    With ``gate`` set, a handler waits for it before answering (``entered`` counts them).
    """

    def __init__(
        self,
        signing_key: str,
        dedupe: WebhookDeduplicator | None = None,
        statuses: Iterable[int] = (),
        port: int = 0,
    ) -> None:
        self.signing_key = signing_key
        self.dedupe = dedupe if dedupe is not None else WebhookDeduplicator(window=60)
        self.statuses = list(statuses)
        self.deliveries: list[WebhookEvent] = []
        self.processed: list[WebhookEvent] = []
        self.rejected = 0
        self.entered = 0
        self.gate: asyncio.Event | None = None
        self._changed = asyncio.Condition()
        self._port = port
        app = web.Application()
        app.router.add_post("/hook", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        self.url = ""

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        try:
            event = construct_event(
                body, request.headers.get("X-Webhook-Signature"), self.signing_key
            )
        except WebhookSignatureError:
            self.rejected += 1
            return web.Response(status=401)
        self.deliveries.append(event)
        if await self.dedupe.first_seen(event.event_id):
            self.processed.append(event)  # the work is handed over before the answer
        status = self.statuses.pop(0) if self.statuses else 200
        async with self._changed:
            self.entered += 1
            self._changed.notify_all()
        if self.gate is not None:
            await self.gate.wait()
        return web.Response(status=status)

    async def wait_entered(self, count: int) -> None:
        """Wait until ``count`` deliveries have reached the handler."""
        async with self._changed:
            await self._changed.wait_for(lambda: self.entered >= count)

    def types(self) -> list[str]:
        return [event.event_type for event in self.deliveries]

    async def __aenter__(self) -> Receiver:
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self._port)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/hook"
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.gate is not None:
            self.gate.set()
        await self._runner.cleanup()
