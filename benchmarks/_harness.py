"""Shared pieces of the benchmark suites.

- :class:`SandboxProcess`: ``python -m aelyst_async sandbox`` in its own process, on loopback,
  with ``stats()`` / ``reset()`` through its ``/_sandbox/`` introspection endpoints;
- :class:`Timeline` and :func:`traced_session`: every HTTP exchange of an aiohttp session recorded
  client-side as ``(sent, answered, status)``, whoever drives the session (the SDK or raw code);
- :func:`run_workers`: the same bounded concurrency for every strategy;
- :class:`SuiteOptions` / :class:`SuiteReport` / :class:`Target`: what a suite gets and returns;
- :func:`machine_info`, :func:`md_table`: for RESULTS.md.
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import json
import os
import platform
import signal
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from types import SimpleNamespace, TracebackType
from typing import Any, TypeVar

import aiohttp
import psutil  # type: ignore[import-untyped]

T = TypeVar("T")
ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = "127.0.0.1"
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback only, ever


# -- suites ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SuiteOptions:
    """What every suite is run with."""

    quick: bool = False
    concurrency: int = 32
    out_dir: Path = ROOT / "benchmarks"
    scenarios: tuple[str, ...] = ()  # throttle scenarios whose key starts with one of these
    strategies: tuple[str, ...] = ()  # throttle strategies to run (empty: all)


@dataclass(frozen=True)
class Target:
    """One target of the issue and whether this run met it."""

    name: str
    met: bool
    detail: str


@dataclass
class SuiteReport:
    """A suite's section of RESULTS.md and its targets."""

    title: str
    markdown: str
    targets: list[Target] = field(default_factory=list)
    seconds: float = 0.0


# -- the sandbox in its own process --------------------------------------------------------------


class SandboxProcess:
    """A :class:`~aelyst_async.sandbox.Sandbox` with any of its public options in its own process
    (``python -m benchmarks._serve``) on an ephemeral loopback port, stopped with SIGTERM.

    >>> with SandboxProcess(per_path=5, workspace=50, latency=0.25, latency_jitter=0.05) as sb:
    ...     sb.base_url, sb.token, sb.stats()["rate_limited"]
    """

    def __init__(self, *, token: str = "bench-token", **options: Any) -> None:
        self.token = token
        self.options = options
        self.base_url = ""
        self.url = ""
        self._proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> SandboxProcess:
        options = {k: v for k, v in self.options.items() if v is not None}
        options |= {"host": LOOPBACK, "port": 0, "token": self.token}
        args = [sys.executable, "-m", "benchmarks._serve", json.dumps(options)]
        self._proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True, cwd=ROOT)
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            if line.startswith("Aelyst sandbox running at "):
                self.base_url = line.split(" at ", 1)[1].strip()
                self.url = self.base_url.removesuffix("/v1")
                break
        else:
            raise RuntimeError(f"the sandbox did not start (exit code {self._proc.wait()})")
        if not self.url.startswith(f"http://{LOOPBACK}:"):
            self.__exit__(None, None, None)
            raise RuntimeError(f"the sandbox is not on loopback: {self.url}")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._proc is None:
            return
        self._proc.send_signal(signal.SIGTERM)
        try:
            code = self._proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            code = self._proc.wait()
        if self._proc.stdout is not None:
            self._proc.stdout.close()
        self._proc = None
        if code != 0 and exc_type is None:
            raise RuntimeError(f"the sandbox exited with code {code}")

    @property
    def pid(self) -> int:
        assert self._proc is not None, "not started"
        return self._proc.pid

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the sandbox process has used so far."""
        times = psutil.Process(self.pid).cpu_times()
        return float(times.user + times.system)

    def _call(self, method: str, name: str) -> dict[str, Any]:
        request = urllib.request.Request(f"{self.url}/_sandbox/{name}", method=method)
        with _NO_PROXY.open(request, timeout=10) as resp:
            data: dict[str, Any] = json.loads(resp.read())
        return data

    def stats(self) -> dict[str, Any]:
        """The sandbox's counters since start or the last reset."""
        return self._call("GET", "stats")

    def reset(self) -> None:
        """Forget contacts, counters and rate-limit windows."""
        self._call("POST", "reset")


