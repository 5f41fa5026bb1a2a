"""Contacts, messages, comments, conversations and the workspace against the sandbox, end to
end, in its plain and its quirks mode (every variant shape of the official clients); and under
injected lost answers and 500s, a message or comment is never stored twice."""

from __future__ import annotations

import collections
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from aelyst_async import (
    AelystClient,
    ConflictError,
    Contact,
    ContactUpdate,
    CustomField,
    MaybeAppliedError,
    NotFoundError,
    QuickReplyMessage,
    RateLimitPolicy,
    ResponseFormatError,
    RetryPolicy,
    ValidationError,
)
from aelyst_async._paginate import MAX_EMPTY_PAGES
from aelyst_async.sandbox import FakeClock, Sandbox

SEND = "POST /contact/{identifier}/message"
LIST = "POST /contact/list"
LIMIT = 10_000


@asynccontextmanager
async def connected(**options: object) -> AsyncIterator[tuple[Sandbox, AelystClient, str]]:
    """A sandbox, a client of it, and the identifier of one contact on it."""
    options.setdefault("clock", FakeClock())  # stands still: no rate-limit window ever ends
    options.setdefault("seed", 11)  # the quirks' draws (and the faults', when rates are set)
    async with (
        Sandbox(per_path=LIMIT, **options) as sb,  # type: ignore[arg-type]
        AelystClient(
            token=sb.token,
            base_url=sb.base_url,
            rate_limit=RateLimitPolicy(per_path=LIMIT),
            retry=RetryPolicy(backoff_base=0.0),
        ) as client,
    ):
        result = await client.contacts.create_or_update("email:ana@example.com", Contact("Ana"))
        yield sb, client, f"id:{result.contact_id}"


@pytest.fixture(params=[False, True], ids=["plain", "quirks"])
def quirks(request: pytest.FixtureRequest) -> bool:
    """Both modes of the sandbox: plain answers, and every variant shape (``quirks=True``)."""
    return bool(request.param)


async def first_channel(client: AelystClient) -> int:
    async for channel in client.workspace.list_channels():
        return channel.id
    raise AssertionError("the sandbox has no channel")


async def test_contacts_round_trip(quirks: bool) -> None:
    async with connected(quirks=quirks) as (_, client, ana):
        ana_id = int(ana.removeprefix("id:"))
        await client.contacts.create("email:bo@example.com", Contact("Bo", phone="+60123456789"))
        with pytest.raises(ConflictError):
            await client.contacts.create("email:bo@example.com", Contact("Bo"))
        bo = await client.contacts.get("email:bo@example.com")
        assert (bo.first_name, bo.phone) == ("Bo", "+60123456789")
        fields = [CustomField("Seats", 3), CustomField("Newsletter", "true")]
        assert await client.contacts.update(ana, ContactUpdate(custom_fields=fields)) == ana_id
        record = await client.contacts.get(ana)
        assert record.id == ana_id and record.email == "ana@example.com"
        values = {f.name: f.value for f in record.custom_fields}
        assert str(values["Seats"]) == "3" and str(values["Newsletter"]).lower() == "true"
        assert await client.contacts.add_tags(ana, ["vip", "new"]) == ana_id
        assert await client.contacts.remove_tags(ana, ["new"]) == ana_id
        await client.contacts.update_lifecycle(ana, "Customer")
        record = await client.contacts.get(ana)
        assert (record.tags, record.lifecycle) == (("vip",), "Customer")
        channels = [c async for c in client.contacts.list_channels("email:bo@example.com")]
        assert {c.id for c in channels} and all(c.name for c in channels)
        listed = [r.email async for r in client.contacts.list(page_size=1)]
        assert listed == ["ana@example.com", "bo@example.com"]
        assert [r.id async for r in client.contacts.list(search="Bo")] == [bo.id]
        assert await client.contacts.merge(ana_id, bo.id) == ana_id
        assert (await client.contacts.get(ana)).phone == "+60123456789"
        assert await client.contacts.delete(ana) == ana_id
        with pytest.raises(NotFoundError):
            await client.contacts.get(ana)
        assert [r async for r in client.contacts.list()] == []


