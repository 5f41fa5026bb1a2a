"""Ctrl-C while a command's event loop runs: the first cancels the run, the second ends the
process at once.

The first Ctrl-C cancels the command's main task from the loop, so the run winds down as any
cancellation does (the sends in flight are cancelled and awaited, the journal is written and
closed, the client closed) and the command reports the interruption (exit code 130). The second
writes one line and ends the process with code 130 without waiting for anything: the journal
stays as it was then (every record is flushed as it is written, and a re-keying upsert is
recorded in flight before it is sent), so a rerun with the same ``--journal`` resumes without
losing a row or sending a non-idempotent call twice.

asyncio's own handling raises ``KeyboardInterrupt`` out of the signal handler instead (on the
second Ctrl-C; on Python 3.10 on the first), wherever the loop is: a task's wake-up the loop had
just taken from its queue is lost, and ``asyncio.run`` then waits forever for that task while it
cancels the others. This handler never raises.

>>> code = Interrupts("upsert").run(_run(source, args))   # KeyboardInterrupt after a Ctrl-C
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
from collections.abc import Callable, Coroutine
from contextlib import suppress
from types import FrameType
from typing import Any, TypeVar

T = TypeVar("T")
EXIT_INTERRUPTED = 130
"""The exit code of a run Ctrl-C ended (128 + SIGINT, as a shell reports it)."""


def _exit_now(code: int) -> None:  # replaced in tests
    os._exit(code)


class Interrupts:
    """The SIGINT handler of one command run (see the module docstring); ``again`` is what the
    line of the second Ctrl-C adds, e.g. ``" (rerun with the same --journal to resume)"``."""

    def __init__(self, command: str, again: str = "") -> None:
        self.command = command
        self.again = again
        self.count = 0
        """Ctrl-C presses seen."""
        self.on_exit: list[Callable[[], None]] = []
        """What the second Ctrl-C does before the process ends (e.g. delete a temporary
        file): quick calls that close nothing the interrupted code may be using."""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[Any] | None = None

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        """The handler: runs between two bytecodes of the main thread, so it only schedules
        (first Ctrl-C) or ends the process (second); it never raises."""
        self.count += 1
        if self.count > 1:
            self._stop_at_once()
        elif self._loop is not None:
            with suppress(RuntimeError):  # the loop closed meanwhile: nothing left to cancel
                self._loop.call_soon_threadsafe(self._cancel)

    def _cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()

    def _stop_at_once(self) -> None:
        with suppress(Exception):  # (a write to stdout the handler interrupted: lost)
            sys.stdout.flush()
        for undo in self.on_exit:
            with suppress(Exception):
                undo()
        line = f"aelyst {self.command}: interrupted again: stopped at once{self.again}\n"
        try:
            sys.stderr.write(line)
            sys.stderr.flush()
        except Exception:
            with suppress(OSError):
                os.write(2, line.encode())
        _exit_now(EXIT_INTERRUPTED)

    async def _watched(self, main: Coroutine[Any, Any, T]) -> T:
        self._loop, self._task = asyncio.get_running_loop(), asyncio.current_task()
        if self.count:  # Ctrl-C before the loop ran
            self._cancel()
        return await main

    def run(self, main: Coroutine[Any, Any, T]) -> T:
        """``asyncio.run(main)`` with this handler of SIGINT; raises ``KeyboardInterrupt`` when
        a Ctrl-C cancelled ``main``. The handler is installed only in the main thread and in
        place of Python's default one (SIGINT ignored, or handled by an embedding program, is
        left so)."""
        install = (
            threading.current_thread() is threading.main_thread()
            and signal.getsignal(signal.SIGINT) is signal.default_int_handler
        )
        if install:
            signal.signal(signal.SIGINT, self)
        try:
            return asyncio.run(self._watched(main))
        except asyncio.CancelledError:
            if self.count:
                raise KeyboardInterrupt from None
            raise
        finally:
            if install:
                signal.signal(signal.SIGINT, signal.default_int_handler)
