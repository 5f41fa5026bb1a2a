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

from ..types.contact import UNSET, UnsetType


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


@attrs.frozen
class ContactSearch:
    search: str | None = None
    timezone: str | None = None
    filter: dict[str, Any] | None = None


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
