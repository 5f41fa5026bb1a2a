"""The installed distribution's version, read from its metadata on first use
(``importlib.metadata`` costs more to import than the rest of this module's users need)."""

from __future__ import annotations

import functools


@functools.cache
def version() -> str:
    """The installed version of ``aelyst_async`` ("0.0.0+unknown" in a never-installed tree)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("aelyst_async")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0.0.0+unknown"


def __getattr__(name: str) -> str:
    if name == "__version__":
        return version()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
