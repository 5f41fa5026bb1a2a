"""Contact files written by ``aelyst export``, in the form ``aelyst upsert`` reads back.

- CSV: ``identifier`` (``email:...``, else ``phone:...``, else ``id:...``), the contact fields by
  wire name, ``cf:<name>`` for each custom field of the header, ``tags`` (names joined by
  ``", "``) and ``lifecycle``; an empty cell for a field the contact lacks. Values are never
  changed: a cell a spreadsheet may run as a formula is counted, for a warning.
- JSONL: one wire-format body per contact with ``identifier``, the fields it has,
  ``custom_fields``, ``tags`` and ``lifecycle`` (keys left out when empty).

:class:`AtomicOutput` writes to a temporary file beside the target and renames it over the
target only once everything is written: a failed export leaves no half file.

>>> with AtomicOutput("contacts.csv") as out:
...     writer = CsvWriter(out.file, ["Plan", "Seats"])
...     writer.write(record)
...     out.commit()
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import re
import sys
import tempfile
from collections.abc import Sequence
from types import TracebackType
from typing import IO, Any

from .._sansio.convert import WIRE_NAMES
from ..types.records import ContactRecord
from .columns import CUSTOM_PREFIX, IDENTIFIER, LIFECYCLE, STANDARD, TAGS

_PYTHON_NAMES = {wire: name for name, wire in WIRE_NAMES.items()}
FORMULA_STARTS = frozenset("=+-@")
_NUMBER = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")


class ExportProblem(ValueError):
    """A contact that cannot be written faithfully in this format (its message says why)."""


def identifier_of(record: ContactRecord) -> str:
    """``email:...``, else ``phone:...``, else ``id:...``: what a re-import keys the contact by."""
    if record.email:
        return f"email:{record.email}"
    if record.phone:
        return f"phone:{record.phone}"
    return f"id:{record.id}"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    return str(value)


def formula_like(cell: str) -> bool:
    """Whether a spreadsheet may run ``cell`` as a formula: it starts with ``=``, ``+``, ``-``
    or ``@`` and is not just a number (``+60123456789``, ``-5`` are numbers, not formulas)."""
    return cell[:1] in FORMULA_STARTS and _NUMBER.fullmatch(cell) is None


class CsvWriter:
    """Writes contacts as CSV rows under a header with ``custom_fields`` as ``cf:`` columns.

    :meth:`write` raises :class:`ExportProblem` (nothing written) for a tag holding a comma,
    which a ``tags`` cell cannot carry; custom fields outside the header are returned, for the
    caller to report. Values are written as they are; :attr:`formula_cells` counts the cells a
    spreadsheet may run as formulas (:func:`formula_like`), for the caller to warn about.
    """

    def __init__(self, file: IO[str], custom_fields: Sequence[str]) -> None:
        self.formula_cells = 0
        self._writer = csv.writer(file, lineterminator="\n")
        self._custom = list(dict.fromkeys(custom_fields))
        self._known = set(self._custom)
        header = [IDENTIFIER, *STANDARD, *(f"{CUSTOM_PREFIX}{n}" for n in self._custom)]
        self._writer.writerow([*header, TAGS, LIFECYCLE])

    def write(self, record: ContactRecord) -> list[str]:
        """Write one contact; the names of its custom fields the header lacks (left out)."""
        bad = [tag for tag in record.tags if "," in tag]
        if bad:
            raise ExportProblem(
                f"the tag {bad[0]!r} holds a comma, which a CSV tags cell cannot carry "
                "(export to .jsonl to keep it)"
            )
        values = {field.name: field.value for field in record.custom_fields}
        cells = [identifier_of(record)]
        cells += [_cell(getattr(record, _PYTHON_NAMES[wire])) for wire in STANDARD]
        cells += [_cell(values.get(name)) for name in self._custom]
        cells += [", ".join(record.tags), record.lifecycle or ""]
        self._writer.writerow(cells)
        self.formula_cells += sum(1 for cell in cells if formula_like(cell))
        return [name for name in values if name not in self._known]


class JsonlWriter:
    """Writes contacts as JSON lines (every field kept as the API gave it)."""

    def __init__(self, file: IO[str]) -> None:
        self._file = file

    def write(self, record: ContactRecord) -> list[str]:
        """Write one contact; returns ``[]`` (JSONL carries every custom field)."""
        body: dict[str, Any] = {IDENTIFIER: identifier_of(record)}
        for wire in STANDARD:
            value = getattr(record, _PYTHON_NAMES[wire])
            if value is not None:
                body[wire] = value
        custom = [{"name": f.name, "value": f.value} for f in record.custom_fields]
        custom = [item for item in custom if item["value"] is not None]
        if custom:
            body["custom_fields"] = custom
        if record.tags:
            body[TAGS] = list(record.tags)
        if record.lifecycle:
            body[LIFECYCLE] = record.lifecycle
        self._file.write(json.dumps(body, ensure_ascii=False) + "\n")
        return []


class AtomicOutput:
    """A text file written in full or not at all (``"-"``: standard output, written as it goes).

    :attr:`file` is a temporary file in the target's directory; :meth:`commit` flushes it to
    disk and renames it over ``path``; leaving the ``with`` block without a commit deletes it.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._temp: str | None = None
        if path == "-":
            self.file: IO[str] = sys.stdout
            return
        directory = os.path.dirname(os.path.abspath(path))
        fd, self._temp = tempfile.mkstemp(
            prefix=f".{os.path.basename(path)}.", suffix=".part", dir=directory
        )
        self.file = open(fd, "w", encoding="utf-8", newline="")  # noqa: SIM115 - closed below

    def commit(self) -> None:
        """Make the written file the target (flushed to disk first)."""
        self.file.flush()
        if self._temp is None:
            return
        os.fsync(self.file.fileno())
        self.file.close()
        os.replace(self._temp, self.path)
        self._temp = None

    def discard(self) -> None:
        """Delete the temporary file now, closing nothing (the process is about to end)."""
        if self._temp is not None:
            with contextlib.suppress(OSError):
                os.unlink(self._temp)

    def __enter__(self) -> AtomicOutput:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._temp is None:
            return
        self.file.close()
        with contextlib.suppress(OSError):
            os.unlink(self._temp)
        self._temp = None
