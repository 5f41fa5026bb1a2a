"""Writes the API applies after the client gave up (the sandbox's ``late`` and ``hang``
faults), on virtual time: a re-keying upsert never creates a second contact and never answers
another contact's id."""

from __future__ import annotations

import asyncio

import pytest

from aelyst_async import AelystClient, Contact, MaybeAppliedError, RetryPolicy
from aelyst_async.sandbox import Sandbox
from tests.virtual_time import virtual_time

UPSERT = "POST /contact/create_or_update/{identifier}"


def sandbox(**options: object) -> Sandbox:
    loop = asyncio.get_running_loop()
    return Sandbox(clock=loop.time, per_path=1000, late_delay=2.0, **options)  # type: ignore[arg-type]


def client(sb: Sandbox) -> AelystClient:
    return AelystClient(sb.token, base_url=sb.base_url, timeout=1.0, retry=RetryPolicy())


@virtual_time
async def test_the_late_fault_applies_after_the_clients_timeout() -> None:
    loop = asyncio.get_running_loop()
    async with sandbox(seed=3) as sb, client(sb) as c:
        sb.inject_fault("late")
        quick = c.with_options(retry=RetryPolicy(max_attempts=1))
        with pytest.raises(MaybeAppliedError):
            await quick.contacts.create("email:ana@example.com", Contact("Ana"))
        assert loop.time() == pytest.approx(1.0, abs=0.01)  # gave up at its timeout
        assert len(sb.store) == 0  # not landed yet
        await sb.faults.settle()
        assert 1.0 <= loop.time() <= 2.0 + 0.01 and len(sb.store) == 1  # landed after


@virtual_time
async def test_the_hang_fault_applies_a_write_whose_request_was_cancelled() -> None:
    async with sandbox(seed=5) as sb, client(sb) as c:
        sb.inject_fault("hang")
        task = asyncio.ensure_future(c.contacts.create("email:ana@example.com", Contact("Ana")))
        await asyncio.sleep(0.001)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await sb.faults.settle()
        assert len(sb.store) == 1  # applied although the client cancelled


@pytest.mark.parametrize("old_exists", [True, False])
@pytest.mark.parametrize("kind", ["late", "hang"])
@virtual_time
async def test_a_rekeying_upsert_whose_write_lands_late_makes_one_contact(
    old_exists: bool, kind: str
) -> None:
    for seed in range(6):  # the write lands at different points of the latency
        async with sandbox(seed=seed) as sb, client(sb) as c:
            if old_exists:
                sb.store.create({"firstName": "A", "email": "old@x.com"})
            sb.inject_fault(kind, operation=UPSERT)  # type: ignore[arg-type]
            result = await c.contacts.create_or_update(
                "email:old@x.com", Contact("A", email="new@x.com")
            )
            await sb.faults.settle()
            holders = [x for x in sb.store.contacts() if x["email"] == "new@x.com"]
            assert [x["id"] for x in holders] == [result.contact_id], seed
            assert len(sb.store) == 1


@virtual_time
async def test_a_rekey_onto_an_email_another_contact_holds_never_answers_that_contact() -> None:
    async with sandbox() as sb, client(sb) as c:
        other = sb.store.create({"firstName": "B", "email": "new@x.com"})
        mine = sb.store.create({"firstName": "A", "email": "old@x.com"})
        sb.inject_fault("lose", operation=UPSERT)
        result = await c.contacts.create_or_update(
            "email:old@x.com", Contact("A", email="new@x.com")
        )
        assert result.contact_id == mine != other  # B held it before: not this write's
        assert len(sb.store) == 2


@virtual_time
async def test_a_rekey_that_cannot_be_told_apart_raises_maybe_applied() -> None:
    async with sandbox() as sb, client(sb) as c:
        sb.store.create({"firstName": "A", "email": "old@x.com"})
        sb.inject_fault("lose", operation=UPSERT)
        task = asyncio.ensure_future(
            c.contacts.create_or_update("email:old@x.com", Contact("A", email="new@x.com"))
        )
        await asyncio.sleep(0.5)  # the answer was lost; the client is waiting out the write
        sb.store.create({"firstName": "C", "email": "new@x.com"})  # another client's contact
        with pytest.raises(MaybeAppliedError):  # two new holders: which is this write's?
            await task
        assert len(sb.store) == 2
