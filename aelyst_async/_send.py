"""One request's journey after it is built: throttle, transport, interpretation, retries.

>>> sender = Sender(transport, throttle=Throttle(RateLimitPolicy()), retry=RetryPolicy())
>>> result, attempts = await sender.send(request, read)

A request that is not idempotent is sent again only when the API surely did not apply it (429,
449, a connection that failed before the request was written); after any other failure it
raises :class:`MaybeAppliedError`.

Logs go to the ``"aelyst_async"`` logger (see :mod:`._log`, ``AELYST_LOG``): at debug one
line per attempt, at info retries and give-ups; paths with identifier values masked, never a
header value or a body.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import random
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, NoReturn, TypeVar

import attrs

from ._clock import Clock
from ._errors import (
    AelystError,
    APIError,
    DeadlineExceededError,
    MaybeAppliedError,
    NotFoundError,
    QueuedError,
    RateLimitError,
    TransportError,
)
from ._log import LOGGER as log
from ._log import Masked
from ._retry import Outcome, RetryPolicy, maybe_applied, retryable
from ._sansio.request import Request
from ._sansio.response import Response
from ._throttle import Throttle
from ._throttle.throttle import Permit
from ._throttle.turn import Priority
from ._transports.base import Transport

T = TypeVar("T")


@attrs.frozen
class RetryEvent:
    """A request is about to be retried: ``attempt`` (1-based) failed with ``error``, and the
    next one follows after ``delay`` seconds (plus any throttle wait)."""

    method: str
    path: str
    attempt: int
    error: AelystError
    delay: float


@attrs.frozen
class ClientStats:
    """Counters of one client since it was created, from :attr:`AelystClient.stats`.

    ``requests``: attempts handed to the transport; ``retries``: attempts after a first one;
    ``rate_limited`` / ``queued`` / ``server_errors``: answers 429 / 449 / 5xx;
    ``transport_errors``: attempts with no usable answer; ``throttle_wait`` / ``retry_wait``:
    seconds requests spent waiting in the throttle / before a retry, summed over requests.
    """

    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    queued: int = 0
    server_errors: int = 0
    transport_errors: int = 0
    throttle_wait: float = 0.0
    retry_wait: float = 0.0


def _zeroed() -> dict[str, Any]:
    return {field.name: field.default for field in attrs.fields(ClientStats)}


class Sender:
    """Sends the requests of one client: throttled, retried, counted.

    ``on_retry`` is called with a :class:`RetryEvent` before each retry's wait; ``rng`` draws
    the retry jitter (seed it for reproducible delays). Retries wait on the throttle's clock.
    """

    def __init__(
        self,
        transport: Transport,
        *,
        throttle: Throttle,
        retry: RetryPolicy | None = None,
        on_retry: Callable[[RetryEvent], None] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._transport = transport
        self.throttle = throttle
        self.retry = retry if retry is not None else RetryPolicy()
        self._on_retry = on_retry
        self._rng = rng if rng is not None else random.Random()
        self._counters = _zeroed()

    def with_options(
        self, *, transport: Transport | None = None, retry: RetryPolicy | None = None
    ) -> Sender:
        """A sender sharing this one's throttle and counters, with another transport or policy."""
        view = copy.copy(self)
        view._transport = transport or self._transport
        view.retry = retry or self.retry
        return view

    @property
    def stats(self) -> ClientStats:
        """The counters now (an immutable copy)."""
        return ClientStats(**self._counters)

    def send(
        self,
        request: Request,
        interpret: Callable[[Request, Response], T],
        *,
        deadline: float | None = None,
        priority: Priority = "normal",
    ) -> Coroutine[Any, Any, tuple[T, int]]:
        """The interpreted result of ``request`` and the number of attempts it took.

        Raises the last attempt's error, its ``attempts`` set, once the retry policy gives up;
        for a request that is not idempotent, a :class:`MaybeAppliedError` (caused by that error)
        when the API may have applied it. ``priority``: its turn at the throttle's gates
        (``"high"``, ``"normal"``, ``"low"``). ``deadline``: seconds for the whole call on the
        throttle's clock (throttle waits, attempts, retry sleeps): a throttle wait or a retry
        sleep that would pass it fails at once, without waiting, and an attempt still on the
        wire when it passes is abandoned; then :class:`DeadlineExceededError` (``attempts`` so
        far, ``request_sent``), or :class:`MaybeAppliedError` for a request that is not
        idempotent and may have been applied. The event loop's time bounds the whole call by
        ``deadline`` too (a wait no clock foresaw, such as a shared store that does not answer).

        >>> result, attempts = await sender.send(request, read, deadline=2.0, priority="high")
        """
        if deadline is None:  # no deadline: no error needs the call's progress
            return self._send(request, interpret, _NO_PROGRESS, priority, None)
        return self._send_by(request, interpret, deadline, priority)

    async def _send_by(
        self,
        request: Request,
        interpret: Callable[[Request, Response], T],
        deadline: float,
        priority: Priority,
    ) -> tuple[T, int]:
        """:meth:`send` with a deadline."""
        progress = _Progress()
        ends = self.throttle.clock.time() + deadline
        try:
            sending = self._send(request, interpret, progress, priority, ends)
            return await asyncio.wait_for(sending, deadline)
        except (_Late, asyncio.TimeoutError) as late:
            if not isinstance(late, _Late):
                late = _Late("it passed")
            log.info(
                "aelyst_async: %s %s: deadline of %gs passed after %d attempts (%s)",
                request.method,
                Masked(request.path),
                deadline,
                progress.attempts,
                late,
            )
            _past_deadline(request, deadline, progress, str(late))

    async def _send(
        self,
        request: Request,
        interpret: Callable[[Request, Response], T],
        progress: _Progress,
        priority: Priority,
        ends: float | None,
    ) -> tuple[T, int]:
        counters, throttle = self._counters, self.throttle
        clock = throttle.clock
        started = clock.time()
        attempts = queued = 0
        uncertain = False  # an earlier attempt may have been applied
        debug = log.isEnabledFor(logging.DEBUG)
        began = 0.0
        while True:
            try:
                permit = await throttle.acquire(
                    request.rate_limit_key, priority=priority, deadline=ends
                )
            except DeadlineExceededError as exc:
                raise _Late(exc.message) from None
            attempts += 1
            progress.attempts = attempts
            counters["requests"] += 1
            counters["throttle_wait"] += permit.waited
            error: APIError | TransportError
            try:
                progress.in_flight = True
                if debug:
                    began = clock.time()
                sending = self._transport.send(request)
                response = await (sending if ends is None else _attempt(sending, clock, ends))
            except TransportError as exc:
                throttle.release(permit)
                counters["transport_errors"] += 1
                error = exc
                if debug:
                    _attempted(request, type(exc).__name__, attempts, clock.time() - began, permit)
            except BaseException:
                throttle.release(permit)
                raise
            else:
                if debug:
                    _attempted(request, response.status, attempts, clock.time() - began, permit)
                await throttle.observe(permit, response.status, response.rate_limit)
                status = response.status
                if status == 429:
                    counters["rate_limited"] += 1
                elif status == 449:
                    counters["queued"] += 1
                elif status >= 500:
                    counters["server_errors"] += 1
                try:
                    return interpret(request, response), attempts
                except (APIError, TransportError) as exc:
                    error = exc
            if isinstance(error, QueuedError):
                queued += 1
            outcome = Outcome(error, attempts, queued, clock.time() - started)
            delay = self.retry.next_delay(
                outcome,
                self._rng,
                idempotent=request.idempotent,
                retry_after_fallback=throttle.policy.period,
            )
            if delay is None:
                _give_up(request, error, attempts, uncertain=uncertain)
            uncertain = uncertain or maybe_applied(error)
            progress.sent = progress.sent or not (
                isinstance(error, TransportError) and not error.request_sent
            )
            progress.in_flight, progress.uncertain = False, uncertain
            if ends is not None and clock.time() + delay > ends:
                raise _Late(
                    f"the retry wait of {delay:.3f}s after attempt {attempts} would pass it"
                )
            await self._wait_retry(request, attempts, error, delay)

    async def _wait_retry(
        self, request: Request, attempt: int, error: AelystError, delay: float
    ) -> None:
        counters = self._counters
        counters["retries"] += 1
        what = error.status if isinstance(error, APIError) else type(error).__name__
        if isinstance(error, RateLimitError):
            what = f"429 (Retry-After {error.retry_after})"
        log.info(
            "aelyst_async: %s %s: attempt %d got %s; retrying in %.3fs",
            request.method,
            Masked(request.path),
            attempt,
            what,
            delay,
        )
        if self._on_retry is not None:
            try:
                self._on_retry(RetryEvent(request.method, request.path, attempt, error, delay))
            except Exception:
                log.exception("aelyst_async: the on_retry hook raised; ignored")
        if delay > 0:
            counters["retry_wait"] += delay
            await self.throttle.clock.sleep(delay)


