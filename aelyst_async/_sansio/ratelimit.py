"""The rate-limit facts of a response's headers: ``X-RateLimit-*`` and ``Retry-After``.

Pure parsing: it imports nothing of the SDK, so the throttle can use it without validation.
"""

from __future__ import annotations

import email.utils
import math
from collections.abc import Mapping
from datetime import datetime, timezone

import attrs
from multidict import CIMultiDict, CIMultiDictProxy


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
        limit = headers.get("X-RateLimit-Limit")
        remaining = headers.get("X-RateLimit-Remaining")
        if retry_after is None and limit is None and remaining is None:
            return NO_FACTS  # the common answer: no limit announced
        if retry_after is not None:
            now = _http_date(headers.get("Date")) or now
        return cls(
            limit=_header_int(limit),
            remaining=_header_int(remaining),
            retry_after=parse_retry_after(retry_after, now=now),
        )


NO_FACTS = RateLimit()
"""The facts of a response that announces no limit (shared: a RateLimit is immutable)."""


def _header_int(raw: str | None) -> int | None:
    if raw is None:
        return None
    if raw.isdigit() and raw.isascii():  # the common case: one plain number
        return int(raw)
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
