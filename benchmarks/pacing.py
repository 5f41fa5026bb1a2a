"""Pacing at a configured rate, and priorities, in the throttle alone (no server).

- **Fixed rate**: ``Throttle(RateLimitPolicy(workspace=R))`` at 200, 500 and 1000/s against
  aiolimiter's ``AsyncLimiter(R, 1)``: ``WORKERS`` tasks each take a permit (a distinct contact's
  path) and start a simulated request of ``RTT`` s (the permit handed back with a 200 when it
  ends). Reported: the permits per second from ``SETTLE`` s to the end, as a share of R
  (median of ``REPEATS``); every millisecond a timer wakes late is rate lost to a bucket that
  holds one token.
- **Priority**: a bulk load of ``WORKERS`` tasks at ``priority="low"`` keeps a 50/s throttle
  saturated while a trickle of single calls arrives every 0.2 s; their wait in the throttle
  (p50 / p95) at ``priority="high"``, and at ``"low"`` (what they get without priorities).
  A call every 10 slots arrives just after a token was taken: the worst case, a whole slot.
"""

from __future__ import annotations

import asyncio
import statistics
from collections.abc import Awaitable, Callable

from aiolimiter import AsyncLimiter

from aelyst_async import RateLimitPolicy
from aelyst_async._sansio.ratelimit import RateLimit
from aelyst_async._throttle import Throttle
from aelyst_async._throttle.turn import Priority

from ._report import md_table
from ._suite import SuiteOptions, SuiteReport, Target

NAME = "pacing"
DESCRIPTION = (
    "pacing at a configured 200/500/1000 per s vs aiolimiter; priorities under a bulk load"
)
RATES = (200, 500, 1000)
WORKERS = 256
RTT = 0.1
SETTLE = 1.0
SECONDS, SECONDS_QUICK = 5.0, 3.0
REPEATS, REPEATS_QUICK = 3, 1
TARGET_SHARE = 0.97
PRIORITY_RATE = 50
TRICKLE_EVERY = 0.2
TIMER_RESOLUTION = 0.001
"""Seconds: asyncio's epoll selector rounds every wait up to a whole millisecond, so a timer
due at the end of a slot fires up to this much after it."""

Done = Callable[[], Awaitable[None]]
Take = Callable[[int], Awaitable[Done]]
"""Wait for leave to send request ``i``; returns what to await when its answer came."""


async def _request(done: Done) -> None:
    await asyncio.sleep(RTT)
    await done()


def _start(tasks: set[asyncio.Task[None]], done: Done) -> None:
    task = asyncio.create_task(_request(done))
    tasks.add(task)
    task.add_done_callback(tasks.discard)


def _sdk(rate: float) -> Take:
    throttle = Throttle(RateLimitPolicy(workspace=rate))

    async def take(i: int) -> Done:
        permit = await throttle.acquire(f"POST /contact/create_or_update/id:{i}")
        return lambda: throttle.observe(permit, 200, RateLimit())

    return take


def _aiolimiter(rate: float) -> Take:
    limiter = AsyncLimiter(rate, 1)

    async def nothing() -> None:
        pass

    async def take(i: int) -> Done:
        await limiter.acquire()
        return nothing

    return take


