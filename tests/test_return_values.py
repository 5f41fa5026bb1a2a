"""contacts.create() and update_lifecycle() return the contactId the answer carries (issue 19);
None for the API's documented {code, message} answer, as the contract says."""

from __future__ import annotations

from typing import Any

import pytest

from aelyst_async import AelystClient, Contact, TransportError
from aelyst_async.testing import MockRequest, MockResponse, MockTransport

DONE = {"code": "200", "message": "Done"}  # the official types' answer


def answering(json: Any, status: int = 200) -> AelystClient:
    def handler(request: MockRequest) -> MockResponse:
        return MockResponse(status, json)

    return AelystClient("tok-returns", transport=MockTransport(handler))


@pytest.mark.parametrize(
    ("json", "status", "expected"),
    [({"contactId": 41}, 200, 41), ({"contactId": "41"}, 200, 41), (DONE, 200, None)],
)
async def test_create_returns_the_id_the_answer_carries(
    json: Any, status: int, expected: int | None
) -> None:
    async with answering(json, status) as client:
        assert await client.contacts.create("email:ana@example.com", Contact("Ana")) == expected


@pytest.mark.parametrize(
    ("identifier", "json", "status", "expected"),
    [
        ("email:ana@example.com", {"contactId": 9}, 200, 9),
        ("email:ana@example.com", DONE, 200, None),
        ("email:ana@example.com", None, 204, None),
        ("id:7", DONE, 200, None),  # never made up from the identifier
        ("id:7", None, 204, None),
        ("id:7", {"contactId": 9}, 200, 9),  # the answer wins
    ],
)
async def test_update_lifecycle_returns_the_id_the_answer_carries(
    identifier: str, json: Any, status: int, expected: int | None
) -> None:
    async with answering(json, status) as client:
        assert await client.contacts.update_lifecycle(identifier, "Customer") == expected


async def test_an_answer_that_is_not_an_object_is_still_refused() -> None:
    async with answering([1, 2]) as client:
        with pytest.raises(TransportError, match="not the documented JSON"):
            await client.contacts.update_lifecycle("id:7", "Customer")
