"""Bulk runs never crash and lose their report: unexpected exceptions (a send, a progress
callback, a concurrency hint, the input) become failures the run reports, and no state of the
runner or the progress display grows without bound or reaches inf/NaN over a long run."""

from __future__ import annotations

import asyncio
import json
import logging
import math
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from aelyst_async import (
    AelystError,
    BulkInputError,
    BulkOutcome,
    BulkProgress,
    BulkReport,
    Contact,
)
from aelyst_async._bulk import BulkOptions, bulk_upsert, upsert_many
from aelyst_async._bulk.items import Entry, Sent
from aelyst_async._bulk.progress import MAX_SAMPLES, ProgressTracker
from aelyst_async._bulk.run import _Run
from aelyst_async.sandbox import FakeClock
from tests import virtual_time
from tests.bulk_helpers import person


def journal_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()[1:]]


class Server:
    """A send callable: an in-memory store by identifier; raises ``raises`` for the emails in
    ``broken``."""

    def __init__(self, broken: set[str] = frozenset(), raises: type[Exception] = OverflowError):  # type: ignore[assignment]
        self.broken = broken
        self.raises = raises
        self.ids: dict[str, int] = {}
        self.sent: list[str] = []

    async def send(self, entry: Entry) -> Sent:
        identifier = entry.identifier
        self.sent.append(str(identifier))
        await asyncio.sleep(0)
        if identifier.value in self.broken:
            raise self.raises("cannot convert float infinity to integer")
        contact_id = self.ids.setdefault(str(identifier), len(self.ids) + 1)
        return Sent(contact_id)


async def test_a_send_raising_an_unexpected_exception_fails_its_item_only(tmp_path: Path) -> None:
    journal = tmp_path / "j"
    items = [person(i) for i in range(10)]
    server = Server(broken={"person3@example.com", "person7@example.com"})
    options = BulkOptions(concurrency=3, journal=journal, settle_delay=0)
    report = await bulk_upsert(server.send, items, options)
    assert (report.total, report.succeeded, report.failed) == (10, 8, 2)
    assert sorted(f.index for f in report.failures) == [3, 7]
    error = report.failures[0].error
    assert isinstance(error, AelystError)
    assert isinstance(error.__cause__, OverflowError)
    assert "unexpected error: OverflowError" in str(error)
    records = journal_lines(journal)
    assert sorted(r["index"] for r in records) == list(range(10))  # one line per item
    # the rerun resumes: only the two failed items are sent again
    server.broken = set()
    server.sent.clear()
    again = await bulk_upsert(server.send, items, options)
    assert (again.skipped, again.succeeded, again.failed) == (8, 2, 0)
    assert sorted(server.sent) == ["email:person3@example.com", "email:person7@example.com"]


async def test_a_content_key_that_raises_fails_its_item_at_its_index(tmp_path: Path) -> None:
    def key(entry: Entry, legacy: bool) -> str:
        if entry.contact.first_name == "Person2":
            raise KeyError("bug")
        return "0" * 32 if entry.contact.first_name == "Person0" else "1" * 32

    server = Server()
    options = BulkOptions(journal=tmp_path / "j", content_key=key, settle_delay=0)
    outcomes = [o async for o in upsert_many(server.send, [person(i) for i in range(4)], options)]
    assert sorted(o.index for o in outcomes) == [0, 1, 2, 3]
    failed = [o for o in outcomes if not o.ok]
    assert [o.index for o in failed] == [2] and isinstance(failed[0].error, AelystError)
    assert "email:person2@example.com" not in server.sent


async def test_a_progress_callback_that_raises_is_logged_and_the_run_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls: list[BulkProgress] = []

    def on_progress(progress: BulkProgress) -> None:
        calls.append(progress)
        raise ZeroDivisionError("display bug")

    server = Server()
    options = BulkOptions(on_progress=on_progress, progress_interval=0, settle_delay=0)
    with caplog.at_level(logging.WARNING, "aelyst_async"):
        report = await bulk_upsert(server.send, [person(i) for i in range(20)], options)
    assert (report.total, report.succeeded) == (20, 20)
    assert len(calls) == 1  # not called again after it raised
    assert "progress callback raised ZeroDivisionError: display bug" in caplog.text


@pytest.mark.parametrize("hint", [math.inf, math.nan, -math.inf, 1e300, "raise"])
async def test_an_absurd_concurrency_hint_never_breaks_the_run(hint: object) -> None:
    def concurrency_hint() -> int:
        if hint == "raise":
            raise OverflowError("cannot convert float infinity to integer")
        return hint  # type: ignore[return-value]

    server = Server()
    options = BulkOptions(settle_delay=0)
    report = await bulk_upsert(
        server.send, [person(i) for i in range(50)], options, concurrency_hint=concurrency_hint
    )
    assert (report.total, report.succeeded) == (50, 50)


def failing_at(count: int) -> Iterator[Contact]:
    yield from (person(i) for i in range(count))
    raise RuntimeError("input broke")


