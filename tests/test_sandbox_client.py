"""The SDK's public client against the sandbox, end to end (only calls that never wait)."""

from __future__ import annotations

import pytest

from aelyst_async import (
    AelystClient,
    AuthenticationError,
    BadRequestError,
    Contact,
    Identifier,
    NotFoundError,
)
from aelyst_async.sandbox import FakeClock, Sandbox
from tests.test_convert import documented_contact


async def test_client_upserts_against_the_sandbox() -> None:
    async with (
        Sandbox(clock=FakeClock()) as sb,
        AelystClient(token=sb.token, base_url=sb.base_url) as client,
    ):
        created = await client.contacts.create_or_update("phone:+60123456789", documented_contact())
        assert created.contact_id == 1
        updated = await client.contacts.create_or_update(
            Identifier.id(1), Contact("Muhammad", last_name=None)
        )
        assert updated.contact_id == 1
        slash = await client.contacts.create_or_update(
            Identifier.email("a/b@example.com"), Contact("Slash")
        )
        assert slash.contact_id == 2
        with pytest.raises(NotFoundError):
            await client.contacts.create_or_update("id:99", Contact("Nobody"))
    stored = sb.store.get(1)
    assert stored is not None
    assert (stored["firstName"], stored["lastName"], stored["email"]) == (
        "Muhammad", None, "test@example.com",
    )  # fmt: skip
    assert sb.store.find_by_email("a/b@example.com") is not None


async def test_client_errors_from_the_sandbox() -> None:
    async with Sandbox(clock=FakeClock()) as sb:
        async with AelystClient(token="wrong", base_url=sb.base_url) as client:
            with pytest.raises(AuthenticationError):
                await client.contacts.create_or_update("id:1", Contact("Ana"))
        async with AelystClient(token=sb.token, base_url=sb.base_url, validation="off") as client:
            with pytest.raises(BadRequestError):
                await client.contacts.create_or_update("id:1", Contact("Ana", country_code="xx"))
    assert sb.stats.statuses == {401: 1, 400: 1}