async def _paced(take: Take, seconds: float) -> float:
    """Permits per second from ``SETTLE`` s to ``seconds``."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    sent: list[float] = []
    counter = iter(range(10**9))
    tasks: set[asyncio.Task[None]] = set()

    async def worker() -> None:
        while loop.time() - start < seconds:
            done = await take(next(counter))
            sent.append(loop.time() - start)
            _start(tasks, done)
            await asyncio.sleep(0)

    await asyncio.gather(*(worker() for _ in range(WORKERS)))
    await asyncio.gather(*tasks)
    return sum(1 for t in sent if SETTLE <= t < seconds) / (seconds - SETTLE)


async def _trickle(priority: Priority, seconds: float) -> list[float]:
    """The throttle waits of single ``priority`` calls while a low-priority bulk saturates it."""
    throttle = Throttle(RateLimitPolicy(workspace=PRIORITY_RATE))
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    waits: list[float] = []
    tasks: set[asyncio.Task[None]] = set()

    async def one(key: str, prio: Priority) -> float:
        t0 = loop.time()
        permit = await throttle.acquire(key, priority=prio)
        waited = loop.time() - t0
        _start(tasks, lambda: throttle.observe(permit, 200, RateLimit()))
        return waited

    async def bulk(w: int) -> None:
        i = 0
        while loop.time() < end:
            i += 1
            await one(f"POST /contact/create_or_update/id:{w}-{i}", "low")

    async def trickle() -> None:
        await asyncio.sleep(SETTLE)
        i = 0
        while loop.time() < end:
            i += 1
            waits.append(await one(f"GET /contact/id:{i}", priority))
            await asyncio.sleep(TRICKLE_EVERY)

    await asyncio.gather(trickle(), *(bulk(w) for w in range(WORKERS)))
    await asyncio.gather(*tasks)
    return waits


def _p95(xs: list[float]) -> float:
    return statistics.quantiles(xs, n=20)[-1] if len(xs) >= 2 else xs[0]


def run(options: SuiteOptions) -> SuiteReport:
    seconds = SECONDS_QUICK if options.quick else SECONDS
    repeats = REPEATS_QUICK if options.quick else REPEATS
    rows, targets = [], []
    for rate in RATES:
        shares = {}
        for name, make in (("sdk", _sdk), ("aiolimiter", _aiolimiter)):
            runs = [asyncio.run(_paced(make(rate), seconds)) / rate for _ in range(repeats)]
            shares[name] = statistics.median(runs)
            print(f"  {NAME}: {rate}/s {name}: {shares[name]:.3f}", flush=True)
        rows.append([f"{rate}/s", f"{shares['sdk']:.3f}", f"{shares['aiolimiter']:.3f}"])
        targets.append(
            Target(
                f"{NAME}: a configured {rate}/s sends >= {TARGET_SHARE} of it",
                shares["sdk"] >= TARGET_SHARE,
                f"{shares['sdk']:.3f} (aiolimiter {shares['aiolimiter']:.3f})",
            )
        )
    waits = {p: asyncio.run(_trickle(p, seconds * 2)) for p in ("high", "low")}
    slot = 1.0 / PRIORITY_RATE
    prio_rows = [
        [f"`{p}`", len(w), f"{1000 * statistics.median(w):.0f}", f"{1000 * _p95(w):.0f}"]
        for p, w in waits.items()
    ]
    for p, w in waits.items():
        print(f"  {NAME}: trickle at {p}: p50 {statistics.median(w):.3f}s p95 {_p95(w):.3f}s")
    targets.append(
        Target(
            f"{NAME}: a high-priority call behind a low-priority bulk waits <= 1 slot (p95; "
            f"+ {1000 * TIMER_RESOLUTION:g} ms of the loop's timer resolution)",
            _p95(waits["high"]) <= slot + TIMER_RESOLUTION,
            f"p95 {1000 * _p95(waits['high']):.1f} ms, max {1000 * max(waits['high']):.1f} ms "
            f"(a slot is {1000 * slot:.0f} ms); without priority p95 "
            f"{1000 * _p95(waits['low']):.0f} ms",
        )
    )
    markdown = "\n".join(
        [
            f"{WORKERS} tasks take permits as fast as they are given, each request "
            f"lasting {RTT * 1000:.0f} ms (simulated: no server). Share of the configured rate "
            f"from {SETTLE:g} s to {seconds:g} s, median of {repeats}.",
            "",
            md_table(["configured rate", "sdk share", "aiolimiter share"], rows),
            "",
            f'Priority: {WORKERS} bulk tasks at `priority="low"` saturate a configured '
            f"{PRIORITY_RATE}/s; one call every {TRICKLE_EVERY:g} s measures its wait in the "
            "throttle.",
            "",
            md_table(["trickle priority", "calls", "wait p50 (ms)", "wait p95 (ms)"], prio_rows),
        ]
    )
    return SuiteReport("Pacing at a configured rate, and priorities", markdown, targets)
