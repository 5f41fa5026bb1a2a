"""The sandbox delivers webhooks: end to end through a local receiver that verifies, parses and
dedupes (tests/webhook_receiver.py). Retries run on the sandbox's FakeClock; no test sleeps."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator

import aiohttp
import pytest

from aelyst_async import Contact
from aelyst_async._cli import main
from aelyst_async._cli import sandbox as sandbox_cli
from aelyst_async.sandbox import FakeClock, Sandbox
from aelyst_async.sandbox._webhooks import EVENT_TYPES
from aelyst_async.testing import running_sandbox, sandbox_client
from aelyst_async.types import ContactRecord, MessageRecord
from aelyst_async.webhooks import (
    CommentCreated,
    ConversationClosed,
    ConversationOpened,
    MessageReceived,
    MessageSent,
    WebhookDeduplicator,
)
from aelyst_async.webhooks._events import EVENT_TYPES as PARSED_TYPES
from tests.redis_server import RedisServer, free_port
from tests.sandbox_helpers import Api, Start, sandboxes
from tests.webhook_receiver import Receiver

KEY = "whsec_sandbox_test_key_5e1f"
TEXT = {"type": "text", "text": "Your order shipped"}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def start(clock: FakeClock) -> AsyncIterator[Start]:
    async with sandboxes(clock) as start:
        yield start


async def hooked(start: Start, receiver: Receiver, **options: object) -> Api:
    api = await start(per_path=1000, **options)
    api.sb.add_webhook(receiver.url, KEY)
    return api


async def test_every_change_kind_is_delivered_signed_and_parsed_to_its_event(
    start: Start,
) -> None:
    assert set(EVENT_TYPES) == set(PARSED_TYPES)  # the sandbox knows the SDK's event types
    async with Receiver(KEY) as receiver:
        api = await hooked(start, receiver)
        sb = api.sb
        await api.ok("POST", "/contact/email:ana@example.com", {"firstName": "Ana"})
        for identifier, body in [
            ("email:bo@example.com", {"firstName": "Bo", "phone": "+60123456789"}),
            ("email:ana@example.com", {"firstName": "Ana", "lastName": "Lee"}),
        ]:
            assert (await api.upsert(identifier, body)).status == 200
        await api.ok("PUT", "/contact/id:1", {"language": "ms"})
        await api.ok("POST", "/contact/id:1/tag", ["vip"])
        await api.ok("DELETE", "/contact/id:1/tag", ["vip"])
        await api.ok("POST", "/contact/id:1/lifecycle/update", {"name": "Customer"})
        await api.ok("POST", "/contact/id:1/conversation/assignee", {"assignee": 2})
        await api.ok("POST", "/contact/id:1/conversation/status", {"status": "open"})
        await api.ok("POST", "/contact/id:1/comment", {"text": "call back"})
        await api.ok("POST", "/contact/id:1/message", {"channelId": 2, "message": TEXT})
        received_id = sb.receive_message("email:ana@example.com", "Where is it?")
        body = {"status": "close", "category": "Resolved", "summary": "shipped"}
        await api.ok("POST", "/contact/id:1/conversation/status", body)
        await api.ok("POST", "/contact/merge", {"contactIds": [1, 2]})
        await sb.webhooks.settle()

        assert receiver.types() == [
            "contact.created", "contact.created", "contact.updated", "contact.updated",
            "contact.tag.updated", "contact.tag.updated", "contact.lifecycle.updated",
            "contact.assignee.updated", "conversation.opened", "comment.created",
            "message.sent", "message.received", "conversation.closed", "contact.updated",
        ]  # fmt: skip
        assert receiver.rejected == 0 and sb.webhooks.stats.delivered == 14
        assert set(receiver.types()) == set(EVENT_TYPES) - {"call.ended"}
        events = receiver.deliveries
        for event in events:
            assert type(event) is PARSED_TYPES[event.event_type]
            assert isinstance(event.contact, ContactRecord)
        assert len({event.event_id for event in events}) == len(events)
        by_type = {event.event_type: event for event in events}
        # each event carries the contact as the change left it
        assert [e.contact.id for e in events[:2] if e.contact] == [1, 2]
        assert events[4].contact is not None and events[4].contact.tags == ("vip",)
        assert events[5].contact is not None and events[5].contact.tags == ()
        assert by_type["contact.lifecycle.updated"].contact.lifecycle == "Customer"  # type: ignore[union-attr]
        assignee = by_type["contact.assignee.updated"].contact.assignee  # type: ignore[union-attr]
        assert assignee is not None and assignee.id == 2
        sent, received = by_type["message.sent"], by_type["message.received"]
        assert isinstance(sent, MessageSent) and isinstance(sent.message, MessageRecord)
        assert sent.message.traffic == "outgoing" and sent.message.message == TEXT
        assert sent.channel is not None and sent.channel.id == 2
        number = sent.to_dict()["message"]["channelMessageId"]
        assert type(number) is int  # a number, as webhooks send it
        assert sent.message.channel_message_id == str(number)  # read as the SDK's string
        assert isinstance(received, MessageReceived) and received.message is not None
        assert received.message.message_id == received_id and received.message.traffic == "incoming"
        assert received.message.message == {"type": "text", "text": "Where is it?"}
        comment = by_type["comment.created"]
        assert (
            isinstance(comment, CommentCreated) and comment.extra["comment"]["text"] == "call back"
        )
        opened, closed = by_type["conversation.opened"], by_type["conversation.closed"]
        assert isinstance(opened, ConversationOpened) and opened.conversation is not None
        assert isinstance(closed, ConversationClosed) and closed.conversation is not None
        assert closed.conversation["category"] == "Resolved"
        assert closed.conversation["summary"] == "shipped"
        assert closed.conversation["openedTime"] == opened.conversation["openedTime"]
        counts = (
            closed.conversation["incomingMessageCount"],
            closed.conversation["outgoingMessageCount"],
        )
        assert counts == (1, 1)
        # the incoming message is stored: messages.list shows it
        listed = await api.ok("GET", "/contact/id:1/message/list")
        assert [(m["messageId"], m["traffic"]) for m in listed["items"]] == [
            (1, "outgoing"), (received_id, "incoming"),
        ]  # fmt: skip


async def test_an_api_answer_never_waits_for_a_delivery(start: Start) -> None:
    async with Receiver(KEY) as receiver:
        receiver.gate = asyncio.Event()  # the receiver holds every delivery open
        api = await hooked(start, receiver)
        await api.upsert("email:ana@example.com")
        await receiver.wait_entered(1)
        for i in range(3):  # answered while the first delivery is still unanswered
            await api.ok("POST", "/contact/id:1/tag", [f"t{i}"])
        assert receiver.entered == 1 and api.sb.webhooks.pending == 4
        receiver.gate.set()
        await api.sb.webhooks.settle()
        assert receiver.types() == ["contact.created"] + ["contact.tag.updated"] * 3


@pytest.fixture(params=["memory", "redis"])
async def dedupe(request: pytest.FixtureRequest) -> AsyncIterator[WebhookDeduplicator]:
    if request.param == "memory":
        yield WebhookDeduplicator(window=60)
        return
    server: RedisServer = request.getfixturevalue("redis_server")
    shared = WebhookDeduplicator.redis(server.url, window=60, namespace=f"t:{uuid.uuid4().hex}")
    try:
        yield shared
    finally:
        await shared.aclose()


async def test_a_failed_delivery_is_retried_with_backoff_and_processed_once(
    start: Start, clock: FakeClock, dedupe: WebhookDeduplicator
) -> None:
    async with Receiver(KEY, dedupe, statuses=[500, 503]) as receiver:
        api = await hooked(start, receiver)
        hooks = api.sb.webhooks
        await api.upsert("email:ana@example.com")
        await hooks.settle()
        assert len(receiver.deliveries) == 1 and hooks.pending == 1
        clock.advance(0.99)  # the first retry waits 1 s of the sandbox's clock
        await hooks.settle()
        assert len(receiver.deliveries) == 1
        clock.advance(0.01)
        await hooks.settle()
        assert len(receiver.deliveries) == 2
        clock.advance(1.99)  # then 2 s
        await hooks.settle()
        assert len(receiver.deliveries) == 2
        clock.advance(0.01)
        await hooks.settle()
        assert [e.event_type for e in receiver.deliveries] == ["contact.created"] * 3
        assert len({e.event_id for e in receiver.deliveries}) == 1  # the same event_id
        assert [e.event_id for e in receiver.processed] == [receiver.deliveries[0].event_id]
        assert hooks.pending == 0
        assert (hooks.stats.attempts, hooks.stats.failed, hooks.stats.delivered) == (3, 2, 1)


async def test_connection_errors_are_retried_and_given_up_after_max_attempts(
    start: Start, clock: FakeClock
) -> None:
    api = await start(per_path=1000)
    hooks = api.sb.webhooks
    hooks.policy.max_attempts = 3
    api.sb.add_webhook(f"http://127.0.0.1:{free_port()}/hook", KEY)  # nobody listens
    await api.upsert("email:ana@example.com")
    for wait in (1.0, 2.0):
        await hooks.settle()
        assert hooks.pending == 1
        clock.advance(wait)
    await hooks.settle()
    assert (hooks.stats.attempts, hooks.stats.given_up, hooks.pending) == (3, 1, 0)
    clock.advance(3600)
    await hooks.settle()
    assert hooks.stats.attempts == 3


async def test_deliveries_are_bounded_in_memory(start: Start) -> None:
    api = await start(per_path=1000)
    hooks = api.sb.webhooks
    hooks.policy.max_pending = 2
    api.sb.add_webhook(f"http://127.0.0.1:{free_port()}/hook", KEY)
    for i in range(4):
        await api.upsert(f"email:c{i}@example.com")
    await hooks.settle()
    assert (hooks.pending, hooks.stats.dropped) == (2, 2)


async def test_a_timed_out_delivery_is_retried(
    start: Start, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "aelyst_async.sandbox.webhooks")
    async with Receiver(KEY) as receiver:
        receiver.gate = asyncio.Event()  # the first delivery is never answered in time
        api = await hooked(start, receiver)
        hooks = api.sb.webhooks
        hooks.policy.timeout = 0.3
        await api.upsert("email:ana@example.com")
        await hooks.settle()
        assert (hooks.stats.failed, hooks.pending) == (1, 1)
        assert "attempt 1 failed (" in caplog.text and "Timeout" in caplog.text
        receiver.gate.set()
        hooks.policy.timeout = 60.0  # the retry may take its time (a busy machine)
        clock.advance(1.0)
        await hooks.settle()
        assert (hooks.stats.delivered, hooks.pending) == (1, 0)
        assert len({e.event_id for e in receiver.deliveries}) == 1
        assert len(receiver.processed) == 1


async def test_only_applied_changes_are_sent_a_lost_answer_included(start: Start) -> None:
    async with Receiver(KEY) as receiver:
        api = await hooked(start, receiver)
        operation = "POST /contact/create_or_update/{identifier}"
        api.sb.inject_fault("fail", operation=operation)  # a 500 before applying
        assert (await api.upsert("email:ana@example.com")).status == 500
        api.sb.inject_fault("lose", operation=operation)  # applied, the answer lost
        with pytest.raises(aiohttp.ClientError):
            await api.upsert("email:ana@example.com")
        await api.sb.webhooks.settle()
        assert receiver.types() == ["contact.created"]
        assert receiver.deliveries[0].contact is not None
        assert receiver.deliveries[0].contact.email == "ana@example.com"


async def test_duplicate_fault_delivers_an_event_twice_and_the_receiver_processes_it_once(
    start: Start,
) -> None:
    async with Receiver(KEY) as receiver:
        api = await hooked(start, receiver)
        api.sb.webhooks.inject_fault("duplicate", event_type="contact.tag.updated")
        await api.upsert("email:ana@example.com")
        await api.ok("POST", "/contact/id:1/tag", ["vip"])
        await api.ok("POST", "/contact/id:1/tag", ["new"])
        await api.sb.webhooks.settle()
        types = ["contact.created", "contact.tag.updated", "contact.tag.updated"]
        assert receiver.types() == [types[0], types[1], types[1], types[2]]
        assert receiver.deliveries[1].event_id == receiver.deliveries[2].event_id
        assert [e.event_type for e in receiver.processed] == types
        assert api.sb.webhooks.stats.duplicated == 1


async def test_reorder_fault_delivers_an_event_after_the_next_one(start: Start) -> None:
    async with Receiver(KEY) as receiver:
        api = await hooked(start, receiver)
        api.sb.webhooks.inject_fault("reorder")
        await api.upsert("email:ana@example.com")
        await api.ok("POST", "/contact/id:1/lifecycle/update", {"name": "Customer"})
        await api.sb.webhooks.settle()
        assert receiver.types() == ["contact.lifecycle.updated", "contact.created"]
        api.sb.webhooks.inject_fault("reorder")  # with no event after it, settle lets it go
        await api.ok("POST", "/contact/id:1/tag", ["vip"])
        assert api.sb.webhooks.pending == 1
        await api.sb.webhooks.settle()
        assert receiver.types()[-1] == "contact.tag.updated"
        assert api.sb.webhooks.stats.reordered == 2


async def test_events_filter_and_signing_keys_per_webhook(start: Start) -> None:
    async with Receiver(KEY) as everything, Receiver("other-key") as messages_only:
        api = await hooked(start, everything)
        api.sb.add_webhook(messages_only.url, "other-key", events=["message.received"])
        await api.upsert("email:ana@example.com", {"firstName": "Ana", "phone": "+60123456789"})
        api.sb.receive_message("id:1", "hi")
        await api.sb.webhooks.settle()
        assert everything.types() == ["contact.created", "message.received"]
        assert messages_only.types() == ["message.received"]  # its own key verifies
        assert everything.rejected == messages_only.rejected == 0


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"events": ["contact.created", "contact.create"]}, r"events\[1\]: unknown event type"),
        ({"events": "contact.created"}, "events: a list of event types, not the string"),
        ({"events": []}, "events: empty"),
        ({"url": "ftp://127.0.0.1/hook"}, "url: an http:// or https:// URL required"),
        ({"url": "/hook"}, "url: an http:// or https:// URL required"),
        ({"signing_key": ""}, "signing_key: a non-empty string required"),
    ],
)
def test_add_webhook_refuses_bad_arguments_naming_them(
    kwargs: dict[str, object], problem: str
) -> None:
    sb = Sandbox()
    arguments: dict[str, object] = {"url": "http://127.0.0.1:9/hook", "signing_key": KEY}
    with pytest.raises(ValueError, match=problem):
        sb.add_webhook(**{**arguments, **kwargs})  # type: ignore[arg-type]
    assert sb.webhooks.subscriptions == []
    sb.store.close()


def test_policy_fields_are_checked_and_deliveries_need_the_event_loop() -> None:
    sb = Sandbox()
    for field, bad in [("max_attempts", 0), ("first_retry", 0.0), ("timeout", -1.0)]:
        with pytest.raises(ValueError, match=field):
            setattr(sb.webhooks.policy, field, bad)
    assert sb.webhooks.policy.max_attempts == 8
    sb.store.create({"firstName": "Ana", "email": "ana@example.com"}, created_at=0)
    assert sb.receive_message("id:1", "hi") == 1  # no webhook: nothing to deliver
    sb.add_webhook("http://127.0.0.1:9/hook", KEY)
    with pytest.raises(RuntimeError, match="start the sandbox or call it on an event loop"):
        sb.receive_message("id:1", "hi again")
    assert list(sb.space.messages) == [1]
    sb.store.close()


async def test_receive_message_refuses_bad_arguments_naming_them(start: Start) -> None:
    api = await start()
    sb = api.sb
    await api.upsert("email:ana@example.com")  # on the email channel only
    for args, problem in [
        (("id:9", "hi"), "identifier: no contact 'id:9'"),
        (("ana", "hi"), "identifier: malformed 'ana'"),
        (("id:1", "  "), "text: a non-empty string required"),
    ]:
        with pytest.raises(ValueError, match=problem):
            sb.receive_message(*args)
    with pytest.raises(ValueError, match="channel_id: no channel 99"):
        sb.receive_message("id:1", "hi", channel_id=99)
    with pytest.raises(ValueError, match="kind: unknown webhook fault"):
        sb.webhooks.inject_fault("lose")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"event_type: unknown event type 'contact\.create'"):
        sb.webhooks.inject_fault("duplicate", event_type="contact.create")
    with pytest.raises(ValueError, match="times: an int >= 1"):
        sb.webhooks.inject_fault("duplicate", times=0)
    assert sb.space.messages == {}
    assert sb.receive_message("email:ana@example.com", "hi") == 1


async def test_the_signing_key_never_appears_in_logs_or_reprs(
    start: Start, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with Receiver(KEY, statuses=[500]) as receiver:
        api = await hooked(start, receiver)
        hooks = api.sb.webhooks
        hooks.policy.max_attempts = 2
        secret_url = f"http://user:pw-9f3@127.0.0.1:{free_port()}/hook?token=tk-77a"
        api.sb.add_webhook(secret_url, KEY)
        await api.upsert("email:ana@example.com")
        await hooks.settle()
        clock.advance(1.0)
        await hooks.settle()
        assert len(receiver.deliveries) == 2 and hooks.stats.given_up == 1
    assert "attempt 1 failed (answered 500)" in caplog.text
    assert "given up" in caplog.text
    shown = caplog.text + repr(hooks) + repr(hooks.subscriptions) + repr(hooks.stats)
    for secret in (KEY, "pw-9f3", "tk-77a"):
        assert secret not in shown


async def test_reset_forgets_webhook_faults_and_counters_but_keeps_subscriptions(
    start: Start,
) -> None:
    async with Receiver(KEY) as receiver:
        api = await hooked(start, receiver)
        api.sb.webhooks.inject_fault("duplicate")
        await api.upsert("email:ana@example.com")
        await api.sb.webhooks.settle()
        api.sb.webhooks.inject_fault("duplicate")
        api.sb.reset()
        assert api.sb.webhooks.stats.attempts == 0
        await api.upsert("email:ana@example.com")
        await api.sb.webhooks.settle()
        assert receiver.types() == ["contact.created"] * 3  # twice, then once after the reset


async def test_a_sandbox_serving_from_its_own_thread_delivers_and_retries_on_its_clock() -> None:
    async with Receiver(KEY, statuses=[500]) as receiver:
        with running_sandbox() as sb:  # its own loop in a thread; a VirtualClock
            sb.add_webhook(receiver.url, KEY)
            client = sandbox_client(sb)
            await client.contacts.create_or_update("email:ana@example.com", Contact("Ana"))
            await sb.webhooks.settle()  # from this loop
            assert receiver.types() == ["contact.created"] and sb.webhooks.pending == 1
            sb.clock.advance(1.0)  # from this thread: the retry runs on the sandbox's loop
            sb.receive_message("email:ana@example.com", "hi")
            await sb.webhooks.settle()
        assert receiver.types() == ["contact.created", "contact.created", "message.received"]
        assert [e.event_type for e in receiver.processed] == ["contact.created", "message.received"]


async def test_admin_endpoints_receive_a_message_and_show_webhooks(start: Start) -> None:
    async with Receiver(KEY) as receiver:
        api = await hooked(start, receiver)
        api.sb.add_webhook(
            f"http://u:pw-9f3@127.0.0.1:{free_port()}/x?t=1", KEY, events=["message.sent"]
        )
        await api.upsert("email:ana@example.com")
        reply = await api.admin("/_sandbox/receive_message", {"identifier": "id:1", "text": "hi"})
        assert (reply.status, reply.json()) == (200, {"messageId": 1})
        for bad, problem in [
            ({"identifier": "id:9", "text": "hi"}, "identifier: no contact 'id:9'"),
            ({"identifier": "id:1", "text": "hi", "channelId": True}, "channel_id: no channel"),
            ({"identifier": "id:1", "txt": "hi"}, '{"identifier", "text", "channelId"?}'),
        ]:
            reply = await api.admin("/_sandbox/receive_message", bad)
            assert reply.status == 400 and problem in reply.json()["message"]
        await api.sb.webhooks.settle()
        assert receiver.types() == ["contact.created", "message.received"]
        shown = await api.get("/_sandbox/webhooks")
        assert shown.status == 200
        subscriptions = shown.json()["subscriptions"]
        assert [s["events"] for s in subscriptions] == [None, ["message.sent"]]
        assert subscriptions[0]["url"] == receiver.url
        assert subscriptions[1]["url"].startswith("http://127.0.0.1:")
        assert subscriptions[1]["url"].endswith("/x")  # no credentials, no query
        assert shown.json()["stats"]["delivered"] == 2
        assert KEY.encode() not in shown.body and b"pw-9f3" not in shown.body


def test_the_webhook_option_subscribes_and_delivers(monkeypatch: pytest.MonkeyPatch) -> None:
    port, key = free_port(), "k3y=="  # a key may contain '=': the URL ends at the first one
    url = f"http://127.0.0.1:{port}/hook"
    seen: list[str] = []

    async def serve(sandbox: Sandbox) -> None:  # instead of serving until Ctrl-C
        assert [s.url for s in sandbox.webhooks.subscriptions] == [url]
        async with Receiver(key, port=port) as receiver, sandbox:
            sandbox.store.create({"firstName": "Ana"}, created_at=0)  # not through the API
            await sandbox.webhooks.settle()
            assert receiver.deliveries == []
            sandbox.receive_message("id:1", "hi", channel_id=3)
            await sandbox.webhooks.settle()
            seen.extend(receiver.types())

    monkeypatch.setattr(sandbox_cli, "_serve", serve)
    assert main(["sandbox", "--port", "0", "--webhook", f"{url}={key}"]) == 0
    assert seen == ["message.received"]


async def test_the_command_shows_webhook_urls_without_credentials_or_key(
    capsys: pytest.CaptureFixture[str],
) -> None:
    async with Sandbox() as sandbox:
        sandbox.add_webhook("http://ana:pa55@127.0.0.1:9/hook?t=s3cret", "k3y-777")
        sandbox_cli._announce(sandbox)
    shown = capsys.readouterr().out
    assert "webhook: http://127.0.0.1:9/hook (signed with its key)" in shown
    assert not [s for s in ("pa55", "s3cret", "k3y-777") if s in shown]


@pytest.mark.parametrize(
    ("argv", "problem"),
    [
        (["--webhook", "http://127.0.0.1:9/hook"], "not URL=KEY"),
        (["--webhook", "http://127.0.0.1:9/hook="], "not URL=KEY"),
    ],
)
def test_a_bad_webhook_option_is_a_usage_error(
    argv: list[str], problem: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["sandbox", *argv])
    assert exc.value.code == 2
    assert problem in capsys.readouterr().err


def test_a_webhook_option_with_a_bad_url_exits_2_without_showing_the_key(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["sandbox", "--webhook", f"localhost:9/hook={KEY}"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("aelyst sandbox: url: an http:// or https:// URL required")
    assert KEY not in err
