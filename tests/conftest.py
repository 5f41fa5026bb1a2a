"""Shared fixtures: a scriptable local API server, an aiohttp-3.14-compatible aioresponses, and
a real redis-server for the shared-throttle tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from aioresponses import aioresponses

from tests.fake_api import FakeAPI, compatible_aioresponses
from tests.redis_server import RedisServer


@pytest.fixture
async def fake_api() -> AsyncIterator[FakeAPI]:
    """A real aiohttp.web server on loopback that records requests and plays scripted answers."""
    async with FakeAPI() as api:
        yield api


@pytest.fixture
def mock_aiohttp() -> Iterator[aioresponses]:
    """aioresponses, working on aiohttp 3.14 (see tests/fake_api.py)."""
    with compatible_aioresponses() as mocked:
        yield mocked


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A real redis-server on a free loopback port for the whole session (see redis_server.py).

    Tests share it: give each its own namespace. Skips without the binary, fails under CI=true.
    """
    with RedisServer(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture
def own_redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of this test's own, which it may stop and start again (same port)."""
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()
