"""Keeping a client's requests just under the API's rate limits: :class:`Throttle`.

Every request passes three gates, in order, before it is sent:

1. **Its path** (method + path, identifier included), one budget per key, FIFO per key: a
   :class:`~aelyst_async._bucket.Bucket` seeded with ``per_path`` per ``period`` and a *credit*,
   the requests left in the server's current window. The credit is the server's
   ``X-RateLimit-Remaining`` of the newest answer minus the requests sent since (or, before any
   answer, ``per_path`` minus the requests sent); ``X-RateLimit-Limit`` re-fits the bucket. At 0
   the key waits a full ``period`` from the request or answer that spent it, which is safe for
   fixed and sliding server windows alike and whatever the local bucket believes.
2. **The workspace**, FIFO over all requests: the client-wide pause after any 429 (until its
   ``Retry-After``, or one ``period``), then the workspace bucket: a configured rate, a rate
   learned from 429s (:mod:`aelyst_async._learning`), or none yet.
3. **The shared store**, when the policy has one (:class:`LimitStore`): the budgets of every
   process using it, and their pause. A store that fails is logged once and skipped (the local
   gates above still apply); it never fails a request.

Budgets of keys idle for a ``period`` are dropped, so memory follows the keys in use, not every
key ever seen. Times are the event loop's (``loop.time()``); nothing here sleeps but the loop.

>>> throttle = Throttle(RateLimitPolicy(per_path=5))
>>> permit = await throttle.acquire("POST /contact/create_or_update/id:1")
>>> ...send...
>>> await throttle.observe(permit, response.status, response.headers)
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Literal, Protocol, TypeVar, runtime_checkable

import attrs

from ._bucket import Bucket
from ._learning import WorkspaceLearner
from ._sansio import RateLimit

log = logging.getLogger("aelyst_async")

WaitReason = Literal["path", "workspace", "pause", "shared"]
T = TypeVar("T")


@runtime_checkable
class LimitStore(Protocol):
    """A budget shared by several processes (implemented on Redis in ``aelyst_async.redis``).

    The throttle consults it after its local gates: :meth:`reserve` once per request, and the
    other methods when it learns something. Durations are relative seconds, so each store uses
    one clock of its own (e.g. Redis ``TIME``) and processes need not agree on theirs.

    A store may also count what every process sent, ``async booked(seconds, *, ago=0.0) ->
    int | None`` (see :class:`CountingLimitStore`): a throttle learning the workspace limit
    then measures the requests of all processes, not only its own. A store method that raises
    is logged and treated as "nothing shared" for that call.
    """

    async def reserve(
        self, key: str, *, limit: float, workspace: float | None, period: float
    ) -> float:
        """Book one request on the shared budget of ``key`` (``limit`` per ``period``) and, if
        ``workspace`` is not None, on the shared workspace budget (``workspace`` per
        ``period``); return the seconds to wait before sending it, shared pause included."""
        ...

    async def pause(self, seconds: float) -> None:
        """Pause every process for ``seconds`` from now (a 429 was seen); never shortens."""
        ...

    async def get_workspace_limit(self) -> float | None:
        """The workspace rate (requests per period) learned by any process, or None."""
        ...

    async def set_workspace_limit(self, rate: float) -> None:
        """Publish the workspace rate this process learned."""
        ...


@runtime_checkable
class CountingLimitStore(LimitStore, Protocol):
    """A :class:`LimitStore` that also counts the requests every process sent through it."""

    async def booked(self, seconds: float, *, ago: float = 0.0) -> int | None:
        """Requests every process booked to be sent in the ``seconds`` that ended ``ago``
        seconds ago (kept two periods), or None when unknown (e.g. the store is unreachable)."""
        ...


def _positive(name: str, *, integer: bool = False) -> Callable[[Any, Any, Any], None]:
    def check(_instance: object, _attribute: object, value: object) -> None:
        if value is None and name == "workspace":
            return
        kinds = (int,) if integer else (int, float)
        ok = (
            isinstance(value, kinds)
            and not isinstance(value, bool)
            and math.isfinite(value)
            and value > 0
            and (not integer or value >= 1)
        )
        if not ok:
            what = "an int >= 1" if integer else "a finite number > 0"
            extra = " or None" if name == "workspace" else ""
            raise ValueError(f"RateLimitPolicy: {name} must be {what}{extra}, not {value!r}")

    return check


def _flag(_instance: Any, _attribute: Any, value: Any) -> None:
    if not isinstance(value, bool):
        raise ValueError(f"RateLimitPolicy: adaptive must be True or False, not {value!r}")


def _store(_instance: Any, _attribute: Any, value: Any) -> None:
    if value is not None and not isinstance(value, LimitStore):
        raise ValueError(
            "RateLimitPolicy: shared must be a LimitStore (reserve, pause, get_workspace_limit, "
            f"set_workspace_limit) or None, not {type(value).__name__}"
        )


@attrs.frozen(kw_only=True)
class RateLimitPolicy:
    """How the client keeps under the API's rate limits.

    ``per_path`` requests per ``period`` seconds for each method + path (the documented 5/s);
    ``workspace``: a limit for all the client's requests together (per ``period``), or None to
    learn it from 429s that arrive while a path still had budget; ``adaptive``: follow
    ``X-RateLimit-Limit`` / ``X-RateLimit-Remaining`` / ``Retry-After`` (when False, headers are
    ignored: a 429 pauses the client for one ``period`` and nothing is learned); ``shared``: a
    :class:`LimitStore` through which several processes share one budget.

    >>> client = AelystClient(rate_limit=RateLimitPolicy(per_path=10, workspace=50))
    """

    per_path: int = attrs.field(default=5, validator=_positive("per_path", integer=True))
    period: float = attrs.field(default=1.0, validator=_positive("period"))
    workspace: float | None = attrs.field(default=None, validator=_positive("workspace"))
    adaptive: bool = attrs.field(default=True, validator=_flag)
    shared: LimitStore | None = attrs.field(default=None, validator=_store, eq=False)


@attrs.frozen
class WaitEvent:
    """A request waited in the throttle: for ``seconds``, at the gate named by ``reason``.

    ``reason``: ``"path"`` (its method + path budget), ``"pause"`` (the client-wide pause after
    a 429), ``"workspace"`` (the workspace budget), ``"shared"`` (the shared store).
    """

    key: str
    reason: WaitReason
    seconds: float


@attrs.frozen
class ThrottleSnapshot:
    """The throttle's state at one moment, from :meth:`AelystClient.throttle_snapshot`.

    ``paths``: per-path budgets held (keys used within about a period); ``workspace_rate``:
    requests per ``period`` for the whole client now in force, ``workspace_source`` where it
    comes from (``"configured"``, ``"learned"``, or ``"none"`` while no limit is known),
    ``workspace_best`` the highest learned rate observed to work; ``paused_for``: seconds left
    of the client-wide pause (0 when not paused).
    """

    period: float
    paths: int
    workspace_rate: float | None
    workspace_source: Literal["configured", "learned", "none"]
    workspace_best: float | None
    paused_for: float


class _PathBudget:
    """One method + path: its bucket and the server's window as last reported."""

    __slots__ = (
        "active",
        "applied",
        "bucket",
        "credit",
        "limit",
        "period",
        "reset_at",
        "sent",
        "users",
    )

    def __init__(self, limit: int, period: float, now: float) -> None:
        self.limit, self.period = limit, period
        self.bucket = Bucket(limit, period)
        self.credit = limit  # requests left in the current server window
        self.reset_at = -math.inf  # when credit is 0: the window surely ended by then
        self.sent = 0  # requests sent; each request's sequence number
        self.applied = 0  # sequence number of the newest answer applied
        self.users = 0  # requests waiting for or holding a permit
        self.active = now  # last send or answer

    def wait(self, now: float) -> float:
        """Seconds until the server's window has room (0 when it has now)."""
        if self.credit > 0:
            return 0.0
        if now >= self.reset_at:
            self.credit = self.limit
            return 0.0
        return self.reset_at - now

    def sent_now(self, now: float) -> int:
        self.sent += 1
        self.credit -= 1
        if self.credit <= 0:
            self.credit = 0
            self.reset_at = max(self.reset_at, now + self.period)
        self.active = now
        return self.sent

    def answered(self, seq: int, limit: int | None, remaining: int | None, now: float) -> None:
        self.active = now
        if limit is not None and limit >= 1 and limit != self.limit:
            self.limit = limit
            used = limit - remaining if remaining is not None else 0
            self.bucket.refit(limit, self.period, used=used)
        if remaining is not None and seq > self.applied:
            self.applied = seq
            credit = remaining - (self.sent - seq)  # requests sent after this one use it too
            if credit > 0:
                self.credit = credit
            else:
                self.credit = 0
                self.reset_at = max(self.reset_at, now + self.period)


