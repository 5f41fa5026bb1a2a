"""One request's journey after it is built: throttle, transport, interpretation, retries.

The throttle and the retry policy plug in here (see ``_throttle`` and ``_retry``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from ._sansio import Request, Response
from ._transport import Transport

T = TypeVar("T")


class Pipeline:
    """Sends requests for one client and interprets their responses."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    async def send(
        self, request: Request, interpret: Callable[[Request, Response], T]
    ) -> tuple[T, int]:
        """The interpreted result of ``request`` and the number of attempts it took."""
        response = await self._transport.send(request)
        return interpret(request, response), 1
