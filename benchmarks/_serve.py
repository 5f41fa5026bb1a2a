"""``python -m benchmarks._serve OPTIONS_JSON``: a :class:`~aelyst_async.sandbox.Sandbox` in the
foreground with any of its public options, stopped by SIGTERM or SIGINT.

The ``aelyst sandbox`` command exposes only the common options; the benchmarks also need
``latency_jitter`` and ``workspace_schedule``. ``OPTIONS_JSON`` is a JSON object of keyword
arguments (``workspace_schedule`` as a list of ``[at_seconds, limit]`` pairs). Prints the same
``Aelyst sandbox running at URL`` line as the command once it listens.

    python -m benchmarks._serve '{"port": 0, "latency": 0.25, "latency_jitter": 0.05, "seed": 1}'
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
from typing import Any

from aelyst_async.sandbox import Sandbox


def sandbox_options(text: str) -> dict[str, Any]:
    """The keyword arguments of ``Sandbox`` from their JSON form."""
    options: dict[str, Any] = json.loads(text)
    if "workspace_schedule" in options:
        options["workspace_schedule"] = [tuple(step) for step in options["workspace_schedule"]]
    return options


async def serve(options: dict[str, Any]) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    async with Sandbox(**options) as sandbox:
        print(f"Aelyst sandbox running at {sandbox.base_url}", flush=True)
        await stop.wait()


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    asyncio.run(serve(sandbox_options(argv[0])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
