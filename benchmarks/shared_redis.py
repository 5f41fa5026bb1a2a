"""Several processes, one workspace budget: a shared ``RedisLimitStore`` against local throttles.

One sandbox process with a hidden workspace limit of 40/s (per-path 5/s, fixed windows, 20 ms
per answer) and 4 or 8 worker processes, each bulk-upserting distinct contacts (disjoint
emails; 2,400 in all) with its own ``AelystClient``, started together:

1. **shared**: every client's ``RateLimitPolicy(shared=RedisLimitStore.from_url(...))`` on one
   ``redis-server`` the benchmark starts on a free loopback port (one namespace per run);
2. **local**: ``RateLimitPolicy()`` only: each client learns and keeps its own budget.

Reported: combined throughput (upserts that succeeded per second, from the common start to the
last worker's end) as a share of the 40/s limit, the 429 share from the sandbox's own counters
(``rate_limited / requests``), total and per-worker times. Targets for (1): at least 0.95 of the
limit and at most 2% 429s. The shared run takes about 60 s; a run is stopped after three times
its ideal duration (the local one may need it) and reported as stopped. ``--quick``: 400
contacts in all, and no 4-process shared run.

    python -m benchmarks.shared_redis [--quick] [--concurrency 32] [--output FILE]

Also a suite of ``python -m benchmarks`` (``NAME``, ``DESCRIPTION``, ``run(options)``).
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._report import machine_info, md_table
from ._server_processes import RedisServer, SandboxProcess
from ._suite import SuiteOptions, SuiteReport, Target
from .shared_redis_worker import WorkerJob, run_worker

NAME = "shared_redis"
DESCRIPTION = (
    "4 and 8 worker processes, one 40/s workspace: shared RedisLimitStore vs local throttles"
)
WORKERS = (4, 8)
"""The process counts of the shared runs (the local run uses the first)."""
LIMIT = 40
TOTAL = 2400
TOTAL_QUICK = 400
LATENCY = 0.02
TARGET_SHARE = 0.95
TARGET_429 = 0.02
DEADLINE_FACTOR = 3.0
"""A run stops after this many times its ideal duration (a pathological run stays bounded)."""


# -- one run -------------------------------------------------------------------------------------


@dataclass
class Run:
    """One case's figures."""

    case: str
    processes: int
    workers: list[dict[str, Any]] = field(default_factory=list)
    sandbox: dict[str, Any] = field(default_factory=dict)
    start: float = 0.0
    end: float = 0.0

    @property
    def seconds(self) -> float:
        return self.end - self.start

    @property
    def succeeded(self) -> int:
        return sum(int(w.get("succeeded", 0)) for w in self.workers)

    @property
    def throughput(self) -> float:
        return self.succeeded / self.seconds if self.seconds > 0 else 0.0

    @property
    def share(self) -> float:
        return self.throughput / LIMIT

    @property
    def share_429(self) -> float:
        requests = int(self.sandbox.get("requests", 0))
        return int(self.sandbox.get("rate_limited", 0)) / requests if requests else 0.0

    @property
    def finished(self) -> bool:
        return all(w.get("finished") for w in self.workers)


