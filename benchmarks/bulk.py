"""Bulk upserts: ``bulk_upsert`` under a hidden workspace limit, memory of ``aelyst upsert``, and
throughput with no limits against raw aiohttp.

1. **limited** (:mod:`benchmarks.bulk_limited`): 10,000 distinct contacts through
   ``bulk_upsert`` under a hidden 200/s workspace limit;
2. **memory** (:mod:`benchmarks.bulk_memory`): peak RSS of ``aelyst upsert`` on 10,000 and
   200,000 rows;
3. **throughput** (:mod:`benchmarks.bulk_throughput`): ``bulk_upsert`` against raw aiohttp with no
   limits in force.

``--quick``: 2,000 contacts; 2,000 vs 20,000 rows; 1,000 requests per throughput run.
"""

from __future__ import annotations

from ._suite import SuiteOptions, SuiteReport
from .bulk_limited import limited_section, run_limited
from .bulk_memory import memory_section, run_memory
from .bulk_throughput import run_throughput, throughput_section

NAME = "bulk"
DESCRIPTION = (
    "bulk_upsert under a hidden 200/s workspace limit, `aelyst upsert` memory on 10k vs 200k "
    "rows, throughput vs raw aiohttp"
)


def run(options: SuiteOptions) -> SuiteReport:
    if options.quick:
        n_limited, sizes, n_throughput, repeats = 2000, (2000, 20000), 1000, 2
    else:
        n_limited, sizes, n_throughput, repeats = 10000, (10000, 200000), 10000, 5
    conc = options.concurrency
    limited = run_limited(n_limited, conc)
    memory = run_memory(sizes, conc)
    samples = run_throughput(n_throughput, repeats, conc)
    parts, targets = [], []
    for text, section_targets in (
        limited_section(limited, conc),
        memory_section(memory, conc),
        throughput_section(samples, n_throughput, repeats, conc),
    ):
        parts.append(text)
        targets += section_targets
    return SuiteReport("Bulk upserts", "\n\n".join(parts), targets)
