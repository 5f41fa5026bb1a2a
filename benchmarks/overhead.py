"""Overhead: the SDK's ``create_or_update`` against raw aiohttp posting pre-built JSON bytes.

Same sandbox process (rate limits effectively off, no latency), same concurrency, the same
distinct contacts; the SDK with limits it will never reach, with ``validation="basic"`` (the
target: client CPU per request <= 1.15x raw), ``"strict"`` (the default) and ``"off"``. Runs
rotate through the clients and the sandbox is reset before each, so all create the same
contacts. Wall time and client CPU time (``time.process_time`` of this process; the sandbox has
its own) per request, medians over the repeats. When a ratio is over target, one SDK run and one
raw run are profiled with cProfile and the report says where the client's time goes.
"""

from __future__ import annotations

import asyncio
import cProfile
import pstats
import statistics
import subprocess
import sys
from collections import defaultdict
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import aelyst_async
from aelyst_async import AelystClient, Contact

from ._measure import Sample, measure_run, post_raw, run_workers
from ._report import md_table
from ._server_processes import UNLIMITED, SandboxProcess
from ._suite import SuiteOptions, SuiteReport, Target

NAME = "overhead"
DESCRIPTION = "SDK create_or_update vs raw aiohttp posting pre-built JSON, limits off"
TARGET_RATIO = 1.15
TARGET_RATIOS = {"basic": TARGET_RATIO, "strict": 1.30, "off": 1.10}
IMPORT_TARGET = 1.2
PATH = "/contact/create_or_update/"


@dataclass(frozen=True)
class Work:
    base_url: str
    token: str
    concurrency: int
    contacts: list[tuple[str, Contact]]  # for the SDK
    payloads: list[tuple[str, bytes]]  # for raw aiohttp: (URL, JSON body)


def make_work(sb: SandboxProcess, n: int, concurrency: int) -> Work:
    contacts, payloads = [], []
    for i in range(n):
        email = f"user{i}@example.com"
        contacts.append((f"email:{email}", Contact(f"User {i}", email=email)))
        body = f'{{"firstName": "User {i}", "email": "{email}"}}'.encode()
        payloads.append((f"{sb.base_url}{PATH}email:{email}", body))
    return Work(sb.base_url, sb.token, concurrency, contacts, payloads)


def sdk_unlimited_policies() -> dict[str, Any]:
    """A ``RateLimitPolicy`` that never waits, where the SDK has one."""
    policy = getattr(aelyst_async, "RateLimitPolicy", None)
    return {} if policy is None else {"rate_limit": policy(per_path=UNLIMITED, workspace=UNLIMITED)}


async def raw(work: Work, n: int) -> None:
    await post_raw(work.token, work.payloads[:n], work.concurrency)


Strategy = Callable[[Work, int], Coroutine[Any, Any, None]]


def sdk_with(validation: Literal["strict", "basic", "off"]) -> Strategy:
    """The SDK with limits it never reaches and ``validation``."""

    async def sdk(work: Work, n: int) -> None:
        client = AelystClient(
            work.token, base_url=work.base_url, validation=validation, **sdk_unlimited_policies()
        )
        async with client:

            async def do(pair: tuple[str, Contact]) -> None:
                await client.contacts.create_or_update(*pair)

            failures = await run_workers(work.contacts[:n], work.concurrency, do)
        if failures:
            raise RuntimeError(f"SDK: failures {dict(failures)}")

    return sdk


TARGET = "sdk validation=basic"
STRATEGIES: dict[str, Strategy] = {
    "raw": raw,
    TARGET: sdk_with("basic"),  # the one the target is about
    "sdk validation=strict": sdk_with("strict"),  # the default: what strict checks cost
    "sdk validation=off": sdk_with("off"),
}


FIELDS = ("wall", "cpu", "sandbox_cpu", "other_cpu", "steal")


def measure(sb: SandboxProcess, work: Work, strategy: str, n: int) -> Sample:
    return measure_run(sb, strategy, STRATEGIES[strategy](work, n))


# -- profiling -----------------------------------------------------------------------------------

