"""What a bulk outcome says: whether its write may have landed, and what it keeps."""

from __future__ import annotations

from .._errors import (
    AelystError,
    AuthenticationError,
    BadRequestError,
    ContactValidationError,
    IdentifierError,
    NotFoundError,
    RateLimitError,
    RequestError,
)
from ..types.bulk import BulkOutcome

_NOT_WRITTEN = (
    ContactValidationError,
    IdentifierError,
    BadRequestError,
    AuthenticationError,
    NotFoundError,
    RateLimitError,
)


def may_have_written(outcome: BulkOutcome) -> bool:
    """True if the item's write may have landed: a success, or an error that does not exclude it
    (5xx, 449, no usable response)."""
    return outcome.ok or not isinstance(outcome.error, _NOT_WRITTEN)


def without_tracebacks(error: AelystError) -> AelystError:
    """``error`` with the tracebacks of it and its causes dropped (a stored failure would keep
    its frames alive: about 5 KB each)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        current.__traceback__ = None
        current = current.__cause__ or current.__context__
    return error


def attempts_of(error: AelystError) -> int:
    """The attempts a failed item took (0 for errors raised before any request)."""
    return error.attempts if isinstance(error, RequestError) else 0
