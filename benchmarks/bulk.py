"""Bulk upserts: ``bulk_upsert`` under a hidden workspace limit, memory of ``aelyst upsert``, and
throughput with no limits against raw aiohttp.

1. **limited**: 10,000 distinct contacts (``Contact(f"User{i}", email=f"user{i}@example.com")``,
   built lazily by a generator) through ``client.contacts.bulk_upsert(..., concurrency=32)`` with
   the default policies, against a sandbox process with a hidden workspace limit of 200/s
   (per-path 5/s, irrelevant for distinct contacts; 20 ms per answer). Share of the allowed rate,
   429s from the sandbox's own counters and from a client-side timeline of every HTTP exchange
   (:func:`benchmarks._harness.traced_session`), retries seen by the client's ``on_retry`` hook,
   and ``client.stats``.
2. **memory**: ``python -m aelyst_async upsert FILE --progress off --concurrency 32`` on
   generated CSV files of 10,000 and 200,000 valid rows (the rows of ``examples/contacts.csv``
   with distinct emails) against an unlimited sandbox in another process. The peak RSS of each
   upsert process is the kernel's high-water mark (``VmHWM`` of ``/proc/PID/status``), its RSS
   also sampled every 50 ms to see where it grows.
3. **throughput**: requests per second of ``bulk_upsert`` (default policies, strict and basic
   validation) against raw aiohttp posting pre-built JSON with the same concurrency, same
   unlimited sandbox, alternating repeats, medians.

``--quick``: 2,000 contacts; 2,000 vs 20,000 rows; 1,000 requests per throughput run.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import attrs
import psutil  # type: ignore[import-untyped]

from aelyst_async import AelystClient, BulkProgress, BulkReport, Contact, RetryEvent

from ._harness import (
    ROOT,
    Sample,
    SandboxProcess,
    SuiteOptions,
    SuiteReport,
    Target,
    Timeline,
    fmt_stats,
    md_table,
    measure_run,
    own_cpu,
    post_raw,
    run_workers,
    traced_session,
    window_phase,
)

NAME = "bulk"
DESCRIPTION = (
    "bulk_upsert under a hidden 200/s workspace limit, `aelyst upsert` memory on 10k vs 200k "
    "rows, throughput vs raw aiohttp"
)
WORKSPACE = 200
PER_PATH = 5
LATENCY = 0.02
WARM_UP = 2.0
PHASE = 0.5
UNLIMITED = 10**6
SAMPLE_INTERVAL = 0.05
TARGET_SHARE = 0.95
TARGET_429 = 0.02
TARGET_MEMORY = 1.1
TARGET_THROUGHPUT = 0.85
EXAMPLE_CSV = ROOT / "examples" / "contacts.csv"
MiB = 2**20


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


# -- 1. under a hidden workspace limit ------------------------------------------------------------


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


# -- 2. memory of `aelyst upsert` ----------------------------------------------------------------


def write_csv(path: Path, rows: int) -> None:
    """``rows`` valid rows: those of ``examples/contacts.csv`` in turn, each with its own email."""
    with EXAMPLE_CSV.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        fieldnames = list(reader.fieldnames or [])
        templates = list(reader)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=fieldnames)
        writer.writeheader()
        for i in range(rows):
            row = dict(templates[i % len(templates)])
            local, _, domain = row["email"].partition("@")
            row["email"] = f"{local}.{i}@{domain}" if domain else f"contact.{i}@example.com"
            writer.writerow(row)


@dataclass
class MemoryResult:
    rows: int
    exit_code: int
    wall: float
    peak_rss: int  # bytes, the kernel's VmHWM of the process
    samples: list[tuple[float, int]]  # (seconds since start, RSS bytes)
    summary: str
    creates: int

    @property
    def sampled_peak(self) -> int:
        return max((rss for _, rss in self.samples), default=0)

    def rss_at(self, fraction: float) -> int:
        """The sampled RSS at ``fraction`` of the run's wall time."""
        at = fraction * self.wall
        before = [rss for t, rss in self.samples if t <= at]
        return before[-1] if before else 0


