"""The benchmark's measure of "the allowed rate" over a limit that changes on a schedule."""

from __future__ import annotations

import json

import pytest

from benchmarks._serve import sandbox_options
from benchmarks.scenarios import allowed_between, changing, scenarios, seconds_for, workspace

SCHEDULE = ((0.0, 80.0), (12.0, 30.0), (24.0, 80.0))


def test_the_allowed_requests_are_the_integral_of_the_schedule() -> None:
    assert allowed_between(SCHEDULE, 0.0, 12.0) == pytest.approx(960.0)
    assert allowed_between(SCHEDULE, 10.0, 14.0) == pytest.approx(2 * 80 + 2 * 30)
    assert allowed_between(SCHEDULE, 3.0, 36.0) == pytest.approx(9 * 80 + 12 * 30 + 12 * 80)
    assert allowed_between(SCHEDULE, 40.0, 41.0) == pytest.approx(80.0)  # the last step lasts
    assert allowed_between(SCHEDULE, 5.0, 5.0) == 0.0


def test_the_ideal_time_is_when_the_schedule_has_allowed_the_work() -> None:
    assert seconds_for(SCHEDULE, 960) == pytest.approx(12.0)
    assert seconds_for(SCHEDULE, 960 + 15) == pytest.approx(12.5)
    assert seconds_for(SCHEDULE, 2280) == pytest.approx(36.0)


def test_a_changing_limit_runs_all_its_work_through_every_step() -> None:
    scenario = changing([80, 30, 80], 12)
    assert scenario.schedule == SCHEDULE
    assert scenario.sdk_items == scenario.alt_items == 2280
    assert scenario.sandbox["workspace"] == 80
    options = sandbox_options(json.dumps(dict(scenario.sandbox)))
    assert options["workspace_schedule"] == [(12.0, 30), (24.0, 80)]
    assert scenario.right_rate == 80.0


def test_workspace_scenarios_send_distinct_contacts_and_path_ones_a_single_contact() -> None:
    w = workspace(100, 30, 8)
    assert (w.sdk_items, w.alt_items) == (3000, 800)
    assert len({item.identifier for item in w.items(50)}) == 50
    path = next(s for s in scenarios(quick=False) if s.key == "path-5")
    assert len({item.identifier for item in path.items(20)}) == 1
    assert path.sandbox["per_path"] == 5 and "workspace" not in path.sandbox
    keys = [s.key for s in scenarios(quick=False)]
    for key in ("workspace-50", "workspace-100", "workspace-200", "workspace-1000", "path-3",
                "path-10", "workspace-80-30-80", "loopback-path-5-sliding"):  # fmt: skip
        assert key in keys
