"""aelyst_async.webhooks: signatures against independent vectors, typed tolerant events."""

from __future__ import annotations

import json

import pytest

import aelyst_async
from aelyst_async.types import ContactRecord, MessageRecord
from aelyst_async.webhooks import (
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
    WebhookPayloadError,
    WebhookSignatureError,
    construct_event,
    parse_event,
    verify_signature,
)

# Computed once in the shell: printf '%s' BODY | openssl dgst -sha256 -hmac KEY -binary | base64
BODY = b'{"event_id":"evt_1","event_type":"contact.created","contact":{"id":7,"firstName":"Ana"}}'
KEY = "whsec_test_key"
VECTORS = [
    (BODY, KEY, "JgruNloWgdwaTS6uOeXhO5+4pp+MXBD0CtUiWuoyZ3g="),
    (b"", "k", "i7mQxAp9YcuXWXqUISUCW+UKyL63RDbjc1uYiTp/ZiA="),
    ("café".encode(), "clé-🔑", "zUjBbvRtj0m8btKr6sSTAL6y0gC4xDYs1jxcTaEW1pY="),
]


@pytest.mark.parametrize(("body", "key", "signature"), VECTORS)
def test_signatures_computed_by_openssl_verify(body: bytes, key: str, signature: str) -> None:
    verify_signature(body, signature, key)


@pytest.mark.parametrize(
    ("signature", "problem"),
    [
        (None, "missing"),
        ("", "missing"),
        ("not base64!", "not base64"),
        ("AAAA", "not the 32"),
        ("JgruNloWgdwaTS6uOeXhO5+4pp+MXBD0CtUiWuoyZ3g", "not base64"),
        ("i7mQxAp9YcuXWXqUISUCW+UKyL63RDbjc1uYiTp/ZiA=", "does not match"),
    ],
)
def test_missing_malformed_or_wrong_signature_raises(signature: str | None, problem: str) -> None:
    with pytest.raises(WebhookSignatureError, match=problem) as info:
        verify_signature(BODY, signature, KEY)
    text = str(info.value) + repr(info.value)
    assert KEY not in text and VECTORS[0][2] not in text
    assert isinstance(info.value, aelyst_async.AelystError)
    assert aelyst_async.WebhookSignatureError is WebhookSignatureError


def test_wrong_key_and_re_serialised_body_fail() -> None:
    with pytest.raises(WebhookSignatureError, match="does not match"):
        verify_signature(BODY, VECTORS[0][2], "another key")
    reserialised = json.dumps(json.loads(BODY)).encode()
    assert reserialised != BODY
    with pytest.raises(WebhookSignatureError, match="does not match"):
        verify_signature(reserialised, VECTORS[0][2], KEY)
    with pytest.raises(TypeError, match="raw request bytes"):
        verify_signature(BODY.decode(), VECTORS[0][2], KEY)  # type: ignore[arg-type]


def test_construct_event_verifies_then_parses() -> None:
    event = construct_event(BODY, VECTORS[0][2], KEY)
    assert isinstance(event, ContactCreated)
    assert event.contact is not None and event.contact.first_name == "Ana"
    with pytest.raises(WebhookSignatureError):
        construct_event(BODY, VECTORS[1][2], KEY)


CONTACT = {
    "id": 7,
    "firstName": "Ana",
    "lastName": "Lima",
    "email": "ana@example.com",
    "phone": "+60123456789",
    "language": "en",
    "profilePic": None,
    "countryCode": "MY",
    "status": "open",
    "lifecycle": "Lead",
    "assignee": {"id": 3, "firstName": "Bo", "lastName": "Tan", "email": "bo@example.com"},
    "created_at": 1733356800,
    "tags": ["vip"],
    "custom_fields": [{"name": "plan", "value": "gold"}],
}
MESSAGE = {
    "messageId": 55,
    "channelMessageId": 9001,
    "contactId": 7,
    "channelId": 2,
    "traffic": "incoming",
    "message": {"type": "text", "text": "hello"},
    "timestamp": 1733356801,
    "status": [{"value": "delivered", "timestamp": 1733356802}],
}
CHANNEL = {"id": 2, "name": "WhatsApp", "source": "whatsapp", "meta": {}, "created_at": 1733356000}
CONVERSATION = {
    "category": "resolved",
    "summary": "done",
    "openedTime": 1733356000,
    "openedBySource": "contact",
    "closedTime": 1733356900,
    "closedBy": {},
    "closedBySource": "user",
    "firstResponseTime": 30,
    "resolutionTime": 900,
    "incomingMessageCount": 2,
    "outgoingMessageCount": 1,
    "assigneeTeam": None,
    "lastAssignmentTime": None,
}

CASES = [
    ("message.received", MessageReceived, {"message": MESSAGE, "channel": CHANNEL}),
    (
        "message.sent",
        MessageSent,
        {"message": {**MESSAGE, "traffic": "outgoing"}, "channel": CHANNEL},
    ),
    ("contact.created", ContactCreated, {}),
    ("contact.updated", ContactUpdated, {}),
    ("contact.tag.updated", ContactTagUpdated, {}),
    ("contact.assignee.updated", ContactAssigneeUpdated, {}),
    ("contact.lifecycle.updated", ContactLifecycleUpdated, {}),
    ("conversation.opened", ConversationOpened, {"conversation": {"openedTime": 1733356000}}),
    ("conversation.closed", ConversationClosed, {"conversation": CONVERSATION}),
    ("comment.created", CommentCreated, {"comment": {"text": "call back"}}),
    ("call.ended", CallEnded, {"call": {"duration": 61}}),
]


