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
from typing import Literal
from urllib.parse import quote

import attrs
from multidict import CIMultiDict, CIMultiDictProxy

from ._convert import contact_to_wire, upsert_result_from_wire
from ._errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    ContactValidationError,
    NotFoundError,
    QueuedError,
    RateLimitError,
    ServerError,
    TransportError,
)
from ._models import Contact, Identifier, UpsertResult
from ._validate import validate_contact, validate_identifier

ValidationMode = Literal["strict", "basic", "off"]
UPSERT_PATH = "/contact/create_or_update/"
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
        """What the API counts a rate limit by: the method and the path, identifier included."""
        return f"{self.method} {self.path}"


@attrs.frozen
class Response:
    """What came back: the status, the headers and the raw body."""

    status: int
    headers: Mapping[str, str]
    body: bytes


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

        Malformed values are treated as missing. ``Retry-After`` may be seconds or an HTTP-date.
        """
        if not isinstance(headers, (CIMultiDict, CIMultiDictProxy)):
            headers = CIMultiDict(headers)
        return cls(
            limit=_header_int(headers, "X-RateLimit-Limit"),
            remaining=_header_int(headers, "X-RateLimit-Remaining"),
            retry_after=parse_retry_after(headers.get("Retry-After"), now=now),
        )


def _header_int(headers: Mapping[str, str], name: str) -> int | None:
    raw = headers.get(name)
    if raw is None:
        return None
    try:
        value = int(raw.strip())
    except ValueError:
        return None
    return value if value >= 0 else None


def parse_retry_after(raw: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta-seconds or HTTP-date), or None."""
    if raw is None:
        return None
    raw = raw.strip()
    try:
        seconds = float(raw)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - (now or datetime.now(timezone.utc))).total_seconds()
        return max(0.0, seconds)
    if not math.isfinite(seconds) or seconds < 0:
        return None
    return seconds


def encode_identifier(identifier: Identifier) -> str:
    """Percent-encode an identifier as exactly one path segment (``:``, ``@`` and ``+`` kept)."""
    text = str(identifier)
    return text if _PATH_SAFE.fullmatch(text) else quote(text, safe=":@+")


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
    body = _ENCODER.encode(contact_to_wire(contact)).encode()
    return Request(
        method="POST",
        path=UPSERT_PATH + encode_identifier(ident),
        headers={"Content-Type": "application/json", "Accept": "application/json"},
        body=body,
    )


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
    """The typed error for an error response (status >= 300)."""
    code: int | None = None
    message: str
    try:
        payload = json.loads(response.body)
    except ValueError:
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
    status, method, path = response.status, request.method, request.path
    if status == 429:
        facts = RateLimit.from_headers(response.headers, now=now)
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
    cls = _ERRORS_BY_STATUS.get(status) or (ServerError if status >= 500 else APIError)
    return cls(message, status=status, code=code, method=method, path=path)


def interpret_upsert(
    request: Request,
    response: Response,
    *,
    now: datetime | None = None,
    redact: Callable[[str], str] = lambda s: s,
) -> UpsertResult:
    """The result of a create-or-update response, or raise its typed error.

    A success whose body is not ``{"contactId": <int>}`` raises :class:`TransportError`.
    """
    if not 200 <= response.status < 300:
        raise error_for(request, response, now=now, redact=redact)
    try:
        return upsert_result_from_wire(json.loads(response.body))
    except (ValueError, TypeError) as exc:
        raise TransportError(
            f'response {response.status} is not the documented {{"contactId": <int>}} JSON: '
            f"{excerpt(response.body, redact=redact)}",
            method=request.method,
            path=request.path,
        ) from exc
