"""Receiving the API's webhooks: verify the signature, parse a typed event, drop redeliveries.

Example::

    event = construct_event(raw_body, request.headers.get("X-Webhook-Signature"), SIGNING_KEY)
    if await dedupe.first_seen(event.event_id):
        queue.put_nowait(event)
"""

from .._errors import WebhookPayloadError, WebhookSignatureError
from ._dedupe import WebhookDeduplicator
from ._events import (
    CallEnded,
    CommentCreated,
    ContactAssigneeUpdated,
    ContactCreated,
    ContactLifecycleUpdated,
    ContactTagUpdated,
    ContactUpdated,
    ConversationClosed,
    ConversationOpened,
    MessageReceived,
    MessageSent,
    UnknownEvent,
    WebhookEvent,
    construct_event,
    parse_event,
)
from ._verify import verify_signature

__all__ = [
    "CallEnded",
    "CommentCreated",
    "ContactAssigneeUpdated",
    "ContactCreated",
    "ContactLifecycleUpdated",
    "ContactTagUpdated",
    "ContactUpdated",
    "ConversationClosed",
    "ConversationOpened",
    "MessageReceived",
    "MessageSent",
    "UnknownEvent",
    "WebhookDeduplicator",
    "WebhookEvent",
    "WebhookPayloadError",
    "WebhookSignatureError",
    "construct_event",
    "parse_event",
    "verify_signature",
]
