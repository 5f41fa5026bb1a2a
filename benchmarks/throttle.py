"""Throttle quality: the SDK against naive strategies, same work, same concurrency.

Scenarios (sandbox in its own process, 20 ms latency per answer):

- **a**: 2,000 upserts of distinct contacts (``email:user{i}@example.com``) under a hidden
  workspace limit of 50/s (per-path 5/s, irrelevant there); allowed rate 50/s;
- **b**: 100 upserts of one contact under 5/s per path; allowed rate 5/s.

Each with fixed and sliding server windows. Strategies, all with the same number of workers:

- ``sdk``: ``AelystClient`` with default ``RateLimitPolicy()`` and ``RetryPolicy()``;
- ``gather``: raw aiohttp, no limiter, no retry: a 429 is a failed item;
- ``aiolimiter``: raw aiohttp, one ``AsyncLimiter(5, 1)`` per method + path (the documented limit,
  applied as documented), no retry;
- ``tenacity``: raw aiohttp, no limiter, retry on 429 waiting its ``Retry-After`` (random
  exponential backoff when absent), up to 30 attempts.

Every HTTP exchange is recorded client-side (:func:`benchmarks._harness.traced_session`), 429s
sent are read from the sandbox's own counters.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import asdict, dataclass, field, is_dataclass
from typing import Any
from urllib.parse import quote

import aiohttp
import attrs
from aiolimiter import AsyncLimiter
from tenacity import RetryCallState, retry, retry_if_result, stop_after_attempt
from tenacity import wait_random_exponential as _wait_random_exponential

import aelyst_async
from aelyst_async import AelystClient, Contact

from ._harness import (
    Failed,
    SandboxProcess,
    SuiteOptions,
    SuiteReport,
    Target,
    Timeline,
    md_table,
    run_workers,
    traced_session,
    window_phase,
)

NAME = "throttle"
DESCRIPTION = "throttle quality: SDK vs no limiter, aiolimiter at 5/s per path, tenacity retries"
LATENCY = 0.02
WARM_UP = 2.0
TENACITY_ATTEMPTS = 30
TARGET_SHARE = 0.95
TARGET_429 = 0.02
PHASE = 0.5
"""Every run starts this far (in periods) into a server window: mid-window, the same for all."""


@dataclass(frozen=True)
class Item:
    identifier: str
    first_name: str
    email: str

    @classmethod
    def distinct(cls, i: int) -> Item:
        return cls(f"email:user{i}@example.com", f"User {i}", f"user{i}@example.com")

    @property
    def path(self) -> str:
        return "/contact/create_or_update/" + quote(self.identifier, safe=":@+")

    @property
    def body(self) -> bytes:
        return f'{{"firstName": "{self.first_name}", "email": "{self.email}"}}'.encode()


@dataclass(frozen=True)
class Scenario:
    key: str
    title: str
    short: str  # for the plot
    items: list[Item]
    allowed: float  # requests per second the server allows for this work
    sandbox: Mapping[str, Any]


def scenarios(quick: bool) -> list[Scenario]:
    """The scenarios of a run: (a) and (b), each with fixed and sliding server windows."""
    n_a, n_b = (200, 20) if quick else (2000, 100)
    distinct = [Item.distinct(i) for i in range(n_a)]
    one = [Item("email:same@example.com", f"Same {i}", "same@example.com") for i in range(n_b)]
    out = []
    for window in ("fixed", "sliding"):
        common = {"per_path": 5, "period": 1.0, "window": window, "latency": LATENCY}
        out.append(
            Scenario(
                f"a-{window}",
                f"(a) {n_a} distinct contacts, hidden workspace limit 50/s, {window} window",
                f"(a) {n_a} distinct contacts, workspace 50/s, {window} window",
                distinct,
                50.0,
                {**common, "workspace": 50},
            )
        )
        out.append(
            Scenario(
                f"b-{window}",
                f"(b) {n_b} upserts of one contact, 5/s per path, {window} window",
                f"(b) {n_b} upserts of one contact, 5/s per path, {window} window",
                one,
                5.0,
                common,
            )
        )
    return sorted(out, key=lambda s: s.key)


# -- strategies ----------------------------------------------------------------------------------


@dataclass
class Job:
    """One strategy's run: where to send, what, through which (traced) session."""

    base_url: str
    token: str
    items: list[Item]
    concurrency: int
    session: aiohttp.ClientSession
    client_stats: dict[str, Any] | None = None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}


async def _post(job: Job, item: Item) -> tuple[int, Mapping[str, str]]:
    async with job.session.post(job.base_url + item.path, data=item.body, headers=job.headers) as r:
        await r.read()
        return r.status, r.headers


def _check(status: int) -> None:
    if status != 200:
        raise Failed(f"HTTP {status}")


