"""What RESULTS.md says besides the suites' figures: :func:`machine_info` (the machine and
software a run was made on), :func:`md_table` and :func:`fmt_stats`.
"""

from __future__ import annotations

import hashlib
import os
import platform
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

import psutil  # type: ignore[import-untyped]

from ._suite import ROOT


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _git_revision() -> str:
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "aelyst_async"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return "unknown"
    return (
        f"{rev}{' + uncommitted changes to aelyst_async/' if dirty else ''}" if rev else "unknown"
    )


def _sources_digest() -> str:
    """A digest of the package's sources as measured (the tree may hold uncommitted work)."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "aelyst_async").rglob("*.py")):
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def machine_info() -> dict[str, str]:
    """The machine and software a run was made on."""
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "CPU": _cpu_model(),
        "cores": f"{psutil.cpu_count(logical=True)} logical, {psutil.cpu_count(logical=False)} "
        "physical",
        "RAM": f"{psutil.virtual_memory().total / 2**30:.1f} GiB",
        "OS": platform.platform(),
        "Python": f"{platform.python_implementation()} {platform.python_version()}",
        "aiohttp": _version("aiohttp"),
        "aiolimiter": _version("aiolimiter"),
        "tenacity": _version("tenacity"),
        "aelyst_async": f"{_version('aelyst_async')} (git {_git_revision()}; "
        f"sha256 of aelyst_async/**/*.py: {_sources_digest()})",
        "load average at start (1, 5, 15 min)": load,
    }


def fmt_stats(stats: Mapping[str, Any]) -> str:
    """``k=v, ...`` of a flat mapping (floats to one decimal; nested mappings left out)."""
    return ", ".join(
        f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}"
        for k, v in stats.items()
        if not isinstance(v, Mapping)
    )


def md_table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)
