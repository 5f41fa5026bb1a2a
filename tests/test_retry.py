"""RetryPolicy: its validation and its pure delay decisions (no I/O, no time)."""

from __future__ import annotations

import random

import pytest

from aelyst_async import (
    AelystError,
    APIError,
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    QueuedError,
    RateLimitError,
    RetryPolicy,
    ServerError,
    TransportError,
)
from aelyst_async._retry import Outcome


def err(status: int) -> APIError:
    return APIError("x", status=status)


def test_defaults_are_the_documented_ones() -> None:
    policy = RetryPolicy()
    assert (policy.max_attempts, policy.backoff_base, policy.backoff_max) == (6, 0.5, 30.0)
    assert (policy.queued_delay, policy.queued_max_wait) == (60.0, 600.0)


def test_arguments_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        RetryPolicy(3)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_attempts": 0}, "max_attempts must be an int >= 1"),
        ({"max_attempts": 2.5}, "max_attempts must be an int >= 1"),
        ({"max_attempts": True}, "max_attempts must be an int >= 1"),
        ({"backoff_base": -1}, "backoff_base must be a finite number >= 0"),
        ({"backoff_max": float("inf")}, "backoff_max must be a finite number >= 0"),
        ({"queued_delay": float("nan")}, "queued_delay must be a finite number >= 0"),
        ({"queued_max_wait": "600"}, "queued_max_wait must be a finite number >= 0"),
    ],
)
def test_invalid_arguments_are_clear_value_errors(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "error",
    [
        BadRequestError("x", status=400),
        AuthenticationError("x", status=401),
        NotFoundError("x", status=404),
        err(403),
        err(409),
        err(422),
    ],
)
def test_4xx_other_than_429_and_449_are_never_retried(error: APIError) -> None:
    assert RetryPolicy().next_delay(Outcome(error, attempts=1), random.Random(0)) is None


def test_429_waits_its_retry_after_or_the_fallback() -> None:
    policy = RetryPolicy()
    rng = random.Random(0)
    limited = RateLimitError("x", retry_after=7.5)
    assert policy.next_delay(Outcome(limited, attempts=1), rng) == 7.5
    bare = RateLimitError("x")
    assert policy.next_delay(Outcome(bare, attempts=1), rng, retry_after_fallback=2.0) == 2.0


@pytest.mark.parametrize(
    "error",
    [
        ServerError("x", status=500),
        ServerError("x", status=503),
        TransportError("connection refused"),
        TransportError("timed out after 30s"),
    ],
)
def test_5xx_and_transport_errors_back_off_exponentially_with_full_jitter(
    error: Exception,
) -> None:
    policy = RetryPolicy(max_attempts=10, backoff_base=0.5, backoff_max=3.0)
    rng, twin = random.Random(42), random.Random(42)
    for attempts in range(1, 10):
        delay = policy.next_delay(Outcome(error, attempts=attempts), rng)  # type: ignore[arg-type]
        cap = min(3.0, 0.5 * 2 ** (attempts - 1))
        assert delay == twin.uniform(0, cap)
        assert 0 <= delay <= cap


def test_max_attempts_counts_the_first_attempt() -> None:
    policy = RetryPolicy(max_attempts=3)
    rng = random.Random(0)
    server = ServerError("x", status=500)
    assert policy.next_delay(Outcome(server, attempts=2), rng) is not None
    assert policy.next_delay(Outcome(server, attempts=3), rng) is None
    assert policy.next_delay(Outcome(RateLimitError("x"), attempts=3), rng) is None
    assert RetryPolicy(max_attempts=1).next_delay(Outcome(server, attempts=1), rng) is None


def test_449_waits_queued_delay_with_jitter() -> None:
    policy = RetryPolicy(queued_delay=60.0)
    rng = random.Random(1)
    delays = [
        policy.next_delay(Outcome(QueuedError("x", status=449), attempts=1), rng)
        for _ in range(200)
    ]
    assert all(d is not None and 48.0 <= d <= 72.0 for d in delays)
    assert len(set(delays)) > 100  # jittered, not one fixed value


