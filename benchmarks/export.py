"""``aelyst export`` throughput against the list endpoint's per-path rate limit.

A sandbox process with the API's documented limit (5 requests a second per method + path, so
at most 5 pages a second from ``POST /contact/list``; 20 ms per answer) is seeded with distinct
contacts through ``bulk_upsert``; then ``aelyst export FILE.csv`` (the real entry point, 100
contacts a page) writes them all. Pages per second = list requests written / the export's wall
time; its share of the 5 pages a second the limit allows is the figure. List requests and 429s
from the sandbox's own counters.

``--quick``: 1,000 contacts (10 pages) instead of 5,000 (50 pages).
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from aelyst_async import AelystClient, Contact
from aelyst_async._cli import main

from ._report import md_table
from ._server_processes import SandboxProcess
from ._suite import SuiteOptions, SuiteReport, Target

NAME = "export"
DESCRIPTION = "aelyst export: list pages per second as a share of the 5/s per-path limit"
PER_PATH = 5
LIST = "POST /contact/list"
PAGE_SIZE = 100
TARGET_SHARE = 0.8


async def _seed(sb: SandboxProcess, n: int, concurrency: int) -> None:
    contacts = (Contact(f"User{i}", email=f"user{i}@example.com") for i in range(n))
    async with AelystClient(sb.token, base_url=sb.base_url) as client:
        report = await client.contacts.bulk_upsert(contacts, concurrency=concurrency)
    if report.failed:
        raise RuntimeError(f"seeding failed for {report.failed} contacts")


def _rows(path: str) -> int:
    with open(path, encoding="utf-8") as f:
        return sum(1 for _ in f) - 1  # the header


def run(options: SuiteOptions) -> SuiteReport:
    n = 1000 if options.quick else 5000
    with SandboxProcess(per_path=PER_PATH, latency=0.02) as sb, tempfile.TemporaryDirectory() as d:
        asyncio.run(_seed(sb, n, options.concurrency))
        before = sb.stats()
        target = str(Path(d) / "export.csv")
        argv = ["export", target, "--base-url", sb.base_url, "--token", sb.token]
        start = time.perf_counter()
        code = main([*argv, "--progress", "off"])
        wall = time.perf_counter() - start
        after = sb.stats()
        lines = _rows(target) if code == 0 else 0
    requests = after["operations"].get(LIST, 0) - before["operations"].get(LIST, 0)
    pages = -(-lines // PAGE_SIZE)
    limited = after["rate_limited"] - before["rate_limited"]
    rate = pages / wall if wall else 0.0
    share = rate / PER_PATH
    print(f"  export     {lines} contacts, {pages} pages in {wall:.2f}s: {rate:.2f} pages/s")
    table = md_table(
        ["contacts", "pages", "list requests", "wall", "pages/s", "share of 5/s", "429s", "exit"],
        [[lines, pages, requests, f"{wall:.2f} s", f"{rate:.2f}", f"{share:.0%}", limited, code]],
    )
    markdown = (
        f"{n} contacts exported with `aelyst export FILE.csv` (100 a page) from a sandbox "
        f"process limiting each method + path to {PER_PATH} requests a second (20 ms per "
        "answer). The first window's burst lets a short export exceed 100%.\n\n" + table
    )
    met = code == 0 and lines == n and share >= TARGET_SHARE
    detail = f"{rate:.2f} pages/s = {share:.0%} of {PER_PATH}/s, {limited} 429s, exit {code}"
    return SuiteReport(
        "Export throughput",
        markdown,
        [Target(f"export reaches >= {TARGET_SHARE:.0%} of the list path's limit", met, detail)],
    )
