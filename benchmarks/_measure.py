"""Measuring a run on the client's side.

- :class:`MachineCPU`, :func:`own_cpu`: CPU time of the machine and of this process;
- :func:`window_phase`: start every strategy at the same point of a server window;
- :class:`Timeline` and :func:`traced_session`: every HTTP exchange of an aiohttp session recorded
  client-side as ``(sent, answered, status)``, whoever drives the session (the SDK or raw code);
- :func:`run_workers`: the same bounded concurrency for every strategy;
- :func:`measure_run`: wall and CPU time of one run, by whom; :func:`post_raw`: the raw baseline.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, TypeVar

import aiohttp
import psutil  # type: ignore[import-untyped]

from ._server_processes import SandboxProcess

T = TypeVar("T")


# -- CPU and the server's windows -----------------------------------------------------------------


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
