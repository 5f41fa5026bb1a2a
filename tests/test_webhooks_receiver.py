"""The README's aiohttp.web handler, on loopback: verify, parse, dedupe, answer at once."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac

import aiohttp
from aiohttp import web

from aelyst_async.webhooks import (
    ContactCreated,
    WebhookDeduplicator,
    WebhookEvent,
    WebhookPayloadError,
    WebhookSignatureError,
    construct_event,
)

KEY = "whsec_receiver"


def sign(body: bytes) -> str:
    return base64.b64encode(hmac.new(KEY.encode(), body, hashlib.sha256).digest()).decode()


async def test_handler_lets_each_event_through_once_and_refuses_bad_ones() -> None:
    dedupe = WebhookDeduplicator(window=60)
    work: asyncio.Queue[WebhookEvent] = asyncio.Queue()

    async def receive(request: web.Request) -> web.Response:
        body = await request.read()
        try:
            event = construct_event(body, request.headers.get("X-Webhook-Signature"), KEY)
        except WebhookSignatureError:
            return web.Response(status=401)
        except WebhookPayloadError:
            return web.Response(status=400)
        if await dedupe.first_seen(event.event_id):
            work.put_nowait(event)
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post("/hook", receive)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    url = f"http://127.0.0.1:{port}/hook"
    body = b'{"event_id":"e1","event_type":"contact.created","contact":{"id":7}}'
    no_id = b'{"event_type":"contact.created","contact":{"id":9}}'
    try:
        async with aiohttp.ClientSession() as session:
            statuses = []
            for data, signature in [
                (body, sign(body)),
                (body, sign(body)),  # a redelivery
                (body.replace(b"7", b"8"), sign(body)),  # tampered
                (body, None),
                (b"[1]", sign(b"[1]")),
                (no_id, sign(no_id)),  # nothing to deduplicate by: handled, never a 500
            ]:
                headers = {} if signature is None else {"X-Webhook-Signature": signature}
                async with session.post(url, data=data, headers=headers) as response:
                    statuses.append(response.status)
        assert statuses == [200, 200, 401, 401, 400, 200]
        assert work.qsize() == 2
        ids = []
        for _ in range(2):
            event = work.get_nowait()
            assert isinstance(event, ContactCreated) and event.contact is not None
            ids.append(event.contact.id)
        assert ids == [7, 9]
    finally:
        await runner.cleanup()