async def test_messages_are_sent_read_and_listed(quirks: bool) -> None:
    async with connected(quirks=quirks) as (_, client, ana):
        channel = await first_channel(client)
        first = await client.messages.send(ana, "Hello", channel_id=channel)
        second = await client.messages.send(ana, QuickReplyMessage("Plan?", ["Free", "Pro"]))
        record = await client.messages.get(ana, first)
        assert (record.message_id, record.channel_id) == (first, channel)
        assert record.message == {"type": "text", "text": "Hello"}
        assert record.status and record.status[0].value == "sent"
        listed = [r.message_id async for r in client.messages.list(ana, page_size=1)]
        assert listed == [first, second]
        with pytest.raises(NotFoundError):
            await client.messages.get(ana, second + 100)


async def test_comments_and_conversations_reach_the_contact(quirks: bool) -> None:
    async with connected(quirks=quirks) as (_, client, ana):
        await client.comments.create(ana, "Called, no answer")
        user = await anext(aiter(client.workspace.list_users()))
        await client.conversations.assign(ana, user.id)
        assert (await client.contacts.get(ana)).assignee.id == user.id  # type: ignore[union-attr]
        await client.conversations.assign(ana, None)
        assert (await client.contacts.get(ana)).assignee is None
        note = await anext(aiter(client.workspace.list_closing_notes()))
        await client.conversations.update_status(ana, "close", category=note.category)
        assert (await client.contacts.get(ana)).status == "close"
        with pytest.raises(NotFoundError):
            await client.comments.create("id:999", "nobody")


async def test_workspace_calls(quirks: bool) -> None:
    async with connected(quirks=quirks) as (_, client, _ana):
        users = [user async for user in client.workspace.list_users(page_size=1)]
        user = await client.workspace.get_user(users[0].id)
        assert users and (user == users[0] or quirks)  # quirks: a team may come as its name only
        assert (user.id, user.email, user.team and user.team.name) == (
            users[0].id, users[0].email, users[0].team and users[0].team.name,
        )  # fmt: skip
        created = await client.workspace.create_custom_field(
            "Tier", "list", allowed_values=["Bronze", "Gold"]
        )
        assert await client.workspace.get_custom_field(created.id) == created
        assert created in [f async for f in client.workspace.list_custom_fields()]
        with pytest.raises(ConflictError):
            await client.workspace.create_custom_field("Tier", "text")
        channel = await first_channel(client)
        templates = [t async for t in client.workspace.list_templates(channel)]
        assert all(t.name for t in templates)
        tag = await client.workspace.create_tag("gold", color_code="#ffd700")
        renamed = await client.workspace.update_tag("gold", name="Gold")
        assert (renamed.id, renamed.name, renamed.color_code) == (tag.id, "Gold", "#ffd700")
        await client.workspace.delete_tag("Gold")
        with pytest.raises(NotFoundError):
            await client.workspace.delete_tag("Gold")
        with pytest.raises(ValidationError):
            await client.workspace.create_tag("")


@pytest.mark.parametrize("fault", ["lose", "fail_applied", "malformed", "fail"])
async def test_a_message_is_never_stored_twice_after_an_injected_fault(
    fault: str, quirks: bool
) -> None:
    async with connected(quirks=quirks) as (sb, client, ana):
        channel = await first_channel(client)
        sb.inject_fault(fault, operation=SEND)  # type: ignore[arg-type]
        # a garbled 2xx is a sure answer that the message was applied, never a maybe
        expected = ResponseFormatError if fault == "malformed" else MaybeAppliedError
        with pytest.raises(expected, match="applied"):
            await client.messages.send(ana, "once", channel_id=channel)
        texts = [r.message["text"] async for r in client.messages.list(ana)]  # type: ignore[index]
        assert texts == ([] if fault == "fail" else ["once"])


