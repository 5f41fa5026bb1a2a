"""Streaming readers of contact files: CSV with a header of wire names, or JSONL bodies.

Each data row becomes a :class:`Row`: its number (the N-th data row, the header and blank lines
not counted), the identifier it names (or None: the contact's email, then phone, is used), and
either a :class:`Contact` or the error that kept the row from becoming one. Problems with the
file as a whole (unknown or duplicate columns, no ``firstName`` column, bytes that are not
UTF-8) raise :class:`FileFormatError`. Files are read a row at a time, never whole.

CSV: columns ``firstName, lastName, phone, email, language, profilePic, countryCode``, custom
fields as ``cf:<Field Name>``, and an optional ``identifier``. An empty (or all-blank) cell
leaves its field out; a ``cf:`` cell that is a number (``42``, ``-3``, ``2.5``, ``1e3``; no
leading ``+`` or leading zeros) becomes a JSON number; anything else, ``true``/``false`` included,
stays a string. A UTF-8 byte order mark is tolerated, quoting follows the ``csv`` module, and
rows whose cells are all empty are skipped.

JSONL: one wire-format body per line (``{"firstName": "Ana", "custom_fields": [...]}``), with an
optional ``"identifier"`` key; blank lines are skipped.

>>> with open_rows("contacts.csv") as rows:
...     for row in rows:
...         print(row.number, row.identifier, row.contact or row.error)
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import sys
from collections.abc import Iterator
from types import TracebackType
from typing import IO, Any, Literal

import attrs

from ._convert import PYTHON_NAMES, WIRE_NAMES, contact_from_wire, json_type
from ._errors import AelystError, ContactValidationError, ValidationProblem
from ._models import UNSET, Contact, CustomField, CustomFieldValue

Format = Literal["csv", "jsonl"]
FORMATS: tuple[Format, ...] = ("csv", "jsonl")
STANDARD_COLUMNS = tuple(wire for wire in WIRE_NAMES.values() if wire != "custom_fields")
IDENTIFIER_COLUMN = "identifier"
CUSTOM_PREFIX = "cf:"
_INT = re.compile(r"-?(?:0|[1-9][0-9]*)")
_FLOAT = re.compile(r"-?(?:(?:0|[1-9][0-9]*)(?:\.[0-9]+)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_EXTENSIONS: dict[str, Format] = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}


class FileFormatError(ValueError):
    """The file cannot be read as contacts at all (a usage or file error, not a row's)."""


@attrs.frozen
class Row:
    """One data row: ``contact`` or ``error`` is set, never both.

    ``identifier`` is the one the row names explicitly (None: use the contact's email, then
    phone); ``label`` is the identifier to show for the row (explicit, else derived, else "").
    """

    number: int
    identifier: str | None
    contact: Contact | None = None
    error: AelystError | None = None
    label: str = ""


def detect_format(path: str, explicit: str | None = None) -> Format:
    """``explicit`` if given, else from the file name's extension (.csv, .jsonl, .ndjson)."""
    if explicit is not None:
        if explicit not in FORMATS:
            raise FileFormatError(f"unknown format {explicit!r}: use csv or jsonl")
        return explicit
    fmt = _EXTENSIONS.get(os.path.splitext(path)[1].lower())
    if fmt is None:
        raise FileFormatError(
            f"cannot tell the format of {path!r} from its name: "
            "use a .csv or .jsonl file, or --format csv|jsonl"
        )
    return fmt


def cell_number(text: str) -> int | float | None:
    """The JSON number a ``cf:`` cell stands for, or None if it is not a number."""
    if _INT.fullmatch(text):
        return int(text)
    looks_decimal = any(c.isdigit() for c in text) and ("." in text or "e" in text.lower())
    if looks_decimal and _FLOAT.fullmatch(text):
        value = float(text)
        if math.isfinite(value):
            return value
    return None


def _problem(field: str, problem: str) -> ContactValidationError:
    return ContactValidationError([ValidationProblem(field, problem)])


def _open_text(path: str) -> IO[str]:
    if path == "-":
        return io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8-sig", newline="")
    try:
        return open(path, encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise FileFormatError(f"cannot open {path!r}: {exc.strerror or exc}") from exc


def _decode_error(path: str, exc: UnicodeDecodeError) -> FileFormatError:
    return FileFormatError(f"{path!r} is not UTF-8 text ({exc.reason} at byte {exc.start})")


class RowReader:
    """The rows of one file, read lazily; use it as a context manager and iterate it once."""

    def __init__(self, path: str, fmt: Format) -> None:
        self.path = path
        self.format = fmt
        self._file = _open_text(path)
        self._columns: list[tuple[str, str]] = []
        try:
            if fmt == "csv":
                self._reader: Any = csv.reader(self._file)
                self._read_header()
        except UnicodeDecodeError as exc:
            self.close()
            raise _decode_error(path, exc) from exc
        except BaseException:
            self.close()
            raise

    # -- CSV ---------------------------------------------------------------------------------

    def _read_header(self) -> None:
        header: list[str] | None = None
        try:
            for cells in self._reader:
                if any(cell.strip() for cell in cells):
                    header = cells
                    break
        except csv.Error as exc:
            raise FileFormatError(f"{self.path!r}: the header row is not valid CSV: {exc}") from exc
        if header is None:
            raise FileFormatError(f"{self.path!r} is empty: a CSV file needs a header row")
        columns: list[tuple[str, str]] = []
        seen: set[str] = set()
        unknown: list[str] = []
        for position, raw in enumerate(header, start=1):
            name = raw.strip()
            if not name:
                raise FileFormatError(f"{self.path!r}: column {position} of the header has no name")
            if name in seen:
                raise FileFormatError(f"{self.path!r}: column {name!r} appears twice")
            seen.add(name)
            if name in STANDARD_COLUMNS:
                columns.append(("field", PYTHON_NAMES[name]))
            elif name == IDENTIFIER_COLUMN:
                columns.append(("identifier", name))
            elif name.startswith(CUSTOM_PREFIX) and name[len(CUSTOM_PREFIX) :].strip():
                columns.append(("custom", name[len(CUSTOM_PREFIX) :].strip()))
            else:
                unknown.append(name)
        if unknown:
            names = ", ".join(repr(n) for n in unknown)
            raise FileFormatError(
                f"{self.path!r}: unknown column{'s' if len(unknown) > 1 else ''} {names}; "
                f"columns are {', '.join(STANDARD_COLUMNS)}, {IDENTIFIER_COLUMN} and "
                f"{CUSTOM_PREFIX}<Field Name> for custom fields"
            )
        if "first_name" not in {name for kind, name in columns if kind == "field"}:
            raise FileFormatError(f"{self.path!r}: no firstName column (the API requires it)")
        self._columns = columns

    def _csv_rows(self) -> Iterator[Row]:
        number = 0
        while True:
            try:
                cells = next(self._reader)
            except StopIteration:
                return
            except csv.Error as exc:
                number += 1
                yield Row(number, None, error=_problem("row", f"not valid CSV: {exc}"))
                continue
            if not any(cell.strip() for cell in cells):
                continue
            number += 1
            yield self._csv_row(number, cells)

    def _csv_row(self, number: int, cells: list[str]) -> Row:
        identifier: str | None = None
        fields: dict[str, Any] = {}
        custom: list[CustomField] = []
        for (kind, name), cell in zip(self._columns, cells, strict=False):
            if not cell.strip():
                continue
            if kind == "field":
                fields[name] = cell
            elif kind == "identifier":
                identifier = cell.strip()
            else:
                number_value = cell_number(cell.strip())
                value: CustomFieldValue = cell if number_value is None else number_value
                custom.append(CustomField(name, value))
        label = identifier or _derived(fields.get("email"), fields.get("phone"))
        if len(cells) > len(self._columns):
            problem = f"has {len(cells)} cells but the header has {len(self._columns)} columns"
            return Row(number, identifier, error=_problem("row", problem), label=label)
        contact = Contact(
            fields.pop("first_name", ""), **fields, custom_fields=custom if custom else UNSET
        )
        return Row(number, identifier, contact=contact, label=label)

    # -- JSONL -------------------------------------------------------------------------------

    def _jsonl_rows(self) -> Iterator[Row]:
        number = 0
        for line in self._file:
            if not line.strip():
                continue
            number += 1
            yield jsonl_row(number, line)

    # -- the iterator ------------------------------------------------------------------------

    def __iter__(self) -> Iterator[Row]:
        rows = self._csv_rows() if self.format == "csv" else self._jsonl_rows()
        try:
            yield from rows
        except UnicodeDecodeError as exc:
            raise _decode_error(self.path, exc) from exc

    def close(self) -> None:
        """Close the file (stdin is left open)."""
        if self.path == "-":
            self._file.detach()  # type: ignore[attr-defined]
        else:
            self._file.close()

    def __enter__(self) -> RowReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _derived(email: object, phone: object) -> str:
    if isinstance(email, str) and email:
        return f"email:{email}"
    if isinstance(phone, str) and phone:
        return f"phone:{phone}"
    return ""


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def jsonl_row(number: int, line: str) -> Row:
    """The row of one JSONL line."""
    try:
        body = json.loads(line, parse_constant=_refuse_constant)
    except ValueError as exc:
        return Row(number, None, error=_problem("body", f"not valid JSON: {exc}"))
    if not isinstance(body, dict):
        return Row(
            number, None, error=_problem("body", f"must be a JSON object, not {json_type(body)}")
        )
    identifier = body.pop("identifier", None)
    if identifier is not None and not isinstance(identifier, str):
        return Row(
            number,
            None,
            error=_problem("identifier", f"must be a string, got {json_type(identifier)}"),
        )
    label = identifier or _derived(body.get("email"), body.get("phone"))
    try:
        contact = contact_from_wire(body)
    except ContactValidationError as error:
        return Row(number, identifier, error=error, label=label)
    return Row(number, identifier, contact=contact, label=label)


def open_rows(path: str, fmt: Format | None = None) -> RowReader:
    """A :class:`RowReader` over ``path`` (``"-"`` for stdin, which needs ``fmt``).

    Raises :class:`FileFormatError` for a file that cannot be opened or whose header is wrong.
    """
    return RowReader(path, fmt if fmt is not None else detect_format(path))


def count_rows(path: str, fmt: Format) -> int:
    """The number of data rows in a regular file, read once in a streaming pass.

    Raises :class:`FileFormatError` as :func:`open_rows` does, and for bytes that are not UTF-8.
    """
    with RowReader(path, fmt) as reader:
        count = 0
        try:
            if fmt == "csv":
                while True:
                    try:
                        cells = next(reader._reader)
                    except StopIteration:
                        break
                    except csv.Error:
                        count += 1
                        continue
                    count += any(cell.strip() for cell in cells)
            else:
                count = sum(1 for line in reader._file if line.strip())
        except UnicodeDecodeError as exc:
            raise _decode_error(path, exc) from exc
        return count
