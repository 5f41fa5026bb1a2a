"""Learning the hidden workspace limit: pure arithmetic over send times (no loop, no sleep)."""

from __future__ import annotations

import pytest

from aelyst_async._throttle.learning import MARGIN, WARM_MARGIN, WorkspaceLearner

KEEP = 1 - MARGIN  # the share of a counted window the learner keeps


def burst(
    learner: WorkspaceLearner, count: int, *, start: float = 0.0, gap: float = 0.001
) -> float:
    """``count`` admitted requests sent ``gap`` apart from ``start``; returns the next send time."""
    t = start
    for _ in range(count):
        learner.admitted(sent_at=t, now=t + 0.002)
        t += gap
    return t


def steady(learner: WorkspaceLearner, rate: float, start: float, seconds: float) -> float:
    """Admitted requests at ``rate`` per second for ``seconds``; returns the end time."""
    t, gap = start, 1.0 / rate
    while t < start + seconds:
        learner.admitted(sent_at=t, now=t + 0.002)
        t += gap
    return t


def rate(learner: WorkspaceLearner) -> float:
    assert learner.rate is not None
    return learner.rate


def test_unlimited_until_the_first_refusal() -> None:
    learner = WorkspaceLearner(1.0)
    burst(learner, 500)
    assert learner.rate is None


def test_multiplicative_decrease_to_what_the_server_admitted_in_the_last_period() -> None:
    learner = WorkspaceLearner(1.0)
    t = burst(learner, 50)
    assert learner.refused(sent_at=t, epoch=0, now=t + 0.003) is True
    assert learner.rate == pytest.approx(50 * KEEP)
    assert learner.epoch == 1


def test_only_requests_sent_within_one_period_before_the_refused_one_count() -> None:
    learner = WorkspaceLearner(1.0)
    burst(learner, 30, start=0.0)  # an earlier window
    t = burst(learner, 20, start=1.5)
    learner.refused(sent_at=t, epoch=0, now=t + 0.01)
    assert learner.rate == pytest.approx(20 * KEEP)


def test_refusals_of_requests_sent_before_the_decrease_are_ignored() -> None:
    learner = WorkspaceLearner(1.0)
    t = burst(learner, 50)
    learner.refused(sent_at=t, epoch=0, now=t + 0.003)
    rate = learner.rate
    for i in range(20):  # the rest of the same storm, all sent at epoch 0
        assert learner.refused(sent_at=t + i * 1e-4, epoch=0, now=t + 0.01) is False
    assert learner.rate == rate


def test_late_admitted_answers_of_the_counted_window_raise_the_estimate() -> None:
    learner = WorkspaceLearner(1.0)
    for i in range(45):  # 45 answers arrived before the 429
        learner.admitted(sent_at=i * 0.001, now=0.06)
    learner.refused(sent_at=0.055, epoch=0, now=0.06)
    assert learner.rate == pytest.approx(45 * KEEP)
    for i in range(45, 50):  # 5 more, sent before the refused one, answered after it
        learner.admitted(sent_at=i * 0.001, now=0.07)
    assert learner.rate == pytest.approx(50 * KEEP)
    learner.admitted(sent_at=0.08, now=0.09)  # sent after: not part of that window
    assert learner.rate == pytest.approx(50 * KEEP)


def test_a_decrease_never_raises_the_rate() -> None:
    learner = WorkspaceLearner(1.0)
    t = burst(learner, 20)
    learner.refused(sent_at=t, epoch=0, now=t)
    t = burst(learner, 100, start=10.0, gap=0.0005)  # somehow many more admitted
    learner.refused(sent_at=t, epoch=1, now=t)
    assert learner.rate == pytest.approx(20 * KEEP)


def test_a_refusal_soon_after_a_decrease_steps_down_harder() -> None:
    # a first burst that straddled a fixed window's edge: 11 admitted before it, 50 after
    learner = WorkspaceLearner(1.0, hold=5)  # nothing is promoted in between
    t = burst(learner, 61)
    learner.refused(sent_at=t, epoch=0, now=t)
    assert learner.rate == pytest.approx(61 * KEEP)
    t = steady(learner, 59.17, 1.2, 1.7)  # paced at the wrong estimate, refused again
    learner.refused(sent_at=t, epoch=1, now=t)
    assert learner.rate == pytest.approx(61 * KEEP * (1 - 3 * MARGIN))


def test_counting_starts_when_the_servers_window_was_last_known_empty() -> None:
    learner = WorkspaceLearner(1.0)
    t = burst(learner, 61)
    learner.refused(sent_at=t, epoch=0, now=t)
    learner.cleared(at=1.2)  # a whole-period pause ended at 1.2
    t = steady(learner, 59.17, 1.2, 0.85)  # refused within a period of the resume
    learner.refused(sent_at=t, epoch=1, now=t)
    assert learner.rate == pytest.approx(50 * KEEP)  # only what the fresh window took


