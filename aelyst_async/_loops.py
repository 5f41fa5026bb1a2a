"""One client across event loops: which loop it is used from, and the calls in flight there.

A script calling ``asyncio.run()`` twice, or a worker running a task per loop (Celery), uses one
client from successive loops: what is bound to a loop (the session, the throttle's timers)
follows the running loop. Two loops *at the same time* cannot share it: a call from a second
loop while calls are in flight on the first raises :class:`EventLoopError`.

>>> guard = LoopGuard()
>>> with guard.call():      # inside a coroutine: counts the call on the running loop
...     await send()
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import suppress

from ._errors import EventLoopError


class LoopGuard:
    """The event loop a client is used from and its calls in flight there (thread-safe).

    A call from another loop is let through, and the client moves to that loop, when no call
    is in flight on the previous one (or that loop is closed); otherwise it raises
    :class:`EventLoopError`.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._calls = 0

    def call(self) -> _Call:
        """Count one call on the running loop for as long as the ``with`` block runs."""
        return _Call(self)


class _Call:
    """One call counted on a :class:`LoopGuard` (a plain class: no generator per call)."""

    __slots__ = ("_guard", "_loop")

    def __init__(self, guard: LoopGuard) -> None:
        self._guard = guard
        self._loop: asyncio.AbstractEventLoop | None = None

    def __enter__(self) -> None:
        loop = asyncio.get_running_loop()
        guard = self._guard
        with guard._lock:
            if loop is not guard._loop:
                previous = guard._loop
                if guard._calls and previous is not None and not previous.is_closed():
                    raise EventLoopError(
                        f"this AelystClient has {guard._calls} call(s) in flight on another "
                        "event loop; a client is used from one event loop at a time: await "
                        "those calls first, or give each event loop (thread) its own "
                        "AelystClient"
                    )
                guard._loop, guard._calls = loop, 0
            guard._calls += 1
        self._loop = loop

    def __exit__(self, *exc: object) -> None:
        guard = self._guard
        with guard._lock:
            if guard._loop is self._loop:
                guard._calls -= 1


def close_at_loop_end(close: Callable[[], Awaitable[None]]) -> AsyncGenerator[None, None]:
    """Arrange for ``close()`` to run on the running loop when it shuts down.

    The returned async generator is started on the running loop and left suspended: a loop
    that shuts down as ``asyncio.run`` (or ``asyncio.Runner``, or ``loop.shutdown_asyncgens()``
    before ``loop.close()``) does, closes it there, which runs ``close()``; ``aclose()`` on it
    runs ``close()`` earlier (once). Keep a reference: the loop holds it weakly.
    """

    async def closer() -> AsyncGenerator[None, None]:
        try:
            yield
        finally:
            await close()

    generator = closer()
    step = generator.__anext__()  # the loop's first-iteration hook registers the generator
    with suppress(StopIteration):
        step.send(None)
    return generator


def finish_on(loop: asyncio.AbstractEventLoop, generator: AsyncGenerator[None, None]) -> None:
    """Close ``generator`` (see :func:`close_at_loop_end`) on ``loop``, another live loop, when
    that loop next runs; nothing when it is closed."""

    async def finish() -> None:
        await generator.aclose()

    with suppress(RuntimeError):  # closed meanwhile: nothing of it can run any more
        loop.call_soon_threadsafe(lambda: loop.create_task(finish()))
