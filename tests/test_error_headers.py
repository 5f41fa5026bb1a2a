"""Every APIError keeps the headers of the answer that raised it, and its request id."""

from __future__ import annotations

import pytest

from aelyst_async import AelystClient, APIError, BadRequestError, Contact, RetryPolicy, ServerError
from tests.fake_api import TOKEN
from tests.test_send import answer, replying
from tests.virtual_time import virtual_time

ANA = Contact("Ana", email="ana@example.com")


@virtual_time
async def test_an_api_error_keeps_the_answers_headers_and_request_id() -> None:
    headers = {"x-request-id": "req-42", "X-Trace": "t1"}
    client = AelystClient(transport=replying(answer(400, headers)), token=TOKEN)
    with pytest.raises(BadRequestError) as caught:
        await client.contacts.create_or_update("email:ana@example.com", ANA)
    error = caught.value
    assert error.request_id == "req-42"
    assert error.headers["X-TRACE"] == "t1"
    with pytest.raises(TypeError):
        error.headers["X-Trace"] = "changed"  # type: ignore[index]
    await client.aclose()


@virtual_time
async def test_the_error_after_retries_carries_the_last_answers_headers() -> None:
    script = [answer(503, {"X-Request-Id": f"req-{n}"}) for n in range(3)]
    client = AelystClient(
        transport=replying(*script), token=TOKEN, retry=RetryPolicy(max_attempts=3)
    )
    with pytest.raises(ServerError) as caught:
        await client.contacts.create_or_update("email:ana@example.com", ANA)
    assert caught.value.request_id == "req-2"
    await client.aclose()


def test_without_the_header_the_request_id_is_none() -> None:
    error = APIError("nope", status=418)
    assert error.request_id is None
    assert len(error.headers) == 0
