"""``POST /contact/list`` on the sandbox: cursor pagination, search, filters, their errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from aelyst_async.sandbox import FakeClock
from tests.sandbox_helpers import Api, error_body, sandboxes

PEOPLE = [
    ("Ana", "Silva", "ana@example.com", "+351912345678"),
    ("Bo", "Tan", "bo@shop.example", None),
    ("Cy", "Anand", None, "+60123456789"),
    ("Dee", None, "dee@example.com", None),
    ("Eve", "Silvano", "eve@other.example", "+60123456788"),
]


@pytest.fixture
async def api() -> AsyncIterator[Api]:
    async with sandboxes(FakeClock()) as start:
        api = await start(per_path=1000, wall_clock=FakeClock(1_767_225_600))
        for first, last, email, phone in PEOPLE:
            body = {"firstName": first, "lastName": last, "email": email, "phone": phone}
            identifier = f"email:{email}" if email else f"phone:{phone}"
            assert (await api.upsert(identifier, body)).status == 200
        yield api


async def names(api: Api, body: dict[str, Any], query: str = "?limit=100") -> list[str]:
    page = await api.ok("POST", f"/contact/list{query}", body)
    return [item["firstName"] for item in page["items"]]


def cursor_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["cursorId"][0]


async def test_pages_follow_the_cursor_of_next(api: Api) -> None:
    seen, query, pages = [], "?limit=2", 0
    previous_links = []
    while True:
        page = await api.ok("POST", f"/contact/list{query}", {})
        assert set(page) == {"items", "pagination"}
        seen += [item["id"] for item in page["items"]]
        previous_links.append(page["pagination"]["previous"])
        pages += 1
        nxt = page["pagination"]["next"]
        if nxt == "":
            break
        assert nxt.startswith(api.sb.base_url + "/contact/list?limit=2&cursorId=")
        query = f"?limit=2&cursorId={cursor_of(nxt)}"
    assert seen == [1, 2, 3, 4, 5]
    assert pages == 3
    assert previous_links[0] == ""
    assert previous_links[1] == api.sb.base_url + "/contact/list?limit=2"
    assert previous_links[2] == api.sb.base_url + "/contact/list?limit=2&cursorId=2"


async def test_default_page_size_is_10(api: Api) -> None:
    for i in range(10):
        await api.upsert(f"email:more{i}@example.com")
    page = await api.ok("POST", "/contact/list", {})
    assert [item["id"] for item in page["items"]] == list(range(1, 11))
    assert cursor_of(page["pagination"]["next"]) == "10"
    page = await api.ok("POST", "/contact/list?cursorId=10", {})
    assert [item["id"] for item in page["items"]] == [11, 12, 13, 14, 15]
    assert page["pagination"]["next"] == ""


async def test_a_deleted_cursor_contact_skips_nothing(api: Api) -> None:
    page = await api.ok("POST", "/contact/list?limit=2", {})
    await api.ok("DELETE", "/contact/id:2")  # the cursor's own contact
    page = await api.ok(
        "POST", f"/contact/list?limit=2&cursorId={cursor_of(page['pagination']['next'])}", {}
    )
    assert [item["id"] for item in page["items"]] == [3, 4]


async def test_items_are_contact_records(api: Api) -> None:
    page = await api.ok("POST", "/contact/list?limit=1", {"search": "cy"})
    assert page["items"] == [await api.ok("GET", "/contact/id:3")]


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("ana", ["Ana", "Cy"]),  # first name, and "Anand"
        ("SILVA", ["Ana", "Eve"]),
        ("ana silva", ["Ana"]),  # full name
        ("example.com", ["Ana", "Dee"]),
        ("+6012345678", ["Cy", "Eve"]),
        ("shop", ["Bo"]),
        ("nobody", []),
        ("", ["Ana", "Bo", "Cy", "Dee", "Eve"]),
    ],
)
async def test_search_over_name_email_phone(api: Api, search: str, expected: list[str]) -> None:
    assert await names(api, {"search": search, "timezone": "Asia/Kuala_Lumpur"}) == expected


async def test_filters_by_tag_lifecycle_and_field(api: Api) -> None:
    await api.ok("POST", "/contact/id:1/tag", ["vip", "2026"])
    await api.ok("POST", "/contact/id:2/tag", ["vip"])
    await api.ok("POST", "/contact/id:3/tag", ["2026"])
    await api.ok("POST", "/contact/id:1/lifecycle/update", {"name": "Customer"})
    await api.ok("POST", "/contact/id:4/lifecycle/update", {"name": "Hot Lead"})
    await api.upsert("id:2", {"firstName": "Bo", "custom_fields": [{"name": "Seats", "value": 12}]})
    await api.upsert("id:3", {"firstName": "Cy", "custom_fields": [{"name": "Seats", "value": 3}]})
    await api.upsert(
        "id:5",
        {"firstName": "Eve", "custom_fields": [{"name": "Renewal Date", "value": "2026-03-01"}]},
    )

    def cond(
        category: str, operator: str, value: object = None, field: str = "x"
    ) -> dict[str, Any]:
        return {"category": category, "field": field, "operator": operator, "value": value}

    async def where(*conditions: dict[str, Any], op: str = "$and") -> list[str]:
        return await names(api, {"filter": {op: list(conditions)}})

    assert await where(cond("contactTag", "hasAnyOf", ["VIP"])) == ["Ana", "Bo"]
    assert await where(cond("contactTag", "hasAllOf", ["vip", "2026"])) == ["Ana"]
    assert await where(cond("contactTag", "hasNoneOf", ["vip"])) == ["Cy", "Dee", "Eve"]
    assert await where(cond("contactTag", "doesNotExist")) == ["Dee", "Eve"]
    assert await where(cond("lifecycle", "isEqualTo", "customer")) == ["Ana"]
    assert await where(cond("lifecycle", "exists")) == ["Ana", "Dee"]
    assert await where(cond("lifecycle", "hasAnyOf", ["Hot Lead", "Payment"])) == ["Dee"]
    assert await where(cond("contactField", "isEqualTo", "Silva", "lastName")) == ["Ana"]
    assert await where(cond("contactField", "isNotEqualTo", "Silva", "lastName")) == [
        "Bo", "Cy", "Dee", "Eve",
    ]  # fmt: skip
    assert await where(cond("contactField", "doesNotExist", None, "email")) == ["Cy"]
    assert await where(cond("contactField", "isGreaterThan", 5, "Seats")) == ["Bo"]
    assert await where(cond("contactField", "isLessThan", "5", "seats")) == ["Cy"]  # by slug
    assert await where(cond("contactField", "isBetween", {"from": 3, "to": 12}, "Seats")) == [
        "Bo", "Cy",
    ]  # fmt: skip
    assert await where(cond("contactField", "isTimestampAfter", "2026-02-01", "Renewal Date")) == [
        "Eve"
    ]
    assert await where(cond("contactField", "isTimestampBefore", 1_767_225_601, "created_at")) == [
        "Ana",
        "Bo",
        "Cy",
        "Dee",
        "Eve",
    ]
    assert await where(
        cond("contactField", "isTimestampBetween",
             {"from": "2026-01-01", "to": 1_767_225_600}, "created_at")
    ) == ["Ana", "Bo", "Cy", "Dee", "Eve"]  # fmt: skip
    assert await where(
        cond("contactTag", "hasAnyOf", ["vip"]), cond("lifecycle", "doesNotExist")
    ) == ["Bo"]
    assert await where(
        cond("contactTag", "hasAnyOf", ["vip"]), cond("lifecycle", "exists"), op="$or"
    ) == ["Ana", "Bo", "Dee"]
    nested = {"$or": [{"$and": [cond("contactTag", "hasAnyOf", ["2026"]),
                                cond("lifecycle", "doesNotExist")]},
                      cond("contactField", "isEqualTo", "dee@example.com", "email")]}  # fmt: skip
    assert await names(api, {"filter": nested}) == ["Cy", "Dee"]
    assert await names(api, {"filter": {"$and": []}}) == ["Ana", "Bo", "Cy", "Dee", "Eve"]
    tagged = {"$and": [cond("contactTag", "exists")]}
    assert await names(api, {"search": "e", "filter": tagged}) == ["Ana", "Bo"]


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"search": 5},
        {"timezone": 1},
        {"sort": "name"},
        {"filter": []},
        {"filter": {"$and": {}}},
        {"filter": {"$and": [], "$or": []}},
        {"filter": {"$not": []}},
        {"filter": {"$and": [{"category": "nope", "field": "x", "operator": "exists"}]}},
        {"filter": {"$and": [{"category": "contactTag", "operator": "matches", "value": "x"}]}},
        {"filter": {"$and": [{"category": "contactField", "field": "shoe", "operator": "exists"}]}},
        {"filter": {"$and": [{"category": "contactTag", "operator": "hasAnyOf", "value": "vip"}]}},
        {"filter": {"$and": [{"category": "lifecycle", "operator": "isEqualTo", "value": None}]}},
        {"filter": {"$and": [{"category": "contactField", "field": "Seats",
                              "operator": "isBetween", "value": {"from": 1}}]}},
        {"filter": {"$and": [{"category": "contactField", "field": "created_at",
                              "operator": "isTimestampAfter", "value": "yesterday"}]}},
        {"filter": {"$and": [{"category": "lifecycle", "operator": "exists", "extra": 1}]}},
    ],
)  # fmt: skip
async def test_bad_list_bodies_are_400(api: Api, body: object) -> None:
    reply = await api.call("POST", "/contact/list", body)
    assert (reply.status, reply.body) == (400, error_body(400, "Validation error."))


@pytest.mark.parametrize(
    "query", ["?limit=0", "?limit=101", "?limit=x", "?limit=-1", "?cursorId=a", "?cursorId=-1"]
)
async def test_bad_page_parameters_are_400(api: Api, query: str) -> None:
    reply = await api.call("POST", f"/contact/list{query}", {})
    assert (reply.status, reply.body) == (400, error_body(400, "Validation error."))


async def test_page_size_bounds(api: Api) -> None:
    for i in range(100):
        await api.upsert(f"email:x{i}@example.com")
    assert len((await api.ok("POST", "/contact/list?limit=100", {}))["items"]) == 100
    assert len((await api.ok("POST", "/contact/list?limit=1", {}))["items"]) == 1
    reply = await api.call("POST", "/contact/list", None)  # no body at all
    assert reply.status == 400
