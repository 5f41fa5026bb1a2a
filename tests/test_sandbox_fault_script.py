"""The one fault script the sandbox plays, for the API's calls (by operation) and its webhook
events (by event type)."""

from __future__ import annotations

import pytest

from aelyst_async.sandbox import Sandbox
from aelyst_async.sandbox._faults import Script


def test_lines_play_in_order_each_counted_off_then_gone() -> None:
    script: Script[str] = Script()
    script.add("lose", times=2, key="GET /space/user")
    script.add("fail", times=1, key=None)
    assert script.draw("GET /contacts") == "fail"  # the any-key line matches what the first skips
    assert [(e.kind, e.times, e.key) for e in script.entries] == [("lose", 2, "GET /space/user")]
    assert [script.draw("GET /space/user") for _ in range(3)] == ["lose", "lose", None]
    assert script.entries == []


def test_an_earlier_line_wins_over_a_later_one_that_also_matches() -> None:
    script: Script[str] = Script()
    script.add("duplicate", times=1, key=None)
    script.add("reorder", times=1, key="contact.created")
    assert [script.draw("contact.created") for _ in range(3)] == ["duplicate", "reorder", None]


def test_clear_forgets_every_line() -> None:
    script: Script[str] = Script()
    script.add("fail", times=3, key=None)
    script.clear()
    assert script.draw("GET /space/user") is None


@pytest.mark.parametrize("times", [0, -1, 1.0, True])
def test_the_api_and_the_webhooks_refuse_a_bad_count_alike(times: object) -> None:
    sb = Sandbox()
    with pytest.raises(ValueError, match=r"^times: an int >= 1 required$"):
        sb.inject_fault("lose", times=times)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^times: an int >= 1 required$"):
        sb.webhooks.inject_fault("duplicate", times=times)  # type: ignore[arg-type]
    assert sb.faults.pending() == []
    sb.store.close()


def test_pending_keeps_its_operation_field() -> None:
    sb = Sandbox()
    sb.inject_fault("lose", times=2, operation="GET /space/user")
    sb.inject_fault("malformed")
    assert sb.faults.pending() == [
        {"kind": "lose", "times": 2, "operation": "GET /space/user"},
        {"kind": "malformed", "times": 1, "operation": None},
    ]
    assert sb.faults.draw("GET /space/user") == "lose"
    assert sb.faults.pending()[0]["times"] == 1
    sb.store.close()
