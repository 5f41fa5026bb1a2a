"""Input checks the resources share, each returning problems named by the caller's field path."""

from __future__ import annotations

from collections.abc import Collection

from .._errors import ContactValidationError, ValidationProblem
from .._sansio.validate.contact import ValidationMode, check_text


def check_id(field: str, value: object) -> list[ValidationProblem]:
    """Problems of an API object id: a positive int (not a bool)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        return [ValidationProblem(field, f"must be a positive int id, not {value!r}")]
    return []


def check_optional_text(
    field: str, value: object, *, mode: ValidationMode, max_length: int | None = None
) -> list[ValidationProblem]:
    """Problems of a text that may be None (not sent): as :func:`check_text` otherwise."""
    if value is None:
        return []
    return check_text(field, value, mode=mode, max_length=max_length)


def check_choice(field: str, value: object, choices: Collection[str]) -> list[ValidationProblem]:
    """Problems of a value that must be one of ``choices``."""
    if not isinstance(value, str) or value not in choices:
        listed = ", ".join(repr(choice) for choice in choices)
        return [ValidationProblem(field, f"must be one of {listed}, not {value!r}")]
    return []


def refuse(problems: list[ValidationProblem]) -> None:
    """Raise :class:`ContactValidationError` when there is any problem (nothing is sent)."""
    if problems:
        raise ContactValidationError(problems)
