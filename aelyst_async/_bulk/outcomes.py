"""What a bulk outcome says (whether its write may have landed, what it keeps), the errors a run
gives items and inputs, and the report that counts outcomes."""

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
from ..types.bulk import BulkOutcome, BulkReport

_NOT_WRITTEN = (
    ContactValidationError,
    IdentifierError,
    BadRequestError,
    AuthenticationError,
    NotFoundError,
    RateLimitError,
)


class BulkItemError(AelystError):
    """An item's send raised something that is not an :class:`AelystError` (a bug, an error of a
    send callable): the item fails with this error, the original as its ``__cause__``, and the
    run goes on. Whether the item's write landed is unknown."""

    @classmethod
    def of(cls, exc: BaseException) -> BulkItemError:
        error = cls(f"unexpected error: {type(exc).__name__}: {exc}")
        error.__cause__ = exc
        return error


class BulkInputError(AelystError):
    """The input of a bulk run raised part-way: every item read before it has its outcome (and
    journal line); ``report`` counts them (``bulk_upsert``: with the failures; ``upsert_many``,
    which yielded them: counts only) and the input's exception is the ``__cause__``.

    >>> try:
    ...     await client.contacts.bulk_upsert(rows(), journal="import.journal")
    ... except BulkInputError as exc:
    ...     print(exc.report.total, "items done before", repr(exc.__cause__))
    """

    def __init__(self, report: BulkReport, cause: BaseException) -> None:
        self.report = report
        super().__init__(
            f"the input raised after {report.total} items (each has its outcome): "
            f"{type(cause).__name__}: {cause}"
        )
        self.__cause__ = cause


def count(report: BulkReport, outcome: BulkOutcome, *, keep_failures: bool) -> None:
    """Count ``outcome`` in ``report`` (and keep it among the failures if told)."""
    report.total += 1
    if outcome.skipped:
        report.skipped += 1
    elif outcome.ok:
        report.succeeded += 1
    else:
        report.failed += 1
        if keep_failures:
            report.failures.append(outcome)


def may_have_written(outcome: BulkOutcome) -> bool:
    """True if the item's write may have landed: a success, or an error that does not exclude it
    (5xx, 449, no usable response, an unexpected error)."""
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
