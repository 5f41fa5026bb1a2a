"""Webhook deliveries to one URL: POSTed in the background, in order, retried with backoff.

Each subscription has an :class:`Endpoint`: a queue of deliveries ready now, a heap of retries
due later on the sandbox's clock, and one task on the running loop sending them one at a time.
A failed attempt (connection error, timeout, any status but 2xx, redirects included) is retried
with the same body (so the same ``event_id``) after ``first_retry`` x 2^(attempt - 1) seconds of
the sandbox's clock (capped at ``max_retry``), up to ``max_attempts`` attempts. On a
:class:`~._limits.FakeClock` retries wait for :meth:`FakeClock.advance`, not for real time
(unless the clock follows real time too).
An endpoint holds at most ``max_pending`` deliveries; one more is dropped (and logged).

>>> delivery = Delivery("evt_1", "contact.created", b"{}", "c2lnbmF0dXJl")
>>> delivery.attempts
0
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
from collections import deque
from collections.abc import Callable

import aiohttp
import attrs
from yarl import URL

from ._limits import Clock

log = logging.getLogger("aelyst_async.sandbox.webhooks")


_AT_LEAST_ONE = attrs.validators.and_(attrs.validators.instance_of(int), attrs.validators.ge(1))
_POSITIVE = attrs.validators.and_(attrs.validators.instance_of(int | float), attrs.validators.gt(0))


@attrs.define
class DeliveryPolicy:
    """How deliveries are retried and bounded: ``max_attempts`` per delivery; the first retry
    ``first_retry`` seconds (sandbox clock) after a failure, doubling up to ``max_retry``;
    ``timeout`` real seconds for an attempt's answer; ``max_pending`` deliveries per URL.
    Checked when set (a ValueError or TypeError naming the field).

    >>> DeliveryPolicy(first_retry=0.5).retry_delay(3)
    2.0
    """

    max_attempts: int = attrs.field(default=8, validator=_AT_LEAST_ONE)
    first_retry: float = attrs.field(default=1.0, validator=_POSITIVE)
    max_retry: float = attrs.field(default=60.0, validator=_POSITIVE)
    timeout: float = attrs.field(default=10.0, validator=_POSITIVE)
    max_pending: int = attrs.field(default=10_000, validator=_AT_LEAST_ONE)

    def retry_delay(self, attempts: int) -> float:
        """Seconds to wait after the ``attempts``-th failed attempt."""
        return float(min(self.max_retry, self.first_retry * 2 ** (attempts - 1)))


@attrs.define
class WebhookStats:
    """Counters of every endpoint together: ``attempts`` POSTs made, ``delivered`` answered
    2xx, ``failed`` attempts that failed, ``given_up`` deliveries dropped after the last
    attempt, ``dropped`` deliveries refused by a full queue, ``duplicated`` / ``reordered``
    the injected faults played."""

    attempts: int = 0
    delivered: int = 0
    failed: int = 0
    given_up: int = 0
    dropped: int = 0
    duplicated: int = 0
    reordered: int = 0

    def clear(self) -> None:
        """Every counter back to 0 (the endpoints keep counting into this object)."""
        for field in attrs.fields(WebhookStats):
            setattr(self, field.name, 0)


@attrs.define
class Delivery:
    """One event for one URL: the signed body (the same on every attempt) and the attempts."""

    event_id: str
    event_type: str
    body: bytes = attrs.field(repr=False)
    signature: str = attrs.field(repr=False)
    attempts: int = 0


def safe_url(url: str) -> str:
    """``url`` without credentials or query (what logs may show)."""
    parsed = URL(url)
    return str(parsed.with_user(None).with_query(None).with_fragment(None))


class Endpoint:
    """The deliveries to one URL (see the module docstring)."""

    def __init__(
        self,
        url: str,
        clock: Clock,
        real_time: Callable[[], bool],
        session: Callable[[], aiohttp.ClientSession],
        policy: DeliveryPolicy,
        stats: WebhookStats,
    ) -> None:
        self.url, self._clock, self._real_time = url, clock, real_time
        self._session, self._policy, self._stats = session, policy, stats
        self._ready: deque[Delivery] = deque()
        self._later: list[tuple[float, int, Delivery]] = []  # (due, order, delivery): a heap
        self._order = itertools.count()
        self._held: Delivery | None = None  # a reordered delivery waits for the next one
        self._in_flight = 0
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task[None] | None = None

    @property
    def pending(self) -> int:
        """Deliveries not yet delivered nor given up (ready, in flight, held or to retry)."""
        held = self._held is not None
        return len(self._ready) + len(self._later) + self._in_flight + held

    def enqueue(self, delivery: Delivery, *, hold: bool = False) -> None:
        """Queue ``delivery``; ``hold``: deliver it after the next one (out of order)."""
        if self.pending >= self._policy.max_pending:
            self._stats.dropped += 1
            log.warning(
                "webhook %s %s for %s dropped: %d deliveries pending",
                delivery.event_type, delivery.event_id, safe_url(self.url), self.pending,
            )  # fmt: skip
            return
        if hold and self._held is None:
            self._held = delivery
            return
        self._ready.append(delivery)
        self.release()

    def release(self) -> None:
        """Queue a held delivery now (after those ready), and wake the sender."""
        if self._held is not None:
            self._ready.append(self._held)
            self._held = None
        self.poke()

    def poke(self) -> None:
        """Move retries now due to the queue and wake the sender if there is work."""
        now = self._clock()
        while self._later and self._later[0][0] <= now:
            self._ready.append(heapq.heappop(self._later)[2])
        if self._ready:
            self._idle.clear()
            if self._task is None or self._task.done():
                self._task = asyncio.get_running_loop().create_task(self._run())
        self._wake.set()

    @property
    def is_idle(self) -> bool:
        return self._idle.is_set()

    async def idle(self) -> None:
        """Wait until nothing is ready or in flight (retries may still wait for their time)."""
        await self._idle.wait()

    async def aclose(self) -> None:
        """Stop sending (what is pending is forgotten)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            self.poke()
            if not self._ready:
                self._idle.set()
                self._wake.clear()
                timeout = None
                if self._later and self._real_time():
                    timeout = max(0.0, self._later[0][0] - self._clock())
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout)
                continue
            delivery = self._ready.popleft()
            self._in_flight += 1
            try:
                problem = await self._attempt(delivery)
            finally:
                self._in_flight -= 1
            if problem is not None:
                self._failed(delivery, problem)

    async def _attempt(self, delivery: Delivery) -> str | None:
        """POST once; None if answered 2xx, else what went wrong."""
        delivery.attempts += 1
        self._stats.attempts += 1
        headers = {
            "Content-Type": "application/json",
            "X-Webhook-Signature": delivery.signature,
            "User-Agent": "aelyst-sandbox-webhooks",
        }
        timeout = aiohttp.ClientTimeout(total=self._policy.timeout)
        try:
            async with self._session().post(
                self.url, data=delivery.body, headers=headers, timeout=timeout,
                allow_redirects=False,
            ) as response:  # fmt: skip
                status = response.status
        except Exception as exc:  # whatever it was, the attempt failed: retry, never stall
            return type(exc).__name__
        if 200 <= status < 300:
            self._stats.delivered += 1
            return None
        return f"answered {status}"

    def _failed(self, delivery: Delivery, problem: str) -> None:
        self._stats.failed += 1
        where = safe_url(self.url)
        if delivery.attempts >= self._policy.max_attempts:
            self._stats.given_up += 1
            log.warning(
                "webhook %s %s to %s: attempt %d failed (%s); given up",
                delivery.event_type, delivery.event_id, where, delivery.attempts, problem,
            )  # fmt: skip
            return
        delay = self._policy.retry_delay(delivery.attempts)
        log.info(
            "webhook %s %s to %s: attempt %d failed (%s); retry in %gs",
            delivery.event_type, delivery.event_id, where, delivery.attempts, problem, delay,
        )  # fmt: skip
        heapq.heappush(self._later, (self._clock() + delay, next(self._order), delivery))
