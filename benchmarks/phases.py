"""Per-phase figures of a run under a hidden limit that changes on a schedule.

For each step of the schedule: the share of its limit sent and admitted from ``SETTLE`` s after
the change to the next one (by send time), the 429 share of the requests sent meanwhile, and the
seconds from the change until one second's admitted requests first reach ``REACH`` of the new
limit (None: never within the phase).
"""

from __future__ import annotations

from dataclasses import dataclass

from ._measure import Timeline
from ._report import md_table
from .scenarios import Schedule

SETTLE = 3.0
REACH = 0.9
STEP = 0.1


@dataclass(frozen=True)
class Phase:
    start: float
    end: float
    limit: float
    share: float | None
    share_429: float | None
    reached: float | None


def _count(sent: list[tuple[float, int]], start: float, end: float, status: int) -> int:
    return sum(1 for t, s in sent if s == status and start <= t < end)


def phases(schedule: Schedule, timeline: Timeline, end: float) -> list[Phase]:
    """The phases of ``schedule`` a run that ended at ``end`` s went through."""
    sent = [(t, status) for t, _, status in timeline.events]
    out = []
    for i, (start, limit) in enumerate(schedule):
        until = min(end, schedule[i + 1][0]) if i + 1 < len(schedule) else end
        if until <= start:
            break
        settled = start + SETTLE
        share = share_429 = None
        if until - settled >= 1.0:
            share = _count(sent, settled, until, 200) / (limit * (until - settled))
            answered = sum(1 for t, _ in sent if settled <= t < until)
            share_429 = _count(sent, settled, until, 429) / answered if answered else None
        reached = None
        t = start
        while t + 1.0 <= until:
            if _count(sent, t, t + 1.0, 200) >= REACH * limit:
                reached = t - start
                break
            t += STEP
        out.append(Phase(start, until, limit, share, share_429, reached))
    return out


def phase_table(rows: list[tuple[str, list[Phase]]]) -> str:
    """One row per strategy and phase."""

    def fmt(x: float | None, pattern: str) -> str:
        return "n/a" if x is None else pattern.format(x)

    return md_table(
        [
            "strategy",
            "phase (s)",
            "limit (/s)",
            f"share from {SETTLE:g} s in",
            f"429 share from {SETTLE:g} s in",
            f"seconds to {REACH:g} of the limit",
        ],
        [
            [
                f"`{name}`",
                f"{p.start:.0f}-{p.end:.0f}",
                f"{p.limit:.0f}",
                fmt(p.share, "{:.3f}"),
                fmt(p.share_429, "{:.1%}"),
                fmt(p.reached, "{:.1f}") if p.reached is not None else "never",
            ]
            for name, ps in rows
            for p in ps
        ],
    )
