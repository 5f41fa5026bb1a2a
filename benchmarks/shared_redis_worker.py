"""One worker process of the ``shared_redis`` suite: waits for the others at a barrier, then
bulk-upserts its own contacts with its own ``AelystClient`` (sharing the budget through Redis
when given a URL) and puts its figures on a queue.
"""

from __future__ import annotations

import asyncio
import time
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class WorkerJob:
    index: int
    base_url: str
    token: str
    count: int
    concurrency: int
    redis_url: str | None
    namespace: str
    deadline: float  # seconds


def run_worker(job: WorkerJob, barrier: Any, results: Any) -> None:
    """One worker process: waits for the others, then upserts its contacts."""
    try:
        barrier.wait(timeout=120)
        out = asyncio.run(_upsert_all(job))
    except BaseException as exc:
        out = {"index": job.index, "error": f"{type(exc).__name__}: {exc}"}
    results.put(out)


async def _upsert_all(job: WorkerJob) -> dict[str, Any]:
    from aelyst_async import AelystClient, Contact, RateLimitPolicy
    from aelyst_async.redis import RedisLimitStore

    store = None
    if job.redis_url is not None:
        store = RedisLimitStore.from_url(job.redis_url, namespace=job.namespace)
    policy = RateLimitPolicy(shared=store)
    items = [
        Contact(f"Worker{job.index} User{i}", email=f"w{job.index}-user{i}@example.com")
        for i in range(job.count)
    ]
    start = time.time()
    succeeded = failed = 0
    finished = True
    async with AelystClient(job.token, base_url=job.base_url, rate_limit=policy) as client:
        outcomes = client.contacts.upsert_many(items, concurrency=job.concurrency)
        async with aclosing(outcomes):
            async for outcome in outcomes:
                succeeded += outcome.ok
                failed += not outcome.ok
                if time.time() - start > job.deadline:
                    finished = False
                    break
        end = time.time()
        stats = client.stats
        snapshot = client.throttle_snapshot()
    if store is not None:
        await store.aclose()
    return {
        "index": job.index,
        "start": start,
        "end": end,
        "succeeded": succeeded,
        "failed": failed,
        "finished": finished,
        "requests": stats.requests,
        "rate_limited": stats.rate_limited,
        "workspace_rate": snapshot.workspace_rate,
        "store_available": None if store is None else store.available,
    }
