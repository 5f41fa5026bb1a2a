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

__all__ = [
    "UNSET",
    "APIError",
    "AelystClient",
    "AelystError",
    "Assignee",
    "AuthenticationError",
    "BadRequestError",
    "BulkOutcome",
    "BulkProgress",
    "BulkReport",
    "ClientStats",
    "ConflictError",
    "Contact",
    "ContactChannel",
    "ContactFilter",
    "ContactRecord",
    "ContactUpdate",
    "ContactValidationError",
    "CustomField",
    "FilterCondition",
    "Identifier",
    "IdentifierError",
    "JournalError",
    "LimitStore",
    "MaybeAppliedError",
    "NotFoundError",
    "Page",
    "Paginator",
    "QueuedError",
    "RateLimitError",
    "RateLimitPolicy",
    "RequestError",
    "RetryEvent",
    "RetryPolicy",
    "ServerError",
    "ThrottleSnapshot",
    "TransportError",
    "UnsetType",
    "UpsertResult",
    "ValidationProblem",
    "WaitEvent",
    "__version__",
]
