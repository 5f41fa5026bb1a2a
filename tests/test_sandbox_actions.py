"""Calls on a contact: tags, lifecycle, channels, assignee, conversation status, comments."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from aelyst_async.sandbox import FakeClock
from tests.sandbox_helpers import Api, error_body, sandboxes

WALL = 1_767_225_600
INVALID = error_body(400, "Validation error.")
NOT_FOUND = error_body(404, "Contact not found")


@pytest.fixture
async def api() -> AsyncIterator[Api]:
    async with sandboxes(FakeClock()) as start:
        api = await start(per_path=1000, wall_clock=FakeClock(WALL))
        await api.upsert("email:ana@example.com", {"firstName": "Ana", "phone": "+60123456789"})
        await api.upsert("email:bo@example.com")
        yield api


def contact(api: Api, contact_id: int = 1) -> dict[str, object]:
    found = api.sb.store.get(contact_id)
    assert found is not None
    return found


async def test_add_and_remove_tags(api: Api) -> None:
    assert await api.ok("POST", "/contact/id:1/tag", ["vip", "2026", "vip"]) == {"contactId": 1}
    assert await api.ok("POST", "/contact/email:ana@example.com/tag", ["new", "2026"]) == {
        "contactId": 1
    }
    assert contact(api)["tags"] == ["vip", "2026", "new"]
    assert "new" in api.sb.space.tags  # a tag the workspace lacked is made
    assert await api.ok("DELETE", "/contact/id:1/tag", ["2026", "absent"]) == {"contactId": 1}
    assert contact(api)["tags"] == ["vip", "new"]
    assert (await api.ok("GET", "/contact/id:1"))["tags"] == ["vip", "new"]


@pytest.mark.parametrize(
    "body",
    [[], [f"t{i}" for i in range(11)], [""], ["x" * 256], [1], "vip", {"tags": ["a"]}, None],
)
async def test_tag_limits(api: Api, body: object) -> None:
    for method in ("POST", "DELETE"):
        reply = await api.call(method, "/contact/id:1/tag", body)
        assert (reply.status, reply.body) == (400, INVALID)
    assert contact(api)["tags"] == []
    assert await api.ok("POST", "/contact/id:1/tag", ["x" * 255] + [f"t{i}" for i in range(9)])
    assert len(contact(api)["tags"]) == 10  # type: ignore[arg-type]
    assert (await api.call("POST", "/contact/id:9/tag", ["a"])).body == NOT_FOUND


async def test_lifecycle(api: Api) -> None:
    assert await api.ok("POST", "/contact/id:1/lifecycle/update", {"name": "Customer"}) == {
        "code": 200,
        "message": "Lifecycle updated",
    }
    assert (await api.ok("GET", "/contact/id:1"))["lifecycle"] == "Customer"
    for bad in ({"name": "Nope"}, {}, {"name": 3}, {"name": "Customer", "x": 1}):
        reply = await api.call("POST", "/contact/id:1/lifecycle/update", bad)
        assert (reply.status, reply.body) == (400, INVALID)
    assert contact(api)["lifecycle"] == "Customer"
    assert await api.ok("POST", "/contact/id:1/lifecycle/update", {"name": None})
    assert contact(api)["lifecycle"] is None
    reply = await api.call("POST", "/contact/id:9/lifecycle/update", {"name": None})
    assert reply.body == NOT_FOUND


async def test_contact_channels_by_phone_email_and_messages(api: Api) -> None:
    page = await api.ok("GET", "/contact/id:1/channels")
    assert page == {
        "items": [
            {"id": 1, "name": "WhatsApp", "source": "whatsapp_cloud", "created_at": WALL},
            {"id": 2, "name": "Email", "source": "email", "created_at": WALL},
        ],
        "pagination": {"next": "", "previous": ""},
    }
    await api.ok(
        "POST", "/contact/id:2/message", {"channelId": 3, "message": {"type": "text", "text": "Hi"}}
    )
    page = await api.ok("GET", "/contact/id:2/channels?limit=1")
    assert [c["id"] for c in page["items"]] == [2]
    assert page["pagination"]["next"].endswith("/contact/id:2/channels?limit=1&cursorId=2")
    page = await api.ok("GET", "/contact/id:2/channels?limit=1&cursorId=2")
    assert page["items"] == [
        {"id": 3, "name": "Website Chat", "source": "website_chat", "created_at": WALL,
         "lastMessageTime": WALL}
    ]  # fmt: skip
    assert (await api.call("GET", "/contact/id:9/channels")).body == NOT_FOUND
    assert (await api.call("GET", "/contact/id:1/channels?limit=0")).body == INVALID


async def test_assignee_by_id_email_or_none(api: Api) -> None:
    path = "/contact/id:1/conversation/assignee"
    assert await api.ok("POST", path, {"assignee": 2}) == {"contactId": 1}
    assert (await api.ok("GET", "/contact/id:1"))["assignee"] == {
        "id": 2, "firstName": "Ben", "lastName": "Tan", "email": "ben@sandbox.aelyst.ai",
    }  # fmt: skip
    assert await api.ok("POST", path, {"assignee": "aisha@sandbox.aelyst.ai"})
    assert contact(api)["assignee"] == 1
    bad_ones = ({"assignee": 99}, {"assignee": "AISHA@sandbox.aelyst.ai"}, {"assignee": True})
    for bad in (*bad_ones, {"assignee": "x@y.z"}, {}, {"assignee": [1]}):
        assert (await api.call("POST", path, bad)).body == INVALID
    assert contact(api)["assignee"] == 1
    assert await api.ok("POST", path, {"assignee": None})
    assert (await api.ok("GET", "/contact/id:1"))["assignee"] is None


async def test_conversation_status_and_closing_notes(api: Api) -> None:
    path = "/contact/id:1/conversation/status"
    body = {"status": "close", "category": "c" * 128, "summary": "s" * 512}
    assert await api.ok("POST", path, body) == {"contactId": 1}
    assert (await api.ok("GET", "/contact/id:1"))["status"] == "close"
    assert api.sb.space.closings[1] == [
        {"category": "c" * 128, "summary": "s" * 512, "created_at": WALL}
    ]
    for bad in (
        {"status": "close", "category": "c" * 129},
        {"status": "close", "summary": "s" * 513},
        {"status": "closing"},
        {"status": "Close"},
        {},
        {"status": "open", "note": "x"},
    ):
        assert (await api.call("POST", path, bad)).body == INVALID, bad
    assert await api.ok("POST", path, {"status": "open"})
    assert contact(api)["status"] == "open"
    assert len(api.sb.space.closings[1]) == 1


async def test_closed_and_empty_strings_close_as_the_official_clients_send_them(api: Api) -> None:
    """Decision: the TypeScript SDK sends ``close``, the n8n integration ``closed``; both close
    the conversation, and the contact's status reads ``close`` (the TypeScript SDK's spelling).
    n8n sends ``""`` for a category or summary left unset: none."""
    path = "/contact/id:1/conversation/status"
    body = {"status": "closed", "category": "", "summary": ""}
    assert await api.ok("POST", path, body) == {"contactId": 1}
    assert contact(api)["status"] == "close"
    assert api.sb.space.closings[1] == [{"category": None, "summary": None, "created_at": WALL}]


async def test_comments(api: Api) -> None:
    path = "/contact/email:bo@example.com/comment"
    text = "Called, no answer {{@user.2}} " + "x" * 970
    assert len(text) == 1000
    assert await api.ok("POST", path, {"text": text}) == {
        "contactId": 2, "text": text, "created_at": WALL,
    }  # fmt: skip
    for bad in ({"text": "x" * 1001}, {"text": ""}, {"text": 5}, {}, ["hi"]):
        assert (await api.call("POST", path, bad)).body == INVALID
    assert [c["text"] for c in api.sb.space.comments[2]] == [text]
    assert (await api.call("POST", "/contact/id:9/comment", {"text": "x"})).body == NOT_FOUND
