"""What ``aelyst upsert`` shows: progress on stderr, failed rows and a summary on stdout."""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
from tqdm import tqdm

from .._bulk import BulkProgress
from .._bulk.items import printable
from .._errors import AelystError, APIError, ContactValidationError, TransportError
from .._sansio.convert import WIRE_NAMES
from .row import Row

PLAIN_INTERVAL = 5.0
"""Seconds between two progress lines when stderr is not a terminal."""
_CUSTOM = re.compile(r"custom_fields\[(\d+)\](\.value|\.name)?")


def column_of(field: str, row: Row, field_column: Mapping[str, str] | None) -> str:
    """The name a file gives a field path of a validation problem (``custom_fields[1].value``
    -> ``cf:Seats``; ``country_code`` -> ``Country Code``; the identifier derived from the
    email -> the email's column)."""
    match = _CUSTOM.fullmatch(field)
    if match is not None and int(match.group(1)) < len(row.custom_columns):
        return row.custom_columns[int(match.group(1))]
    if field == "identifier" and row.identifier is None:
        field = "email" if row.label.startswith("email:") else "phone"
    if field_column is None:  # JSONL: the file uses the wire names
        return WIRE_NAMES.get(field, field)
    return field_column.get(field, WIRE_NAMES.get(field, field))


def describe_error(
    error: AelystError, row: Row | None = None, field_column: Mapping[str, str] | None = None
) -> str:
    """A one-line description of a row's error, naming each field as the file names it."""
    if isinstance(error, ContactValidationError):
        parts: list[str] = []
        for problem in error.errors:
            name = problem.field if row is None else column_of(problem.field, row, field_column)
            part = f"{name}: {problem.problem}"
            if part not in parts:  # a derived identifier repeats its column's problem
                parts.append(part)
        return printable("; ".join(parts))
    attempts = getattr(error, "attempts", 1)
    tries = f" (after {attempts} attempts)" if isinstance(attempts, int) and attempts > 1 else ""
    if isinstance(error, APIError):
        return printable(f"{error.status} {error.message}{tries}")
    if isinstance(error, TransportError):
        return printable(f"no usable response: {error.message}{tries}")
    return printable(str(error))


def duration(seconds: float) -> str:
    """``12.5s``, ``3m07s`` or ``1h02m03s`` (``?`` for a time that is not finite)."""
    if not math.isfinite(seconds):
        return "?"
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds + 0.5), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s"


@attrs.frozen
class Failure:
    """A failed row as shown and reported."""

    line: int
    label: str
    message: str
    source: Sequence[str] | Mapping[str, Any] | str

    def text(self) -> str:
        return f"line {self.line} ({printable(self.label) or 'no identifier'}): {self.message}"


class Display:
    """Progress (a bar on a terminal, plain lines otherwise), failures, the summary."""

    def __init__(self, mode: str, total: int | None) -> None:
        if mode == "auto":
            mode = "bar" if sys.stderr.isatty() else "plain"
        self.mode = mode
        self.total = total
        self.succeeded = self.failed = self.skipped = 0
        self.failures: list[Failure] = []
        self._bar: tqdm[Any] | None = None
        self._next_line = PLAIN_INTERVAL
        if mode == "bar":
            self._bar = tqdm(
                total=total, unit="row", file=sys.stderr, dynamic_ncols=True, mininterval=0.2
            )

    def progress(self, progress: BulkProgress) -> None:
        """Show where the run stands; rate and ETA count the rows sent, not those skipped."""
        sent = self.succeeded + self.failed
        if self._bar is not None:
            if self.total is not None:
                self._bar.total = self.total - self.skipped
            self._bar.update(sent - self._bar.n)
            parts = [f"failed={self.failed}"] if self.failed else []
            if self.skipped:
                parts.append(f"skipped={self.skipped}")
            self._bar.set_postfix_str(" ".join(parts), refresh=False)
        elif self.mode == "plain" and progress.elapsed >= self._next_line:
            self._next_line = progress.elapsed + PLAIN_INTERVAL
            of = f"/{self.total}" if self.total is not None else ""
            eta = f", ETA {duration(progress.eta)}" if progress.eta is not None else ""
            skipped = f", {self.skipped} skipped" if self.skipped else ""
            print(
                f"upsert: {sent + self.skipped}{of} rows, {self.failed} failed{skipped}, "
                f"{progress.rate:.1f} rows/s sent{eta}",
                file=sys.stderr,
                flush=True,
            )

    def write(self, line: str) -> None:
        if self._bar is not None:
            self._bar.write(line, file=sys.stdout)
        else:
            print(line, flush=True)

    def success(self, skipped: bool) -> None:
        if skipped:
            self.skipped += 1
        else:
            self.succeeded += 1

    def failure(self, failure: Failure) -> None:
        """Count and print a failed row now; it is listed again, in file order, at the end."""
        self.failed += 1
        self.failures.append(failure)
        self.write(failure.text())

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def summary(
        self, elapsed: float, counters: Mapping[str, int] | None = None, *, dry_run: bool = False
    ) -> None:
        """Failures in file order (when more than one), then one line of counts."""
        self.close()
        if len(self.failures) > 1:
            print(f"{len(self.failures)} failed rows, in file order:")
            for failure in sorted(self.failures, key=lambda f: f.line):
                print(f"  {failure.text()}")
        total = self.succeeded + self.failed + self.skipped
        ok = "valid" if dry_run else "succeeded"
        parts = [f"total {total}", f"{ok} {self.succeeded}", f"failed {self.failed}"]
        if self.skipped:
            parts.append(f"skipped {self.skipped} (done in an earlier run)")
        parts += [f"{label} {value}" for label, value in (counters or {}).items()]
        parts.append(f"elapsed {duration(elapsed)}")
        print(("dry run: " if dry_run else "") + ", ".join(parts), flush=True)
