"""Test doubles for the HTTP edge: a scriptable real server, and an aioresponses shim."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Iterator, Mapping
from typing import Any

import aiohttp
import attrs
from aiohttp import web
from aiohttp.test_utils import TestServer
from aioresponses import aioresponses
from aioresponses import core as aioresponses_core

TOKEN = "test-token-5b1e0c"


@attrs.frozen
class Recorded:
    """One request as the server saw it."""

    method: str
    raw_path: str
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@attrs.frozen
class Scripted:
    """One scripted answer; ``hang`` never answers (for timeouts)."""

    status: int = 200
    body: bytes | None = None
    headers: Mapping[str, str] = attrs.field(factory=dict)
    json: Any = None
    hang: bool = False


class FakeAPI:
    """A real loopback server: records every request and answers from a script.

    >>> async with FakeAPI() as api:
    ...     api.answer(Scripted(json={"contactId": 7}))
    """

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._script: list[Scripted] = []
        self.default = Scripted(json={"contactId": 1})
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._server = TestServer(app, host="127.0.0.1")

    @property
    def base_url(self) -> str:
        return str(self._server.make_url("/v1"))

    def answer(self, *answers: Scripted) -> None:
        self._script.extend(answers)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(
            Recorded(request.method, request.raw_path, dict(request.headers), await request.read())
        )
        answer = self._script.pop(0) if self._script else self.default
        if answer.hang:
            await asyncio.Event().wait()
        body = answer.body if answer.body is not None else json.dumps(answer.json).encode()
        return web.Response(
            status=answer.status,
            body=body,
            headers={"Content-Type": "application/json", **answer.headers},
        )

    async def __aenter__(self) -> FakeAPI:
        await self._server.start_server()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._server.close()


class _NoStreamWriter:
    output_size = 0


class _CompatClientResponse(aiohttp.ClientResponse):
    """aioresponses 0.7.9 builds responses without aiohttp 3.14's ``stream_writer`` argument
    (pnuckowski/aioresponses#289); supply an inert one."""

    def __init__(self, method: str, url: Any, **kwargs: Any) -> None:
        kwargs.setdefault("stream_writer", _NoStreamWriter())
        super().__init__(method, url, **kwargs)


@contextlib.contextmanager
def compatible_aioresponses() -> Iterator[aioresponses]:
    """``aioresponses()`` that also works on aiohttp 3.14."""
    original = aioresponses_core.ClientResponse
    aioresponses_core.ClientResponse = _CompatClientResponse  # type: ignore[misc]
    try:
        with aioresponses() as mocked:
            yield mocked
    finally:
        aioresponses_core.ClientResponse = original  # type: ignore[misc]
