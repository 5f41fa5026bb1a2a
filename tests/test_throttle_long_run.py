"""Hours of traffic through one throttle, on a virtual clock: every state stays finite and bounded.

Closed-loop workers send through :class:`Throttle` to a simulated server whose hidden workspace
limit changes by phase (none at all, a fixed one, a different one), with the rate-limit headers
of the API, none at all, or absurd ones; answering costs the client a little CPU (the virtual
clock moves while a worker "works", as the real one does). A monitor checks, every second of
virtual time, each state of the throttle and its learner that grows with time or traffic: rates,
steps and waits finite and within their bounds, every container bounded by the traffic of the
last periods, and at the end the rate in force still admits a request.

Issue 22: with no hidden limit, the warm-up allowance doubled every round trip up to infinity.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections import deque
from typing import Literal

import attrs
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from aelyst_async._sansio.ratelimit import RateLimit
from aelyst_async._throttle import RateLimitPolicy, Throttle
from aelyst_async._throttle.learning import MAX_RATE, MIN_RATE, WorkspaceLearner
from aelyst_async._throttle.paths import MAX_PATH_LIMIT
from aelyst_async._throttle.throttle import CONCURRENCY_BOUNDS, MAX_PAUSE
from tests.virtual_time import VirtualTimeLoop, run

Headers = Literal["api", "none", "absurd"]
PER_PHASE = 3000
"""Requests a phase sends at most: long phases send sparsely (workers think between requests)."""


@attrs.frozen
class Phase:
    seconds: float
    hidden: int | None  # the hidden workspace limit per second; None: no limit at all


@attrs.frozen
class Scenario:
    workers: int
    rtt: float
    cpu: float  # virtual seconds of client work per answer
    headers: Headers
    phases: tuple[Phase, ...]
    shared_keys: float = 0.0  # share of requests on a few keys (per-path limits bite)
    busy: bool = False  # workers never pause (else they think to send PER_PHASE at most)


class Server:
    """The API in miniature: 5/s per key, a hidden workspace limit (fixed 1 s windows)."""

    def __init__(self, scenario: Scenario, rng: random.Random) -> None:
        self.scenario, self.rng = scenario, rng
        self.hidden: int | None = None
        self.windows: dict[str, tuple[int, int]] = {}
        self.workspace = (0, 0)

    def answer(self, key: str, now: float) -> tuple[int, RateLimit]:
        second = math.floor(now)
        start, used = self.windows.get(key, (second, 0))
        used = used if start == second else 0
        ws_start, ws_used = self.workspace
        ws_used = ws_used if ws_start == second else 0
        status = 200
        if used >= 5 or (self.hidden is not None and ws_used >= self.hidden):
            status = 429
        else:
            used, ws_used = used + 1, ws_used + 1
            self.windows[key] = (second, used)
            self.workspace = (second, ws_used)
        if len(self.windows) > 10_000:  # the test's own memory: forget old windows
            self.windows = {k: v for k, v in self.windows.items() if v[0] == second}
        headers = self.scenario.headers
        if headers == "none":
            return status, RateLimit()
        if headers == "absurd":
            rng = self.rng
            limit = rng.choice([None, 0, 1, 2, 5, 10**4, 20_000_000, 10**8, 10**18])
            remaining = rng.choice([None, 0, 1, 4, 10**8, 10**18])
            retry = rng.choice([None, 0.0, 0.001, 1.0, 1e9]) if status == 429 else None
            return status, RateLimit(limit, remaining, retry)
        retry_after = float(math.ceil(second + 1 - now)) if status == 429 else None
        return status, RateLimit(5, max(0, 5 - used), retry_after)


def check(throttle: Throttle, scenario: Scenario, peak: int, now: float) -> None:
    """Every state of the throttle that grows with time or traffic, within its bound; ``peak``:
    the most requests sent in any two periods (and a little) so far."""
    recent = peak
    gate = throttle._gate
    rate = gate.rate
    assert rate is not None and math.isfinite(rate) and MIN_RATE <= rate <= MAX_RATE, rate
    learner = gate.learner
    assert isinstance(learner, WorkspaceLearner)
    for name in ("warm", "rate", "best", "rtt", "_step", "_probe_wait", "scale"):
        value = getattr(learner, name)
        assert value is None or (math.isfinite(value) and 0 <= value <= MAX_RATE), (name, value)
    assert learner.warm <= MAX_RATE
    assert len(learner._sent) <= recent + scenario.workers
    assert len(learner._admitted) <= recent + scenario.workers
    assert len(throttle._paths) <= recent + scenario.workers + 1
    for budget in throttle._paths._budgets.values():
        assert budget.limit <= MAX_PATH_LIMIT
        assert len(budget.log) <= budget.logged <= budget.limit
    assert gate.paused_for(now) <= MAX_PAUSE
    low, high = CONCURRENCY_BOUNDS
    assert low <= throttle.suggested_concurrency() <= high


async def long_run(scenario: Scenario, seed: int) -> None:
    loop = asyncio.get_running_loop()
    assert isinstance(loop, VirtualTimeLoop)
    rng = random.Random(seed)
    throttle = Throttle(RateLimitPolicy())
    server = Server(scenario, rng)
    sends: deque[float] = deque()
    counter = peak = 0
    end = 0.0

    async def worker(think: float) -> None:
        nonlocal counter, peak
        while loop.time() < end:
            counter += 1
            shared = rng.random() < scenario.shared_keys
            key = f"POST /contact/{counter % 3 if shared else counter}"
            permit = await throttle.acquire(key)
            sends.append(loop.time())
            while sends[0] < loop.time() - 2.1:
                sends.popleft()
            peak = max(peak, len(sends))
            status, facts = server.answer(key, loop.time())
            await asyncio.sleep(rng.uniform(0.5, 1.5) * scenario.rtt)  # the round trip
            await throttle.observe(permit, status, facts)
            loop.advance(scenario.cpu)  # the client's work on the answer
            if think:
                await asyncio.sleep(rng.uniform(0.5, 1.5) * think)

    async def monitor() -> None:
        while loop.time() < end:
            check(throttle, scenario, peak, loop.time())
            await asyncio.sleep(1.0)

    for phase in scenario.phases:
        server.hidden = phase.hidden
        end = loop.time() + phase.seconds
        pace = scenario.workers / PER_PHASE * phase.seconds - scenario.rtt  # think to stay cheap
        think = 0.0 if scenario.busy else max(0.0, pace)
        await asyncio.gather(monitor(), *(worker(think) for _ in range(scenario.workers)))
    check(throttle, scenario, peak, loop.time())
    # the rate in force still admits traffic: a request after the run passes within a pause
    permit = await asyncio.wait_for(throttle.acquire("POST /after"), MAX_PAUSE + 2.0)
    throttle.release(permit)


phases = st.lists(
    st.builds(
        Phase,
        seconds=st.sampled_from([30.0, 120.0, 900.0, 3600.0]),
        hidden=st.one_of(st.none(), st.integers(5, 400)),
    ),
    min_size=1,
    max_size=3,
)
scenarios = st.builds(
    Scenario,
    workers=st.integers(1, 32),
    rtt=st.sampled_from([0.005, 0.02, 0.1, 0.4]),
    cpu=st.sampled_from([0.0, 0.001, 0.005]),
    headers=st.sampled_from(["api", "none", "absurd"]),
    phases=phases.map(tuple),
    shared_keys=st.sampled_from([0.0, 0.1]),
)


@settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@example(  # issue 22: no hidden limit, a busy client: the warm-up doubled up to infinity
    scenario=Scenario(16, 0.01, 0.005, "api", (Phase(120.0, None),), busy=True), seed=0
)
@example(  # a limit that comes, goes and changes, over hours, with a server without headers
    scenario=Scenario(
        8, 0.1, 0.001, "none", (Phase(120.0, 40), Phase(3600.0, None), Phase(900.0, 150))
    ),
    seed=1,
)
@given(scenario=scenarios, seed=st.integers(0, 2**16))
def test_hours_of_traffic_keep_every_state_bounded(scenario: Scenario, seed: int) -> None:
    run(long_run(scenario, seed))
