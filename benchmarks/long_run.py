"""Long runs (issue 22): nothing of the client may decay, grow without bound or overflow.

1. ``aelyst upsert`` of 300,000 generated rows (``firstName,lastName,email,countryCode``, distinct
   emails) with its default settings (adaptive concurrency) against the sandbox in its own
   process with no workspace limit, to the end: every row must succeed, the rows/s of the last
   10% of the run at least 0.9 of the first half's, the peak RSS reported. The rows/s over time
   are the sandbox's contact count, read once a second.
2. ``bulk_upsert`` for ``BULK_SECONDS`` (10 minutes) of traffic, in this process, against the
   same kind of sandbox: the same no-decay target per minute, the throttle's state at the end.

The sandbox answers after ``LATENCY`` seconds (± ``JITTER``), a network's round trip. The
``million`` suite (:mod:`benchmarks.long_million`) runs the upsert on 1,000,000 rows.
``--quick``: 30,000 rows and one minute of ``bulk_upsert``.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psutil  # type: ignore[import-untyped]

from aelyst_async import AelystClient, Contact

from ._report import md_table
from ._server_processes import SandboxProcess, peak_rss
from ._suite import ROOT, SuiteOptions, SuiteReport, Target

NAME = "long"
DESCRIPTION = "long runs: `aelyst upsert` of 300,000 rows and 10 minutes of bulk_upsert, no decay"
LATENCY = 0.05
JITTER = 0.01
ROWS, QUICK_ROWS = 300_000, 30_000
BULK_SECONDS, QUICK_BULK_SECONDS = 600.0, 60.0
NO_DECAY = 0.9
"""The rows/s of the last 10% of a run, at least this share of the first half's."""
MiB = 2**20


def write_rows(path: Path, rows: int) -> None:
    """``rows`` rows of ``firstName,lastName,email,countryCode``, each email distinct."""
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["firstName", "lastName", "email", "countryCode"])
        for i in range(rows):
            writer.writerow([f"Ana{i % 97}", f"Lim{i % 89}", f"ana.lim.{i}@example.com", "MY"])


@dataclass
class Run:
    """One long run: its progress over time and its end."""

    label: str
    total: int
    wall: float = 0.0
    progress: list[tuple[float, int]] = field(default_factory=list)  # (seconds, rows done)
    peak_rss: int = 0
    ok: bool = False
    detail: str = ""

    def rate(self, start: float, end: float) -> float:
        """Rows per second between ``start`` and ``end`` (shares of the run's wall time)."""
        t0, t1 = start * self.wall, end * self.wall
        before = [(t, n) for t, n in self.progress if t <= t0] or [(0.0, 0)]
        upto = [(t, n) for t, n in self.progress if t <= t1] or [(0.0, 0)]
        (ta, na), (tb, nb) = before[-1], upto[-1]
        return (nb - na) / (tb - ta) if tb > ta else 0.0

    @property
    def decay(self) -> float:
        """rows/s of the last 10% of the run over those of its first half."""
        first = self.rate(0.0, 0.5)
        return self.rate(0.9, 1.0) / first if first else 0.0

    def deciles(self) -> list[str]:
        return [f"{self.rate(i / 10, (i + 1) / 10):.0f}" for i in range(10)]


def run_cli(sb: SandboxProcess, path: Path, rows: int, label: str) -> Run:
    """``python -m aelyst_async upsert`` with its defaults; progress from the sandbox's count."""
    run = Run(label, rows)
    out = path.with_suffix(".out")
    args = [sys.executable, "-m", "aelyst_async", "upsert", str(path)]
    args += ["--token", sb.token, "--base-url", sb.base_url, "--progress", "off"]
    start_count = int(sb.stats().get("contacts", 0))
    t0 = time.perf_counter()
    with out.open("w") as stdout:
        proc = subprocess.Popen(args, stdout=stdout, stderr=subprocess.STDOUT, cwd=ROOT)
    while True:
        pid, status, _ = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        with contextlib.suppress(psutil.Error, OSError):  # exiting
            run.peak_rss = max(run.peak_rss, peak_rss(proc.pid))
        with contextlib.suppress(OSError):
            done = int(sb.stats().get("contacts", 0)) - start_count
            run.progress.append((time.perf_counter() - t0, done))
        time.sleep(1.0)
    run.wall = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    done = int(sb.stats().get("contacts", 0)) - start_count
    run.progress.append((run.wall, done))
    lines = out.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    summary = lines[-1] if lines else ""
    run.ok = code == 0 and done == rows and f"succeeded {rows}," in summary
    run.detail = f"exit {code}; {done} contacts created; {summary}"
    print(
        f"  {label}: {run.detail} in {run.wall:.0f}s, peak RSS {run.peak_rss / MiB:.0f} MiB, "
        f"rows/s by tenth {' '.join(run.deciles())}, last 10% / first half {run.decay:.2f}",
        flush=True,
    )
    return run


