"""Issue 17, the client side: requests shaped as the official clients send them, and answers
read as a tolerant reader (every variant shape of /work/wt/OFFICIAL_SHAPES.md), through the
public API on the mock transport."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from aelyst_async import (
    AelystClient,
    BadRequestError,
    Contact,
    ContactRecord,
    CustomField,
    EndpointNotFoundError,
    NotFoundError,
    ResponseFormatError,
    Tag,
    Team,
    TextMessage,
    TransportError,
)
from aelyst_async._sansio.response import Response
from tests.resource_helpers import page, reply, scripted_client
from tests.virtual_time import virtual_time

CONTACT = {
    "id": 7,
    "firstName": "Ana",
    "custom_fields": [
        {"name": "Plan", "value": "gold"},
        {"name": "Seats", "value": 3},
        {"name": "Opted in", "value": True},
        {"name": "Score", "value": 4.5},
        {"name": "Notes", "value": None},
    ],
    "status": "closed",
    "tags": ["vip"],
    "assignee": {"id": "2", "firstName": "Bo", "team": "Support"},
    "created_at": 1767605400,
    "isBlocked": False,
    "locale": "pt-PT",
}
MESSAGE = {
    "messageId": 1042,
    "channelMessageId": 123456789012,
    "contactId": "7",
    "channelId": 3,
    "traffic": "incoming",
    "message": {"type": "text", "text": "Hi"},
    "status": [{"value": "sent", "timestamp": "1767605400"}, {"timestamp": 1}],
}


def sent_json(transport: Any, index: int = 0) -> Any:
    return json.loads(transport.sent[index].body)


# Requests as the official clients send them


async def test_list_without_arguments_sends_the_official_body() -> None:
    client, transport = scripted_client(page([]), page([]))
    assert [record async for record in client.contacts.list()] == []
    assert [r async for r in client.contacts.list(search="ana", timezone="Asia/Kuala_Lumpur")] == []
    assert sent_json(transport, 0) == {"search": "", "timezone": "UTC", "filter": {"$and": []}}
    assert sent_json(transport, 1) == {
        "search": "ana",
        "timezone": "Asia/Kuala_Lumpur",
        "filter": {"$and": []},
    }


async def test_a_text_message_carries_its_message_tag() -> None:
    client, transport = scripted_client(reply(200, {"messageId": 5}), reply(200, {"messageId": 6}))
    await client.messages.send("id:7", TextMessage("Shipped", message_tag="POST_PURCHASE_UPDATE"))
    await client.messages.send("id:7", "Plain")
    assert sent_json(transport, 0) == {
        "message": {"type": "text", "text": "Shipped", "messageTag": "POST_PURCHASE_UPDATE"}
    }
    assert sent_json(transport, 1) == {"message": {"type": "text", "text": "Plain"}}


# Errors


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"code": "400", "message": "Validation error."}, 400),
        ({"message": "Validation error."}, None),
        ({"code": "E_BAD", "message": "Validation error."}, None),
    ],
    ids=["string code", "no code", "a code of letters"],
)
async def test_an_error_body_keeps_its_message_whatever_its_code(body: Any, code: Any) -> None:
    client, _ = scripted_client(reply(400, body))
    with pytest.raises(BadRequestError) as exc:
        await client.contacts.get("id:7")
    assert exc.value.message == "Validation error."
    assert exc.value.code == code


async def test_a_404_that_is_not_the_apis_error_body_says_to_check_the_base_url() -> None:
    client, _ = scripted_client(reply(404, "<html>Not Found</html>"))
    with pytest.raises(EndpointNotFoundError, match=r"check base_url .*/v1") as exc:
        await client.contacts.get("email:ana@example.com")
    assert isinstance(exc.value, NotFoundError) and exc.value.status == 404


async def test_a_404_on_a_listing_says_to_check_the_base_url() -> None:
    client, _ = scripted_client(reply(404, {"code": 404, "message": "Not found"}))
    with pytest.raises(EndpointNotFoundError, match="cannot miss"):
        async for _ in client.contacts.list():
            pass


async def test_a_missing_contact_stays_a_plain_not_found() -> None:
    client, _ = scripted_client(reply(404, {"code": 404, "message": "Contact not found"}))
    with pytest.raises(NotFoundError) as exc:
        await client.contacts.get("email:ana@example.com")
    assert type(exc.value) is NotFoundError and exc.value.message == "Contact not found"


@virtual_time
async def test_a_record_without_its_id_fails_once_naming_the_key() -> None:
    client, transport = scripted_client(*[reply(200, {"firstName": "Ana"})] * 4)
    with pytest.raises(ResponseFormatError, match="id is missing from the ContactRecord") as exc:
        await client.contacts.get("id:7")
    assert exc.value.key == "id" and exc.value.attempts == 1
    assert isinstance(exc.value, TransportError)
    assert len(transport.sent) == 1


@virtual_time
async def test_an_unreadable_answer_to_a_write_says_it_was_applied_and_is_not_resent() -> None:
    client, transport = scripted_client(*[reply(200, {"queued": True})] * 4)
    with pytest.raises(ResponseFormatError, match="the request was applied") as exc:
        await client.messages.send("id:7", "Hello")
    assert exc.value.key == "messageId"
    assert len(transport.sent) == 1


@virtual_time
async def test_a_2xx_that_is_not_json_is_not_retried() -> None:
    client, transport = scripted_client(*[Response(200, {}, b"<html>")] * 4)
    with pytest.raises(ResponseFormatError) as exc:
        await client.workspace.get_user(4)
    assert exc.value.key is None
    assert len(transport.sent) == 1


# Records


async def test_a_contact_reads_every_variant_and_keeps_what_it_does_not_model() -> None:
    client, _ = scripted_client(reply(200, {**CONTACT, "id": "7"}))
    record = await client.contacts.get("id:7")
    assert record.id == 7
    assert record.custom_fields == (
        CustomField("Plan", "gold"),
        CustomField("Seats", 3),
        CustomField("Opted in", True),
        CustomField("Score", 4.5),
        CustomField("Notes", None),
    )
    assert record.status == "closed"
    assert record.assignee is not None and record.assignee.id == 2
    assert record.assignee.extra == {"team": "Support"}
    assert record.extra == {"isBlocked": False, "locale": "pt-PT"}
    assert record.to_dict() == {**CONTACT, "id": "7"}
    assert json.loads(json.dumps(record.to_dict())) == {**CONTACT, "id": "7"}


async def test_a_value_that_cannot_be_read_is_left_at_its_default_and_kept() -> None:
    odd = {"id": 7, "firstName": {"given": "Ana"}, "tags": ["vip", {"x": 1}, 2026]}
    client, _ = scripted_client(reply(200, odd))
    record = await client.contacts.get("id:7")
    assert record.first_name is None
    assert record.tags == ("vip", "2026")
    assert record.to_dict() == odd


async def test_a_message_reads_a_numeric_channel_message_id_and_string_ids() -> None:
    client, _ = scripted_client(reply(200, MESSAGE), page([MESSAGE]))
    record = await client.messages.get("id:7", 1042)
    assert record.channel_message_id == "123456789012"
    assert record.contact_id == 7
    assert [step.value for step in record.status] == ["sent"]  # the step without a value: left out
    assert record.status[0].timestamp is not None and record.status[0].timestamp.year == 2026
    assert [r.channel_message_id async for r in client.messages.list("id:7")] == ["123456789012"]
    assert record.to_dict() == MESSAGE


@pytest.mark.parametrize(
    "allowed", [["Free", "Pro"], {"listValues": ["Free", "Pro"]}], ids=["list", "listValues"]
)
async def test_allowed_values_as_a_list_or_list_values(allowed: Any) -> None:
    field = {"id": "3", "name": "Plan", "dataType": "list", "allowedValues": allowed}
    client, _ = scripted_client(page([field]), reply(200, field))
    [listed] = [f async for f in client.workspace.list_custom_fields()]
    assert listed.id == 3 and listed.allowed_values == ("Free", "Pro")
    assert (await client.workspace.get_custom_field(3)).allowed_values == ("Free", "Pro")


async def test_a_custom_field_named_by_title_as_in_n8n() -> None:
    field = {"id": "3", "title": "Plan", "slug": "plan", "dataType": "text", "bundle": None}
    client, _ = scripted_client(page([field]))
    [listed] = [f async for f in client.workspace.list_custom_fields()]
    assert (listed.name, listed.slug, listed.extra) == ("Plan", "plan", {"bundle": None})


@pytest.mark.parametrize(
    ("team", "read"),
    [
        ({"id": 1, "name": "Support"}, Team(id=1, name="Support")),
        ("Support", Team(name="Support")),
        (None, None),
    ],
    ids=["object", "string", "null"],
)
async def test_a_users_team_as_an_object_a_name_or_null(team: Any, read: Any) -> None:
    user = {"id": "42", "email": "ana@example.com", "role": "admin", "team": team}
    client, _ = scripted_client(reply(200, user))
    got = await client.workspace.get_user(42)
    assert (got.id, got.role, got.team) == (42, "admin", read)


@pytest.mark.parametrize(
    "components",
    [
        [{"type": "BODY", "text": "Hi {{1}}"}],
        json.dumps([{"type": "BODY", "text": "Hi {{1}}"}]),
    ],
    ids=["list", "JSON string"],
)
async def test_template_components_as_a_list_or_a_json_string(components: Any) -> None:
    template = {
        "templateId": "9",
        "name": "order_update",
        "languageCode": "en",
        "components": components,
        "qualityScore": "GREEN",
    }
    client, transport = scripted_client(page([template]))
    [got] = [t async for t in client.workspace.list_templates(3)]
    assert transport.sent[0].path.startswith("/space/channel/3/template?")
    assert got.id == 9 and got.components == ({"type": "BODY", "text": "Hi {{1}}"},)
    assert got.extra == {"qualityScore": "GREEN"}


@pytest.mark.parametrize(
    "pagination",
    [{"next": "", "previous": ""}, {"next": None}, {}, None],
    ids=["empty strings", "null", "absent keys", "no pagination"],
)
async def test_the_last_page_by_any_of_its_end_markers(pagination: Any) -> None:
    body: dict[str, Any] = {"items": [{"id": 1}]}
    if pagination is not None:
        body["pagination"] = pagination
    client, transport = scripted_client(reply(200, body))
    assert [r.id async for r in client.contacts.list()] == [1]
    assert len(transport.sent) == 1


@pytest.mark.parametrize(
    "answer",
    [
        {"id": 5, "name": "vip", "colorCode": "#ffd700"},
        {"code": 200, "message": {"tag": {"id": 5, "name": "vip", "colorCode": "#ffd700"}}},
        {"code": "200", "message": {"id": 5, "name": "vip", "colorCode": "#ffd700"}},
    ],
    ids=["bare", "code and message.tag", "code and message"],
)
async def test_tag_answers_bare_or_wrapped(answer: Any) -> None:
    client, _ = scripted_client(reply(200, answer), reply(200, answer))
    expected = Tag(id=5, name="vip", color_code="#ffd700")
    assert await client.workspace.create_tag("vip") == expected
    assert await client.workspace.update_tag("vip", color_code="#ffd700") == expected


async def test_the_official_code_and_message_answers_of_writes() -> None:
    done = {"code": "200", "message": "Contact created."}
    client, _ = scripted_client(
        reply(200, done),
        reply(200, {"code": 200, "message": "Lifecycle updated."}),
        reply(200, {"code": 200, "message": "Tag deleted."}),
        reply(200, {"contactId": "7"}),
    )
    assert await client.contacts.create("email:ana@example.com", Contact("Ana")) is None
    assert await client.contacts.update_lifecycle("id:7", "Customer") is None
    assert await client.workspace.delete_tag("vip") is None
    assert await client.contacts.delete("id:7") == 7


async def test_one_bad_item_of_a_page_is_skipped_with_a_warning_and_counted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client, _ = scripted_client(page([{"id": 1}, {"firstName": "no id"}], "c2"), page([{"id": 3}]))
    listing = client.contacts.list()
    with caplog.at_level(logging.WARNING, logger="aelyst_async"):
        assert [r.id async for r in listing] == [1, 3]
    assert listing.skipped == 1
    assert "item 1 of a page skipped: id is missing" in caplog.text


def test_a_record_built_in_python_gives_its_wire_dict() -> None:
    record = ContactRecord(id=7, first_name="Ana", custom_fields=(CustomField("Seats", 3),))
    assert record.extra == {}
    assert record.to_dict() == {
        "id": 7,
        "firstName": "Ana",
        "custom_fields": [{"name": "Seats", "value": 3}],
        "tags": [],
    }


async def test_leaving_v1_off_the_base_url_is_named_as_such() -> None:
    async def contact(request: web.Request) -> web.Response:
        return web.json_response({"code": 404, "message": "Contact not found"}, status=404)

    app = web.Application()
    app.router.add_get("/v1/contact/{identifier}", contact)
    async with TestServer(app, host="127.0.0.1") as server:
        root = str(server.make_url("")).rstrip("/")
        async with AelystClient(token="t0ken-abc", base_url=root) as wrong:
            with pytest.raises(EndpointNotFoundError, match="check base_url"):
                await wrong.contacts.get("email:ana@example.com")
        async with AelystClient(token="t0ken-abc", base_url=root + "/v1") as right:
            with pytest.raises(NotFoundError) as exc:
                await right.contacts.get("email:ana@example.com")
            assert type(exc.value) is NotFoundError
