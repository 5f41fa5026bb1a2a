"""The sandbox accepts what the official clients send (DESIGN.md, "What the official clients
show"): it must be no stricter than the API in the wrong place."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from aelyst_async.sandbox import FakeClock
from tests.sandbox_helpers import Api, sandboxes

UNSET = dict.fromkeys(("lastName", "phone", "email", "language", "profilePic", "countryCode"), "")


@pytest.fixture
async def api() -> AsyncIterator[Api]:
    async with sandboxes(FakeClock()) as start:
        yield await start(per_path=1000)


def _values(contact: dict[str, Any]) -> dict[str, Any]:
    return {f["name"]: f["value"] for f in contact["custom_fields"]}


async def test_checkbox_booleans_and_number_texts_are_stored_alike(api: Api) -> None:
    """The TypeScript SDK's tests send ``value: true``; n8n sends every value as a string."""
    body = {"firstName": "Ana", "custom_fields": [{"name": "Newsletter", "value": True},
                                                  {"name": "Seats", "value": "12"}]}  # fmt: skip
    await api.ok("POST", "/contact/email:ana@example.com", body)
    assert _values(await api.ok("GET", "/contact/id:1")) == {"Newsletter": "true", "Seats": 12}
    update = {"custom_fields": [{"name": "Newsletter", "value": False}]}
    await api.ok("PUT", "/contact/id:1", update)
    assert _values(await api.ok("GET", "/contact/id:1"))["Newsletter"] == "false"
    upsert = {"firstName": "Bo", "custom_fields": [{"name": "Seats", "value": "2.5"}]}
    await api.ok("POST", "/contact/create_or_update/email:bo@example.com", upsert)
    assert _values(await api.ok("GET", "/contact/id:2")) == {"Seats": 2.5}
    for bad in ({"name": "Newsletter", "value": 1}, {"name": "Seats", "value": "12 seats"}):
        reply = await api.call("PUT", "/contact/id:1", {"custom_fields": [bad]})
        assert reply.status == 400, bad


async def test_empty_strings_are_unset_fields(api: Api) -> None:
    body = {"firstName": "Ana", **UNSET}
    await api.ok("POST", "/contact/create_or_update/email:ana@example.com", body)
    contact = await api.ok("GET", "/contact/id:1")
    assert contact["email"] == "ana@example.com"  # the identifier's, not ""
    assert [contact[k] for k in UNSET if k != "email"] == [None] * 5
    await api.ok("POST", "/contact/phone:%2B60123456789", {"firstName": "Bo", **UNSET})
    assert (await api.ok("GET", "/contact/id:2"))["phone"] == "+60123456789"
    await api.ok("PUT", "/contact/id:2", {"lastName": "Tan"})
    await api.ok("PUT", "/contact/id:2", {"lastName": ""})
    assert (await api.ok("GET", "/contact/id:2"))["lastName"] is None
    field = {"name": "Tier", "slug": "", "description": "", "dataType": "text"}
    created = await api.ok("POST", "/space/custom_field", field)
    assert (created["slug"], created["description"]) == ("tier", None)
    listed = await api.ok("POST", "/contact/list", {"search": "", "timezone": "", "filter": {}})
    assert len(listed["items"]) == 2


async def test_the_assignee_user_id_filter_field(api: Api) -> None:
    """The official TypeScript SDK's README filters on ``assigneeUserId``."""
    for n, email in enumerate(("a@example.com", "b@example.com"), start=1):
        await api.ok("POST", f"/contact/email:{email}", {"firstName": f"C{n}"})
    await api.ok("POST", "/contact/id:2/conversation/assignee", {"assignee": 3})
    for field in ("assigneeUserId", "assignee"):
        condition = {"category": "contactField", "field": field, "operator": "isEqualTo",
                     "value": 3}  # fmt: skip
        page = await api.ok("POST", "/contact/list", {"filter": {"$and": [condition]}})
        assert [c["id"] for c in page["items"]] == [2], field


async def test_template_components_and_message_keys_are_accepted(api: Api) -> None:
    await api.ok("POST", "/contact/create_or_update/phone:%2B60123456789", {"firstName": "Ana"})
    template = {
        "name": "order_update", "languageCode": "en",
        "components": [{"type": "body", "parameters": [{"type": "text", "text": "A1"}]}],
    }  # fmt: skip
    messages = [
        {"type": "whatsapp_template", "template": template},
        {"type": "text", "text": "Update", "messageTag": "ACCOUNT_UPDATE"},
    ]
    for n, message in enumerate(messages, start=1):
        assert await api.ok("POST", "/contact/id:1/message", {"message": message}) == {
            "messageId": n
        }
        assert (await api.ok("GET", f"/contact/id:1/message/{n}"))["message"] == message
    bad = {"type": "whatsapp_template", "template": {**template, "components": "x"}}
    assert (await api.call("POST", "/contact/id:1/message", {"message": bad})).status == 400
