"""Throttle quality: the SDK with default settings against other strategies, side by side, on a
real network's latency (250 ms ± 50 ms) and on loopback (20 ms).

Scenarios in :mod:`benchmarks.scenarios`, strategies in :mod:`benchmarks.strategies`. Every
scenario runs one sandbox process (reset before each strategy); every strategy starts at the same
phase of the server's window, on its own traced session (every HTTP exchange recorded
client-side, :func:`benchmarks._measure.traced_session`), and is stopped at a deadline (twice
its ideal time plus 10 s) if it has not finished by then.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ._measure import Timeline, traced_session, window_phase
from ._report import fmt_stats, md_table
from ._server_processes import SandboxProcess
from ._suite import SuiteOptions, SuiteReport, Target
from .phases import phase_table, phases
from .scenarios import Scenario, allowed_between, scenarios
from .strategies import ATTEMPTS, STRATEGIES, TUNED_RTT, Job

NAME = "throttle"
DESCRIPTION = (
    "throttle quality at 250 ms and on loopback: SDK defaults vs no limiter, aiolimiter, "
    "tenacity, a hand-tuned aiolimiter"
)
WARM_UP = 3.0
TARGET_SHARE = 0.95
TARGET_429 = 0.02
PHASE = 0.5
"""Every run starts this far (in periods) into a server window: mid-window, the same for all."""
DEADLINE_FACTOR, DEADLINE_EXTRA = 2.0, 10.0


@dataclass
class Result:
    scenario: Scenario
    strategy: str
    total: int
    failures: Counter[str]
    elapsed: float
    stopped: bool  # at the deadline
    timeline: Timeline
    server: dict[str, Any]
    client_stats: dict[str, Any] | None = None
    sandbox_cpu: float = 0.0
    client_cpu: float = 0.0  # CPU seconds of this (the client's) process during the run
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def succeeded(self) -> int:
        return sum(1 for _, _, status in self.timeline.events if status == 200)

    @property
    def lost(self) -> int:
        return sum(self.failures.values())

    @property
    def unfinished(self) -> int:
        return max(0, self.total - self.succeeded - self.lost)

    @property
    def share(self) -> float:
        """Successes per allowed request, from the start to the last answer."""
        allowed = allowed_between(self.scenario.schedule, 0.0, self.elapsed)
        return self.succeeded / allowed if allowed else 0.0

    @property
    def share_warm(self) -> float | None:
        """Successes answered after the first ``WARM_UP`` s per request allowed meanwhile."""
        allowed = allowed_between(self.scenario.schedule, WARM_UP, self.elapsed)
        if self.elapsed < WARM_UP + 1.0 or not allowed:
            return None
        return self.timeline.answered(200, after=WARM_UP) / allowed

    @property
    def sent_429(self) -> int:
        return int(self.server.get("rate_limited", 0))

    @property
    def share_429(self) -> float | None:
        return self.timeline.share(429)

    @property
    def share_429_warm(self) -> float | None:
        return self.timeline.share(429, after=WARM_UP)

    @property
    def peak_in_flight(self) -> int:
        """The most requests in flight at once (from the client-side timeline)."""
        edges = sorted(
            [(sent, 1) for sent, _, _ in self.timeline.events]
            + [(answered, -1) for _, answered, _ in self.timeline.events]
        )
        peak = level = 0
        for _, step in edges:
            level += step
            peak = max(peak, level)
        return peak


async def _run_one(
    scenario: Scenario, strategy: str, sb: SandboxProcess, concurrency: int
) -> Result:
    n = scenario.sdk_items if strategy == "sdk" else scenario.alt_items
    deadline = scenario.ideal_seconds(n) * DEADLINE_FACTOR + DEADLINE_EXTRA
    timeline = Timeline()
    async with traced_session(timeline) as session:
        items = scenario.items(n)
        rate = scenario.right_rate
        job = Job(sb.base_url, sb.token, items, scenario.kind, concurrency, rate, session)
        await window_phase(1.0, PHASE)
        sb.reset()  # the workspace schedule starts now
        timeline.start()
        try:
            await asyncio.wait_for(STRATEGIES[strategy](job), deadline)
            stopped = False
        except asyncio.TimeoutError:
            stopped = True
        elapsed = timeline.now()
    return Result(
        scenario, strategy, n, job.failures, elapsed, stopped, timeline, sb.stats(),
        job.client_stats,
    )  # fmt: skip


def run_scenario(scenario: Scenario, options: SuiteOptions) -> list[Result]:
    """Every strategy on ``scenario``, one sandbox process, reset before each strategy."""
    results = []
    with SandboxProcess(**scenario.sandbox) as sb:
        for strategy in options.strategies or STRATEGIES:
            time.sleep(0.5)  # the previous run's stragglers land before the reset
            cpu, own = sb.cpu_seconds(), time.process_time()
            result = asyncio.run(_run_one(scenario, strategy, sb, options.concurrency))
            result.sandbox_cpu = sb.cpu_seconds() - cpu
            result.client_cpu = time.process_time() - own
            results.append(result)
            print(f"  {scenario.key:32} {strategy:16} {summary(result)}", flush=True)
    return results


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def _share(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3f}"


def summary(r: Result) -> str:
    end = "stopped at deadline" if r.stopped else "done"
    steps = ""
    if len(r.scenario.schedule) > 1:
        steps = "; phases " + ", ".join(
            f"{p.limit:.0f}/s: {'n/a' if p.share is None else f'{p.share:.2f}'} "
            f"(0.9 after {'never' if p.reached is None else f'{p.reached:.1f}s'})"
            for p in phases(r.scenario.schedule, r.timeline, r.elapsed)
        )
    cpu = r.client_cpu / max(1, len(r.timeline.events))
    alone = f"{1 / cpu / r.scenario.right_rate:.2f}" if cpu > 0 else "n/a"
    return (
        f"client CPU {cpu * 1000:.2f} ms/request (a core of its own: {alone} of the limit); "
        f"{r.succeeded}/{r.total} ok, {r.lost} lost, {r.elapsed:.1f}s ({end}); share "
        f"{_share(r.share)} (after {WARM_UP:g}s {_share(r.share_warm)}); 429s {r.sent_429} "
        f"({_pct(r.share_429)}, after {WARM_UP:g}s {_pct(r.share_429_warm)}); peak in flight "
        f"{r.peak_in_flight}{steps}"
    )


def _not_behind(sdk: Result, other: Result) -> tuple[bool, str]:
    """Not behind: the other lost more items, or the SDK reaches at least 0.98 of its share with
    no larger share of 429s. Shares after the warm-up when both have one: the others' shorter
    runs gain most from the burst a fresh server window allows at the start."""
    mine, theirs = sdk.share_warm, other.share_warm
    if mine is None or theirs is None:
        mine, theirs = sdk.share, other.share
    ok = sdk.lost < other.lost or (
        sdk.lost == other.lost
        and mine >= 0.98 * theirs
        and (sdk.share_429 or 0.0) <= (other.share_429 or 0.0)
    )
    detail = (
        f"{other.strategy}: share {other.share:.3f} (after {WARM_UP:g} s "
        f"{_share(other.share_warm)}), 429s {_pct(other.share_429)}, {other.lost} lost"
    )
    return ok, detail


def targets(results: list[Result]) -> list[Target]:
    sdk = next((r for r in results if r.strategy == "sdk"), None)
    if sdk is None:
        return []
    key = sdk.scenario.key
    warm = sdk.timeline.statuses(after=WARM_UP)
    verdicts = [_not_behind(sdk, r) for r in results if r is not sdk]
    found = [
        Target(
            f"{key}: sdk >= {TARGET_SHARE:.2f} of the allowed rate, no item lost",
            sdk.share >= TARGET_SHARE and sdk.lost == 0 and not sdk.stopped,
            f"{sdk.share:.3f} (after {WARM_UP:g} s: {_share(sdk.share_warm)}; "
            f"{sdk.succeeded}/{sdk.total} ok, {sdk.lost} lost)",
        ),
        Target(
            f"{key}: sdk <= {TARGET_429:.0%} 429s after {WARM_UP:g} s",
            sdk.share_429_warm is not None and sdk.share_429_warm <= TARGET_429,
            f"{_pct(sdk.share_429_warm)} ({warm[429]} of {sum(warm.values())}; "
            f"{sdk.sent_429} 429s in all)",
        ),
    ]
    if verdicts:
        found.append(
            Target(
                f"{key}: sdk not behind any other strategy (share, 429s, items lost)",
                all(ok for ok, _ in verdicts),
                "; ".join(("" if ok else "BEHIND ") + d for ok, d in verdicts),
            )
        )
    return found


def table(results: list[Result]) -> str:
    rows = []
    for r in results:
        failed = ", ".join(f"{n} {k}" for k, n in r.failures.most_common()) or "0"
        rows.append(
            [
                f"`{r.strategy}`",
                f"{r.succeeded}/{r.total}",
                failed,
                r.unfinished or "",
                f"{r.elapsed:.1f}" + (" (stopped)" if r.stopped else ""),
                f"{r.succeeded / r.elapsed:.1f}" if r.elapsed else "n/a",
                _share(r.share),
                _share(r.share_warm),
                len(r.timeline.events),
                r.sent_429,
                _pct(r.share_429),
                _pct(r.share_429_warm),
                r.peak_in_flight,
                f"{r.sandbox_cpu:.1f}",
                f"{r.client_cpu:.1f}",
            ]
        )
    return md_table(
        [
            "strategy",
            "succeeded",
            "lost",
            "unfinished",
            "time (s)",
            "ok/s",
            "share of allowed",
            f"share after {WARM_UP:g} s",
            "requests",
            "429s (server)",
            "429 share",
            f"429 share after {WARM_UP:g} s",
            "peak in flight",
            "sandbox CPU (s)",
            "client CPU (s)",
        ],
        rows,
    )


def client_line(results: list[Result]) -> str:
    for r in results:
        if r.client_stats is not None:
            line = f"`sdk` client after the run: `client.stats`: {fmt_stats(r.client_stats)}"
            snapshot = r.client_stats.get("throttle_snapshot")
            if isinstance(snapshot, Mapping):
                line += f"; `client.throttle_snapshot()`: {fmt_stats(snapshot)}"
            return line
    return ""


def sdk_table(all_results: list[list[Result]]) -> str:
    rows = []
    for results in all_results:
        r = next((x for x in results if x.strategy == "sdk"), None)
        others = [x for x in results if x is not r]
        if r is None:
            continue
        best = max(others, key=lambda x: (x.lost == 0, x.share), default=None)
        shown = (
            "-"
            if best is None
            else (
                f"`{best.strategy}`: {_share(best.share)}, {best.sent_429} 429s, {best.lost} lost"
            )
        )
        rows.append(
            [
                f"`{r.scenario.key}`",
                _share(r.share),
                _share(r.share_warm),
                f"{r.sent_429} ({_pct(r.share_429)})",
                _pct(r.share_429_warm),
                r.lost,
                r.peak_in_flight,
                shown,
            ]
        )
    return md_table(
        [
            "scenario",
            "sdk share of allowed",
            f"after {WARM_UP:g} s",
            "429s (share)",
            f"429 share after {WARM_UP:g} s",
            "lost",
            "peak in flight",
            "best other (no item lost first, then share)",
        ],
        rows,
    )


def _method(options: SuiteOptions, png: list[str]) -> list[str]:
    return [
        "- Latency scenarios: the sandbox answers each request after 250 ms ± 50 ms (uniform, "
        "seeded); loopback scenarios after 20 ms. Each scenario has its own sandbox process, "
        "reset at the start of each strategy (a workspace schedule starts then); every "
        f"strategy starts {PHASE:g} s into a server window (the same phase for all).",
        "- **Distinct contacts** (hidden workspace limit): `sdk` is `AelystClient(token, "
        "base_url=...)` with default settings and ONE `client.contacts.bulk_upsert(contacts)` "
        "call, no `concurrency` (the client's Little's-law hint sets it). **One contact** "
        "(announced per-path limit): every strategy, `sdk` (`create_or_update`) included, runs "
        f"{options.concurrency} plain workers. The SDK is given the traced session; like its own, "
        "it has no connection limit.",
        f"- `gather`, `aiolimiter` (one `AsyncLimiter(5, 1)` per path) and `tenacity` (retry on "
        f"429 after `Retry-After`, {ATTEMPTS} attempts) run {options.concurrency} workers. "
        "`aiolimiter tuned`: ONE `AsyncLimiter(W, 1)` at the rate allowed at the start (W; for "
        f"the changing limit, its first value), ceil(W x {TUNED_RTT:g} s) workers, 429s retried "
        f"after their `Retry-After` (1 s if absent), {ATTEMPTS} attempts.",
        "- The SDK runs the whole work; the others the first part of the same items (shorter "
        "runs: rates are compared, not times), except for the changing limit, where all run all "
        "items. A run not finished by twice its ideal time plus 10 s is stopped (*stopped*): "
        "its *unfinished* items are neither succeeded nor lost.",
        "- *share of allowed* = successes / the requests the server allowed from the start to "
        f"the last answer; *after {WARM_UP:g} s*: successes answered after {WARM_UP:g} s / the "
        f"requests allowed after {WARM_UP:g} s. *429 share after {WARM_UP:g} s*: among requests "
        f"*sent* after {WARM_UP:g} s (retries included). *lost*: items a strategy gave up on. "
        "*peak in flight*: the most requests awaiting an answer at once. A fresh server window "
        "allows a burst at the start, so short runs can exceed 1.0; *not behind* compares "
        f"shares after {WARM_UP:g} s.",
        "",
        *[f"![200s and 429s per second, {p.split('.')[0]}]({p})" for p in png],
    ]


def run(options: SuiteOptions) -> SuiteReport:
    """Run every scenario, write the plots, return the RESULTS.md section."""
    from .throttle_plot import plot

    chosen = [
        s
        for s in scenarios(options.quick)
        if not options.scenarios or s.key.startswith(options.scenarios)
    ]
    all_results = [run_scenario(s, options) for s in chosen]
    suffix = "-quick" if options.quick else ""
    latency = [rs for rs in all_results if not rs[0].scenario.key.startswith("loopback")]
    loopback = [rs for rs in all_results if rs[0].scenario.key.startswith("loopback")]
    pngs = []
    for name, group in (
        (f"throttle-latency{suffix}.png", latency),
        (f"throttle{suffix}.png", loopback),
    ):
        if group:
            plot(group, str(options.out_dir / name))
            pngs.append(name)
    parts = _method(options, pngs)
    parts += ["", "#### The SDK in every scenario", "", sdk_table(all_results)]
    found: list[Target] = []
    for results in all_results:
        parts += ["", f"#### `{results[0].scenario.key}`: {results[0].scenario.title}", ""]
        parts.append(table(results))
        if len(results[0].scenario.schedule) > 1:
            schedule = results[0].scenario.schedule
            rows = [(r.strategy, phases(schedule, r.timeline, r.elapsed)) for r in results]
            parts += ["", phase_table(rows)]
        line = client_line(results)
        if line:
            parts += ["", line]
        found += targets(results)
    return SuiteReport("Throttle quality", "\n".join(parts), found)
