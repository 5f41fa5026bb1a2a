"""The whole pipeline against a simulated API with hidden limits, on a virtual clock.

The simulated server counts like the API: 5 requests per second per method + path, and a
hidden workspace limit of 50 per second that no header announces, over fixed or sliding
windows; answers carry ``X-RateLimit-*`` and ``Retry-After`` in whole seconds (at least 1), as
the sandbox does. Latency is drawn from a seeded ``random.Random``, so every run is the same.
These are the issue's throttle-quality scenarios in miniature (the benchmark measures the
real thing): after a 2-second warm-up, at least 95% of the allowed rate with at most 2% 429s.
"""

from __future__ import annotations

import asyncio
import json
import math
import random
from collections import deque
from typing import Literal

import pytest

from aelyst_async import RateLimitPolicy, RetryPolicy
from aelyst_async._sansio.request import Request
from aelyst_async._sansio.response import Response
from aelyst_async._send import Sender
from aelyst_async._throttle import Throttle
from tests.upsert_helpers import interpret_upsert
from tests.virtual_time import run

Kind = Literal["fixed", "sliding"]
WARM_UP = 2.0


class Window:
    """``limit`` per ``period`` for each key, fixed (aligned) or sliding."""

    def __init__(self, limit: int, period: float, kind: Kind) -> None:
        self.limit, self.period, self.kind = limit, period, kind
        self.fixed: dict[str, tuple[int, int]] = {}
        self.log: dict[str, deque[float]] = {}

    def check(self, key: str, now: float) -> tuple[int, float | None]:
        if self.kind == "fixed":
            bucket = math.floor(now / self.period)
            start, used = self.fixed.get(key, (bucket, 0))
            used = used if start == bucket else 0
            wait = (bucket + 1) * self.period - now
        else:
            log = self.log.setdefault(key, deque())
            while log and log[0] <= now - self.period:
                log.popleft()
            used = len(log)
            wait = log[0] + self.period - now if log else 0.0
        remaining = max(0, self.limit - used)
        return remaining, (wait if remaining == 0 else None)

    def take(self, key: str, now: float) -> int:
        if self.kind == "fixed":
            bucket = math.floor(now / self.period)
            start, used = self.fixed.get(key, (bucket, 0))
            used = (used if start == bucket else 0) + 1
            self.fixed[key] = (bucket, used)
        else:
            self.log.setdefault(key, deque()).append(now)
            used = len(self.log[key])
        return max(0, self.limit - used)


class SimulatedAPI:
    """A transport answering like the API, with latency and hidden limits."""

    def __init__(self, kind: Kind, *, per_path: int = 5, workspace: int = 50, seed: int = 7):
        self.per_path = per_path
        self.paths = Window(per_path, 1.0, kind)
        self.hidden = Window(workspace, 1.0, kind)
        self.rng = random.Random(seed)
        self.answers: list[tuple[float, int]] = []  # (server time, status)

    async def send(self, request: Request) -> Response:
        await asyncio.sleep(self.rng.uniform(0.0005, 0.004))  # on the way there
        now = asyncio.get_running_loop().time()
        key = request.rate_limit_key
        remaining, wait = self.paths.check(key, now)
        headers = {"X-RateLimit-Limit": str(self.per_path)}
        if wait is None:
            wait = self.hidden.check("workspace", now)[1]
        if wait is not None:
            headers["X-RateLimit-Remaining"] = str(remaining)
            headers["Retry-After"] = str(max(1, math.ceil(wait - 1e-9)))
            status, body = 429, {"code": 429, "message": "Too Many Requests"}
        else:
            headers["X-RateLimit-Remaining"] = str(self.paths.take(key, now))
            self.hidden.take("workspace", now)
            status, body = 200, {"contactId": 1}
        self.answers.append((now, status))
        await asyncio.sleep(self.rng.uniform(0.0005, 0.004))  # and back
        return Response(status, headers, json.dumps(body).encode())

    async def aclose(self) -> None:
        pass

    def after_warm_up(self) -> tuple[int, int, float]:
        """(answers, 429s, admitted per second) after the warm-up."""
        late = [(t, s) for t, s in self.answers if t >= WARM_UP]
        end = max(t for t, _ in self.answers)
        admitted = sum(1 for _, s in late if s == 200)
        return len(late), sum(1 for _, s in late if s == 429), admitted / (end - WARM_UP)


def upsert(path: str) -> Request:
    return Request("POST", path, {"Content-Type": "application/json"}, b'{"firstName":"A"}')


async def distinct_contacts(api: SimulatedAPI, count: int, concurrency: int) -> None:
    pipeline = Sender(
        api, throttle=Throttle(RateLimitPolicy()), retry=RetryPolicy(), rng=random.Random(1)
    )
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(count):
        queue.put_nowait(i)

    async def worker() -> None:
        while not queue.empty():
            i = queue.get_nowait()
            await pipeline.send(upsert(f"/contact/create_or_update/id:{i + 1}"), interpret_upsert)

    await asyncio.gather(*(worker() for _ in range(concurrency)))


@pytest.mark.parametrize("kind", ["fixed", "sliding"])
@pytest.mark.parametrize("concurrency", [16, 64])
def test_distinct_contacts_under_a_hidden_workspace_limit(kind: Kind, concurrency: int) -> None:
    api = SimulatedAPI(kind)
    run(distinct_contacts(api, 2000, concurrency))
    answers, limited, rate = api.after_warm_up()
    assert limited <= 0.02 * answers, (limited, answers)
    assert rate >= 0.95 * 50, rate


@pytest.mark.parametrize("kind", ["fixed", "sliding"])
def test_one_contact_many_times_under_the_per_path_limit(kind: Kind) -> None:
    api = SimulatedAPI(kind)
    pipeline = Sender(api, throttle=Throttle(RateLimitPolicy()), rng=random.Random(1))

    async def sequential() -> None:  # one identifier's upserts go one at a time, in order
        for _ in range(100):
            await pipeline.send(upsert("/contact/create_or_update/id:1"), interpret_upsert)

    run(sequential())
    answers, limited, rate = api.after_warm_up()
    assert limited <= 0.02 * answers, (limited, answers)
    assert rate >= 0.95 * 5, rate
    assert pipeline.stats.rate_limited == sum(1 for _, s in api.answers if s == 429)