def _as_dict(obj: object) -> dict[str, Any] | None:
    if obj is None:
        return None
    if attrs.has(type(obj)):
        return attrs.asdict(obj)  # type: ignore[arg-type]
    if is_dataclass(obj) and not isinstance(obj, type):
        return asdict(obj)
    if hasattr(obj, "as_dict"):
        return dict(obj.as_dict())
    if isinstance(obj, Mapping):
        return dict(obj)
    return dict(vars(obj)) if hasattr(obj, "__dict__") else {"value": repr(obj)}


def sdk_policies() -> dict[str, Any]:
    """``rate_limit=RateLimitPolicy(), retry=RetryPolicy()`` where the SDK has them."""
    out: dict[str, Any] = {}
    for arg, name in (("rate_limit", "RateLimitPolicy"), ("retry", "RetryPolicy")):
        policy = getattr(aelyst_async, name, None)
        if policy is not None:
            out[arg] = policy()
    return out


async def sdk(job: Job) -> Counter[str]:
    async with AelystClient(
        job.token, base_url=job.base_url, session=job.session, **sdk_policies()
    ) as client:

        async def do(item: Item) -> None:
            await client.contacts.create_or_update(
                item.identifier, Contact(item.first_name, email=item.email)
            )

        failures = await run_workers(job.items, job.concurrency, do)
        job.client_stats = _as_dict(getattr(client, "stats", None))
        snapshot = getattr(client, "throttle_snapshot", None)
        if job.client_stats is not None and snapshot is not None:
            job.client_stats["throttle_snapshot"] = _as_dict(snapshot())
    return failures


async def gather(job: Job) -> Counter[str]:
    async def do(item: Item) -> None:
        _check((await _post(job, item))[0])

    return await run_workers(job.items, job.concurrency, do)


async def aiolimiter(job: Job) -> Counter[str]:
    limiters: dict[str, AsyncLimiter] = {}

    async def do(item: Item) -> None:
        limiter = limiters.get(item.path)
        if limiter is None:
            limiter = limiters[item.path] = AsyncLimiter(5, 1)
        async with limiter:
            _check((await _post(job, item))[0])

    return await run_workers(job.items, job.concurrency, do)


_backoff = _wait_random_exponential(multiplier=0.5, max=30)


def _wait_retry_after(state: RetryCallState) -> float:
    """``Retry-After`` of the last 429, else random exponential backoff."""
    outcome = state.outcome
    if outcome is not None and not outcome.failed:
        value = outcome.result()[1].get("Retry-After")
        if value is not None:
            return float(value)
    return _backoff(state)


async def tenacity(job: Job) -> Counter[str]:
    @retry(
        retry=retry_if_result(lambda result: result[0] == 429),
        wait=_wait_retry_after,
        stop=stop_after_attempt(TENACITY_ATTEMPTS),
        retry_error_callback=lambda state: state.outcome.result() if state.outcome else (0, {}),
    )
    async def post(item: Item) -> tuple[int, Mapping[str, str]]:
        return await _post(job, item)

    async def do(item: Item) -> None:
        _check((await post(item))[0])

    return await run_workers(job.items, job.concurrency, do)


STRATEGIES: dict[str, Callable[[Job], Coroutine[Any, Any, Counter[str]]]] = {
    "sdk": sdk,
    "gather": gather,
    "aiolimiter": aiolimiter,
    "tenacity": tenacity,
}


# -- running and reporting -----------------------------------------------------------------------


@dataclass
class Result:
    scenario: Scenario
    strategy: str
    failures: Counter[str]
    elapsed: float
    timeline: Timeline
    server: dict[str, Any]
    client_stats: dict[str, Any] | None = None
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return len(self.scenario.items)

    @property
    def succeeded(self) -> int:
        return self.total - sum(self.failures.values())

    @property
    def share(self) -> float:
        """Successful upserts per second as a share of the allowed rate."""
        return self.succeeded / self.elapsed / self.scenario.allowed

    @property
    def sent_429(self) -> int:
        return int(self.server.get("rate_limited", 0))

    @property
    def share_429_warm(self) -> float | None:
        return self.timeline.share(429, after=WARM_UP)

    @property
    def complete(self) -> bool:
        return self.succeeded == self.total


async def _run_one(scenario: Scenario, strategy: str, sb: SandboxProcess, conc: int) -> Result:
    timeline = Timeline()
    async with traced_session(timeline) as session:
        job = Job(sb.base_url, sb.token, scenario.items, conc, session)
        await window_phase(1.0, PHASE)
        timeline.start()
        failures = await STRATEGIES[strategy](job)
        elapsed = timeline.now()
    return Result(scenario, strategy, failures, elapsed, timeline, sb.stats(), job.client_stats)