class MachineCPU:
    """CPU seconds used machine-wide between :meth:`start` and :meth:`stop` (all cores).

    ``busy`` counts user, nice, system and interrupt time; ``steal`` the time the hypervisor gave
    to other guests (a sign of noisy neighbours).
    """

    def __init__(self) -> None:
        self.busy = self.steal = 0.0
        self._start = self._read()

    @staticmethod
    def _read() -> tuple[float, float]:
        t = psutil.cpu_times()
        busy = t.user + t.nice + t.system + getattr(t, "irq", 0.0) + getattr(t, "softirq", 0.0)
        return float(busy), float(getattr(t, "steal", 0.0))

    def start(self) -> None:
        self._start = self._read()

    def stop(self) -> None:
        busy, steal = self._read()
        self.busy, self.steal = busy - self._start[0], steal - self._start[1]


def own_cpu() -> float:
    """CPU seconds (user + system) used by this process so far, all threads."""
    times = psutil.Process().cpu_times()
    return float(times.user + times.system)


async def window_phase(period: float, phase: float) -> None:
    """Sleep until ``time.monotonic() % period == phase``.

    The sandbox's fixed windows are aligned on multiples of ``period`` of the same system-wide
    monotonic clock, so every strategy can start at the same point of a server window.
    """
    await asyncio.sleep((phase - time.monotonic() % period) % period)


# -- client-side timeline ------------------------------------------------------------------------


@dataclass
class Timeline:
    """HTTP exchanges as ``(sent, answered, status)``, in seconds since :meth:`start`.

    ``status`` is 0 for an exchange that ended in an exception (no response).
    """

    events: list[tuple[float, float, int]] = field(default_factory=list)
    t0: float = 0.0

    def start(self) -> None:
        self.t0 = time.perf_counter()
        self.events.clear()

    def now(self) -> float:
        return time.perf_counter() - self.t0

    def statuses(self, *, after: float = 0.0) -> Counter[int]:
        """Responses by status among the requests sent at or after ``after`` seconds."""
        return Counter(status for sent, _, status in self.events if sent >= after)

    def share(self, status: int, *, after: float = 0.0) -> float | None:
        """The share of requests sent at or after ``after`` answered ``status`` (None if none)."""
        counts = self.statuses(after=after)
        total = sum(counts.values())
        return counts[status] / total if total else None

    def answered(self, status: int, *, after: float = 0.0) -> int:
        """How many exchanges answered at or after ``after`` seconds had ``status``."""
        return sum(1 for _, answered, st in self.events if st == status and answered >= after)

    def per_second(self, status: int, *, bin_width: float = 0.5) -> tuple[list[float], list[float]]:
        """Bin centres and the rate per second of requests sent in each bin answered ``status``."""
        if not self.events:
            return [], []
        end = max(sent for sent, _, _ in self.events)
        bins = [0] * (int(end / bin_width) + 1)
        for sent, _, st in self.events:
            if st == status:
                bins[int(sent / bin_width)] += 1
        centres = [(i + 0.5) * bin_width for i in range(len(bins))]
        return centres, [n / bin_width for n in bins]


def traced_session(timeline: Timeline, **kwargs: Any) -> aiohttp.ClientSession:
    """An aiohttp session recording each request it sends (and its status) in ``timeline``.

    Without a connection limit (aiohttp's default is 100), like the client's own session: at
    a 250 ms round trip, 100 connections would cap any strategy at 400 requests per second.
    """

    async def on_start(
        session: aiohttp.ClientSession, ctx: SimpleNamespace, params: object
    ) -> None:
        ctx.sent = timeline.now()

    async def on_end(
        session: aiohttp.ClientSession, ctx: SimpleNamespace, params: aiohttp.TraceRequestEndParams
    ) -> None:
        timeline.events.append((ctx.sent, timeline.now(), params.response.status))

    async def on_error(
        session: aiohttp.ClientSession, ctx: SimpleNamespace, params: object
    ) -> None:
        timeline.events.append((ctx.sent, timeline.now(), 0))

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_start)
    trace.on_request_end.append(on_end)
    trace.on_request_exception.append(on_error)
    kwargs.setdefault("connector", aiohttp.TCPConnector(limit=0))
    return aiohttp.ClientSession(trace_configs=[trace], **kwargs)


