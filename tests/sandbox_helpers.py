"""Helpers for the sandbox tests: sandboxes started on a fake clock, and a raw client."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import aiohttp
import attrs
from yarl import URL

from aelyst_async.sandbox import FakeClock, Sandbox

EXAMPLE_BODY: dict[str, Any] = {
    "firstName": "Muhammad ",
    "lastName": "Mahin",
    "phone": "+60123456789",
    "email": "test@example.com",
    "language": "ms",
    "profilePic": "https://cdn.aelyst.ai/profile_avatar.png",
    "countryCode": "MY",
    "custom_fields": [{"name": "Company Website", "value": "https://example.com"}],
}
"""The API documentation's example body."""


@attrs.frozen
class Reply:
    """A response read in full."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@attrs.frozen
class Api:
    """A started sandbox and a session to send raw requests to it."""

    sb: Sandbox
    session: aiohttp.ClientSession

    async def upsert(
        self,
        identifier: str,
        body: object = None,
        *,
        data: bytes | None = None,
        token: str | None = "default",
        method: str = "POST",
    ) -> Reply:
        """Send ``identifier`` as the raw (already encoded) last path segment."""
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {self.sb.token if token == 'default' else token}"
        if data is None:
            data = json.dumps({"firstName": "Ana"} if body is None else body).encode()
        url = URL(f"{self.sb.base_url}/contact/create_or_update/{identifier}", encoded=True)
        async with self.session.request(method, url, data=data, headers=headers) as resp:
            return Reply(resp.status, dict(resp.headers), await resp.read())

    async def call(
        self,
        method: str,
        path: str,
        body: object = None,
        *,
        data: bytes | None = None,
        token: str | None = "default",
    ) -> Reply:
        """``method`` on ``path`` under the base URL, raw (already encoded), query included;
        ``body`` sent as JSON unless None (``data``: raw bytes)."""
        headers = {}
        if token is not None:
            headers["Authorization"] = f"Bearer {self.sb.token if token == 'default' else token}"
        if data is None and body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        url = URL(f"{self.sb.base_url}{path}", encoded=True)
        async with self.session.request(method, url, data=data, headers=headers) as resp:
            return Reply(resp.status, dict(resp.headers), await resp.read())

    async def ok(self, method: str, path: str, body: object = None) -> Any:
        """The JSON of a call that must answer 200."""
        reply = await self.call(method, path, body)
        assert reply.status == 200, (reply.status, reply.body)
        return reply.json()

    async def get(self, path: str, method: str = "GET") -> Reply:
        """A request to ``path`` under the server root (e.g. ``/_sandbox/stats``)."""
        async with self.session.request(method, URL(self.sb.url + path, encoded=True)) as resp:
            return Reply(resp.status, dict(resp.headers), await resp.read())

    async def admin(self, path: str, body: object) -> Reply:
        """POST ``body`` as JSON to ``path`` under the server root, e.g. ``/_sandbox/workspace``."""
        url = URL(self.sb.url + path, encoded=True)
        async with self.session.post(url, data=json.dumps(body).encode()) as resp:
            return Reply(resp.status, dict(resp.headers), await resp.read())


Start = Callable[..., Awaitable[Api]]


def error_body(status: int, message: str) -> bytes:
    return json.dumps({"code": status, "message": message}).encode()


@asynccontextmanager
async def sandboxes(clock: FakeClock) -> AsyncIterator[Start]:
    """``await start(**options)`` runs a sandbox on ``clock`` unless told otherwise and returns
    an :class:`Api`; every sandbox started is closed on exit."""
    async with AsyncExitStack() as stack:
        session = await stack.enter_async_context(aiohttp.ClientSession())

        async def start(**options: Any) -> Api:
            options.setdefault("clock", clock)
            return Api(await stack.enter_async_context(Sandbox(**options)), session)

        yield start