async def _attempt(sending: Awaitable[Response], clock: Clock, ends: float) -> Response:
    """One attempt (``sending``), abandoned when the call's deadline (``ends``, on ``clock``)
    passes while it is on the wire."""
    try:
        return await asyncio.wait_for(sending, max(0.0, ends - clock.time()))
    except asyncio.TimeoutError:
        raise _Late("it passed while an attempt was on the wire") from None


class _Late(Exception):
    """Internal: the call's deadline passed, or a wait would pass it (the text says which)."""


@attrs.define
class _Progress:
    """How far a call got, for the error its deadline raises."""

    attempts: int = 0
    sent: bool = False  # an attempt reached the connection
    in_flight: bool = False  # an attempt is on the wire, its answer not read
    uncertain: bool = False  # an attempt got no sure answer


_NO_PROGRESS = _Progress()
"""Written to, never read: the progress of calls without a deadline (no error reads it)."""


def _past_deadline(request: Request, deadline: float, progress: _Progress, why: str) -> NoReturn:
    sent = progress.sent or progress.in_flight
    message = f"deadline of {deadline:g}s: {why}"
    if not request.idempotent and (progress.in_flight or progress.uncertain):
        raise MaybeAppliedError(
            f"{message} with no sure answer; the request may have been applied, so it was "
            "not sent again: check before repeating it",
            method=request.method,
            path=request.path,
            attempts=progress.attempts,
        )
    raise DeadlineExceededError(
        message + ("" if sent or "not sent" in why else "; not sent"),
        method=request.method,
        path=request.path,
        attempts=progress.attempts,
        request_sent=sent,
    )