@pytest.mark.parametrize(("event_type", "cls", "more"), CASES)
def test_every_event_type_parses_to_its_class(event_type: str, cls: type, more: dict) -> None:  # type: ignore[type-arg]
    payload = {
        "event_id": f"evt-{event_type}",
        "event_type": event_type,
        "contact": CONTACT,
        **more,
    }
    raw = json.dumps(payload)
    event = parse_event(raw.encode())
    assert type(event) is cls
    assert event.event_id == f"evt-{event_type}" and event.event_type == event_type
    assert isinstance(event.contact, ContactRecord)
    assert event.contact.id == 7 and event.contact.tags == ("vip",)
    assert event.contact.assignee is not None and event.contact.assignee.id == 3
    assert event.to_dict() == payload
    assert parse_event(raw) == event


def test_message_event_carries_the_sdk_message_record_and_channel() -> None:
    payload = {"event_id": "e", "event_type": "message.received", "contact": CONTACT}
    event = parse_event(json.dumps({**payload, "message": MESSAGE, "channel": CHANNEL}))
    assert isinstance(event, MessageReceived)
    assert isinstance(event.message, MessageRecord) and event.message.message_id == 55
    assert event.message.channel_message_id == "9001"  # webhooks send it as a number
    assert event.message.traffic == "incoming"
    assert event.channel is not None and event.channel.name == "WhatsApp"
    closed = parse_event(
        json.dumps({**payload, "event_type": "conversation.closed", "conversation": CONVERSATION})
    )
    assert isinstance(closed, ConversationClosed)
    assert closed.conversation is not None and closed.conversation["resolutionTime"] == 900


def test_missing_optional_keys_and_unknown_keys_never_raise() -> None:
    event = parse_event(b'{"event_type": "message.sent", "brand_new": [1, 2]}')
    assert isinstance(event, MessageSent)
    assert event.event_id == "" and event.contact is None and event.message is None
    assert event.extra == {"brand_new": [1, 2]}
    odd = parse_event(b'{"event_id": 12, "event_type": "contact.updated", "contact": {"id": "x"}}')
    assert odd.event_id == "12" and odd.to_dict()["contact"] == {"id": "x"}


def test_unknown_event_type_is_kept() -> None:
    event = parse_event(b'{"event_id": "e9", "event_type": "contact.merged", "into": 8}')
    assert type(event) is UnknownEvent
    assert event.event_type == "contact.merged" and event.extra == {"into": 8}
    assert event.to_dict() == {"event_id": "e9", "event_type": "contact.merged", "into": 8}


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"{not json", "not JSON"),
        (b"[1]", "list, not an object"),
        (b"\xff", "not JSON"),
        (b"3", "int, not an object"),
    ],
)
def test_malformed_body_raises_payload_error(body: bytes, problem: str) -> None:
    with pytest.raises(WebhookPayloadError, match=problem):
        parse_event(body)
    assert issubclass(aelyst_async.WebhookPayloadError, aelyst_async.AelystError)


@pytest.mark.parametrize(("body", "key", "signature"), VECTORS)
def test_a_bytes_header_and_a_bytes_key_verify_like_str(
    body: bytes, key: str, signature: str
) -> None:
    verify_signature(body, signature.encode(), key)  # ASGI servers hand out raw header bytes
    verify_signature(body, bytearray(signature.encode()), key.encode())
    event_body = BODY if body == BODY else None
    if event_body is not None:
        assert construct_event(event_body, signature.encode(), key.encode()).event_id == "evt_1"
    with pytest.raises(WebhookSignatureError, match="does not match"):
        verify_signature(body, VECTORS[1][2].encode(), key.encode() + b"x")
    with pytest.raises(WebhookSignatureError, match="not base64"):
        verify_signature(body, "é".encode(), key)


@pytest.mark.parametrize(
    ("signature", "key", "error", "names"),
    [
        (VECTORS[0][2], None, TypeError, "signing_key must be a str or bytes, not NoneType"),
        (VECTORS[0][2], 1234, TypeError, "signing_key must be a str or bytes, not int"),
        (VECTORS[0][2], "", ValueError, "signing_key is empty"),
        (VECTORS[0][2], b"", ValueError, "signing_key is empty"),
        (12345, KEY, TypeError, "signature must be the X-Webhook-Signature header"),
        (None, None, TypeError, "signing_key must be"),  # a bad key says so even unsigned
    ],
)
def test_a_key_or_signature_of_another_type_is_a_clear_error(
    signature: object, key: object, error: type[Exception], names: str
) -> None:
    with pytest.raises(error, match=names):
        verify_signature(BODY, signature, key)  # type: ignore[arg-type]
    with pytest.raises(error, match=names):
        construct_event(BODY, signature, key)  # type: ignore[arg-type]


def test_a_body_nested_too_deeply_is_a_payload_error() -> None:
    with pytest.raises(WebhookPayloadError, match="nested too deeply"):
        parse_event(b'{"a":' * 100_000)
    with pytest.raises(WebhookPayloadError, match="nested too deeply"):
        parse_event("[" * 100_000)
    with pytest.raises(TypeError, match="body must be the raw request bytes or str, not NoneType"):
        parse_event(None)  # type: ignore[arg-type]
    assert parse_event(memoryview(BODY)).event_id == "evt_1"
