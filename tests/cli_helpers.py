"""Helpers of the ``aelyst`` command tests: running the real entry point, counting what a
sandbox received."""

from __future__ import annotations

import asyncio

from aelyst_async._cli import main
from aelyst_async.sandbox import Sandbox

UPSERT = "POST /contact/create_or_update/{identifier}"
FIELDS = "GET /space/custom_field"


async def aelyst(*argv: str) -> int:
    """``aelyst ARGV...`` through the real entry point, in a worker thread (the command runs
    its own event loop) while the test's loop serves the sandbox (argparse's exit as a code)."""
    try:
        return await asyncio.to_thread(main, list(argv))
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 2


def upserts(sb: Sandbox) -> int:
    """How many create-or-update requests ``sb`` received."""
    return sb.stats.operations.get(UPSERT, 0)


def calls(sb: Sandbox, operation: str) -> int:
    """How many requests of ``operation`` (e.g. ``"POST /contact/{identifier}/tag"``) ``sb``
    received."""
    return sb.stats.operations.get(operation, 0)
