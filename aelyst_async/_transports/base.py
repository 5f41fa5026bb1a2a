"""The transport interface: everything above the I/O edge talks to a :class:`Transport`."""

from __future__ import annotations

from typing import Protocol

from .._sansio.request import Request
from .._sansio.response import Response


class Transport(Protocol):
    """Sends one request and returns the raw response; raises TransportError on I/O failure."""

    async def send(self, request: Request) -> Response: ...

    def with_timeout(self, timeout: float) -> Transport:
        """A transport over the same connections whose requests time out after ``timeout``."""
        ...

    async def aclose(self) -> None: ...
