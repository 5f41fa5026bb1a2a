"""upsert_many / bulk_upsert against the sandbox: outcomes, bounds, ordering, settle, cancel."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import aclosing
from pathlib import Path
from typing import Any

import pytest

from aelyst_async import (
    BulkInputError,
    BulkOutcome,
    BulkProgress,
    BulkReport,
    Contact,
    ContactValidationError,
    CustomField,
    Identifier,
    IdentifierError,
    ResponseFormatError,
    ServerError,
)
from aelyst_async._bulk import DEFAULT_SETTLE_DELAY
from aelyst_async._bulk.progress import ProgressTracker
from aelyst_async.sandbox import FakeClock
from tests.bulk_helpers import (
    client_for,
    fake_sleep,
    fast_retry,
    gauged_sandbox,
    person,
    timed_outcomes,
    timed_report,
)


def by_index(outcomes: list[BulkOutcome]) -> dict[int, BulkOutcome]:
    indexes = [o.index for o in outcomes]
    assert sorted(indexes) == list(range(len(outcomes))), "each index exactly once"
    return {o.index: o for o in outcomes}


class TickingClock:
    """A clock that moves ``step`` seconds each time it is read (the sandbox reads it once per
    request), so processing windows end after a few requests without anyone sleeping."""

    def __init__(self, step: float) -> None:
        self.now = 0.0
        self.step = step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


async def test_bulk_upsert_creates_every_contact() -> None:
    async with gauged_sandbox() as (sb, _), client_for(sb) as client:
        report = await client.contacts.bulk_upsert([person(i) for i in range(40)], concurrency=8)
    assert (report.total, report.succeeded, report.failed, report.skipped) == (40, 40, 0, 0)
    assert report.failures == []
    assert len(sb.store) == 40
    assert sb.stats.requests == 40
    assert report.elapsed >= 0


async def test_upsert_many_yields_one_outcome_per_item() -> None:
    items = [person(i) for i in range(25)]
    async with gauged_sandbox() as (sb, _), client_for(sb) as client:
        outcomes = [o async for o in client.contacts.upsert_many(items, concurrency=5)]
    found = by_index(outcomes)
    for i, contact in enumerate(items):
        outcome = found[i]
        assert outcome.ok and outcome.error is None and outcome.attempts == 1
        assert outcome.identifier == f"email:{contact.email}"
        stored = sb.store.find_by_email(str(contact.email))
        assert stored is not None and stored["id"] == outcome.contact_id


@pytest.mark.parametrize("concurrency", [1, 3, 8])
async def test_requests_in_flight_never_exceed_concurrency(concurrency: int) -> None:
    async with gauged_sandbox() as (sb, gauge), client_for(sb) as client:
        report = await client.contacts.bulk_upsert(
            [person(i) for i in range(60)], concurrency=concurrency
        )
    assert report.succeeded == 60
    assert gauge.max_in_flight <= concurrency
    assert gauge.max_in_flight == concurrency  # the gauge overlaps requests: the bound is reached


async def test_invalid_items_fail_at_their_index_without_a_request() -> None:
    items: list[object] = [
        person(0),
        Contact("No identifier"),
        ("not-an-identifier", person(2)),
        (Identifier.email("x@example.com"), Contact("X", country_code="xx")),
        42,
        ("id:abc", person(5)),
        ("email:six@example.com", "not a contact"),
        ("phone:+351912345678", Contact("Eight")),
    ]
    async with gauged_sandbox() as (sb, _), client_for(sb) as client:
        report = await client.contacts.bulk_upsert(items)
    assert (report.total, report.succeeded, report.failed) == (8, 2, 6)
    assert sb.stats.requests == 2
    failures = {o.index: o for o in report.failures}
    assert sorted(failures) == [1, 2, 3, 4, 5, 6]
    assert all(o.attempts == 0 and o.contact_id is None for o in failures.values())
    assert isinstance(failures[1].error, ContactValidationError)
    assert failures[1].error.errors[0].field == "email"
    assert failures[1].identifier == ""
    assert isinstance(failures[2].error, IdentifierError)
    assert failures[2].identifier == "not-an-identifier"
    assert isinstance(failures[3].error, ContactValidationError)
    assert [p.field for p in failures[3].error.errors] == ["country_code"]
    assert failures[3].identifier == "email:x@example.com"
    assert isinstance(failures[4].error, ContactValidationError)
    assert failures[4].error.errors[0].field == "contact"
    assert isinstance(failures[5].error, IdentifierError)
    assert isinstance(failures[6].error, ContactValidationError)


async def test_exhausted_retries_are_failures_with_the_final_error() -> None:
    async with (
        gauged_sandbox(fail_rate=1.0, seed=1) as (sb, _),
        client_for(sb, retry=fast_retry(max_attempts=3)) as client,
    ):
        report = await client.contacts.bulk_upsert([person(i) for i in range(5)])
    assert (report.total, report.failed) == (5, 5)
    for outcome in report.failures:
        assert isinstance(outcome.error, ServerError)
        assert outcome.attempts == 3
    assert sb.stats.requests == 15
    assert len(sb.store) == 0


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_exactly_once_and_in_order_under_faults(seed: int) -> None:
    emails = [f"user{k}@example.com" for k in range(8)]
    items = [Contact(f"V{i}", email=emails[i % 8], last_name=f"L{i}") for i in range(48)]
    clock = FakeClock()
    async with (
        gauged_sandbox(
            clock=clock, fail_rate=0.2, lose_rate=0.15, malformed_rate=0.05, seed=seed
        ) as (sb, gauge),
        client_for(sb, retry=fast_retry(max_attempts=30)) as client,
    ):
        outcomes = [
            o async for o in timed_outcomes(client, items, clock, fake_sleep(clock), concurrency=6)
        ]
    found = by_index(outcomes)
    assert gauge.overlaps == 0
    assert gauge.max_in_flight <= 6
    assert sum(sb.stats.faults.values()) > 0
    # a garbled 2xx (applied, never retried) ends its item with ResponseFormatError; every other
    # item succeeds
    failed = [o for o in found.values() if not o.ok]
    assert all(isinstance(o.error, ResponseFormatError) for o in failed)
    assert len(failed) == sb.stats.faults["malformed"]
    assert len(sb.store) == 8, "no duplicate contact"
    for k, email in enumerate(emails):
        stored = sb.store.find_by_email(email)
        assert stored is not None
        last = max(i for i in range(48) if i % 8 == k)
        assert (stored["firstName"], stored["lastName"]) == (f"V{last}", f"L{last}")
        # the server saw this identifier's bodies in input order (retries repeat a body)
        bodies = [
            json.loads(s.body)["firstName"] for s in gauge.seen if s.identifier == f"email:{email}"
        ]
        order = [b for b, _ in itertools.groupby(bodies)]
        assert order == [f"V{i}" for i in range(48) if i % 8 == k]


async def test_same_identifier_never_overlaps_and_applies_in_input_order() -> None:
    emails = ["a@example.com", "b@example.com", "c@example.com"]
    items = [
        (f"email:{emails[i % 3]}", Contact(f"N{i}", custom_fields=[CustomField("Seats", i)]))
        for i in range(30)
    ]
    async with gauged_sandbox() as (sb, gauge), client_for(sb) as client:
        report = await client.contacts.bulk_upsert(items, concurrency=8, settle_delay=0)
    assert report.succeeded == 30
    assert gauge.overlaps == 0
    for k, email in enumerate(emails):
        seen = [json.loads(s.body)["firstName"] for s in gauge.seen if s.identifier.endswith(email)]
        assert seen == [f"N{i}" for i in range(30) if i % 3 == k]
        stored = sb.store.find_by_email(email)
        assert stored is not None
        assert stored["custom_fields"] == {"Seats": 27 + k}
    assert len(sb.store) == 3


async def test_settle_delay_follows_a_possible_create_only() -> None:
    clock = FakeClock()
    slept: list[float] = []
    sleep = fake_sleep(clock)

    async def recording_sleep(seconds: float) -> None:
        slept.append(seconds)
        await sleep(seconds)

    items: list[object] = [
        Contact("A1", email="a@example.com"),
        Contact("A2", email="a@example.com"),
        Contact("A3", email="a@example.com"),
    ]
    async with (
        gauged_sandbox(clock=clock) as (sb, gauge),
        client_for(sb, validation="off") as client,
    ):
        await timed_report(client, items, clock, recording_sleep, settle_delay=2.5)
        times = [s.at for s in gauge.seen]
        assert times == [0.0, 2.5, 5.0]
        assert slept == [2.5, 2.5]

        # a 400 cannot have written anything: no pause after it; an id: never creates
        slept.clear()
        gauge.seen.clear()
        items = [
            Contact("B1", email="b@example.com", country_code="xx"),
            Contact("B2", email="b@example.com"),
            ("id:1", Contact("I1")),
            ("id:1", Contact("I2")),
        ]
        report = await timed_report(client, items, clock, recording_sleep, settle_delay=2.5)
        assert report.failed == 1 and report.failures[0].index == 0
        assert slept == []
        # an item read after its identifier's previous item finished still waits for the delay
        slept.clear()
        report = await timed_report(
            client,
            [Contact("B3", email="b@example.com"), Contact("B4", email="b@example.com")],
            clock,
            recording_sleep,
            concurrency=1,
            buffer=0,
            settle_delay=2.5,
        )
        assert report.succeeded == 2
        assert slept == [2.5]
    assert DEFAULT_SETTLE_DELAY == 1.0


async def test_settle_delay_avoids_the_processing_window() -> None:
    clock = FakeClock()
    items = [Contact(f"N{i}", email=f"u{i % 4}@example.com") for i in range(12)]
    async with gauged_sandbox(clock=clock, processing=3.0) as (sb, _), client_for(sb) as client:
        report = await timed_report(client, items, clock, fake_sleep(clock), settle_delay=3.0)
    assert report.succeeded == 12
    assert sb.stats.queued == 0


async def test_449_processing_windows_are_retried_not_failed() -> None:
    items = [Contact(f"N{i}", email=f"u{i % 3}@example.com") for i in range(12)]
    async with (
        gauged_sandbox(clock=TickingClock(0.1), processing=2.0) as (sb, _),
        client_for(sb) as client,
    ):
        report = await client.contacts.bulk_upsert(items, concurrency=3, settle_delay=0)
    assert (report.succeeded, report.failed) == (12, 0)
    assert sb.stats.queued > 0
    assert len(sb.store) == 3
    for k in range(3):
        stored = sb.store.find_by_email(f"u{k}@example.com")
        assert stored is not None and stored["firstName"] == f"N{9 + k}"


@pytest.mark.parametrize("same_identifier", [False, True])
async def test_input_is_read_lazily_and_the_buffer_is_bounded(same_identifier: bool) -> None:
    pulled = 0

    def endless() -> Iterator[Contact]:
        nonlocal pulled
        for i in itertools.count():
            pulled += 1
            yield Contact(
                f"N{i}", email="same@example.com" if same_identifier else f"u{i}@example.com"
            )

    async with gauged_sandbox() as (sb, _), client_for(sb) as client:
        seen = 0
        outcomes = client.contacts.upsert_many(endless(), concurrency=4, buffer=6, settle_delay=0)
        async with aclosing(outcomes):
            async for _ in outcomes:
                seen += 1
                assert pulled - seen <= 4 + 6
                if seen == 30:
                    break
        assert pulled <= 30 + 4 + 6
        # the client is still usable after the stream was closed with requests in flight
        result = await client.contacts.create_or_update("email:after@example.com", Contact("A"))
        assert result.contact_id >= 1


async def test_async_iterable_input_and_progress_without_a_total() -> None:
    async def contacts() -> AsyncIterator[Contact]:
        for i in range(20):
            await asyncio.sleep(0)
            yield person(i)

    progress: list[BulkProgress] = []
    async with gauged_sandbox() as (sb, _), client_for(sb) as client:
        report = await client.contacts.bulk_upsert(
            contacts(), concurrency=4, on_progress=progress.append, progress_interval=0
        )
    assert (report.total, report.succeeded) == (20, 20)
    assert [p.done for p in progress] == [*range(1, 21), 20]
    assert all(p.total is None and p.fraction is None for p in progress)


async def test_progress_reports_counts_and_the_total() -> None:
    items: list[object] = [person(i) for i in range(10)] + [Contact("bad")]
    progress: list[BulkProgress] = []
    clock = FakeClock()
    async with gauged_sandbox(clock=clock) as (sb, _), client_for(sb) as client:
        await timed_report(client, items, clock, on_progress=progress.append, progress_interval=0)
        gen_progress: list[BulkProgress] = []
        await client.contacts.bulk_upsert(
            (person(i) for i in range(3)), total=3, on_progress=gen_progress.append
        )
    last = progress[-1]
    assert (last.done, last.succeeded, last.failed, last.skipped, last.total) == (11, 10, 1, 0, 11)
    assert last.fraction == 1.0
    assert [p.done for p in progress] == sorted(p.done for p in progress)
    assert gen_progress[-1].total == 3 and gen_progress[-1].done == 3


def counts(succeeded: int, failed: int, skipped: int) -> BulkReport:
    total = succeeded + failed + skipped
    return BulkReport(total=total, succeeded=succeeded, failed=failed, skipped=skipped)


async def test_progress_rate_and_eta_follow_the_recent_window() -> None:
    clock = FakeClock()
    calls: list[BulkProgress] = []
    tracker = ProgressTracker(calls.append, 100, 0.0, clock)
    tracker.update(counts(0, 0, 0))
    assert calls[-1].rate == 0.0 and calls[-1].eta is None
    for second in range(1, 6):
        clock.advance(1.0)
        tracker.update(counts(second * 10, 0, 0))
    assert calls[-1].rate == pytest.approx(10.0)
    assert calls[-1].eta == pytest.approx(5.0)
    for second in range(6, 30):  # slower now: the window forgets the old pace
        clock.advance(1.0)
        tracker.update(counts(50 + (second - 5) * 2, 0, 0))
    assert calls[-1].rate == pytest.approx(2.0)
    assert calls[-1].elapsed == pytest.approx(29.0)
    # skipped items count as done but not in the rate
    tracker.update(counts(98, 0, 2))
    assert calls[-1].done == 100


async def test_progress_calls_are_spaced_by_the_interval() -> None:
    clock = FakeClock()
    calls: list[BulkProgress] = []
    tracker = ProgressTracker(calls.append, None, 1.0, clock)
    for done in range(1, 6):
        tracker.update(counts(done, 0, 0))
    assert len(calls) == 1
    clock.advance(1.0)
    tracker.update(counts(6, 0, 0))
    tracker.update(counts(7, 0, 0), final=True)
    assert [c.done for c in calls] == [1, 6, 7]


async def test_cancelling_bulk_upsert_cancels_in_flight_and_the_client_stays_usable(
    tmp_path: Path,
) -> None:
    journal = tmp_path / "run.journal"
    items = [person(i) for i in range(10)]
    items += [Contact(f"H{i}", email=f"held{i}@example.com") for i in range(3)]
    items += [person(i) for i in range(10, 20)]
    async with gauged_sandbox() as (sb, gauge), client_for(sb) as client:
        gauge.hold = lambda identifier: identifier.startswith("email:held")
        finished = asyncio.Event()

        def on_progress(progress: BulkProgress) -> None:
            if progress.done == 20:
                finished.set()

        task = asyncio.create_task(
            client.contacts.bulk_upsert(
                items, concurrency=4, journal=journal, on_progress=on_progress, progress_interval=0
            )
        )
        await finished.wait()
        assert gauge.held == 3 and gauge.in_flight == 3
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        gauge.release.set()
        records = [json.loads(line) for line in journal.read_text().splitlines()[1:]]
        assert sorted(r["index"] for r in records) == [*range(10), *range(13, 23)]
        assert all(r["ok"] for r in records)

        result = await client.contacts.create_or_update("email:after@example.com", Contact("A"))
        assert result.contact_id == 21

        gauge.hold = lambda _identifier: False
        before = sb.stats.requests
        report = await client.contacts.bulk_upsert(items, concurrency=4, journal=journal)
    assert (report.total, report.succeeded, report.failed, report.skipped) == (23, 3, 0, 20)
    assert sb.stats.requests - before == 3
    assert len(sb.store) == 24


async def test_closing_the_stream_journals_what_finished(tmp_path: Path) -> None:
    journal = tmp_path / "run.journal"
    async with gauged_sandbox() as (sb, _), client_for(sb) as client:
        yielded: list[BulkOutcome] = []
        outcomes = client.contacts.upsert_many(
            [person(i) for i in range(50)], concurrency=4, journal=journal
        )
        async with aclosing(outcomes):
            async for outcome in outcomes:
                yielded.append(outcome)
                if len(yielded) == 10:
                    break
        records = [json.loads(line) for line in journal.read_text().splitlines()[1:]]
        assert {o.index for o in yielded} <= {r["index"] for r in records}
        assert len({r["index"] for r in records}) == len(records)
        report = await client.contacts.bulk_upsert(
            [person(i) for i in range(50)], concurrency=4, journal=journal
        )
    assert report.skipped == len(records)
    assert report.skipped + report.succeeded == 50
    assert len(sb.store) == 50


async def test_an_error_from_the_input_stops_the_run() -> None:
    def broken() -> Iterator[Contact]:
        yield from (person(i) for i in range(5))
        raise RuntimeError("input broke")

    async with gauged_sandbox() as (sb, _), client_for(sb) as client:
        with pytest.raises(BulkInputError, match="input broke") as caught:
            await client.contacts.bulk_upsert(broken(), concurrency=2)
        assert caught.value.report.succeeded == 5 and len(sb.store.contacts()) == 5
        result = await client.contacts.create_or_update("email:after@example.com", Contact("A"))
        assert result.contact_id >= 1


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"concurrency": 0}, "concurrency"),
        ({"concurrency": True}, "concurrency"),
        ({"buffer": -1}, "buffer"),
        ({"settle_delay": -1.0}, "settle_delay"),
        ({"settle_delay": float("inf")}, "settle_delay"),
    ],
)
async def test_bad_options_are_refused_at_the_call(
    options: dict[str, object], message: str
) -> None:
    async with gauged_sandbox() as (sb, _), client_for(sb) as client:
        with pytest.raises(ValueError, match=message):
            client.contacts.upsert_many([], **options)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match=message):
            await client.contacts.bulk_upsert([], **options)  # type: ignore[arg-type]


async def test_empty_input() -> None:
    progress: list[BulkProgress] = []
    async with gauged_sandbox() as (sb, _), client_for(sb) as client:
        report = await client.contacts.bulk_upsert([], on_progress=progress.append)
    assert (report.total, report.succeeded, report.failed) == (0, 0, 0)
    assert progress[-1].done == 0 and progress[-1].total == 0


@pytest.mark.parametrize("concurrency", [1, 4])
async def test_a_rekey_chain_runs_in_input_order(concurrency: int) -> None:
    items: list[Any] = [
        Contact("Old", email="old@example.com"),
        ("email:old@example.com", Contact("Moved", email="new@example.com")),
        ("email:new@example.com", Contact("Updated", last_name="L")),
        ("email:NEW@example.com", Contact("Again")),
    ]
    async with gauged_sandbox() as (sb, gauge), client_for(sb) as client:
        report = await client.contacts.bulk_upsert(items, concurrency=concurrency, settle_delay=0)
        assert report.succeeded == 4
        [stored] = sb.store.contacts()  # one contact, as when run one by one
        assert (stored["email"], stored["firstName"], stored["lastName"]) == (
            "new@example.com",
            "Again",
            "L",
        )
        assert gauge.max_in_flight == 1  # each waited for the one before it
