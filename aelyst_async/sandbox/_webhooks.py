"""The sandbox's webhooks: a signed event for every change it applies, delivered in the background.

Every applied change (see :meth:`._state.State.changed`) becomes one event per subscription
that wants its type: a JSON POST whose ``X-Webhook-Signature`` header is the base64
HMAC-SHA256 of the raw body under the subscription's signing key. Bodies: :mod:`._payloads`;
delivery and retries: :mod:`._delivery`.

Faults, as :meth:`Sandbox.inject_fault` scripts them for the API: ``sb.webhooks.inject_fault(
"duplicate")`` sends the next event twice (same ``event_id``), ``"reorder"`` delivers the next
event after the one that follows it.

Example::

    async with Sandbox(clock=FakeClock()) as sb:
        sb.add_webhook("http://127.0.0.1:9000/hook", "whsec_test", events=["message.received"])
        message_id = sb.receive_message("email:ana@example.com", "Hi!")
        await sb.webhooks.settle()  # every delivery due now has been attempted
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import urllib.parse
import uuid
from collections.abc import Callable, Iterable
from typing import Any, Literal, get_args

import aiohttp
import attrs
from aiohttp import web
from yarl import URL

from ._delivery import Delivery, DeliveryPolicy, Endpoint, WebhookStats, safe_url
from ._faults import Script
from ._http import ApiError, error_payload, json_response
from ._limits import Clock, FakeClock
from ._messages import _default_channel, add_message
from ._payloads import Payloads
from ._state import State
from ._validation import load_json

EVENT_TYPES = (
    "message.received", "message.sent", "contact.created", "contact.updated",
    "contact.tag.updated", "contact.assignee.updated", "contact.lifecycle.updated",
    "conversation.opened", "conversation.closed", "comment.created", "call.ended",
)  # fmt: skip
"""The event types a webhook can subscribe to (the sandbox never sends ``call.ended``)."""

WebhookFault = Literal["duplicate", "reorder"]
WEBHOOK_FAULTS: tuple[WebhookFault, ...] = get_args(WebhookFault)


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def sign(body: bytes, signing_key: str) -> str:
    """The ``X-Webhook-Signature`` of ``body``: base64 of its HMAC-SHA256 under the key."""
    digest = hmac.new(signing_key.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


@attrs.frozen
class Subscription:
    """A webhook: its ``url`` (shown without credentials or query), the ``events`` it wants
    (None: all) and its signing key (never shown)."""

    url: str = attrs.field(repr=safe_url)
    signing_key: str = attrs.field(repr=False)
    events: frozenset[str] | None = None


def _event_types(events: Iterable[str] | None) -> frozenset[str] | None:
    if events is None:
        return None
    if isinstance(events, str | bytes):
        raise ValueError(f"events: a list of event types, not the string {events!r}")
    chosen = list(events)
    for i, name in enumerate(chosen):
        if name not in EVENT_TYPES:
            raise ValueError(
                f"events[{i}]: unknown event type {name!r}; one of {', '.join(EVENT_TYPES)}"
            )
    if not chosen:
        raise ValueError("events: empty; give None to subscribe to every event type")
    return frozenset(chosen)


class Webhooks:
    """The sandbox's subscriptions, the events of its changes and their delivery.

    ``policy`` (a :class:`DeliveryPolicy`: attempts, backoff, timeout, bound; set its fields,
    e.g. ``sb.webhooks.policy.max_attempts = 3``); ``stats`` counts attempts, deliveries and
    failures; ``subscriptions`` lists the webhooks added.
    """

    def __init__(self, state: State, clock: Clock) -> None:
        self._state, self._clock = state, clock
        self._policy = DeliveryPolicy()
        self._stats = WebhookStats()
        self.subscriptions: list[Subscription] = []
        self._endpoints: dict[str, Endpoint] = {}
        self._script: Script[WebhookFault] = Script()
        self._payloads = Payloads(state)
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None  # the loop serving the sandbox
        state.listeners.append(self._changed)

    @property
    def policy(self) -> DeliveryPolicy:
        return self._policy

    @property
    def stats(self) -> WebhookStats:
        return self._stats

    def __repr__(self) -> str:
        urls = [safe_url(s.url) for s in self.subscriptions]
        return f"<Webhooks to {urls} pending={self.pending}>"

    def add(self, url: str, signing_key: str, events: Iterable[str] | None = None) -> None:
        """Deliver a signed event to ``url`` for every change of a type in ``events`` (names
        from :data:`EVENT_TYPES`; None: every type). Raises ValueError naming the argument."""
        parsed = URL(url) if isinstance(url, str) else None
        if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
            raise ValueError(f"url: an http:// or https:// URL required, not {url!r}")
        if not isinstance(signing_key, str) or not signing_key:
            raise ValueError("signing_key: a non-empty string required")
        subscription = Subscription(url, signing_key, _event_types(events))
        self.subscriptions.append(subscription)
        if url not in self._endpoints:
            self._endpoints[url] = Endpoint(
                url, self._clock, self._real_time, self._client, self._policy, self._stats
            )
        if isinstance(self._clock, FakeClock) and self._on_clock not in self._clock.listeners:
            self._clock.listeners.append(self._on_clock)

    def receive_message(self, identifier: str, text: str, *, channel_id: int | None = None) -> int:
        """A text message from the contact ``identifier`` (``"id:7"``, ``"email:..."``,
        ``"phone:..."``) on ``channel_id`` (default: that of its last message, else the first
        it is on): stored (``messages.list`` shows it, ``traffic`` ``"incoming"``) and sent
        as ``message.received``. Returns its ``messageId``; ValueError naming the argument."""
        if self.subscriptions and self._loop is None and _running_loop() is None:
            raise RuntimeError(  # before storing anything
                "receive_message: start the sandbox or call it on an event loop (deliveries run "
                "there)"
            )
        state = self._state
        try:
            contact_id = state.find(urllib.parse.quote(identifier, safe=""))[1]
        except (ApiError, TypeError):
            raise ValueError(f"identifier: malformed {identifier!r}") from None
        if contact_id is None:
            raise ValueError(f"identifier: no contact {identifier!r} in the sandbox")
        if not isinstance(text, str) or not text.strip():
            raise ValueError("text: a non-empty string required")
        if channel_id is None:
            try:
                channel_id = _default_channel(state, contact_id)
            except ApiError:
                raise ValueError("channel_id: the contact is on no channel: give one") from None
        elif type(channel_id) is not int or channel_id not in state.space.channels:
            raise ValueError(f"channel_id: no channel {channel_id!r} in the sandbox")
        message = {"type": "text", "text": text}
        message_id = add_message(state, contact_id, channel_id, message, "incoming")
        state.changed("message.received", contact_id, message_id=message_id)
        return message_id

    def inject_fault(
        self, kind: WebhookFault, *, times: int = 1, event_type: str | None = None
    ) -> None:
        """Play ``kind`` on the next ``times`` events (of ``event_type``; None: any):
        ``"duplicate"`` delivers each twice, ``"reorder"`` after the event that follows it."""
        if kind not in WEBHOOK_FAULTS:
            raise ValueError(f"kind: unknown webhook fault {kind!r}; one of {list(WEBHOOK_FAULTS)}")
        if event_type is not None and event_type not in EVENT_TYPES:
            raise ValueError(f"event_type: unknown event type {event_type!r}")
        self._script.add(kind, times=times, key=event_type)

    @property
    def pending(self) -> int:
        """Deliveries not yet delivered nor given up."""
        return sum(endpoint.pending for endpoint in self._endpoints.values())

    async def settle(self) -> None:
        """Wait until every delivery due now has been attempted (a reordered one is let go);
        retries wait for their time on the sandbox's clock (:meth:`FakeClock.advance`). From
        any event loop (a sandbox may serve from a thread of its own)."""
        loop = self._loop
        if loop is not None and _running_loop() is not loop:
            await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(self._settle(), loop))
        else:
            await self._settle()

    async def _settle(self) -> None:
        while True:
            endpoints = list(self._endpoints.values())
            for endpoint in endpoints:
                endpoint.release()
            await asyncio.gather(*(endpoint.idle() for endpoint in endpoints))
            if all(endpoint.is_idle for endpoint in self._endpoints.values()):
                return

    def reset(self) -> None:
        """Forget scripted faults, counters and opened conversations (subscriptions stay)."""
        self._script.clear()
        self._payloads.reset()
        self.stats.clear()

    async def aclose(self) -> None:
        """Stop delivering (pending deliveries are forgotten) and close the HTTP session."""
        if isinstance(self._clock, FakeClock) and self._on_clock in self._clock.listeners:
            self._clock.listeners.remove(self._on_clock)
        for endpoint in self._endpoints.values():
            await endpoint.aclose()
        if self._session is not None:
            await self._session.close()
            self._session = None
        self._loop = None

    async def on_startup(self, app: web.Application) -> None:
        """Deliver on the loop that serves the sandbox (the app's startup signal)."""
        self._loop = asyncio.get_running_loop()

    async def admin(self, request: web.Request) -> web.Response:
        """``GET /_sandbox/webhooks``: the subscriptions (URLs without credentials), ``pending``
        and ``stats``; ``POST /_sandbox/receive_message`` ``{"identifier", "text",
        "channelId"?}``: :meth:`receive_message` -> ``{"messageId": N}`` (400 naming the
        problem)."""
        if request.method == "GET":
            subscriptions = [
                {"url": safe_url(s.url), "events": sorted(s.events) if s.events else None}
                for s in self.subscriptions
            ]
            stats = attrs.asdict(self.stats)
            return json_response(
                200, {"subscriptions": subscriptions, "pending": self.pending, "stats": stats}
            )
        ok, body = load_json(await request.read())
        if not ok or not isinstance(body, dict) or set(body) - {"identifier", "text", "channelId"}:
            problem = 'a JSON object {"identifier", "text", "channelId"?} required'
            return json_response(400, error_payload(400, f"receive_message: {problem}"))
        try:
            message_id = self.receive_message(
                body.get("identifier", ""), body.get("text", ""), channel_id=body.get("channelId")
            )
        except ValueError as exc:
            return json_response(400, error_payload(400, f"receive_message: {exc}"))
        return json_response(200, {"messageId": message_id})

    # -- internals -------------------------------------------------------------------------------

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session

    def _on_loop(self, step: Callable[[], None]) -> None:
        """Run ``step`` on the sandbox's loop: now if this is it (or none is known), else soon
        (a sandbox serving from a thread of its own; a clock advanced by another loop)."""
        loop = self._loop
        if loop is None or _running_loop() is loop:
            step()
        else:
            loop.call_soon_threadsafe(step)

    def _real_time(self) -> bool:
        clock = self._clock
        return not isinstance(clock, FakeClock) or clock.follows_real_time

    def _on_clock(self) -> None:
        def poke() -> None:
            for endpoint in self._endpoints.values():
                endpoint.poke()

        self._on_loop(poke)

    def _changed(self, event_type: str, contact_id: int, details: dict[str, Any]) -> None:
        self._payloads.seen(event_type, contact_id)
        wanted = [s for s in self.subscriptions if s.events is None or event_type in s.events]
        if not wanted:
            return
        event_id = f"evt_{uuid.uuid4().hex}"
        body = self._payloads.body(event_id, event_type, contact_id, details)
        fault = self._script.draw(event_type)
        copies = 2 if fault == "duplicate" else 1
        self.stats.duplicated += fault == "duplicate"
        self.stats.reordered += fault == "reorder"
        deliveries = [
            (self._endpoints[s.url], Delivery(event_id, event_type, body, signature))
            for s in wanted
            for signature in [sign(body, s.signing_key)] * copies
        ]

        def enqueue() -> None:
            for endpoint, delivery in deliveries:
                endpoint.enqueue(delivery, hold=fault == "reorder")

        self._on_loop(enqueue)


class WebhookMethods:
    """:class:`Sandbox`'s webhook methods (kept here: the server module is full)."""

    webhooks: Webhooks

    def add_webhook(self, url: str, signing_key: str, events: Iterable[str] | None = None) -> None:
        """POST a signed event to ``url`` for every change the sandbox applies (contact created
        or updated, tags, lifecycle, assignee, conversation opened or closed, comment, message
        sent, and :meth:`receive_message`), retried with backoff and the same ``event_id``.

        ``signing_key`` signs each body (``X-Webhook-Signature``, base64 HMAC-SHA256; never
        logged); ``events`` the event types wanted (None: all). Raises ValueError naming the
        argument (an unknown event type by its index). See :mod:`._webhooks`::

            sb.add_webhook("http://127.0.0.1:9000/hook", "whsec_test", events=["contact.created"])
        """
        self.webhooks.add(url, signing_key, events)

    def receive_message(self, identifier: str, text: str, *, channel_id: int | None = None) -> int:
        """Simulate a text message from a contact: stored (``messages.list`` shows it) and
        delivered as ``message.received``; returns its ``messageId``.

        >>> message_id = sb.receive_message("email:ana@example.com", "Is my order on its way?")
        """
        return self.webhooks.receive_message(identifier, text, channel_id=channel_id)
