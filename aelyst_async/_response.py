"""A call's answer as well as its result: :class:`APIResponse` (``client.with_raw_response``).

A raw call runs the plain call while a :class:`Capture` is current (a context variable, so
concurrent calls never mix): the core notes each answer it reads and the attempts it took, and
:func:`captured` wraps the plain result with the last answer's status and headers.

>>> response = await client.with_raw_response.contacts.get("id:7")
>>> response.status, response.headers["X-RateLimit-Remaining"], response.attempts
(200, '4', 1)
>>> record = response.parse()
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from contextvars import ContextVar
from typing import Generic, TypeVar

import attrs
from multidict import CIMultiDict, CIMultiDictProxy

from ._clock import Clock
from ._errors import REQUEST_ID_HEADER
from ._redact import NOTHING, Redactor

T = TypeVar("T")


@attrs.frozen
class APIResponse(Generic[T]):
    """The answer to a call of ``client.with_raw_response``, and its result.

    ``status``: the HTTP status of the answer the result was read from (the last request the
    call made; e.g. 200); ``headers``: its headers, a read-only case-insensitive multidict
    (``response.headers["X-RateLimit-Remaining"]``; a value echoing the token is redacted);
    ``attempts``: attempts that request took (1 without retries); ``elapsed``: seconds the
    whole call took on the client's clock (throttle waits and retries included);
    ``request_id``: the ``X-Request-Id`` header, or None.

    The answer is read when the call returns (eagerly: a body the SDK cannot read raises
    :class:`ResponseFormatError` then, as the plain call does); :meth:`parse` returns that
    result, the same object each time.

    >>> response = await client.with_raw_response.contacts.delete("id:7")
    >>> response.status, response.parse()
    (200, 7)
    """

    status: int
    headers: CIMultiDictProxy[str]
    attempts: int
    elapsed: float
    _result: T = attrs.field(repr=False, alias="result")

    def parse(self) -> T:
        """What the plain call returns (a :class:`ContactRecord`, an id, None, ...)."""
        return self._result

    @property
    def request_id(self) -> str | None:
        """The answer's ``X-Request-Id`` header (any case), or None when it sent none."""
        return self.headers.get(REQUEST_ID_HEADER)


@attrs.define
class Capture:
    """The last answer a raw call read: ``status``, ``headers`` (as received), ``attempts``."""

    status: int = 0
    headers: Mapping[str, str] = attrs.field(factory=dict)
    attempts: int = 0
    redact: Redactor = NOTHING

    def answered(self, status: int, headers: Mapping[str, str], redact: Redactor) -> None:
        """Note an answer (every attempt's: the last one read is the result's)."""
        self.status, self.headers, self.redact = status, headers, redact


_CAPTURE: ContextVar[Capture | None] = ContextVar("aelyst_async_raw_response", default=None)


def capturing() -> Capture | None:
    """The capture of the raw call running in this context, or None (a plain call)."""
    return _CAPTURE.get()


async def captured(clock: Clock, call: Awaitable[T]) -> APIResponse[T]:
    """Await ``call`` (a plain call, not yet started) under a new capture; its result with the
    last answer's status and headers, the attempts it took, and the seconds it took on
    ``clock``. Its errors propagate as they are."""
    capture = Capture()
    token = _CAPTURE.set(capture)
    started = clock.time()
    try:
        result = await call
    finally:
        _CAPTURE.reset(token)
    if not capture.status:
        raise AssertionError("a raw call returned without reading an answer")
    redact = capture.redact
    headers = CIMultiDictProxy(
        CIMultiDict((name, redact(value)) for name, value in capture.headers.items())
    )
    return APIResponse(
        status=capture.status,
        headers=headers,
        attempts=capture.attempts,
        elapsed=clock.time() - started,
        result=result,
    )
