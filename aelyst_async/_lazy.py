"""Names a module gives on first use: :func:`lazy_attributes` makes its ``__getattr__``.

>>> __getattr__ = lazy_attributes(__name__, {"TextMessage": ".messages"})
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping


def lazy_attributes(module: str, table: Mapping[str, str]) -> Callable[[str], object]:
    """A module ``__getattr__`` for ``module`` (its ``__name__``) that imports each name of
    ``table`` (name -> module, relative to ``module``) when first looked up and keeps it in the
    module, so later look-ups skip it; AttributeError for any other name."""

    def __getattr__(name: str) -> object:
        source = table.get(name)
        if source is None:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(source, module), name)
        setattr(sys.modules[module], name, value)
        return value

    return __getattr__