def _vm_hwm(pid: int) -> int:
    """The peak resident set size of process ``pid`` so far, in bytes."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def run_upsert(sb: SandboxProcess, path: Path, rows: int, concurrency: int) -> MemoryResult:
    """``python -m aelyst_async upsert`` on ``path``; its peak RSS from ``/proc/PID/status``.

    ``VmHWM`` is the high-water mark of the exec'd program alone; ``ru_maxrss`` from ``wait4``
    is not: Linux carries the forking parent's size over into it.
    """
    sb.reset()
    out = path.with_suffix(".out")
    args = [sys.executable, "-m", "aelyst_async", "upsert", str(path)]
    args += ["--token", sb.token, "--base-url", sb.base_url, "--progress", "off"]
    args += ["--concurrency", str(concurrency)]
    samples: list[tuple[float, int]] = []
    high_water = 0
    t0 = time.perf_counter()
    with out.open("w") as stdout:
        proc = subprocess.Popen(args, stdout=stdout, stderr=subprocess.STDOUT, cwd=ROOT)
    child = psutil.Process(proc.pid)
    while True:
        pid, status, _ = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        with contextlib.suppress(psutil.Error, OSError):  # exiting
            samples.append((time.perf_counter() - t0, int(child.memory_info().rss)))
            high_water = max(high_water, _vm_hwm(proc.pid))
        time.sleep(SAMPLE_INTERVAL)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    lines = out.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    summary = lines[-1] if lines else ""
    creates = int(sb.stats().get("creates", 0))
    result = MemoryResult(rows, proc.returncode, wall, high_water, samples, summary, creates)
    print(
        f"  memory     {rows} rows: exit {result.exit_code} in {wall:.1f}s "
        f"({rows / wall:.0f} rows/s), peak RSS {result.peak_rss / MiB:.1f} MiB; {summary}",
        flush=True,
    )
    return result


def run_memory(sizes: tuple[int, int], concurrency: int) -> list[MemoryResult]:
    results = []
    with tempfile.TemporaryDirectory(prefix="aelyst-bench-") as tmp:
        files = []
        for rows in sizes:
            path = Path(tmp) / f"contacts-{rows}.csv"
            write_csv(path, rows)
            files.append((path, rows))
        with SandboxProcess(per_path=UNLIMITED, latency=0) as sb:
            for path, rows in files:
                results.append(run_upsert(sb, path, rows, concurrency))
    return results


def memory_section(results: list[MemoryResult], concurrency: int) -> tuple[str, list[Target]]:
    small, large = results[0], results[-1]
    ratio = large.peak_rss / small.peak_rss if small.peak_rss else float("inf")
    rows = [
        [
            f"{r.rows:,}",
            r.exit_code,
            f"{r.creates:,}",
            f"{r.wall:.1f}",
            f"{r.rows / r.wall:.0f}",
            f"**{r.peak_rss / MiB:.1f}**",
            f"{r.sampled_peak / MiB:.1f}",
            " / ".join(f"{r.rss_at(x) / MiB:.1f}" for x in (0.1, 0.25, 0.5, 0.75, 1.0)),
            f"`{r.summary}`",
        ]
        for r in results
    ]
    table = md_table(
        [
            "rows",
            "exit code",
            "contacts created (sandbox)",
            "wall time (s)",
            "rows/s",
            "peak RSS (MiB)",
            "sampled peak RSS (MiB)",
            "sampled RSS at 10 / 25 / 50 / 75 / 100% of the run (MiB)",
            "the command's summary line",
        ],
        rows,
    )
    text = "\n".join(
        [
            "#### 2. Memory of `aelyst upsert`",
            "",
            "`python -m aelyst_async upsert FILE --token T --base-url U --progress off "
            f"--concurrency {concurrency}` as a subprocess on generated CSV files (the rows of "
            "`examples/contacts.csv` in turn, each with its own email, so every row is a distinct "
            "valid contact; custom-field columns included), against an unlimited sandbox in "
            f"another process (per-path {UNLIMITED}, no workspace limit, no latency), reset "
            "before each run. The first rows load the strict validators' data and fill the "
            "SDK's bounded caches, so RSS rises during the first seconds of any run; the sampled "
            "columns show where it grows. *Peak RSS*: the kernel's high-water mark of the upsert "
            "process (`VmHWM`, read from `/proc/PID/status` while it runs); also sampled every "
            f"{SAMPLE_INTERVAL * 1000:.0f} ms with psutil. *rows/s*: rows / the process's wall "
            "time, start-up and the row-counting pass over the file included.",
            "",
            table,
            "",
            f"Peak RSS ratio {large.rows:,} / {small.rows:,} rows: **{ratio:.3f}x**.",
        ]
    )
    codes = ", ".join(str(r.exit_code) for r in results)
    targets = [
        Target(
            f"bulk: `aelyst upsert` peak RSS on {large.rows:,} rows <= {TARGET_MEMORY}x "
            f"on {small.rows:,} (exit codes 0)",
            ratio <= TARGET_MEMORY and all(r.exit_code == 0 for r in results),
            f"{ratio:.3f}x ({large.peak_rss / MiB:.1f} vs {small.peak_rss / MiB:.1f} MiB; "
            f"exit codes {codes})",
        )
    ]
    return text, targets


# -- 3. throughput with no limits ----------------------------------------------------------------


@dataclass(frozen=True)
class Work:
    base_url: str
    token: str
    concurrency: int
    contacts: list[Contact]  # for the SDK
    payloads: list[tuple[str, bytes]]  # for raw aiohttp: (URL, JSON body)


def make_work(sb: SandboxProcess, n: int, concurrency: int) -> Work:
    items, payloads = [], []
    for i in range(n):
        email = f"user{i}@example.com"
        items.append(Contact(f"User{i}", email=email))
        body = f'{{"firstName": "User{i}", "email": "{email}"}}'.encode()
        payloads.append((f"{sb.base_url}/contact/create_or_update/email:{email}", body))
    return Work(sb.base_url, sb.token, concurrency, items, payloads)


async def raw(work: Work, n: int) -> None:
    await post_raw(work.token, work.payloads[:n], work.concurrency)


Strategy = Callable[[Work, int], Coroutine[Any, Any, None]]


def bulk_with(validation: Literal["strict", "basic", "off"]) -> Strategy:
    """``bulk_upsert`` with the default policies and ``validation``."""

    async def sdk(work: Work, n: int) -> None:
        async with AelystClient(work.token, base_url=work.base_url, validation=validation) as c:
            report = await c.contacts.bulk_upsert(work.contacts[:n], concurrency=work.concurrency)
        if report.failed or report.succeeded != n:
            kinds = Counter(type(o.error).__name__ for o in report.failures)
            raise RuntimeError(f"bulk_upsert: {report.succeeded}/{n} ok, failures {dict(kinds)}")

    return sdk


async def workers(work: Work, n: int) -> None:
    """Diagnostics: ``create_or_update`` per item from the same number of plain workers."""
    async with AelystClient(work.token, base_url=work.base_url) as client:

        async def do(contact: Contact) -> None:
            await client.contacts.create_or_update(f"email:{contact.email}", contact)

        failures = await run_workers(work.contacts[:n], work.concurrency, do)
    if failures:
        raise RuntimeError(f"create_or_update: failures {dict(failures)}")


STRATEGIES: dict[str, Strategy] = {
    "raw": raw,
    "bulk_upsert": bulk_with("strict"),  # the default, and the one the target is about
    "bulk_upsert validation=basic": bulk_with("basic"),
    "create_or_update workers": workers,  # the same requests without the bulk layer
}


def measure(sb: SandboxProcess, work: Work, strategy: str, n: int) -> Sample:
    return measure_run(sb, strategy, STRATEGIES[strategy](work, n))


def run_throughput(n: int, repeats: int, concurrency: int) -> list[Sample]:
    names = list(STRATEGIES)
    samples = []
    with SandboxProcess(per_path=UNLIMITED, latency=0) as sb:
        work = make_work(sb, n, concurrency)
        for name in names:  # warm-up: imports, validators' caches, first connections
            measure(sb, work, name, min(n, 500))
        for i in range(repeats):
            for name in names[i % len(names) :] + names[: i % len(names)]:  # rotate the order
                s = measure(sb, work, name, n)
                samples.append(s)
                print(
                    f"  throughput {name:29} #{i + 1}: {n / s.wall:.0f} req/s, {s.cpu:.2f}s "
                    f"client CPU, sandbox {s.sandbox_cpu:.2f}s CPU, "
                    f"other processes {s.other_cpu:.2f}s CPU",
                    flush=True,
                )
    return samples


def throughput_section(
    samples: list[Sample], n: int, repeats: int, concurrency: int
) -> tuple[str, list[Target]]:
    names = list(STRATEGIES)

    def values(name: str, f: str) -> list[float]:
        return [getattr(s, f) for s in samples if s.strategy == name]

    def rate(name: str) -> list[float]:
        return [n / wall for wall in values(name, "wall")]

    med_rate = {name: statistics.median(rate(name)) for name in names}
    rows = []
    for name in names:
        rates = rate(name)
        cpu = statistics.median(values(name, "cpu")) / n * 1e6
        server = statistics.median(values(name, "sandbox_cpu")) / n * 1e6
        other = statistics.median(values(name, "other_cpu")) / n * 1e6
        rows.append(
            [
                f"**`{name}`**" if name == "bulk_upsert" else f"`{name}`",
                f"{med_rate[name]:.0f} ({min(rates):.0f}-{max(rates):.0f})",
                f"{med_rate[name] / med_rate['raw']:.2f}x",
                f"{1e6 / med_rate[name]:.0f}",
                f"{cpu:.0f}",
                f"{server:.0f}",
                f"{other:.0f}",
                "client" if cpu >= server else "sandbox",
            ]
        )
    table = md_table(
        [
            "client",
            "req/s: median (min-max)",
            "vs raw",
            "wall µs/req",
            "client CPU µs/req",
            "sandbox CPU µs/req",
            "other processes CPU µs/req",
            "busier process",
        ],
        rows,
    )
    text = "\n".join(
        [
            "#### 3. Throughput with no limits in force",
            "",
            f"{n} upserts of distinct contacts per run, concurrency {concurrency}, {repeats} "
            "repeats of each client in rotating order after one warm-up run each; the sandbox "
            f"(per-path {UNLIMITED}, no workspace limit, no latency) is reset before each run. "
            "`raw`: one `aiohttp.ClientSession` posting pre-built JSON bytes with "
            f"{concurrency} workers. `bulk_upsert`: `client.contacts.bulk_upsert(contacts, "
            f"concurrency={concurrency})` over a list of `Contact`s, default policies (no limit is "
            "known, so the throttle never waits), its own session, `validation='strict'` (the "
            "default; the target is about it) and `'basic'`. `create_or_update workers` "
            "(diagnostics): the same SDK requests, strict validation, from "
            f"{concurrency} plain workers calling `create_or_update`, without the bulk layer. "
            "Requests per second of the client, medians over the repeats; ratios of medians. "
            "*Other processes*: CPU used by everything else on the machine during a run (noise "
            "on wall time).",
            "",
            table,
            "",
            "**This machine has 2 cores shared by the client and the sandbox process** (and "
            "anything else running): the sandbox's own CPU per request is about the raw "
            "client's, so the raw figure is bounded by the sandbox as much as by aiohttp, and a "
            "client that costs more CPU per request slows the run less than its CPU ratio "
            "(see the Overhead suite for the client CPU ratio).",
        ]
    )
    ratio = med_rate["bulk_upsert"] / med_rate["raw"]
    basic = med_rate["bulk_upsert validation=basic"] / med_rate["raw"]
    targets = [
        Target(
            f"bulk: `bulk_upsert` requests/s with no limits >= {TARGET_THROUGHPUT}x raw aiohttp",
            ratio >= TARGET_THROUGHPUT,
            f"{ratio:.2f}x ({med_rate['bulk_upsert']:.0f} vs {med_rate['raw']:.0f} req/s, medians "
            f"of {repeats}; validation='basic': {basic:.2f}x)",
        )
    ]
    return text, targets


# -- the suite -----------------------------------------------------------------------------------


def run(options: SuiteOptions) -> SuiteReport:
    if options.quick:
        n_limited, sizes, n_throughput, repeats = 2000, (2000, 20000), 1000, 2
    else:
        n_limited, sizes, n_throughput, repeats = 10000, (10000, 200000), 10000, 5
    conc = options.concurrency
    limited = run_limited(n_limited, conc)
    memory = run_memory(sizes, conc)
    samples = run_throughput(n_throughput, repeats, conc)
    parts, targets = [], []
    for text, section_targets in (
        limited_section(limited, conc),
        memory_section(memory, conc),
        throughput_section(samples, n_throughput, repeats, conc),
    ):
        parts.append(text)
        targets += section_targets
    return SuiteReport("Bulk upserts", "\n\n".join(parts), targets)
