"""The typed values of the Aelyst API, and nothing else: what a caller builds and what a call
returns (attrs classes; wire names live in ``_sansio.convert``, checks in ``_sansio.validate``)."""

from .bulk import BulkOutcome, BulkReport
from .contact import UNSET, Contact, ContactUpdate, CustomField, Identifier, UnsetType, UpsertResult
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
from .records import Assignee, ContactChannel, ContactFilter, ContactRecord, FilterCondition
from .workspace import (
    ClosingNote,
    CustomFieldDefinition,
    Tag,
    Team,
    Template,
    User,
    WorkspaceChannel,
)

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
