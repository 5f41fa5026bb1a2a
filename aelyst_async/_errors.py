"""The exceptions raised by aelyst_async, all in one tree.

    AelystError
    ├── ValidationError (also a ValueError)          checked client-side; nothing was sent
    │   └── ContactValidationError                   ... a contact call's input
    ├── IdentifierError (also a ValueError)          not id:<n>, email:<address> or phone:<E.164>
    ├── JournalError (also a ValueError)             a bulk journal that cannot be used
    ├── ClientClosedError (also a RuntimeError)      the client was used after aclose()
    ├── EventLoopError (also a RuntimeError)         used from a second event loop at once
    ├── WebhookSignatureError                        missing, malformed or wrong webhook signature
    ├── WebhookPayloadError                          a webhook body that is not a JSON object
    └── RequestError                                 a request was made: method, path, attempts
        ├── APIError                                 the API answered with an error status
        │   ├── BadRequestError          400
        │   ├── AuthenticationError      401
        │   ├── NotFoundError            404: no such contact (or other object)
        │   │   └── EndpointNotFoundError    404 where the path, not the object, is missing:
        │   │                                the base URL is not the API (check the /v1)
        │   ├── ConflictError            409
        │   ├── RateLimitError           429, after the retries are spent
        │   ├── QueuedError              449, after its retries are spent
        │   └── ServerError              5xx, after the retries are spent
        ├── DeadlineExceededError                    the call's deadline passed
        └── TransportError                           no usable response
            ├── MaybeAppliedError                    a call that is not idempotent got no
            │                                        sure answer: it may have been applied
            └── ResponseFormatError                  a 2xx the SDK cannot read (names the
                                                     key); never retried

Example::

    try:
        await client.contacts.create_or_update("id:7", Contact(first_name="Ana"))
    except NotFoundError as exc:
        print(exc.status, exc.message, exc.path)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from multidict import CIMultiDict, CIMultiDictProxy

from ._mask import masked_query

REQUEST_ID_HEADER = "X-Request-Id"


class AelystError(Exception):
    """Base class of every error this package raises."""


class ValidationProblem(NamedTuple):
    """One problem found by client-side validation: the field path and what is wrong."""

    field: str
    problem: str

    def __str__(self) -> str:
        return f"{self.field}: {self.problem}"


class ValidationError(AelystError, ValueError):
    """Client-side validation failed; nothing was sent.

    ``errors`` holds one :class:`ValidationProblem` per problem, each naming its field path as
    the caller named it (``"page_size"``, ``"message.replies[1]"``, ``"custom_fields[2].value"``).

    >>> try:
    ...     client.messages.list("id:7", page_size=0)
    ... except ValidationError as exc:
    ...     exc.errors  # [ValidationProblem(field='page_size', problem='must be an int ...')]
    """

    def __init__(self, errors: Iterable[ValidationProblem]) -> None:
        self.errors: list[ValidationProblem] = list(errors)
        count = len(self.errors)
        summary = "; ".join(str(e) for e in self.errors)
        super().__init__(f"{count} invalid field{'s' if count != 1 else ''}: {summary}")


class ContactValidationError(ValidationError):
    """A contact call's input failed client-side validation (its fields, identifier, tags,
    lifecycle or filter); nothing was sent. A :class:`ValidationError`, with the same
    ``errors`` (field paths in Python attribute names: ``"country_code"``)."""


class IdentifierError(AelystError, ValueError):
    """An identifier string that is not ``id:<n>``, ``email:<address>`` or ``phone:<E.164>``."""


class JournalError(AelystError, ValueError):
    """A journal file that cannot be used: not a journal, a corrupt record, or one in use."""


class ClientClosedError(AelystError, RuntimeError):
    """The client (or the client a view was made from) was used after :meth:`aclose` or its
    ``async with`` block ended; nothing was sent. Create a new client."""


class EventLoopError(AelystError, RuntimeError):
    """The client was used from an event loop while calls were in flight on another one, or
    its borrowed ``session=`` was used outside the loop it belongs to; nothing was sent.

    One client works from successive loops (``asyncio.run`` twice, a task per loop), one loop
    at a time: await the other loop's calls first, or give each loop its own client.
    """


class RequestError(AelystError):
    """A request was made and failed: ``method``, ``path`` (percent-encoded, relative to the
    base URL), ``message``, and the ``attempts`` made before giving up. Its text shows the
    path with each query value masked (``/contact/list?email=***``); ``path`` keeps them."""

    def __init__(
        self, message: str, *, method: str = "", path: str = "", attempts: int = 1
    ) -> None:
        self.message = message
        self.method = method
        self.path = path
        self.attempts = attempts
        super().__init__(message)

    def _what(self) -> str:
        return f"{self.method} {masked_query(self.path)}:"

    def __str__(self) -> str:
        tries = f" after {self.attempts} attempts" if self.attempts > 1 else ""
        return f"{self._what()} {self.message}{tries}"


class APIError(RequestError):
    """The API answered with an error status.

    Attributes: ``status`` (HTTP status), ``code`` and ``message`` (from the error body),
    ``method`` and ``path`` of the request, ``attempts`` made before giving up, ``headers``
    of the answer (a read-only, case-insensitive multidict; empty when the error was not made
    from an answer) and ``request_id``: the answer's ``X-Request-Id`` header, or ``None``.

    Example::

        except APIError as error:
            log.warning("Aelyst refused (request id %s)", error.request_id)
    """

    headers: CIMultiDictProxy[str] = CIMultiDictProxy(CIMultiDict())

    def __init__(
        self,
        message: str,
        *,
        status: int,
        code: int | None = None,
        method: str = "",
        path: str = "",
        attempts: int = 1,
    ) -> None:
        super().__init__(message, method=method, path=path, attempts=attempts)
        self.status = status
        self.code = code

    @property
    def request_id(self) -> str | None:
        """The answer's ``X-Request-Id`` header (any case), or ``None`` when it sent none."""
        return self.headers.get(REQUEST_ID_HEADER)

    def _what(self) -> str:
        return f"{self.method} {masked_query(self.path)} -> {self.status}:"


