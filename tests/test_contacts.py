"""client.contacts beyond create_or_update: wire format, results, checks and pagination,
against a real loopback server that records each request (tests/fake_api.py)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from aelyst_async import (
    AelystClient,
    ConflictError,
    Contact,
    ContactFilter,
    ContactRecord,
    ContactUpdate,
    ContactValidationError,
    CustomField,
    FilterCondition,
    Identifier,
    IdentifierError,
    NotFoundError,
    RetryPolicy,
    TransportError,
    ValidationError,
)
from tests.fake_api import TOKEN, FakeAPI, Scripted

RECORD = {
    "id": 7,
    "firstName": "Ana",
    "lastName": None,
    "phone": "+60123456789",
    "email": "ana@example.com",
    "language": "pt",
    "profilePic": None,
    "countryCode": "PT",
    "custom_fields": [{"name": "Plan", "value": "gold"}, {"name": "Seats", "value": 3}],
    "status": "open",
    "tags": ["vip"],
    "assignee": {"id": 2, "firstName": "Bo", "lastName": "Li", "email": "bo@example.com"},
    "lifecycle": "Customer",
    "created_at": 1767605400,
    "addedLater": {"anything": True},
}


def client_for(api: FakeAPI, **options: Any) -> AelystClient:
    return AelystClient(token=TOKEN, base_url=api.base_url, **options)


def page(items: list[dict[str, Any]], cursor: str | None) -> Scripted:
    after = (
        None
        if cursor is None
        else f"https://api.aelyst.ai/v1/contact/list?limit=2&cursorId={cursor}"
    )
    return Scripted(json={"items": items, "pagination": {"next": after, "previous": None}})


async def test_get_reads_the_record_and_ignores_keys_added_later(fake_api: FakeAPI) -> None:
    fake_api.answer(Scripted(json=RECORD))
    async with client_for(fake_api) as client:
        record = await client.contacts.get("email:ana@example.com")
    assert fake_api.requests[0].method == "GET"
    assert fake_api.requests[0].raw_path == "/v1/contact/email:ana@example.com"
    assert record == ContactRecord(
        id=7,
        first_name="Ana",
        phone="+60123456789",
        email="ana@example.com",
        language="pt",
        country_code="PT",
        custom_fields=(CustomField("Plan", "gold"), CustomField("Seats", 3)),
        status="open",
        tags=("vip",),
        assignee=record.assignee,
        lifecycle="Customer",
        created_at=datetime.datetime(2026, 1, 5, 9, 30, tzinfo=datetime.timezone.utc),
    )
    assert record.assignee is not None and record.assignee.email == "bo@example.com"


async def test_a_record_of_the_wrong_shape_is_a_transport_error(fake_api: FakeAPI) -> None:
    fake_api.answer(Scripted(json={"id": "seven"}))
    async with client_for(fake_api, retry=RetryPolicy(max_attempts=1)) as client:
        with pytest.raises(TransportError, match="not the documented JSON"):
            await client.contacts.get("id:7")


async def test_each_call_sends_its_documented_request(fake_api: FakeAPI) -> None:
    fake_api.answer(
        Scripted(json={}),
        Scripted(json={"contactId": 7}),
        Scripted(json={"contactId": 7}),
        Scripted(json={"contactId": 7}),
        Scripted(json={"contactId": 7}),
        Scripted(json={"contactId": 7}),
        Scripted(json={"contactId": 7}),
    )
    async with client_for(fake_api) as client:
        assert await client.contacts.create("email:ana@example.com", Contact("Ana")) is None
        assert (
            await client.contacts.update("id:7", ContactUpdate(last_name="Silva", phone=None)) == 7
        )
        assert await client.contacts.add_tags("id:7", ["vip", "2026"]) == 7
        assert await client.contacts.remove_tags(Identifier.id(7), ("vip",)) == 7
        assert await client.contacts.update_lifecycle("id:7", None) == 7
        assert await client.contacts.merge(7, 9, ContactUpdate(first_name="Ana")) == 7
        assert await client.contacts.delete("phone:+60123456789") == 7
    sent = [(r.method, r.raw_path, r.body and r.json()) for r in fake_api.requests]
    assert sent == [
        ("POST", "/v1/contact/email:ana@example.com", {"firstName": "Ana"}),
        ("PUT", "/v1/contact/id:7", {"lastName": "Silva", "phone": None}),
        ("POST", "/v1/contact/id:7/tag", ["vip", "2026"]),
        ("DELETE", "/v1/contact/id:7/tag", ["vip"]),
        ("POST", "/v1/contact/id:7/lifecycle/update", {"name": None}),
        ("POST", "/v1/contact/merge", {"contactIds": [7, 9], "firstName": "Ana"}),
        ("DELETE", "/v1/contact/phone:+60123456789", b""),
    ]


async def test_create_on_an_existing_contact_is_a_conflict(fake_api: FakeAPI) -> None:
    fake_api.answer(Scripted(409, json={"code": 409, "message": "Contact already exists"}))
    async with client_for(fake_api) as client:
        with pytest.raises(ConflictError) as info:
            await client.contacts.create("email:ana@example.com", Contact("Ana"))
    assert info.value.status == 409 and len(fake_api.requests) == 1


async def test_client_side_checks_name_the_field_and_send_nothing(fake_api: FakeAPI) -> None:
    async with client_for(fake_api) as client:
        cases: list[tuple[Any, str]] = [
            (client.contacts.create("id:7", Contact("Ana")), "identifier"),
            (client.contacts.add_tags("id:7", []), "tags"),
            (client.contacts.add_tags("id:7", [str(i) for i in range(11)]), "tags"),
            (client.contacts.add_tags("id:7", ["ok", "x" * 256]), "tags[1]"),
            (client.contacts.remove_tags("id:7", "vip"), "tags"),
            (client.contacts.merge(7, 7), "merge"),
            (client.contacts.merge(0, 9), "keep"),
            (client.contacts.update("id:7", ContactUpdate(email="nope")), "email"),
            (client.contacts.update_lifecycle("id:7", " "), "name"),
            (client.contacts.get("email:not-an-address"), "identifier"),
        ]
        for call, field in cases:
            with pytest.raises(ContactValidationError) as info:
                await call
            assert info.value.errors[0].field == field
        for bad in (0, 101, True):
            with pytest.raises(ValidationError, match="page_size") as size_error:
                client.contacts.list(page_size=bad)
            assert not isinstance(size_error.value, ContactValidationError)  # not a contact field
        with pytest.raises(ContactValidationError, match="operator"):
            client.contacts.list(filter={"$and": [{"category": "contactTag", "operator": "is"}]})
        with pytest.raises(ContactValidationError, match=r"\$and"):
            client.contacts.list(filter={"tags": ["vip"]})
    assert fake_api.requests == []


async def test_list_follows_the_cursor_lazily_and_stops_on_break(fake_api: FakeAPI) -> None:
    fake_api.answer(
        page([{"id": 1}, {"id": 2}], "c2"), page([{"id": 3}, {"id": 4}], "c3"), page([], None)
    )
    wanted = ContactFilter.all_of(
        FilterCondition("contactTag", "hasAnyOf", ["vip"]),
        FilterCondition("contactField", "isEqualTo", "PT", field="countryCode"),
    )
    async with client_for(fake_api) as client:
        seen = []
        async for record in client.contacts.list(search="ana", filter=wanted, page_size=2):
            seen.append(record.id)
            if record.id == 3:
                break
    assert seen == [1, 2, 3]
    assert [r.raw_path for r in fake_api.requests] == [
        "/v1/contact/list?limit=2",
        "/v1/contact/list?limit=2&cursorId=c2",
    ]  # the third page was never asked for
    assert fake_api.requests[0].json() == {
        "search": "ana",
        "timezone": "UTC",
        "filter": {
            "$and": [
                {"category": "contactTag", "field": None, "operator": "hasAnyOf", "value": ["vip"]},
                {
                    "category": "contactField",
                    "field": "countryCode",
                    "operator": "isEqualTo",
                    "value": "PT",
                },
            ]
        },
    }


async def test_pages_and_the_wire_dict_filter(fake_api: FakeAPI) -> None:
    fake_api.answer(page([{"id": 1}], "next one"), page([{"id": 2}], None))
    wire = {"$or": [{"category": "lifecycle", "field": None, "operator": "exists", "value": None}]}
    async with client_for(fake_api) as client:
        pages = [p async for p in client.contacts.list(filter=wire).pages()]
    assert [[r.id for r in p.items] for p in pages] == [[1], [2]]
    assert [p.next_cursor for p in pages] == ["next one", None]
    assert fake_api.requests[1].raw_path == "/v1/contact/list?limit=100&cursorId=next%20one"
    assert fake_api.requests[0].json() == {"search": "", "timezone": "UTC", "filter": wire}


async def test_a_repeated_cursor_stops_instead_of_looping(fake_api: FakeAPI) -> None:
    fake_api.answer(page([{"id": 1}], "same"), page([{"id": 2}], "same"))
    async with client_for(fake_api) as client:
        with pytest.raises(TransportError, match="repeated the page cursor"):
            async for _ in client.contacts.list():
                pass
    assert len(fake_api.requests) == 2


async def test_list_channels_paginates_under_the_contact(fake_api: FakeAPI) -> None:
    channel = {"id": 3, "name": "WhatsApp", "source": "whatsapp", "created_at": 1767605400}
    fake_api.answer(Scripted(json={"items": [channel], "pagination": {"next": None}}))
    async with client_for(fake_api) as client:
        channels = [c async for c in client.contacts.list_channels("email:a/b@example.com")]
    assert [(c.id, c.source) for c in channels] == [(3, "whatsapp")]
    assert fake_api.requests[0].raw_path == "/v1/contact/email:a%2Fb@example.com/channels?limit=100"


async def test_not_found_is_typed(fake_api: FakeAPI) -> None:
    fake_api.answer(Scripted(404, json={"code": 404, "message": "Contact not found"}))
    async with client_for(fake_api) as client:
        with pytest.raises(NotFoundError, match="Contact not found"):
            await client.contacts.delete("id:8")


async def test_calls_returning_nothing_still_need_the_documented_json(fake_api: FakeAPI) -> None:
    fake_api.answer(
        Scripted(body=b"<html>hi</html>"),
        Scripted(body=b"[1, 2]"),
        Scripted(204, body=b""),
    )
    async with client_for(fake_api, retry=RetryPolicy(max_attempts=1)) as client:
        with pytest.raises(TransportError, match="not the documented JSON"):
            await client.contacts.update_lifecycle("id:7", "Customer")
        with pytest.raises(TransportError, match="not the documented JSON"):
            await client.contacts.update_lifecycle("id:7", "Customer")
        assert await client.contacts.update_lifecycle("id:7", "Customer") is None  # a 204


async def test_ids_are_positive(fake_api: FakeAPI) -> None:
    for text in ("id:0", "id:007", "id:-1"):
        with pytest.raises(IdentifierError):
            Identifier.parse(text)
    fake_api.answer(Scripted(json={"contactId": -5}))
    async with client_for(fake_api, retry=RetryPolicy(max_attempts=1)) as client:
        with pytest.raises(TransportError, match="not a positive id"):
            await client.contacts.update("id:7", ContactUpdate(last_name="Silva"))


def test_custom_values_a_json_number_cannot_hold_and_repeated_names_are_refused() -> None:
    from aelyst_async._sansio.validate.contact import validate_contact

    contact = Contact(
        "Ana",
        custom_fields=[
            CustomField("Seats", 2**53),
            CustomField("Plan", "Pro"),
            CustomField("Plan", "Free"),
            CustomField("Ok", -(2**53) + 1),
        ],
    )
    problems = validate_contact(contact, "basic")
    assert [(p.field, p.problem) for p in problems] == [
        (
            "custom_fields[0].value",
            "9007199254740992 is beyond what a JSON number holds exactly (±2**53-1)",
        ),
        ("custom_fields[2].name", "repeats custom_fields[1].name"),
    ]
