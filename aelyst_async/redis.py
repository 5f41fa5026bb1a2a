"""One budget for every process and host of a workspace, kept in Redis: :class:`RedisLimitStore`.

Give every client of one organisation (the API applies its limits per organisation, whatever
token of it sends), in every process on every host, the same store (same Redis, same
``namespace``: :meth:`RedisLimitStore.namespace_for`) as ``RateLimitPolicy(shared=store)``. They
then share

- the per method + path budgets and the workspace budget: one atomic Lua script per request
  books it on both and answers how long to wait (one round trip);
- the pause after a 429: one client's 429 holds the requests every client books after it until
  its ``Retry-After``;
- the workspace limit learned from 429s, and a count of the requests everyone sent (so a client
  learning the limit measures every process's admitted requests, not only its own);
- the warm-up before any limit is learned: one bucket (burst and rate of the asking client's
  warm-up) for every process, so processes started together warm up as one client would
  instead of each sending its own burst into the same window.

**Time** is the Redis server's (``TIME`` inside the scripts), never a host's: hosts whose clocks
disagree still agree on the budget. The throttle only ever hears relative waits.

**GCRA.** Each budget keeps one number, its *theoretical arrival time* (TAT): the earliest time
its next request may be sent. For ``limit`` requests per ``period`` the emission interval is
``T = period / limit``. A request booked at server time ``now`` gets the slot
``at = max(now, pause end, TAT(path), TAT(workspace))``; each budget's TAT becomes ``at + T``
(its own ``T``) and the caller waits ``at - now``. A budget's slots are therefore at least ``T``
apart (a burst of 1): never more than ``limit`` in any window of one ``period``, fixed or sliding,
however many processes book. Both budgets move to the slot actually used, so a request held by
the workspace does not spend its path budget early, nor the other way round. A request booked
without a workspace rate (its client has learned none yet) still takes the workspace budget at
the rate another client last booked with, while that budget is alive.

**Keys** live under ``{namespace}:`` (braces included: a Redis Cluster hash tag, so one
namespace's keys share a slot) and all expire: a budget one period after its last booked slot,
the count of sent requests two periods after its newest entry, the pause when it ends, the
learned limit ``limit_ttl`` seconds after it was last read or written. Paths are stored as
SHA-256 digests: no identifier (email, phone) is written to Redis.

**When Redis fails** (unreachable at start, or gone mid-run): one WARNING, then every call
answers "nothing shared" at once (``reserve`` returns 0: each client keeps to its own throttle,
never to none), Redis is tried again at most once per ``retry_interval`` seconds, and an INFO
line says when it is back; from then on the budget is shared again. A Redis error never fails
a request; each call is bounded by ``timeout`` seconds.

Requires the ``[redis]`` extra (``pip install 'aelyst_async[redis]'``, redis-py >= 5).

>>> store = RedisLimitStore.from_url(
...     "redis://redis.internal:6379/0", namespace=RedisLimitStore.namespace_for("org-4711"))
>>> async with AelystClient(token, rate_limit=RateLimitPolicy(shared=store)) as client:
...     await client.contacts.bulk_upsert(contacts)
>>> await store.aclose()
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import os
import re
import time
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, TypeVar

from ._redis_scripts import BOOKED, GET_LIMIT, PAUSE, RESERVE, WARM_UP

try:
    import redis.asyncio as aioredis
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff
    from redis.exceptions import ConnectionError as RedisConnectionError
except ImportError as exc:  # pragma: no cover - exercised in a subprocess
    raise ImportError(
        "aelyst_async.redis needs the 'redis' package (redis-py >= 5.0); install the extra: "
        "pip install 'aelyst_async[redis]'"
    ) from exc

__all__ = ["RedisLimitStore"]

log = logging.getLogger("aelyst_async.redis")
T = TypeVar("T")

MICRO = 1_000_000
_NAMESPACE = re.compile(r"[A-Za-z0-9_.:/-]{1,128}")


def _positive(name: str, value: object) -> float:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or not value > 0:  # type: ignore[operator]
        raise ValueError(f"RedisLimitStore: {name} must be a finite number > 0, not {value!r}")
    return float(value)  # type: ignore[arg-type]


def _check_namespace(namespace: object) -> str:
    if not isinstance(namespace, str) or not _NAMESPACE.fullmatch(namespace):
        raise ValueError(
            "RedisLimitStore: namespace must be 1 to 128 characters of letters, digits and "
            f"'_.:/-' (no spaces or braces), not {namespace!r}; for one per organisation "
            "use RedisLimitStore.namespace_for(organisation_id)"
        )
    token = os.environ.get("AELYST_API_TOKEN", "")
    if len(token) >= 4 and token in namespace:
        raise ValueError(
            "RedisLimitStore: the namespace contains the API token; it is stored in Redis "
            "key names in clear: use RedisLimitStore.namespace_for_token(token) instead"
        )
    return namespace


class RedisLimitStore:
    """A :class:`~aelyst_async.LimitStore` in Redis, shared by every client using ``namespace``.

    ``client``: a ``redis.asyncio.Redis`` (the caller keeps it open and closes it; give it short
    socket timeouts, or use :meth:`from_url`); ``namespace``: one per organisation (the API's
    limits are per organisation, whatever token of it sends; see :meth:`namespace_for`), the
    same in every process and for every token; ``timeout``: seconds one call to Redis
    may take before the store falls back; ``retry_interval``: seconds between attempts to reach
    Redis again after a failure; ``limit_ttl``: seconds the learned workspace limit is kept
    after it was last read or written; ``clock``: the monotonic clock of those retries.

    Use a store on one event loop (like the aiohttp session of a client). See the module
    docstring for what is shared and how.

    >>> store = RedisLimitStore(redis.asyncio.Redis(socket_timeout=0.5), namespace="aelyst:ab12")
    >>> client = AelystClient(token, rate_limit=RateLimitPolicy(shared=store))
    """

    def __init__(
        self,
        client: aioredis.Redis,
        *,
        namespace: str,
        timeout: float = 0.5,
        retry_interval: float = 1.0,
        limit_ttl: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not isinstance(client, aioredis.Redis):
            raise TypeError(
                f"RedisLimitStore: client must be a redis.asyncio.Redis, not {client!r}"
            )
        self.namespace = _check_namespace(namespace)
        self.timeout = _positive("timeout", timeout)
        self.retry_interval = _positive("retry_interval", retry_interval)
        self.limit_ttl = _positive("limit_ttl", limit_ttl)
        self._redis = client
        self._owned = False
        self._clock = clock
        self._reserve = client.register_script(RESERVE)
        self._pause = client.register_script(PAUSE)
        self._booked = client.register_script(BOOKED)
        self._get_limit = client.register_script(GET_LIMIT)
        self._warm_up = client.register_script(WARM_UP)
        prefix = "{" + self.namespace + "}:"
        self._workspace_key = prefix + "workspace"
        self._pause_key = prefix + "pause"
        self._sent_key = prefix + "sent"
        self._seq_key = prefix + "sent:seq"
        self._limit_key = prefix + "limit"
        self._warm_key = prefix + "warm"
        self._path_prefix = prefix + "path:"
        self._down = False
        self._retry_at = -math.inf
        self._probing = False

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        namespace: str,
        timeout: float = 0.5,
        retry_interval: float = 1.0,
        limit_ttl: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
        **redis_options: Any,
    ) -> RedisLimitStore:
        """A store on a new Redis connection pool for ``url`` (``redis://``, ``rediss://``,
        ``unix://``), closed by :meth:`aclose`.

        Socket and connect timeouts default to ``timeout``, and a failed command is retried once
        at once on a fresh connection, never with backoff (a Redis that is down must not stall
        requests); ``redis_options`` go to ``redis.asyncio.Redis.from_url``.

        >>> store = RedisLimitStore.from_url("redis://localhost:6379/0", namespace="aelyst:ab12")
        """
        _check_namespace(namespace)
        timeout = _positive("timeout", timeout)
        options: dict[str, Any] = {
            "socket_timeout": timeout,
            "socket_connect_timeout": timeout,
            "retry": Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
            **redis_options,
        }
        client = aioredis.Redis.from_url(url, **options)
        store = cls(
            client,
            namespace=namespace,
            timeout=timeout,
            retry_interval=retry_interval,
            limit_ttl=limit_ttl,
            clock=clock,
        )
        store._owned = True
        return store

    @staticmethod
    def namespace_for(key: str, *, prefix: str = "aelyst") -> str:
        """A namespace for one *organisation* (the API applies its limits per organisation,
        which may hold up to 10 tokens): ``prefix`` and the first 16 hex digits of the SHA-256
        of ``key``, any stable name the deployment chooses for it (e.g. its organisation id).
        Every process of every token of the organisation uses the same one.

        >>> RedisLimitStore.namespace_for("org-4711")
        'aelyst:...'
        """
        if not isinstance(key, str) or not key:
            raise ValueError(f"namespace_for: key must be a non-empty string, not {key!r}")
        return f"{prefix}:{hashlib.sha256(key.encode()).hexdigest()[:16]}"

    @staticmethod
    def namespace_for_token(token: str | None = None, *, prefix: str = "aelyst") -> str:
        """A namespace for one workspace token that does not reveal it: ``prefix`` and the first
        16 hex digits of the token's SHA-256 (``token`` falls back to ``AELYST_API_TOKEN``).

        >>> RedisLimitStore.namespace_for_token("my-token")
        'aelyst:...'
        """
        token = token or os.environ.get("AELYST_API_TOKEN")
        if not token:
            raise ValueError("namespace_for_token: no token given and AELYST_API_TOKEN is unset")
        return RedisLimitStore.namespace_for(token, prefix=prefix)

    @property
    def redis(self) -> aioredis.Redis:
        """The store's ``redis.asyncio.Redis`` connection, to share (e.g. with a deduplicator)."""
        return self._redis

    def __repr__(self) -> str:
        state = "unavailable" if self._down else "available"
        return f"<RedisLimitStore namespace={self.namespace!r} {state}>"

    def check_token(self, token: str) -> None:
        """Refuse this store for a client whose ``token`` appears in the namespace (it would be
        written in clear in every Redis key name). The client calls it with the token it uses
        when the store is attached; the error never repeats the token.

        Raises ValueError.

        >>> store.check_token(token)
        """
        if isinstance(token, str) and len(token) >= 4 and token in self.namespace:
            raise ValueError(
                "RedisLimitStore: the namespace contains the client's API token; it would be "
                "stored in Redis key names in clear: use RedisLimitStore.namespace_for_token("
                "token) instead"
            )

    @property
    def available(self) -> bool:
        """False from a failure until Redis answers again."""
        return not self._down

    # -- the LimitStore protocol -----------------------------------------------------------------

    async def reserve(
        self, key: str, *, limit: float, workspace: float | None, period: float
    ) -> float:
        """Book one request on the budget of ``key`` (``limit`` per ``period``) and on the
        workspace budget (``workspace`` per ``period``; None: at the rate another client booked
        with, if any); seconds to wait before sending, the shared pause included. 0 when Redis
        cannot be reached."""
        limit, period = _positive("limit", limit), _positive("period", period)
        ws_step = 0.0 if workspace is None else period / _positive("workspace", workspace)
        digest = hashlib.sha256(key.encode()).hexdigest()[:32]
        keys = [
            self._path_prefix + digest,
            self._workspace_key,
            self._pause_key,
            self._sent_key,
            self._seq_key,
        ]
        args = [f"{period / limit * MICRO:.3f}", f"{ws_step * MICRO:.3f}", f"{period * MICRO:.3f}"]
        wait = await self._call(lambda: self._reserve(keys=keys, args=args))
        return 0.0 if wait is None else max(0.0, int(wait) / MICRO)

    async def pause(self, seconds: float) -> None:
        """Hold the requests every client books from now on for ``seconds`` (never shortens)."""
        if not (isinstance(seconds, (int, float)) and math.isfinite(seconds) and seconds > 0):
            return
        args = [f"{seconds * MICRO:.0f}"]
        await self._call(lambda: self._pause(keys=[self._pause_key], args=args))

    async def get_workspace_limit(self) -> float | None:
        """The workspace rate (requests per period) last published by any client, or None."""
        args = [str(math.ceil(self.limit_ttl * 1000))]
        value = await self._call(lambda: self._get_limit(keys=[self._limit_key], args=args))
        if value is None:
            return None
        try:
            rate = float(value)
        except ValueError:
            return None
        return rate if math.isfinite(rate) and rate > 0 else None

    async def set_workspace_limit(self, rate: float) -> None:
        """Publish the workspace rate (requests per period) this client now uses."""
        rate = _positive("rate", rate)
        ttl = math.ceil(self.limit_ttl * 1000)
        await self._call(lambda: self._redis.set(self._limit_key, repr(rate), px=ttl))

    async def booked(self, seconds: float, *, ago: float = 0.0) -> int | None:
        """Requests every client booked to be sent in the ``seconds`` that ended ``ago`` seconds
        ago (kept two periods), or None when Redis cannot be reached."""
        if not (math.isfinite(seconds) and seconds > 0):
            return 0
        ago = max(0.0, ago) if math.isfinite(ago) else 0.0
        args = [f"{seconds * MICRO:.0f}", f"{ago * MICRO:.0f}"]
        count = await self._call(lambda: self._booked(keys=[self._sent_key], args=args))
        return None if count is None else int(count)

    async def warm_up(self, *, rate: float, burst: float, period: float) -> float:
        """Take a token of every client's warm-up bucket (``burst`` at once, refilled at
        ``rate`` per ``period``; the shared pause holds it too): 0 when taken, else the seconds
        until one may be (nothing taken). 0 when Redis cannot be reached."""
        rate, period = _positive("rate", rate), _positive("period", period)
        step = period / rate
        tolerance = (max(1.0, burst) - 1.0) * step if math.isfinite(burst) else 0.0
        args = [f"{step * MICRO:.3f}", f"{tolerance * MICRO:.3f}", f"{period * MICRO:.3f}"]
        keys = [self._warm_key, self._pause_key]
        wait = await self._call(lambda: self._warm_up(keys=keys, args=args))
        return 0.0 if wait is None else max(0.0, int(wait) / MICRO)

    # -- lifecycle -------------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Close the connection pool if :meth:`from_url` made it (a client passed in stays open)."""
        if self._owned:
            self._owned = False
            close: Callable[[], Awaitable[Any]] | None = getattr(self._redis, "aclose", None)
            await (close() if close is not None else self._redis.close())  # redis-py 5.0.0

    async def __aenter__(self) -> RedisLimitStore:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # -- failure handling ------------------------------------------------------------------------

    async def _call(self, operation: Callable[[], Awaitable[T]]) -> T | None:
        """``operation``'s result, or None when Redis is down (tried again once per interval)."""
        probing = False
        if self._down:
            if self._probing or self._clock() < self._retry_at:
                return None
            self._probing = probing = True
        try:
            result = await asyncio.wait_for(operation(), self.timeout)
        except Exception as exc:  # a Redis error never fails a request
            self._failed(exc)
            return None
        finally:
            if probing:
                self._probing = False
        if self._down:
            self._down = False
            log.info(
                "aelyst_async: Redis limit store %r reachable again: budgets are shared again",
                self.namespace,
            )
        return result

    def _failed(self, exc: Exception) -> None:
        self._retry_at = self._clock() + self.retry_interval
        if self._down:
            return
        self._down = True
        what = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        log.warning(
            "aelyst_async: Redis limit store %r unreachable (%s); each client keeps to its own "
            "throttle until Redis is back (trying again every %gs)",
            self.namespace,
            what,
            self.retry_interval,
        )
