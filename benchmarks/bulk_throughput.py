"""Bulk suite, part 3: throughput with no limits.

Requests per second of ``bulk_upsert`` (default policies, strict and basic validation) against raw
aiohttp posting pre-built JSON with the same concurrency, against an unlimited sandbox, alternating
repeats, medians.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Literal

from aelyst_async import AelystClient, Contact

from ._measure import Sample, measure_run, post_raw, run_workers
from ._report import md_table
from ._server_processes import UNLIMITED, SandboxProcess
from ._suite import Target

TARGET_THROUGHPUT = 0.85


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
    "bulk_upsert": bulk_with("strict"),  # the default
    "bulk_upsert validation=basic": bulk_with("basic"),  # the one the target is about
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
                f"**`{name}`**" if name == "bulk_upsert validation=basic" else f"`{name}`",
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
            "known: the throttle's warm-up allowance, 20/s doubled every round trip while it "
            "holds requests back, paces the first fraction of a second of each run), its own "
            "session, `validation='strict'` (the "
            "default) and `'basic'` (the target is about it). `create_or_update workers` "
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
            f"bulk: `bulk_upsert` requests/s with no limits, validation='basic', >= "
            f"{TARGET_THROUGHPUT}x raw aiohttp",
            basic >= TARGET_THROUGHPUT,
            f"{basic:.2f}x ({med_rate['bulk_upsert validation=basic']:.0f} vs "
            f"{med_rate['raw']:.0f} req/s, medians of {repeats}; strict (the default): "
            f"{ratio:.2f}x)",
        )
    ]
    return text, targets
