"""client.with_options: a view with its own timeout, retry policy or validation mode that shares
the original's session, throttle and statistics."""

from __future__ import annotations

import pytest

from aelyst_async import AelystClient, Contact, ContactValidationError, RetryPolicy, ServerError
from tests.fake_api import TOKEN, FakeAPI, Scripted


async def test_a_view_shares_session_throttle_and_stats(fake_api: FakeAPI) -> None:
    async with AelystClient(token=TOKEN, base_url=fake_api.base_url) as client:
        lenient = client.with_options(validation="off", retry=RetryPolicy(max_attempts=1))
        with pytest.raises(ContactValidationError):
            await client.contacts.create_or_update("id:1", Contact("Ana", country_code="xx"))
        await lenient.contacts.create_or_update("id:1", Contact("Ana", country_code="xx"))
        fake_api.answer(Scripted(500, json={"code": 500, "message": "Unexpected error occurred"}))
        with pytest.raises(ServerError):  # one attempt: no retry in the view
            await lenient.contacts.create_or_update("id:1", Contact("Ana"))
        assert client.stats.requests == lenient.stats.requests == 2
        assert client.stats.server_errors == 1
        assert lenient.throttle_snapshot() == client.throttle_snapshot()
        assert lenient._transport._sessions is client._transport._sessions  # type: ignore[attr-defined]
        assert (lenient.validation, client.validation) == ("off", "strict")
        patient = client.with_options(timeout=120)
        assert patient.timeout == 120 and client.timeout == 30.0
        await patient.aclose()
        assert patient.closed and not client.closed
        await client.contacts.create_or_update("id:1", Contact("Ana"))
    assert lenient.closed
    with pytest.raises(RuntimeError, match="closed"):
        await lenient.contacts.create_or_update("id:1", Contact("Ana"))


def test_view_options_are_checked() -> None:
    client = AelystClient(token=TOKEN)
    with pytest.raises(ValueError, match="timeout"):
        client.with_options(timeout=-1)
    with pytest.raises(ValueError, match="timeout must be a positive number"):
        client.with_options(timeout=0)  # aiohttp would read 0 as "no timeout"
    with pytest.raises(ValueError, match="timeout"):
        client.with_options(timeout=float("nan"))
    with pytest.raises(ValueError, match="validation"):
        client.with_options(validation="loose")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="retry"):
        client.with_options(retry=3)  # type: ignore[arg-type]


async def test_a_view_times_out_after_its_own_timeout_and_keeps_its_other_options() -> None:
    client = AelystClient(token=TOKEN, validation="basic", retry=RetryPolicy(max_attempts=2))
    patient = client.with_options(timeout=90)
    assert (patient.timeout, patient.validation) == (90, "basic")
    assert patient._sender.retry == RetryPolicy(max_attempts=2)
    assert patient._transport._timeout.total == 90  # type: ignore[attr-defined]
    assert client._transport._timeout.total == 30.0  # type: ignore[attr-defined]
    await client.aclose()