def test_449_gives_up_once_queued_max_wait_has_passed_and_shortens_the_last_wait() -> None:
    policy = RetryPolicy(queued_delay=60.0, queued_max_wait=100.0)
    queued = QueuedError("x", status=449)
    rng = random.Random(0)
    assert policy.next_delay(Outcome(queued, attempts=2, elapsed=90.0), rng) == 10.0
    assert policy.next_delay(Outcome(queued, attempts=3, elapsed=100.0), rng) is None
    assert policy.next_delay(Outcome(queued, attempts=3, elapsed=250.0), rng) is None


def test_449s_have_their_own_budget_apart_from_max_attempts() -> None:
    policy = RetryPolicy(max_attempts=2)
    rng = random.Random(0)
    queued = QueuedError("x", status=449)
    # twenty 449s so far: still retried while queued_max_wait lasts
    assert policy.next_delay(Outcome(queued, attempts=20, queued=20, elapsed=300), rng) is not None
    # 20 attempts of which 19 were 449: one non-449 attempt, so a 500 is still retried once
    server = ServerError("x", status=500)
    assert policy.next_delay(Outcome(server, attempts=20, queued=19), rng) is not None
    assert policy.next_delay(Outcome(server, attempts=21, queued=19), rng) is None


def test_backoff_never_overflows() -> None:
    policy = RetryPolicy(max_attempts=10_000, backoff_max=30.0)
    delay = policy.next_delay(
        Outcome(ServerError("x", status=500), attempts=5000), random.Random(0)
    )
    assert delay is not None and 0 <= delay <= 30.0


# -- server hints and non-idempotent requests ----------------------------------------------------


def limited(retry_after: float | None) -> RateLimitError:
    return RateLimitError("x", status=429, retry_after=retry_after)


def test_a_retry_after_over_the_cap_fails_at_once() -> None:
    policy, rng = RetryPolicy(), random.Random(0)
    assert policy.max_retry_after == 120.0
    assert policy.next_delay(Outcome(limited(120.0), attempts=1), rng) == 120.0
    assert policy.next_delay(Outcome(limited(120.5), attempts=1), rng) is None
    assert RetryPolicy(max_retry_after=5).next_delay(Outcome(limited(6), attempts=1), rng) is None


@pytest.mark.parametrize("retry_after", [0.0, None])
def test_a_zero_or_missing_retry_after_waits_the_floor(retry_after: float | None) -> None:
    delay = RetryPolicy().next_delay(
        Outcome(limited(retry_after), attempts=1), random.Random(0), retry_after_fallback=1.5
    )
    assert delay == 1.5


def test_a_503_retry_after_is_honoured_and_bounded() -> None:
    error = ServerError("busy", status=503)
    error.retry_after = 7.0  # type: ignore[attr-defined]
    policy = RetryPolicy(backoff_base=0.1, backoff_max=0.2)
    assert policy.next_delay(Outcome(error, attempts=1), random.Random(0)) == 7.0
    error.retry_after = 500.0  # type: ignore[attr-defined]
    assert policy.next_delay(Outcome(error, attempts=1), random.Random(0)) is None


@pytest.mark.parametrize(
    ("error", "retried"),
    [
        (limited(1.0), True),
        (QueuedError("x", status=449), True),
        (TransportError("refused", request_sent=False), True),
        (TransportError("timeout", request_sent=True), False),
        (ServerError("x", status=500), False),
    ],
)
def test_a_non_idempotent_request_is_retried_only_when_surely_not_applied(
    error: Exception, retried: bool
) -> None:
    policy, rng = RetryPolicy(), random.Random(0)
    assert isinstance(error, AelystError)
    assert policy.next_delay(Outcome(error, attempts=1), rng) is not None  # idempotent: always
    delay = policy.next_delay(Outcome(error, attempts=1), rng, idempotent=False)
    assert (delay is not None) == retried
