"""Bulk items that cannot be sent, the send seam, and what a run keeps: one outcome each."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

import aelyst_async._bulk
from aelyst_async import Contact, ContactValidationError, IdentifierError, ServerError
from aelyst_async._bulk import BulkOptions, bulk_upsert, upsert_many
from aelyst_async._bulk.items import Entry, Sent
from aelyst_async.sandbox import FakeClock
from tests.bulk_helpers import (
    client_for,
    fake_sleep,
    fast_retry,
    gauged_sandbox,
    person,
    timed_report,
)


@pytest.mark.parametrize("validation", ["strict", "basic", "off"])
async def test_unsendable_text_in_an_email_fails_that_item_at_its_index(validation: str) -> None:
    items = [
        person(0),
        Contact("Tab", email="a\tb@example.com"),
        Contact("Nul", email="a\x00b@example.com"),
        Contact("Newline", email="a\nb@example.com"),
        Contact("Surrogate", email="a\ud800b@example.com"),
        ("email:c\ud800@example.com", Contact("Pair")),
        Contact("Name\ud800", email="d@example.com"),
        person(7),
    ]
    async with gauged_sandbox() as (sb, _), client_for(sb, validation=validation) as client:
        report = await client.contacts.bulk_upsert(items)  # type: ignore[arg-type]
    assert (report.total, report.succeeded, report.failed) == (8, 2, 6)
    failures = {o.index: o for o in report.failures}
    assert sorted(failures) == [1, 2, 3, 4, 5, 6]
    for index in (1, 2, 3):
        assert isinstance(failures[index].error, IdentifierError)
        assert "\\x" in failures[index].identifier  # printable: the control character escaped
    for index in (4, 5):  # the identifier (derived from the email, or given) cannot be sent
        assert isinstance(failures[index].error, IdentifierError)
        assert "lone surrogate" in str(failures[index].error)
    assert failures[4].identifier == "email:a\\ud800b@example.com"
    assert isinstance(failures[6].error, ContactValidationError)
    assert sb.stats.requests == 2


async def test_emails_differing_in_case_are_one_contact_in_order() -> None:
    spellings = ["Ana@Example.com", "ana@example.com", "ANA@EXAMPLE.COM"]
    items = [(f"email:{spellings[i % 3]}", Contact(f"N{i}")) for i in range(12)]
    async with gauged_sandbox() as (sb, gauge), client_for(sb) as client:
        gauge.key = str.lower
        report = await client.contacts.bulk_upsert(items, concurrency=8, settle_delay=0)
    assert report.succeeded == 12
    assert gauge.overlaps == 0
    assert [json.loads(s.body)["firstName"] for s in gauge.seen] == [f"N{i}" for i in range(12)]


async def test_failed_outcomes_keep_no_traceback() -> None:
    async with (
        gauged_sandbox(fail_rate=1.0, seed=1) as (sb, _),
        client_for(sb, retry=fast_retry(max_attempts=2)) as client,
    ):
        report = await client.contacts.bulk_upsert([person(i) for i in range(3)])
    assert report.failed == 3
    for outcome in report.failures:
        error: BaseException | None = outcome.error
        assert isinstance(error, ServerError)
        while error is not None:
            assert error.__traceback__ is None
            error = error.__cause__ or error.__context__


async def test_the_report_says_how_long_the_run_took() -> None:
    clock = FakeClock()
    items = [Contact("A1", email="a@example.com"), Contact("A2", email="a@example.com")]
    async with gauged_sandbox(clock=clock) as (sb, _), client_for(sb) as client:
        report = await timed_report(client, items, clock, fake_sleep(clock), settle_delay=2.5)
    assert report.succeeded == 2
    assert report.elapsed == pytest.approx(2.5)


async def test_a_concurrency_hint_is_followed_and_a_given_concurrency_caps() -> None:
    hints: list[int] = []

    def hint() -> int:
        hints.append(3)
        return 3

    async with gauged_sandbox() as (sb, gauge), client_for(sb) as client:
        send = client.contacts.send_for_bulk
        items = [person(i) for i in range(30)]
        report = await bulk_upsert(send, items, BulkOptions(), concurrency_hint=hint)
        assert report.succeeded == 30 and hints
        assert gauge.max_in_flight == 3
        gauge.max_in_flight = 0
        items = [person(i) for i in range(30, 60)]
        report = await bulk_upsert(send, items, BulkOptions(concurrency=2), concurrency_hint=hint)
        assert report.succeeded == 30
        assert gauge.max_in_flight == 2


async def test_bulk_needs_only_a_send_callable() -> None:
    sent: list[tuple[str, str]] = []

    async def send(entry: Entry) -> Sent:
        sent.append((str(entry.identifier), entry.contact.first_name))
        return Sent(len(sent))

    items = [person(0), ("id:9", Contact("Nine")), Contact("none")]
    outcomes = [o async for o in upsert_many(send, items, BulkOptions(settle_delay=0))]
    assert sorted(sent) == [("email:person0@example.com", "Person0"), ("id:9", "Nine")]
    assert sorted((o.index, o.ok) for o in outcomes) == [(0, True), (1, True), (2, False)]


def test_bulk_does_not_import_the_client() -> None:
    package = Path(aelyst_async._bulk.__file__).parent
    imported = set()
    for module in package.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.ImportFrom):
                imported.add(node.module or "")
    assert imported >= {"_errors", "types.bulk"}
    assert not any(name.endswith(("_client", "_resources", "_cli")) for name in imported)
