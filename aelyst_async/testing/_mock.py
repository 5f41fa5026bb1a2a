"""A transport whose answers come from a function of the test: :class:`MockTransport`.

>>> def handler(request: MockRequest) -> MockResponse:
...     if request.method == "POST" and request.path.startswith("/contact/create_or_update/"):
...         return MockResponse(200, {"contactId": 7})
...     return MockResponse(404, {"code": 404, "message": "Contact not found"})
>>> client = AelystClient("test-token", transport=MockTransport(handler))
"""

from __future__ import annotations

import asyncio
import copy
import inspect
import json as _json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl

import attrs

from .._errors import TransportError
from .._redact import Redactor
from .._sansio.request import Request
from .._sansio.response import Response
from .._transports.base import Transport
from ._clock import VirtualClock


def _masked(headers: Mapping[str, str]) -> str:
    shown = {
        name: "Bearer ***" if name.lower() == "authorization" else value
        for name, value in headers.items()
    }
    return repr(shown)


@attrs.frozen
class MockRequest:
    """One request as the API would receive it.

    ``method`` (``"POST"``); ``path`` relative to the base URL, percent-encoded as sent,
    without the query string (``"/contact/email:ana@example.com"``); ``headers`` as sent,
    ``Authorization: Bearer <token>`` included (a repr shows ``Bearer ***``); ``json`` the
    decoded body (None without one); ``params`` the query parameters (``{"limit": "10"}``).
    """

    method: str
    path: str
    headers: Mapping[str, str] = attrs.field(factory=dict, repr=_masked)
    json: Any = None
    params: Mapping[str, str] = attrs.field(factory=dict)


def _status(_instance: Any, _attribute: Any, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 100 <= value <= 599:
        raise ValueError(f"MockResponse: status must be an int from 100 to 599, not {value!r}")


def _headers(_instance: Any, _attribute: Any, value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise TypeError(f"MockResponse: headers must map str to str, not {value!r}")


@attrs.frozen
class MockResponse:
    """The answer to a :class:`MockRequest`: ``status``, a ``json`` body (None: no body) and
    ``headers`` (``{"Retry-After": "2"}``, ``{"X-RateLimit-Remaining": "0"}``).

    >>> MockResponse(429, {"code": 429, "message": "Too Many Requests"}, {"Retry-After": "1"})
    """

    status: int = attrs.field(validator=_status)
    json: Any = None
    headers: Mapping[str, str] | None = attrs.field(default=None, validator=_headers)

    def _response(self) -> Response:
        headers = dict(self.headers or {})
        body = b""
        if self.json is not None:
            body = _json.dumps(self.json).encode()
            headers.setdefault("Content-Type", "application/json")
        return Response(status=self.status, headers=headers, body=body)


Handler = Callable[[MockRequest], MockResponse | Awaitable[MockResponse | None] | None]
"""What a :class:`MockTransport` asks: a function (or ``async def``) of the request."""


class MockTransport(Transport):
    """Answers every request of a client with ``handler(request)``: a :class:`MockResponse`,
    returned or awaited (the handler may be ``async def``).

    ``AelystClient(token, transport=MockTransport(handler))``: the throttle, retries, errors and
    parsing run as in production; their waits follow ``clock`` (a :class:`VirtualClock` of its
    own by default), so none takes real time. Every request is appended to :attr:`requests`.

    The handler may raise to play a failed connection: ``ConnectionRefusedError`` (the request
    was not sent: retried even when not idempotent), any other ``ConnectionError`` or
    ``TimeoutError`` (it may have been applied), or a :class:`TransportError` itself. A handler
    that returns None (a request it does not handle) fails the call at once with an
    ``AssertionError`` naming the request, never retried; any other exception propagates as is.
    """

    def __init__(self, handler: Handler, *, clock: VirtualClock | None = None) -> None:
        if not callable(handler):
            raise TypeError(f"MockTransport: handler must be callable, not {handler!r}")
        self.handler = handler
        self.clock: VirtualClock = clock if clock is not None else VirtualClock()
        self.requests: list[MockRequest] = []
        self._headers: dict[str, str] = {}

    def with_headers(self, headers: Mapping[str, str]) -> MockTransport:
        view = copy.copy(self)  # the same handler, clock and requests list
        view._headers = {**self._headers, **headers}
        return view

    async def send(self, request: Request) -> Response:
        path, _, query = request.path.partition("?")
        mock = MockRequest(
            request.method,
            path,
            {**self._headers, **request.headers},
            request.json(),
            dict(parse_qsl(query, keep_blank_values=True)),
        )
        self.requests.append(mock)
        try:
            answer = self.handler(mock)
            if inspect.isawaitable(answer):
                answer = await answer
        except TransportError:
            raise
        except (ConnectionError, TimeoutError, asyncio.TimeoutError) as exc:
            sent = not isinstance(exc, ConnectionRefusedError)
            token = mock.headers.get("Authorization", "").removeprefix("Bearer ")
            detail = Redactor(token).excerpt(str(exc), 400)
            message = f"{type(exc).__name__} raised by the mock handler: {detail}"
            if not sent:
                message += " (the request was not sent)"
            raise TransportError(
                message, method=request.method, path=request.path, request_sent=sent
            ) from exc
        if isinstance(answer, MockResponse):
            return answer._response()
        if answer is None:
            raise AssertionError(
                f"MockTransport: the handler returned None for {request.method} {request.path}: "
                "answer every request the code under test makes (e.g. MockResponse(404, "
                '{"code": 404, "message": "Contact not found"}))'
            )
        raise TypeError(
            f"MockTransport: the handler must return a MockResponse, not {type(answer).__name__}"
            f" (for {request.method} {request.path})"
        )