_GROUPS = (
    "aelyst_async",
    "aiohttp",
    "yarl",
    "multidict",
    "asyncio",
    "cattrs",
    "attr",
    "email_validator",
    "phonenumbers",
    "pycountry",
    "idna",
    "json",
    "aiolimiter",
)


def _group(filename: str) -> str:
    if filename.startswith("~") or filename.startswith("<"):
        return "builtins / C"
    parts = Path(filename).parts
    for group in _GROUPS:
        if group in parts:
            return group
    return "other Python"


def profile(sb: SandboxProcess, work: Work, strategy: str, n: int) -> pstats.Stats:
    sb.reset()
    profiler = cProfile.Profile()  # perf_counter: cheap, so small functions are not inflated
    profiler.enable()
    asyncio.run(STRATEGIES[strategy](work, n))
    profiler.disable()
    return pstats.Stats(profiler)


Key = tuple[str, int, str]  # (file, line, function)
Entry = tuple[int, int, float, float]  # (primitive calls, calls, own time, cumulative time)


def _entries(stats: pstats.Stats) -> dict[Key, Entry]:
    """Every function's figures, less the event loop's idle wait in ``epoll.poll``."""
    raw = stats.stats  # type: ignore[attr-defined]
    return {k: (v[0], v[1], v[2], v[3]) for k, v in raw.items() if "poll' of 'select" not in k[2]}


def profile_report(sdk_stats: pstats.Stats, raw_stats: pstats.Stats, n: int) -> str:
    """Where the client's CPU goes: by package, and the SDK's own functions."""
    sdk_e, raw_e = _entries(sdk_stats), _entries(raw_stats)
    sdk_total = sum(v[2] for v in sdk_e.values())
    raw_total = sum(v[2] for v in raw_e.values())

    def by_group(entries: dict[Key, Entry]) -> dict[str, float]:
        out: dict[str, float] = defaultdict(float)
        for (filename, _, _), (_, _, tt, _) in entries.items():
            out[_group(filename)] += tt
        return out

    sdk_g, raw_g = by_group(sdk_e), by_group(raw_e)
    groups = sorted(set(sdk_g) | set(raw_g), key=lambda g: -sdk_g.get(g, 0.0))
    rows = [
        [
            g,
            f"{sdk_g.get(g, 0.0) / n * 1e6:.1f}",
            f"{100 * sdk_g.get(g, 0.0) / sdk_total:.1f}%",
            f"{raw_g.get(g, 0.0) / n * 1e6:.1f}",
            f"{100 * raw_g.get(g, 0.0) / raw_total:.1f}%",
        ]
        for g in groups
    ]
    total = ["**total**", f"{sdk_total / n * 1e6:.1f}", "100%", f"{raw_total / n * 1e6:.1f}"]
    rows.append([*total, "100%"])
    by_package = md_table(
        ["package (own time)", "sdk µs/req", "sdk share", "raw µs/req", "raw share"], rows
    )

    def name(key: Key) -> str:
        filename, line, func = key
        if filename.startswith("~"):
            return func
        parts = Path(filename).parts
        for anchor in ("aelyst_async", "site-packages", "lib"):
            if anchor in parts:
                i = len(parts) - 1 - parts[::-1].index(anchor)
                rel = "/".join(parts[i + (anchor != "aelyst_async") :])
                return f"{rel}:{line} {func}"
        return f"{Path(filename).name}:{line} {func}"

    own = sorted(
        ((k, v) for k, v in sdk_e.items() if _group(k[0]) == "aelyst_async"),
        key=lambda kv: -kv[1][3],
    )[:15]
    own_table = md_table(
        ["SDK function", "calls", "cumulative µs/req", "cumulative share", "own µs/req"],
        [
            [
                f"`{name(k)}`",
                v[1],
                f"{v[3] / n * 1e6:.1f}",
                f"{100 * v[3] / sdk_total:.1f}%",
                f"{v[2] / n * 1e6:.1f}",
            ]
            for k, v in own
        ],
    )
    extra = sorted(sdk_e, key=lambda k: raw_e.get(k, (0, 0, 0.0, 0.0))[2] - sdk_e[k][2])[:20]
    extra_table = md_table(
        ["function, by own time the SDK run adds", "sdk calls", "sdk own µs/req", "raw own µs/req"],
        [
            [
                f"`{name(k)}`",
                sdk_e[k][1],
                f"{sdk_e[k][2] / n * 1e6:.1f}",
                f"{raw_e[k][2] / n * 1e6:.1f}" if k in raw_e else "-",
            ]
            for k in extra
        ],
    )
    return "\n\n".join(
        [
            f"cProfile of one run of {n} requests each, the event loop's idle wait (`epoll.poll`) "
            "left out: profiling inflates every figure, compare shares rather than absolute "
            "times; a coroutine's cumulative time is split over its resumptions (hence calls > "
            "requests).",
            by_package,
            "The SDK's own functions, by cumulative time (share of the SDK run's total):",
            own_table,
            "The functions whose own time grows most from the raw run to the SDK run:",
            extra_table,
        ]
    )


