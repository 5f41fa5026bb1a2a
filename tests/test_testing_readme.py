"""The README's "Testing your code" examples are the files in examples/ that the suite runs."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("example", ["test_sign_up.py", "test_ensure_contact.py"])
def test_the_readme_shows_the_example_as_it_runs(example: str) -> None:
    code = (ROOT / "examples" / example).read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"```python\n{code}```" in readme