async def _bulk(sb: SandboxProcess, seconds: float) -> Run:
    run = Run(f"bulk_upsert for {seconds / 60:g} min", 0)
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    done = 0

    def contacts() -> Iterator[Contact]:
        i = 0
        while loop.time() - t0 < seconds:
            yield Contact(f"Ana{i}", last_name="Lim", email=f"bulk.{i}@example.com")
            i += 1

    async def watch() -> None:
        while True:
            run.progress.append((loop.time() - t0, done))
            run.peak_rss = max(run.peak_rss, psutil.Process().memory_info().rss)
            await asyncio.sleep(1.0)

    async with AelystClient(sb.token, base_url=sb.base_url) as client:
        watcher = asyncio.create_task(watch())
        failed = 0
        async for outcome in client.contacts.upsert_many(contacts()):
            done += 1
            failed += not outcome.ok
        watcher.cancel()
        run.wall = loop.time() - t0
        run.progress.append((run.wall, done))
        snapshot = client.throttle_snapshot()
        run.total = done
        rate = snapshot.workspace_rate
        finite = rate is None or math.isfinite(rate)
        run.ok = failed == 0 and finite
        run.detail = (
            f"{done} upserts, {failed} failed; throttle at the end: workspace "
            f"{snapshot.workspace_source} {rate}, {snapshot.paths} path budgets, "
            f"concurrency hint {client._sender.throttle.suggested_concurrency()}"
        )
    print(
        f"  {run.label}: {run.detail}, peak RSS {run.peak_rss / MiB:.0f} MiB, rows/s by tenth "
        f"{' '.join(run.deciles())}, last 10% / first half {run.decay:.2f}",
        flush=True,
    )
    return run


def run_long(rows: int, bulk_seconds: float | None) -> list[Run]:
    runs = []
    with tempfile.TemporaryDirectory(prefix="aelyst-long-") as tmp:
        path = Path(tmp) / f"contacts-{rows}.csv"
        write_rows(path, rows)
        with SandboxProcess(latency=LATENCY, latency_jitter=JITTER) as sb:
            runs.append(run_cli(sb, path, rows, f"aelyst upsert of {rows:,} rows"))
        if bulk_seconds is not None:
            with SandboxProcess(latency=LATENCY, latency_jitter=JITTER) as sb:
                runs.append(asyncio.run(_bulk(sb, bulk_seconds)))
    return runs


def section(runs: list[Run]) -> tuple[str, list[Target]]:
    table = md_table(
        [
            "run",
            "wall (s)",
            "rows/s overall",
            "rows/s by tenth of the run",
            "last 10% / first half",
            "peak RSS (MiB)",
            "end",
        ],
        [
            [
                r.label,
                f"{r.wall:.0f}",
                f"{r.total / r.wall:.0f}" if r.wall else "-",
                " / ".join(r.deciles()),
                f"{r.decay:.2f}",
                f"{r.peak_rss / MiB:.0f}",
                r.detail,
            ]
            for r in runs
        ],
    )
    text = (
        f"Sandbox in its own process, no workspace limit, latency {LATENCY:g} s ± {JITTER:g} s; "
        "`aelyst upsert` with its defaults (adaptive concurrency, `--progress off`); rows/s from "
        "the sandbox's contact count read once a second; peak RSS: the kernel's `VmHWM` of the "
        "upsert process (the benchmark process's RSS for `bulk_upsert`).\n\n" + table
    )
    targets = []
    for r in runs:
        targets.append(Target(f"{r.label}: every row succeeded", r.ok, r.detail))
        targets.append(
            Target(
                f"{r.label}: no decay (last 10% >= {NO_DECAY:g} x first half)",
                r.decay >= NO_DECAY,
                f"{r.decay:.2f}",
            )
        )
    return text, targets


def run(options: SuiteOptions) -> SuiteReport:
    rows, seconds = (QUICK_ROWS, QUICK_BULK_SECONDS) if options.quick else (ROWS, BULK_SECONDS)
    text, targets = section(run_long(rows, seconds))
    return SuiteReport("Long runs (issue 22)", text, targets)
