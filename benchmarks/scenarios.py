"""The scenarios of the throttle suite: what the sandbox enforces, what work is sent, what rate is
allowed over time.

Two kinds of work:

- **workspace**: upserts of distinct contacts (``email:user{i}@example.com``) under a hidden
  workspace limit (no header announces it); the SDK runs them as a user would, through
  ``client.contacts.bulk_upsert(contacts)`` with default settings (no ``concurrency``);
- **path**: many upserts of ONE contact under a per-path limit the server announces in
  ``X-RateLimit-Limit``; every strategy, the SDK's ``create_or_update`` included, runs the same
  number of plain workers (bulk runs the items of one contact one after another, by design).

The latency scenarios answer after 250 ms ± 50 ms (seeded), as the real API does; the loopback
ones after 20 ms, with fixed and sliding server windows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote

LATENCY, JITTER, SEED = 0.25, 0.05, 7
LOOPBACK_LATENCY = 0.02

Kind = Literal["workspace", "path"]
Schedule = tuple[tuple[float, float], ...]
"""``(from_second, allowed requests per second)`` steps, the first from 0."""


@dataclass(frozen=True)
class Item:
    identifier: str
    first_name: str
    email: str

    @classmethod
    def distinct(cls, i: int) -> Item:
        return cls(f"email:user{i}@example.com", f"User {i}", f"user{i}@example.com")

    @classmethod
    def same(cls, i: int) -> Item:
        return cls("email:same@example.com", f"Same {i}", "same@example.com")

    @property
    def path(self) -> str:
        return "/contact/create_or_update/" + quote(self.identifier, safe=":@+")

    @property
    def body(self) -> bytes:
        return f'{{"firstName": "{self.first_name}", "email": "{self.email}"}}'.encode()


def allowed_between(schedule: Schedule, start: float, end: float) -> float:
    """Requests the schedule allows from ``start`` to ``end`` seconds (its integral)."""
    total = 0.0
    for i, (at, rate) in enumerate(schedule):
        until = schedule[i + 1][0] if i + 1 < len(schedule) else float("inf")
        low, high = max(start, at), min(end, until)
        if high > low:
            total += rate * (high - low)
    return total


def seconds_for(schedule: Schedule, requests: float) -> float:
    """Seconds from 0 at which the schedule has allowed ``requests`` in all (the ideal time)."""
    done = 0.0
    for i, (at, rate) in enumerate(schedule):
        until = schedule[i + 1][0] if i + 1 < len(schedule) else float("inf")
        step = rate * (until - at)
        if done + step >= requests:
            return at + (requests - done) / rate
        done += step
    raise ValueError("a schedule's last step allows any number of requests")


@dataclass(frozen=True)
class Scenario:
    key: str
    title: str
    kind: Kind
    schedule: Schedule
    sdk_items: int  # the SDK's work
    alt_items: int  # the other strategies': the first ``alt_items`` of the same work
    sandbox: Mapping[str, Any]
    latency: float

    @property
    def right_rate(self) -> float:
        """The rate a user who measured the limit at the start would configure."""
        return self.schedule[0][1]

    def items(self, n: int) -> list[Item]:
        make = Item.distinct if self.kind == "workspace" else Item.same
        return [make(i) for i in range(n)]

    def ideal_seconds(self, n: int) -> float:
        return seconds_for(self.schedule, n)


def _latency(latency: float, jitter: float) -> dict[str, Any]:
    return {"latency": latency, "latency_jitter": jitter, "seed": SEED, "period": 1.0}


def workspace(
    limit: int,
    seconds: float,
    alt_seconds: float,
    *,
    latency: float = LATENCY,
    jitter: float = JITTER,
    window: str = "fixed",
    key: str | None = None,
) -> Scenario:
    """Distinct contacts under a hidden workspace limit of ``limit``/s."""
    return _steady(
        "workspace", limit, seconds, alt_seconds, latency, jitter, window, key,
        f"distinct contacts, hidden workspace limit {limit}/s",
        {"per_path": 5, "workspace": limit},
    )  # fmt: skip


def per_path(
    limit: int,
    seconds: float,
    alt_seconds: float,
    *,
    latency: float = LATENCY,
    jitter: float = JITTER,
    window: str = "fixed",
    key: str | None = None,
) -> Scenario:
    """Upserts of one contact under an announced per-path limit of ``limit``/s."""
    return _steady(
        "path", limit, seconds, alt_seconds, latency, jitter, window, key,
        f"one contact, announced per-path limit {limit}/s",
        {"per_path": limit},
    )  # fmt: skip


def _steady(
    kind: Kind,
    limit: int,
    seconds: float,
    alt_seconds: float,
    latency: float,
    jitter: float,
    window: str,
    key: str | None,
    what: str,
    limits: Mapping[str, Any],
) -> Scenario:
    """A scenario whose allowed rate stays ``limit``/s: the SDK sends ``seconds`` of it, the
    other strategies ``alt_seconds``."""
    where = f"{latency * 1000:.0f} ms" + (f" ± {jitter * 1000:.0f} ms" if jitter else "")
    return Scenario(
        key or f"{kind}-{limit}",
        f"{what}, {window} window, {where}",
        kind,
        ((0.0, float(limit)),),
        round(limit * seconds),
        round(limit * alt_seconds),
        {**_latency(latency, jitter), **limits, "window": window},
        latency,
    )


def changing(limits: Sequence[int], seconds_each: float) -> Scenario:
    """Distinct contacts under a hidden workspace limit that changes every ``seconds_each``."""
    schedule = tuple((i * seconds_each, float(limit)) for i, limit in enumerate(limits))
    n = round(allowed_between(schedule, 0.0, seconds_each * len(limits)))
    sandbox_schedule = [[at, int(rate)] for at, rate in schedule[1:]]
    return Scenario(
        "workspace-" + "-".join(map(str, limits)),
        f"distinct contacts, hidden workspace limit {' -> '.join(map(str, limits))}/s, "
        f"{seconds_each:g} s each, fixed window, {LATENCY * 1000:.0f} ms ± {JITTER * 1000:.0f} ms",
        "workspace",
        schedule,
        n,
        n,  # every strategy has to go through the changes
        {
            **_latency(LATENCY, JITTER),
            "per_path": 5,
            "workspace": limits[0],
            "workspace_schedule": sandbox_schedule,
            "window": "fixed",
        },
        LATENCY,
    )


def round_trips() -> list[Scenario]:
    """The issue's table: hidden 30/s and 500/s at 100 ms and 400 ms, sliding 100/s at 250 ms,
    100 -> 25 -> 150/s switching at 5 s and 10 s."""
    out = [
        workspace(limit, 15, 6, latency=rtt, jitter=rtt / 5, key=f"rtt{rtt * 1000:.0f}-ws-{limit}")
        for rtt in (0.1, 0.4)
        for limit in (30, 500)
    ]
    out.append(workspace(100, 15, 6, window="sliding", key="workspace-100-sliding"))
    out.append(changing([100, 25, 150], 5))
    return out


def scenarios(quick: bool) -> list[Scenario]:
    """Every scenario of a run: the latency ones, then the loopback ones."""
    if quick:
        return [
            workspace(100, 10, 5),
            per_path(5, 10, 6),
            changing([80, 30, 80], 6),
            changing([100, 25, 150], 5),
            workspace(500, 8, 4, latency=0.4, jitter=0.08, key="rtt400-ws-500"),
            workspace(50, 8, 4, latency=LOOPBACK_LATENCY, jitter=0, key="loopback-workspace-50"),
            per_path(5, 8, 4, latency=LOOPBACK_LATENCY, jitter=0, key="loopback-path-5"),
        ]
    out = [workspace(limit, 30, 8) for limit in (50, 100, 200)]
    out.append(workspace(1000, 20, 6))
    out += [per_path(limit, 24, 8) for limit in (3, 5, 10)]
    out.append(changing([80, 30, 80], 12))
    out += round_trips()
    for window in ("fixed", "sliding"):
        common: dict[str, Any] = {"latency": LOOPBACK_LATENCY, "jitter": 0, "window": window}
        out.append(workspace(50, 16, 8, key=f"loopback-workspace-50-{window}", **common))
        out.append(per_path(5, 16, 8, key=f"loopback-path-5-{window}", **common))
    return out
