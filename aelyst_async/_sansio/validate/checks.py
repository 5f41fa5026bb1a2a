"""The checks every call shares, each returning the problems it finds named by the caller's field
path, and :func:`refuse`, the one way a problem becomes an exception.

>>> refuse(check_page_size(0))
Traceback (most recent call last):
aelyst_async.ValidationError: 1 invalid field: page_size: must be an int from 1 to 100, not 0
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Literal

from ..._errors import ValidationError, ValidationProblem
from ...types.contact import is_unicode

ValidationMode = Literal["strict", "basic", "off"]
MAX_PAGE_SIZE = 100


def type_name(value: object) -> str:
    return type(value).__name__


def check_text(
    field: str, value: object, *, mode: ValidationMode, max_length: int | None = None
) -> list[ValidationProblem]:
    """Problems of a required text field: its type, a lone surrogate, and (unless ``mode`` is
    ``"off"``) blank or longer than ``max_length`` characters."""
    if not isinstance(value, str):
        return [ValidationProblem(field, f"must be a string, got {type_name(value)}")]
    if not is_unicode(value):
        return [ValidationProblem(field, "contains a lone surrogate (not valid Unicode)")]
    if mode == "off":
        return []
    if not value.strip():
        return [ValidationProblem(field, "is required and must not be blank")]
    if max_length is not None and len(value) > max_length:
        return [ValidationProblem(field, f"must be at most {max_length} characters")]
    return []


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


def check_page_size(page_size: object) -> list[ValidationProblem]:
    """Problems of a ``page_size``: an int from 1 to 100."""
    if (
        isinstance(page_size, bool)
        or not isinstance(page_size, int)
        or not 1 <= page_size <= MAX_PAGE_SIZE
    ):
        return [ValidationProblem("page_size", f"must be an int from 1 to 100, not {page_size!r}")]
    return []


def refuse(
    problems: list[ValidationProblem], error: type[ValidationError] = ValidationError
) -> None:
    """Raise ``error`` (:class:`ValidationError`, or its subclass for contact calls) holding
    ``problems`` when there is any; nothing is sent."""
    if problems:
        raise error(problems)
