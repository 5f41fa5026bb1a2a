"""The SDK's own cost per call, without aiohttp or a server: a transport that answers at once.

``create_or_update`` of distinct contacts from 32 workers, or ``bulk_upsert`` of them, through a
:class:`~aelyst_async._transports.base.Transport` that returns a pre-built answer (no I/O): what
is left is the SDK's CPU per call (validation, request, throttle, sender, interpretation). Run
it to compare a change before and after; ``--profile`` prints the top of a cProfile of one run.

    python -m benchmarks.overhead_micro                 # medians of 5 runs of 5000 calls each
    python -m benchmarks.overhead_micro --profile 25    # and the 25 top functions by own time
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import statistics
import time
from typing import Any, Literal

from aelyst_async import AelystClient, Contact, RateLimitPolicy
from aelyst_async._sansio.request import Request
from aelyst_async._sansio.response import Response
from aelyst_async._transports.base import Transport

from ._measure import run_workers

ANSWER = Response(200, {"Content-Type": "application/json"}, b'{"contactId": 1}')
UNLIMITED = RateLimitPolicy(per_path=1_000_000, workspace=1e6)


class Instant(Transport):
    """Answers every request at once with ``{"contactId": 1}``."""

    async def send(self, request: Request) -> Response:
        return ANSWER


Mode = Literal["calls", "bulk"]


async def run(
    n: int, mode: Mode, validation: Literal["strict", "basic", "off"], policy: str
) -> None:
    """``n`` calls of ``mode`` through :class:`Instant`."""
    contacts = [Contact(f"User {i}", email=f"user{i}@example.com") for i in range(n)]
    limits: dict[str, Any] = {"rate_limit": UNLIMITED} if policy == "unlimited" else {}
    client = AelystClient("t0ken", transport=Instant(), validation=validation, **limits)
    async with client:
        if mode == "bulk":
            report = await client.contacts.bulk_upsert(contacts, concurrency=32)
            assert report.succeeded == n, report

        else:

            async def do(contact: Contact) -> None:
                await client.contacts.create_or_update(f"email:{contact.email}", contact)

            failures = await run_workers(contacts, 32, do)
            assert not failures, failures


def per_call(n: int, mode: Mode, validation: Any, policy: str) -> float:
    """Client CPU µs per call of one run."""
    started = time.process_time()
    asyncio.run(run(n, mode, validation, policy))
    return (time.process_time() - started) / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--validation", default="basic")
    parser.add_argument("--profile", type=int, default=0, metavar="TOP")
    args = parser.parse_args()
    cases = [
        ("calls", "unlimited"),
        ("calls", "default"),
        ("bulk", "unlimited"),
        ("bulk", "default"),
    ]
    for mode, policy in cases:
        per_call(300, mode, args.validation, policy)  # warm-up
        times = [per_call(args.n, mode, args.validation, policy) for _ in range(args.repeats)]
        print(
            f"{mode:5} policy={policy:9} validation={args.validation}: "
            f"{statistics.median(times):.1f} µs/call (min {min(times):.1f}, max {max(times):.1f})"
        )
    if args.profile:
        for mode, policy in cases:
            profiler = cProfile.Profile()
            profiler.enable()
            asyncio.run(run(args.n, mode, args.validation, policy))  # type: ignore[arg-type]
            profiler.disable()
            print(f"\n== {mode}, policy={policy}: top {args.profile} by own time")
            pstats.Stats(profiler).sort_stats("tottime").print_stats(args.profile)


if __name__ == "__main__":
    main()
