"""client.workspace: wire format, records, listing, checks by field, errors, retry safety."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest

from aelyst_async import (
    AelystClient,
    ClosingNote,
    ConflictError,
    ContactValidationError,
    CustomFieldDefinition,
    MaybeAppliedError,
    NotFoundError,
    Tag,
    Team,
    Template,
    User,
    ValidationError,
    WorkspaceChannel,
)
from aelyst_async._paginate import Paginator
from tests.resource_helpers import LOST, NOT_WRITTEN, page, reply, scripted_client
from tests.virtual_time import virtual_time

USER = {
    "id": 42,
    "firstName": "Ana",
    "lastName": "Silva",
    "email": "ana@example.com",
    "role": "agent",
    "team": {"id": 1, "name": "Support"},
    "restrictions": ["export"],
}
FIELD = {
    "id": 3,
    "name": "Plan",
    "slug": "plan",
    "description": None,
    "dataType": "list",
    "allowedValues": ["Free", "Pro"],
}
TAG = {"id": 5, "name": "vip", "description": None, "colorCode": "#ffd700", "emoji": "⭐"}


def fields(exc: pytest.ExceptionInfo[ValidationError]) -> list[str]:
    return [problem.field for problem in exc.value.errors]


@virtual_time
async def test_users_are_listed_and_read() -> None:
    client, transport = scripted_client(
        page([USER], "u2"), page([{"id": 43, "team": None}]), reply(200, USER)
    )
    users = [user async for user in client.workspace.list_users(page_size=1)]
    expected = User(
        id=42,
        first_name="Ana",
        last_name="Silva",
        email="ana@example.com",
        role="agent",
        team=Team(id=1, name="Support"),
        restrictions=("export",),
    )
    assert users == [expected, User(id=43)]
    assert await client.workspace.get_user(42) == expected
    assert [(s.method, s.path) for s in transport.sent] == [
        ("GET", "/space/user?limit=1"),
        ("GET", "/space/user?limit=1&cursorId=u2"),
        ("GET", "/space/user/42"),
    ]


@pytest.mark.parametrize(
    ("listing", "path", "item", "expected"),
    [
        (
            lambda c: c.workspace.list_custom_fields(),
            "/space/custom_field?limit=100",
            FIELD,
            CustomFieldDefinition(
                id=3, name="Plan", slug="plan", data_type="list", allowed_values=("Free", "Pro")
            ),
        ),
        (
            lambda c: c.workspace.list_channels(),
            "/space/channel?limit=100",
            {"id": 3, "name": "WhatsApp", "source": "whatsapp_cloud", "created_at": 1767225600},
            WorkspaceChannel(
                id=3,
                name="WhatsApp",
                source="whatsapp_cloud",
                created_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
            ),
        ),
        (
            lambda c: c.workspace.list_closing_notes(),
            "/space/closing_notes?limit=100",
            {"category": "Resolved", "description": "Done"},
            ClosingNote(category="Resolved", description="Done"),
        ),
        (
            lambda c: c.workspace.list_templates(3),
            "/space/channel/3/template?limit=100",
            {
                "id": 8,
                "name": "hello",
                "category": "UTILITY",
                "languageCode": "en",
                "status": "approved",
            },
            Template(id=8, name="hello", category="UTILITY", language_code="en", status="approved"),
        ),
    ],
)
@virtual_time
async def test_listings_read_their_records(
    listing: Callable[[AelystClient], Paginator[Any]], path: str, item: Any, expected: Any
) -> None:
    client, transport = scripted_client(page([{**item, "addedLater": 1}], "c2"), page([]))
    assert [record async for record in listing(client)] == [expected]
    assert [(s.method, s.path) for s in transport.sent] == [
        ("GET", path),
        ("GET", path + "&cursorId=c2"),
    ]


@virtual_time
async def test_a_listing_stops_when_the_loop_breaks() -> None:
    client, transport = scripted_client(page([FIELD, FIELD], "c2"), page([FIELD]))
    async for field in client.workspace.list_custom_fields(page_size=2):
        assert field.name == "Plan"
        break
    assert len(transport.sent) == 1


@virtual_time
async def test_get_custom_field_and_its_errors() -> None:
    client, transport = scripted_client(reply(200, FIELD), reply(404))
    assert (await client.workspace.get_custom_field(3)).allowed_values == ("Free", "Pro")
    with pytest.raises(NotFoundError):
        await client.workspace.get_custom_field(4)
    assert [s.path for s in transport.sent] == ["/space/custom_field/3", "/space/custom_field/4"]


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda c: c.workspace.get_user(0), "user_id"),
        (lambda c: c.workspace.get_custom_field("3"), "field_id"),
    ],
)
@virtual_time
async def test_ids_are_checked(call: Callable[[AelystClient], Any], field: str) -> None:
    client, transport = scripted_client()
    with pytest.raises(ValidationError) as exc:
        await call(client)
    assert fields(exc) == [field]
    assert transport.sent == []


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda c: c.workspace.list_templates(-1), "channel_id"),
        (lambda c: c.workspace.list_users(page_size=0), "page_size"),
    ],
)
def test_listings_check_their_input_when_called(
    call: Callable[[AelystClient], Any], field: str
) -> None:
    client, transport = scripted_client()
    with pytest.raises(ValidationError) as exc:
        call(client)
    assert fields(exc) == [field]
    assert transport.sent == []


@virtual_time
async def test_create_custom_field_posts_the_definition_and_returns_it() -> None:
    client, transport = scripted_client(
        reply(200, FIELD), reply(200, {**FIELD, "dataType": "number"})
    )
    created = await client.workspace.create_custom_field(
        "Plan", "list", slug="plan", allowed_values=["Free", "Pro"]
    )
    assert created.id == 3 and created.data_type == "list"
    await client.workspace.create_custom_field("Seats", "number", description="How many")
    first, second = transport.sent
    assert (first.method, first.path, first.idempotent) == ("POST", "/space/custom_field", False)
    assert first.json() == {
        "name": "Plan",
        "dataType": "list",
        "slug": "plan",
        "allowedValues": ["Free", "Pro"],
    }
    assert second.json() == {"name": "Seats", "dataType": "number", "description": "How many"}


@pytest.mark.parametrize(
    ("args", "kwargs", "expected"),
    [
        (("n" * 51, "text"), {}, ["name"]),
        (("", "text"), {}, ["name"]),
        (("Plan", "text"), {"slug": "s" * 51}, ["slug"]),
        (("Plan", "text"), {"description": "d" * 256}, ["description"]),
        (("Plan", "string"), {}, ["data_type"]),
        (("Plan", "list"), {}, ["allowed_values"]),
        (("Plan", "list"), {"allowed_values": []}, ["allowed_values"]),
        (("Plan", "list"), {"allowed_values": "Free,Pro"}, ["allowed_values"]),
        (("Plan", "list"), {"allowed_values": ["Free", ""]}, ["allowed_values[1]"]),
        (("Plan", "text"), {"allowed_values": ["Free"]}, ["allowed_values"]),
    ],
)
@virtual_time
async def test_create_custom_field_checks_by_field(
    args: Any, kwargs: Any, expected: list[str]
) -> None:
    client, transport = scripted_client()
    with pytest.raises(ValidationError) as exc:
        await client.workspace.create_custom_field(*args, **kwargs)
    assert fields(exc) == expected
    assert transport.sent == []


@pytest.mark.parametrize("failure", [reply(500), LOST], ids=["500", "lost"])
@virtual_time
async def test_creates_are_never_sent_twice(failure: Any) -> None:
    client, transport = scripted_client(failure, failure, reply(200, FIELD), reply(200, TAG))
    with pytest.raises(MaybeAppliedError):
        await client.workspace.create_custom_field("Plan", "list", allowed_values=["Free"])
    with pytest.raises(MaybeAppliedError):
        await client.workspace.create_tag("vip")
    assert [s.path for s in transport.sent] == ["/space/custom_field", "/space/tag"]


@virtual_time
async def test_creates_surely_not_applied_are_resent() -> None:
    client, transport = scripted_client(
        reply(429), reply(200, FIELD), NOT_WRITTEN, reply(449), reply(200, TAG)
    )
    assert (await client.workspace.create_custom_field("Plan", "text")).id == 3
    assert (await client.workspace.create_tag("vip")).id == 5
    assert len(transport.sent) == 5


@virtual_time
async def test_create_tag_posts_and_returns_the_tag() -> None:
    client, transport = scripted_client(reply(200, TAG), reply(409))
    tag = await client.workspace.create_tag("vip", color_code="#ffd700", emoji="⭐")
    assert tag == Tag(id=5, name="vip", color_code="#ffd700", emoji="⭐")
    sent = transport.sent[0]
    assert (sent.method, sent.path) == ("POST", "/space/tag")
    assert sent.json() == {"name": "vip", "colorCode": "#ffd700", "emoji": "⭐"}
    with pytest.raises(ConflictError):
        await client.workspace.create_tag("vip")


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (lambda c: c.workspace.create_tag(""), ["name"]),
        (lambda c: c.workspace.create_tag("t" * 256), ["name"]),
        (lambda c: c.workspace.create_tag("vip", color_code=1, emoji=""), ["color_code", "emoji"]),
        (lambda c: c.workspace.update_tag("", name="t" * 256), ["current_name", "name"]),
        (lambda c: c.workspace.update_tag("vip", description=3), ["description"]),
        (lambda c: c.workspace.delete_tag(None), ["name"]),
    ],
)
@virtual_time
async def test_tag_names_are_checked(call: Callable[[AelystClient], Any], expected: Any) -> None:
    client, transport = scripted_client()
    with pytest.raises(ValidationError) as exc:
        await call(client)
    assert fields(exc) == expected
    assert not isinstance(exc.value, ContactValidationError)  # a tag name is not a contact's
    assert transport.sent == []


@virtual_time
async def test_update_tag_sends_only_what_changes() -> None:
    renamed = {**TAG, "name": "VIP", "emoji": None}
    client, transport = scripted_client(reply(200, renamed), reply(200, TAG))
    assert (await client.workspace.update_tag("vip", name="VIP", emoji=None)).name == "VIP"
    await client.workspace.update_tag("vip", description="Big spenders")
    rename, describe = transport.sent
    assert (rename.method, rename.path) == ("PUT", "/space/tag")
    assert rename.json() == {"currentName": "vip", "name": "VIP", "emoji": None}
    assert describe.json() == {
        "currentName": "vip",
        "name": "vip",
        "description": "Big spenders",
    }
    assert (rename.idempotent, describe.idempotent) == (False, True)


@virtual_time
async def test_a_rename_is_not_resent_but_a_plain_update_is() -> None:
    client, transport = scripted_client(LOST, LOST, reply(200, TAG))
    with pytest.raises(MaybeAppliedError):
        await client.workspace.update_tag("vip", name="VIP")
    assert (await client.workspace.update_tag("vip", emoji="⭐")).name == "vip"
    assert len(transport.sent) == 3


@virtual_time
async def test_delete_tag_sends_the_name() -> None:
    client, transport = scripted_client(reply(200, {}), reply(404))
    assert await client.workspace.delete_tag("VIP") is None
    with pytest.raises(NotFoundError):
        await client.workspace.delete_tag("gone")
    sent = transport.sent[0]
    assert (sent.method, sent.path, sent.json()) == ("DELETE", "/space/tag", {"name": "VIP"})
