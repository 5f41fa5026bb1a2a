"""AelystClient: the async session manager every call goes through.

>>> async with AelystClient(token="...") as client:
...     result = await client.contacts.create_or_update(
...         "phone:+60123456789", Contact(first_name="Muhammad"))
...     result.contact_id
"""

from __future__ import annotations

import functools
import os
import platform
import warnings
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from types import TracebackType
from typing import TYPE_CHECKING, Any, NoReturn

import aiohttp
import attrs

from ._base_url import check_base_url
from ._clock import LOOP_CLOCK
from ._core import Core, Priority, RequestOptions
from ._errors import ClientClosedError
from ._log import configure as configure_logging
from ._loops import LoopGuard
from ._redact import Redactor
from ._resources.contacts import Contacts
from ._retry import RetryPolicy
from ._sansio.raw import raw_request
from ._sansio.validate.checks import ValidationMode
from ._send import ClientStats, RetryEvent, Sender
from ._throttle import RateLimitPolicy, Throttle, ThrottleSnapshot, WaitEvent
from ._transports.aiohttp import AiohttpTransport
from ._transports.base import Transport
from ._version import version

if TYPE_CHECKING:
    from ._raw import RawResponseClient
    from ._resources.comments import Comments
    from ._resources.conversations import Conversations
    from ._resources.messages import Messages
    from ._resources.workspace import Workspace

DEFAULT_BASE_URL = "https://api.aelyst.ai/v1"


@functools.cache
def user_agent() -> str:
    """The ``User-Agent`` every request sends (built on first use: see ``_version``)."""
    return (
        f"aelyst_async/{version()} aiohttp/{aiohttp.__version__} python/{platform.python_version()}"
    )


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


_LAZY_RESOURCES = ("messages", "comments", "conversations", "workspace")


