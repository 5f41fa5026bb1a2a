"""JSONL contact files: one wire-format body per line becomes a :class:`Row`.

Besides the contact's wire fields a body may hold ``"identifier"``, ``"tags"`` (a list of
names), ``"lifecycle"`` (a stage name; null or missing leaves it alone) and ``"error"`` (which a
report adds; ignored). With the workspace's fields known, ``custom_fields`` values are converted
by their field's type (see :mod:`.fields`).

>>> jsonl_row(3, '{"firstName": "Ana", "email": "ana@example.com", "tags": ["vip"]}').tags
('vip',)
"""

from __future__ import annotations

import json
from typing import Any

import attrs

from .._errors import ContactValidationError, ValidationProblem
from .._sansio.convert import contact_from_wire, json_type
from ..types.contact import Contact, CustomField
from .columns import clean_tags
from .fields import WorkspaceFields
from .row import Row, label_for, problem_error


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _after_upsert(
    body: dict[str, Any],
) -> tuple[tuple[str, ...], str | None, list[ValidationProblem]]:
    """Pop and check a JSONL body's ``tags`` and ``lifecycle``."""
    problems: list[ValidationProblem] = []
    tags: tuple[str, ...] = ()
    raw_tags = body.pop("tags", None)
    if raw_tags is not None:
        if not isinstance(raw_tags, list) or not all(isinstance(t, str) for t in raw_tags):
            problems.append(ValidationProblem("tags", "must be a list of tag names (strings)"))
        else:
            tags, problem = clean_tags(raw_tags)
            if problem is not None:
                problems.append(ValidationProblem("tags", problem))
    lifecycle = body.pop("lifecycle", None)
    if lifecycle is not None and (not isinstance(lifecycle, str) or not lifecycle.strip()):
        problems.append(ValidationProblem("lifecycle", "must be a stage name (a string) or null"))
        lifecycle = None
    return tags, lifecycle, problems


def _typed(contact: Contact, fields: WorkspaceFields) -> tuple[Contact, list[ValidationProblem]]:
    """``contact`` with its custom field values converted by the workspace's field types."""
    if not isinstance(contact.custom_fields, (list, tuple)):
        return contact, []
    converted: list[CustomField] = []
    problems: list[ValidationProblem] = []
    for i, field in enumerate(contact.custom_fields):
        try:
            converted.append(CustomField(*fields.convert(field.name, field.value)))
        except ValueError as exc:
            problems.append(ValidationProblem(f"custom_fields[{i}]", str(exc)))
    return attrs.evolve(contact, custom_fields=converted), problems


def _custom_names(items: object) -> tuple[str, ...]:
    """How problems name each ``custom_fields`` entry: ``custom_fields[1] (Plan)``."""
    if not isinstance(items, list):
        return ()
    names = [item.get("name") if isinstance(item, dict) else None for item in items]
    return tuple(
        f"custom_fields[{i}]" + (f" ({name})" if isinstance(name, str) else "")
        for i, name in enumerate(names)
    )


def jsonl_row(line_number: int, line: str, fields: WorkspaceFields | None = None) -> Row:
    """The row of one JSONL line (custom field values converted by ``fields`` when given)."""
    try:
        body = json.loads(line, parse_constant=_refuse_constant)
    except ValueError as exc:
        return Row(
            line_number, None, error=problem_error("body", f"not valid JSON: {exc}"), source=line
        )
    except RecursionError:
        problem = "nested too deeply to be a contact"
        return Row(line_number, None, error=problem_error("body", problem), source=line)
    if not isinstance(body, dict):
        problem = f"must be a JSON object, not {json_type(body)}"
        return Row(line_number, None, error=problem_error("body", problem), source=line)
    source = dict(body)
    body.pop("error", None)
    identifier = body.pop("identifier", None)
    if identifier is not None and not isinstance(identifier, str):
        problem = f"must be a string, got {json_type(identifier)}"
        return Row(line_number, None, error=problem_error("identifier", problem), source=source)
    label = label_for(identifier, body.get("email"), body.get("phone"))
    custom_columns = _custom_names(body.get("custom_fields"))
    tags, lifecycle, problems = _after_upsert(body)
    try:
        contact = contact_from_wire(body)
    except ContactValidationError as invalid:
        problems = list(invalid.errors) + problems
        contact = None
    if contact is not None and fields is not None:
        contact, typed_problems = _typed(contact, fields)
        problems += typed_problems
    if problems or contact is None:
        failed = ContactValidationError(problems)
        return Row(
            line_number,
            identifier,
            error=failed,
            label=label,
            source=source,
            custom_columns=custom_columns,
        )
    return Row(
        line_number,
        identifier,
        contact=contact,
        label=label,
        source=source,
        custom_columns=custom_columns,
        tags=tags,
        lifecycle=lifecycle,
    )
