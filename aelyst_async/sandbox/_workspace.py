"""The sandbox workspace: users, channels, closing notes, templates, tags, lifecycle stages and
custom fields (seeded), plus what happens around contacts (messages, comments, conversations).

Objects are kept in their wire shape (see the team's wire formats), so handlers answer them as
they are.

>>> space = Space({"Seats": FieldSpec("number")})
>>> space.users[1]["email"], space.fields["Seats"].spec.type
('aisha@sandbox.aelyst.ai', 'number')
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from ._validation import FieldSpec

SEEDED_AT = 1_735_689_600
"""``created_at`` of the seeded objects: 2025-01-01T00:00:00Z."""

DEFAULT_LIFECYCLES = ("New Lead", "Hot Lead", "Payment", "Customer", "Cold Lead")
"""The workspace's lifecycle stages unless configured otherwise."""

_USERS = [
    (1, "Aisha", "Rahman", "aisha@sandbox.aelyst.ai", "owner", (1, "Sales"), []),
    (2, "Ben", "Tan", "ben@sandbox.aelyst.ai", "manager", (2, "Support"), []),
    (3, "Chen", "Li", "chen@sandbox.aelyst.ai", "agent", (2, "Support"), ["contact.delete"]),
    (4, "Dara", "Silva", "dara@sandbox.aelyst.ai", "agent", None, []),
]
_CHANNELS = [
    (1, "WhatsApp", "whatsapp_cloud"),
    (2, "Email", "email"),
    (3, "Website Chat", "website_chat"),
]
PHONE_CHANNEL, EMAIL_CHANNEL = 1, 2
"""Channels a contact is connected to by having a phone / an email."""

_CLOSING_NOTES = [
    ("Resolved", "The contact's request was answered"),
    ("Sale", "The contact bought something"),
    ("Follow-up", "Someone will get back to the contact"),
    ("Spam", "Not a real conversation"),
]
_TEMPLATES = [
    (1, PHONE_CHANNEL, "welcome", "MARKETING", "en", "approved",
     [{"type": "BODY", "text": "Hi {{1}}, welcome!"}]),
    (2, PHONE_CHANNEL, "order_update", "UTILITY", "en", "approved",
     [{"type": "HEADER", "format": "TEXT", "text": "Order {{1}}"},
      {"type": "BODY", "text": "Your order is {{2}}."}]),
    (3, PHONE_CHANNEL, "ucapan_selamat_datang", "MARKETING", "ms", "pending",
     [{"type": "BODY", "text": "Selamat datang, {{1}}!"}]),
]  # fmt: skip
"""WhatsApp templates with their ``components`` (what parameters they need), as the official
TypeScript SDK types a template."""
_TAGS = [("vip", "Most valued contacts", "#f5a623", "⭐"), ("newsletter", None, None, None)]


def slugify(name: str) -> str:
    """The slug a custom field gets when none is given: ``"Company Website"`` ->
    ``"company_website"``."""
    return re.sub(r"[^0-9a-z]+", "_", name.lower()).strip("_")


@attrs.define
class CustomFieldDef:
    """A workspace custom field."""

    id: int
    name: str
    spec: FieldSpec
    slug: str | None = None
    description: str | None = None

    def wire(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "slug": self.slug,
            "description": self.description,
            "dataType": self.spec.type,
            "allowedValues": list(self.spec.options) if self.spec.options else None,
        }


