"""The strategies the throttle suite compares, each over a :class:`Job` on one traced session.

- ``sdk``: ``AelystClient`` with default settings. Distinct contacts: one
  ``client.contacts.bulk_upsert(contacts)`` call with no ``concurrency`` (the client's
  concurrency hint, Little's law on the rate in force and the observed round trip, sets it).
  One contact: ``create_or_update`` from the same plain workers as the others.
- ``gather``: raw aiohttp, no limiter, no retry: a 429 is a lost item.
- ``aiolimiter``: raw aiohttp, one ``AsyncLimiter(5, 1)`` per method + path (the documented
  limit, applied as documented), no retry.
- ``tenacity``: raw aiohttp, no limiter, retry on 429 waiting its ``Retry-After`` (random
  exponential backoff when absent), up to 30 attempts.
- ``aiolimiter tuned``: raw aiohttp, ONE ``AsyncLimiter(W, 1)`` at the rate the server allows at
  the start (a user who measured it), ``ceil(W x 0.3 s)`` workers (Little's law with the round
  trip known), a 429 retried after its ``Retry-After`` (1 s when absent), up to 30 attempts.

Items lost (failed for good) are counted in ``job.failures`` as they happen, so a run stopped at
its deadline still reports them.
"""

from __future__ import annotations

import asyncio
import math
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import attrs
from aiolimiter import AsyncLimiter
from tenacity import RetryCallState, retry, retry_if_result, stop_after_attempt
from tenacity import wait_random_exponential as _wait_random_exponential

from aelyst_async import AelystClient, BulkProgress, Contact

from ._measure import Failed
from .scenarios import Item, Kind

ATTEMPTS = 30
TUNED_RTT = 0.3
"""Seconds of round trip the hand-tuned aiolimiter's concurrency is sized for (W x 0.3 s)."""


@dataclass
class Job:
    """One strategy's run: where to send, what, through which (traced) session."""

    base_url: str
    token: str
    items: list[Item]
    kind: Kind
    concurrency: int  # the plain workers of every strategy but the tuned one and bulk
    right_rate: float
    session: aiohttp.ClientSession
    failures: Counter[str] = field(default_factory=Counter)
    client_stats: dict[str, Any] | None = None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}


async def workers(job: Job, concurrency: int, do: Callable[[Item], Awaitable[object]]) -> None:
    """``do(item)`` for every item with ``concurrency`` workers; failures into ``job.failures``."""
    source = iter(job.items)

    async def worker() -> None:
        for item in source:  # one iterator shared by every worker
            try:
                await do(item)
            except Failed as exc:
                job.failures[str(exc)] += 1
            except Exception as exc:
                job.failures[type(exc).__name__] += 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def _post(job: Job, item: Item) -> tuple[int, Mapping[str, str]]:
    async with job.session.post(job.base_url + item.path, data=item.body, headers=job.headers) as r:
        await r.read()
        return r.status, r.headers


def _check(status: int) -> None:
    if status != 200:
        raise Failed(f"HTTP {status}")


def _retry_after(headers: Mapping[str, str], default: float) -> float:
    try:
        return max(0.0, float(headers["Retry-After"]))
    except (KeyError, ValueError):
        return default


async def sdk(job: Job) -> None:
    async with AelystClient(job.token, base_url=job.base_url, session=job.session) as client:
        try:
            if job.kind == "workspace":
                await _bulk(job, client)
            else:

                async def do(item: Item) -> None:
                    await client.contacts.create_or_update(
                        item.identifier, Contact(item.first_name, email=item.email)
                    )

                await workers(job, job.concurrency, do)
        finally:
            job.client_stats = attrs.asdict(client.stats)
            job.client_stats["throttle_snapshot"] = attrs.asdict(client.throttle_snapshot())


async def _bulk(job: Job, client: AelystClient) -> None:
    failed = 0

    def progress(p: BulkProgress) -> None:
        nonlocal failed
        if p.failed > failed:
            job.failures["failed (seen by on_progress)"] += p.failed - failed
            failed = p.failed

    contacts = (Contact(item.first_name, email=item.email) for item in job.items)
    report = await client.contacts.bulk_upsert(contacts, on_progress=progress)
    job.failures.clear()
    job.failures.update(type(o.error).__name__ for o in report.failures)


async def gather(job: Job) -> None:
    async def do(item: Item) -> None:
        _check((await _post(job, item))[0])

    await workers(job, job.concurrency, do)


async def aiolimiter(job: Job) -> None:
    limiters: dict[str, AsyncLimiter] = {}

    async def do(item: Item) -> None:
        limiter = limiters.get(item.path)
        if limiter is None:
            limiter = limiters[item.path] = AsyncLimiter(5, 1)
        async with limiter:
            _check((await _post(job, item))[0])

    await workers(job, job.concurrency, do)


_backoff = _wait_random_exponential(multiplier=0.5, max=30)


def _wait_retry_after(state: RetryCallState) -> float:
    """``Retry-After`` of the last 429, else random exponential backoff."""
    outcome = state.outcome
    if outcome is not None and not outcome.failed:
        value = outcome.result()[1].get("Retry-After")
        if value is not None:
            return float(value)
    return _backoff(state)


async def tenacity(job: Job) -> None:
    @retry(
        retry=retry_if_result(lambda result: result[0] == 429),
        wait=_wait_retry_after,
        stop=stop_after_attempt(ATTEMPTS),
        retry_error_callback=lambda state: state.outcome.result() if state.outcome else (0, {}),
    )
    async def post(item: Item) -> tuple[int, Mapping[str, str]]:
        return await _post(job, item)

    async def do(item: Item) -> None:
        _check((await post(item))[0])

    await workers(job, job.concurrency, do)


def tuned_concurrency(rate: float) -> int:
    return max(1, math.ceil(rate * TUNED_RTT))


async def aiolimiter_tuned(job: Job) -> None:
    limiter = AsyncLimiter(job.right_rate, 1)

    async def do(item: Item) -> None:
        for _ in range(ATTEMPTS):
            async with limiter:
                status, headers = await _post(job, item)
            if status != 429:
                _check(status)
                return
            await asyncio.sleep(_retry_after(headers, 1.0))
        raise Failed("HTTP 429")

    await workers(job, tuned_concurrency(job.right_rate), do)


STRATEGIES: dict[str, Callable[[Job], Coroutine[Any, Any, None]]] = {
    "sdk": sdk,
    "gather": gather,
    "aiolimiter": aiolimiter,
    "tenacity": tenacity,
    "aiolimiter tuned": aiolimiter_tuned,
}
