"""The transport interface: everything above the I/O edge talks to a :class:`Transport`.

One abstract method, as gidgethub's ``abc.GitHubAPI._request`` and httpx's ``BaseTransport``:
a transport sends one :class:`Request` (``method``, ``path`` relative to the base URL,
``headers``, a JSON ``body``; :meth:`Request.json` decodes it) and returns the raw
:class:`Response`, or raises :class:`TransportError` when no usable response came. The throttle,
retries and error mapping stay above it, so a test transport exercises them all.

>>> class Echo(Transport):
...     async def send(self, request: Request) -> Response:
...         return Response(200, {}, b'{"contactId": 1}')
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from typing import TYPE_CHECKING

from .._clock import Clock
from .._sansio.request import Request
from .._sansio.response import Response

if TYPE_CHECKING:
    from aiohttp import ClientTimeout


class Transport(abc.ABC):
    """Sends one request and returns the raw response; raises TransportError on I/O failure.

    ``clock``: the time of the world the transport talks to; None (the default) is real time,
    the event loop's. A test transport's virtual clock makes the client's waits (throttle,
    retries, settle delays) follow it and take no real time.
    """

    clock: Clock | None = None

    @abc.abstractmethod
    async def send(self, request: Request) -> Response:
        """The response to ``request`` (any status); :class:`TransportError` when none came."""

    def with_headers(self, headers: Mapping[str, str]) -> Transport:
        """A transport that sends ``headers`` (the client's ``Authorization`` and
        ``User-Agent``) with every request; a transport that needs none returns itself."""
        return self

    def with_timeout(self, timeout: float | ClientTimeout) -> Transport:
        """A transport over the same connections whose requests time out after ``timeout``
        (seconds per attempt, or an aiohttp ``ClientTimeout``); a transport without timeouts of
        its own returns itself."""
        return self

    async def aclose(self) -> None:  # noqa: B027 (a transport may hold nothing to close)
        """Release what the transport holds (a session it created)."""
