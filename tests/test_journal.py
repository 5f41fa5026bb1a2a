"""The bulk journal: its records, content matching, the lock, repair and refusal of corruption."""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
from pathlib import Path
from typing import Any

import pytest

from aelyst_async import (
    BulkOutcome,
    Contact,
    ContactValidationError,
    CustomField,
    JournalError,
    ServerError,
    ValidationProblem,
)
from aelyst_async._bulk.items import content_key
from aelyst_async._bulk.journal import MISSING, Journal, outcome_record
from tests.bulk_helpers import client_for, fast_retry, gauged_sandbox, person

MARK = '{"journal": "aelyst_async.bulk", "version": 3}\n'


def records(path: Path) -> list[dict[str, object]]:
    lines = path.read_text().splitlines()
    assert json.loads(lines[0]) == {"journal": "aelyst_async.bulk", "version": 3}
    return [json.loads(line) for line in lines[1:]]


def key_of(contact: Contact, identifier: str | None = None) -> str:
    return content_key(identifier or f"email:{contact.email}", contact)


async def test_outcome_records() -> None:
    ok = BulkOutcome(3, "email:a@example.com", True, contact_id=7, attempts=2)
    assert outcome_record(ok, "ab" * 16) == {
        "key": "ab" * 16,
        "index": 3,
        "identifier": "email:a@example.com",
        "ok": True,
        "contact_id": 7,
        "attempts": 2,
    }
    error = ServerError("Unexpected error occurred", status=500, code=500, attempts=6)
    failed = BulkOutcome(4, "phone:+351912345678", False, error=error, attempts=6)
    assert outcome_record(failed) == {
        "index": 4,
        "identifier": "phone:+351912345678",
        "ok": False,
        "attempts": 6,
        "error": {"type": "ServerError", "message": "Unexpected error occurred", "status": 500},
    }
    invalid = ContactValidationError([ValidationProblem("country_code", "not ISO")])
    record = outcome_record(BulkOutcome(5, "", False, error=invalid))
    assert record["error"] == {
        "type": "ContactValidationError",
        "message": "1 invalid field: country_code: not ISO",
        "problems": [{"field": "country_code", "problem": "not ISO"}],
    }


async def test_content_keys_are_strong_hashes_of_identifier_and_fields() -> None:
    ana = Contact("Ana", email="a@example.com")
    assert key_of(ana) == key_of(Contact("Ana", email="a@example.com"))
    assert len(key_of(ana)) == 32
    assert key_of(ana) != key_of(Contact("Ana ", email="a@example.com"))
    assert key_of(ana) != key_of(Contact("Ana", email="a@example.com", last_name=None))
    assert key_of(ana) != key_of(ana, "email:A@example.com")


async def test_the_last_record_of_a_key_wins(tmp_path: Path) -> None:
    path = tmp_path / "j"
    a, b, c = ("1" * 32, "2" * 32, "3" * 32)
    with Journal.open(path) as journal:
        journal.write(BulkOutcome(0, "email:a@example.com", True, contact_id=1, attempts=1), a)
        journal.write(
            BulkOutcome(1, "email:b@example.com", False, error=ServerError("x", status=500)), b
        )
        journal.write(BulkOutcome(5, "email:c@example.com", True, contact_id=None, attempts=1), c)
        journal.write(
            BulkOutcome(6, "email:c@example.com", False, error=ServerError("x", status=500)), c
        )
        journal.write(BulkOutcome(7, "", False, error=ContactValidationError([])))
    with Journal.open(path) as journal:
        assert len(journal) == 1
        assert journal.succeeded(a) == 1
        assert journal.succeeded(b) is MISSING
        assert journal.succeeded(c) is MISSING
        assert journal.succeeded("4" * 32) is MISSING
    with Journal.open(tmp_path / "missing") as journal:
        assert len(journal) == 0


