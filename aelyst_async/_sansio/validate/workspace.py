"""Checking the workspace calls' input: a custom field to create, a tag's texts, a user named
by id or email; every problem by the caller's field name.

>>> custom_field_problems(CustomFieldBody("Plan", "list"), "basic")
[ValidationProblem(field='allowed_values', problem="is required for data_type 'list'")]
"""

from __future__ import annotations

from typing import get_args

from ..._errors import ValidationProblem
from ...types.contact import UnsetType
from ...types.workspace import CustomFieldType
from ..bodies import CustomFieldBody, NewTag, TagChange
from . import formats as _formats
from .checks import ValidationMode, check_choice, check_id, check_optional_text, check_text

MAX_FIELD_NAME_LENGTH = 50
MAX_FIELD_DESCRIPTION_LENGTH = 255
MAX_TAG_NAME_LENGTH = 255
_DATA_TYPES: tuple[str, ...] = get_args(CustomFieldType)


def custom_field_problems(field: CustomFieldBody, mode: ValidationMode) -> list[ValidationProblem]:
    """Problems of a custom field to create: ``name`` and ``slug`` (at most 50 characters),
    ``description`` (255), ``data_type``, and ``allowed_values`` (required for a list only)."""
    problems = check_text("name", field.name, mode=mode, max_length=MAX_FIELD_NAME_LENGTH)
    problems += check_optional_text("slug", field.slug, mode=mode, max_length=MAX_FIELD_NAME_LENGTH)
    problems += check_optional_text(
        "description", field.description, mode=mode, max_length=MAX_FIELD_DESCRIPTION_LENGTH
    )
    problems += check_choice("data_type", field.data_type, _DATA_TYPES)
    return problems + _allowed_values_problems(field.data_type, field.allowed_values, mode)


def tag_text_problems(tag: NewTag | TagChange, mode: ValidationMode) -> list[ValidationProblem]:
    """Problems of a tag's description, color code and emoji (UNSET and None: not checked)."""
    problems: list[ValidationProblem] = []
    for field in ("description", "color_code", "emoji"):
        value = getattr(tag, field)
        if not isinstance(value, UnsetType):
            problems += check_optional_text(field, value, mode=mode)
    return problems


def check_user(field: str, value: object, mode: ValidationMode) -> list[ValidationProblem]:
    """Problems of a workspace user named by id (an int), email (a str), or None."""
    if isinstance(value, str):
        problems = check_text(field, value, mode=mode)
        if not problems and mode != "off":
            problem = _formats.check_email(value, strict=mode == "strict")
            if problem:
                problems.append(ValidationProblem(field, f"{problem} (a user email)"))
        return problems
    if value is None:
        return []
    return [
        ValidationProblem(problem.field, f"{problem.problem}, a user email or None")
        for problem in check_id(field, value)
    ]


def _allowed_values_problems(
    data_type: object, values: object, mode: ValidationMode
) -> list[ValidationProblem]:
    if values is None:
        if data_type == "list":
            return [ValidationProblem("allowed_values", "is required for data_type 'list'")]
        return []
    if data_type != "list" and data_type in _DATA_TYPES:
        return [ValidationProblem("allowed_values", "is only for data_type 'list'")]
    if isinstance(values, (str, bytes)) or not isinstance(values, (list, tuple)):
        name = type(values).__name__
        return [ValidationProblem("allowed_values", f"must be a list of strings, not {name}")]
    if not values:
        return [ValidationProblem("allowed_values", "must hold at least one value")]
    problems: list[ValidationProblem] = []
    for i, value in enumerate(values):
        problems += check_text(f"allowed_values[{i}]", value, mode=mode)
    return problems