class AelystClient:
    """An async client of the Aelyst API; use it as ``async with`` or call :meth:`aclose`.

    Parameters are described in the README; ``token`` falls back to ``AELYST_API_TOKEN`` and
    ``base_url`` to ``AELYST_BASE_URL``, then ``https://api.aelyst.ai/v1``. ``rate_limit`` (a
    :class:`RateLimitPolicy`) and ``retry`` (a :class:`RetryPolicy`) default to the documented
    limits. ``timeout``: seconds per attempt, or an ``aiohttp.ClientTimeout`` (connect/read
    split); ``with_options(deadline=...)`` bounds a whole call. The client's own session honours
    ``HTTPS_PROXY`` / ``NO_PROXY``; ``proxy``: a proxy URL for every request (a borrowed
    ``session`` keeps its own settings). Hooks, called in the event loop (keep them quick; an
    exception is logged and ignored): ``on_retry(RetryEvent)`` before each retry's wait,
    ``on_wait(WaitEvent)`` after each wait in the throttle. :attr:`stats` and
    :meth:`throttle_snapshot` show what happened. ``transport`` replaces the aiohttp session
    for tests: an ``aelyst_async.testing.MockTransport`` (the throttle, retries, errors and
    parsing run as in production; waits follow its virtual clock); ``session`` and ``proxy``
    cannot be given with it. ``AELYST_LOG=debug|info``, read when the first client is made,
    sends the library's log lines to stderr. :attr:`with_raw_response` gives each call's
    status and headers too.

    >>> async with AelystClient(token="...") as client:
    ...     await client.contacts.create_or_update("id:7", Contact("Ana", last_name=None))
    """

    def __init__(
        self,
        token: str | None = None,
        *,
        base_url: str | None = None,
        timeout: float | aiohttp.ClientTimeout = 30.0,
        proxy: str | None = None,
        rate_limit: RateLimitPolicy | None = None,
        retry: RetryPolicy | None = None,
        session: aiohttp.ClientSession | None = None,
        validation: ValidationMode = "strict",
        on_retry: Callable[[RetryEvent], None] | None = None,
        on_wait: Callable[[WaitEvent], None] | None = None,
        transport: Transport | None = None,
    ) -> None:
        configure_logging()  # AELYST_LOG, once per process
        options = RequestOptions(
            validation=validation, timeout=timeout, retry=RetryPolicy() if retry is None else retry
        )
        if rate_limit is not None and not isinstance(rate_limit, RateLimitPolicy):
            raise TypeError(f"rate_limit must be a RateLimitPolicy or None, not {rate_limit!r}")
        secret = _check_token(token)
        self.base_url = check_base_url(
            base_url or os.environ.get("AELYST_BASE_URL") or DEFAULT_BASE_URL
        )
        self._redact = Redactor(secret)
        headers = {"Authorization": f"Bearer {secret}", "User-Agent": user_agent()}
        if transport is None:
            transport = AiohttpTransport(
                self.base_url,
                headers=headers,
                timeout=timeout,
                session=session,
                redact=self._redact,
                proxy=proxy,
            )
        elif not isinstance(transport, Transport):
            raise TypeError(f"transport must be a MockTransport (a Transport), not {transport!r}")
        elif session is not None or proxy is not None:
            given = "session=" if session is not None else "proxy="
            raise ValueError(f"pass {given} or transport=, not both (a transport sends itself)")
        else:
            transport = transport.with_headers(headers).with_timeout(timeout)
        self._transport: Transport = transport
        policy = rate_limit or RateLimitPolicy()
        check_token = getattr(policy.shared, "check_token", None)
        if check_token is not None:
            check_token(secret)
        self._sender = Sender(
            self._transport,
            throttle=Throttle(
                policy,
                on_wait=on_wait,
                max_pause=options.retry.max_retry_after,
                clock=transport.clock or LOOP_CLOCK,
            ),
            retry=options.retry,
            on_retry=on_retry,
        )
        self._closed = False
        self._parent: AelystClient | None = None
        self._loops = LoopGuard()  # shared with the views, as the session is
        self._attach(options)

    def _attach(self, options: RequestOptions) -> None:
        self._options = options
        core = self._core = Core(
            self._sender, options=options, redact=self._redact, in_use=self._in_use
        )
        self.contacts = Contacts(core)
        for name in _LAZY_RESOURCES:  # a view makes its own on first use
            self.__dict__.pop(name, None)

    # The other resources, their modules and record types are imported on first use.

    @functools.cached_property
    def messages(self) -> Messages:
        """The message endpoints (``client.messages.send(...)``)."""
        from ._resources.messages import Messages

        return Messages(self._core)

    @functools.cached_property
    def comments(self) -> Comments:
        """The comment endpoint (``client.comments.create(...)``)."""
        from ._resources.comments import Comments

        return Comments(self._core)

    @functools.cached_property
    def conversations(self) -> Conversations:
        """The conversation endpoints (``client.conversations.assign(...)``)."""
        from ._resources.conversations import Conversations

        return Conversations(self._core)

    @functools.cached_property
    def workspace(self) -> Workspace:
        """The workspace endpoints (``client.workspace.list_users()``)."""
        from ._resources.workspace import Workspace

        return Workspace(self._core)

    @property
    def timeout(self) -> float | aiohttp.ClientTimeout:
        """Seconds per attempt of this client's (or view's) calls."""
        return self._options.timeout

    @property
    def validation(self) -> ValidationMode:
        """This client's (or view's) validation mode: ``"strict"``, ``"basic"`` or ``"off"``."""
        return self._options.validation

    def with_options(
        self,
        *,
        timeout: float | aiohttp.ClientTimeout | None = None,
        retry: RetryPolicy | None = None,
        validation: ValidationMode | None = None,
        headers: Mapping[str, str] | None = None,
        deadline: float | None = None,
        priority: Priority | None = None,
    ) -> AelystClient:
        """A client for some calls with another ``timeout`` (seconds), ``retry`` policy,
        ``validation`` mode or extra request ``headers`` (added to this view's; the SDK's own
        ``Accept`` and ``Content-Type`` stay, ``Authorization`` raises ValueError), sharing this
        one's session, throttle and :attr:`stats`. ``deadline``: seconds for each whole call
        (throttle waits, every attempt, every retry sleep, on the client's clock; a wait that
        would pass it fails at once: :class:`DeadlineExceededError`); ``priority``: ``"high"``,
        ``"normal"`` or ``"low"`` at the throttle's gates (unset: calls pass as ``"normal"``,
        bulk upserts as ``"low"``; once set, the view's bulk upserts use it too).
        Closing the original closes it too; closing the view leaves the original open. The
        options are checked as the constructor checks them (``timeout=0`` raises ValueError).

        >>> patient = client.with_options(timeout=120, retry=RetryPolicy(max_attempts=10))
        >>> await patient.contacts.get("id:7")
        >>> traced = client.with_options(headers={"X-Trace-Id": "abc"})
        """
        if isinstance(headers, Mapping):
            headers = {**self._options.headers, **headers}
        changes: dict[str, Any] = {
            "timeout": timeout,
            "retry": retry,
            "validation": validation,
            "headers": headers,
            "deadline": deadline,
            "priority": priority,
        }
        options = attrs.evolve(
            self._options, **{name: value for name, value in changes.items() if value is not None}
        )
        view = object.__new__(AelystClient)
        view.__dict__.update(self.__dict__)
        view._parent = self._parent or self
        if options.timeout != self._options.timeout:
            view._transport = self._transport.with_timeout(options.timeout)
        view._sender = self._sender.with_options(transport=view._transport, retry=options.retry)
        view._attach(options)
        return view

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str | int] | None = None,
        idempotent: bool | None = None,
    ) -> Any:
        """Send any call of the API, one the SDK does not model yet, through the same throttle
        (its path's budget), retries, errors and token handling; return the decoded JSON
        answer (None for an empty one).

        ``method``: GET, POST, PUT, PATCH or DELETE; ``path``: relative to the base URL
        (``"/contact/id:7/tag"``; no scheme, host, query or ``..``: ValueError); ``json``: the
        body; ``params``: the query string; ``idempotent``: whether sending it twice is safe
        (default True for GET, PUT and DELETE): a call that is not is never sent twice.
        Raises what the modelled calls raise (:class:`APIError` subclasses, ...).

        >>> channels = await client.request("GET", "/contact/id:7/channels")
        """
        built = raw_request(method, path, json=json, params=params, idempotent=idempotent)
        return await self._core.raw(built)

    @property
    def with_raw_response(self) -> RawResponseClient:
        """This client's calls, each returning an :class:`APIResponse` (``.status``,
        ``.headers``, ``.attempts``, ``.elapsed``, ``.parse()`` -> the plain result); a
        listing gives one per page request. Same arguments, errors and options as the plain
        calls; combine with :meth:`with_options`.

        >>> response = await client.with_raw_response.contacts.get("id:7")
        >>> response.status, response.headers["X-RateLimit-Remaining"], response.parse().id
        (200, '4', 7)
        """
        from ._raw import RawResponseClient

        return RawResponseClient(
            contacts=self.contacts,
            messages=self.messages,
            comments=self.comments,
            conversations=self.conversations,
            workspace=self.workspace,
            request=self.request,
            clock=self._core.clock,
        )

    def __repr__(self) -> str:
        state = " closed" if self._closed else ""
        return f"<AelystClient base_url={self.base_url!r} token=***{state}>"

    @property
    def closed(self) -> bool:
        """True once :meth:`aclose` has run (on this client or, for a view, its original)."""
        return self._closed or (self._parent is not None and self._parent.closed)

    @property
    def stats(self) -> ClientStats:
        """Counters since creation: requests, retries, 429s, 449s, seconds spent waiting.

        >>> client.stats.rate_limited, client.stats.throttle_wait
        """
        return self._sender.stats

    def throttle_snapshot(self) -> ThrottleSnapshot:
        """The throttle's state now: path budgets held, workspace rate, pause left.

        >>> client.throttle_snapshot().workspace_rate   # e.g. 48.5 once learned
        """
        return self._sender.throttle.snapshot()

    def suggested_concurrency(self) -> int:
        """Requests to keep in flight to use the rate in force now: the workspace rate times the
        observed round trip (0.25 s before any answer) times 2, from 1 to 512; 64 when no
        workspace rate applies (``adaptive=False`` and none configured). What a bulk run without
        ``concurrency=`` follows; a loop of your own can size itself by it too.

        >>> client.suggested_concurrency()   # e.g. 26 at 50/s before any answer
        """
        return self._core.suggested_concurrency()

    def __enter__(self) -> NoReturn:
        raise TypeError(
            "AelystClient is an async context manager: use 'async with AelystClient(...) as "
            "client:' inside an async function (or call 'await client.aclose()' when done)"
        )

    def __exit__(self, *exc_info: object) -> None:
        """Never reached: :meth:`__enter__` refuses a plain ``with``."""

    def __del__(self) -> None:
        transport = self.__dict__.get("_transport")
        if (
            self.__dict__.get("_parent", True) is None
            and not self._closed
            and isinstance(transport, AiohttpTransport)
            and transport.loop is not None
        ):
            message = (
                f"{self!r} was never closed: use 'async with AelystClient(...) as client:' "
                "or 'await client.aclose()'"
            )
            warnings.warn(message, ResourceWarning, source=self, stacklevel=1)
            if not transport.loop.is_closed():
                transport.loop.call_exception_handler({"message": message})

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
        """Close the session the client created (a session passed in is left open). On a view
        from :meth:`with_options` it only closes the view."""
        if self._closed:
            return
        with self._loops.call():  # not while another event loop has calls in flight
            self._closed = True
            if self._parent is None:
                await self._transport.aclose()

    def _ensure_open(self) -> None:
        if self.closed:
            raise ClientClosedError(
                "this AelystClient is closed (aclose() ran, or its async with block ended); "
                "create a new AelystClient"
            )

    def _in_use(self) -> AbstractContextManager[None]:
        """For one call: raises when closed, and counts it on the running event loop."""
        self._ensure_open()
        return self._loops.call()