def run_scenario(scenario: Scenario, options: SuiteOptions) -> list[Result]:
    """Every strategy on ``scenario``, one sandbox process, reset between strategies."""
    results = []
    with SandboxProcess(**scenario.sandbox) as sb:
        for strategy in STRATEGIES:
            sb.reset()
            time.sleep(0.2)
            cpu = sb.cpu_seconds()
            result = asyncio.run(_run_one(scenario, strategy, sb, options.concurrency))
            result.extra["sandbox_cpu"] = sb.cpu_seconds() - cpu
            results.append(result)
            print(f"  {scenario.key:10} {strategy:10} {_summary(result)}", flush=True)
    return results


def _summary(r: Result) -> str:
    return (
        f"{r.succeeded}/{r.total} ok in {r.elapsed:.2f}s, {r.share:.2f} of allowed, "
        f"{r.sent_429} 429s"
    )


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def _ahead(sdk_result: Result, other: Result) -> tuple[bool, str]:
    """Is the SDK ahead on (time to finish the work, 429s)? Unfinished work takes forever."""
    time_ok = not other.complete or (sdk_result.complete and sdk_result.elapsed <= other.elapsed)
    fewer_429 = sdk_result.sent_429 <= other.sent_429
    other_time = (
        f"{other.elapsed:.2f} s" if other.complete else f"unfinished ({other.succeeded} ok)"
    )
    detail = (
        f"{other.strategy}: {other_time}, {other.sent_429} 429s vs sdk {sdk_result.elapsed:.2f} s, "
        f"{sdk_result.sent_429} 429s"
    )
    return time_ok and fewer_429, detail


def _targets(results: list[Result]) -> list[Target]:
    by = {r.strategy: r for r in results}
    sdk_r = by["sdk"]
    key = sdk_r.scenario.key
    warm = sdk_r.share_429_warm
    targets = [
        Target(
            f"{key}: sdk >= {TARGET_SHARE:.2f} of the allowed rate",
            sdk_r.complete and sdk_r.share >= TARGET_SHARE,
            f"{sdk_r.share:.3f} ({sdk_r.succeeded}/{sdk_r.total} ok)",
        ),
        Target(
            f"{key}: sdk <= {TARGET_429:.0%} 429s after {WARM_UP:g} s",
            warm is not None and warm <= TARGET_429,
            f"{_pct(warm)} ({sdk_r.timeline.statuses(after=WARM_UP)[429]} of "
            f"{sum(sdk_r.timeline.statuses(after=WARM_UP).values())})",
        ),
    ]
    verdicts = [_ahead(sdk_r, r) for r in results if r.strategy != "sdk"]
    targets.append(
        Target(
            f"{key}: sdk ahead of every other strategy on (time, 429s)",
            all(ok for ok, _ in verdicts),
            "; ".join(("" if ok else "NOT ahead of ") + d for ok, d in verdicts),
        )
    )
    return targets


def _table(results: list[Result]) -> str:
    rows = []
    for r in results:
        failed = ", ".join(f"{n} {k}" for k, n in r.failures.most_common()) or "0"
        rows.append(
            [
                f"`{r.strategy}`",
                f"{r.succeeded}/{r.total}",
                failed,
                f"{r.elapsed:.2f}" if r.complete else f"{r.elapsed:.2f} (unfinished)",
                f"{r.succeeded / r.elapsed:.1f}",
                f"{r.share:.3f}" if r.complete else "n/a (unfinished)",
                len(r.timeline.events),
                r.sent_429,
                _pct(r.timeline.share(429)),
                _pct(r.share_429_warm),
                f"{r.extra.get('sandbox_cpu', math.nan):.1f}",
            ]
        )
    return md_table(
        [
            "strategy",
            "succeeded",
            "failed",
            "total time (s)",
            "ok/s",
            "share of allowed",
            "requests sent",
            "429s sent (server)",
            "429 share",
            f"429 share after {WARM_UP:g} s",
            "sandbox CPU (s)",
        ],
        rows,
    )


def _fmt(stats: Mapping[str, Any]) -> str:
    return ", ".join(
        f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}"
        for k, v in stats.items()
        if not isinstance(v, Mapping)
    )


def _client_stats(results: list[Result]) -> str:
    lines = []
    for r in results:
        if r.client_stats is not None:
            line = f"`sdk` client after the run: `client.stats`: {_fmt(r.client_stats)}"
            snapshot = r.client_stats.get("throttle_snapshot")
            if isinstance(snapshot, Mapping):
                line += f"; `client.throttle_snapshot()`: {_fmt(snapshot)}"
            lines.append(line)
    return "\n".join(lines)


