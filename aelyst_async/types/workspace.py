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
from collections.abc import Mapping
from typing import Any, Literal

import attrs

from ._read import ALSO_READ, WireRecord, received
from .contact import wire_key

CustomFieldType = Literal["text", "list", "checkbox", "email", "number", "url", "date", "time"]
"""The data types of a workspace custom field."""


@attrs.frozen(kw_only=True)
class Team(WireRecord):
    """The team a workspace user belongs to: an object in the TypeScript SDK's type, a bare
    name in the n8n integration's (then ``id`` is None)."""

    id: int | None = None
    name: str | None = None
    _wire: Mapping[str, Any] = received()


@attrs.frozen(kw_only=True)
class User(WireRecord):
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
    _wire: Mapping[str, Any] = received()


@attrs.frozen(kw_only=True)
class CustomFieldDefinition(WireRecord):
    """A custom field of the workspace: its ``name`` (what a contact's ``CustomField`` names),
    ``slug``, ``description``, ``data_type`` (``"text"``, ``"list"``, ``"checkbox"``,
    ``"email"``, ``"number"``, ``"url"``, ``"date"``, ``"time"``, or a type added later) and,
    for a list, its ``allowed_values`` (a list in the TypeScript SDK's type,
    ``{"listValues": [...]}`` in the n8n integration's: both read). ``name`` is read from
    ``title`` when the answer has no ``name`` (n8n's type)."""

    id: int
    name: str = attrs.field(metadata={ALSO_READ: ("title",)})
    slug: str | None = None
    description: str | None = None
    data_type: str
    allowed_values: tuple[str, ...] | None = None
    _wire: Mapping[str, Any] = received()


@attrs.frozen(kw_only=True)
class WorkspaceChannel(WireRecord):
    """A messaging channel of the workspace (``workspace.list_channels``); ``source`` names
    the platform (``"whatsapp_cloud"``, ``"email"``, ...)."""

    id: int
    name: str | None = None
    source: str | None = None
    created_at: datetime.datetime | None = attrs.field(
        default=None, metadata=wire_key("created_at")
    )
    _wire: Mapping[str, Any] = received()


@attrs.frozen(kw_only=True)
class ClosingNote(WireRecord):
    """A closing-note category of the workspace: what ``conversations.update_status(...,
    "close", category=...)`` takes."""

    category: str
    description: str | None = None
    _wire: Mapping[str, Any] = received()


@attrs.frozen(kw_only=True)
class Template(WireRecord):
    """A WhatsApp message template of a channel (``workspace.list_templates``): send it with
    ``WhatsAppTemplateMessage(name, language_code, components=...)``. ``status`` is e.g.
    ``"approved"``; ``components`` the template's parts (header, body, buttons) as WhatsApp's
    JSON objects: what parameters it needs. The TypeScript SDK types ``components`` as a list,
    the n8n integration as a JSON string: both are read into a tuple of dicts. ``id`` is read
    from ``templateId`` when there is no ``id`` (n8n)."""

    id: int = attrs.field(metadata={ALSO_READ: ("templateId",)})
    name: str
    category: str | None = None
    language_code: str | None = None
    status: str | None = None
    components: tuple[dict[str, Any], ...] = ()
    _wire: Mapping[str, Any] = received()


@attrs.frozen(kw_only=True)
class Tag(WireRecord):
    """A tag of the workspace (``workspace.create_tag`` / ``update_tag``); ``color_code`` as
    the API spells it (e.g. ``"#ff0000"``)."""

    id: int
    name: str
    description: str | None = None
    color_code: str | None = None
    emoji: str | None = None
    _wire: Mapping[str, Any] = received()
