"""When to try a request again, and after how long: :class:`RetryPolicy`.

The decision is a pure function of the error, the attempts made so far and a ``random.Random``
(pass a seeded one for reproducible jitter); the pipeline does the waiting.

>>> policy = RetryPolicy(max_attempts=3)
>>> policy.next_delay(Outcome(ServerError("boom", status=500), attempts=1), random.Random(0))
0.42...
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Any

import attrs

from ._errors import (
    AelystError,
    APIError,
    QueuedError,
    RateLimitError,
    ResponseFormatError,
    ServerError,
    TransportError,
)

QUEUED_JITTER = 0.2
"""A 449 waits ``queued_delay`` times a factor drawn uniformly from [0.8, 1.2]."""


def _number(name: str, *, minimum: float, above: bool = False) -> Callable[[Any, Any, Any], None]:
    def check(_instance: object, _attribute: object, value: object) -> None:
        ok = (
            isinstance(value, (int, float))
            and not isinstance(value, bool)
            and math.isfinite(value)
            and (value > minimum if above else value >= minimum)
        )
        if not ok:
            bound = f"> {minimum:g}" if above else f">= {minimum:g}"
            raise ValueError(f"RetryPolicy: {name} must be a finite number {bound}, not {value!r}")

    return check


def _attempts(_instance: Any, _attribute: Any, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"RetryPolicy: max_attempts must be an int >= 1, not {value!r}")


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """How a request is retried; ``attempts`` always include the first one.

    - 429: after its ``Retry-After`` (one throttle period when it is missing, 0 or negative: a
      floor, never a retry storm); the whole client pauses too (see :class:`RateLimitPolicy`).
      A ``Retry-After`` over ``max_retry_after`` seconds fails the call at once with
      :class:`RateLimitError` (its ``retry_after`` the server's value); the client's pause is
      bounded by the same cap.
    - 5xx, connection errors and timeouts: exponential backoff with full jitter, a delay drawn
      from ``[0, min(backoff_max, backoff_base * 2 ** (attempt - 1))]``; a 5xx's
      ``Retry-After`` (e.g. a 503's), when it has one, is waited instead when longer, and one
      over ``max_retry_after`` gives up.
    - A request that is not idempotent is sent again only when the API surely did not apply
      it: after a 429, a 449, or a :class:`TransportError` whose ``request_sent`` is False.
    - 429, 5xx and transport errors share ``max_attempts``.
    - 449 has its own budget: it waits ``queued_delay`` seconds (+-20% jitter) and is retried
      until ``queued_max_wait`` seconds have passed since the request's first attempt (the last
      wait is shortened to end then); 449 answers do not count towards ``max_attempts``.
    - A 2xx the SDK cannot read (:class:`ResponseFormatError`): never; the API answered.
    - 400, 401, 404 and any other 4xx: never.

    >>> client = AelystClient(retry=RetryPolicy(max_attempts=3, queued_max_wait=120))
    """

    max_attempts: int = attrs.field(default=6, validator=_attempts)
    backoff_base: float = attrs.field(default=0.5, validator=_number("backoff_base", minimum=0))
    backoff_max: float = attrs.field(default=30.0, validator=_number("backoff_max", minimum=0))
    queued_delay: float = attrs.field(default=60.0, validator=_number("queued_delay", minimum=0))
    queued_max_wait: float = attrs.field(
        default=600.0, validator=_number("queued_max_wait", minimum=0)
    )
    max_retry_after: float = attrs.field(
        default=120.0, validator=_number("max_retry_after", minimum=0)
    )

    def backoff(self, attempts: int, rng: random.Random) -> float:
        """Full-jitter exponential backoff after ``attempts`` failed attempts."""
        exponent = min(max(attempts - 1, 0), 64)
        return rng.uniform(0.0, min(self.backoff_max, self.backoff_base * 2.0**exponent))

    def next_delay(
        self,
        outcome: Outcome,
        rng: random.Random,
        *,
        idempotent: bool = True,
        retry_after_fallback: float = 1.0,
    ) -> float | None:
        """Seconds to wait before the next attempt after ``outcome``, or None to give up (when
        :func:`should_retry` says no). ``rng`` draws the jitter; ``retry_after_fallback`` is
        the wait after a 429 without a usable ``Retry-After``; ``idempotent`` whether the
        request may be applied twice safely."""
        if not should_retry(outcome, self, idempotent=idempotent):
            return None
        error, tries = outcome.error, outcome.attempts - outcome.queued
        if isinstance(error, QueuedError):
            delay = self.queued_delay * rng.uniform(1.0 - QUEUED_JITTER, 1.0 + QUEUED_JITTER)
            return min(delay, self.queued_max_wait - outcome.elapsed)
        hint = _retry_after(error)
        if isinstance(error, RateLimitError):
            return hint if hint is not None and hint > 0 else retry_after_fallback
        backoff = self.backoff(tries, rng)
        return max(backoff, hint) if hint is not None else backoff


@attrs.frozen
class Outcome:
    """How a request's last attempt ended (``error``) and where its attempts stand:
    ``attempts`` made so far (the first included), ``queued`` of them answered 449, and
    ``elapsed`` seconds since the first was sent."""

    error: AelystError
    attempts: int = 1
    queued: int = 0
    elapsed: float = 0.0


def should_retry(outcome: Outcome, policy: RetryPolicy, *, idempotent: bool = True) -> bool:
    """The one retry decision, over the request (``idempotent``) and its ``outcome``.

    Never after a final answer (a 4xx but 429/449) or when the request is not idempotent and
    the API may have applied it (:func:`maybe_applied`); a 449 while ``queued_max_wait`` lasts;
    a 429, 5xx or transport error while ``max_attempts`` (449s not counted) lasts and the
    server's ``Retry-After`` is within ``max_retry_after``.
    """
    error = outcome.error
    if not idempotent and maybe_applied(error):
        return False
    if isinstance(error, QueuedError):
        return outcome.elapsed < policy.queued_max_wait
    if not retryable(error) or outcome.attempts - outcome.queued >= policy.max_attempts:
        return False
    hint = _retry_after(error)
    return hint is None or hint <= policy.max_retry_after  # else: fail at once


def retryable(error: AelystError) -> bool:
    """Whether ``error`` is worth another attempt at all: a 429, 449, 5xx or no usable
    response (a :class:`TransportError`)."""
    if isinstance(error, ResponseFormatError):
        return False  # a 2xx: the API answered, the same request gets the same answer
    return isinstance(error, (RateLimitError, QueuedError, ServerError, TransportError)) or (
        isinstance(error, APIError) and error.status >= 500
    )


def _retry_after(error: AelystError) -> float | None:
    hint: float | None = getattr(error, "retry_after", None)
    return hint


def maybe_applied(error: AelystError) -> bool:
    """Whether the API may have applied a request whose last attempt ended in ``error``: no
    sure answer (``request_sent``) or a 5xx. A 429 or 449 refused it; another 4xx is final; a
    2xx the SDK cannot read (:class:`ResponseFormatError`) is a sure answer, not a maybe."""
    if isinstance(error, TransportError):
        return error.request_sent and not isinstance(error, ResponseFormatError)
    return isinstance(error, APIError) and error.status >= 500
