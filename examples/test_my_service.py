"""Testing code that uses aelyst_async: copy this file (and its conftest.py-free setup: the
fixtures come with the package's pytest plugin).

Two ways, both without any real wait:

- ``aelyst_client`` / ``aelyst_sandbox``: a real local API (rate limits, validation, the 449 of
  a contact still being processed) on a virtual clock the client's waits follow;
- ``MockTransport``: answers of your own, for the cases a sandbox cannot play (an outage).

The orders below would take over 10 s of throttle waits against the real API (5 requests per
second on one path); here they take milliseconds, and the tests assert the virtual seconds.
"""

from __future__ import annotations

import pytest

from aelyst_async import AelystClient, MaybeAppliedError, ServerError
from aelyst_async.sandbox import Sandbox
from aelyst_async.testing import MockRequest, MockResponse, MockTransport

from .my_service import record_orders

ORDERS = [(f"A-{n:03}", 10.0 + n) for n in range(55)]


async def test_orders_land_on_the_contact(
    aelyst_client: AelystClient, aelyst_sandbox: Sandbox
) -> None:
    contact_id = await record_orders(aelyst_client, "ana@example.com", "Ana", ORDERS)

    stored = aelyst_sandbox.store.find_by_email("ana@example.com")
    assert stored is not None
    assert stored["id"] == contact_id
    comments = aelyst_sandbox.space.comments[contact_id]
    assert [c["text"] for c in comments[:2]] == ["Order A-000: 10.00 EUR", "Order A-001: 11.00 EUR"]
    assert len(comments) == len(ORDERS)
    assert aelyst_sandbox.stats.rate_limited == 0  # the client kept under the limit...
    assert aelyst_sandbox.clock() >= 10  # ...by waiting 10 s of virtual time


class TestAContactStillBeingProcessed:
    """Right after a create the API answers 449 for a while; the client waits (60 s) and
    retries. Sandbox options come from the ``aelyst_sandbox_options`` fixture."""

    @pytest.fixture
    def aelyst_sandbox_options(self) -> dict[str, object]:
        return {"processing": 2.0}

    async def test_the_comments_wait_for_it(
        self, aelyst_client: AelystClient, aelyst_sandbox: Sandbox
    ) -> None:
        contact_id = await record_orders(aelyst_client, "bob@example.com", "Bob", ORDERS[:1])

        assert len(aelyst_sandbox.space.comments[contact_id]) == 1
        assert aelyst_sandbox.stats.queued == 1
        assert aelyst_sandbox.clock() >= 2.0


async def test_an_outage_reaches_the_caller() -> None:
    def api(request: MockRequest) -> MockResponse:
        return MockResponse(503, {"code": 503, "message": "Service Unavailable"})

    transport = MockTransport(api)
    client = AelystClient("test-token", transport=transport)

    with pytest.raises(ServerError) as caught:
        await record_orders(client, "ana@example.com", "Ana", ORDERS)

    assert caught.value.attempts == 6  # the default RetryPolicy tried 6 times...
    assert transport.clock.now > 0  # ...backing off on the mock's virtual clock
    assert {(r.method, r.path) for r in transport.requests} == {
        ("POST", "/contact/create_or_update/email:ana@example.com")
    }


async def test_a_comment_that_may_have_landed_is_not_sent_twice() -> None:
    def api(request: MockRequest) -> MockResponse:
        if request.path.startswith("/contact/create_or_update/"):
            return MockResponse(200, {"contactId": 7})
        return MockResponse(500, {"code": 500, "message": "Unexpected error occurred"})

    transport = MockTransport(api)
    client = AelystClient("test-token", transport=transport)

    with pytest.raises(MaybeAppliedError):
        await record_orders(client, "ana@example.com", "Ana", ORDERS)

    assert [r.json for r in transport.requests[1:]] == [{"text": "Order A-000: 10.00 EUR"}]
