"""A 1,000,000-row ``aelyst upsert`` (issue 22: the previous code died after about a minute, at
16,000-18,000 rows): :mod:`benchmarks.long_run`'s upsert run, on a million rows.
``--quick``: 100,000 rows."""

from __future__ import annotations

from ._suite import SuiteOptions, SuiteReport
from .long_run import run_long, section

NAME = "million"
DESCRIPTION = "`aelyst upsert` of 1,000,000 rows against the sandbox in its own process"


def run(options: SuiteOptions) -> SuiteReport:
    text, targets = section(run_long(100_000 if options.quick else 1_000_000, None))
    return SuiteReport("A million rows (issue 22)", text, targets)
