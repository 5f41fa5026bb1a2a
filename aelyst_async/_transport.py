"""The I/O edge: sending a :class:`Request` with aiohttp and reading back a :class:`Response`.

Everything else talks to a :class:`Transport`, so tests can swap this edge for a fake.

>>> transport = AiohttpTransport("https://api.aelyst.ai/v1", headers={...}, timeout=30.0)
>>> response = await transport.send(request)
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Protocol

import aiohttp
from yarl import URL

from ._errors import TransportError
from ._sansio import Request, Response


class Transport(Protocol):
    """Sends one request and returns the raw response; raises TransportError on I/O failure."""

    async def send(self, request: Request) -> Response: ...

    async def aclose(self) -> None: ...


class AiohttpTransport:
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
        self._session = session
        self._owns_session = session is None
        self._redact = redact

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        if self._session.closed:
            raise RuntimeError("the aiohttp ClientSession given to AelystClient is closed")
        return self._session

    async def send(self, request: Request) -> Response:
        url = URL(self._base_url + request.path, encoded=True)
        headers = {**self._headers, **request.headers}
        try:
            async with self._get_session().request(
                request.method, url, data=request.body, headers=headers, timeout=self._timeout
            ) as resp:
                body = await resp.read()
                return Response(status=resp.status, headers=resp.headers, body=body)
        except asyncio.TimeoutError as exc:
            raise TransportError(
                f"timed out after {self._timeout.total:g}s",
                method=request.method,
                path=request.path,
            ) from exc
        except aiohttp.ClientError as exc:
            detail = self._redact(str(exc)) or type(exc).__name__
            raise TransportError(
                f"{type(exc).__name__}: {detail}", method=request.method, path=request.path
            ) from exc

    async def aclose(self) -> None:
        if self._owns_session and self._session is not None:
            await self._session.close()
