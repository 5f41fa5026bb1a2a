"""The I/O edge: sending a :class:`Request` with aiohttp and reading back a :class:`Response`.

Everything else talks to a :class:`Transport`, so tests can swap this edge for a fake.

>>> transport = AiohttpTransport("https://api.aelyst.ai/v1", headers={...}, timeout=30.0)
>>> response = await transport.send(request)
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable, Mapping

import aiohttp
from yarl import URL

from .._errors import TransportError
from .._sansio.request import Request
from .._sansio.response import Response
from .base import Transport


class AiohttpTransport(Transport):
    """A :class:`Transport` on an aiohttp session, owned (created lazily) or borrowed."""

    def __init__(
        self,
        base_url: str,
        *,
        headers: Mapping[str, str],
        timeout: float,
        session: aiohttp.ClientSession | None = None,
        redact: Callable[[str], str] = lambda s: s,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._headers = dict(headers)
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._sessions = _Sessions(session)
        self._redact = redact

    def with_timeout(self, timeout: float) -> AiohttpTransport:
        view = copy.copy(self)
        view._timeout = aiohttp.ClientTimeout(total=timeout)
        return view

    async def send(self, request: Request) -> Response:
        """The response to ``request``; raises :class:`TransportError` on an I/O failure.

        Redirects are never followed (the 3xx comes back as it is). The error never chains
        aiohttp's exception: its request info holds the headers, the token among them.
        """
        url = URL(self._base_url + request.path, encoded=True)
        headers = {**self._headers, **request.headers}
        try:
            async with self._sessions.get().request(
                request.method,
                url,
                data=request.body,
                headers=headers,
                timeout=self._timeout,
                allow_redirects=False,
            ) as resp:
                body = await resp.read()
                return Response(status=resp.status, headers=resp.headers, body=body)
        except (asyncio.TimeoutError, aiohttp.ClientError) as exc:
            error = self._error(request, exc)
        raise error  # outside the except block: no __context__ either

    def _error(self, request: Request, exc: BaseException) -> TransportError:
        # a connection that failed to open never carried the request
        sent = not isinstance(exc, (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError))
        if isinstance(exc, asyncio.TimeoutError):
            message = f"timed out after {self._timeout.total:g}s"
        else:
            detail = self._redact(str(exc)) or type(exc).__name__
            message = f"{type(exc).__name__}: {detail}"
        if not sent:
            message += " (the request was not sent)"
        return TransportError(message, method=request.method, path=request.path, request_sent=sent)

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        """The event loop of the session this transport created and has not closed, or None
        (none created yet, closed, or a borrowed one)."""
        return self._sessions.loop

    async def aclose(self) -> None:
        await self._sessions.aclose()


class _Sessions:
    """The one session of a transport and its views: borrowed, or created on first use.

    aiohttp sends a GET, PUT or DELETE a second time by itself when a reused connection drops
    before the answer; only the SDK may decide to send again (a tag rename is a PUT that must
    not be repeated), so that hidden re-send is switched off on the session, borrowed or not.
    """

    def __init__(self, session: aiohttp.ClientSession | None) -> None:
        self.session = session
        self._owned = session is None
        self.loop: asyncio.AbstractEventLoop | None = None  # of an owned session, while open
        if session is not None:
            _no_hidden_resend(session)

    def get(self) -> aiohttp.ClientSession:
        if self.session is None:
            # limit=0: bulk's concurrency, not aiohttp's default of 100 connections, is the cap
            self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
            self.loop = asyncio.get_running_loop()
            _no_hidden_resend(self.session)
        if self.session.closed:
            raise RuntimeError("the aiohttp ClientSession given to AelystClient is closed")
        return self.session

    async def aclose(self) -> None:
        if self._owned and self.session is not None:
            self.loop = None
            await self.session.close()


def _no_hidden_resend(session: aiohttp.ClientSession) -> None:
    # aiohttp has no public switch (aio-libs/aiohttp#10790); its own test client sets this
    if hasattr(session, "_retry_connection"):
        session._retry_connection = False
