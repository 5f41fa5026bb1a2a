"""Benchmarks of aelyst_async against the sandbox running in its own process.

Run everything with ``python -m benchmarks`` (``--only throttle,overhead``, ``--quick``); results
go to ``benchmarks/RESULTS.md`` with the plots ``benchmarks/throttle-latency.png`` and
``benchmarks/throttle.png``. Each suite is a module exposing ``NAME``, ``DESCRIPTION`` and
``run(options) -> SuiteReport`` (see :mod:`benchmarks._suite`), listed in
:data:`benchmarks.__main__.SUITES`. Benchmarks are not tests: nothing here asserts a time.
"""