def _attempted(
    request: Request, outcome: int | str, attempt: int, seconds: float, permit: Permit
) -> None:
    log.debug(
        "aelyst_async: %s %s -> %s (attempt %d, %.0f ms, throttle wait %.0f ms)",
        request.method,
        Masked(request.path),
        outcome,
        attempt,
        seconds * 1000,
        permit.waited * 1000,
    )


def _give_up(
    request: Request, error: APIError | TransportError, attempts: int, *, uncertain: bool
) -> NoReturn:
    """Raise the error a request ends with once it is not retried: for one that is not
    idempotent and may have been applied, a :class:`MaybeAppliedError` caused by the last
    error; ``uncertain``: an earlier attempt may have been applied."""
    error.attempts = attempts
    if log.isEnabledFor(logging.INFO) and (attempts > 1 or retryable(error)):
        what = error.status if isinstance(error, APIError) else type(error).__name__
        log.info(
            "aelyst_async: %s %s: gave up after %d attempts (last: %s)",
            request.method,
            Masked(request.path),
            attempts,
            what,
        )
    if not request.idempotent and maybe_applied(error):
        raise MaybeAppliedError(
            f"no sure answer ({error}); the request may have been applied, so it was "
            "not sent again: check before repeating it",
            method=request.method,
            path=request.path,
            attempts=attempts,
        ) from error
    if uncertain and isinstance(error, NotFoundError):
        # e.g. a DELETE whose first answer was lost: the first attempt did it
        error.message += " (an earlier attempt got no sure answer and may have done it)"
    raise error
