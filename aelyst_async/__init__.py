"""aelyst_async: the asyncio SDK for the Aelyst API.

>>> from aelyst_async import AelystClient, Contact
>>> async with AelystClient(token="...") as client:
...     result = await client.contacts.create_or_update("email:ana@example.com", Contact("Ana"))
"""

from ._client import AelystClient
from ._errors import (
    AelystError,
    APIError,
    AuthenticationError,
    BadRequestError,
    ContactValidationError,
    NotFoundError,
    QueuedError,
    RateLimitError,
    ServerError,
    TransportError,
    ValidationProblem,
)
from ._models import (
    UNSET,
    BulkOutcome,
    BulkReport,
    Contact,
    CustomField,
    Identifier,
    IdentifierError,
    UnsetType,
    UpsertResult,
)
from ._version import __version__

__all__ = [
    "UNSET",
    "APIError",
    "AelystClient",
    "AelystError",
    "AuthenticationError",
    "BadRequestError",
    "BulkOutcome",
    "BulkReport",
    "Contact",
    "ContactValidationError",
    "CustomField",
    "Identifier",
    "IdentifierError",
    "NotFoundError",
    "QueuedError",
    "RateLimitError",
    "ServerError",
    "TransportError",
    "UnsetType",
    "UpsertResult",
    "ValidationProblem",
    "__version__",
]
