"""Deliveries are at least once: remember each ``event_id`` for a window, in memory or in Redis."""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from redis import asyncio as aioredis

from ..redis import RedisLimitStore


class _SetNX(Protocol):
    def set(self, name: str, value: str, *, nx: bool, ex: int) -> Awaitable[Any]: ...


class WebhookDeduplicator:
    """Answers whether a webhook's ``event_id`` is new within ``window`` seconds.

    In memory (one process; at most ``max_size`` ids, the oldest forgotten first) by default, or
    through Redis (``SET key 1 NX EX window``, so a fleet of workers processes each event once)
    with :meth:`redis`. Keys are ``<namespace>:<sha256 of the event_id>``. An event without an
    ``event_id`` is always new (nothing recognises it again; dropping it would lose it).

    Example::

        dedupe = WebhookDeduplicator(window=86400)
        if await dedupe.first_seen(event.event_id):
            handle(event)
    """

    def __init__(
        self,
        *,
        window: float = 86400.0,
        max_size: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
        redis: _SetNX | None = None,
        namespace: str = "aelyst:webhook",
    ) -> None:
        if not window > 0:
            raise ValueError(f"window is {window!r}, not a positive number of seconds")
        if max_size < 1:
            raise ValueError(f"max_size is {max_size!r}, not a positive count")
        self._window = window
        self._max_size = max_size
        self._clock = clock
        self._redis = redis
        self._namespace = namespace
        self._owned = False
        self._seen: OrderedDict[str, float] = OrderedDict()

    @classmethod
    def redis(
        cls,
        source: RedisLimitStore | _SetNX | str,
        *,
        window: float = 86400.0,
        namespace: str = "aelyst:webhook",
    ) -> WebhookDeduplicator:
        """A deduplicator shared through Redis, for a fleet of workers.

        ``source`` is a :class:`RedisLimitStore` (its connection is reused), a
        ``redis.asyncio.Redis``, or a ``redis://`` URL (a connection of its own, closed by
        :meth:`aclose`).

        >>> dedupe = WebhookDeduplicator.redis(store, window=86400)
        """
        if isinstance(source, RedisLimitStore):
            return cls(window=window, redis=source.redis, namespace=namespace)
        if isinstance(source, str):
            dedupe = cls(window=window, redis=aioredis.Redis.from_url(source), namespace=namespace)
            dedupe._owned = True
            return dedupe
        return cls(window=window, redis=source, namespace=namespace)

    async def aclose(self) -> None:
        """Close the Redis connection if this deduplicator opened it (from a URL)."""
        if self._owned and isinstance(self._redis, aioredis.Redis):
            await self._redis.aclose()

    async def first_seen(self, event_id: str) -> bool:
        """True the first time ``event_id`` is seen within the window, False for a redelivery.

        Record-then-answer in one step: of two concurrent deliveries, exactly one gets True.
        An empty ``event_id`` (:func:`parse_event`'s for an event without one) is True every
        time, recorded nowhere: such an event cannot be told from a new one, and deliveries are
        at least once, so it is handled rather than lost. Raises ``ValueError`` for a
        ``event_id`` that is not a string.

        >>> await dedupe.first_seen("evt_1"), await dedupe.first_seen("evt_1")
        (True, False)
        """
        if not isinstance(event_id, str):
            raise ValueError(f"event_id is {event_id!r}, not a string")
        if not event_id:
            return True
        if self._redis is not None:
            digest = hashlib.sha256(event_id.encode("utf-8")).hexdigest()
            key = f"{self._namespace}:{digest}"
            stored = await self._redis.set(key, "1", nx=True, ex=max(1, round(self._window)))
            return bool(stored)
        now, seen = self._clock(), self._seen
        while seen:
            oldest, at = next(iter(seen.items()))
            if now - at < self._window:
                break
            del seen[oldest]
        seen_at = seen.get(event_id)
        if seen_at is not None and now - seen_at < self._window:
            return False
        while len(seen) >= self._max_size:  # room for a new id only: a redelivery takes none
            seen.popitem(last=False)
        seen[event_id] = now
        return True
