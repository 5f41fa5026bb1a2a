"""The I/O edge: sending a :class:`Request` with aiohttp and reading back a :class:`Response`.

Everything else talks to a :class:`Transport`, so tests can swap this edge for a fake.

>>> transport = AiohttpTransport("https://api.aelyst.ai/v1", headers={...}, timeout=30.0)
>>> response = await transport.send(request)
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Mapping
from urllib.parse import urlsplit
from urllib.request import getproxies, proxy_bypass

import aiohttp
from multidict import CIMultiDict
from yarl import URL

from .._errors import TransportError
from .._redact import NOTHING, Redactor
from .._sansio.request import Request
from .._sansio.response import Response
from .base import Transport
from .sessions import Sessions


class AiohttpTransport(Transport):
    """A :class:`Transport` on an aiohttp session, owned (created lazily) or borrowed."""

    def __init__(
        self,
        base_url: str,
        *,
        headers: Mapping[str, str],
        timeout: float | aiohttp.ClientTimeout,
        session: aiohttp.ClientSession | None = None,
        redact: Redactor = NOTHING,
        proxy: str | None = None,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._headers = dict(headers)
        self._merged: dict[int, tuple[dict[str, str], CIMultiDict[str]]] = {}
        self._timeout = _client_timeout(timeout)
        self._sessions = Sessions(session)
        self._redact = redact
        self._proxy = proxy if proxy is not None else _env_proxy(self._base_url)

    def with_timeout(self, timeout: float | aiohttp.ClientTimeout) -> AiohttpTransport:
        view = copy.copy(self)
        view._timeout = _client_timeout(timeout)
        return view

    async def send(self, request: Request) -> Response:
        """The response to ``request``; raises :class:`TransportError` on an I/O failure.

        Redirects are never followed (the 3xx comes back as it is). The error never chains
        aiohttp's exception: its request info holds the headers, the token among them.
        """
        url = URL(self._base_url + request.path, encoded=True)
        headers = self._with_ours(request.headers)
        try:
            session = self._sessions.ready()
            if session is None:
                session = await self._sessions.get()
            async with session.request(
                request.method,
                url,
                data=request.body,
                headers=headers,
                timeout=self._timeout,
                allow_redirects=False,
                proxy=self._proxy,
            ) as resp:
                body = await resp.read()
                return Response(status=resp.status, headers=resp.headers, body=body)
        except (asyncio.TimeoutError, aiohttp.ClientError) as exc:
            error = self._error(request, exc)
        raise error  # outside the except block: no __context__ either

    def _with_ours(self, extra: Mapping[str, str]) -> CIMultiDict[str]:
        """``extra`` after this transport's headers, built once per header mapping the
        requests share (most requests carry one of two constant mappings): aiohttp copies a
        ``CIMultiDict`` as it is, but converts and merges a dict on every call. A mapping
        changed since it was cached no longer equals its snapshot and is merged afresh."""
        cached = self._merged.get(id(extra))
        if cached is not None and cached[0] == extra:
            return cached[1]
        merged = CIMultiDict({**self._headers, **extra})
        if len(self._merged) < _MERGED_KEPT:
            self._merged[id(extra)] = (dict(extra), merged)
        return merged

    def _error(self, request: Request, exc: BaseException) -> TransportError:
        # a connection that failed to open never carried the request
        sent = not isinstance(exc, (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError))
        if isinstance(exc, asyncio.TimeoutError):
            message = f"timed out {_describe(self._timeout)}"
        else:
            detail = self._redact.excerpt(str(exc), 400) or type(exc).__name__
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


_MERGED_KEPT = 16


def _env_proxy(base_url: str) -> str | None:
    """The proxy ``HTTPS_PROXY`` / ``HTTP_PROXY`` name for ``base_url`` unless ``NO_PROXY``
    exempts its host: read once, here, not through aiohttp's ``trust_env`` (which also reads
    ``.netrc`` and looks the variables up again on every request)."""
    parts = urlsplit(base_url)
    if proxy_bypass(parts.hostname or ""):
        return None
    return getproxies().get(parts.scheme)


def _client_timeout(timeout: float | aiohttp.ClientTimeout) -> aiohttp.ClientTimeout:
    if isinstance(timeout, aiohttp.ClientTimeout):
        return timeout
    return aiohttp.ClientTimeout(total=timeout)


def _describe(timeout: aiohttp.ClientTimeout) -> str:
    parts = ("total", "connect", "sock_connect", "sock_read")
    given = [f"{name}={getattr(timeout, name):g}s" for name in parts if getattr(timeout, name)]
    if given == [f"total={timeout.total:g}s"]:
        return f"after {timeout.total:g}s"
    return f"({', '.join(given)})"
