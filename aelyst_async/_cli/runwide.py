"""Telling a run that cannot work from rows that fail: stop early instead of trying every row.

A run is stopped, with one line and a hint, when the API refuses the token (401), answers 404
on the contact endpoint before any row succeeded (a base URL without ``/v1``), or when the first
requests all fail with the same transport error (unreachable host, refused connection, TLS
failure) before any row succeeded.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from .._errors import AelystError, AuthenticationError, NotFoundError, TransportError
from .._models import BulkOutcome

T = TypeVar("T")
SAME_TRANSPORT_ERRORS = 4
"""Identical transport errors, with no success before them, that mean the API is unreachable."""


class RunWideFailure:
    """Watches outcomes and retries; :attr:`reason` is set (and :attr:`stopped` fires) once the
    run as a whole cannot succeed."""

    def __init__(self, base_url: str = "the API") -> None:
        self.base_url = base_url
        self._succeeded = False
        self._transport: list[str] = []
        self.reason: str | None = None
        self.stopped = asyncio.Event()

    def outcome(self, outcome: BulkOutcome) -> None:
        if outcome.ok and not outcome.skipped:
            self._succeeded = True
        elif outcome.error is not None:
            self.error(outcome.error)

    def error(self, error: AelystError) -> None:
        """Look at a failed request's error (of an outcome, or of an attempt to be retried)."""
        if self.reason is not None:
            return
        if isinstance(error, AuthenticationError):
            self._stop("the API refused the token (401): check --token or AELYST_API_TOKEN")
        elif self._succeeded:
            return
        elif isinstance(error, NotFoundError):
            self._stop(
                f"the API answered 404 for the contact endpoint at {self.base_url}: check "
                "--base-url (the API's base URL ends in /v1)"
            )
        elif isinstance(error, TransportError):
            self._transport.append(error.message)
            if len(self._transport) >= SAME_TRANSPORT_ERRORS:
                if len(set(self._transport)) == 1:
                    self._stop(self._unreachable(error.message))
                self._transport.clear()
        else:
            self._transport.clear()

    def _unreachable(self, message: str) -> str:
        lowered = message.lower()
        if "ssl" in lowered or "certificate" in lowered or "tls" in lowered:
            hint = "a TLS failure: check --base-url and the system's CA certificates"
        else:
            hint = "check --base-url and the network"
        return f"cannot reach the API at {self.base_url}: {message} ({hint})"

    def _stop(self, reason: str) -> None:
        self.reason = reason
        self.stopped.set()


class RunStopped(Exception):
    """The run was stopped by a :class:`RunWideFailure`; the message is its reason."""


async def unless_stopped(awaitable: Awaitable[T], detector: RunWideFailure) -> T:
    """``await awaitable``, cancelled as soon as ``detector`` stops the run (then
    :class:`RunStopped` is raised) instead of after every retry."""
    task = asyncio.ensure_future(awaitable)
    stopping = asyncio.ensure_future(detector.stopped.wait())
    try:
        await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
        if not task.done():
            task.cancel()
        await asyncio.gather(task, stopping, return_exceptions=True)
    if task.cancelled():
        raise RunStopped(detector.reason or "stopped")
    return task.result()
