"""Bulk upserts through 429 storms and 449 processing windows, on virtual time.

The client keeps its default retry and rate-limit policies (Retry-After honoured, 449 retried
after ``queued_delay`` = 60 s); the sandbox's clock is the virtual loop's, so minutes of waiting
take milliseconds. Each scenario runs on its own virtual-time loop in a worker thread.
"""

from __future__ import annotations

import asyncio
from typing import Any

import attrs

from aelyst_async import AelystClient, BulkReport, Contact, CustomField
from aelyst_async.sandbox import Sandbox
from tests import virtual_time

EMAILS = [f"u{k}@example.com" for k in range(10)]


@attrs.frozen
class Result:
    report: BulkReport
    stats: Any
    contacts: list[dict[str, Any]]
    elapsed: float


def items(count: int) -> list[Contact]:
    return [
        Contact(f"N{i}", email=EMAILS[i % len(EMAILS)], custom_fields=[CustomField("Seats", i)])
        for i in range(count)
    ]


async def scenario(count: int, *, settle_delay: float, **sandbox: Any) -> Result:
    loop = asyncio.get_running_loop()
    async with (
        Sandbox(clock=loop.time, **sandbox) as sb,
        AelystClient(sb.token, base_url=sb.base_url) as client,
    ):
        start = loop.time()
        report = await client.contacts.bulk_upsert(
            items(count), concurrency=8, settle_delay=settle_delay
        )
        return Result(report, sb.stats, sb.store.contacts(), loop.time() - start)


async def run(count: int, *, settle_delay: float, **sandbox: Any) -> Result:
    return await asyncio.to_thread(
        virtual_time.run, scenario(count, settle_delay=settle_delay, **sandbox)
    )


def check_final_state(result: Result, count: int) -> None:
    assert len(result.contacts) == len(EMAILS), "no duplicate contact"
    for contact in result.contacts:
        k = EMAILS.index(contact["email"])
        last = max(i for i in range(count) if i % len(EMAILS) == k)
        assert contact["firstName"] == f"N{last}"
        assert contact["custom_fields"] == {"Seats": last}


async def test_449_windows_are_waited_out_under_the_retry_policy() -> None:
    result = await run(40, settle_delay=0, processing=5.0)
    report = result.report
    assert (report.total, report.succeeded, report.failed) == (40, 40, 0)
    assert result.stats.queued > 0  # second items met their contact's processing window
    assert result.elapsed >= 60 * 0.8  # a 449 waits queued_delay (60 s, +-20%) on virtual time
    check_final_state(result, 40)


async def test_the_settle_delay_keeps_clear_of_449_windows() -> None:
    result = await run(40, settle_delay=5.0, processing=5.0)
    assert (result.report.succeeded, result.report.failed) == (40, 0)
    assert result.stats.queued == 0
    check_final_state(result, 40)


async def test_a_429_storm_under_a_hidden_workspace_limit() -> None:
    result = await run(60, settle_delay=0.2, per_path=2, workspace=4)
    report = result.report
    assert (report.total, report.succeeded, report.failed) == (60, 60, 0)
    assert result.stats.rate_limited > 0
    assert result.elapsed >= 60 / 4 - 1  # the workspace allows 4 per second
    check_final_state(result, 60)


async def test_faults_storms_and_windows_together() -> None:
    result = await run(
        60,
        settle_delay=0.5,
        per_path=3,
        workspace=8,
        processing=2.0,
        fail_rate=0.1,
        lose_rate=0.1,
        seed=5,
    )
    report = result.report
    assert (report.total, report.succeeded, report.failed) == (60, 60, 0)
    assert sum(result.stats.faults.values()) > 0
    assert result.stats.rate_limited > 0
    assert result.stats.queued > 0
    check_final_state(result, 60)