class Permit:
    """Leave to send one request; hand it back to :meth:`Throttle.observe` or ``release``."""

    __slots__ = ("_budget", "epoch", "key", "sent_at", "seq", "waited")

    def __init__(
        self, key: str, budget: _PathBudget, seq: int, sent_at: float, epoch: int, waited: float
    ) -> None:
        self.key, self._budget, self.seq = key, budget, seq
        self.sent_at, self.epoch, self.waited = sent_at, epoch, waited


class Throttle:
    """The rate-limit gates of one client (see the module docstring).

    ``on_wait`` is called with a :class:`WaitEvent` after each wait at a gate.
    """

    def __init__(
        self, policy: RateLimitPolicy, *, on_wait: Callable[[WaitEvent], None] | None = None
    ) -> None:
        self.policy = policy
        self._period = policy.period
        self._on_wait = on_wait
        self._store = policy.shared
        learn = policy.workspace is None and policy.adaptive
        self._learner = WorkspaceLearner(policy.period) if learn else None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._budgets: OrderedDict[str, _PathBudget] = OrderedDict()
        self._workspace = Bucket(None, self._period)
        self._pause_until = -math.inf
        self._swept = -math.inf
        self._store_polled = -math.inf
        self._store_failed = False
        counting = isinstance(self._store, CountingLimitStore) and self._learner is not None
        self._sends: deque[float] | None = deque() if counting else None  # ~2 periods

    # -- the gates -------------------------------------------------------------------------------

    async def acquire(self, key: str) -> Permit:
        """Wait until a request on ``key`` (``"METHOD /path"``) may be sent; FIFO, cancel-safe."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._bind(loop)
        now = loop.time()
        budget = self._budget(key, now)
        waited = 0.0
        try:
            while True:
                # a gate that did not wait did not suspend either: ``now`` is still current
                suspended = self._store is not None
                if await budget.bucket.acquire(budget.wait):
                    waited += self._waited(key, "path", loop.time() - now)
                    now, suspended = loop.time(), True
                reason: WaitReason = "pause" if self._pause_until > now else "workspace"
                if await self._workspace.acquire(self._paused):
                    waited += self._waited(key, reason, loop.time() - now)
                    now, suspended = loop.time(), True
                if self._store is not None:
                    waited += await self._reserve(key, budget, loop)
                    now = loop.time()
                if not suspended or (budget.wait(now) <= 0 and self._paused(now) <= 0):
                    break
        except BaseException:
            budget.users -= 1
            raise
        seq = budget.sent_now(now)
        if self._sends is not None:
            self._sent(now)
        epoch = self._learner.epoch if self._learner is not None else 0
        return Permit(key, budget, seq, now, epoch, waited)

    async def observe(self, permit: Permit, status: int, headers: Mapping[str, str]) -> None:
        """Learn from the answer to a permitted request (every answer, not only errors)."""
        now = self._now()
        budget = self._finish(permit, now)
        facts = RateLimit.from_headers(headers) if self.policy.adaptive else RateLimit()
        budget.answered(permit.seq, facts.limit, facts.remaining, now)
        learner, changed = self._learner, False
        if status == 429:
            wait = self._period if facts.retry_after is None else facts.retry_after
            self._pause(permit.key, wait, now)
            if self._store is not None:
                await self._shared(self._store.pause(wait), None)
            if learner is not None and facts.remaining is not None and facts.remaining > 0:
                if self._sends is not None and permit.epoch == learner.epoch:
                    changed = await self._refused_shared(permit)
                else:
                    changed = learner.refused(permit.sent_at, permit.epoch, now)
        elif learner is not None:
            changed = learner.admitted(permit.sent_at, now)
        if changed:
            await self._workspace_changed()

    def release(self, permit: Permit) -> None:
        """Hand back a permit whose request got no answer (transport error, cancellation)."""
        self._finish(permit, self._now())

    def pause(self, seconds: float) -> None:
        """Hold every request of this client for ``seconds`` from now (never shortens a pause)."""
        self._pause("", seconds, self._now())

    def snapshot(self) -> ThrottleSnapshot:
        """The state now: see :class:`ThrottleSnapshot`."""
        paused_for = 0.0 if self._loop is None else max(0.0, self._pause_until - self._now())
        source: Literal["configured", "learned", "none"]
        if self.policy.workspace is not None:
            rate, source = float(self.policy.workspace), "configured"
        elif self._learner is not None and self._learner.rate is not None:
            rate, source = self._learner.rate, "learned"
        else:
            rate, source = None, "none"
        return ThrottleSnapshot(
            period=self._period,
            paths=len(self._budgets),
            workspace_rate=rate,
            workspace_source=source,
            workspace_best=self._learner.best if self._learner is not None else None,
            paused_for=paused_for,
        )

    # -- internals -------------------------------------------------------------------------------

    def _now(self) -> float:
        loop = self._loop or asyncio.get_running_loop()
        return loop.time()

    def _bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Start afresh on a new event loop (limiters and locks belong to one loop)."""
        self._loop = loop
        self._budgets.clear()
        self._pause_until = self._swept = self._store_polled = -math.inf
        if self._sends is not None:
            self._sends.clear()
        learned = self._learner.rate if self._learner is not None else None
        if self._learner is not None:
            self._learner = WorkspaceLearner(self._period)
            if learned is not None:
                self._learner.adopt(learned, loop.time())
        self._workspace = Bucket(*self._workspace_shape())

    def _workspace_shape(self) -> tuple[float | None, float]:
        """The workspace bucket: burst 1 (a little more when learned), at the rate in force."""
        if self.policy.workspace is not None:
            return 1.0, self._period / self.policy.workspace
        learner = self._learner
        if learner is None or learner.rate is None:
            return None, self._period
        capacity = 1.0 + min(0.5, learner.margin * learner.rate)
        return capacity, capacity * self._period / learner.rate

    def _workspace_rate(self) -> float | None:
        if self.policy.workspace is not None:
            return float(self.policy.workspace)
        return self._learner.rate if self._learner is not None else None

    async def _workspace_changed(self) -> None:
        capacity, period = self._workspace_shape()
        self._workspace.refit(capacity, period, used=capacity or 0.0)
        rate = self._workspace_rate()
        log.debug("aelyst_async: workspace rate now %s per %gs", _fmt(rate), self._period)
        if self._store is not None and rate is not None:
            await self._shared(self._store.set_workspace_limit(rate), None)

    def _adopt(self, rate: float) -> None:
        """Take the workspace rate another client published through the store."""
        assert self._learner is not None
        self._learner.adopt(rate, self._now())
        capacity, period = self._workspace_shape()
        self._workspace.refit(capacity, period, used=capacity or 0.0)

    def _budget(self, key: str, now: float) -> _PathBudget:
        budgets = self._budgets
        budget = budgets.get(key)
        if budget is None:
            if now - self._swept >= self._period:
                self._sweep(now)
            budget = budgets[key] = _PathBudget(self.policy.per_path, self._period, now)
        else:
            budgets.move_to_end(key)
        budget.users += 1
        return budget

    def _sweep(self, now: float) -> None:
        """Drop the budgets of keys idle for a period (least recently used first)."""
        self._swept = now
        budgets, horizon = self._budgets, now - self._period
        for _ in range(len(budgets)):
            key, budget = next(iter(budgets.items()))
            if budget.active > horizon:
                break
            if budget.users or budget.bucket.waiting:
                budgets.move_to_end(key)
            else:
                del budgets[key]

    def _finish(self, permit: Permit, now: float) -> _PathBudget:
        budget = permit._budget
        budget.users -= 1
        budget.active = now
        if self._budgets.get(permit.key) is budget:
            self._budgets.move_to_end(permit.key)
        return budget

    def _paused(self, now: float) -> float:
        return self._pause_until - now

    def _pause(self, key: str, seconds: float, now: float) -> None:
        until = now + max(0.0, seconds)
        if until > self._pause_until:
            if self._learner is not None and until - max(now, self._pause_until) >= self._period:
                self._learner.cleared(until)
            self._pause_until = until
            log.debug("aelyst_async: 429 on %s: every request waits %.3fs", key or "-", seconds)

    async def _reserve(
        self, key: str, budget: _PathBudget, loop: asyncio.AbstractEventLoop
    ) -> float:
        store = self._store
        assert store is not None
        now = loop.time()
        if self._learner is not None and now - self._store_polled >= self._period:
            self._store_polled = now
            shared = await self._shared(store.get_workspace_limit(), None)
            if shared is not None and shared != self._learner.rate:
                self._adopt(shared)
            if self._sends is not None:
                await self._rescale(self._period)
        delay = await self._shared(
            store.reserve(
                key, limit=budget.limit, workspace=self._workspace_rate(), period=self._period
            ),
            0.0,
        )
        if not delay > 0:  # 0, negative or NaN: send now
            return 0.0
        await asyncio.sleep(delay)
        return self._waited(key, "shared", delay)

    async def _shared(self, call: Awaitable[T], fallback: T) -> T:
        """The store's answer, or ``fallback`` when it raises (logged once until it recovers)."""
        try:
            result = await call
        except Exception as exc:
            if not self._store_failed:
                self._store_failed = True
                log.warning(
                    "aelyst_async: the shared limit store failed (%s: %s); this client keeps to "
                    "its own throttle until the store answers again",
                    type(exc).__name__,
                    exc,
                )
            return fallback
        if self._store_failed:
            self._store_failed = False
            log.info("aelyst_async: the shared limit store answers again")
        return result

    def _sent(self, now: float) -> None:
        sends = self._sends
        assert sends is not None
        sends.append(now)
        horizon = now - 2 * self._period
        while sends[0] <= horizon:
            sends.popleft()

    async def _rescale(self, seconds: float) -> None:
        """Set the learner's scale from the store: everyone's sends per send of this client
        within the last ``seconds`` (at most two periods); 1 when the store cannot tell."""
        store, learner, sends = self._store, self._learner, self._sends
        assert isinstance(store, CountingLimitStore)
        assert learner is not None
        assert sends is not None
        seconds = min(max(seconds, 0.0), 2 * self._period)
        total = await self._shared(store.booked(seconds), None)
        if total is None:
            learner.scale = 1.0  # no shared view: this client's own count is all there is
            return
        horizon = self._now() - seconds
        mine = sum(1 for t in sends if t > horizon)
        if mine > 0:
            learner.scale = max(1.0, total / mine)

    async def _refused_shared(self, permit: Permit) -> bool:
        """A workspace 429 while a counting store is shared; True when the rate was lowered.

        Another client may have lowered the shared rate for this very burst already: take its
        rate. Otherwise lower it from the store's count of what every client sent in the period
        before the refused request (the server admitted those), or this client's own count when
        the store cannot tell.
        """
        store, learner = self._store, self._learner
        assert isinstance(store, CountingLimitStore)
        assert learner is not None
        shared = await self._shared(store.get_workspace_limit(), None)
        if shared is not None and (learner.rate is None or shared < learner.rate):
            self._adopt(shared)
            return False
        ago = min(max(self._now() - permit.sent_at, 0.0), self._period)
        booked = await self._shared(store.booked(self._period, ago=ago), None)
        count = None if booked is None else max(0, booked - 1)  # less the refused one itself
        return learner.refused(permit.sent_at, permit.epoch, self._now(), count=count)

    def _waited(self, key: str, reason: WaitReason, seconds: float) -> float:
        if seconds <= 0:
            return 0.0
        log.debug("aelyst_async: %s waited %.3fs (%s)", key, seconds, reason)
        if self._on_wait is not None:
            try:
                self._on_wait(WaitEvent(key, reason, seconds))
            except Exception:
                log.exception("aelyst_async: the on_wait hook raised; ignored")
        return seconds


def _fmt(rate: float | None) -> str:
    return "unlimited" if rate is None else f"{rate:.2f}"