def run_case(
    case: str,
    sb: SandboxProcess,
    redis_url: str | None,
    total: int,
    concurrency: int,
    processes: int,
) -> Run:
    """All workers against the sandbox, started together; the sandbox's counters after."""
    sb.reset()
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(processes + 1)
    results = ctx.Queue()
    per_worker = total // processes
    deadline = DEADLINE_FACTOR * total / LIMIT
    namespace = f"bench:{uuid.uuid4().hex[:12]}"
    procs = [
        ctx.Process(
            target=run_worker,
            args=(
                WorkerJob(
                    i,
                    sb.base_url,
                    sb.token,
                    per_worker,
                    max(1, concurrency // processes),
                    redis_url,
                    namespace,
                    deadline,
                ),
                barrier,
                results,
            ),
        )
        for i in range(processes)
    ]
    for proc in procs:
        proc.start()
    run = Run(case, processes)
    try:
        barrier.wait(timeout=120)
        run.start = time.time()
        for _ in procs:
            run.workers.append(results.get(timeout=deadline + 120))
    finally:
        for proc in procs:
            proc.join(timeout=30)
            if proc.is_alive():
                proc.kill()
                proc.join()
    errors = [w["error"] for w in run.workers if "error" in w]
    if errors:
        raise RuntimeError(f"{case}: worker failed: {errors[0]}")
    run.workers.sort(key=lambda w: w["index"])
    run.end = max(float(w["end"]) for w in run.workers)
    run.sandbox = sb.stats()
    return run


# -- the suite -----------------------------------------------------------------------------------


def _row(run: Run, total: int) -> list[str]:
    times = ", ".join(f"{float(w['end']) - run.start:.0f}" for w in run.workers)
    rates = ", ".join(
        "-" if w["workspace_rate"] is None else f"{float(w['workspace_rate']):.1f}"
        for w in run.workers
    )
    done = "" if run.finished else f" (**stopped**: {run.succeeded} of {total})"
    return [
        f"**{run.case}**" if run.case.startswith("shared") else run.case,
        str(run.processes),
        f"{run.throughput:.1f}/s",
        f"{run.share:.2f}",
        f"{run.sandbox.get('rate_limited', 0)} / {run.sandbox.get('requests', 0)} "
        f"({run.share_429:.1%})",
        f"{run.seconds:.1f} s{done}",
        times,
        rates,
    ]


def run(options: SuiteOptions) -> SuiteReport:
    total = TOTAL_QUICK if options.quick else TOTAL
    shared_counts = WORKERS[1:] if options.quick else WORKERS
    runs: list[Run] = []
    skipped = ""
    with SandboxProcess(per_path=5, workspace=LIMIT, latency=LATENCY) as sb:
        try:
            with RedisServer() as redis:
                print(f"  {NAME}: shared through {redis.url}", flush=True)
                for n in shared_counts:
                    runs.append(run_case("shared", sb, redis.url, total, options.concurrency, n))
                    r = runs[-1]
                    print(f"  {NAME}: shared x{n}: {r.share:.2f}, {r.share_429:.1%} 429s")
        except RuntimeError as exc:
            if "redis-server" not in str(exc):
                raise
            skipped = f"The shared runs were skipped: {exc}."
        print(f"  {NAME}: local throttles only", flush=True)
        runs.append(run_case("local", sb, None, total, options.concurrency, WORKERS[0]))
        print(f"  {NAME}: local: {runs[-1].share:.2f} of the limit, {runs[-1].share_429:.1%} 429s")

    table = md_table(
        [
            "run",
            "processes",
            "throughput",
            f"share of {LIMIT}/s",
            "429s / requests (sandbox)",
            "total time",
            "worker times (s)",
            "learned workspace rate per worker (/s)",
        ],
        [_row(r, total) for r in runs],
    )
    markdown = "\n".join(
        [
            f"{' and '.join(map(str, shared_counts))} worker processes bulk-upserting "
            f"{total:,} distinct contacts in all (`concurrency={options.concurrency}` shared "
            f"among them), against one sandbox process with a hidden workspace limit of {LIMIT}/s "
            f"(per path 5/s, fixed windows, {LATENCY * 1000:.0f} ms per answer). **shared**: every "
            "client with `RateLimitPolicy(shared=RedisLimitStore.from_url(...))` on one local "
            f"`redis-server`; **local** ({WORKERS[0]} processes): `RateLimitPolicy()` only. "
            "Throughput: upserts that succeeded per second from the common start to the last "
            "worker's end; 429s from the sandbox's counters.",
            "",
            table,
            *(["", skipped] if skipped else []),
        ]
    )
    targets = []
    for shared in (r for r in runs if r.case == "shared"):
        n = shared.processes
        targets += [
            Target(
                f"{NAME}: {n} processes sharing Redis reach >= {TARGET_SHARE:.0%} of the "
                "workspace limit",
                shared.finished and shared.share >= TARGET_SHARE,
                f"{shared.share:.2f} ({shared.throughput:.1f}/s of {LIMIT}/s)",
            ),
            Target(
                f"{NAME}: {n} processes sharing Redis get <= {TARGET_429:.0%} 429s",
                shared.share_429 <= TARGET_429,
                f"{shared.share_429:.2%}",
            ),
        ]
    return SuiteReport("Several processes sharing one budget through Redis", markdown, targets)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.shared_redis", description=DESCRIPTION)
    p.add_argument("--quick", action="store_true", help=f"{TOTAL_QUICK} contacts in all")
    p.add_argument(
        "--concurrency", type=int, default=32, help="requests in flight, all workers together"
    )
    p.add_argument("--output", type=Path, default=None, help="also write the markdown here")
    args = p.parse_args(argv)
    info = machine_info()
    start = time.perf_counter()
    report = run(SuiteOptions(quick=args.quick, concurrency=args.concurrency))
    report.seconds = time.perf_counter() - start
    text = "\n".join(
        [
            f"## {report.title}",
            "",
            f"_{report.seconds:.0f} s._",
            "",
            report.markdown,
            "",
            md_table(
                ["target", "met", "measured"],
                [[t.name, "yes" if t.met else "**no**", t.detail] for t in report.targets],
            ),
            "",
            md_table(["", ""], [[k, v] for k, v in info.items()]),
            "",
        ]
    )
    print(text)
    if args.output is not None:
        args.output.write_text(text)
    return 0 if all(t.met for t in report.targets) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