async def test_a_second_run_on_a_journal_in_use_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "j"
    with Journal.open(path):
        with pytest.raises(JournalError, match="in use by another run"):
            Journal.open(path)
        async with gauged_sandbox() as (sb, _), client_for(sb) as client:
            with pytest.raises(JournalError, match="in use"):
                await client.contacts.bulk_upsert([person(0)], journal=path)
        assert sb.stats.requests == 0
    Journal.open(path).close()  # released


async def test_a_half_written_last_line_is_cut_off_before_appending(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "j"
    with Journal.open(path) as journal:
        journal.write(
            BulkOutcome(0, "email:a@example.com", True, contact_id=1, attempts=1), "1" * 32
        )
    path.write_text(
        path.read_text() + '{"key": "22222222222222222222222222222222", "index": 1, "ide'
    )
    with caplog.at_level(logging.WARNING), Journal.open(path) as journal:
        assert len(journal) == 1
        journal.write(
            BulkOutcome(2, "email:c@example.com", True, contact_id=3, attempts=1), "3" * 32
        )
    assert "half-written" in caplog.text
    assert [r["index"] for r in records(path)] == [0, 2]
    with Journal.open(path) as journal:  # the second resume reads it too
        assert len(journal) == 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("firstName,email\nAna,a@example.com\n", "not an aelyst bulk journal"),
        ('{"journal": "aelyst_async.bulk", "version": 9}\n', "version 9"),
        ('{"journal": "aelyst_async.bulk", "version": 1}\n', "version 1"),
        (MARK + "[1]\n", "line 2: not a record"),
        (MARK + '{"index": -1}\n', "bad index"),
        (MARK + '{"index": 1, "ok": true}\n', "string identifier"),
        (MARK + '{"index": 1, "identifier": "x", "ok": true, "contact_id": "7"}\n', "contact_id"),
        (
            MARK + '{"index": 1, "identifier": "x", "ok": true, "contact_id": 1' + "0" * 30 + "}\n",
            "bad contact_id",
        ),
        (MARK + '{"index": 1' + "0" * 30 + ', "identifier": "x", "ok": true}\n', "bad index"),
        (MARK + '{"key": "xyz", "index": 1, "identifier": "x", "ok": true}\n', "bad key"),
        (MARK + "[" * 100_000 + "\n", "line 2: not JSON"),
        (MARK + '{"index": 1, "identif\x00er": 3\n', "line 2: not JSON"),
        (MARK + "x" * (1 << 21), "longer than a record"),
    ],
)
async def test_unusable_journals_are_refused(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "j"
    path.write_text(content)
    with pytest.raises(JournalError, match=message):
        Journal.open(path)
    assert path.read_text() == content  # left as it was


async def test_a_huge_index_allocates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "j"
    path.write_text(
        MARK + json.dumps({"key": "1" * 32, "index": 10**15, "identifier": "x", "ok": True}) + "\n"
    )
    with Journal.open(path) as journal:
        assert len(journal) == 1


async def test_a_file_that_is_not_a_journal_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text("firstName,email\nAna,a@example.com\n")
    async with gauged_sandbox() as (sb, _), client_for(sb) as client:
        with pytest.raises(JournalError, match="not an aelyst bulk journal"):
            await client.contacts.bulk_upsert([person(0)], journal=path)
    assert path.read_text() == "firstName,email\nAna,a@example.com\n"
    assert sb.stats.requests == 0


async def test_the_journal_records_every_outcome_and_never_the_token(tmp_path: Path) -> None:
    path = tmp_path / "run.journal"
    items: list[object] = [person(0), Contact("no identifier"), person(2)]
    async with (
        gauged_sandbox(token="secret-token-4242") as (sb, _),
        client_for(sb) as client,
    ):
        await client.contacts.bulk_upsert(items, journal=path)  # type: ignore[arg-type]
    found = {r["index"]: r for r in records(path)}
    assert sorted(found) == [0, 1, 2]
    assert found[0]["ok"] is True and found[0]["contact_id"] == 1
    assert found[0]["identifier"] == "email:person0@example.com"
    assert found[0]["key"] == key_of(person(0))
    assert found[1]["ok"] is False and "key" not in found[1]
    assert found[1]["error"]["type"] == "ContactValidationError"  # type: ignore[index]
    assert "secret-token-4242" not in path.read_text()


async def test_resume_skips_successes_and_retries_failures(tmp_path: Path) -> None:
    path = tmp_path / "run.journal"
    items = [person(i) for i in range(6)]
    async with gauged_sandbox() as (sb, gauge):
        gauge.release.set()  # held requests are answered 503 at once, without a write
        gauge.hold = lambda identifier: (
            identifier in ("email:person1@example.com", "email:person4@example.com")
        )
        async with client_for(sb, retry=fast_retry(max_attempts=1)) as client:
            first = await client.contacts.bulk_upsert(items, journal=path)
        assert (first.succeeded, first.failed) == (4, 2)
        gauge.hold = lambda _identifier: False
        before = sb.stats.requests
        async with client_for(sb) as client:
            outcomes = [o async for o in client.contacts.upsert_many(items, journal=path)]
            second = await client.contacts.bulk_upsert(items, journal=path)
    assert sorted(o.index for o in outcomes if o.skipped) == [0, 2, 3, 5]
    assert all(o.ok and o.attempts == 0 and o.contact_id is not None for o in outcomes if o.skipped)
    assert sorted(o.index for o in outcomes if not o.skipped) == [1, 4]
    assert all(o.ok for o in outcomes)
    assert sb.stats.requests - before == 2
    assert (second.total, second.skipped, second.succeeded, second.failed) == (6, 6, 0, 0)
    assert len(sb.store) == 6


async def test_resume_keeps_input_order_for_a_retried_contact(tmp_path: Path) -> None:
    """Item 0 failed and item 1 (same contact) succeeded: a resume sends both, in order."""
    path = tmp_path / "run.journal"
    first = Contact("First", email="a@example.com")
    second = Contact("Second", email="A@example.com")  # the same contact, spelled otherwise
    b = Contact("B", email="b@example.com")
    with Journal.open(path) as journal:
        journal.write(
            BulkOutcome(0, "email:a@example.com", False, error=ServerError("x", status=500)),
            key_of(first),
        )
        journal.write(BulkOutcome(1, "email:A@example.com", True, contact_id=1), key_of(second))
        journal.write(BulkOutcome(2, "email:b@example.com", True, contact_id=2), key_of(b))
    async with gauged_sandbox() as (sb, gauge), client_for(sb) as client:
        report = await client.contacts.bulk_upsert([first, second, b], journal=path, settle_delay=0)
    assert (report.succeeded, report.skipped) == (2, 1)
    assert [json.loads(s.body)["firstName"] for s in gauge.seen] == ["First", "Second"]


async def test_resume_matches_rows_by_content_not_position(tmp_path: Path) -> None:
    path = tmp_path / "run.journal"
    items = [person(i) for i in range(6)]
    async with gauged_sandbox() as (sb, _), client_for(sb) as client:
        await client.contacts.bulk_upsert(items, journal=path)
        before = sb.stats.requests
        # reordered, one deleted, one edited, one added
        edited = Contact("Edited", email="person3@example.com")
        changed = [items[5], items[0], edited, items[2], items[4], person(9)]
        outcomes = [o async for o in client.contacts.upsert_many(changed, journal=path)]
    sent = sorted(o.identifier for o in outcomes if not o.skipped)
    assert sent == ["email:person3@example.com", "email:person9@example.com"]
    assert sb.stats.requests - before == 2
    stored = sb.store.find_by_email("person3@example.com")
    assert stored is not None and stored["firstName"] == "Edited"


async def test_a_different_file_with_the_same_identifiers_is_sent(tmp_path: Path) -> None:
    path = tmp_path / "run.journal"
    async with gauged_sandbox() as (sb, _), client_for(sb) as client:
        await client.contacts.bulk_upsert([person(i) for i in range(50)], journal=path)
        other = [Contact(f"Other{i}", email=f"person{i}@example.com") for i in range(50)]
        report = await client.contacts.bulk_upsert(other, journal=path, settle_delay=0)
    assert (report.succeeded, report.skipped) == (50, 0)


async def test_a_third_run_finds_everything_done(tmp_path: Path) -> None:
    path = tmp_path / "run.journal"
    items = [person(i) for i in range(4)]
    async with gauged_sandbox() as (sb, _), client_for(sb) as client:
        await client.contacts.bulk_upsert(items[:2], journal=path)
        second = await client.contacts.bulk_upsert(items, journal=path)
        third = await client.contacts.bulk_upsert(items, journal=path)
    assert (second.skipped, second.succeeded) == (2, 2)
    assert (third.skipped, third.succeeded, third.total) == (4, 0, 4)
    assert sb.stats.requests == 4


async def test_cancelling_twice_still_closes_the_journal(tmp_path: Path) -> None:
    path = tmp_path / "run.journal"
    async with gauged_sandbox() as (sb, gauge), client_for(sb) as client:
        all_held = asyncio.Event()

        def hold(_identifier: str) -> bool:
            if gauge.held == 3:
                all_held.set()
            return True

        gauge.hold = hold
        task = asyncio.create_task(
            client.contacts.bulk_upsert([person(i) for i in range(4)], journal=path)
        )
        await all_held.wait()
        task.cancel()
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        gauge.release.set()
        with Journal.open(path):  # the lock was released: the file was closed
            pass


DATA = Path(__file__).parent / "data"
V2_ITEMS: list[Any] = [
    Contact("Ana", email="ana@example.com", custom_fields=[CustomField("Seats", 3)]),
    Contact("Rui", last_name="Sousa", email="rui@example.com", country_code="PT"),
    ("phone:+351912345678", Contact("Eva", phone="+351912345678")),
    Contact("Bad", email="bad@example.com", country_code="XX"),
]
"""The items of ``data/journal-v2-bulk.jsonl``, written by the release before format 3."""


async def test_a_version_2_journal_is_honoured_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "j"
    shutil.copy(DATA / "journal-v2-bulk.jsonl", path)
    async with gauged_sandbox() as (sb, gauge), client_for(sb) as client:
        report = await client.contacts.bulk_upsert(V2_ITEMS, journal=path, settle_delay=0)
        assert (report.skipped, report.succeeded, report.failed) == (3, 0, 1)
        assert gauge.seen == []  # the failed item fails validation again, nothing is sent
        # appended as version 2: a second resume still skips what succeeded
        fixed = [*V2_ITEMS[:3], Contact("Bad", email="bad@example.com", country_code="PT")]
        report = await client.contacts.bulk_upsert(fixed, journal=path, settle_delay=0)
        assert (report.skipped, report.succeeded) == (3, 1)
        report = await client.contacts.bulk_upsert(fixed, journal=path, settle_delay=0)
        assert report.skipped == 4 and len(gauge.seen) == 1
    assert json.loads(path.read_text().splitlines()[0])["version"] == 2


async def test_new_journals_are_version_3_and_keys_ignore_the_models_repr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ana = Contact("Ana", email="a@example.com")
    before = key_of(ana)
    monkeypatch.setattr(Contact, "__repr__", lambda self: "another repr")
    assert key_of(ana) == before  # the wire body, not the repr
    assert key_of(Contact("Ana", email="a@example.com", phone=None)) != before
    async with gauged_sandbox() as (sb, _), client_for(sb) as client:
        await client.contacts.bulk_upsert([ana], journal=tmp_path / "j")
    assert records(tmp_path / "j")[0]["key"] == before
