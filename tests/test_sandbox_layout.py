"""The sandbox's modules stay small enough to read whole (the project's ~400 lines)."""

from __future__ import annotations

from pathlib import Path

import aelyst_async.sandbox

LIMIT = 400


def test_every_sandbox_module_is_under_the_limit() -> None:
    package = Path(aelyst_async.sandbox.__file__).parent
    sizes = {path.name: len(path.read_text().splitlines()) for path in package.glob("*.py")}
    assert "_app.py" in sizes and "_admin.py" in sizes
    assert {name: n for name, n in sizes.items() if n >= LIMIT} == {}
