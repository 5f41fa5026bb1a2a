"""Messages on the sandbox (send, get, list) and faults injected on any call."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from aelyst_async.sandbox import ROUTES, FakeClock
from tests.sandbox_helpers import Api, Start, error_body, sandboxes

WALL = 1_767_225_600
INVALID = error_body(400, "Validation error.")
SEND = "POST /contact/{identifier}/message"


@pytest.fixture
async def start() -> AsyncIterator[Start]:
    async with sandboxes(FakeClock()) as start:
        yield start


@pytest.fixture
async def api(start: Start) -> Api:
    api = await start(per_path=1000, wall_clock=FakeClock(WALL))
    await api.upsert("phone:+60123456789", {"firstName": "Ana", "email": "ana@example.com"})
    await api.upsert("email:bo@example.com")
    return api


def text(body: str) -> dict[str, Any]:
    return {"message": {"type": "text", "text": body}}


async def test_send_get_and_list(api: Api) -> None:
    assert await api.ok("POST", "/contact/id:1/message", text("Hello")) == {"messageId": 1}
    sent = {"channelId": 2, "message": {"type": "email", "text": "Hi", "subject": "S"}}
    assert await api.ok("POST", "/contact/id:1/message", sent) == {"messageId": 2}
    assert await api.ok("POST", "/contact/id:2/message", text("Other")) == {"messageId": 3}
    assert await api.ok("POST", "/contact/id:1/message", {"channelId": None, **text("Again")}) == {
        "messageId": 4
    }
    first = await api.ok("GET", "/contact/id:1/message/1")
    assert first == {
        "messageId": 1,
        "channelMessageId": "9000000001",
        "contactId": 1,
        "channelId": 1,  # no channel given, none used yet: the contact's first (its phone's)
        "traffic": "outgoing",
        "message": {"type": "text", "text": "Hello"},
        "status": [{"value": "sent", "timestamp": WALL}],
    }
    assert (await api.ok("GET", "/contact/id:1/message/4"))["channelId"] == 2  # the last used
    page = await api.ok("GET", "/contact/phone:%2B60123456789/message/list?limit=2")
    assert [m["messageId"] for m in page["items"]] == [1, 2]
    assert page["items"][0] == first
    cursor = page["pagination"]["next"].rpartition("cursorId=")[2]
    page = await api.ok("GET", f"/contact/id:1/message/list?limit=2&cursorId={cursor}")
    assert [m["messageId"] for m in page["items"]] == [4]
    assert page["pagination"]["next"] == ""
    assert (await api.ok("GET", "/contact/id:2/message/list"))["items"][0]["channelId"] == 2


async def test_a_message_of_another_contact_is_404(api: Api) -> None:
    await api.ok("POST", "/contact/id:1/message", text("Hello"))
    for path in ("/contact/id:2/message/1", "/contact/id:1/message/2"):
        reply = await api.call("GET", path)
        assert (reply.status, reply.body) == (404, error_body(404, "Message not found"))
    assert (await api.call("GET", "/contact/id:1/message/x")).body == INVALID
    reply = await api.call("GET", "/contact/id:7/message/1")
    assert reply.body == error_body(404, "Contact not found")


@pytest.mark.parametrize(
    "message",
    [
        {"type": "attachment", "attachment": {"type": "image", "url": "https://x.example/a.png"}},
        {"type": "custom_payload", "payload": {"any": ["thing"]}},
        {"type": "quick_reply", "title": "Pick", "replies": ["Yes", "No"]},
        {"type": "email", "text": "Body"},
        {"type": "whatsapp_template", "template": {"name": "welcome", "languageCode": "en"}},
    ],
)
async def test_every_message_type_is_stored_as_sent(api: Api, message: dict[str, Any]) -> None:
    assert await api.ok("POST", "/contact/id:1/message", {"message": message}) == {"messageId": 1}
    assert (await api.ok("GET", "/contact/id:1/message/1"))["message"] == message


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"message": "Hello"},
        {"message": {"type": "sms", "text": "x"}},
        {"message": {"type": "text"}},
        {"message": {"type": "text", "text": "  "}},
        {"message": {"type": "attachment", "attachment": {"type": "pdf", "url": "u"}}},
        {"message": {"type": "custom_payload", "payload": []}},
        {"message": {"type": "quick_reply", "title": "t", "replies": []}},
        {"message": {"type": "email", "text": "x", "subject": 5}},
        {"message": {"type": "whatsapp_template", "template": {"name": "w"}}},
        {"channelId": 99, **text("x")},
        {"channelId": "1", **text("x")},
        {"to": 1, **text("x")},
    ],
)
async def test_bad_messages_are_400_and_not_stored(api: Api, body: object) -> None:
    reply = await api.call("POST", "/contact/id:1/message", body)
    assert (reply.status, reply.body) == (400, INVALID)
    assert api.sb.space.messages == {}


async def test_a_contact_on_no_channel_needs_a_channel_id(api: Api) -> None:
    await api.upsert("id:2", {"firstName": "Bo", "email": None})
    assert (await api.call("POST", "/contact/id:2/message", text("x"))).body == INVALID
    assert await api.ok("POST", "/contact/id:2/message", {"channelId": 3, **text("x")})


# -- faults ------------------------------------------------------------------------------------


async def test_a_lost_response_after_sending_stores_the_message_once(start: Start) -> None:
    api = await start(lose_rate=1.0)
    api.sb.store.create({"firstName": "Ana", "email": "a@example.com"})
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await api.call("POST", "/contact/id:1/message", text("Once"))
    assert [m["message"]["text"] for m in api.sb.space.messages.values()] == ["Once"]
    assert api.sb.stats.faults["lose"] == 1
    assert api.sb.stats.operations == {SEND: 1}


async def test_a_500_after_applying_stores_the_message(start: Start) -> None:
    api = await start(fail_applied_rate=1.0)
    api.sb.store.create({"firstName": "Ana", "email": "a@example.com"})
    reply = await api.call("POST", "/contact/id:1/message", text("Applied"))
    assert (reply.status, reply.body) == (500, error_body(500, "Unexpected error occurred"))
    assert len(api.sb.space.messages) == 1
    assert api.sb.stats.faults["fail_applied"] == 1


async def test_a_500_before_applying_stores_nothing(start: Start) -> None:
    api = await start(fail_rate=1.0)
    api.sb.store.create({"firstName": "Ana", "email": "a@example.com"})
    for path, body in [
        ("/contact/id:1/message", text("No")),
        ("/contact/id:1/comment", {"text": "No"}),
        ("/space/tag", {"name": "no"}),
    ]:
        reply = await api.call("POST", path, body)
        assert (reply.status, reply.body) == (500, error_body(500, "Unexpected error occurred"))
    assert api.sb.space.messages == {} and api.sb.space.comments == {}
    assert "no" not in api.sb.space.tags
    # checks come first: a bad call is its 400, never a fault
    assert (await api.call("POST", "/contact/id:1/message", {})).status == 400
    assert api.sb.stats.faults["fail"] == 3


async def test_scripted_faults_hit_exactly_the_calls_named(api: Api) -> None:
    api.sb.inject_fault("lose", operation=SEND)
    api.sb.inject_fault("fail_applied", operation=SEND)
    assert (await api.ok("GET", "/contact/id:1"))["id"] == 1  # another operation: untouched
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await api.call("POST", "/contact/id:1/message", text("one"))
    assert (await api.call("POST", "/contact/id:1/message", text("two"))).status == 500
    assert await api.ok("POST", "/contact/id:1/message", text("three")) == {"messageId": 3}
    assert [m["messageId"] for m in api.sb.space.messages.values()] == [1, 2, 3]
    assert api.sb.faults.pending() == []


async def test_faults_over_http(api: Api) -> None:
    reply = await api.admin("/_sandbox/faults", {"kind": "malformed", "times": 2})
    assert reply.json() == {"pending": [{"kind": "malformed", "times": 2, "operation": None}]}
    for _ in range(2):
        reply = await api.call("GET", "/space/user")
        assert reply.status == 200
        with pytest.raises(ValueError):  # noqa: PT011
            reply.json()
    assert (await api.call("GET", "/space/user")).json()["items"][0]["id"] == 1
    for bad in ({"kind": "explode"}, {"kind": "lose", "times": 0}, {"nope": 1}, [1]):
        reply = await api.admin("/_sandbox/faults", bad)
        assert reply.status == 400
        assert reply.json()["code"] == 400
    assert (await api.get("/_sandbox/faults")).json() == {"pending": []}


async def test_faults_are_checked() -> None:
    from aelyst_async.sandbox import Sandbox

    with pytest.raises(ValueError, match="fault rates"):
        Sandbox(fail_rate=0.5, fail_applied_rate=0.6)
    with pytest.raises(ValueError, match="unknown fault"):
        Sandbox().inject_fault("boom")  # type: ignore[arg-type]


async def test_a_fault_on_an_operation_the_sandbox_does_not_serve_is_refused(api: Api) -> None:
    """A misspelt operation would never fire, and the test using it would pass for nothing."""
    sb = api.sb
    with pytest.raises(ValueError, match=r"'POST /contact/id:1/message' is not served") as caught:
        sb.inject_fault("lose", operation="POST /contact/id:1/message")
    assert "did you mean 'POST /contact/{identifier}/message'?" in str(caught.value)
    with pytest.raises(ValueError, match="did you mean 'GET /space/user'") as caught:
        sb.inject_fault("fail", operation="GET /space/users")
    assert "'GET /space/users'" in str(caught.value)
    with pytest.raises(ValueError, match=r"'bogus' is not served.*one of \[") as caught:
        sb.inject_fault("fail", operation="bogus")
    assert all(route.name in str(caught.value) for route in ROUTES)
    assert sb.faults.pending() == []
    for route in ROUTES:  # every served operation is accepted
        sb.inject_fault("fail", operation=route.name)
    assert len(sb.faults.pending()) == len(ROUTES)
    reply = await api.admin("/_sandbox/faults", {"kind": "lose", "operation": "GET /space/userz"})
    assert reply.status == 400
    assert len((await api.get("/_sandbox/faults")).json()["pending"]) == len(ROUTES)
