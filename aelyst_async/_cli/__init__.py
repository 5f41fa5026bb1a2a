"""The ``aelyst`` command (also ``python -m aelyst_async``): main, upsert, rows, columns,
display, runwide, sandbox."""

from .main import main

__all__ = ["main"]
