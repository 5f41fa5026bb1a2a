"""What every suite gets and returns: :class:`SuiteOptions` in, a :class:`SuiteReport` and its
targets (:class:`Target`) out. A suite is a module with ``NAME``, ``DESCRIPTION`` and
``run(options)``; ``ROOT`` is the repository's root.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class SuiteOptions:
    """What every suite is run with."""

    quick: bool = False
    concurrency: int = 32
    out_dir: Path = ROOT / "benchmarks"
    scenarios: tuple[str, ...] = ()  # throttle scenarios whose key starts with one of these
    strategies: tuple[str, ...] = ()  # throttle strategies to run (empty: all)


@dataclass(frozen=True)
class Target:
    """One target of the issue and whether this run met it."""

    name: str
    met: bool
    detail: str


@dataclass
class SuiteReport:
    """A suite's section of RESULTS.md and its targets."""

    title: str
    markdown: str
    targets: list[Target] = field(default_factory=list)
    seconds: float = 0.0
