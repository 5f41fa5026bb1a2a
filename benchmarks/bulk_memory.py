"""Bulk suite, part 2: memory of ``aelyst upsert``.

``python -m aelyst_async upsert FILE --progress off --concurrency 32`` on generated CSV files of
10,000 and 200,000 valid rows (the rows of ``examples/contacts.csv`` with distinct emails) against
an unlimited sandbox in another process. The peak RSS of each upsert process is the kernel's
high-water mark (``VmHWM`` of ``/proc/PID/status``), its RSS also sampled every 50 ms to see where
it grows.
"""

from __future__ import annotations

import contextlib
import csv
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psutil  # type: ignore[import-untyped]

from ._report import md_table
from ._server_processes import UNLIMITED, SandboxProcess, peak_rss
from ._suite import ROOT, Target

SAMPLE_INTERVAL = 0.05
TARGET_MEMORY = 1.1
EXAMPLE_CSV = ROOT / "examples" / "contacts.csv"
MiB = 2**20


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
            high_water = max(high_water, peak_rss(proc.pid))
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
