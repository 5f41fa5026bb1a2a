"""Shared fixtures: a scriptable local API server and an aiohttp-3.14-compatible aioresponses."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from aioresponses import aioresponses

from tests.fake_api import FakeAPI, compatible_aioresponses


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
