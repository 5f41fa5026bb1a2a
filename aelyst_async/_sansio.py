"""The API's rules without I/O: building requests and interpreting responses.

Nothing here knows of asyncio or aiohttp; everything is a function over plain values.

>>> req = build_upsert_request("email:abdc@gmail.com", Contact("Ana"))
>>> req.method, req.path
('POST', '/contact/create_or_update/email:abdc@gmail.com')
"""

from __future__ import annotations

import email.utils
import json
import math
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any, TypeVar, cast
from urllib.parse import quote, urlencode

import attrs
from multidict import CIMultiDict, CIMultiDictProxy

from ._convert import contact_to_wire
from ._errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    ContactValidationError,
    NotFoundError,
    QueuedError,
    RateLimitError,
    ServerError,
    TransportError,
    ValidationProblem,
)
from ._models import Contact, Identifier, UpsertResult
from ._operations import CONTACT_UPSERT, Operation
from ._validate import ValidationMode, validate_contact, validate_identifier

T = TypeVar("T")
_ACCEPT = {"Accept": "application/json"}
_JSON_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}
EXCERPT_LENGTH = 200
_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False)  # json.dumps makes one a call
_PATH_SAFE = re.compile(r"[A-Za-z0-9_.~:@+-]*")  # what quote() below leaves as is


@attrs.frozen
class Request:
    """A request ready to send: ``path`` is percent-encoded and relative to the base URL.

    It never holds the token: the transport adds ``Authorization`` when it sends.
    ``idempotent``: whether sending it twice has the effect of sending it once; a request that
    is not is re-sent only when the API surely did not apply it.
    """

    method: str
    path: str
    headers: Mapping[str, str] = attrs.field(factory=dict)
    body: bytes = b""
    idempotent: bool = True

    @property
    def rate_limit_key(self) -> str:
        """What the API counts a rate limit by: the method and the path, identifier included,
        without the query (every page of a listing shares one budget)."""
        return f"{self.method} {self.path.partition('?')[0]}"


@attrs.frozen
class RateLimit:
    """The rate-limit facts of one response; any of them may be missing (``None``).

    ``retry_after`` is in seconds from when the response was received.
    """

    limit: int | None = None
    remaining: int | None = None
    retry_after: float | None = None

    @classmethod
    def from_headers(cls, headers: Mapping[str, str], *, now: datetime | None = None) -> RateLimit:
        """Parse ``X-RateLimit-Limit``, ``X-RateLimit-Remaining`` and ``Retry-After``.

        Malformed values are treated as missing. ``Retry-After`` may be seconds or an HTTP-date;
        a date is measured against the response's own ``Date`` header when it has a valid one
        (the server's clock), else against ``now`` (default: this machine's clock).
        """
        if not isinstance(headers, (CIMultiDict, CIMultiDictProxy)):
            headers = CIMultiDict(headers)
        retry_after = headers.get("Retry-After")
        if retry_after is not None:
            now = _http_date(headers.get("Date")) or now
        return cls(
            limit=_header_int(headers, "X-RateLimit-Limit"),
            remaining=_header_int(headers, "X-RateLimit-Remaining"),
            retry_after=parse_retry_after(retry_after, now=now),
        )


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


def _header_int(headers: Mapping[str, str], name: str) -> int | None:
    raw = headers.get(name)
    if raw is None:
        return None
    try:  # "2, 2": the list form of repeated header lines; read only when they agree
        values = {int(part.strip()) for part in raw.split(",")}
    except ValueError:
        return None
    value = values.pop()
    return value if value >= 0 and not values else None


def _http_date(raw: str | None) -> datetime | None:
    if raw is None:
        return None
    try:
        when = email.utils.parsedate_to_datetime(raw.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=timezone.utc)


def parse_retry_after(raw: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta-seconds or HTTP-date), or None."""
    if raw is None:
        return None
    raw = raw.strip()
    try:
        seconds = float(raw)
    except ValueError:
        when = _http_date(raw)
        if when is None:
            return None
        seconds = (when - (now or datetime.now(timezone.utc))).total_seconds()
        return max(0.0, seconds)
    if not math.isfinite(seconds) or seconds < 0:
        return None
    return 1.0 if 0 < seconds < 1 else seconds  # delta-seconds are whole: 0.001 is a second


def encode_identifier(identifier: Identifier) -> str:
    """Percent-encode an identifier as exactly one path segment (``:``, ``@`` and ``+`` kept)."""
    text = str(identifier)
    return text if _PATH_SAFE.fullmatch(text) else quote(text, safe=":@+")


def fill_path(template: str, params: Mapping[str, Identifier | int | str]) -> str:
    """``template`` with each ``{name}`` replaced by one percent-encoded path segment."""
    segments: dict[str, str] = {}
    for name, value in params.items():
        if isinstance(value, Identifier):
            segments[name] = encode_identifier(value)
        elif isinstance(value, int) and not isinstance(value, bool):
            segments[name] = str(value)
        else:
            segments[name] = quote(str(value), safe="")
    return template.format_map(segments)


NO_BODY: Any = object()
"""``build_request``'s default: a request without a body (GETs)."""


def build_request(
    operation: Operation[Any],
    params: Mapping[str, Identifier | int | str] | None = None,
    *,
    body: Any = NO_BODY,
    query: Mapping[str, str | int] | None = None,
) -> Request:
    """The request for ``operation``: its path filled from ``params``, ``query`` appended and
    ``body`` (JSON-able) serialised.

    Raises :class:`ContactValidationError` naming the field when ``body`` holds a string that
    no UTF-8 body can carry (a lone surrogate).
    """
    path = fill_path(operation.path, params or {})
    if query:
        path += "?" + urlencode({k: str(v) for k, v in query.items()}, quote_via=quote)
    headers = _ACCEPT
    data = b""
    if body is not NO_BODY:
        headers = _JSON_HEADERS
        try:
            data = _ENCODER.encode(body).encode()
        except UnicodeEncodeError:
            raise ContactValidationError(
                [ValidationProblem("body", "contains a lone surrogate (not valid Unicode)")]
            ) from None
    return Request(
        operation.method, path, headers=headers, body=data, idempotent=operation.idempotent
    )


def build_upsert_request(
    identifier: Identifier | str,
    contact: Contact,
    *,
    validation: ValidationMode = "strict",
) -> Request:
    """Validate and serialise a create-or-update call.

    Raises :class:`ContactValidationError` (nothing is sent) when a check fails.
    """
    ident = Identifier.parse(identifier)
    problems = validate_identifier(ident, validation) + validate_contact(contact, validation)
    if problems:
        raise ContactValidationError(problems)
    return build_request(CONTACT_UPSERT, {"identifier": ident}, body=contact_to_wire(contact))


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
    """The typed error for an error response (status >= 300).

    A 3xx is an :class:`APIError` naming the status and where it pointed: the API never
    redirects, and nothing is sent there.
    """
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


def interpret_upsert(
    request: Request,
    response: Response,
    *,
    now: datetime | None = None,
    redact: Callable[[str], str] = lambda s: s,
) -> UpsertResult:
    """The result of a create-or-update response, or raise its typed error."""
    return interpret(CONTACT_UPSERT, request, response, now=now, redact=redact)
