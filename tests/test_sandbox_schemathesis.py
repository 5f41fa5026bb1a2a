"""The sandbox against its own OpenAPI document with schemathesis: every check, positive and
negative data, bounded (few derandomized examples per operation) so it runs in CI."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from aelyst_async.sandbox import Sandbox
from aelyst_async.sandbox._openapi import build_document

schema = schemathesis.openapi.from_dict(build_document())


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    """A sandbox with limits out of the way, served from a thread of its own."""
    loop = asyncio.new_event_loop()
    sandbox = Sandbox(per_path=10**9)
    started = threading.Event()
    stop = asyncio.Event()

    async def serve() -> None:
        async with sandbox:
            started.set()
            await stop.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    assert started.wait(10)
    try:
        yield sandbox.base_url
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)
        loop.close()


@schema.parametrize()
@settings(
    max_examples=10,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_sandbox_conforms_to_its_openapi_document(case: schemathesis.Case, base_url: str) -> None:
    case.call_and_validate(base_url=base_url, headers={"Authorization": "Bearer sandbox-token"})