class BadRequestError(APIError):
    """400: the API refused the request body or identifier (never retried)."""


class AuthenticationError(APIError):
    """401: the token is missing, wrong or revoked (never retried)."""


class NotFoundError(APIError):
    """404: no contact (or other object) matches the request (never retried)."""


class EndpointNotFoundError(NotFoundError):
    """404 that cannot mean "no such object": the answer is not the API's error body (a web
    server's or a proxy's page), or the call cannot miss (a listing such as ``contacts.list``).
    Most often the base URL is not the API's: check that it ends in ``/v1``
    (``https://api.aelyst.ai/v1``). A :class:`NotFoundError`, so existing handlers still see a
    404, but ``except NotFoundError: create(...)`` should let this one through::

        try:
            await client.contacts.get("email:ana@example.com")
        except EndpointNotFoundError:
            raise
        except NotFoundError:
            await client.contacts.create("email:ana@example.com", Contact("Ana"))
    """


class ConflictError(APIError):
    """409: the request conflicts with the API's state, e.g. creating a contact that exists."""


class RateLimitError(APIError):
    """429 after the retries were spent, or one whose ``Retry-After`` is over the policy's
    ``max_retry_after``.

    ``retry_after`` (seconds, or None), ``limit`` and ``remaining`` come from the last response.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int = 429,
        code: int | None = None,
        method: str = "",
        path: str = "",
        attempts: int = 1,
        retry_after: float | None = None,
        limit: int | None = None,
        remaining: int | None = None,
    ) -> None:
        super().__init__(
            message, status=status, code=code, method=method, path=path, attempts=attempts
        )
        self.retry_after = retry_after
        self.limit = limit
        self.remaining = remaining


class QueuedError(APIError):
    """449: the contact is still being processed after its creation; retries were spent."""


class ServerError(APIError):
    """5xx after the retries were spent; ``retry_after`` (seconds, or None) is the last answer's
    ``Retry-After`` (a 503 may send one)."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 500,
        code: int | None = None,
        method: str = "",
        path: str = "",
        attempts: int = 1,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(
            message, status=status, code=code, method=method, path=path, attempts=attempts
        )
        self.retry_after = retry_after


class DeadlineExceededError(RequestError):
    """The call's ``deadline`` (seconds for the whole call: throttle waits, every attempt,
    every retry sleep) passed before it finished.

    ``request_sent``: whether an attempt had been handed to the connection (False: the API
    surely did not see it); ``attempts``: the attempts started. A call that is not idempotent
    and may have been applied raises :class:`MaybeAppliedError` instead.
    """

    def __init__(
        self,
        message: str,
        *,
        method: str = "",
        path: str = "",
        attempts: int = 0,
        request_sent: bool = False,
    ) -> None:
        super().__init__(message, method=method, path=path, attempts=attempts)
        self.request_sent = request_sent


class TransportError(RequestError):
    """No usable response: a connection failure, a timeout, or a body that is not the API's
    JSON.

    ``request_sent`` is False only when the connection failed before the request was written
    (the API surely did not see it); when unsure it is True.
    """

    def __init__(
        self,
        message: str,
        *,
        method: str = "",
        path: str = "",
        attempts: int = 1,
        request_sent: bool = True,
    ) -> None:
        super().__init__(message, method=method, path=path, attempts=attempts)
        self.request_sent = request_sent


class ResponseFormatError(TransportError):
    """A success (2xx) whose body the SDK cannot read: not JSON, or a record without the key
    that identifies it (``id``, ``messageId``, ``contactId``). ``key`` names that key (None
    when the body is not JSON at all); ``status`` is the answer's status.

    Never retried: the API answered, so sending again would not change the answer, and a write
    (create, a message, ...) was applied: the message says so. Values of another JSON type and
    unknown keys never raise it (see README, "What the SDK tolerates").
    """

    def __init__(
        self,
        message: str,
        *,
        method: str = "",
        path: str = "",
        attempts: int = 1,
        status: int = 200,
        key: str | None = None,
    ) -> None:
        super().__init__(message, method=method, path=path, attempts=attempts)
        self.status = status
        self.key = key


class MaybeAppliedError(TransportError):
    """A call that is not idempotent (create, merge, a message, a comment, ...) got no sure
    answer (a timeout, a lost or unreadable response, a 5xx): the API may have applied it, so
    it was not sent again. Check before repeating it. The last attempt's error is the cause.
    """


class WebhookSignatureError(AelystError):
    """A webhook delivery's signature is missing, malformed or wrong (the key is never shown)."""


class WebhookPayloadError(AelystError):
    """A webhook body that is not a JSON object (malformed JSON, an array, a number...)."""


for _public in list(globals().values()):
    if isinstance(_public, type) and issubclass(_public, AelystError):
        _public.__module__ = "aelyst_async"  # tracebacks name the import path: aelyst_async.X
del _public
