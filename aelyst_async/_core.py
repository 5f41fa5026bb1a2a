"""What every resource of a client shares: sending an operation and checking its input.

A :class:`Core` is a view: :meth:`AelystClient.with_options` makes another one over the same
session, throttle and statistics, with its own :class:`RequestOptions`. Resources read the
options from here, never the sender's settings.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from types import MappingProxyType
from typing import Any, Literal, TypeVar, get_args

import aiohttp
import attrs

from ._clock import Clock
from ._errors import ValidationError, ValidationProblem
from ._paginate import Paginator
from ._redact import Redactor
from ._response import capturing
from ._retry import RetryPolicy
from ._sansio.operations import Operation, Page
from ._sansio.raw import decoded
from ._sansio.request import NO_BODY, Request, build_request, fill_path
from ._sansio.response import Response, interpret
from ._sansio.validate.checks import ValidationMode, check_page_size, refuse
from ._sansio.validate.contact import checked_identifier
from ._send import Sender
from .types.contact import Identifier

T = TypeVar("T")
Priority = Literal["high", "normal", "low"]
R = TypeVar("R")


def _timeout(_instance: Any, _attribute: Any, value: Any) -> None:
    if isinstance(value, aiohttp.ClientTimeout):
        names = ("total", "connect", "sock_connect", "sock_read")
        limits = [getattr(value, name) for name in names if getattr(value, name) is not None]
        if not limits or not all(0 < v < math.inf for v in limits):
            raise ValueError(f"timeout must set positive, finite limits, not {value!r}")
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf:
        raise ValueError(
            "timeout must be a positive number of seconds or an aiohttp.ClientTimeout, "
            f"not {value!r}"
        )


def _deadline(_instance: Any, _attribute: Any, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf:
        raise ValueError(f"deadline must be a positive, finite number of seconds, not {value!r}")


def _priority(_instance: Any, _attribute: Any, value: Any) -> None:
    if value is not None and value not in get_args(Priority):
        raise ValueError(f"priority must be 'high', 'normal' or 'low', not {value!r}")


def _retry(_instance: Any, _attribute: Any, value: Any) -> None:
    if not isinstance(value, RetryPolicy):
        raise TypeError(f"retry must be a RetryPolicy or None, not {value!r}")


def _headers(value: Any) -> Mapping[str, str]:
    if not isinstance(value, Mapping):
        raise TypeError(f"headers must be a mapping of names to values, not {value!r}")
    for name, text in value.items():
        if not isinstance(name, str) or not isinstance(text, str):
            raise TypeError(f"headers[{name!r}] must map a str name to a str value")
        if name.lower() == "authorization":
            raise ValueError(
                f"headers[{name!r}] is refused: the client sends the token itself (token=...)"
            )
        if any(c in name + text for c in "\r\n\0") or not name.strip() or ":" in name:
            raise ValueError(f"headers[{name!r}] is not a valid header (name or value)")
    return MappingProxyType(dict(value))


def _validation(_instance: Any, _attribute: Any, value: Any) -> None:
    if value not in get_args(ValidationMode):
        raise ValueError(f"validation must be 'strict', 'basic' or 'off', not {value!r}")


@attrs.frozen(kw_only=True)
class RequestOptions:
    """What the calls of a client (or a view of it) are sent with, checked when made.

    ``timeout``: seconds per attempt (a positive, finite number); ``retry``: the
    :class:`RetryPolicy`; ``validation``: ``"strict"``, ``"basic"`` or ``"off"``; ``headers``:
    extra request headers (str to str; ``Authorization`` is refused); ``deadline``: seconds for
    a whole call (throttle waits, attempts, retry sleeps), or None; ``priority``: ``"high"``,
    ``"normal"`` or ``"low"`` at the throttle's gates, or None for the call's own default
    (``"normal"``; bulk upserts ``"low"``: :attr:`bulk_priority`). The constructor
    and :meth:`AelystClient.with_options` both build one, so both refuse the same values
    (``timeout=0`` among them: aiohttp would read it as "no timeout").

    >>> attrs.evolve(RequestOptions(), timeout=120).timeout
    120
    """

    validation: ValidationMode = attrs.field(default="strict", validator=_validation)
    timeout: float | aiohttp.ClientTimeout = attrs.field(default=30.0, validator=_timeout)

    @property
    def attempt_seconds(self) -> float:
        """The longest one attempt may take, in seconds: the timeout's ``total`` (a float is
        one), else its connect and read limits added up."""
        timeout = self.timeout
        if not isinstance(timeout, aiohttp.ClientTimeout):
            return float(timeout)
        if timeout.total:
            return float(timeout.total)
        connect = timeout.connect or timeout.sock_connect or 0.0
        return float(connect + (timeout.sock_read or 0.0)) or 30.0

    retry: RetryPolicy = attrs.field(factory=RetryPolicy, validator=_retry)
    headers: Mapping[str, str] = attrs.field(factory=dict, converter=_headers)
    deadline: float | None = attrs.field(default=None, validator=_deadline)
    priority: Priority | None = attrs.field(default=None, validator=_priority)

    @property
    def call_priority(self) -> Priority:
        """The priority of a single call: the one set, else ``"normal"``."""
        return self.priority or "normal"

    @property
    def bulk_priority(self) -> Priority:
        """The priority of a bulk upsert's requests: the one set on the view (a
        ``with_options(priority=...)`` view runs its bulk at that priority), else ``"low"``,
        so that a service's own calls pass before an import sharing its client."""
        return self.priority or "low"