def test_nothing_admitted_halves_the_rate_down_to_a_floor() -> None:
    learner = WorkspaceLearner(1.0)
    t = burst(learner, 10)
    learner.refused(sent_at=t, epoch=0, now=t)
    learner.refused(sent_at=5.0, epoch=1, now=5.0)
    assert learner.rate == pytest.approx(10 * KEEP / 2)
    for epoch in range(2, 20):
        learner.refused(sent_at=10.0 + epoch * 2, epoch=epoch, now=10.0 + epoch * 2)
    assert learner.rate == learner.min_rate == 1.0


def test_a_first_refusal_with_nothing_admitted_guesses_no_rate() -> None:
    learner = WorkspaceLearner(1.0)
    assert not learner.refused(sent_at=0.01, epoch=0, now=0.02)
    assert (learner.rate, learner.epoch) == (None, 0)
    t = burst(learner, 20, start=2.0)
    assert learner.refused(sent_at=t, epoch=0, now=t)
    assert learner.rate == pytest.approx(20 * KEEP)


def learned(rate_: int = 50) -> tuple[WorkspaceLearner, float, float]:
    """A learner that met the limit after a burst of ``rate_``: (learner, its rate, time)."""
    learner = WorkspaceLearner(1.0)
    t = burst(learner, rate_)
    learner.refused(sent_at=t, epoch=0, now=t)
    return learner, rate(learner), t


def test_a_rate_in_use_becomes_the_best_then_probes_upward_within_seconds() -> None:
    learner, start, _ = learned()
    t = steady(learner, start, 1.0, 2.5)  # in use for longer than it takes to prove a rate
    assert learner.best == pytest.approx(start)
    assert rate(learner) == pytest.approx(start * 1.05)  # one first step above, at once
    rates = []
    for _ in range(6):  # every request keeps succeeding at the rate in force
        t = steady(learner, rate(learner), t, 2.0)
        rates.append(rate(learner))
    assert rates == sorted(rates)
    assert rates[-1] >= 2 * start  # the steps double: a raised limit is found in seconds
    assert learner.best is not None and learner.best > start


def test_a_refusal_well_below_the_best_lowers_the_best() -> None:
    learner, best, t = learned()
    t = steady(learner, best, 1.0, 1.1)
    assert learner.best == pytest.approx(best)
    t = steady(learner, 30.0, t + 1, 1.0)  # someone else now uses part of the workspace
    learner.refused(sent_at=t, epoch=learner.epoch, now=t)
    assert learner.best == pytest.approx(learner.rate)
    assert rate(learner) < 35


def test_a_failed_probe_goes_back_to_the_best_and_probes_get_rarer() -> None:
    learner, start, _ = learned()
    t = steady(learner, start, 1.0, 1.5)  # best proven, first probe made
    best = learner.best
    assert best is not None and rate(learner) > best
    gaps = []
    for _ in range(3):
        learner.refused(sent_at=t, epoch=learner.epoch, now=t)  # the probe is refused
        assert rate(learner) <= best + 1e-9
        assert learner.best == pytest.approx(best)
        refused_at = t
        while rate(learner) <= best + 1e-9:
            t = steady(learner, rate(learner), t, 0.25)
        gaps.append(t - refused_at)
    assert gaps == sorted(gaps) and gaps[-1] > 2 * gaps[0]  # the wait between probes doubles
    steady(learner, rate(learner), t, 200.0)
    assert learner.best is not None and learner.best > best  # the server never refused again


def test_an_idle_client_does_not_promote_its_rate() -> None:
    learner = WorkspaceLearner(1.0)
    t = burst(learner, 50)
    learner.refused(sent_at=t, epoch=0, now=t)
    steady(learner, 5.0, 1.0, 200.0)  # far below the rate: the rate was never tested
    assert learner.best is None
    assert learner.rate == pytest.approx(50 * KEEP)


def test_adopt_takes_a_rate_learned_elsewhere() -> None:
    learner = WorkspaceLearner(1.0)
    learner.adopt(40.0, now=3.0)
    assert learner.rate == 40.0
    learner.adopt(0.01, now=4.0)
    assert learner.rate == learner.min_rate


def test_the_warm_up_never_outgrows_what_the_client_could_send() -> None:
    """Issue 22: held on every send, no limit ever met, the allowance stops at WARM_MARGIN times
    the peak in flight per round trip (it doubled up to infinity before)."""
    learner = WorkspaceLearner(1.0)
    t = 0.0
    for _ in range(100_000):  # 2,000 s of 50 requests per second, 4 in flight, 80 ms away
        learner.sent(t, held=True, in_flight=4)
        learner.admitted(sent_at=t, now=t + 0.08)
        t += 0.02
    assert learner.rate is None
    assert learner.warm <= WARM_MARGIN * 4 / 0.08 * (1 + 1e-9)  # (the round trip is averaged)
    assert learner.warm >= 4 / 0.08  # and still above what the client sends
