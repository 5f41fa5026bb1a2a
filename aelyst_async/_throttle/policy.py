"""What a client asks of its throttle: :class:`RateLimitPolicy`, and what it reports back.

Also the seam to other processes: :class:`LimitStore` (and :class:`CountingLimitStore`,
:class:`WarmingLimitStore`), which ``aelyst_async.redis.RedisLimitStore`` implements on Redis.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Literal, Protocol, runtime_checkable

import attrs

WaitReason = Literal["path", "workspace", "pause", "shared"]


@runtime_checkable
class LimitStore(Protocol):
    """A budget shared by several processes (implemented on Redis in ``aelyst_async.redis``).

    The throttle consults it after its local gates: :meth:`reserve` once per request, and the
    other methods when it learns something. Durations are relative seconds, so each store uses
    one clock of its own (e.g. Redis ``TIME``) and processes need not agree on theirs.

    A store may also count what every process sent, ``async booked(seconds, *, ago=0.0) ->
    int | None`` (see :class:`CountingLimitStore`): a throttle learning the workspace limit
    then measures the requests of all processes, not only its own; and hold everyone's
    warm-up together, ``async warm_up(*, rate, burst, period) -> float`` (see
    :class:`WarmingLimitStore`). A store method that raises is logged and treated as "nothing
    shared" for that call.
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


@runtime_checkable
class WarmingLimitStore(LimitStore, Protocol):
    """A :class:`LimitStore` through which processes that know no workspace limit yet warm up
    together, as one: so many processes started at once do not each send a warm-up's burst."""

    async def warm_up(self, *, rate: float, burst: float, period: float) -> float:
        """Take one token of everyone's warm-up bucket (``burst`` at once, refilled at ``rate``
        per ``period``; the shared pause holds it too): 0 when taken; else the seconds until
        one may be, and nothing is taken (ask again then)."""
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
    requests per ``period`` for the whole client, configured or learned to work (a probe above a
    learned rate, in progress, is not shown), ``workspace_source`` where it
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