# -- import time ---------------------------------------------------------------------------------

_IMPORT = (
    "import time; cpu, wall = time.process_time(), time.perf_counter(); import {module}; "
    "print(time.process_time() - cpu, time.perf_counter() - wall)"
)


def import_seconds(module: str) -> tuple[float, float]:
    """CPU and wall seconds ``import module`` takes in a fresh interpreter."""
    out = subprocess.run(
        [sys.executable, "-c", _IMPORT.format(module=module)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return float(out[0]), float(out[1])


def import_times(repeats: int) -> dict[str, tuple[float, float]]:
    """Median CPU and wall seconds of ``import aiohttp`` and ``import aelyst_async``,
    alternating fresh interpreters."""
    runs: dict[str, list[tuple[float, float]]] = {"aiohttp": [], "aelyst_async": []}
    for _ in range(repeats):
        for module, seconds in runs.items():
            seconds.append(import_seconds(module))
    return {
        module: (
            statistics.median(cpu for cpu, _ in seconds),
            statistics.median(wall for _, wall in seconds),
        )
        for module, seconds in runs.items()
    }


# -- the suite -----------------------------------------------------------------------------------


def run(options: SuiteOptions) -> SuiteReport:
    n, repeats = (500, 2) if options.quick else (5000, 7)
    names = list(STRATEGIES)
    samples: list[Sample] = []
    with SandboxProcess(per_path=UNLIMITED, latency=0) as sb:
        work = make_work(sb, n, options.concurrency)
        for name in names:  # warm-up: imports, validators' caches, first connections
            measure(sb, work, name, min(n, 300))
        for i in range(repeats):
            for name in names[i % len(names) :] + names[: i % len(names)]:  # rotate the order
                s = measure(sb, work, name, n)
                samples.append(s)
                print(
                    f"  overhead   {name:20} #{i + 1}: {s.wall:.2f}s wall, {s.cpu:.2f}s CPU, "
                    f"sandbox {s.sandbox_cpu:.2f}s CPU, other processes {s.other_cpu:.2f}s CPU",
                    flush=True,
                )

        def per_req(name: str, f: str) -> list[float]:
            return [getattr(s, f) / n * 1e6 for s in samples if s.strategy == name]

        med = {name: {f: statistics.median(per_req(name, f)) for f in FIELDS} for name in names}
        wall_ratio = med[TARGET]["wall"] / med["raw"]["wall"]
        cpu_ratio = med[TARGET]["cpu"] / med["raw"]["cpu"]
        profiled = ""
        if max(wall_ratio, cpu_ratio) > TARGET_RATIO:
            print("  overhead   over target: profiling one SDK and one raw run", flush=True)
            sdk_stats = profile(sb, work, TARGET, n)
            profiled = profile_report(sdk_stats, profile(sb, work, "raw", n), n)

    def cell(name: str, f: str) -> str:
        values = per_req(name, f)
        return f"{med[name][f]:.0f} ({min(values):.0f}-{max(values):.0f})"

    rows = [
        [
            f"**`{name}`**" if name == TARGET else f"`{name}`",
            cell(name, "wall"),
            f"{med[name]['wall'] / med['raw']['wall']:.2f}x",
            f"{1e6 / med[name]['wall']:.0f}",
            cell(name, "cpu"),
            f"{med[name]['cpu'] / med['raw']['cpu']:.2f}x",
            f"{med[name]['sandbox_cpu']:.0f}",
            f"{med[name]['other_cpu']:.0f}",
            "client" if med[name]["cpu"] >= med[name]["sandbox_cpu"] else "sandbox",
        ]
        for name in names
    ]

    def ratio(name: str) -> str:
        return f"{med[name]['cpu'] / med['raw']['cpu']:.2f}x"

    imports = import_times(5 if options.quick else 21)
    import_cpu = imports["aelyst_async"][0] / imports["aiohttp"][0]
    import_wall = imports["aelyst_async"][1] / imports["aiohttp"][1]

    policies = sdk_unlimited_policies()
    steal = sum(s.steal for s in samples)
    parts = [
        f"{n} upserts of distinct contacts per run, concurrency {options.concurrency}, {repeats} "
        "repeats of each client in rotating order after one warm-up run each; the sandbox is "
        f"reset before each run. Sandbox: per-path limit {UNLIMITED}, no workspace limit, no "
        "latency. Raw: one `aiohttp.ClientSession` posting pre-built JSON bytes. SDK: "
        "`create_or_update` from the same workers, with "
        + (f"`rate_limit={policies['rate_limit']!r}`" if policies else "no rate-limit policy yet")
        + ", the default retry policy and its own session; the target is about "
        "`validation='basic'` (in bold), the `strict` (the default) and `off` rows show what "
        "validation costs. Per-request figures in µs: median (min-max) over the repeats; ratios "
        "of medians. *Other processes*: CPU used by everything else on the machine during the "
        f"run (noise on wall time; hypervisor steal over all runs: {steal:.2f} s).",
        "",
        md_table(
            [
                "client",
                "wall µs/req",
                "wall vs raw",
                "req/s",
                "client CPU µs/req",
                "CPU vs raw",
                "sandbox CPU µs/req",
                "other processes CPU µs/req",
                "busier process",
            ],
            rows,
        ),
    ]
    parts += [
        "",
        "Client and sandbox are single-threaded processes on separate cores when the machine is "
        "otherwise idle, so a run's wall time per request is roughly the CPU time per request of "
        "the busier of the two: where that is the sandbox, the wall ratio understates the "
        "client's overhead, and the client CPU ratio is the discriminating figure.",
    ]
    parts += [
        "",
        "`import aelyst_async` against `import aiohttp`, each in a fresh interpreter, "
        f"alternating, medians of {5 if options.quick else 21}: CPU "
        f"{imports['aelyst_async'][0] * 1e3:.0f} vs {imports['aiohttp'][0] * 1e3:.0f} ms "
        f"({import_cpu:.2f}x), wall {imports['aelyst_async'][1] * 1e3:.0f} vs "
        f"{imports['aiohttp'][1] * 1e3:.0f} ms ({import_wall:.2f}x).",
    ]
    if profiled:
        parts += ["", "#### Where the SDK's time goes", "", profiled]
    targets = [
        Target(
            f"overhead: client CPU per request, validation='{mode}', <= {limit}x raw",
            med[f"sdk validation={mode}"]["cpu"] / med["raw"]["cpu"] <= limit,
            f"{ratio(f'sdk validation={mode}')} (medians of {repeats}; wall "
            f"{med[f'sdk validation={mode}']['wall'] / med['raw']['wall']:.2f}x)",
        )
        for mode, limit in TARGET_RATIOS.items()
    ]
    targets.append(
        Target(
            f"overhead: `import aelyst_async` <= {IMPORT_TARGET}x `import aiohttp` (CPU)",
            import_cpu <= IMPORT_TARGET,
            f"{import_cpu:.2f}x (wall {import_wall:.2f}x)",
        )
    )
    return SuiteReport("Overhead", "\n".join(parts), targets)
