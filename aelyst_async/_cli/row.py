"""One record of a contact file, as read: :class:`Row`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from .._errors import AelystError, ContactValidationError, ValidationProblem
from ..types.contact import Contact


@attrs.frozen
class Row:
    """One record: ``contact`` or ``error`` is set, never both.

    ``identifier``: the one the row names explicitly; ``label``: the identifier to show for it
    (explicit, else derived, else ""); ``source``: the original cells (CSV) or object (JSONL);
    ``custom_columns``: the column of each custom field of ``contact``; ``tags`` and
    ``lifecycle``: what to apply after the upsert (``()`` / None: nothing).
    """

    line: int
    identifier: str | None
    contact: Contact | None = None
    error: AelystError | None = None
    label: str = ""
    source: Sequence[str] | Mapping[str, Any] | str = ()
    custom_columns: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    lifecycle: str | None = None


def problem_error(field: str, problem: str) -> ContactValidationError:
    """A one-problem :class:`ContactValidationError`."""
    return ContactValidationError([ValidationProblem(field, problem)])


def label_for(identifier: str | None, email: object, phone: object) -> str:
    """What to call a row: its identifier, else the one its email or phone gives."""
    if identifier:
        return identifier
    probe = Contact(
        "",
        email=email if isinstance(email, str) else None,
        phone=phone if isinstance(phone, str) else None,
    )
    try:
        derived = probe.default_identifier()
    except AelystError:
        return f"email:{email}" if isinstance(email, str) and email else f"phone:{phone}"
    return str(derived) if derived is not None else ""
