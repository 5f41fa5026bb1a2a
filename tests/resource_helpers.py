"""A client on a scripted transport that records every request, for the resource tests."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from aelyst_async import AelystClient, RateLimitPolicy, RetryPolicy, TransportError
from aelyst_async._sansio.request import Request
from aelyst_async._sansio.response import Response

TOKEN = "resource-token-9f2"


def reply(
    status: int = 200, body: Any = None, headers: Mapping[str, str] | None = None
) -> Response:
    """An answer with a JSON ``body`` (the API's error body for an error status by default)."""
    if body is None and status >= 300:
        body = {"code": status, "message": f"error {status}"}
    return Response(status, dict(headers or {}), json.dumps(body).encode())


def page(items: list[Any], cursor: str | None = None) -> Response:
    """A list page whose ``pagination.next`` carries ``cursor`` (None: the last page)."""
    next_url = None if cursor is None else f"https://api.aelyst.ai/v1/x?limit=2&cursorId={cursor}"
    return reply(200, {"items": items, "pagination": {"next": next_url, "previous": None}})


@attrs.frozen
class Sent:
    """One request as the transport got it."""

    method: str
    path: str
    body: bytes
    idempotent: bool

    def json(self) -> Any:
        return json.loads(self.body)


Handler = Callable[[Request], "Response | TransportError"]


class ScriptedTransport:
    """Answers each request with the next scripted Response (or raises the TransportError);
    with a ``handler``, with what the handler answers instead (a stateful fake API)."""

    def __init__(self, *script: Response | TransportError, handler: Handler | None = None):
        self.script = list(script)
        self.handler = handler
        self.sent: list[Sent] = []

    async def send(self, request: Request) -> Response:
        self.sent.append(Sent(request.method, request.path, request.body, request.idempotent))
        if self.handler is not None:
            outcome = self.handler(request)
        elif not self.script:
            raise AssertionError(f"unscripted request {request.method} {request.path}")
        else:
            outcome = self.script.pop(0)
        if isinstance(outcome, TransportError):
            raise outcome
        return outcome

    def with_timeout(self, timeout: float) -> ScriptedTransport:
        return self

    async def aclose(self) -> None:
        pass


def scripted_client(
    *script: Response | TransportError, validation: str = "basic"
) -> tuple[AelystClient, ScriptedTransport]:
    """A client whose requests go to a :class:`ScriptedTransport` (no throttle waits)."""
    transport = ScriptedTransport(*script)
    client = AelystClient(
        token=TOKEN,
        rate_limit=RateLimitPolicy(per_path=1000),
        retry=RetryPolicy(max_attempts=4),
        validation=validation,  # type: ignore[arg-type]
        _transport=transport,
    )
    return client, transport


LOST = TransportError("ServerDisconnectedError: the answer was lost")
"""A request written whose answer never came (the API may have applied it)."""
NOT_WRITTEN = TransportError("ClientConnectorError: refused", request_sent=False)
"""A connection that failed before the request was written (the API surely did not see it)."""
