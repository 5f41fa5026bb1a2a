"""Bulk suite, part 1: ``bulk_upsert`` under a hidden workspace limit.

10,000 distinct contacts (``Contact(f"User{i}", email=f"user{i}@example.com")``, built lazily by a
generator) through ``client.contacts.bulk_upsert(..., concurrency=32)`` with the default policies,
against a sandbox process with a hidden workspace limit of 200/s (per-path 5/s, irrelevant for
distinct contacts; 20 ms per answer). Share of the allowed rate, 429s from the sandbox's own
counters and from a client-side timeline of every HTTP exchange
(:func:`benchmarks._measure.traced_session`), retries seen by the client's ``on_retry`` hook, and
``client.stats``.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import attrs

from aelyst_async import AelystClient, BulkProgress, BulkReport, Contact, RetryEvent

from ._measure import Timeline, own_cpu, traced_session, window_phase
from ._report import fmt_stats, md_table
from ._server_processes import SandboxProcess
from ._suite import Target

WORKSPACE = 200
PER_PATH = 5
LATENCY = 0.02
WARM_UP = 2.0
PHASE = 0.5
TARGET_SHARE = 0.95
TARGET_429 = 0.02


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def contacts(n: int) -> Iterator[Contact]:
    """``n`` distinct contacts, built lazily."""
    return (Contact(f"User{i}", email=f"user{i}@example.com") for i in range(n))


@dataclass
class LimitedResult:
    n: int
    report: BulkReport
    elapsed: float
    timeline: Timeline
    server: dict[str, Any]
    client_stats: dict[str, Any]
    retries: Counter[str]
    client_cpu: float
    sandbox_cpu: float = 0.0

    @property
    def share(self) -> float:
        return self.report.succeeded / self.elapsed / WORKSPACE

    @property
    def server_429(self) -> int:
        return int(self.server.get("rate_limited", 0))

    @property
    def server_429_share(self) -> float | None:
        requests = int(self.server.get("requests", 0))
        return self.server_429 / requests if requests else None

    @property
    def complete(self) -> bool:
        return self.report.succeeded == self.n and self.report.failed == 0


async def _limited(sb: SandboxProcess, n: int, concurrency: int) -> LimitedResult:
    timeline = Timeline()
    retries: Counter[str] = Counter()

    def on_retry(event: RetryEvent) -> None:
        retries[type(event.error).__name__] += 1

    def on_progress(p: BulkProgress) -> None:
        print(
            f"  limited    {p.done}/{p.total or n} done, {p.failed} failed, {p.rate:.1f}/s, "
            f"{p.elapsed:.0f}s",
            flush=True,
        )

    async with traced_session(timeline) as session:
        client = AelystClient(sb.token, base_url=sb.base_url, session=session, on_retry=on_retry)
        async with client:
            await window_phase(1.0, PHASE)
            cpu0 = own_cpu()
            timeline.start()
            report = await client.contacts.bulk_upsert(
                contacts(n),
                concurrency=concurrency,
                total=n,
                on_progress=on_progress,
                progress_interval=20.0,
            )
            elapsed = timeline.now()
            cpu = own_cpu() - cpu0
            stats = attrs.asdict(client.stats)
            stats["throttle_snapshot"] = attrs.asdict(client.throttle_snapshot())
    return LimitedResult(n, report, elapsed, timeline, sb.stats(), stats, retries, cpu)


def run_limited(n: int, concurrency: int) -> LimitedResult:
    with SandboxProcess(per_path=PER_PATH, workspace=WORKSPACE, latency=LATENCY) as sb:
        cpu = sb.cpu_seconds()
        result = asyncio.run(_limited(sb, n, concurrency))
        result.sandbox_cpu = sb.cpu_seconds() - cpu
    r = result
    print(
        f"  limited    {r.report.succeeded}/{n} ok, {r.report.failed} failed in {r.elapsed:.1f}s, "
        f"{r.share:.3f} of allowed, {r.server_429} 429s ({_pct(r.server_429_share)}), "
        f"after {WARM_UP:g}s {_pct(r.timeline.share(429, after=WARM_UP))}",
        flush=True,
    )
    return result


def limited_section(r: LimitedResult, concurrency: int) -> tuple[str, list[Target]]:
    warm = r.timeline.statuses(after=WARM_UP)
    overall = r.timeline.statuses()
    warm_share = r.timeline.share(429, after=WARM_UP)
    failures = Counter(type(o.error).__name__ for o in r.report.failures)
    failed = ", ".join(f"{k} {v}" for k, v in failures.most_common()) or "0"
    table = md_table(
        [
            "succeeded",
            "failed",
            "total time (s)",
            "ok/s",
            "share of allowed",
            "requests sent (server)",
            "429s sent (server)",
            "429 share (server)",
            "429 share (client timeline)",
            f"429 share after {WARM_UP:g} s (client timeline)",
            "retries seen by `on_retry`",
            "client CPU (s)",
            "sandbox CPU (s)",
        ],
        [
            [
                f"{r.report.succeeded}/{r.n}",
                failed,
                f"{r.elapsed:.2f}",
                f"{r.report.succeeded / r.elapsed:.1f}",
                f"{r.share:.3f}",
                r.server.get("requests", "n/a"),
                r.server_429,
                _pct(r.server_429_share),
                f"{_pct(r.timeline.share(429))} ({overall[429]} of {sum(overall.values())})",
                f"{_pct(warm_share)} ({warm[429]} of {sum(warm.values())})",
                ", ".join(f"{v} {k}" for k, v in r.retries.most_common()) or "0",
                f"{r.client_cpu:.1f}",
                f"{r.sandbox_cpu:.1f}",
            ]
        ],
    )
    stats = dict(r.client_stats)
    snapshot = stats.pop("throttle_snapshot", None)
    line = f"`client.stats` after the run: {fmt_stats(stats)}"
    if isinstance(snapshot, dict):
        line += f"; `client.throttle_snapshot()`: {fmt_stats(snapshot)}"
    text = "\n".join(
        [
            f"#### 1. {r.n} distinct contacts through `bulk_upsert`, hidden workspace limit "
            f"{WORKSPACE}/s",
            "",
            f"`client.contacts.bulk_upsert(contacts, concurrency={concurrency})` over a generator "
            f'of `Contact(f"User{{i}}", email=f"user{{i}}@example.com")`, default policies '
            "(`RateLimitPolicy()`, `RetryPolicy()`), against a sandbox process with a hidden "
            f"workspace limit of {WORKSPACE}/s (fixed 1 s windows; per-path {PER_PATH}/s, which "
            f"distinct contacts never reach) answering after {LATENCY * 1000:.0f} ms; the run "
            f"starts {PHASE:g} s into a server window. *share of allowed* = successful upserts / "
            f"total time / {WORKSPACE}. 429s: the sandbox's own counters, and the client-side "
            f"timeline of every HTTP exchange (the share after {WARM_UP:g} s counts the requests "
            f"*sent* after the first {WARM_UP:g} s). Ideal time: {r.n / WORKSPACE:.0f} s.",
            "",
            table,
            "",
            line,
        ]
    )
    share_429 = r.server_429_share
    targets = [
        Target(
            f"bulk: {r.n} contacts under a hidden {WORKSPACE}/s limit, all succeeded, "
            f">= {TARGET_SHARE:.2f} of the allowed rate",
            r.complete and r.share >= TARGET_SHARE,
            f"{r.share:.3f} ({r.report.succeeded}/{r.n} ok, {r.report.failed} failed, "
            f"{r.elapsed:.1f} s)",
        ),
        Target(
            f"bulk: <= {TARGET_429:.0%} 429s under the hidden limit (overall and after "
            f"{WARM_UP:g} s)",
            share_429 is not None
            and share_429 <= TARGET_429
            and warm_share is not None
            and warm_share <= TARGET_429,
            f"overall {_pct(share_429)} ({r.server_429} of {r.server.get('requests')}, server); "
            f"after {WARM_UP:g} s {_pct(warm_share)} ({warm[429]} of {sum(warm.values())}, "
            "client timeline)",
        ),
    ]
    return text, targets
