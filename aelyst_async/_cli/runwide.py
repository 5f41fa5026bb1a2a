"""Telling a run that cannot work from rows that fail: stop early instead of trying every row.

A run is stopped, with one line and a hint, when the API refuses the token (401), answers 404
on the contact endpoint before any row succeeded (a base URL without ``/v1``), or when the first
requests all fail with the same transport error (a refused connection, a host name that does not
resolve, a TLS failure, a timeout) before any row succeeded; the hint names the cause.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable
from typing import TypeVar

from .._errors import AelystError, AuthenticationError, NotFoundError, TransportError
from ..types.bulk import BulkOutcome

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
                    self._stop(unreachable(self.base_url, error.message))
                self._transport.clear()
        else:
            self._transport.clear()

    def _stop(self, reason: str) -> None:
        self.reason = reason
        self.stopped.set()


_CAUSES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), hint)
    for pattern, hint in (
        (
            r"^timed out|TimeoutError",
            "no answer within --timeout: check --base-url and the network, or give a larger "
            "--timeout",
        ),
        (
            r"CertificateError|certificate verify failed|CERTIFICATE_VERIFY_FAILED",
            "the server's TLS certificate is not trusted: check --base-url (its host must be "
            "the certificate's) and the system's CA certificates",
        ),
        (
            r"SSLError|\[SSL[:\]]",
            "the TLS handshake failed: check --base-url (https:// for a TLS server, http:// for a "
            "plain one)",
        ),
        (
            r"DNSError|Name or service not known|nodename nor servname|name resolution|getaddrinfo",
            "the host name does not resolve: check --base-url (its host) and the DNS",
        ),
        (
            r"Connect call failed|Connection refused|Errno 111\b|Errno 61\b|ECONNREFUSED",
            "the connection was refused: nothing listens at that host and port; check "
            "--base-url and that the server is running",
        ),
    )
)


def unreachable(base_url: str, message: str) -> str:
    """Why the API at ``base_url`` cannot be reached: the cause read from a
    :class:`TransportError`'s message (a timeout, an untrusted TLS certificate, another TLS
    failure, a host name that does not resolve, a refused connection, else the network), what
    to check, then the message itself.

    >>> unreachable("http://127.0.0.1:1/v1", "ClientConnectorError: ... [Connect call failed]")
    'cannot reach the API at http://127.0.0.1:1/v1: the connection was refused: ... [...]'
    """
    hint = next(
        (hint for pattern, hint in _CAUSES if pattern.search(message)),
        "check --base-url and the network",
    )
    return f"cannot reach the API at {base_url}: {hint} [{message}]"


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