async def test_under_random_faults_every_message_is_stored_at_most_once(quirks: bool) -> None:
    async with connected(
        quirks=quirks, lose_rate=0.2, fail_applied_rate=0.1, fail_rate=0.1, seed=7
    ) as (
        sb,
        client,
        ana,
    ):
        sb.faults.reset()  # the setup is done: faults from here on
        channel = await first_channel(client)
        answered, unsure = [], []
        for n in range(40):
            try:
                answered.append(await client.messages.send(ana, f"m{n}", channel_id=channel))
            except MaybeAppliedError:
                unsure.append(f"m{n}")
        assert answered and unsure  # the faults did happen
        stored = collections.Counter()
        async for record in client.with_options(retry=RetryPolicy(max_attempts=50)).messages.list(
            ana
        ):
            stored[record.message["text"]] += 1  # type: ignore[index]
        assert max(stored.values()) == 1
        assert {f"m{n}" for n in range(40)} - set(unsure) <= set(stored)


@pytest.mark.parametrize("fault", ["lose", "fail_applied"])
async def test_comments_fields_and_tags_are_never_created_twice(fault: str, quirks: bool) -> None:
    async with connected(quirks=quirks) as (sb, client, ana):
        contact_id = int(ana.removeprefix("id:"))
        calls = [
            ("POST /contact/{identifier}/comment", client.comments.create(ana, "once")),
            ("POST /space/custom_field", client.workspace.create_custom_field("Seats2", "number")),
            ("POST /space/tag", client.workspace.create_tag("once")),
        ]
        for operation, call in calls:
            sb.inject_fault(fault, operation=operation)  # type: ignore[arg-type]
            with pytest.raises(MaybeAppliedError):
                await call
        space = sb.state.space
        assert [c["text"] for c in space.comments[contact_id]] == ["once"]
        assert [f.name async for f in client.workspace.list_custom_fields()].count("Seats2") == 1
        assert "once" in space.tags
        assert sb.stats.operations["POST /space/tag"] == 1


async def test_a_listing_of_empty_pages_with_fresh_cursors_stops_after_the_bound(
    quirks: bool,
) -> None:
    async with connected(quirks=quirks) as (sb, client, _):
        sb.inject_fault("empty_page", times=3 * MAX_EMPTY_PAGES, operation=LIST)
        listed: list[int] = []

        async def drain() -> None:
            async for record in client.contacts.list():
                listed.append(record.id)

        with pytest.raises(ResponseFormatError, match=f"{MAX_EMPTY_PAGES} empty pages in a row"):
            await drain()
        assert listed == []
        assert sb.stats.operations[LIST] == MAX_EMPTY_PAGES  # then it stopped asking
    async with connected(quirks=quirks, empty_page_rate=1.0) as (sb, client, ana):  # seeded
        with pytest.raises(ResponseFormatError, match="empty pages"):
            [m async for m in client.messages.list(ana)]
        assert sb.stats.operations["GET /contact/{identifier}/message/list"] == MAX_EMPTY_PAGES


async def test_fewer_empty_pages_than_the_bound_are_followed(quirks: bool) -> None:
    async with connected(quirks=quirks) as (sb, client, _):
        for n in range(MAX_EMPTY_PAGES + 1):
            await client.contacts.create_or_update(f"email:c{n}@example.com", Contact(f"C{n}"))
        sb.inject_fault("empty_page", times=MAX_EMPTY_PAGES - 1, operation=LIST)
        listed = [record.id async for record in client.contacts.list()]
        assert sb.stats.faults["empty_page"] == MAX_EMPTY_PAGES - 1
        # each empty page moved the cursor one key on: the listing goes on after the last one
        assert listed == list(range(MAX_EMPTY_PAGES, MAX_EMPTY_PAGES + 3))
        with pytest.raises(ValueError, match="answers no listing"):
            sb.inject_fault("empty_page", operation=SEND)
