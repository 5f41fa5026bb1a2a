"""A virtual-time event loop for tests: sleeps, timers and timeouts take no real time.

The loop's clock starts at 0; whenever every task is waiting, it jumps to the next timer. Tests
assert on ``loop.time()`` exactly, never on the wall clock, and finish in milliseconds.

    @virtual_time
    async def test_waits_a_second() -> None:
        await asyncio.sleep(1)
        assert asyncio.get_running_loop().time() == pytest.approx(1)

The decorated test is a plain function to pytest (pytest-asyncio leaves it alone); fixtures
such as ``caplog`` are passed through. Every task left over is cancelled at the end.
"""

from __future__ import annotations

import asyncio
import functools
import selectors
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

TICK = 1e-9
"""Time also moves by this much on every turn of the loop, as a real clock would."""


class _Clock:
    now = 0.0


class _Selector(selectors.DefaultSelector):
    """Never blocks: when no file is ready, moves the clock by the loop's timeout instead."""

    def __init__(self, clock: _Clock) -> None:
        super().__init__()
        self._clock = clock

    def select(self, timeout: float | None = None) -> list[tuple[Any, int]]:
        ready: list[tuple[Any, int]] = super().select(0)
        if ready:
            return ready
        if timeout is None:
            raise RuntimeError("virtual time: every task waits and nothing is scheduled")
        self._clock.now += max(timeout, TICK)
        return []


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """A selector event loop whose ``time()`` is virtual (see the module docstring)."""

    def __init__(self) -> None:
        self._clock = _Clock()
        super().__init__(_Selector(self._clock))

    def time(self) -> float:
        return self._clock.now

    def advance(self, seconds: float) -> None:
        """Move the clock by ``seconds`` without yielding: time a task spends working (CPU)."""
        self._clock.now += max(0.0, seconds)


def run(main: Coroutine[Any, Any, R]) -> R:
    """Run ``main`` to completion on a fresh :class:`VirtualTimeLoop`."""
    loop = VirtualTimeLoop()
    try:
        return loop.run_until_complete(main)
    finally:
        tasks = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


def virtual_time(test: Callable[P, Coroutine[Any, Any, R]]) -> Callable[P, R]:
    """Make an ``async def`` test run on a :class:`VirtualTimeLoop`."""

    @functools.wraps(test)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        return run(test(*args, **kwargs))

    return wrapper
