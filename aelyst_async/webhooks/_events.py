"""Typed, tolerant webhook events: one attrs class per ``event_type``, else ``UnknownEvent``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, TypeVar

import attrs

from .._errors import WebhookPayloadError
from .._sansio.convert import record_from_wire
from ..types import ContactChannel, ContactRecord, MessageRecord
from ._verify import verify_signature

R = TypeVar("R")


def _read(body: Mapping[str, Any], key: str, cls: type[R]) -> R | None:
    """The one place events read records: the SDK's converter, ``None`` when absent or unreadable.

    An unreadable record never fails the event: the payload stays whole in ``to_dict()``.
    """
    value = body.get(key)
    if not isinstance(value, dict):
        return None
    try:
        return record_from_wire(value, cls)
    except (ValueError, TypeError):
        return None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


@attrs.frozen(kw_only=True)
class WebhookEvent:
    """A webhook delivery's event.

    ``event_id`` (always a string, "" when absent) identifies the event across redeliveries;
    ``event_type`` is the type as sent; ``contact`` the SDK's :class:`ContactRecord` (None when
    absent or unreadable); ``extra`` holds the top-level keys this class does not model;
    ``to_dict()`` returns the payload as received.
    """

    event_id: str
    event_type: str
    contact: ContactRecord | None = None
    extra: Mapping[str, Any] = attrs.field(factory=dict, repr=False)
    _payload: Mapping[str, Any] = attrs.field(factory=dict, repr=False, alias="payload")

    _known = frozenset({"event_id", "event_type", "contact"})

    def to_dict(self) -> dict[str, Any]:
        """The payload exactly as received (a deep copy through JSON)."""
        copied: dict[str, Any] = json.loads(json.dumps(self._payload))
        return copied

    @classmethod
    def _fields_from(cls, body: Mapping[str, Any]) -> dict[str, Any]:
        return {}

    @classmethod
    def _from_payload(cls, body: Mapping[str, Any]) -> WebhookEvent:
        known = cls._known | set(cls._fields_from({}).keys())
        return cls(
            event_id=_text(body.get("event_id")),
            event_type=_text(body.get("event_type")),
            contact=_read(body, "contact", ContactRecord),
            extra={k: v for k, v in body.items() if k not in known},
            payload=body,
            **cls._fields_from(body),
        )


@attrs.frozen(kw_only=True)
class _MessageEvent(WebhookEvent):
    """A message event: ``message`` (:class:`MessageRecord`) and ``channel``."""

    message: MessageRecord | None = None
    channel: ContactChannel | None = None

    @classmethod
    def _fields_from(cls, body: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "message": _read(body, "message", MessageRecord),
            "channel": _read(body, "channel", ContactChannel),
        }


@attrs.frozen(kw_only=True)
class _ConversationEvent(WebhookEvent):
    """A conversation event: ``conversation`` as sent (category, summary, times, counts...)."""

    conversation: Mapping[str, Any] | None = None

    @classmethod
    def _fields_from(cls, body: Mapping[str, Any]) -> dict[str, Any]:
        value = body.get("conversation")
        return {"conversation": value if isinstance(value, dict) else None}


@attrs.frozen(kw_only=True)
class MessageReceived(_MessageEvent):
    """``message.received``: a contact sent a message."""


@attrs.frozen(kw_only=True)
class MessageSent(_MessageEvent):
    """``message.sent``: a message went out to a contact."""


@attrs.frozen(kw_only=True)
class ContactCreated(WebhookEvent):
    """``contact.created``."""


@attrs.frozen(kw_only=True)
class ContactUpdated(WebhookEvent):
    """``contact.updated``."""


@attrs.frozen(kw_only=True)
class ContactTagUpdated(WebhookEvent):
    """``contact.tag.updated``: the contact's ``tags`` as they are now."""


@attrs.frozen(kw_only=True)
class ContactAssigneeUpdated(WebhookEvent):
    """``contact.assignee.updated``: the contact's ``assignee`` as it is now."""


@attrs.frozen(kw_only=True)
class ContactLifecycleUpdated(WebhookEvent):
    """``contact.lifecycle.updated``: the contact's ``lifecycle`` as it is now."""


@attrs.frozen(kw_only=True)
class ConversationOpened(_ConversationEvent):
    """``conversation.opened``."""


@attrs.frozen(kw_only=True)
class ConversationClosed(_ConversationEvent):
    """``conversation.closed``: ``conversation`` carries its category, summary, times, counts."""


@attrs.frozen(kw_only=True)
class CommentCreated(WebhookEvent):
    """``comment.created``: the comment's keys are in ``extra``."""


@attrs.frozen(kw_only=True)
class CallEnded(WebhookEvent):
    """``call.ended``: the call's keys are in ``extra``."""


@attrs.frozen(kw_only=True)
class UnknownEvent(WebhookEvent):
    """Any ``event_type`` this SDK does not know: read it through ``to_dict()`` or ignore it."""


EVENT_TYPES: Mapping[str, type[WebhookEvent]] = {
    "message.received": MessageReceived,
    "message.sent": MessageSent,
    "contact.created": ContactCreated,
    "contact.updated": ContactUpdated,
    "contact.tag.updated": ContactTagUpdated,
    "contact.assignee.updated": ContactAssigneeUpdated,
    "contact.lifecycle.updated": ContactLifecycleUpdated,
    "conversation.opened": ConversationOpened,
    "conversation.closed": ConversationClosed,
    "comment.created": CommentCreated,
    "call.ended": CallEnded,
}


def parse_event(body: bytes | str) -> WebhookEvent:
    """A webhook body -> its typed event (:class:`UnknownEvent` for a type this SDK does not know).

    Never raises for an unknown ``event_type`` or key; raises :class:`WebhookPayloadError` when the
    body is not UTF-8 JSON (or nested too deeply to read) or not a JSON object, and TypeError
    when it is neither bytes nor str.

    Example::

        body = b'{"event_id": "e1", "event_type": "contact.created", "contact": {"id": 7}}'
        event = parse_event(body)
        assert isinstance(event, ContactCreated) and event.contact.id == 7
    """
    if not isinstance(body, bytes | bytearray | memoryview | str):
        raise TypeError(f"body must be the raw request bytes or str, not {type(body).__name__}")
    try:
        body_obj = json.loads(bytes(body) if isinstance(body, memoryview) else body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise WebhookPayloadError(f"the webhook body is not JSON: {exc}") from None
    except RecursionError:
        raise WebhookPayloadError("the webhook body is JSON nested too deeply to read") from None
    if not isinstance(body_obj, dict):
        raise WebhookPayloadError(
            f"the webhook body is a JSON {type(body_obj).__name__}, not an object"
        )
    cls = EVENT_TYPES.get(_text(body_obj.get("event_type")), UnknownEvent)
    return cls._from_payload(body_obj)


def construct_event(
    body: bytes, signature: str | bytes | None, signing_key: str | bytes
) -> WebhookEvent:
    """:func:`verify_signature`, then :func:`parse_event`: the one call a handler needs.

    Raises:
        WebhookSignatureError: missing, malformed or wrong signature (checked first).
        WebhookPayloadError: a verified body that is not a JSON object.
    """
    verify_signature(body, signature, signing_key)
    return parse_event(body)
