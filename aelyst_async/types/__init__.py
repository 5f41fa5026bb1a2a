"""The typed values of the Aelyst API, and nothing else: what a caller builds and what a call
returns (attrs classes; wire names live in ``_sansio.convert``, checks in ``_sansio.validate``)."""

from typing import TYPE_CHECKING

from .._lazy import lazy_attributes as _lazy_attributes
from .bulk import BulkOutcome, BulkReport
from .contact import UNSET, Contact, ContactUpdate, CustomField, Identifier, UnsetType, UpsertResult
from .records import Assignee, ContactChannel, ContactFilter, ContactRecord, FilterCondition

if TYPE_CHECKING:
    from .messages import (
        AttachmentMessage,
        CustomPayloadMessage,
        EmailMessage,
        MessageRecord,
        MessageStatus,
        QuickReplyMessage,
        TextMessage,
        WhatsAppTemplateMessage,
    )
    from .workspace import (
        ClosingNote,
        CustomFieldDefinition,
        Tag,
        Team,
        Template,
        User,
        WorkspaceChannel,
    )

_LAZY = {
    **dict.fromkeys(
        [
            "AttachmentMessage",
            "CustomPayloadMessage",
            "EmailMessage",
            "MessageRecord",
            "MessageStatus",
            "QuickReplyMessage",
            "TextMessage",
            "WhatsAppTemplateMessage",
        ],
        ".messages",
    ),
    **dict.fromkeys(
        ["ClosingNote", "CustomFieldDefinition", "Tag", "Team", "Template", "User"],
        ".workspace",
    ),
    "WorkspaceChannel": ".workspace",
}
"""The message and workspace types, imported on first use (a contact call never needs them)."""


__getattr__ = _lazy_attributes(__name__, _LAZY)


__all__ = [
    "UNSET",
    "Assignee",
    "AttachmentMessage",
    "BulkOutcome",
    "BulkReport",
    "ClosingNote",
    "Contact",
    "ContactChannel",
    "ContactFilter",
    "ContactRecord",
    "ContactUpdate",
    "CustomField",
    "CustomFieldDefinition",
    "CustomPayloadMessage",
    "EmailMessage",
    "FilterCondition",
    "Identifier",
    "MessageRecord",
    "MessageStatus",
    "QuickReplyMessage",
    "Tag",
    "Team",
    "Template",
    "TextMessage",
    "UnsetType",
    "UpsertResult",
    "User",
    "WhatsAppTemplateMessage",
    "WorkspaceChannel",
]
