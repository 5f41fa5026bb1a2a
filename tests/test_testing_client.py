"""The client's messages for the mistakes tests reveal: a plain ``with``, a client never closed,
strict validation without the ``[validation]`` extra."""

from __future__ import annotations

import asyncio
import gc
import importlib
import warnings
from types import ModuleType
from typing import Any

import pytest

from aelyst_async import AelystClient, Contact
from aelyst_async._sansio.validate import formats
from aelyst_async._transports.aiohttp import AiohttpTransport
from aelyst_async.testing import MockRequest, MockResponse, MockTransport

TOKEN = "tok-client-5151"


def test_a_plain_with_says_async_with() -> None:
    client = AelystClient(TOKEN)
    with (
        pytest.raises(TypeError, match=r"async context manager: use 'async with AelystClient"),
        client,
    ):
        pass


async def test_a_client_never_closed_names_itself_and_says_async_with() -> None:
    reported: list[str] = []
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(lambda _loop, context: reported.append(context["message"]))
    client = AelystClient(TOKEN)
    transport = client._transport
    assert isinstance(transport, AiohttpTransport)
    await transport._sessions.get()  # what the first request does: open the session
    del client, transport
    with pytest.warns(ResourceWarning) as warned:
        gc.collect()
    messages = [str(w.message) for w in warned]
    assert [m for m in messages if "AelystClient" in m and "async with" in m]
    assert not [m for m in messages if TOKEN in m]
    assert [m for m in reported if "was never closed" in m and "async with" in m]
    loop.set_exception_handler(None)


async def test_closed_clients_views_and_unused_clients_say_nothing() -> None:
    async with AelystClient(TOKEN) as client:
        await client._transport._sessions.get()  # type: ignore[attr-defined]
        view = client.with_options(timeout=5)
        del view
        gc.collect()
    del client
    unused = AelystClient(TOKEN)
    del unused
    gc.collect()  # filterwarnings = error: any ResourceWarning would fail the test


@pytest.fixture
def no_validation_extra(monkeypatch: pytest.MonkeyPatch) -> Any:
    extra = {"email_validator", "phonenumbers", "pycountry"}
    real = importlib.import_module

    def import_module(name: str, package: str | None = None) -> ModuleType:
        if name in extra:
            raise ImportError(f"No module named {name!r}")
        return real(name, package)

    monkeypatch.setattr(importlib, "import_module", import_module)
    formats.optional_library.cache_clear()
    formats._warn_strict_fallback.cache_clear()
    yield
    monkeypatch.undo()
    formats.optional_library.cache_clear()
    formats._warn_strict_fallback.cache_clear()


@pytest.mark.usefixtures("no_validation_extra")
async def test_strict_validation_without_the_extra_warns_once() -> None:
    def handler(request: MockRequest) -> MockResponse:
        return MockResponse(200, {"contactId": 1})

    client = AelystClient(TOKEN, transport=MockTransport(handler))
    contact = Contact("Ana", phone="+60123456789", email="ana@example.com", country_code="MY")
    with pytest.warns(UserWarning, match=r"needs the \[validation\] extra") as warned:
        await client.contacts.create_or_update("phone:+60123456789", contact)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a second warning would raise here
        await client.contacts.create_or_update("email:ana@example.com", contact)
    assert len(warned) == 1
    assert "validation='basic'" in str(warned[0].message)
