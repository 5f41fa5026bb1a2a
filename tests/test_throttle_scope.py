"""What a budget is kept for (issue 23): the method and the path, never the query."""

from __future__ import annotations

from aelyst_async._sansio.operations import CONTACT_LIST
from aelyst_async._sansio.request import build_request
from aelyst_async._throttle import RateLimitPolicy, Throttle
from tests.test_throttle import call, limits, max_in_window, now
from tests.virtual_time import virtual_time


def test_the_pages_of_a_listing_share_one_key() -> None:
    first = build_request(CONTACT_LIST, query={"limit": 100}, body={})
    later = build_request(CONTACT_LIST, query={"limit": 100, "cursorId": 12345}, body={})
    assert "?" in later.path
    assert first.rate_limit_key == later.rate_limit_key == "POST /contact/list"


@virtual_time
async def test_paging_keeps_to_the_paths_budget() -> None:
    throttle = Throttle(RateLimitPolicy(per_path=5))
    times = []
    for cursor in range(30):  # 30 pages, as fast as the throttle lets them go
        request = build_request(CONTACT_LIST, query={"cursorId": cursor}, body={})
        times.append(await call(throttle, request.rate_limit_key, headers=limits(5, 4)))
    assert max_in_window(times) <= 5  # one budget: never more than 5 pages in any second
    assert now() >= 5.0
