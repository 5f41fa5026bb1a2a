"""A client on the mock transport, answering from a script, for the resource tests."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aelyst_async import AelystClient, RateLimitPolicy, RetryPolicy, TransportError
from aelyst_async._sansio.response import Response
from tests.mock_transport import MockTransport

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


def scripted_client(
    *script: Response | TransportError, validation: str = "basic"
) -> tuple[AelystClient, MockTransport]:
    """A client whose requests go to a :class:`MockTransport` (no throttle waits)."""
    transport = MockTransport(*script)
    client = AelystClient(
        TOKEN,
        transport=transport,
        rate_limit=RateLimitPolicy(per_path=1000),
        retry=RetryPolicy(max_attempts=4),
        validation=validation,
    )
    return client, transport


LOST = TransportError("ServerDisconnectedError: the answer was lost")
"""A request written whose answer never came (the API may have applied it)."""
NOT_WRITTEN = TransportError("ClientConnectorError: refused", request_sent=False)
"""A connection that failed before the request was written (the API surely did not see it)."""
