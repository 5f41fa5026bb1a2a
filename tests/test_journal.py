"""The bulk journal: its records, and resuming a run from it."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from aelyst_async import (
    BulkOutcome,
    Contact,
    ContactValidationError,
    JournalError,
    ServerError,
    ValidationProblem,
)
from aelyst_async._journal import JournalWriter, ResumeState, outcome_record
from tests.bulk_helpers import client_for, fast_retry, gauged_sandbox, person


def records(path: Path) -> list[dict[str, object]]:
    lines = path.read_text().splitlines()
    assert json.loads(lines[0]) == {"journal": "aelyst_async.bulk", "version": 1}
    return [json.loads(line) for line in lines[1:]]


async def test_outcome_records() -> None:
    ok = BulkOutcome(3, "email:a@example.com", True, contact_id=7, attempts=2)
    assert outcome_record(ok) == {
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


async def test_resume_state_matches_index_and_identifier(tmp_path: Path) -> None:
    path = tmp_path / "j"
    writer = JournalWriter(path)
    writer.write(BulkOutcome(0, "email:a@example.com", True, contact_id=1, attempts=1))
    writer.write(BulkOutcome(1, "email:b@example.com", False, error=ServerError("x", status=500)))
    writer.write(BulkOutcome(5, "email:c@example.com", True, contact_id=None, attempts=1))
    writer.close()
    state = ResumeState.load(path)
    assert len(state) == 2 and state.end == 6
    assert state.lookup(0, "email:a@example.com") == (True, 1)
    assert state.lookup(0, "email:other@example.com") == (False, 1)
    assert state.lookup(1, "email:b@example.com") is None
    assert state.lookup(2, "email:a@example.com") is None
    assert state.lookup(5, "email:c@example.com") == (True, None)
    assert state.lookup(99, "email:c@example.com") is None
    assert len(ResumeState.load(tmp_path / "missing")) == 0


async def test_a_half_written_last_line_is_ignored_and_ended(tmp_path: Path) -> None:
    path = tmp_path / "j"
    writer = JournalWriter(path)
    writer.write(BulkOutcome(0, "email:a@example.com", True, contact_id=1, attempts=1))
    writer.close()
    path.write_text(path.read_text() + '{"index": 1, "identifier": "email:b@exa')
    assert len(ResumeState.load(path)) == 1
    writer = JournalWriter(path)
    writer.write(BulkOutcome(2, "email:c@example.com", True, contact_id=3, attempts=1))
    writer.close()
    lines = path.read_text().splitlines()
    assert json.loads(lines[-1])["index"] == 2
    with pytest.raises(JournalError, match="line 3: not JSON"):
        ResumeState.load(path)  # the cut line is now complete, and still not a record


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("firstName,email\nAna,a@example.com\n", "not an aelyst bulk journal"),
        ('{"journal": "aelyst_async.bulk", "version": 9}\n', "version 9"),
        ('{"journal": "aelyst_async.bulk", "version": 1}\n[1]\n', "not a record"),
        ('{"journal": "aelyst_async.bulk", "version": 1}\n{"index": -1}\n', "bad index"),
        (
            '{"journal": "aelyst_async.bulk", "version": 1}\n{"index": 1, "ok": true}\n',
            "string identifier",
        ),
        (
            '{"journal": "aelyst_async.bulk", "version": 1}\n'
            '{"index": 1, "identifier": "x", "ok": true, "contact_id": "7"}\n',
            "bad contact_id",
        ),
    ],
)
async def test_unusable_journals_are_refused(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "j"
    path.write_text(content)
    with pytest.raises(JournalError, match=message):
        ResumeState.load(path)


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
        await client.contacts.bulk_upsert(items, journal=path)
    found = {r["index"]: r for r in records(path)}
    assert sorted(found) == [0, 1, 2]
    assert found[0]["ok"] is True and found[0]["contact_id"] == 1
    assert found[0]["identifier"] == "email:person0@example.com"
    assert found[1]["ok"] is False
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


async def test_resume_keeps_input_order_for_a_retried_identifier(tmp_path: Path) -> None:
    """Item 0 failed and item 1 (same identifier) succeeded: a resume sends both, in order."""
    path = tmp_path / "run.journal"
    writer = JournalWriter(path)
    writer.write(BulkOutcome(0, "email:a@example.com", False, error=ServerError("x", status=500)))
    writer.write(BulkOutcome(1, "email:a@example.com", True, contact_id=1, attempts=1))
    writer.write(BulkOutcome(2, "email:b@example.com", True, contact_id=2, attempts=1))
    writer.close()
    items = [
        Contact("First", email="a@example.com"),
        Contact("Second", email="a@example.com"),
        Contact("B", email="b@example.com"),
    ]
    async with gauged_sandbox() as (sb, gauge), client_for(sb) as client:
        report = await client.contacts.bulk_upsert(items, journal=path, settle_delay=0)
    assert (report.succeeded, report.skipped) == (2, 1)
    assert [json.loads(s.body)["firstName"] for s in gauge.seen] == ["First", "Second"]
    stored = sb.store.find_by_email("a@example.com")
    assert stored is not None and stored["firstName"] == "Second"


async def test_resume_sends_items_whose_identifier_changed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "run.journal"
    async with gauged_sandbox() as (sb, _), client_for(sb) as client:
        await client.contacts.bulk_upsert([person(0), person(1)], journal=path)
        changed = [person(0), person(7)]
        with caplog.at_level(logging.WARNING, logger="aelyst_async.bulk"):
            report = await client.contacts.bulk_upsert(changed, journal=path)
    assert (report.skipped, report.succeeded) == (1, 1)
    assert "not what the journal recorded" in caplog.text
    assert sb.store.find_by_email("person7@example.com") is not None
    # the new record wins on the next resume
    assert ResumeState.load(path).lookup(1, "email:person7@example.com") == (True, 3)


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
