"""The sandbox's contact endpoints: get, create, update, delete, merge; identifier case."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from aelyst_async.sandbox import FakeClock
from tests.sandbox_helpers import EXAMPLE_BODY, Api, Start, error_body, sandboxes

WALL = 1_767_225_600  # 2026-01-01T00:00:00Z
CREATED = {"code": "200", "message": "Contact created"}  # the official TypeScript SDK's shape


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(1000.0)


@pytest.fixture
async def start(clock: FakeClock) -> AsyncIterator[Start]:
    async with sandboxes(clock) as start:
        yield start


@pytest.fixture
async def api(start: Start) -> Api:
    return await start(per_path=100, wall_clock=FakeClock(WALL + 0.25))


async def test_get_answers_the_contact_record(api: Api) -> None:
    await api.upsert("email:abdc@gmail.com", EXAMPLE_BODY)
    record = await api.ok("GET", "/contact/id:1")
    assert record == {
        "id": 1,
        "firstName": "Muhammad ",
        "lastName": "Mahin",
        "phone": "+60123456789",
        "email": "test@example.com",
        "language": "ms",
        "profilePic": "https://cdn.aelyst.ai/profile_avatar.png",
        "countryCode": "MY",
        "status": "open",
        "tags": [],
        "assignee": None,
        "lifecycle": None,
        "created_at": WALL,
        "custom_fields": [{"name": "Company Website", "value": "https://example.com"}],
    }
    assert await api.ok("GET", "/contact/phone:%2B60123456789") == record
    assert await api.ok("GET", "/contact/email:test%40example.com") == record


@pytest.mark.parametrize("identifier", ["id:2", "email:nobody@example.com", "phone:+60123456780"])
async def test_get_unknown_contact_is_404(api: Api, identifier: str) -> None:
    await api.upsert("email:a@example.com")
    reply = await api.call("GET", f"/contact/{identifier}")
    assert (reply.status, reply.body) == (404, error_body(404, "Contact not found"))
    assert reply.headers["X-RateLimit-Remaining"] == "99"


@pytest.mark.parametrize("identifier", ["id:x", "ana", "email:", "name:ana", "phone:123"])
async def test_malformed_identifier_is_400_on_every_contact_path(api: Api, identifier: str) -> None:
    for method, suffix in [("GET", ""), ("PUT", ""), ("DELETE", ""), ("GET", "/channels")]:
        reply = await api.call(method, f"/contact/{identifier}{suffix}", {"firstName": "A"})
        assert (reply.status, reply.body) == (400, error_body(400, "Validation error."))


async def test_identifier_case_emails_match_any_case(api: Api) -> None:
    """Decision: email look-ups ignore case (stored as given); phones and kinds are exact."""
    await api.upsert("email:Ana@Example.com")
    assert (await api.ok("GET", "/contact/email:ana@example.com"))["email"] == "Ana@Example.com"
    assert await api.upsert("email:ANA@EXAMPLE.COM", {"firstName": "Bo"}) is not None
    assert len(api.sb.store) == 1
    assert api.sb.store.get(1)["firstName"] == "Bo"  # type: ignore[index]
    reply = await api.call("POST", "/contact/email:aNa@example.com", {"firstName": "C"})
    assert (reply.status, reply.body) == (409, error_body(409, "Contact already exists"))
    assert (await api.call("GET", "/contact/EMAIL:ana@example.com")).status == 400


async def test_create_makes_a_contact_and_409_when_it_exists(api: Api, clock: FakeClock) -> None:
    assert await api.ok("POST", "/contact/phone:+60123456789", {"firstName": "Ana"}) == CREATED
    stored = api.sb.store.get(1)
    assert stored is not None and (stored["phone"], stored["email"]) == ("+60123456789", None)
    for identifier in ("phone:+60123456789", "phone:%2B60123456789"):
        reply = await api.call("POST", f"/contact/{identifier}", {"firstName": "Other"})
        assert (reply.status, reply.body) == (409, error_body(409, "Contact already exists"))
    assert api.sb.store.get(1)["firstName"] == "Ana"  # type: ignore[index]
    assert len(api.sb.store) == 1
    assert api.sb.stats.creates == 1


async def test_create_stores_under_the_path_identifier_so_a_repeat_is_409(api: Api) -> None:
    body = {"firstName": "Ana", "email": "other@example.com"}
    assert await api.ok("POST", "/contact/email:ana@example.com", body) == CREATED
    assert api.sb.store.get(1)["email"] == "ana@example.com"  # type: ignore[index]
    reply = await api.call("POST", "/contact/email:ana@example.com", body)
    assert (reply.status, reply.body) == (409, error_body(409, "Contact already exists"))
    assert len(api.sb.store) == 1


@pytest.mark.parametrize(
    ("identifier", "body"),
    [
        ("id:1", {"firstName": "Ana"}),  # create takes email:/phone: only
        ("email:b@example.com", {"lastName": "no first name"}),
        ("email:b@example.com", {"firstName": "A", "countryCode": "XX"}),
        ("email:b@example.com", {"firstName": "A", "custom_fields": [{"name": "Shoe"}]}),
        ("email:b@example.com", [1]),
    ],
)
async def test_create_validation(api: Api, identifier: str, body: object) -> None:
    reply = await api.call("POST", f"/contact/{identifier}", body)
    assert (reply.status, reply.body) == (400, error_body(400, "Validation error."))
    assert len(api.sb.store) == 0


async def test_update_is_partial_and_404_for_unknown(api: Api) -> None:
    await api.upsert("email:test@example.com", EXAMPLE_BODY)
    assert await api.ok("PUT", "/contact/id:1", {"lastName": None, "language": "en"}) == {
        "contactId": 1
    }
    stored = api.sb.store.get(1)
    assert stored is not None
    assert (stored["firstName"], stored["lastName"], stored["language"]) == (
        "Muhammad ",
        None,
        "en",
    )
    assert (await api.call("PUT", "/contact/id:2", {"lastName": "X"})).body == error_body(
        404, "Contact not found"
    )
    for bad in ({"firstName": ""}, {"firstName": None}, {"email": "nope"}, {"nick": "x"}):
        assert (await api.call("PUT", "/contact/id:1", bad)).status == 400
    assert api.sb.store.get(1)["email"] == "test@example.com"  # type: ignore[index]


async def test_delete_forgets_the_contact_and_what_it_had(api: Api) -> None:
    await api.upsert("email:a@example.com")
    await api.upsert("email:b@example.com")
    await api.ok("POST", "/contact/id:1/message", {"message": {"type": "text", "text": "Hi"}})
    await api.ok("POST", "/contact/id:1/comment", {"text": "note"})
    assert await api.ok("DELETE", "/contact/email:a@example.com") == {"contactId": 1}
    assert (await api.call("GET", "/contact/id:1")).status == 404
    assert (await api.call("GET", "/contact/email:a@example.com")).status == 404
    assert (await api.call("DELETE", "/contact/id:1")).body == error_body(404, "Contact not found")
    assert api.sb.space.messages == {} and api.sb.space.comments == {}
    assert [c["id"] for c in api.sb.store.contacts()] == [2]
    # the email is free again: a new contact, with a new id
    assert (await api.upsert("email:a@example.com")).json() == {"contactId": 3}


async def test_merge_keeps_the_first_fills_from_the_second_and_deletes_it(api: Api) -> None:
    await api.upsert(
        "email:ana@example.com",
        {"firstName": "Ana", "lastName": None, "custom_fields": [{"name": "Seats", "value": 3}]},
    )
    await api.upsert(
        "phone:+60123456789",
        {"firstName": "Ana S.", "lastName": "Silva", "language": "pt", "email": "old@example.com",
         "custom_fields": [{"name": "Seats", "value": 9}, {"name": "Plan", "value": "Pro"}]},
    )  # fmt: skip
    await api.ok("POST", "/contact/id:1/tag", ["vip", "a"])
    await api.ok("POST", "/contact/id:2/tag", ["a", "b"])
    await api.ok("POST", "/contact/id:2/lifecycle/update", {"name": "Customer"})
    await api.ok("POST", "/contact/id:2/message", {"message": {"type": "text", "text": "Hi"}})
    body = {"contactIds": [1, 2], "countryCode": "PT"}
    assert await api.ok("POST", "/contact/merge", body) == {"contactId": 1}
    kept = await api.ok("GET", "/contact/id:1")
    assert kept["firstName"] == "Ana"  # the kept contact's own value stays
    assert kept["lastName"] == "Silva"  # empty: filled from the merged one
    assert (kept["language"], kept["phone"], kept["email"]) == (
        "pt",
        "+60123456789",
        "ana@example.com",
    )
    assert kept["countryCode"] == "PT"  # the body's fields win
    assert kept["tags"] == ["vip", "a", "b"]
    assert kept["lifecycle"] == "Customer"
    assert kept["custom_fields"] == [
        {"name": "Seats", "value": 3},
        {"name": "Plan", "value": "Pro"},
    ]
    assert (await api.call("GET", "/contact/id:2")).status == 404
    assert (await api.call("GET", "/contact/email:old@example.com")).status == 404
    assert (await api.ok("GET", "/contact/phone:+60123456789"))["id"] == 1
    messages = await api.ok("GET", "/contact/id:1/message/list")
    assert [m["contactId"] for m in messages["items"]] == [1]


@pytest.mark.parametrize(
    "body",
    [
        {"contactIds": [1]},
        {"contactIds": [1, 1]},
        {"contactIds": [1, "2"]},
        {"contactIds": [1, True]},
        {"contactIds": [1, 2, 3]},
        {},
        {"contactIds": [1, 2], "firstName": ""},
        {"contactIds": [1, 2], "extra": 1},
    ],
)
async def test_merge_validation(api: Api, body: object) -> None:
    await api.upsert("email:a@example.com")
    await api.upsert("email:b@example.com")
    reply = await api.call("POST", "/contact/merge", body)
    assert (reply.status, reply.body) == (400, error_body(400, "Validation error."))
    assert len(api.sb.store) == 2


async def test_merge_of_an_unknown_contact_is_404(api: Api) -> None:
    await api.upsert("email:a@example.com")
    for ids in ([1, 5], [5, 1]):
        reply = await api.call("POST", "/contact/merge", {"contactIds": ids})
        assert (reply.status, reply.body) == (404, error_body(404, "Contact not found"))
    assert len(api.sb.store) == 1


async def test_every_contact_call_waits_for_processing(start: Start, clock: FakeClock) -> None:
    api = await start(per_path=100, processing=10.0)
    await api.upsert("email:a@example.com")
    await api.upsert("email:b@example.com")
    clock.advance(5.0)
    await api.upsert("email:c@example.com")
    calls = [
        ("GET", "/contact/id:1", None),
        ("PUT", "/contact/id:1", {"lastName": "X"}),
        ("POST", "/contact/id:1/tag", ["x"]),
        ("POST", "/contact/id:1/message", {"message": {"type": "text", "text": "Hi"}}),
        ("POST", "/contact/merge", {"contactIds": [2, 1]}),
        ("DELETE", "/contact/id:1", None),
    ]
    for method, path, body in calls:
        reply = await api.call(method, path, body)
        assert (reply.status, reply.body) == (
            449, error_body(449, "currently in queue, try again in a few minutes")
        )  # fmt: skip
    clock.advance(5.0)  # contacts 1 and 2 are processed, 3 is not
    assert (await api.call("POST", "/contact/merge", {"contactIds": [1, 3]})).status == 449
    for method, path, body in calls[:-2]:
        assert (await api.call(method, path, body)).status == 200, path
    assert await api.ok("POST", "/contact/merge", {"contactIds": [2, 1]}) == {"contactId": 2}
    assert api.sb.space.messages[1]["contactId"] == 2  # moved with the merge
    assert await api.ok("DELETE", "/contact/id:2") == {"contactId": 2}
    assert api.sb.space.messages == {}
