"""client.comments and client.conversations: wire format, checks by field, errors, retries."""

from __future__ import annotations

from typing import Any

import pytest

from aelyst_async import (
    AuthenticationError,
    BadRequestError,
    MaybeAppliedError,
    NotFoundError,
    ServerError,
    ValidationError,
)
from tests.resource_helpers import LOST, NOT_WRITTEN, reply, scripted_client
from tests.virtual_time import virtual_time

COMMENTED = reply(200, {"contactId": 7, "text": "x", "created_at": 1767225600})
DONE = reply(200, {"contactId": 7})


def fields(exc: pytest.ExceptionInfo[ValidationError]) -> list[str]:
    return [problem.field for problem in exc.value.errors]


@virtual_time
async def test_comment_posts_the_text_and_returns_none() -> None:
    client, transport = scripted_client(COMMENTED, COMMENTED)
    assert await client.comments.create("id:7", "Called, no answer {{@user.42}}") is None
    assert await client.comments.create("id:7", "x" * 1000) is None
    sent = transport.sent[0]
    assert (sent.method, sent.path, sent.idempotent) == ("POST", "/contact/id:7/comment", False)
    assert sent.json() == {"text": "Called, no answer {{@user.42}}"}


@pytest.mark.parametrize(
    ("text", "validation", "problem"),
    [
        ("x" * 1001, "basic", "at most 1000 characters"),
        ("   ", "basic", "must not be blank"),
        (None, "off", "must be a string"),
        ("\ud800", "off", "lone surrogate"),
    ],
)
@virtual_time
async def test_comment_text_is_checked(text: Any, validation: str, problem: str) -> None:
    client, transport = scripted_client(validation=validation)
    with pytest.raises(ValidationError, match=problem) as exc:
        await client.comments.create("id:7", text)
    assert fields(exc) == ["text"]
    assert transport.sent == []


@pytest.mark.parametrize("failure", [reply(500), LOST], ids=["500", "lost"])
@virtual_time
async def test_a_comment_is_never_posted_twice(failure: Any) -> None:
    client, transport = scripted_client(failure, COMMENTED)
    with pytest.raises(MaybeAppliedError):
        await client.comments.create("id:7", "Hello")
    assert len(transport.sent) == 1


@pytest.mark.parametrize("first", [reply(429), reply(449), NOT_WRITTEN], ids=["429", "449", "nw"])
@virtual_time
async def test_a_comment_surely_not_applied_is_resent(first: Any) -> None:
    client, transport = scripted_client(first, COMMENTED)
    await client.comments.create("id:7", "Hello")
    assert len(transport.sent) == 2


@pytest.mark.parametrize(
    ("status", "error"), [(400, BadRequestError), (401, AuthenticationError), (404, NotFoundError)]
)
@virtual_time
async def test_comment_errors(status: int, error: type[Exception]) -> None:
    client, transport = scripted_client(reply(status))
    with pytest.raises(error):
        await client.comments.create("id:7", "Hello")
    assert len(transport.sent) == 1


@pytest.mark.parametrize("assignee", [42, "agent@example.com", None])
@virtual_time
async def test_assign_sends_the_user_id_email_or_null(assignee: Any) -> None:
    client, transport = scripted_client(DONE)
    assert await client.conversations.assign("phone:+60123456789", assignee) is None
    sent = transport.sent[0]
    assert (sent.method, sent.path) == ("POST", "/contact/phone:+60123456789/conversation/assignee")
    assert sent.json() == {"assignee": assignee}


@pytest.mark.parametrize(
    ("assignee", "problem"),
    [(0, "positive int id"), (True, "positive int id"), ("agent", "email"), (4.2, "user email")],
)
@virtual_time
async def test_assign_refuses_what_names_no_user(assignee: Any, problem: str) -> None:
    client, transport = scripted_client()
    with pytest.raises(ValidationError, match=problem) as exc:
        await client.conversations.assign("id:7", assignee)
    assert fields(exc) == ["assignee"]
    assert transport.sent == []


@virtual_time
async def test_assign_is_idempotent_and_retried_after_a_5xx() -> None:
    client, transport = scripted_client(reply(500), LOST, DONE, reply(404))
    await client.conversations.assign("id:7", 42)
    assert len(transport.sent) == 3
    with pytest.raises(NotFoundError):
        await client.conversations.assign("id:7", "nobody@example.com")


@virtual_time
async def test_update_status_sends_status_and_closing_note() -> None:
    client, transport = scripted_client(DONE, DONE)
    await client.conversations.update_status(
        "id:7", "close", category="Resolved", summary="s" * 512
    )
    assert await client.conversations.update_status("id:7", "open") is None
    close, reopen = transport.sent
    assert (close.method, close.path) == ("POST", "/contact/id:7/conversation/status")
    assert close.json() == {"status": "close", "category": "Resolved", "summary": "s" * 512}
    assert reopen.json() == {"status": "open"}


@pytest.mark.parametrize(
    ("status", "category", "summary", "expected"),
    [
        ("closed", None, None, ["status"]),
        ("close", "c" * 129, None, ["category"]),
        ("close", None, "s" * 513, ["summary"]),
        ("close", "", 5, ["category", "summary"]),
        ("open", "Resolved", None, ["category"]),
    ],
)
@virtual_time
async def test_update_status_checks_by_field(
    status: Any, category: Any, summary: Any, expected: list[str]
) -> None:
    client, transport = scripted_client()
    with pytest.raises(ValidationError) as exc:
        await client.conversations.update_status("id:7", status, category, summary)
    assert fields(exc) == expected
    assert transport.sent == []


@virtual_time
async def test_update_status_errors() -> None:
    client, transport = scripted_client(reply(400), *[reply(500)] * 4)
    with pytest.raises(BadRequestError):
        await client.conversations.update_status("id:7", "close", category="Unknown")
    with pytest.raises(ServerError):
        await client.conversations.update_status("id:7", "open")
    assert len(transport.sent) == 5  # the 400 once, the 5xx until max_attempts (4)


@virtual_time
async def test_a_view_with_validation_off_sends_what_strict_refuses() -> None:
    client, transport = scripted_client(COMMENTED)
    with pytest.raises(ValidationError):
        await client.comments.create("id:7", "x" * 1001)
    await client.with_options(validation="off").comments.create("id:7", "x" * 1001)
    assert transport.sent[0].json() == {"text": "x" * 1001}


@virtual_time
async def test_a_closed_client_sends_nothing() -> None:
    client, transport = scripted_client()
    await client.aclose()
    with pytest.raises(RuntimeError, match="closed"):
        await client.conversations.assign("id:7", 42)
    assert transport.sent == []
