"""Interpreting responses without I/O: the typed result of a call, or its typed error."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TypeVar, cast

import attrs
from multidict import CIMultiDict, CIMultiDictProxy

from .._errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    NotFoundError,
    QueuedError,
    RateLimitError,
    ServerError,
    TransportError,
)
from .operations import Operation
from .ratelimit import RateLimit
from .request import Request

T = TypeVar("T")
EXCERPT_LENGTH = 200


@attrs.frozen
class Response:
    """What came back: the status, the headers, the raw body, and the rate-limit facts of the
    headers (parsed once, when the response is made)."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    rate_limit: RateLimit = attrs.field()

    @rate_limit.default
    def _parse_rate_limit(self) -> RateLimit:
        return RateLimit.from_headers(self.headers)


def excerpt(body: bytes, *, redact: Callable[[str], str] = lambda s: s) -> str:
    """A short, printable excerpt of a body for an error message."""
    text = redact(body[: EXCERPT_LENGTH * 4].decode("utf-8", errors="replace"))
    short = text[:EXCERPT_LENGTH]
    quoted = short.encode("unicode_escape").decode("ascii")
    return repr(quoted) + ("..." if len(text) > EXCERPT_LENGTH else "")


_ERRORS_BY_STATUS: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    404: NotFoundError,
    409: ConflictError,
    429: RateLimitError,
    449: QueuedError,
}


def error_for(
    request: Request,
    response: Response,
    *,
    now: datetime | None = None,
    redact: Callable[[str], str] = lambda s: s,
) -> APIError:
    """The typed error for an error response (status >= 300), carrying the answer's headers.

    A 3xx is an :class:`APIError` naming the status and where it pointed: the API never
    redirects, and nothing is sent there.
    """
    error = _typed_error(request, response, now=now, redact=redact)
    error.headers = CIMultiDictProxy(CIMultiDict(response.headers))
    return error


def _typed_error(
    request: Request,
    response: Response,
    *,
    now: datetime | None,
    redact: Callable[[str], str],
) -> APIError:
    code: int | None = None
    message: str
    status, method, path = response.status, request.method, request.path
    if 300 <= status < 400:
        location = excerpt(response.headers.get("Location", "").encode(), redact=redact)
        return APIError(
            f"unexpected redirect to {location}; not followed (the API does not redirect: "
            "check base_url)",
            status=status,
            method=method,
            path=path,
        )
    try:
        payload = json.loads(response.body)
    except (ValueError, RecursionError):
        payload = None
    if (
        isinstance(payload, dict)
        and isinstance(payload.get("message"), str)
        and isinstance(payload.get("code"), int)
        and not isinstance(payload.get("code"), bool)
    ):
        code, message = payload["code"], redact(payload["message"])
    else:
        message = f"undocumented error body: {excerpt(response.body, redact=redact)}"
    if status == 429:
        facts = (
            response.rate_limit
            if now is None
            else RateLimit.from_headers(response.headers, now=now)
        )
        return RateLimitError(
            message,
            status=status,
            code=code,
            method=method,
            path=path,
            retry_after=facts.retry_after,
            limit=facts.limit,
            remaining=facts.remaining,
        )
    if status >= 500:
        return ServerError(
            message,
            status=status,
            code=code,
            method=method,
            path=path,
            retry_after=response.rate_limit.retry_after,
        )
    cls = _ERRORS_BY_STATUS.get(status, APIError)
    return cls(message, status=status, code=code, method=method, path=path)


def interpret(
    operation: Operation[T],
    request: Request,
    response: Response,
    *,
    now: datetime | None = None,
    redact: Callable[[str], str] = lambda s: s,
) -> T:
    """The result of ``operation``'s response, or raise its typed error.

    A success whose body is not the documented JSON raises :class:`TransportError`.
    """
    if not 200 <= response.status < 300:
        raise error_for(request, response, now=now, redact=redact)
    if operation.result is None and response.status == 204:
        return cast(T, None)
    try:
        body = json.loads(response.body)
        if operation.result is None:
            if not isinstance(body, dict):
                raise ValueError("expected a JSON object")
            return cast(T, None)
        return operation.result(body)
    except (ValueError, TypeError, RecursionError) as exc:
        raise TransportError(
            f"response {response.status} is not the documented {operation.shape}: {exc}; "
            f"body {excerpt(response.body, redact=redact)}",
            method=request.method,
            path=request.path,
        ) from None
