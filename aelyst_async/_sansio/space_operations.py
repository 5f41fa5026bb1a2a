"""The message and workspace calls of the table in :mod:`.operations` (apart, so that their
record types are imported only when a client first uses ``messages`` or ``workspace``)."""

from __future__ import annotations

from typing import Any

import attrs

from ..types.messages import MessageRecord
from ..types.workspace import (
    ClosingNote,
    CustomFieldDefinition,
    Tag,
    Template,
    User,
    WorkspaceChannel,
)
from .convert import record_from_wire, wire_int
from .operations import PAGE, Operation, page_of, record


def _tag(body: Any) -> Tag:
    """A tag answer: the bare tag (the TypeScript SDK's type) or ``{code, message: {tag}}``
    (the n8n integration's type; ``message`` holding the tag itself is read too)."""
    if isinstance(body, dict) and "id" not in body and isinstance(body.get("message"), dict):
        inner = body["message"]
        body = inner["tag"] if isinstance(inner.get("tag"), dict) else inner
    return record_from_wire(body, Tag)


def _message_id(body: Any) -> int:
    return wire_int(body, "messageId")


MESSAGE_SEND = Operation(
    "POST",
    "/contact/{identifier}/message",
    _message_id,
    idempotent=False,
    shape='{"messageId": <int>}',
)
"""Not idempotent: sent twice, the contact gets the message twice."""
MESSAGE_GET = Operation("GET", "/contact/{identifier}/message/{messageId}", record(MessageRecord))
MESSAGE_LIST = Operation(
    "GET", "/contact/{identifier}/message/list", page_of(MessageRecord), shape=PAGE
)
USER_LIST = Operation("GET", "/space/user", page_of(User), shape=PAGE, can_miss=False)
USER_GET = Operation("GET", "/space/user/{id}", record(User))
CUSTOM_FIELD_LIST = Operation(
    "GET", "/space/custom_field", page_of(CustomFieldDefinition), shape=PAGE, can_miss=False
)
CUSTOM_FIELD_GET = Operation("GET", "/space/custom_field/{id}", record(CustomFieldDefinition))
CUSTOM_FIELD_CREATE = Operation(
    "POST", "/space/custom_field", record(CustomFieldDefinition), idempotent=False
)
"""Not idempotent: sent twice, it could create the field twice (or fail on the second)."""
CHANNEL_LIST = Operation(
    "GET", "/space/channel", page_of(WorkspaceChannel), shape=PAGE, can_miss=False
)
CLOSING_NOTE_LIST = Operation(
    "GET", "/space/closing_notes", page_of(ClosingNote), shape=PAGE, can_miss=False
)
TEMPLATE_LIST = Operation("GET", "/space/channel/{id}/template", page_of(Template), shape=PAGE)
"""The path of the official TypeScript SDK (``src/clients/space.ts``, ``WhatsAppTemplate``).
The n8n integration lists WhatsApp templates at ``/space/channel/{id}/mtm`` and uses
``/template`` for Messenger; where the official sources disagree the SDK sends the TypeScript
SDK's form (DESIGN.md, "What the official clients show")."""
TAG_CREATE = Operation("POST", "/space/tag", _tag, idempotent=False)
TAG_UPDATE = Operation("PUT", "/space/tag", _tag)
TAG_RENAME = attrs.evolve(TAG_UPDATE, idempotent=False)
"""An update that renames: sent again after it applied, it would find no tag by the old name."""
TAG_DELETE: Operation[None] = Operation("DELETE", "/space/tag", None)
