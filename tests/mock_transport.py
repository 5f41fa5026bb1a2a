"""The one test transport: answers each request from a script (or a handler) and records it.

Clients take it as ``AelystClient(token, transport=transport, **options)``; a
:class:`~aelyst_async._send.Sender` takes it directly. It works on the SDK's own
:class:`Request` / :class:`Response` (bytes, scripts, send times); users mock with the public
``aelyst_async.testing.MockTransport`` (JSON in, JSON out).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from aelyst_async import TransportError
from aelyst_async._sansio.request import Request
from aelyst_async._sansio.response import Response
from aelyst_async._transports.base import Transport

Answer = Response | TransportError
Handler = Callable[[Request], Answer]


@attrs.frozen
class Sent:
    """One request as the transport got it, and the loop time it got it at."""

    method: str
    path: str
    body: bytes
    idempotent: bool
    headers: Mapping[str, str] = attrs.field(factory=dict)
    at: float = attrs.field(default=0.0, eq=False)  # two sends of one request are equal

    def json(self) -> Any:
        return json.loads(self.body)


class MockTransport(Transport):
    """Answers each request with the next scripted :class:`Response` (or raises the scripted
    :class:`TransportError`); with a ``handler``, with what the handler answers for the request
    (a stateful fake API). When the script runs out it answers ``default``, or fails the test.
    ``latency``: seconds each answer takes (under virtual time, no real wait)."""

    def __init__(
        self,
        *script: Answer,
        handler: Handler | None = None,
        default: Answer | None = None,
        latency: float = 0.0,
    ) -> None:
        self.script = list(script)
        self.handler = handler
        self.default = default
        self.latency = latency
        self.sent: list[Sent] = []

    @property
    def times(self) -> list[float]:
        """The loop times the requests were sent at."""
        return [sent.at for sent in self.sent]

    async def send(self, request: Request) -> Response:
        now = asyncio.get_running_loop().time()
        self.sent.append(
            Sent(
                request.method,
                request.path,
                request.body,
                request.idempotent,
                dict(request.headers),
                now,
            )
        )
        if self.latency:
            await asyncio.sleep(self.latency)
        if self.handler is not None:
            answer = self.handler(request)
        elif self.script:
            answer = self.script.pop(0)
        elif self.default is not None:
            answer = self.default
        else:
            raise AssertionError(f"unscripted request {request.method} {request.path}")
        if isinstance(answer, TransportError):
            raise answer
        return answer
