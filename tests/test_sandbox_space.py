"""Workspace endpoints on the sandbox: users, custom fields, channels, closing notes, templates,
tags."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from aelyst_async.sandbox import DEFAULT_CUSTOM_FIELDS, FakeClock
from tests.sandbox_helpers import Api, error_body, sandboxes

INVALID = error_body(400, "Validation error.")


@pytest.fixture
async def api() -> AsyncIterator[Api]:
    async with sandboxes(FakeClock()) as start:
        yield await start(per_path=1000)


async def every_item(api: Api, path: str, limit: int = 2) -> list[Any]:
    items, query = [], f"?limit={limit}"
    while True:
        page = await api.ok("GET", path + query)
        items += page["items"]
        if page["pagination"]["next"] == "":
            return items
        query = "?" + page["pagination"]["next"].partition("?")[2]


async def test_users(api: Api) -> None:
    users = await every_item(api, "/space/user")
    assert [u["id"] for u in users] == [1, 2, 3, 4]
    assert users[1] == {
        "id": 2,
        "firstName": "Ben",
        "lastName": "Tan",
        "email": "ben@sandbox.aelyst.ai",
        "role": "manager",
        "team": {"id": 2, "name": "Support"},
        "restrictions": [],
    }
    assert await api.ok("GET", "/space/user/2") == users[1]
    assert (await api.call("GET", "/space/user/9")).body == error_body(404, "User not found")
    assert (await api.call("GET", "/space/user/x")).body == INVALID


async def test_custom_fields_list_and_get(api: Api) -> None:
    fields = await every_item(api, "/space/custom_field", limit=3)
    assert [f["name"] for f in fields] == list(DEFAULT_CUSTOM_FIELDS)
    plan = next(f for f in fields if f["name"] == "Plan")
    assert plan == {
        "id": 2,
        "name": "Plan",
        "slug": "plan",
        "description": None,
        "dataType": "list",
        "allowedValues": ["Free", "Starter", "Pro", "Enterprise"],
    }
    assert await api.ok("GET", "/space/custom_field/2") == plan
    assert fields[0]["slug"] == "company_website" and fields[0]["allowedValues"] is None
    reply = await api.call("GET", "/space/custom_field/99")
    assert reply.body == error_body(404, "Custom field not found")


async def test_a_created_custom_field_is_accepted_by_contacts(api: Api) -> None:
    assert (await api.upsert("email:a@example.com", _with_tier("Gold"))).status == 400
    created = await api.ok(
        "POST",
        "/space/custom_field",
        {"name": "Tier", "description": "Loyalty tier", "dataType": "list",
         "allowedValues": ["Gold", "Silver"]},
    )  # fmt: skip
    assert created == {
        "id": len(DEFAULT_CUSTOM_FIELDS) + 1,
        "name": "Tier",
        "slug": "tier",
        "description": "Loyalty tier",
        "dataType": "list",
        "allowedValues": ["Gold", "Silver"],
    }
    assert await api.ok("GET", f"/space/custom_field/{created['id']}") == created
    assert (await api.upsert("email:a@example.com", _with_tier("Gold"))).status == 200
    assert (await api.upsert("email:a@example.com", _with_tier("Bronze"))).status == 400
    assert (await api.ok("GET", "/contact/id:1"))["custom_fields"] == [
        {"name": "Tier", "value": "Gold"}
    ]
    number = {"name": "Score", "slug": "score_v2", "dataType": "number"}
    assert (await api.ok("POST", "/space/custom_field", number))["slug"] == "score_v2"
    body = {"firstName": "A", "custom_fields": [{"name": "Score", "value": 2024}]}
    assert (await api.upsert("id:1", body)).status == 200
    body = {"firstName": "A", "custom_fields": [{"name": "Score", "value": "2024x"}]}
    assert (await api.upsert("id:1", body)).status == 400
    body = {"firstName": "A", "custom_fields": [{"name": "Score", "value": "2025"}]}
    assert (await api.upsert("id:1", body)).status == 200  # as n8n sends it: stored a number
    assert {"name": "Score", "value": 2025} in (await api.ok("GET", "/contact/id:1"))[
        "custom_fields"
    ]


def _with_tier(value: str) -> dict[str, Any]:
    return {"firstName": "Ana", "custom_fields": [{"name": "Tier", "value": value}]}


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"name": "Plan", "dataType": "text"}, 409),
        ({"name": "Other", "slug": "plan", "dataType": "text"}, 409),
        ({"name": "x" * 51, "dataType": "text"}, 400),
        ({"name": "", "dataType": "text"}, 400),
        ({"name": "X", "slug": "s" * 51, "dataType": "text"}, 400),
        ({"name": "X", "description": "d" * 256, "dataType": "text"}, 400),
        ({"name": "X", "dataType": "colour"}, 400),
        ({"name": "X"}, 400),
        ({"name": "X", "dataType": "list"}, 400),
        ({"name": "X", "dataType": "list", "allowedValues": []}, 400),
        ({"name": "X", "dataType": "list", "allowedValues": [""]}, 400),
        ({"name": "X", "dataType": "text", "allowedValues": ["a"]}, 400),
        ({"name": "X", "dataType": "text", "kind": 1}, 400),
    ],
)
async def test_custom_field_creation_errors(api: Api, body: object, status: int) -> None:
    reply = await api.call("POST", "/space/custom_field", body)
    message = "Custom field already exists" if status == 409 else "Validation error."
    assert (reply.status, reply.body) == (status, error_body(status, message))
    assert len(api.sb.custom_fields) == len(DEFAULT_CUSTOM_FIELDS)


async def test_custom_field_limits_are_inclusive(api: Api) -> None:
    body = {"name": "n" * 50, "slug": "s" * 50, "description": "d" * 255, "dataType": "date"}
    assert (await api.ok("POST", "/space/custom_field", body))["slug"] == "s" * 50


async def test_channels_closing_notes_templates(api: Api) -> None:
    channels = await every_item(api, "/space/channel")
    assert channels[0] == {
        "id": 1, "name": "WhatsApp", "source": "whatsapp_cloud", "created_at": 1_735_689_600,
    }  # fmt: skip
    assert [c["name"] for c in channels] == ["WhatsApp", "Email", "Website Chat"]
    notes = await every_item(api, "/space/closing_notes", limit=3)
    assert notes[0] == {"category": "Resolved", "description": "The contact's request was answered"}
    assert len(notes) == 4
    templates = await every_item(api, "/space/channel/1/template")
    assert templates[0] == {
        "id": 1, "name": "welcome", "channelId": 1, "category": "MARKETING",
        "languageCode": "en", "status": "approved",
        "components": [{"type": "BODY", "text": "Hi {{1}}, welcome!"}],
    }  # fmt: skip
    assert len(templates) == 3
    assert all(t["components"] for t in templates)
    # the n8n integration lists WhatsApp templates at /mtm: the same listing
    assert await every_item(api, "/space/channel/1/mtm") == templates
    reply = await api.call("GET", "/space/channel/9/mtm")
    assert reply.body == error_body(404, "Channel not found")
    assert await every_item(api, "/space/channel/2/template") == []
    reply = await api.call("GET", "/space/channel/9/template")
    assert reply.body == error_body(404, "Channel not found")


async def test_tags_create_update_delete(api: Api) -> None:
    created = await api.ok("POST", "/space/tag", {"name": "2026", "colorCode": "#00ff00"})
    assert created == {
        "id": 3, "name": "2026", "description": None, "colorCode": "#00ff00", "emoji": None,
    }  # fmt: skip
    reply = await api.call("POST", "/space/tag", {"name": "vip"})
    assert (reply.status, reply.body) == (409, error_body(409, "Tag already exists"))
    await api.upsert("email:a@example.com")
    await api.ok("POST", "/contact/id:1/tag", ["vip", "2026"])
    updated = await api.ok(
        "PUT", "/space/tag", {"currentName": "vip", "name": "VIP", "emoji": "🔥"}
    )
    assert updated == {
        "id": 1, "name": "VIP", "description": "Most valued contacts", "colorCode": "#f5a623",
        "emoji": "🔥",
    }  # fmt: skip
    assert (await api.ok("GET", "/contact/id:1"))["tags"] == ["VIP", "2026"]
    reply = await api.call("PUT", "/space/tag", {"currentName": "vip", "name": "x"})
    assert (reply.status, reply.body) == (404, error_body(404, "Tag not found"))
    reply = await api.call("PUT", "/space/tag", {"currentName": "VIP", "name": "2026"})
    assert (reply.status, reply.body) == (409, error_body(409, "Tag already exists"))
    assert await api.ok("DELETE", "/space/tag", {"name": "2026"}) == {
        "code": 200,
        "message": "Tag deleted",
    }
    assert (await api.ok("GET", "/contact/id:1"))["tags"] == ["VIP"]
    assert (await api.call("DELETE", "/space/tag", {"name": "2026"})).status == 404
    assert sorted(api.sb.space.tags) == ["VIP", "newsletter"]


async def test_a_tag_update_without_name_keeps_the_name(api: Api) -> None:
    """UpdateSpaceTagRequest (the official type) makes ``name`` optional; n8n sends "" for the
    fields left unset."""
    tag = await api.ok("PUT", "/space/tag", {"currentName": "vip", "description": "Top"})
    assert (tag["name"], tag["description"], tag["colorCode"]) == ("vip", "Top", "#f5a623")
    tag = await api.ok("PUT", "/space/tag", {"currentName": "vip", "name": "", "emoji": ""})
    assert (tag["name"], tag["emoji"]) == ("vip", None)
    assert sorted(api.sb.space.tags) == ["newsletter", "vip"]
    made = await api.ok("POST", "/space/tag", {"name": "new", "description": "", "colorCode": ""})
    assert (made["description"], made["colorCode"]) == (None, None)


@pytest.mark.parametrize(
    ("method", "body"),
    [
        ("POST", {"name": ""}),
        ("POST", {"name": "x" * 256}),
        ("POST", {"name": "x", "description": 5}),
        ("POST", {"name": "x", "colour": "red"}),
        ("POST", ["x"]),
        ("PUT", {"name": "x"}),
        ("PUT", {"currentName": ""}),
        ("PUT", {"currentName": "vip", "name": 5}),
        ("DELETE", {}),
        ("DELETE", None),
    ],
)
async def test_tag_body_errors(api: Api, method: str, body: object) -> None:
    reply = await api.call(method, "/space/tag", body)
    assert (reply.status, reply.body) == (400, INVALID)
    assert sorted(api.sb.space.tags) == ["newsletter", "vip"]


async def test_reset_restores_the_seeded_workspace(api: Api) -> None:
    await api.ok("POST", "/space/tag", {"name": "temp"})
    await api.ok("POST", "/space/custom_field", {"name": "Temp", "dataType": "text"})
    api.sb.reset()
    assert "temp" not in api.sb.space.tags
    assert "Temp" not in api.sb.custom_fields
    assert len(await every_item(api, "/space/custom_field", limit=100)) == len(
        DEFAULT_CUSTOM_FIELDS
    )