class Space:
    """The workspace's state (see the module docstring); :meth:`reset` restores the seed."""

    def __init__(
        self,
        custom_fields: Mapping[str, FieldSpec],
        lifecycles: Sequence[str] = DEFAULT_LIFECYCLES,
    ) -> None:
        self._seed_fields = dict(custom_fields)
        self.lifecycles = tuple(lifecycles)
        self.reset()

    def reset(self) -> None:
        """Back to the seeded workspace: no messages, comments or conversations."""
        self.users: dict[int, dict[str, Any]] = {
            uid: {
                "id": uid,
                "firstName": first,
                "lastName": last,
                "email": email,
                "role": role,
                "team": {"id": team[0], "name": team[1]} if team else None,
                "restrictions": list(restrictions),
            }
            for uid, first, last, email, role, team, restrictions in _USERS
        }
        self.channels: dict[int, dict[str, Any]] = {
            cid: {"id": cid, "name": name, "source": source, "created_at": SEEDED_AT}
            for cid, name, source in _CHANNELS
        }
        self.closing_notes = [{"category": c, "description": d} for c, d in _CLOSING_NOTES]
        self.templates: dict[int, list[dict[str, Any]]] = {cid: [] for cid in self.channels}
        for tid, cid, name, category, language, status, components in _TEMPLATES:
            self.templates[cid].append(
                {"id": tid, "name": name, "channelId": cid, "category": category,
                 "languageCode": language, "status": status,
                 "components": copy.deepcopy(components)}
            )  # fmt: skip
        self.tags: dict[str, dict[str, Any]] = {}
        self._next_tag = 1
        for name, description, color, emoji in _TAGS:
            self.add_tag(name, description, color, emoji)
        self.fields: dict[str, CustomFieldDef] = {}
        for name, spec in self._seed_fields.items():
            self.add_field(name, spec, slugify(name), None)
        self.messages: dict[int, dict[str, Any]] = {}
        self.next_message_id = 1
        self.comments: dict[int, list[dict[str, Any]]] = {}
        self.closings: dict[int, list[dict[str, Any]]] = {}
        self.connections: dict[int, dict[int, int]] = {}  # contact -> channel -> last message

    # -- custom fields ---------------------------------------------------------------------------

    @property
    def specs(self) -> dict[str, FieldSpec]:
        """Each custom field's name and spec (what contact bodies are checked against)."""
        return {name: field.spec for name, field in self.fields.items()}

    def field_by_id(self, field_id: int) -> CustomFieldDef | None:
        return next((f for f in self.fields.values() if f.id == field_id), None)

    def add_field(
        self, name: str, spec: FieldSpec, slug: str | None, description: str | None
    ) -> CustomFieldDef:
        field = CustomFieldDef(len(self.fields) + 1, name, spec, slug, description)
        self.fields[name] = field
        return field

    # -- tags ------------------------------------------------------------------------------------

    def add_tag(
        self,
        name: str,
        description: str | None = None,
        color: str | None = None,
        emoji: str | None = None,
    ) -> dict[str, Any]:
        tag = {"id": self._next_tag, "name": name, "description": description,
               "colorCode": color, "emoji": emoji}  # fmt: skip
        self._next_tag += 1
        self.tags[name] = tag
        return copy.deepcopy(tag)

    # -- around a contact ------------------------------------------------------------------------

    def contact_messages(self, contact_id: int) -> list[dict[str, Any]]:
        """The messages sent to a contact, oldest first."""
        return [m for m in self.messages.values() if m["contactId"] == contact_id]

    def move_contact(self, source: int, target: int) -> None:
        """Give ``target`` the messages, comments, conversations and channels of ``source``."""
        for message in self.messages.values():
            if message["contactId"] == source:
                message["contactId"] = target
        for log in (self.comments, self.closings):
            moved = log.pop(source, [])
            log.setdefault(target, []).extend(moved)
        moved_channels = self.connections.pop(source, {})
        mine = self.connections.setdefault(target, {})
        for channel, last in moved_channels.items():
            mine[channel] = max(last, mine.get(channel, last))

    def forget_contact(self, contact_id: int) -> None:
        """Drop what the workspace keeps about a deleted contact."""
        self.messages = {k: m for k, m in self.messages.items() if m["contactId"] != contact_id}
        for log in (self.comments, self.closings, self.connections):
            log.pop(contact_id, None)
