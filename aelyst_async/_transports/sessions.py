"""The aiohttp session of a transport (and its views), following the running event loop.

An aiohttp session belongs to the loop it was made on. The session the client creates is made
on first use in each loop and closed when that loop shuts down (``asyncio.run``'s end), on
:meth:`Sessions.aclose`, or, when the client moves to another loop first, then. A session
passed in (borrowed) is the caller's: used from any other loop than its own, it raises
:class:`EventLoopError`.

aiohttp sends a GET, PUT or DELETE a second time by itself when a reused connection drops
before the answer; only the SDK may decide to send again (a tag rename is a PUT that must not
be repeated), so that hidden re-send is switched off on every session, borrowed or not.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

import aiohttp

from .._errors import EventLoopError
from .._loops import close_at_loop_end, finish_on


class Sessions:
    """The one session of a transport and its views: borrowed, or created per event loop."""

    def __init__(self, session: aiohttp.ClientSession | None) -> None:
        self._borrowed = session
        if session is not None:
            _no_hidden_resend(session)
        self._owned: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closer: AsyncGenerator[None, None] | None = None

    @property
    def session(self) -> aiohttp.ClientSession | None:
        """The session in use (None before the first request of a client that owns it)."""
        return self._borrowed or self._owned

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        """The event loop of the open session the client created, or None."""
        owned = self._owned
        return None if owned is None or owned.closed else self._loop

    def ready(self) -> aiohttp.ClientSession | None:
        """The session :meth:`get` would return without any work (the one this client made
        on the running loop, open), else None: then await :meth:`get`."""
        owned = self._owned
        if owned is None or owned.closed or self._loop is not asyncio.get_running_loop():
            return None
        return owned if self._borrowed is None else None

    async def get(self) -> aiohttp.ClientSession:
        """The session for a request on the running loop."""
        loop = asyncio.get_running_loop()
        borrowed = self._borrowed
        if borrowed is not None:
            if borrowed.closed:
                raise RuntimeError("the aiohttp ClientSession given to AelystClient is closed")
            home = getattr(borrowed, "_loop", loop)  # no public accessor (it is deprecated)
            if home is not loop:
                raise EventLoopError(
                    "the aiohttp ClientSession given to AelystClient(session=...) belongs to "
                    "another event loop; create the session (and the client) in the loop that "
                    "uses them, or let the client create its own session, which follows the "
                    "running loop"
                )
            return borrowed
        if self._owned is None or self._owned.closed or self._loop is not loop:
            previous = self._owned, self._loop, self._closer
            self._owned = session = aiohttp.ClientSession(
                # limit=0: bulk's concurrency, not aiohttp's default of 100, is the cap
                connector=aiohttp.TCPConnector(limit=0)
            )
            _no_hidden_resend(session)
            self._loop = loop
            self._closer = close_at_loop_end(session.close)
            await _close(*previous)
        return self._owned

    async def aclose(self) -> None:
        """Close the session the client created (a borrowed one is left open)."""
        previous = self._owned, self._loop, self._closer
        self._owned = self._loop = self._closer = None
        await _close(*previous)


async def _close(
    session: aiohttp.ClientSession | None,
    loop: asyncio.AbstractEventLoop | None,
    closer: AsyncGenerator[None, None] | None,
) -> None:
    """Close an owned ``session`` of ``loop``, whichever loop is running now."""
    if session is None or loop is None or closer is None or session.closed:
        return
    if loop is asyncio.get_running_loop():
        await closer.aclose()
    elif loop.is_closed():
        # its loop ended without shutting down async generators (loop.close() alone): mark
        # it closed; its connections went with that loop
        await session.close()
    else:  # a live loop with no call in flight: closed there when that loop next runs
        finish_on(loop, closer)


def _no_hidden_resend(session: aiohttp.ClientSession) -> None:
    # aiohttp has no public switch (aio-libs/aiohttp#10790); its own test client sets this
    if hasattr(session, "_retry_connection"):
        session._retry_connection = False
