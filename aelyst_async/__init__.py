"""aelyst_async: the asyncio SDK for the Aelyst API.

>>> from aelyst_async import AelystClient, Contact
>>> async with AelystClient(token="...") as client:
...     result = await client.contacts.create_or_update("email:ana@example.com", Contact("Ana"))
"""

from ._bulk import BulkProgress
from ._client import AelystClient
from ._errors import (
    AelystError,
    APIError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    ContactValidationError,
    DeadlineExceededError,
    IdentifierError,
    JournalError,
    MaybeAppliedError,
    NotFoundError,
    QueuedError,
    RateLimitError,
    RequestError,
    ServerError,
    TransportError,
    ValidationProblem,
)
from ._message_models import (
    AttachmentMessage,
    CustomPayloadMessage,
    EmailMessage,
    MessageRecord,
    MessageStatus,
    QuickReplyMessage,
    TextMessage,
    WhatsAppTemplateMessage,
)
from ._models import (
    UNSET,
    BulkOutcome,
    BulkReport,
    Contact,
    ContactUpdate,
    CustomField,
    Identifier,
    UnsetType,
    UpsertResult,
)
from ._operations import Page
from ._paginate import Paginator
from ._records import (
    Assignee,
    ContactChannel,
    ContactFilter,
    ContactRecord,
    FilterCondition,
)
from ._retry import RetryPolicy
from ._send import ClientStats, RetryEvent
from ._throttle import LimitStore, RateLimitPolicy, ThrottleSnapshot, WaitEvent
from ._version import __version__
from ._workspace_models import (
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
    "APIError",
    "AelystClient",
    "AelystError",
    "Assignee",
    "AttachmentMessage",
    "AuthenticationError",
    "BadRequestError",
    "BulkOutcome",
    "BulkProgress",
    "BulkReport",
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
    "ValidationProblem",
    "WaitEvent",
    "WhatsAppTemplateMessage",
    "WorkspaceChannel",
    "__version__",
]
