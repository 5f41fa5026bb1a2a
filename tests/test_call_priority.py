"""Priority reaches the throttle: a service's call passes before an import's queued requests
(issue 19). Order of requests at a MockTransport on its virtual clock; no real time."""

from __future__ import annotations

import asyncio

from aelyst_async import AelystClient, Contact, RateLimitPolicy
from aelyst_async.testing import MockRequest, MockResponse, MockTransport

TOKEN = "tok-priority-1"
ITEMS = [Contact(f"C{i}", email=f"c{i}@example.com") for i in range(12)]
PROBE = "/contact/id:99"


class Importing:
    """A client whose workspace takes two requests a second (a bulk run queues at the
    workspace gate); ``started`` is set once two upserts were sent."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.transport = MockTransport(self.handler)
        policy = RateLimitPolicy(workspace=2, period=1.0)
        self.client = AelystClient(TOKEN, transport=self.transport, rate_limit=policy)

    def handler(self, request: MockRequest) -> MockResponse:
        if request.method == "GET":
            return MockResponse(200, {"id": 99, "firstName": "Probe"})
        if len(self.transport.requests) >= 2:
            self.started.set()
        return MockResponse(200, {"contactId": 1})


async def probe_during_import(
    importing: Importing, bulk_client: AelystClient, caller: AelystClient
) -> list[str]:
    """Start a bulk run, issue one GET while its items queue, and return the paths in the
    order the transport got them."""
    run = asyncio.create_task(bulk_client.contacts.bulk_upsert(ITEMS, concurrency=8))
    await importing.started.wait()
    record = await caller.contacts.get("id:99")
    assert record.id == 99
    report = await run
    assert report.succeeded == len(ITEMS)
    return [request.path for request in importing.transport.requests]


async def test_a_call_passes_before_the_queued_requests_of_a_bulk_run() -> None:
    importing = Importing()
    client = importing.client
    async with client:
        paths = await probe_during_import(importing, client, client)
    at = paths.index(PROBE)
    # at most the bulk request holding the gate's turn goes between: then the probe, at
    # "normal" over the bulk run's "low", ahead of every other queued item
    assert at <= 3
    assert len(paths) - at - 1 >= 6  # most of the import was still queued behind it


async def test_a_high_priority_view_passes_before_a_bulk_run_too() -> None:
    importing = Importing()
    client = importing.client
    async with client:
        paths = await probe_during_import(importing, client, client.with_options(priority="high"))
    assert paths.index(PROBE) <= 3


async def test_a_bulk_run_on_a_priority_view_runs_at_that_priority() -> None:
    importing = Importing()
    client = importing.client
    async with client:
        # the import is "high" here: a plain call ("normal") waits behind its queued items
        paths = await probe_during_import(importing, client.with_options(priority="high"), client)
    assert paths.index(PROBE) >= 8
