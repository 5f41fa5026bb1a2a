"""Injected faults: drawn at random (seeded) or scripted for the next matching calls.

``"fail"``: a 500 before the call is applied; ``"fail_applied"``: a 500 after it was applied
(a gateway giving up on a server that went on); ``"lose"``: the call is applied and the
connection closed without an answer; ``"malformed"``: applied, answered with a body that is not
JSON. Real timing (the call is processed, its target looked up again, when it lands):
``"late"``: the call is applied ``late_delay`` x U(0.5, 1) seconds after it
arrived (seeded) and answered at ``late_delay``, so a client whose timeout is shorter gives up
before the write lands; ``"hang"``: applied at ``late_delay`` x U(0, 1) and never answered (the
connection is closed at ``late_delay``), whether or not the client cancelled or disconnected
meanwhile (the write is never cancelled with the connection). ``"empty_page"``: a listing is
answered with no item and a next cursor it never gave before (one past the cursor asked for), so
a client following cursors is kept polling for as long as the fault lasts (a call that answers no
listing is unchanged).

>>> faults = Faults({"lose": 0.0}, seed=1)
>>> faults.inject("lose", times=1, operation="POST /contact/{identifier}/message")
>>> faults.draw("GET /space/user"), faults.draw("POST /contact/{identifier}/message")
(None, 'lose')
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Generic, Literal, TypeVar, get_args

import attrs
from aiohttp import web

from ._http import ApiError, error_payload
from ._paging import page_link, page_params

Fault = Literal["fail", "lose", "malformed", "fail_applied", "late", "hang", "empty_page"]
FAULTS: tuple[Fault, ...] = get_args(Fault)
LATE_FAULTS: tuple[Fault, ...] = ("late", "hang")
"""The faults that apply the call after it arrived, on their own time (see the docstring)."""
DEFAULT_LATE_DELAY = 1.0
Answer = Callable[[int, Any], Awaitable[web.StreamResponse]]


K = TypeVar("K", bound=str)


@attrs.define
class Scripted(Generic[K]):
    """One line of a :class:`Script`: ``kind`` on the next ``times`` matches of ``key``."""

    kind: K
    times: int
    key: str | None


class Script(Generic[K]):
    """Faults forced on the next matching calls, played in the order they were added: the
    API's by operation (:class:`Faults`), the webhooks' by event type.

    >>> script: Script[str] = Script()
    >>> script.add("lose", times=2, key="GET /space/user")
    >>> script.draw("GET /contacts"), script.draw("GET /space/user"), script.draw("GET /space/user")
    (None, 'lose', 'lose')
    >>> script.entries
    []
    """

    def __init__(self) -> None:
        self.entries: list[Scripted[K]] = []

    def add(self, kind: K, *, times: int, key: str | None) -> None:
        """Force ``kind`` on the next ``times`` draws of ``key`` (None: any). ValueError if
        ``times`` is not an int >= 1."""
        if type(times) is not int or times < 1:
            raise ValueError("times: an int >= 1 required")
        self.entries.append(Scripted(kind, times, key))

    def draw(self, key: str) -> K | None:
        """The kind of the first line matching ``key``, counted off (gone at zero); or None."""
        for entry in self.entries:
            if entry.key in (None, key):
                entry.times -= 1
                if entry.times == 0:
                    self.entries.remove(entry)
                return entry.kind
        return None

    def clear(self) -> None:
        self.entries.clear()


class Faults:
    """Rates by kind (shares of calls, adding up to at most 1) and a script of forced faults."""

    def __init__(
        self,
        rates: Mapping[Fault, float],
        seed: int | None,
        late_delay: float = DEFAULT_LATE_DELAY,
    ) -> None:
        if any(kind not in FAULTS for kind in rates):
            raise ValueError(f"fault kinds are {list(FAULTS)}")
        if any(not 0.0 <= r <= 1.0 for r in rates.values()) or sum(rates.values()) > 1.0:
            raise ValueError("fault rates must be in [0, 1] and add up to at most 1")
        if not 0.0 < late_delay < float("inf"):
            raise ValueError("late_delay must be a positive number of seconds")
        self._rates = [(kind, rates.get(kind, 0.0)) for kind in FAULTS]
        self._seed = seed
        self.late_delay = late_delay
        self._writes: set[asyncio.Future[Any]] = set()
        self._script: Script[Fault] = Script()
        self.reset()

    def reset(self) -> None:
        """Reseed the draws and forget the script."""
        self._random = random.Random(self._seed)
        self._late_random = random.Random(self._seed)
        self._script.clear()

    async def late(
        self,
        kind: Fault,
        process: Callable[[float], Callable[[], tuple[int, Any]]],
        clock: Callable[[], float],
        request: web.Request,
        answer: Answer,
    ) -> web.StreamResponse:
        """Play a ``"late"`` or ``"hang"`` fault: process the call (``process(now)`` checks it
        and gives its apply) on its own time, never cancelled with the request's handler, then
        answer late or never."""
        low = 0.5 if kind == "late" else 0.0
        at = self.late_delay * self._late_random.uniform(low, 1.0)
        write = asyncio.ensure_future(_apply_at(at, lambda: process(clock())()))
        self._writes.add(write)  # a strong reference until it has run
        write.add_done_callback(self._writes.discard)
        status, payload = await asyncio.shield(write)
        await asyncio.sleep(self.late_delay - at)
        if kind == "hang":
            if request.transport is not None:
                request.transport.close()
            return web.Response()
        return await answer(status, payload)

    async def settle(self) -> None:
        """Wait until every late write has landed (what a test checks the store after)."""
        while self._writes:
            await asyncio.gather(*self._writes, return_exceptions=True)

    def inject(self, kind: Fault, *, times: int = 1, operation: str | None = None) -> None:
        """Force ``kind`` on the next ``times`` calls of ``operation`` (``"METHOD /template"``,
        e.g. ``"POST /contact/{identifier}/message"``; None: any call)."""
        if kind not in FAULTS:
            raise ValueError(f"unknown fault {kind!r}: one of {list(FAULTS)}")
        self._script.add(kind, times=times, key=operation)

    def pending(self) -> list[dict[str, object]]:
        """The script still to play: ``[{"kind", "times", "operation"}]`` (operation None: any)."""
        return [
            {"kind": entry.kind, "times": entry.times, "operation": entry.key}
            for entry in self._script.entries
        ]

    def draw(self, operation: str) -> Fault | None:
        """The fault for this call, if any: the script first, then the seeded draw."""
        scripted = self._script.draw(operation)
        if scripted is not None:
            return scripted
        if not any(rate for _, rate in self._rates):
            return None
        draw = self._random.random()
        for kind, rate in self._rates:
            if draw < rate:
                return kind
            draw -= rate
        return None


async def _apply_at(delay: float, apply: Callable[[], tuple[int, Any]]) -> tuple[int, Any]:
    await asyncio.sleep(delay)
    try:
        return apply()
    except ApiError as exc:  # the state changed meanwhile (e.g. a conflict): answer that
        return exc.status, error_payload(exc.status, exc.message)


def empty_page(payload: Any, url: str, query: Mapping[str, str]) -> Any:
    """The ``"empty_page"`` fault's answer instead of ``payload``: a listing's page without
    items whose next cursor is one past the one asked for; anything else unchanged.

    >>> empty_page({"items": [1], "pagination": {}}, "http://h/v1/space/user", {"cursorId": "7"})
    {'items': [], 'pagination': {'next': 'http://h/v1/space/user?limit=10&cursorId=8', 'previous': ''}}
    """  # noqa: E501
    if not (isinstance(payload, dict) and isinstance(payload.get("items"), list)):
        return payload
    limit, cursor = page_params(query)
    return {"items": [], "pagination": {"next": page_link(url, limit, cursor + 1), "previous": ""}}
