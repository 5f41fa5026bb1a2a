"""Checking a message for ``messages.send``: every problem by field path (``message.title``,
``message.replies[1]``, ``message.attachments[0].url``).

>>> message_problems(QuickReplyMessage("Plan?", []), "basic")
[ValidationProblem(field='message.replies', problem='must hold at least one item')]
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import get_args

from ..._errors import ValidationProblem
from ...types.messages import (
    MESSAGE_TYPES,
    AttachmentKind,
    AttachmentMessage,
    CustomPayloadMessage,
    EmailMessage,
    QuickReplyMessage,
    TextMessage,
    WhatsAppTemplateMessage,
)
from . import formats as _formats
from .checks import ValidationMode, check_choice, check_id, check_optional_text, check_text

_ATTACHMENT_KINDS = get_args(AttachmentKind)


def message_problems(
    message: object, mode: ValidationMode, field: str = "message"
) -> list[ValidationProblem]:
    """Every problem of a message for ``messages.send``, by field path (``message.title``)."""
    if isinstance(message, str):
        return check_text(field, message, mode=mode)
    if not isinstance(message, MESSAGE_TYPES):
        names = ", ".join(cls.__name__ for cls in MESSAGE_TYPES)
        return [
            ValidationProblem(
                field, f"must be a str or one of {names}, not {type(message).__name__}"
            )
        ]
    if isinstance(message, TextMessage):
        return check_text(f"{field}.text", message.text, mode=mode)
    if isinstance(message, AttachmentMessage):
        return _attachment_problems(message, mode, field)
    if isinstance(message, EmailMessage):
        return _email_problems(message, mode, field)
    if isinstance(message, QuickReplyMessage):
        problems = check_text(f"{field}.title", message.title, mode=mode)
        return problems + _texts(f"{field}.replies", message.replies, mode, required=True)
    if isinstance(message, CustomPayloadMessage):
        return _json_object(f"{field}.payload", message.payload)
    return _template_problems(message, mode, field)


def _attachment_problems(
    message: AttachmentMessage, mode: ValidationMode, field: str
) -> list[ValidationProblem]:
    problems = check_text(f"{field}.url", message.url, mode=mode)
    if not problems and mode != "off" and (problem := _formats.check_http_url(message.url)):
        problems.append(ValidationProblem(f"{field}.url", problem))
    problems += check_choice(f"{field}.kind", message.kind, _ATTACHMENT_KINDS)
    problems += check_optional_text(f"{field}.file_name", message.file_name, mode=mode)
    return problems


def _email_problems(
    message: EmailMessage, mode: ValidationMode, field: str
) -> list[ValidationProblem]:
    problems = check_text(f"{field}.text", message.text, mode=mode)
    problems += check_optional_text(f"{field}.subject", message.subject, mode=mode)
    for part in ("cc", "bcc"):
        addresses = getattr(message, part)
        problems += _texts(f"{field}.{part}", addresses, mode, required=False)
        if mode != "off" and isinstance(addresses, tuple):
            for i, address in enumerate(addresses):
                if isinstance(address, str) and address.strip():
                    problem = _formats.check_email(address, strict=mode == "strict")
                    if problem:
                        problems.append(ValidationProblem(f"{field}.{part}[{i}]", problem))
    if message.reply_to_message_id is not None:
        problems += check_id(f"{field}.reply_to_message_id", message.reply_to_message_id)
    if not isinstance(message.attachments, tuple):
        return [*problems, ValidationProblem(f"{field}.attachments", "must be a list")]
    for i, attachment in enumerate(message.attachments):
        where = f"{field}.attachments[{i}]"
        if isinstance(attachment, AttachmentMessage):
            problems += _attachment_problems(attachment, mode, where)
        else:
            problems.append(
                ValidationProblem(
                    where, f"must be an AttachmentMessage, not {type(attachment).__name__}"
                )
            )
    return problems


def _template_problems(
    message: WhatsAppTemplateMessage, mode: ValidationMode, field: str
) -> list[ValidationProblem]:
    problems = check_text(f"{field}.name", message.name, mode=mode)
    problems += check_text(f"{field}.language_code", message.language_code, mode=mode)
    if not isinstance(message.components, tuple):
        return [*problems, ValidationProblem(f"{field}.components", "must be a list of objects")]
    for i, component in enumerate(message.components):
        problems += _json_object(f"{field}.components[{i}]", component)
    return problems


def _texts(
    field: str, values: object, mode: ValidationMode, *, required: bool
) -> list[ValidationProblem]:
    if not isinstance(values, tuple):
        return [ValidationProblem(field, f"must be a list of strings, not {type(values).__name__}")]
    if required and not values:
        return [ValidationProblem(field, "must hold at least one item")]
    problems: list[ValidationProblem] = []
    for i, value in enumerate(values):
        problems += check_text(f"{field}[{i}]", value, mode=mode)
    return problems


def _json_object(field: str, value: object) -> list[ValidationProblem]:
    if not isinstance(value, Mapping):
        return [ValidationProblem(field, f"must be a JSON object, not {type(value).__name__}")]
    try:
        json.dumps(dict(value), allow_nan=False, ensure_ascii=False).encode()
    except (TypeError, ValueError, RecursionError) as exc:
        return [ValidationProblem(field, f"is not valid JSON: {exc}")]
    return []
