"""The ``--report`` file of ``aelyst upsert``: the failed rows, in file order, ready to fix and
re-import, each with an ``error`` ("line N: problem") that the readers ignore.

- CSV (of a CSV file): the input's header and cells as they were, plus an ``error`` column, in
  the input's delimiter; re-import it with the same ``--map`` options.
- JSON lines: one wire-format body per row. A JSONL row is written back as it was; a CSV row
  becomes the body its cells describe (``firstName``..., ``custom_fields`` ``[{name, value}]``,
  ``identifier``, ``tags`` as a list, ``lifecycle``; values trimmed, phone numbers as the import
  read them). What no body can hold stays visible and keeps the row failing until it is fixed:
  a value under a column without a name is written under ``"column N"``, the cells of a row
  past the header's last column under ``"extra cells"``, a line that is not JSON under
  ``"text"``.

>>> write_report(file, display.failures, columns=reader.columns, delimiter=";", as_jsonl=True)
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from typing import IO, Any

from .._sansio.convert import WIRE_NAMES
from .columns import (
    IDENTIFIER,
    LIFECYCLE,
    REPORT_ERROR,
    TAGS,
    Columns,
    normalize_identifier,
    normalize_phone,
    region_of,
)
from .display import Failure

EXTRA_CELLS = "extra cells"


def wire_body(
    columns: Columns, cells: Sequence[str], default_country: str | None
) -> dict[str, Any]:
    """The JSONL body a CSV row's cells describe (see the module's docstring)."""
    body: dict[str, Any] = {}
    custom: list[dict[str, str]] = []
    pairs = zip(columns.kinds, cells, strict=False)
    for position, ((kind, field), raw) in enumerate(pairs, start=1):
        cell = raw.strip()
        if not cell or kind == "ignore":
            continue
        if kind == "field":
            body[WIRE_NAMES[field]] = cell
        elif kind == "identifier":
            body[IDENTIFIER] = cell
        elif kind == "custom":
            custom.append({"name": field, "value": cell})
        elif kind == "tags":
            body[TAGS] = [name.strip() for name in cell.split(",") if name.strip()]
        elif kind == "lifecycle":
            body[LIFECYCLE] = cell
        else:
            body[f"column {position}"] = cell
    if custom:
        body["custom_fields"] = custom
    if len(cells) > len(columns.names):
        body[EXTRA_CELLS] = list(cells[len(columns.names) :])
    region = region_of(body.get("countryCode"), default_country)
    if "phone" in body:
        body["phone"] = normalize_phone(body["phone"], region)
    if IDENTIFIER in body:
        body[IDENTIFIER] = normalize_identifier(body[IDENTIFIER], region)
    return body


def write_report(
    file: IO[str],
    failures: Sequence[Failure],
    *,
    columns: Columns | None,
    delimiter: str,
    as_jsonl: bool,
    default_country: str | None = None,
) -> None:
    """Write ``failures`` (of a file read with ``columns``; None for JSONL) in file order."""
    ordered = sorted(failures, key=lambda f: f.line)
    if not as_jsonl:
        assert columns is not None
        _write_csv(file, ordered, columns.names, delimiter)
        return
    for failure in ordered:
        record: dict[str, Any]
        if isinstance(failure.source, Mapping):
            record = dict(failure.source)
        elif isinstance(failure.source, str):
            record = {"text": failure.source.rstrip("\r\n")}
        else:
            assert columns is not None
            record = wire_body(columns, failure.source, default_country)
        record[REPORT_ERROR] = f"line {failure.line}: {failure.message}"
        file.write(json.dumps(record, ensure_ascii=False) + "\n")


def _write_csv(
    file: IO[str], failures: Sequence[Failure], header: Sequence[str], delimiter: str
) -> None:
    names = list(header)
    error_at = next((i for i, n in enumerate(names) if n.strip().lower() == REPORT_ERROR), None)
    added = error_at is None
    if error_at is None:
        error_at = len(names)
        names.append(REPORT_ERROR)
    writer = csv.writer(file, delimiter=delimiter, lineterminator="\n")
    writer.writerow(names)
    for failure in failures:
        cells = [] if isinstance(failure.source, (str, Mapping)) else list(failure.source)
        message = f"line {failure.line}: {failure.message}"
        if added and len(cells) > error_at:  # a row wider than the header keeps every cell
            cells.insert(error_at, message)
        else:
            cells += [""] * (len(names) - len(cells))
            cells[error_at] = message
        writer.writerow(cells)