# -- bounded concurrency -------------------------------------------------------------------------


class Failed(Exception):
    """A strategy's item that did not succeed, e.g. ``Failed("HTTP 429")``."""


async def run_workers(
    items: Iterable[T], concurrency: int, do: Callable[[T], Awaitable[object]]
) -> Counter[str]:
    """Run ``do(item)`` for every item with ``concurrency`` workers; failures counted by kind.

    A :class:`Failed` counts under its message, any other exception under its class name.
    """
    source = iter(items)
    failures: Counter[str] = Counter()

    async def worker() -> None:
        for item in source:  # one iterator shared by every worker
            try:
                await do(item)
            except Failed as exc:
                failures[str(exc)] += 1
            except Exception as exc:
                failures[type(exc).__name__] += 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return failures


@dataclass
class Sample:
    """One timed run of a strategy: seconds of wall time and of CPU, by whom."""

    strategy: str
    wall: float
    cpu: float  # this process, time.process_time()
    sandbox_cpu: float
    other_cpu: float  # every other process on the machine during the run
    steal: float


def measure_run(sb: SandboxProcess, strategy: str, run: Coroutine[Any, Any, None]) -> Sample:
    """Run ``run`` on a fresh event loop against a freshly reset sandbox, and time it."""
    sb.reset()
    gc.collect()
    machine = MachineCPU()
    server0, own0 = sb.cpu_seconds(), own_cpu()
    machine.start()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    asyncio.run(run)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    machine.stop()
    server, own = sb.cpu_seconds() - server0, own_cpu() - own0
    other = max(0.0, machine.busy - server - own)
    return Sample(strategy, wall, cpu, server, other, machine.steal)


async def post_raw(token: str, payloads: list[tuple[str, bytes]], concurrency: int) -> None:
    """The raw-aiohttp baseline: POST each pre-built ``(URL, JSON body)`` with ``concurrency``
    workers on one session; raise if any answer is not 200."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    async with aiohttp.ClientSession() as session:

        async def do(payload: tuple[str, bytes]) -> None:
            async with session.post(payload[0], data=payload[1], headers=headers) as resp:
                await resp.read()
                if resp.status != 200:
                    raise Failed(f"HTTP {resp.status}")

        failures = await run_workers(payloads, concurrency, do)
    if failures:
        raise RuntimeError(f"raw aiohttp: failures {dict(failures)}")


# -- reporting -----------------------------------------------------------------------------------


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _git_revision() -> str:
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "aelyst_async"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return "unknown"
    return (
        f"{rev}{' + uncommitted changes to aelyst_async/' if dirty else ''}" if rev else "unknown"
    )


def _sources_digest() -> str:
    """A digest of the package's sources as measured (the tree may hold uncommitted work)."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "aelyst_async").rglob("*.py")):
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def machine_info() -> dict[str, str]:
    """The machine and software a run was made on."""
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "CPU": _cpu_model(),
        "cores": f"{psutil.cpu_count(logical=True)} logical, {psutil.cpu_count(logical=False)} "
        "physical",
        "RAM": f"{psutil.virtual_memory().total / 2**30:.1f} GiB",
        "OS": platform.platform(),
        "Python": f"{platform.python_implementation()} {platform.python_version()}",
        "aiohttp": _version("aiohttp"),
        "aiolimiter": _version("aiolimiter"),
        "tenacity": _version("tenacity"),
        "aelyst_async": f"{_version('aelyst_async')} (git {_git_revision()}; "
        f"sha256 of aelyst_async/**/*.py: {_sources_digest()})",
        "load average at start (1, 5, 15 min)": load,
    }


def fmt_stats(stats: Mapping[str, Any]) -> str:
    """``k=v, ...`` of a flat mapping (floats to one decimal; nested mappings left out)."""
    return ", ".join(
        f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}"
        for k, v in stats.items()
        if not isinstance(v, Mapping)
    )


def md_table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)