async def failing_async_at(count: int) -> AsyncIterator[Contact]:
    for i in range(count):
        yield person(i)
    raise RuntimeError("input broke")


@pytest.mark.parametrize("asynchronous", [False, True])
async def test_an_input_that_raises_gives_bulk_input_error_with_the_partial_report(
    tmp_path: Path, asynchronous: bool
) -> None:
    journal = tmp_path / "j"
    server = Server(broken={"person5@example.com"})
    items = failing_async_at(40) if asynchronous else failing_at(40)
    with pytest.raises(BulkInputError) as caught:
        await bulk_upsert(server.send, items, BulkOptions(concurrency=4, journal=journal))
    report = caught.value.report
    assert isinstance(report, BulkReport)
    assert (report.total, report.succeeded, report.failed) == (40, 39, 1)
    assert [f.index for f in report.failures] == [5]
    assert isinstance(caught.value.__cause__, RuntimeError)
    assert "input broke" in str(caught.value)
    assert sorted(r["index"] for r in journal_lines(journal)) == list(range(40))
    assert len(server.ids) == 39


async def test_upsert_many_yields_every_outcome_then_raises_bulk_input_error() -> None:
    server = Server()
    outcomes: list[BulkOutcome] = []

    async def consume() -> None:
        async for outcome in upsert_many(server.send, failing_async_at(12), BulkOptions()):
            outcomes.append(outcome)

    with pytest.raises(BulkInputError) as caught:
        await consume()
    assert sorted(o.index for o in outcomes) == list(range(12))
    assert caught.value.report.total == 12 and caught.value.report.failures == []


async def test_an_input_that_cannot_be_iterated_at_all_is_a_bulk_input_error() -> None:
    class Broken:
        def __iter__(self) -> Iterator[Contact]:
            raise OSError("gone")

    with pytest.raises(BulkInputError) as caught:
        await bulk_upsert(Server().send, Broken(), BulkOptions())  # type: ignore[arg-type]
    assert caught.value.report.total == 0 and isinstance(caught.value.__cause__, OSError)


# -- long runs: every state stays bounded and finite -----------------------------------------------


def test_progress_state_stays_bounded_and_finite_over_hours() -> None:
    clock = FakeClock()
    seen: list[BulkProgress] = []
    tracker = ProgressTracker(seen.append, 10**9, 0.0, clock)
    report = BulkReport()
    for step in range(40_000):  # ~1 h at irregular steps, bursts at one instant included
        clock.advance(0.0 if step % 7 == 0 else 0.09 + (step % 5) * 0.01)
        report.succeeded += 3
        tracker.update(report)
        assert len(tracker._samples) <= MAX_SAMPLES
    assert clock() > 3600
    for progress in seen:
        assert math.isfinite(progress.rate) and progress.rate >= 0
        assert progress.eta is None or math.isfinite(progress.eta)
    assert seen[-1].rate == pytest.approx(3 * 7 / (6 * 0.11), rel=0.1)  # the mean pace
    # many updates at one instant right at the start: no division by a tiny span
    burst = ProgressTracker(seen.append, 10, 0.0, FakeClock())
    burst.update(BulkReport(succeeded=5))
    assert seen[-1].rate == 0.0 and seen[-1].eta is None


def test_runner_state_stays_bounded_over_a_long_run_in_virtual_time() -> None:
    items = 6000
    concurrency = 8
    sizes: dict[str, int] = {}

    async def scenario() -> BulkReport:
        loop = asyncio.get_running_loop()
        run: _Run

        async def send(entry: Entry) -> Sent:
            await asyncio.sleep(0.05)
            for name in ("_settling", "_settle_order", "_tasks", "_last", "_resent"):
                sizes[name] = max(sizes.get(name, 0), len(getattr(run, name)))
            return Sent(1)

        def contacts() -> Iterator[Contact]:
            for i in range(items):  # a few contacts repeat (waiting, settle delays), most new
                yield person(i % 50 if i % 3 == 0 else i)

        run = _Run(send, BulkOptions(concurrency=concurrency), None, None, None)
        async for _ in run.outcomes(contacts()):
            pass
        assert loop.time() > 30  # tens of seconds of traffic with 1 s settle delays
        return run.report

    report = virtual_time.run(scenario())
    assert report.total == items and report.succeeded == items
    capacity = 4 * concurrency
    assert sizes["_tasks"] <= capacity and sizes["_last"] <= capacity
    # settle delays are forgotten once over: at most the items finished within one delay
    finished_per_delay = concurrency * (1.0 / 0.05)
    assert sizes["_settling"] <= finished_per_delay + capacity
    assert sizes["_settle_order"] <= 2 * (finished_per_delay + capacity)
    assert sizes["_resent"] == 0  # no journal: nothing remembered per identifier


def test_the_displayed_durations_never_break_on_inf_or_nan() -> None:
    from aelyst_async._cli.display import duration

    assert (duration(math.inf), duration(math.nan), duration(3725.0)) == ("?", "?", "1h02m05s")