class Core:
    """Sends operations for the resources of one client view."""

    def __init__(
        self,
        sender: Sender,
        *,
        options: RequestOptions,
        redact: Redactor,
        in_use: Callable[[], AbstractContextManager[None]],
    ) -> None:
        self.sender = sender
        self.options = options
        self.redact = redact
        self.in_use = in_use  # raises when closed; counts the call on its event loop

    def evolve(self, **changes: Any) -> Core:
        """This core with some options changed (``priority="low"``), over the same sender."""
        options = attrs.evolve(self.options, **changes)
        return Core(self.sender, options=options, redact=self.redact, in_use=self.in_use)

    def identifier(
        self,
        identifier: Identifier | str,
        *more: list[ValidationProblem],
        error: type[ValidationError] = ValidationError,
    ) -> Identifier:
        """``identifier`` parsed and checked under the validation mode (nothing is sent), with
        the ``more`` problems the caller found in the rest of the call's input.

        Raises :class:`IdentifierError` (not ``kind:value``) or ``error`` (a contact call's
        :class:`ContactValidationError`, else :class:`ValidationError`).
        """
        return checked_identifier(identifier, self.options.validation, *more, error=error)

    @property
    def clock(self) -> Clock:
        """The clock the client reads and waits on (the transport's, or the event loop's)."""
        return self.sender.throttle.clock

    def suggested_concurrency(self) -> int:
        """Requests to keep in flight to use the rate in force (the throttle's estimate)."""
        return self.sender.throttle.suggested_concurrency()

    async def call(
        self,
        operation: Operation[T],
        params: Mapping[str, Identifier | int | str] | None = None,
        *,
        body: Any = NO_BODY,
        query: Mapping[str, str | int] | None = None,
    ) -> tuple[T, int]:
        """``operation``'s result and the attempts it took (throttled, retried)."""
        capture = capturing()

        def read(request: Request, response: Response) -> T:
            if capture is not None:
                capture.answered(response.status, response.headers, self.redact)
            return interpret(operation, request, response, redact=self.redact)

        with self.in_use():
            request = self._with_headers(build_request(operation, params, body=body, query=query))
            options = self.options
            result = await self.sender.send(
                request, read, deadline=options.deadline, priority=options.call_priority
            )
        if capture is not None:
            capture.attempts = result[1]
        return result

    def _with_headers(self, request: Request) -> Request:
        """``request`` with the view's extra headers (its own win)."""
        if not self.options.headers:
            return request
        return attrs.evolve(request, headers={**self.options.headers, **request.headers})

    async def result(
        self,
        operation: Operation[T],
        params: Mapping[str, Identifier | int | str] | None = None,
        *,
        body: Any = NO_BODY,
        query: Mapping[str, str | int] | None = None,
    ) -> T:
        """``operation``'s result (throttled, retried)."""
        value, _ = await self.call(operation, params, body=body, query=query)
        return value

    async def raw(self, request: Request) -> Any:
        """``request`` (from :func:`raw_request`) sent, its answer's JSON decoded."""
        capture = capturing()

        def read(request: Request, response: Response) -> Any:
            if capture is not None:
                capture.answered(response.status, response.headers, self.redact)
            return decoded(request, response, redact=self.redact)

        with self.in_use():
            options = self.options
            result, attempts = await self.sender.send(
                self._with_headers(request),
                read,
                deadline=options.deadline,
                priority=options.call_priority,
            )
        if capture is not None:
            capture.attempts = attempts
        return result

    def paginate(
        self,
        operation: Operation[Page[R]],
        params: Mapping[str, Identifier | int | str] | None = None,
        *,
        page_size: int,
        body: Any = NO_BODY,
    ) -> Paginator[R]:
        """A lazy paginator over ``operation``'s pages of ``page_size`` items."""
        refuse(check_page_size(page_size))

        async def fetch(cursor: str | None) -> Page[R]:
            query: dict[str, str | int] = {"limit": page_size}
            if cursor is not None:
                query["cursorId"] = cursor
            return await self.result(operation, params, body=body, query=query)

        return Paginator(
            fetch,
            method=operation.method,
            path=fill_path(operation.path, params or {}),
            redact=self.redact,
        )
