"""``Sandbox(quirks=True)``: every variant shape of the official clients is sent (raw bytes), the
same seed sends the same bytes, and the SDK reads every variant through its public calls."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from aelyst_async import Contact, ContactUpdate, CustomField, NotFoundError
from aelyst_async.sandbox import FakeClock, Space
from aelyst_async.sandbox._quirks import EXTRA_KEYS, VARIANTS
from tests.sandbox_helpers import Api, sandboxes
from tests.test_resources_sandbox import LIMIT, connected, first_channel

QUIRKS: dict[str, Any] = {"quirks": True, "seed": 3, "per_path": LIMIT}
WALL = 1_700_000_000
ROUNDS = 8
ABSENT = "(absent)"
LIST_BODY = {"search": "", "timezone": "UTC", "filter": {"$and": []}}


@pytest.fixture
async def start() -> AsyncIterator[Any]:
    async with sandboxes(FakeClock()) as start:
        yield start


async def _exercise(api: Api) -> dict[str, list[Any]]:
    """A fixed run of raw calls reaching every variant: the bodies by kind of answer."""
    contact = {
        "firstName": "Ana",
        "custom_fields": [{"name": "Newsletter", "value": "true"}, {"name": "Seats", "value": 3}],
    }
    await api.ok("POST", "/contact/create_or_update/email:ana@example.com", contact)
    message = {"channelId": 1, "message": {"type": "text", "text": "Hi"}}
    await api.ok("POST", "/contact/id:1/message", message)
    seen: dict[str, list[Any]] = {}
    for n in range(ROUNDS):
        calls = {
            "contact": ("GET", "/contact/id:1", None),
            "contacts": ("POST", "/contact/list?limit=10", LIST_BODY),
            "message": ("GET", "/contact/id:1/message/1", None),
            "messages": ("GET", "/contact/id:1/message/list", None),
            "fields": ("GET", "/space/custom_field?limit=100", None),
            "users": ("GET", "/space/user?limit=100", None),
            "templates": ("GET", "/space/channel/1/mtm", None),
            "tag": ("POST", "/space/tag", {"name": f"tag{n}"}),
        }
        for kind, (method, path, body) in calls.items():
            seen.setdefault(kind, []).append(await api.ok(method, path, body))
        missing = await api.call("GET", "/contact/id:99")
        assert missing.status == 404
        seen.setdefault("error", []).append(missing.json())
    return seen


def _types(values: list[Any]) -> set[type]:
    return {type(value) for value in values}


def _cursor(page: dict[str, Any]) -> object:
    return page["pagination"].get("next", ABSENT)


async def test_every_quirk_is_sent(start: Any) -> None:
    seen = await _exercise(await start(**QUIRKS, wall_clock=lambda: WALL))
    contacts = seen["contact"] + [page["items"][0] for page in seen["contacts"]]
    assert _types([c["id"] for c in contacts]) == {int, str}
    assert {str(c["id"]) for c in contacts} == {"1"}
    values = [{f["name"]: f["value"] for f in c["custom_fields"]} for c in contacts]
    assert {v["Newsletter"] for v in values} == {True, "true"}
    assert {v["Seats"] for v in values} == {3, "3"}
    messages = seen["message"] + [page["items"][0] for page in seen["messages"]]
    assert _types([m["channelMessageId"] for m in messages]) == {int, str}
    assert _types([m["messageId"] for m in messages]) == {int, str}
    plans = [f["allowedValues"] for page in seen["fields"] for f in page["items"]
             if f["name"] == "Plan"]  # fmt: skip
    assert {repr(p) for p in plans} == {
        repr(["Free", "Starter", "Pro", "Enterprise"]),
        repr({"listValues": ["Free", "Starter", "Pro", "Enterprise"]}),
    }
    wrapped = [t for t in seen["tag"] if isinstance(t.get("message"), dict)]
    assert wrapped and len(wrapped) < ROUNDS
    assert all(t["code"] in (200, "200") and t["message"]["name"] for t in wrapped)
    teams = [u["team"] for page in seen["users"] for u in page["items"] if u["id"] in (1, "1")]
    assert {repr(t) for t in teams} >= {repr("Sales")} and _types(teams) == {str, dict}
    components = [t["components"] for page in seen["templates"] for t in page["items"]]
    assert _types(components) == {list, str}
    assert {json.dumps(c) if isinstance(c, list) else c for c in components} == {
        json.dumps(t["components"]) for t in Space({}).templates[1]
    }
    ends = [_cursor(page) for kind in ("contacts", "messages", "users") for page in seen[kind]]
    assert set(ends) == {"", None, ABSENT}
    codes = [error.get("code", ABSENT) for error in seen["error"]]
    assert set(codes) == {404, "404", ABSENT}
    assert {error["message"] for error in seen["error"]} == {"Contact not found"}
    for kind, bodies in seen.items():
        for body in bodies:
            records = [body, body.get("pagination") or body, *body.get("items", ())]
            records += [f for r in records for f in r.get("custom_fields", ())]
            assert all(set(EXTRA_KEYS) & set(r) for r in records), (kind, body)


async def test_without_quirks_every_answer_has_the_plain_shape(start: Any) -> None:
    seen = await _exercise(await start(per_path=LIMIT, seed=3))
    contacts = seen["contact"] + [page["items"][0] for page in seen["contacts"]]
    assert _types([c["id"] for c in contacts]) == {int}
    assert {f["value"] for c in contacts for f in c["custom_fields"]} == {"true", 3}
    assert {t["name"] for t in seen["tag"]} == {f"tag{n}" for n in range(ROUNDS)}
    assert {_cursor(page) for page in seen["contacts"]} == {""}
    assert {error["code"] for error in seen["error"]} == {404}
    assert not any(key in repr(seen) for key in EXTRA_KEYS)


async def test_the_same_seed_sends_the_same_answers(start: Any) -> None:
    api = await start(**QUIRKS, wall_clock=lambda: WALL)
    first = await _exercise(api)
    emitted = dict(api.sb.quirks.emitted)
    assert set(emitted) == set(VARIANTS)
    api.sb.reset()
    assert await _exercise(api) == first
    assert api.sb.quirks.emitted == emitted
    other = await start(**{**QUIRKS, "seed": 4}, wall_clock=lambda: WALL)
    assert await _exercise(other) != first


# -- the SDK reads every variant ---------------------------------------------------------------


async def test_the_sdk_reads_every_quirk() -> None:
    async with connected(quirks=True, seed=5) as (sb, client, ana):
        fields = [CustomField("Newsletter", "true"), CustomField("Seats", 3)]
        await client.contacts.update(ana, ContactUpdate(custom_fields=fields))
        for n in (2, 3):
            await client.contacts.create(f"email:c{n}@example.com", Contact(f"C{n}"))
        records = [await client.contacts.get(ana) for _ in range(ROUNDS)]
        assert {r.id for r in records} == {int(ana.removeprefix("id:"))}
        assert _types([r.to_dict()["id"] for r in records]) == {int, str}
        newsletter = [next(f.value for f in r.custom_fields if f.name == "Newsletter")
                      for r in records]  # fmt: skip
        assert set(newsletter) == {True, "true"}
        assert all(r.extra and set(r.extra) <= set(EXTRA_KEYS) for r in records)

        sb.quirks.emitted.clear()
        listings = []
        for _ in range(6):
            listings.append([r.email async for r in client.contacts.list(page_size=1)])
        assert listings == [["ana@example.com", "c2@example.com", "c3@example.com"]] * 6
        assert sb.stats.operations["POST /contact/list"] == 6 * 3  # no page fetched twice
        ends = ("end cursor empty", "end cursor null", "end cursor absent")
        assert all(sb.quirks.emitted[end] for end in ends)

        sb.quirks.emitted.clear()
        for _ in range(4):
            plan = [f async for f in client.workspace.list_custom_fields() if f.name == "Plan"]
            assert plan[0].allowed_values == ("Free", "Starter", "Pro", "Enterprise")
        assert sb.quirks.emitted["listValues"]

        sb.quirks.emitted.clear()
        tags = [await client.workspace.create_tag(f"t{n}") for n in range(6)]
        assert [t.name for t in tags] == [f"t{n}" for n in range(6)]
        assert len({t.id for t in tags}) == 6
        assert 0 < sb.quirks.emitted["tag wrapped"] < 6
        renamed = [await client.workspace.update_tag(f"t{n}", name=f"T{n}") for n in range(6)]
        assert [(t.id, t.name) for t in renamed] == [(t.id, f"T{n}") for n, t in enumerate(tags)]

        channel = await first_channel(client)
        sb.quirks.emitted.clear()
        expected = [tuple(t["components"]) for t in Space({}).templates[channel]]
        for _ in range(4):
            templates = [t async for t in client.workspace.list_templates(channel)]
            assert [t.components for t in templates] == expected
        assert sb.quirks.emitted["components"]

        sb.quirks.emitted.clear()
        sent = [await client.messages.send(ana, f"m{n}", channel_id=channel) for n in range(4)]
        got = [await client.messages.get(ana, m) for m in sent]
        assert [m.message_id for m in got] == sent
        assert all(m.channel_message_id and m.channel_message_id.isdigit() for m in got)
        assert _types([m.to_dict()["channelMessageId"] for m in got]) == {int, str}

        sb.quirks.emitted.clear()
        errors = []
        for _ in range(ROUNDS):
            with pytest.raises(NotFoundError) as caught:
                await client.contacts.get("id:999")
            errors.append(caught.value)
        assert {e.message for e in errors} == {"Contact not found"}
        assert {e.code for e in errors} == {404, None}
        assert sb.quirks.emitted["error code string"] and sb.quirks.emitted["error code absent"]
