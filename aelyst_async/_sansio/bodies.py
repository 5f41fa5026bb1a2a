"""The request bodies of the calls that take one, as attrs classes: the package's one converter
gives their wire names (camelCase) and leaves out a part at its "not given" default (None, or
UNSET where ``None`` is sent to clear).

>>> converter.unstructure(NewTag("vip", color_code="#ffd700"))
{'name': 'vip', 'colorCode': '#ffd700'}
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs

from ..types._wire import converter
from ..types.contact import UNSET, UnsetType
from ..types.records import ContactFilter


@attrs.frozen
class CommentBody:
    text: str


@attrs.frozen
class AssigneeBody:
    assignee: int | str | None  # None is sent: it unassigns


@attrs.frozen
class StatusBody:
    status: str
    category: str | None = None
    summary: str | None = None


@attrs.frozen
class LifecycleBody:
    name: str | None  # None is sent: it removes the stage


@attrs.frozen
class MessageBody:
    message: dict[str, Any]
    channel_id: int | None = None


def _match_all() -> dict[str, Any]:
    return ContactFilter(()).to_wire()


@attrs.frozen
class ContactSearch:
    """``POST /contact/list`` as every official client sends it: ``search``, ``timezone`` and
    ``filter`` always present (the TypeScript SDK's type requires ``timezone`` and ``filter``;
    its clients and n8n's send ``filter: {"$and": []}`` when there is none; see DESIGN.md "What
    the official clients show")."""

    search: str = ""
    timezone: str = "UTC"
    filter: dict[str, Any] = attrs.field(factory=_match_all)


@attrs.frozen
class _MergeIds:
    contact_ids: list[int]


def merge_body(keep: int, merge: int, fields: dict[str, Any]) -> dict[str, Any]:
    """``POST /contact/merge``'s body: ``contactIds`` (the kept one first) and, beside it, the
    contact's wire ``fields`` to set on the result.

    >>> merge_body(7, 9, {"firstName": "Ana"})
    {'contactIds': [7, 9], 'firstName': 'Ana'}
    """
    ids: dict[str, Any] = converter.unstructure(_MergeIds([keep, merge]))
    return {**ids, **fields}


@attrs.frozen
class CustomFieldBody:
    name: str
    data_type: str
    slug: str | None = None
    description: str | None = None
    allowed_values: Sequence[str] | None = None


@attrs.frozen
class NewTag:
    name: str
    description: str | None = None
    color_code: str | None = None
    emoji: str | None = None


@attrs.frozen
class TagChange:
    current_name: str
    name: str
    description: str | UnsetType | None = UNSET
    color_code: str | UnsetType | None = UNSET
    emoji: str | UnsetType | None = UNSET


@attrs.frozen
class TagName:
    name: str
