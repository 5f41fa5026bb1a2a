"""What the API returns about the workspace: users, custom fields, channels, closing notes,
templates and tags.

Read by the package's converter like the contact records: wire names become Python names,
keys the API adds later are ignored, a missing optional key is None.

>>> async for field in client.workspace.list_custom_fields():
...     print(field.name, field.data_type, field.allowed_values)
Plan list ('Free', 'Pro')
"""

from __future__ import annotations

import datetime
from typing import Literal

import attrs

from .contact import wire_key

CustomFieldType = Literal["text", "list", "checkbox", "email", "number", "url", "date", "time"]
"""The data types of a workspace custom field."""


@attrs.frozen(kw_only=True)
class Team:
    """The team a workspace user belongs to."""

    id: int
    name: str | None = None


@attrs.frozen(kw_only=True)
class User:
    """A user of the workspace (``workspace.list_users``, ``workspace.get_user``).

    ``role`` is the API's role name (``"owner"``, ``"manager"``, ``"agent"``, ...);
    ``restrictions`` the names of what the user may not do.
    """

    id: int
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    role: str | None = None
    team: Team | None = None
    restrictions: tuple[str, ...] = ()


@attrs.frozen(kw_only=True)
class CustomFieldDefinition:
    """A custom field of the workspace: its ``name`` (what a contact's ``CustomField`` names),
    ``slug``, ``description``, ``data_type`` (``"text"``, ``"list"``, ``"checkbox"``,
    ``"email"``, ``"number"``, ``"url"``, ``"date"``, ``"time"``, or a type added later) and,
    for a list, its ``allowed_values``."""

    id: int
    name: str
    slug: str | None = None
    description: str | None = None
    data_type: str
    allowed_values: tuple[str, ...] | None = None


@attrs.frozen(kw_only=True)
class WorkspaceChannel:
    """A messaging channel of the workspace (``workspace.list_channels``); ``source`` names
    the platform (``"whatsapp_cloud"``, ``"email"``, ...)."""

    id: int
    name: str | None = None
    source: str | None = None
    created_at: datetime.datetime | None = attrs.field(
        default=None, metadata=wire_key("created_at")
    )


@attrs.frozen(kw_only=True)
class ClosingNote:
    """A closing-note category of the workspace: what ``conversations.update_status(...,
    "close", category=...)`` takes."""

    category: str
    description: str | None = None


@attrs.frozen(kw_only=True)
class Template:
    """A WhatsApp message template of a channel (``workspace.list_templates``): send it with
    ``WhatsAppTemplateMessage(name, language_code)``. ``status`` is e.g. ``"approved"``."""

    id: int
    name: str
    category: str | None = None
    language_code: str | None = None
    status: str | None = None


@attrs.frozen(kw_only=True)
class Tag:
    """A tag of the workspace (``workspace.create_tag`` / ``update_tag``); ``color_code`` as
    the API spells it (e.g. ``"#ff0000"``)."""

    id: int
    name: str
    description: str | None = None
    color_code: str | None = None
    emoji: str | None = None
