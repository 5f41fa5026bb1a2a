"""client.messages: wire format, results, errors, pagination, checks, and never sending twice."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from aelyst_async import (
    AttachmentMessage,
    AuthenticationError,
    BadRequestError,
    CustomPayloadMessage,
    EmailMessage,
    MaybeAppliedError,
    MessageRecord,
    MessageStatus,
    NotFoundError,
    QuickReplyMessage,
    RateLimitError,
    ResponseFormatError,
    ServerError,
    TextMessage,
    TransportError,
    ValidationError,
    WhatsAppTemplateMessage,
)
from tests.resource_helpers import LOST, NOT_WRITTEN, page, reply, scripted_client
from tests.virtual_time import virtual_time

SENT = reply(200, {"messageId": 1042})
RECORD = {
    "messageId": 1042,
    "channelMessageId": "wamid.abc",
    "contactId": 7,
    "channelId": 3,
    "traffic": "outgoing",
    "message": {"type": "text", "text": "Hello"},
    "status": [{"value": "sent", "timestamp": 1767225600}, {"value": "failed", "message": "x"}],
    "addedLater": True,
}


def fields(exc: pytest.ExceptionInfo[ValidationError]) -> list[str]:
    return [problem.field for problem in exc.value.errors]


@virtual_time
async def test_send_text_posts_the_message_and_returns_its_id() -> None:
    client, transport = scripted_client(SENT, SENT)
    assert await client.messages.send("email:ana@example.com", "Hello") == 1042
    assert await client.messages.send("id:7", TextMessage("Hi"), channel_id=3) == 1042
    first, second = transport.sent
    assert (first.method, first.path) == ("POST", "/contact/email:ana@example.com/message")
    assert first.json() == {"message": {"type": "text", "text": "Hello"}}
    assert first.idempotent is False
    assert second.path == "/contact/id:7/message"
    assert second.json() == {"channelId": 3, "message": {"type": "text", "text": "Hi"}}


@pytest.mark.parametrize(
    ("message", "wire"),
    [
        (
            AttachmentMessage("https://cdn.example.com/a.png", kind="image"),
            {
                "type": "attachment",
                "attachment": {"type": "image", "url": "https://cdn.example.com/a.png"},
            },
        ),
        (
            AttachmentMessage("https://cdn.example.com/m.pdf", file_name="menu.pdf"),
            {
                "type": "attachment",
                "attachment": {
                    "type": "file",
                    "url": "https://cdn.example.com/m.pdf",
                    "fileName": "menu.pdf",
                },
            },
        ),
        (
            EmailMessage(
                "Body",
                subject="Invoice",
                cc=["a@example.com"],
                reply_to_message_id=9,
                attachments=[AttachmentMessage("https://cdn.example.com/i.pdf", file_name="i.pdf")],
            ),
            {
                "type": "email",
                "text": "Body",
                "subject": "Invoice",
                "cc": ["a@example.com"],
                "replyToMessageId": 9,
                "attachments": [
                    {"type": "file", "url": "https://cdn.example.com/i.pdf", "fileName": "i.pdf"}
                ],
            },
        ),
        (EmailMessage("Only a body"), {"type": "email", "text": "Only a body"}),
        (
            QuickReplyMessage("Which plan?", ["Free", "Pro"]),
            {"type": "quick_reply", "title": "Which plan?", "replies": ["Free", "Pro"]},
        ),
        (
            CustomPayloadMessage({"text": "Hi", "buttons": [1, 2]}),
            {"type": "custom_payload", "payload": {"text": "Hi", "buttons": [1, 2]}},
        ),
        (
            WhatsAppTemplateMessage("order_update", "en", components=[{"type": "body"}]),
            {
                "type": "whatsapp_template",
                "template": {
                    "name": "order_update",
                    "languageCode": "en",
                    "components": [{"type": "body"}],
                },
            },
        ),
        (
            WhatsAppTemplateMessage("hello_world", "en_US"),
            {
                "type": "whatsapp_template",
                "template": {"name": "hello_world", "languageCode": "en_US"},
            },
        ),
    ],
)
@virtual_time
async def test_each_message_type_goes_out_in_its_wire_form(message: Any, wire: Any) -> None:
    client, transport = scripted_client(SENT)
    assert await client.messages.send("id:7", message) == 1042
    assert transport.sent[0].json() == {"message": wire}


@pytest.mark.parametrize(
    ("message", "channel_id", "expected"),
    [
        ("", None, ["message"]),
        (TextMessage("  "), None, ["message.text"]),
        (AttachmentMessage("not a url"), None, ["message.url"]),
        (AttachmentMessage("https://x.example/a", kind="gif"), None, ["message.kind"]),  # type: ignore[arg-type]
        (EmailMessage("b", cc=["ok@example.com", "nope"]), None, ["message.cc[1]"]),
        (EmailMessage("b", attachments=["x"]), None, ["message.attachments[0]"]),  # type: ignore[list-item]
        (
            EmailMessage("b", attachments=[AttachmentMessage("ftp://x", file_name="x")]),
            None,
            ["message.attachments[0].url"],
        ),
        (
            EmailMessage("b", attachments=[AttachmentMessage("https://x.example/files/9")]),
            None,
            ["message.attachments[0].file_name"],
        ),
        (
            TextMessage("late", message_tag="HUMAN_AGENT"),  # type: ignore[arg-type]
            None,
            ["message.message_tag"],
        ),
        (QuickReplyMessage("t", []), None, ["message.replies"]),
        (QuickReplyMessage("t", ["a", ""]), None, ["message.replies[1]"]),
        (CustomPayloadMessage({"when": datetime.date(2026, 1, 1)}), None, ["message.payload"]),
        (CustomPayloadMessage({"x": float("nan")}), None, ["message.payload"]),
        (
            WhatsAppTemplateMessage("", "en", components=["x"]),
            None,
            ["message.name", "message.components[0]"],
        ),  # type: ignore[list-item]
        (b"bytes", None, ["message"]),
        ("Hi", 0, ["channel_id"]),
        ("Hi", True, ["channel_id"]),
        ("", "3", ["message", "channel_id"]),
    ],
)
@virtual_time
async def test_bad_input_is_refused_by_field_and_nothing_is_sent(
    message: Any, channel_id: Any, expected: list[str]
) -> None:
    client, transport = scripted_client()
    with pytest.raises(ValidationError) as exc:
        await client.messages.send("id:7", message, channel_id=channel_id)
    assert fields(exc) == expected
    assert transport.sent == []


@virtual_time
async def test_a_bad_identifier_is_reported_with_the_other_problems() -> None:
    client, transport = scripted_client()
    with pytest.raises(ValidationError) as exc:
        await client.messages.send("email:nope", "", channel_id=-1)
    assert sorted(fields(exc)) == ["channel_id", "identifier", "message"]
    assert transport.sent == []


@pytest.mark.parametrize(
    ("status", "error"),
    [(400, BadRequestError), (401, AuthenticationError), (404, NotFoundError)],
)
@virtual_time
async def test_send_errors_are_raised_once_without_retry(status: int, error: type[Any]) -> None:
    client, transport = scripted_client(reply(status))
    with pytest.raises(error) as exc:
        await client.messages.send("id:7", "Hello")
    assert exc.value.status == status
    assert len(transport.sent) == 1


@pytest.mark.parametrize(
    "first",
    [reply(429, headers={"Retry-After": "1"}), reply(449), NOT_WRITTEN],
    ids=["429", "449", "not-written"],
)
@virtual_time
async def test_send_is_resent_only_when_surely_not_applied(first: Any) -> None:
    client, transport = scripted_client(first, SENT)
    assert await client.messages.send("id:7", "Hello") == 1042
    assert len(transport.sent) == 2
    assert transport.sent[0] == transport.sent[1]


@pytest.mark.parametrize(
    ("first", "cause"),
    [
        (reply(500), ServerError),
        (reply(503, headers={"Retry-After": "1"}), ServerError),
        (LOST, TransportError),
        (TransportError("timed out after 30s"), TransportError),
    ],
    ids=["500", "503", "lost", "timeout"],
)
@virtual_time
async def test_send_is_never_sent_twice_after_an_ambiguous_failure(
    first: Any, cause: type[Exception]
) -> None:
    client, transport = scripted_client(first, SENT)
    with pytest.raises(MaybeAppliedError, match="may have been applied") as exc:
        await client.messages.send("id:7", "Hello")
    assert isinstance(exc.value.__cause__, cause)
    assert exc.value.attempts == 1
    assert len(transport.sent) == 1


@virtual_time
async def test_send_gives_up_on_a_429_storm_without_duplicates() -> None:
    storm = [reply(429, headers={"Retry-After": "1"}) for _ in range(4)]
    client, transport = scripted_client(*storm)
    with pytest.raises(RateLimitError):
        await client.messages.send("id:7", "Hello")
    assert len(transport.sent) == 4  # max_attempts, each one surely refused


@virtual_time
async def test_get_reads_the_record_and_ignores_unknown_keys() -> None:
    client, transport = scripted_client(reply(200, RECORD))
    record = await client.messages.get("id:7", 1042)
    assert (transport.sent[0].method, transport.sent[0].path) == (
        "GET",
        "/contact/id:7/message/1042",
    )
    assert record == MessageRecord(
        message_id=1042,
        channel_message_id="wamid.abc",
        contact_id=7,
        channel_id=3,
        traffic="outgoing",
        message={"type": "text", "text": "Hello"},
        status=(
            MessageStatus(
                value="sent",
                timestamp=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
            ),
            MessageStatus(value="failed", message="x"),
        ),
    )


@virtual_time
async def test_get_errors_and_checks() -> None:
    client, transport = scripted_client(reply(404), reply(500), reply(500), reply(200, RECORD))
    with pytest.raises(NotFoundError):
        await client.messages.get("id:7", 5)
    assert (await client.messages.get("id:7", 5)).message_id == 1042  # idempotent: retried
    assert len(transport.sent) == 4
    with pytest.raises(ValidationError) as exc:
        await client.messages.get("id:7", "5")  # type: ignore[arg-type]
    assert fields(exc) == ["message_id"]
    client, transport = scripted_client(*[reply(200, {"messageId": "one"})] * 4)
    with pytest.raises(ResponseFormatError, match="messageId of the MessageRecord") as error:
        await client.messages.get("id:7", 1)
    assert error.value.key == "messageId"
    assert len(transport.sent) == 1  # a 2xx is never retried for its shape


@virtual_time
async def test_list_follows_the_cursor_lazily_and_stops_on_break() -> None:
    one, two, three = ({**RECORD, "messageId": n} for n in (1, 2, 3))
    client, transport = scripted_client(page([one, two], "c2"), page([three]))
    ids = [record.message_id async for record in client.messages.list("id:7", page_size=2)]
    assert ids == [1, 2, 3]
    assert [sent.path for sent in transport.sent] == [
        "/contact/id:7/message/list?limit=2",
        "/contact/id:7/message/list?limit=2&cursorId=c2",
    ]
    client, transport = scripted_client(page([one, two], "c2"), page([three]))
    async for record in client.messages.list("id:7", page_size=2):
        assert record.message_id == 1
        break
    assert len(transport.sent) == 1
    client, transport = scripted_client(page([one], "c2"), page([three]))
    pages = [len(p.items) async for p in client.messages.list("id:7").pages()]
    assert pages == [1, 1]


@virtual_time
async def test_list_checks_its_input_before_any_request() -> None:
    client, transport = scripted_client()
    with pytest.raises(ValidationError) as exc:
        client.messages.list("id:7", page_size=101)
    assert fields(exc) == ["page_size"]
    with pytest.raises(ValidationError) as exc:
        client.messages.list("phone:123")
    assert fields(exc) == ["identifier"]
    assert transport.sent == []
