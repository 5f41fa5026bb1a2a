"""The sandbox over HTTP: statuses, bodies, headers, upsert semantics, faults, introspection."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from aelyst_async.sandbox import (
    ROUTES,
    SANDBOX,
    FakeClock,
    Sandbox,
    _app,
    make_app,
    openapi_document,
)
from aelyst_async.sandbox._openapi import build_document
from tests.sandbox_helpers import EXAMPLE_BODY, Api, Start, error_body, sandboxes

JSON = "application/json"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(1000.0)


@pytest.fixture
async def start(clock: FakeClock) -> AsyncIterator[Start]:
    async with sandboxes(clock) as start:
        yield start


def assert_error(reply: Any, status: int, message: str, remaining: int | None = None) -> None:
    assert reply.status == status
    assert reply.body == error_body(status, message)
    assert reply.headers["Content-Type"].startswith(JSON)
    assert reply.headers["X-RateLimit-Limit"] == "5"
    if remaining is not None:
        assert reply.headers["X-RateLimit-Remaining"] == str(remaining)


async def test_documented_example_creates_contact_1(start: Start) -> None:
    api = await start()
    reply = await api.upsert("email:abdc@gmail.com", EXAMPLE_BODY)
    assert reply.status == 200
    assert reply.body == b'{"contactId": 1}'
    assert reply.headers["Content-Type"].startswith(JSON)
    assert (reply.headers["X-RateLimit-Limit"], reply.headers["X-RateLimit-Remaining"]) == (
        "5",
        "4",
    )
    assert "Retry-After" not in reply.headers
    stored = api.sb.store.get(1)
    assert stored is not None
    assert stored["firstName"] == "Muhammad "  # byte for byte, trailing space kept
    assert stored["email"] == "test@example.com"  # the body's email wins over the identifier's
    assert stored["custom_fields"] == {"Company Website": "https://example.com"}


@pytest.mark.parametrize("token", [None, "wrong", ""])
async def test_401_without_the_token_uses_no_budget(start: Start, token: str | None) -> None:
    api = await start()
    reply = await api.upsert("email:a@example.com", token=token)
    assert_error(reply, 401, "UN_AUTHORIZED", remaining=5)
    assert len(api.sb.store) == 0
    assert (await api.upsert("email:a@example.com")).headers["X-RateLimit-Remaining"] == "4"


async def test_401_comes_before_429(start: Start) -> None:
    api = await start(per_path=1)
    await api.upsert("id:1")
    reply = await api.upsert("id:1", token="wrong")
    assert reply.status == 401
    assert reply.headers["X-RateLimit-Remaining"] == "0"


@pytest.mark.parametrize(
    ("identifier", "data"),
    [
        ("email:a@example.com", b"not json"),
        ("email:a@example.com", b"[1, 2]"),
        ("email:a@example.com", b'{"firstName": NaN}'),
        ("email:a@example.com", b'{"lastName": "only"}'),
        ("email:a@example.com", b'{"firstName": "A", "nickname": "x"}'),
        ("email:a@example.com", b'{"firstName": "A", "custom_fields": [{"name": "Shoe"}]}'),
        ("email:a@example.com", b'{"firstName": "A", "countryCode": "my"}'),
        ("email:a@example.com", b"\xff\xfe"),
        ("id:abc", b'{"firstName": "A"}'),
        ("name:ana", b'{"firstName": "A"}'),
        ("email:", b'{"firstName": "A"}'),
        ("email:not-an-email", b'{"firstName": "A"}'),
        ("phone:0123", b'{"firstName": "A"}'),
        ("phone:+60123456789%FF", b'{"firstName": "A"}'),
        ("ana", b'{"firstName": "A"}'),
    ],
)
async def test_400_validation_error_uses_budget(start: Start, identifier: str, data: bytes) -> None:
    api = await start()
    assert_error(await api.upsert(identifier, data=data), 400, "Validation error.", remaining=4)
    assert len(api.sb.store) == 0
    assert api.sb.stats.statuses == {400: 1}


async def test_404_for_an_unknown_id(start: Start) -> None:
    api = await start()
    assert_error(await api.upsert("id:7"), 404, "Contact not found", remaining=4)
    assert len(api.sb.store) == 0


async def test_429_has_retry_after_and_uses_no_budget(start: Start, clock: FakeClock) -> None:
    api = await start()
    for left in (4, 3, 2, 1, 0):
        assert (await api.upsert("id:1")).headers["X-RateLimit-Remaining"] == str(left)
    clock.advance(0.25)
    reply = await api.upsert("id:1")
    assert_error(reply, 429, "Too Many Requests", remaining=0)
    assert reply.headers["Retry-After"] == "1"
    assert (await api.upsert("id:1", data=b"junk")).status == 429  # 429 before 400
    clock.advance(0.75)
    assert (await api.upsert("id:1")).headers["X-RateLimit-Remaining"] == "4"
    assert api.sb.stats.rate_limited == 2


async def test_449_while_processing_then_applied(start: Start, clock: FakeClock) -> None:
    api = await start(processing=30.0)
    assert (await api.upsert("email:a@example.com")).json() == {"contactId": 1}
    for identifier in ("email:a@example.com", "id:1"):
        reply = await api.upsert(identifier, {"firstName": "B"})
        assert_error(reply, 449, "currently in queue, try again in a few minutes")  # DESIGN.md
        assert "Retry-After" not in reply.headers
    assert (await api.upsert("email:b@example.com")).json() == {"contactId": 2}  # not blocked
    clock.advance(29.9)
    assert (await api.upsert("id:1", {"firstName": "B"})).status == 449
    clock.advance(0.1)
    assert (await api.upsert("id:1", {"firstName": "B"})).json() == {"contactId": 1}
    assert api.sb.store.get(1)["firstName"] == "B"  # type: ignore[index]
    assert (api.sb.stats.queued, api.sb.stats.creates, api.sb.stats.updates) == (3, 2, 1)


async def test_500_applies_nothing(start: Start) -> None:
    api = await start(fail_rate=1.0)
    assert_error(await api.upsert("email:a@example.com"), 500, "Unexpected error occurred", 4)
    assert len(api.sb.store) == 0
    assert api.sb.stats.faults == {
        "fail": 1,
        "lose": 0,
        "malformed": 0,
        "fail_applied": 0,
        "late": 0,
        "hang": 0,
        "empty_page": 0,
    }


async def test_lost_response_is_a_disconnect_after_the_write(start: Start) -> None:
    api = await start(lose_rate=1.0)
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await api.upsert("email:a@example.com", {"firstName": "Lost"})
    assert api.sb.store.find_by_email("a@example.com")["firstName"] == "Lost"  # type: ignore[index]
    assert api.sb.stats.faults["lose"] == 1
    assert api.sb.stats.creates == 1
    assert api.sb.stats.statuses == {}


async def test_malformed_body_after_the_write(start: Start) -> None:
    api = await start(malformed_rate=1.0)
    reply = await api.upsert("email:a@example.com")
    assert reply.status == 200
    with pytest.raises(ValueError):  # noqa: PT011
        json.loads(reply.body)
    assert len(api.sb.store) == 1
    assert api.sb.stats.faults["malformed"] == 1


async def test_faults_are_seeded_and_reproducible(start: Start) -> None:
    runs = []
    for _ in range(2):
        api = await start(fail_rate=0.3, malformed_rate=0.3, seed=42, per_path=100)
        runs.append([(await api.upsert(f"email:u{i}@example.com")).body for i in range(30)])
    assert runs[0] == runs[1]
    kinds = {b"ok" if body.startswith(b'{"contactId"') and body.endswith(b"}") else body[:9]
             for body in runs[0]}  # fmt: skip
    assert len(kinds) == 3  # successes, 500s and malformed bodies all occur


async def test_latency_sleeps_before_answering(
    start: Start, monkeypatch: pytest.MonkeyPatch
) -> None:
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(_app, "asyncio", SimpleNamespace(sleep=fake_sleep))
    api = await start(latency=0.25)
    assert (await api.upsert("email:a@example.com")).status == 200
    assert (await api.upsert("id:9")).status == 404
    assert slept == [0.25, 0.25]


async def test_update_applies_exactly_the_keys_present(start: Start) -> None:
    api = await start(wall_clock=FakeClock(1_767_225_600.5))
    await api.upsert("email:test@example.com", EXAMPLE_BODY)
    body = {
        "firstName": "Muhammad",
        "lastName": None,
        "custom_fields": [
            {"name": "Seats", "value": 3},
            {"name": "Company Website", "value": None},
        ],
    }
    assert (await api.upsert("email:test@example.com", body)).json() == {"contactId": 1}
    assert api.sb.store.get(1) == {
        "id": 1,
        "firstName": "Muhammad",
        "lastName": None,
        "phone": "+60123456789",
        "email": "test@example.com",
        "language": "ms",
        "profilePic": "https://cdn.aelyst.ai/profile_avatar.png",
        "countryCode": "MY",
        "custom_fields": {"Seats": 3},
        "status": "open",
        "tags": [],
        "assignee": None,
        "lifecycle": None,
        "created_at": 1_767_225_600,
    }
    await api.upsert(
        "id:1", {"firstName": "M", "custom_fields": [{"name": "Plan", "value": "Pro"}]}
    )
    assert api.sb.store.get(1)["custom_fields"] == {"Seats": 3, "Plan": "Pro"}  # type: ignore[index]
    await api.upsert("id:1", {"firstName": "M", "custom_fields": None})
    assert api.sb.store.get(1)["custom_fields"] == {}  # type: ignore[index]
    assert (api.sb.stats.creates, api.sb.stats.updates) == (1, 3)


async def test_create_takes_the_identifier_and_the_first_match_is_updated(start: Start) -> None:
    api = await start()
    assert (await api.upsert("phone:+60123456789")).json() == {"contactId": 1}
    assert api.sb.store.get(1)["phone"] == "+60123456789"  # type: ignore[index]
    same_email = {"firstName": "A", "email": "shared@example.com"}
    await api.upsert("phone:+60123456788", same_email)
    await api.upsert("phone:+60123456787", same_email)
    assert (await api.upsert("email:shared@example.com", {"firstName": "B"})).json() == {
        "contactId": 2
    }
    assert [c["firstName"] for c in api.sb.store.contacts()] == ["Ana", "B", "A"]
    # moving the email away makes the next contact the first match
    await api.upsert("id:2", {"firstName": "B", "email": None})
    assert (await api.upsert("email:shared@example.com")).json() == {"contactId": 3}
    assert api.sb.store.find_by_phone("+60123456788")["email"] is None  # type: ignore[index]


@pytest.mark.parametrize(
    ("raw", "email"),
    [
        ("email%3Aana%40example.com", "ana@example.com"),
        ("email:a%2Fb@example.com", "a/b@example.com"),
        ("email:a%2F.%2Fb@example.com", "a/./b@example.com"),
        ("email:o%27hara+x@example.com", "o'hara+x@example.com"),
    ],
)
async def test_percent_encoded_identifiers(start: Start, raw: str, email: str) -> None:
    api = await start()
    assert (await api.upsert(raw)).json() == {"contactId": 1}
    assert api.sb.store.find_by_email(email) is not None
    assert api.sb.store.get(1)["email"] == email  # type: ignore[index]


async def test_encoded_and_plain_identifiers_share_a_path(start: Start) -> None:
    api = await start()
    await api.upsert("phone:+60123456789")
    reply = await api.upsert("phone:%2B60123456789")  # a literal '+' is never a space
    assert reply.json() == {"contactId": 1}
    assert reply.headers["X-RateLimit-Remaining"] == "3"


async def test_a_raw_slash_is_another_path(start: Start) -> None:
    api = await start()
    reply = await api.upsert("email:a/b@example.com")
    assert (reply.status, reply.json()) == (404, {"code": 404, "message": "Not Found"})
    reply = await api.upsert("email:a%2F..%2F..%2Fx@example.com")  # stays on the endpoint
    assert reply.body == error_body(400, "Validation error.")
    assert (await api.upsert("id:1", method="GET")).status == 405
    assert api.sb.stats.requests == 1


async def test_introspection(start: Start) -> None:
    api = await start(per_path=1)
    await api.upsert("email:a@example.com")
    await api.upsert("email:a@example.com")
    for _ in range(3):  # neither authenticated nor rate-limited
        stats = (await api.get("/_sandbox/stats")).json()
    assert stats == {
        "requests": 2,
        "statuses": {"200": 1, "429": 1},
        "rate_limited": 1,
        "workspace_limited": 0,
        "queued": 0,
        "creates": 1,
        "updates": 0,
        "faults": {
            **{"fail": 0, "lose": 0, "malformed": 0, "fail_applied": 0, "late": 0},
            **{"hang": 0, "empty_page": 0},
        },
        "operations": {"POST /contact/create_or_update/{identifier}": 2},
        "contacts": 1,
    }
    contacts = (await api.get("/_sandbox/contacts")).json()
    assert contacts == api.sb.store.contacts()
    assert [c["email"] for c in contacts] == ["a@example.com"]
    assert (await api.get("/_sandbox/reset", "POST")).json() == {"reset": True}
    assert (await api.get("/_sandbox/contacts")).json() == []
    assert (await api.get("/_sandbox/stats")).json()["requests"] == 0
    assert (await api.upsert("email:b@example.com")).json() == {"contactId": 1}  # budget reset
    assert (await api.get("/_sandbox/nothing")).status == 404


@pytest.mark.parametrize("path", ["/_sandbox/openapi.json", "/v1/openapi.json"])
async def test_openapi_document(start: Start, path: str) -> None:
    api = await start()
    doc = (await api.get(path)).json()
    assert doc["openapi"] == "3.1.0"
    assert doc["servers"][0]["url"] == api.sb.base_url
    operation = doc["paths"]["/contact/create_or_update/{identifier}"]["post"]
    assert set(operation["responses"]) == {"200", "400", "401", "404", "429", "449", "500"}
    for status in ("400", "401", "404", "429", "449", "500"):
        example = operation["responses"][status]["content"][JSON]["example"]
        assert example == {"code": int(status), "message": _app.MESSAGES[int(status)]}
    example = operation["requestBody"]["content"][JSON]["example"]
    assert example == EXAMPLE_BODY
    assert {path for path in doc["paths"]} == {r.template for r in ROUTES}
    assert sum(len(methods) for methods in doc["paths"].values()) == len(ROUTES) == 29


def test_the_shipped_openapi_json_is_the_built_document() -> None:
    assert openapi_document() == build_document()


async def test_the_served_document_follows_the_workspace(start: Start) -> None:
    api = await start()
    await api.call("POST", "/space/custom_field", {"name": "Tier", "dataType": "number"})
    doc = (await api.get("/v1/openapi.json")).json()
    names = [
        item["properties"]["name"]["const"]
        for item in doc["components"]["schemas"]["ContactBody"]["properties"]["custom_fields"][
            "anyOf"
        ][0]["items"]["oneOf"]
    ]
    assert names[-1] == "Tier"
    assert "Tier" not in json.dumps(openapi_document())


async def test_sqlite_keeps_contacts_across_restarts(tmp_path: Any) -> None:
    db = str(tmp_path / "contacts.sqlite")
    async with aiohttp.ClientSession() as session:
        async with Sandbox(db=db, clock=FakeClock()) as sb:
            api = Api(sb, session)
            await api.upsert("email:a@example.com", EXAMPLE_BODY | {"email": None})
            await api.upsert("email:b@example.com")
        async with Sandbox(db=db, clock=FakeClock()) as sb:
            api = Api(sb, session)
            assert len(sb.store) == 2
            assert sb.store.find_by_email("a@example.com")["lastName"] == "Mahin"  # type: ignore[index]
            assert (await api.upsert("email:b@example.com", {"firstName": "Bo"})).json() == {
                "contactId": 2
            }
            assert (await api.upsert("email:c@example.com")).json() == {"contactId": 3}
        async with Sandbox(db=db) as sb:
            assert [c["firstName"] for c in sb.store.contacts()] == ["Muhammad ", "Bo", "Ana"]
            assert sb.store.get(1)["custom_fields"] == {  # type: ignore[index]
                "Company Website": "https://example.com"
            }
            sb.reset()
        async with Sandbox(db=db) as sb:
            assert len(sb.store) == 0


async def test_unbound_app_with_test_server() -> None:
    app = make_app(token="t", clock=FakeClock())
    async with TestClient(TestServer(app)) as client:
        resp = await client.post(
            "/v1/contact/create_or_update/email:a@example.com",
            json={"firstName": "Ana"},
            headers={"Authorization": "Bearer t"},
        )
        assert await resp.json() == {"contactId": 1}
    assert app[SANDBOX].store.find_by_email("a@example.com") is not None


def test_options_are_checked() -> None:
    with pytest.raises(ValueError, match="fault rates"):
        Sandbox(fail_rate=0.6, lose_rate=0.6)
    with pytest.raises(ValueError, match="window"):
        Sandbox(window="leaky")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="custom field type"):
        Sandbox(custom_fields={"X": "colour"})
    with pytest.raises(RuntimeError, match="not running"):
        _ = Sandbox().base_url