def plot(all_results: list[list[Result]], path: str) -> None:
    """200s and 429s per second over time, one row of two panels per scenario."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    style: dict[str, dict[str, Any]] = {
        "sdk": {"color": "tab:blue", "lw": 3.0, "alpha": 0.75, "zorder": 2},
        "gather": {"color": "tab:red", "lw": 1.5, "ls": "--", "zorder": 3},
        "aiolimiter": {"color": "tab:orange", "lw": 1.5, "ls": "-.", "zorder": 3},
        "tenacity": {"color": "tab:green", "lw": 1.6, "ls": ":", "zorder": 4},
    }
    n = len(all_results)
    fig, axes = plt.subplots(n, 2, figsize=(15, 3.7 * n), squeeze=False)
    for row, results in enumerate(all_results):
        scenario = results[0].scenario
        ok_ax, rl_ax = axes[row]
        for r in results:
            done = f"{r.elapsed:.2f} s" if r.complete else f"gave up at {r.elapsed:.2f} s"
            label = f"{r.strategy}: {r.succeeded}/{r.total} ok, {done}, {r.sent_429} 429s"
            for ax, status in ((ok_ax, 200), (rl_ax, 429)):
                centres, rates = r.timeline.per_second(status, bin_width=1.0)
                edges = [c - 0.5 for c in centres] + [centres[-1] + 0.5] if centres else [0.0]
                ax.stairs(rates, edges, label=label, **style[r.strategy])
        ok_ax.axhline(scenario.allowed, color="grey", ls="--", lw=1, label="allowed rate")
        ok_ax.set_title(f"{scenario.short}: 200 responses/s", fontsize=10)
        rl_ax.set_title(f"{scenario.short}: 429 responses/s (symlog scale)", fontsize=10)
        rl_ax.set_yscale("symlog", linthresh=1)
        for ax in (ok_ax, rl_ax):
            ax.set_xlabel("seconds since start (1 s bins, by send time)")
            ax.set_ylabel("responses per second")
            ax.grid(alpha=0.3)
            ax.set_xlim(left=0)
            ax.legend(fontsize=7.5, loc="upper right")
        ok_ax.set_ylim(0, max(scenario.allowed * 2.5, ok_ax.get_ylim()[1] * 1.1))
        rl_ax.set_ylim(0, max(10.0, rl_ax.get_ylim()[1]) * 30)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def run(options: SuiteOptions) -> SuiteReport:
    """Run every scenario, write ``throttle.png``, return the RESULTS.md section."""
    all_results = [run_scenario(s, options) for s in scenarios(options.quick)]
    png = "throttle-quick.png" if options.quick else "throttle.png"
    plot(all_results, str(options.out_dir / png))
    policies = ", ".join(f"`{type(v).__name__}()`" for v in sdk_policies().values())
    parts = [
        f"- Every strategy runs {options.concurrency} workers over the same items, against a fresh "
        f"(reset) sandbox answering after {LATENCY * 1000:.0f} ms, and starts {PHASE:g} s into a "
        "server window (fixed windows are aligned on whole seconds of the machine's monotonic "
        "clock; the same phase for all, so no strategy is luckier with window edges).",
        f"- `sdk`: `AelystClient` with default policies ({policies or 'none yet'}), "
        "`create_or_update` per item. `gather`: raw aiohttp, no limiter, no retry: a 429 is a "
        "failed item. `aiolimiter`: raw aiohttp, one `AsyncLimiter(5, 1)` per method + path, the "
        "documented limit applied as documented (distinct paths never wait for each other), no "
        "retry; a single global `AsyncLimiter(5, 1)` would be safe in (a) but run at 5/s, 0.1 of "
        "the allowed rate (not run). `tenacity`: raw aiohttp, no limiter, retry "
        f"on 429 waiting its `Retry-After`, up to {TENACITY_ATTEMPTS} attempts.",
        "- *share of allowed* = successful upserts / total time / allowed rate (50/s in (a), "
        "5/s in (b)); a run shorter than a few windows can exceed 1.0 through window edges. "
        f"*429 share after {WARM_UP:g} s*: among requests *sent* after the first {WARM_UP:g} s, "
        "from the client-side timeline of every HTTP exchange (retries included); *429s sent*: "
        "the sandbox's own counter.",
        "- A strategy that leaves items failed is *unfinished*: it never completes the work, "
        "so a strategy that finishes is ahead of it on time. *Ahead on (time, 429s)* means not "
        "slower and no more 429s.",
        "",
        f"![requests and 429s per second]({png})",
    ]
    targets: list[Target] = []
    for results in all_results:
        parts += ["", f"#### {results[0].scenario.title}", "", _table(results)]
        stats = _client_stats(results)
        if stats:
            parts += ["", stats]
        targets += _targets(results)
    return SuiteReport("Throttle quality", "\n".join(parts), targets)
