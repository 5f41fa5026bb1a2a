"""Property: a journaled bulk run of re-keying items, cancelled at random points (while writes
land late or hang) and resumed each time, ends with exactly one contact per intended contact."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aelyst_async import AelystClient, BulkReport, Contact, RetryPolicy
from aelyst_async.sandbox import Sandbox
from tests import virtual_time

COUNT = 8


def items() -> list[Any]:
    """Re-key each ``old{i}`` to ``new{i}`` (half of them exist before), then update by the new
    email: one contact each at the end."""
    moves = [(f"email:old{i}@x.com", Contact(f"M{i}", email=f"new{i}@x.com")) for i in range(COUNT)]
    updates = [(f"email:new{i}@x.com", Contact(f"U{i}")) for i in range(COUNT)]
    return moves + updates


async def scenario(
    cuts: list[float], seed: int, journal: Path
) -> tuple[list[dict[str, Any]], BulkReport, int]:
    loop = asyncio.get_running_loop()
    async with Sandbox(
        clock=loop.time, per_path=1000, hang_rate=0.15, late_rate=0.15, late_delay=1.8, seed=seed
    ) as sb:
        for i in range(0, COUNT, 2):
            sb.store.create({"firstName": "A", "email": f"old{i}@x.com"})
        async with AelystClient(
            sb.token, base_url=sb.base_url, timeout=1.0, retry=RetryPolicy(max_attempts=8)
        ) as client:
            cancelled = 0
            for cut in cuts:
                run = asyncio.ensure_future(
                    client.contacts.bulk_upsert(items(), journal=journal, concurrency=4)
                )
                await asyncio.wait([run], timeout=cut)
                if not run.done():
                    cancelled += 1
                run.cancel()
                await asyncio.gather(run, return_exceptions=True)
            report = await client.contacts.bulk_upsert(items(), journal=journal, concurrency=4)
        await sb.faults.settle()
        return sb.store.contacts(), report, cancelled


@settings(
    max_examples=12, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    cuts=st.lists(st.floats(0.0, 6.0), min_size=1, max_size=4),
    seed=st.integers(0, 2**16),
)
def test_cancel_and_resume_never_duplicates_a_rekeyed_contact(cuts: list[float], seed: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        contacts, report, _ = virtual_time.run(scenario(cuts, seed, Path(tmp) / "j"))
    assert report.total == 2 * COUNT and report.failed == 0, report.failures
    emails = sorted(c["email"] for c in contacts)
    assert emails == sorted(f"new{i}@x.com" for i in range(COUNT)), "one contact per intended"
    assert {c["firstName"] for c in contacts} == {f"U{i}" for i in range(COUNT)}
