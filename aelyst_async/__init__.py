"""aelyst_async: the asyncio SDK for the Aelyst API.

>>> from aelyst_async import AelystClient, Contact
>>> async with AelystClient(token="...") as client:
...     result = await client.contacts.create_or_update("email:ana@example.com", Contact("Ana"))
"""

import typing

from ._client import AelystClient
from ._errors import (
    AelystError,
    APIError,
    AuthenticationError,
    BadRequestError,
    ClientClosedError,
    ConflictError,
    ContactValidationError,
    DeadlineExceededError,
    EndpointNotFoundError,
    EventLoopError,
    IdentifierError,
    JournalError,
    MaybeAppliedError,
    NotFoundError,
    QueuedError,
    RateLimitError,
    RequestError,
    ResponseFormatError,
    ServerError,
    TransportError,
    ValidationError,
    ValidationProblem,
    WebhookPayloadError,
    WebhookSignatureError,
)
from ._lazy import lazy_attributes as _lazy_attributes
from ._paginate import Paginator
from ._response import APIResponse
from ._retry import RetryPolicy
from ._sansio.operations import Page
from ._send import ClientStats, RetryEvent
from ._throttle import LimitStore, RateLimitPolicy, ThrottleSnapshot, WaitEvent
from .types import _LAZY as _LAZY_TYPES
from .types import (
    UNSET,
    Assignee,
    BulkOutcome,
    BulkReport,
    Contact,
    ContactChannel,
    ContactFilter,
    ContactRecord,
    ContactUpdate,
    CustomField,
    FilterCondition,
    Identifier,
    UnsetType,
    UpsertResult,
)

if typing.TYPE_CHECKING:
    from ._bulk import BulkInputError, BulkProgress
    from ._version import __version__
    from .types import (
        AttachmentMessage,
        ClosingNote,
        CustomFieldDefinition,
        CustomPayloadMessage,
        EmailMessage,
        MessageRecord,
        MessageStatus,
        QuickReplyMessage,
        Tag,
        Team,
        Template,
        TextMessage,
        User,
        WhatsAppTemplateMessage,
        WorkspaceChannel,
    )

_LAZY = {
    "BulkInputError": "._bulk",
    "BulkProgress": "._bulk",
    "__version__": "._version",
    **dict.fromkeys(_LAZY_TYPES, ".types"),
}
"""Public names imported on first use: the bulk machinery, the version (package metadata), the
message and workspace types."""


__getattr__ = _lazy_attributes(__name__, _LAZY)


__all__ = [
    "UNSET",
    "APIError",
    "APIResponse",
    "AelystClient",
    "AelystError",
    "Assignee",
    "AttachmentMessage",
    "AuthenticationError",
    "BadRequestError",
    "BulkInputError",
    "BulkOutcome",
    "BulkProgress",
    "BulkReport",
    "ClientClosedError",
    "ClientStats",
    "ClosingNote",
    "ConflictError",
    "Contact",
    "ContactChannel",
    "ContactFilter",
    "ContactRecord",
    "ContactUpdate",
    "ContactValidationError",
    "CustomField",
    "CustomFieldDefinition",
    "CustomPayloadMessage",
    "DeadlineExceededError",
    "EmailMessage",
    "EndpointNotFoundError",
    "EventLoopError",
    "FilterCondition",
    "Identifier",
    "IdentifierError",
    "JournalError",
    "LimitStore",
    "MaybeAppliedError",
    "MessageRecord",
    "MessageStatus",
    "NotFoundError",
    "Page",
    "Paginator",
    "QueuedError",
    "QuickReplyMessage",
    "RateLimitError",
    "RateLimitPolicy",
    "RequestError",
    "ResponseFormatError",
    "RetryEvent",
    "RetryPolicy",
    "ServerError",
    "Tag",
    "Team",
    "Template",
    "TextMessage",
    "ThrottleSnapshot",
    "TransportError",
    "UnsetType",
    "UpsertResult",
    "User",
    "ValidationError",
    "ValidationProblem",
    "WaitEvent",
    "WebhookPayloadError",
    "WebhookSignatureError",
    "WhatsAppTemplateMessage",
    "WorkspaceChannel",
    "__version__",
]
