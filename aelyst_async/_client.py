"""AelystClient: the async session manager every call goes through.

>>> async with AelystClient(token="...") as client:
...     result = await client.contacts.create_or_update(
...         "phone:+60123456789", Contact(first_name="Muhammad"))
...     result.contact_id
"""

from __future__ import annotations

import ipaddress
import os
import platform
from collections.abc import AsyncGenerator, Callable
from types import TracebackType
from typing import TYPE_CHECKING, get_args
from urllib.parse import urlsplit

import aiohttp

from ._bulk import BulkItems, BulkKeywords, BulkOptions, bulk_upsert, upsert_many
from ._models import BulkOutcome, BulkReport, Contact, Identifier, UpsertResult
from ._pipeline import ClientStats, Pipeline, RetryEvent
from ._retry import RetryPolicy
from ._sansio import Request, Response, ValidationMode, build_upsert_request, interpret_upsert
from ._throttle import RateLimitPolicy, Throttle, ThrottleSnapshot, WaitEvent
from ._transport import AiohttpTransport, Transport
from ._version import __version__

if TYPE_CHECKING:
    from typing_extensions import Unpack

DEFAULT_BASE_URL = "https://api.aelyst.ai/v1"
USER_AGENT = (
    f"aelyst_async/{__version__} aiohttp/{aiohttp.__version__} python/{platform.python_version()}"
)


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_base_url(base_url: str) -> str:
    parts = urlsplit(base_url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError(f"base_url must be an absolute https:// URL, got {base_url!r}")
    if parts.query or parts.fragment:
        raise ValueError(f"base_url must not have a query or fragment, got {base_url!r}")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ValueError(
            f"base_url {base_url!r} uses plain http: the token would travel in clear text; "
            "use https (http is allowed only to loopback hosts)"
        )
    return base_url.rstrip("/")


def _check_token(token: str | None) -> str:
    if token is None:
        token = os.environ.get("AELYST_API_TOKEN")
    if not token:
        raise ValueError(
            "no API token: pass AelystClient(token=...) "
            "or set the AELYST_API_TOKEN environment variable"
        )
    if not isinstance(token, str) or any(c.isspace() or ord(c) < 0x20 for c in token):
        raise ValueError("the API token must be a string without whitespace or control characters")
    return token


class Contacts:
    """The contact endpoints, reached as ``client.contacts``."""

    def __init__(self, client: AelystClient) -> None:
        self._client = client

    async def create_or_update(
        self, identifier: Identifier | str, contact: Contact
    ) -> UpsertResult:
        """Update the first contact matching ``identifier``, or create one.

        Fields of ``contact`` left UNSET are not sent; ``None`` clears a field.
        Raises :class:`ContactValidationError` (nothing sent) or an :class:`AelystError`.

        >>> await client.contacts.create_or_update("email:ana@example.com", Contact("Ana"))
        UpsertResult(contact_id=1)
        """
        result, _ = await self._client._upsert(identifier, contact)
        return result

    def upsert_many(
        self, items: BulkItems, **options: Unpack[BulkKeywords]
    ) -> AsyncGenerator[BulkOutcome, None]:
        """Upsert many contacts; yields one :class:`BulkOutcome` per item as each finishes.

        ``items``: a sync or async iterable of :class:`Contact` (identified by its email, else
        its phone) or ``(identifier, Contact)`` pairs, read lazily. At most ``concurrency``
        requests are in flight; items of one identifier run one at a time in input order,
        ``settle_delay`` seconds apart after a possible create. ``journal``: a JSONL file of
        outcomes; an existing one makes the run skip the items it records as succeeded.
        ``on_progress`` receives a :class:`BulkProgress`. Close the stream early with
        ``contextlib.aclosing`` to cancel the requests in flight.

        >>> async with aclosing(client.contacts.upsert_many(contacts)) as outcomes:
        ...     async for outcome in outcomes:
        ...         print(outcome.index, outcome.ok, outcome.error)
        """
        return upsert_many(self._client._upsert, items, BulkOptions(**options))

    async def bulk_upsert(self, items: BulkItems, **options: Unpack[BulkKeywords]) -> BulkReport:
        """Upsert many contacts and return a :class:`BulkReport` (counts and failures only).

        Options as for :meth:`upsert_many`. If the call is cancelled, the requests in flight are
        cancelled; the outcomes that finished are in the ``journal``, when one is given.

        >>> report = await client.contacts.bulk_upsert(contacts, journal="import.journal")
        >>> report.total, report.succeeded, report.failed, report.skipped
        """
        return await bulk_upsert(self._client._upsert, items, BulkOptions(**options))


class AelystClient:
    """An async client of the Aelyst API; use it as ``async with`` or call :meth:`aclose`.

    Parameters are described in the README; ``token`` falls back to ``AELYST_API_TOKEN`` and
    ``base_url`` to ``AELYST_BASE_URL``, then ``https://api.aelyst.ai/v1``. ``rate_limit`` (a
    :class:`RateLimitPolicy`) and ``retry`` (a :class:`RetryPolicy`) default to the documented
    limits. Hooks, called in the event loop (keep them quick; an exception is logged and
    ignored): ``on_retry(RetryEvent)`` before each retry's wait, ``on_wait(WaitEvent)`` after each
    wait in the throttle. :attr:`stats` and :meth:`throttle_snapshot` show what happened.

    >>> async with AelystClient(token="...") as client:
    ...     await client.contacts.create_or_update("id:7", Contact("Ana", last_name=None))
    """

    def __init__(
        self,
        token: str | None = None,
        *,
        base_url: str | None = None,
        timeout: float = 30.0,
        rate_limit: RateLimitPolicy | None = None,
        retry: RetryPolicy | None = None,
        session: aiohttp.ClientSession | None = None,
        validation: ValidationMode = "strict",
        transport: Transport | None = None,
        on_retry: Callable[[RetryEvent], None] | None = None,
        on_wait: Callable[[WaitEvent], None] | None = None,
    ) -> None:
        if validation not in get_args(ValidationMode):
            raise ValueError(f"validation must be 'strict', 'basic' or 'off', not {validation!r}")
        if not timeout > 0:
            raise ValueError(f"timeout must be a positive number of seconds, not {timeout!r}")
        if rate_limit is not None and not isinstance(rate_limit, RateLimitPolicy):
            raise TypeError(f"rate_limit must be a RateLimitPolicy or None, not {rate_limit!r}")
        if retry is not None and not isinstance(retry, RetryPolicy):
            raise TypeError(f"retry must be a RetryPolicy or None, not {retry!r}")
        secret = _check_token(token)
        self.base_url = _check_base_url(
            base_url or os.environ.get("AELYST_BASE_URL") or DEFAULT_BASE_URL
        )
        self.timeout = timeout
        self.validation: ValidationMode = validation
        self._redact = lambda text: text.replace(secret, "***")
        self._transport: Transport = transport or AiohttpTransport(
            self.base_url,
            headers={"Authorization": f"Bearer {secret}", "User-Agent": USER_AGENT},
            timeout=timeout,
            session=session,
            redact=self._redact,
        )
        self._pipeline = Pipeline(
            self._transport,
            throttle=Throttle(rate_limit or RateLimitPolicy(), on_wait=on_wait),
            retry=retry or RetryPolicy(),
            on_retry=on_retry,
        )
        self._closed = False
        self.contacts = Contacts(self)

    def __repr__(self) -> str:
        state = " closed" if self._closed else ""
        return f"<AelystClient base_url={self.base_url!r} token=***{state}>"

    @property
    def closed(self) -> bool:
        """True once :meth:`aclose` has run."""
        return self._closed

    @property
    def stats(self) -> ClientStats:
        """Counters since creation: requests, retries, 429s, 449s, seconds spent waiting.

        >>> client.stats.rate_limited, client.stats.throttle_wait
        """
        return self._pipeline.stats

    def throttle_snapshot(self) -> ThrottleSnapshot:
        """The throttle's state now: path budgets held, workspace rate, pause left.

        >>> client.throttle_snapshot().workspace_rate   # e.g. 48.5 once learned
        """
        return self._pipeline.throttle.snapshot()

    async def __aenter__(self) -> AelystClient:
        self._ensure_open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the session the client created (a session passed in is left open)."""
        if not self._closed:
            self._closed = True
            await self._transport.aclose()

    def _ensure_open(self) -> None:
        if self._closed:
            raise RuntimeError("this AelystClient is closed; create a new one")

    def _interpret_upsert(self, request: Request, response: Response) -> UpsertResult:
        return interpret_upsert(request, response, redact=self._redact)

    async def _upsert(
        self, identifier: Identifier | str, contact: Contact
    ) -> tuple[UpsertResult, int]:
        """The result of one create-or-update and the attempts it took."""
        self._ensure_open()
        request = build_upsert_request(identifier, contact, validation=self.validation)
        return await self._pipeline.send(request, self._interpret_upsert)
