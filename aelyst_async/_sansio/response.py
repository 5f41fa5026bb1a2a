"""Interpreting responses without I/O: the typed result of a call, or its typed error."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeVar, cast

import attrs
from multidict import CIMultiDict, CIMultiDictProxy

from .._errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    EndpointNotFoundError,
    NotFoundError,
    QueuedError,
    RateLimitError,
    ResponseFormatError,
    ServerError,
)
from .._redact import NOTHING, Redactor
from .operations import Operation
from .ratelimit import RateLimit
from .request import Request

T = TypeVar("T")
EXCERPT_LENGTH = 200
_DECODER = json.JSONDecoder()


def decode_json(body: bytes) -> Any:
    """``json.loads(body)``, quicker for the common answer: a UTF-8 object or array with
    nothing around it (anything else, valid or not, goes through ``json.loads``)."""
    if body[:1] in (b"{", b"[") and body[1:2] != b"\0":
        try:
            text = body.decode("utf-8", "surrogatepass")
            value, end = _DECODER.raw_decode(text)
        except ValueError:
            pass  # json.loads raises the same error, or reads another encoding
        else:
            if end == len(text):
                return value
    return json.loads(body)


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


def excerpt(body: bytes, *, redact: Redactor = NOTHING) -> str:
    """A short, printable excerpt of a body for an error message, redacted before it is cut
    (:meth:`Redactor.cut`)."""
    window = body[: (EXCERPT_LENGTH + redact.widest + 1) * 4]  # a char is at most 4 bytes
    shown, cut = redact.cut(window.decode("utf-8", errors="replace"), EXCERPT_LENGTH)
    quoted = shown.encode("unicode_escape").decode("ascii")
    return repr(quoted) + ("..." if cut else "")


_ERRORS_BY_STATUS: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    404: NotFoundError,
    409: ConflictError,
    429: RateLimitError,
    449: QueuedError,
}


def error_body(body: bytes, *, redact: Redactor = NOTHING) -> tuple[int | None, str, bool]:
    """``(code, message, documented)`` of an error answer's body.

    The API's error body is ``{"code": <int>, "message": <str>}`` (the official TypeScript
    type); other official sources show ``code`` as a string (``"400"``) or leave it out
    (OFFICIAL_SHAPES, "errors"), so any object with a string ``message`` is the API's: its
    message is kept and ``code`` read when it is an integer or a string of digits (else
    None). Any other body gives an excerpt and ``documented`` False.
    """
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        payload = None
    if not isinstance(payload, dict) or not isinstance(payload.get("message"), str):
        return None, f"undocumented error body: {excerpt(body, redact=redact)}", False
    raw = payload.get("code")
    code: int | None = None
    if isinstance(raw, int) and not isinstance(raw, bool):
        code = raw
    elif isinstance(raw, str) and raw.strip().isdigit():
        code = int(raw.strip())
    return code, redact(payload["message"]), True


def error_for(
    request: Request,
    response: Response,
    *,
    now: datetime | None = None,
    redact: Redactor = NOTHING,
    can_miss: bool = True,
) -> APIError:
    """The typed error for an error response (status >= 300), carrying the answer's headers.

    A 3xx is an :class:`APIError` naming the status and where it pointed: the API never
    redirects, and nothing is sent there. A 404 is an :class:`EndpointNotFoundError` (check
    the base URL) when its body is not the API's error body or the call cannot miss
    (``can_miss`` False: a listing); else a :class:`NotFoundError`.
    """
    error = _typed_error(request, response, now=now, redact=redact, can_miss=can_miss)
    # a server may echo the token in any header (a redirect's Location): redacted like the text
    error.headers = CIMultiDictProxy(
        CIMultiDict((name, redact(value)) for name, value in response.headers.items())
    )
    return error


def _typed_error(
    request: Request,
    response: Response,
    *,
    now: datetime | None,
    redact: Redactor,
    can_miss: bool,
) -> APIError:
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
    code, message, documented = error_body(response.body, redact=redact)
    if status == 404 and not (documented and can_miss):
        why = (
            "the call cannot miss (a listing)"
            if documented
            else f"the answer is not the API's error body ({message})"
        )
        return EndpointNotFoundError(
            f"no such endpoint: {why}; check base_url (it should end in /v1, as in "
            "https://api.aelyst.ai/v1)",
            status=status,
            code=code,
            method=method,
            path=path,
        )
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
    redact: Redactor = NOTHING,
) -> T:
    """The result of ``operation``'s response, or raise its typed error.

    A success the SDK cannot read (not JSON, or a record without the key that identifies it)
    raises :class:`ResponseFormatError` naming the key; for a call that is not idempotent, its
    message says the request was applied.
    """
    if not 200 <= response.status < 300:
        raise error_for(request, response, now=now, redact=redact, can_miss=operation.can_miss)
    if operation.result is None and response.status == 204:
        return cast(T, None)
    try:
        body = None if response.status == 204 else decode_json(response.body)
        if operation.result is None:
            if not isinstance(body, dict):
                raise ValueError("expected a JSON object")
            return cast(T, None)
        return operation.result(body)
    except (ValueError, TypeError, RecursionError) as exc:
        problem = redact.excerpt(str(exc), EXCERPT_LENGTH)
        key = getattr(exc, "key", None)
    applied = (
        ""
        if request.idempotent
        else "; the API answered with a success, so the request was applied: do not send it again"
    )
    # raised outside the except block: the parser's error (server text) is not its context
    raise ResponseFormatError(
        f"response {response.status} is not the documented {operation.shape}: {problem}"
        f"{applied}; body {excerpt(response.body, redact=redact)}",
        method=request.method,
        path=request.path,
        status=response.status,
        key=key,
    )
