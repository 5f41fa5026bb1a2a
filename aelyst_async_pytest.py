"""The pytest plugin of aelyst_async (entry point ``pytest11``: ``aelyst_async``).

It only registers fixtures, and imports nothing but pytest until a test asks for one: a suite
that never uses them pays nothing and needs nothing (no pytest-asyncio, no autouse fixture).
The fixtures are plain (not async), so they work under pytest-asyncio (any mode, any loop
scope), anyio, or a sync test that runs its own loop.

- ``aelyst_sandbox``: a running :class:`~aelyst_async.sandbox.Sandbox` on a
  :class:`~aelyst_async.testing.VirtualClock` (``aelyst_sandbox.clock``), fresh for each test.
- ``aelyst_client``: an :class:`~aelyst_async.AelystClient` bound to it whose waits follow that
  clock: throttle waits, retry backoff and 449 delays take no real time.
- ``aelyst_sandbox_options``: the keyword arguments of that sandbox (``{}``); override it to
  change them::

      @pytest.fixture
      def aelyst_sandbox_options() -> dict[str, object]:
          return {"processing": 2.0, "per_path": 5}
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from aelyst_async import AelystClient
    from aelyst_async.sandbox import Sandbox


@pytest.fixture
def aelyst_sandbox_options() -> dict[str, Any]:
    """The keyword arguments of ``aelyst_sandbox``'s :class:`Sandbox`; override to change."""
    return {}


@pytest.fixture
def aelyst_sandbox(aelyst_sandbox_options: dict[str, Any]) -> Iterator[Sandbox]:
    """A running :class:`Sandbox` on a :class:`VirtualClock` (``.clock``), stopped after the
    test."""
    from aelyst_async.testing import running_sandbox

    with running_sandbox(**aelyst_sandbox_options) as sandbox:
        yield sandbox


@pytest.fixture
def aelyst_client(aelyst_sandbox: Sandbox) -> AelystClient:
    """An :class:`AelystClient` bound to ``aelyst_sandbox``, waiting on its virtual clock."""
    from aelyst_async.testing import sandbox_client

    return sandbox_client(aelyst_sandbox)
