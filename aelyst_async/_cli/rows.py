"""Streaming readers of contact files: CSV (any common dialect and encoding) or JSONL bodies.

Each record becomes a :class:`Row`: the line where it starts (the header is line 1), the
identifier it names (or None: the contact's email, then phone), its original cells or object
(for a ``--report``), and either a :class:`Contact` or the error that kept it from being one.
Problems with the file as a whole raise :class:`FileFormatError`. Files are read a record at a
time, never whole.

- Encoding: ``--encoding`` (default UTF-8; a UTF-8 or UTF-16 byte order mark is recognised).
  A byte that does not decode is a file error naming its line and suggesting ``--encoding``.
- CSV: the delimiter (``,`` ``;`` tab ``|``) is sniffed with :class:`csv.Sniffer` unless given;
  quoting, CRLF, quoted newlines and blank lines follow the ``csv`` module. Columns: see
  :mod:`.columns`.
- JSONL: one wire-format body per line, with optional ``"identifier"``, ``"tags"`` (a list of
  names) and ``"lifecycle"`` (a stage name; null or missing leaves it alone) keys (and
  ``"error"``, which a report adds, ignored); blank lines are skipped.
- ``cf:`` values (and JSONL ``custom_fields``) are converted by the workspace's field types when
  :attr:`RowReader.fields` is set (see :mod:`.fields`), else by their shape (CSV) or as given
  (JSONL).

>>> with RowReader("contacts.csv") as rows:
...     for row in rows:
...         print(row.line, row.identifier, row.contact or row.error)
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import os
import sys
from collections.abc import Iterator, Mapping
from types import TracebackType
from typing import IO, Literal

from .._errors import ContactValidationError
from .._sansio.validate.checks import ValidationMode
from .._sansio.validate.contact import validate_contact
from .columns import Columns, FileFormatError, Kind, by_shape, contact_from_cells
from .fields import WorkspaceFields
from .jsonl import jsonl_row
from .numbers import with_convention
from .row import Row, label_for, problem_error

Format = Literal["csv", "jsonl"]
FORMATS: tuple[Format, ...] = ("csv", "jsonl")
DELIMITERS = ",;\t|"
SNIFF_BYTES = 64 * 1024
_EXTENSIONS: dict[str, Format] = {
    ".csv": "csv",
    ".tsv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}


def detect_format(path: str, explicit: str | None = None) -> Format:
    """``explicit`` if given, else from the file name's extension (.csv, .tsv, .jsonl, .ndjson)."""
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


class _Counted:
    """An iterator of lines that counts the lines handed out (what the CSV reader consumed)."""

    def __init__(self, lines: Iterator[str]) -> None:
        self.count = 0
        self._lines = lines

    def __iter__(self) -> _Counted:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.count += 1
        return line


class _Lines:
    """The text lines of a binary stream, decoded one at a time, counted."""

    def __init__(self, binary: IO[bytes], encoding: str, path: str) -> None:
        self.count = 0
        self._path = path
        self._encoding = encoding
        self._binary = binary
        try:
            name = codecs.lookup(encoding).name
        except LookupError:
            raise FileFormatError(f"unknown --encoding {encoding!r}") from None
        self._text: io.TextIOWrapper | None = None
        if name.startswith(("utf-16", "utf-32")):  # not split by b"\n": decode as a stream
            self._text = io.TextIOWrapper(binary, encoding=encoding, newline="")
        self._decoder = codecs.getincrementaldecoder(encoding)()

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        try:
            if self._text is not None:
                line = self._text.readline()
                if not line:
                    raise StopIteration
                self.count += 1
                return line
            raw = self._binary.readline()
            if not raw:
                self._decoder.decode(b"", final=True)
                raise StopIteration
            self.count += 1
            return self._decoder.decode(raw)
        except UnicodeDecodeError as exc:
            number = self.count + (self._text is not None)
            raise FileFormatError(
                f"{self._path!r} line {number}: {exc.object[exc.start : exc.start + 1]!r} is not "
                f"{self._encoding} text; give the file's encoding with --encoding "
                "(e.g. --encoding cp1252 for a Windows export)"
            ) from None

    def detach(self) -> None:
        """Leave the underlying stream open (standard input)."""
        if self._text is not None:
            self._text.detach()


def _encoding_of(binary: IO[bytes], explicit: str | None) -> str:
    if explicit is not None:
        return explicit
    peek = getattr(binary, "peek", None)
    start = peek(4)[:4] if peek is not None else b""
    if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return "utf-8-sig"


def sniff_delimiter(sample: str) -> str:
    """The delimiter of a CSV sample: the only one of ``, ; tab |`` in its header line, else
    what :class:`csv.Sniffer` finds, else the most frequent in the header, else ``,``."""
    first = sample.split("\n", 1)[0]
    counts = {d: first.count(d) for d in DELIMITERS}
    present = [d for d in DELIMITERS if counts[d]]
    if len(present) == 1:
        return present[0]
    try:
        found = csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        found = ""
    if found and counts.get(found):
        return found
    return max(present, key=lambda d: counts[d]) if present else ","


class RowReader:
    """The rows of one file (``"-"``: standard input), read lazily; iterate it once.

    Raises :class:`FileFormatError` for a file that cannot be opened or whose header is wrong.
    """

    def __init__(
        self,
        path: str,
        fmt: Format | None = None,
        *,
        encoding: str | None = None,
        delimiter: str | None = None,
        mapping: Mapping[str, tuple[Kind, str]] | None = None,
        default_country: str | None = None,
    ) -> None:
        self.path = path
        self.format: Format = fmt if fmt is not None else detect_format(path)
        self.default_country = default_country
        self.decimal_comma = False
        """Read ``,`` as the decimal separator of number cells (see :mod:`.numbers`)."""
        self.validation: ValidationMode = "basic"
        """The mode a row with cell problems is checked under too (to report all at once)."""
        self.fields: WorkspaceFields | None = None
        """The workspace's custom fields, when known: set before iterating."""
        try:
            self._binary: IO[bytes] = (
                sys.stdin.buffer if path == "-" else open(path, "rb")  # noqa: SIM115
            )
        except OSError as exc:
            raise FileFormatError(f"cannot open {path!r}: {exc.strerror or exc}") from exc
        try:
            self._lines = _Lines(self._binary, _encoding_of(self._binary, encoding), path)
            self.delimiter = ","
            self.columns: Columns | None = None
            if self.format == "csv":
                self._source = self._sniffed(delimiter)
                self._reader = csv.reader(self._source, delimiter=self.delimiter)
                self._read_header(mapping or {})
        except BaseException:
            self.close()
            raise

    def _sniffed(self, delimiter: str | None) -> _Counted:
        head: list[str] = []
        size = 0
        for line in self._lines:
            head.append(line)
            size += len(line)
            if size >= SNIFF_BYTES or len(head) >= 50:
                break
        if delimiter is not None:
            self.delimiter = delimiter
        else:
            sample = "".join(head)
            self.delimiter = sniff_delimiter(sample[:SNIFF_BYTES])
        return _Counted(itertools.chain(head, self._lines))

    # -- CSV ---------------------------------------------------------------------------------

    def _read_header(self, mapping: Mapping[str, tuple[Kind, str]]) -> None:
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
        self.columns = Columns.from_header(header, mapping, self.path)

    def _records(self) -> Iterator[tuple[int, list[str] | csv.Error]]:
        """``(start line, cells or the csv error)`` of each non-blank record."""
        while True:
            start = self._source.count + 1
            try:
                cells = next(self._reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield start, exc
                continue
            if any(cell.strip() for cell in cells):
                yield start, cells

    def _csv_rows(self) -> Iterator[Row]:
        columns = self.columns
        assert columns is not None
        width = len(columns.names)
        for line, cells in self._records():
            if isinstance(cells, csv.Error):
                yield Row(line, None, error=problem_error("row", f"not valid CSV: {cells}"))
                continue
            if len(cells) > width and not any(cell.strip() for cell in cells[width:]):
                cells = cells[:width]  # empty cells after the last column (a spreadsheet's)
            values = dict(zip(columns.kinds, cells, strict=False))
            email = values.get(("field", "email"), "").strip()
            phone = values.get(("field", "phone"), "").strip()
            if len(cells) > width:
                problem = f"has {len(cells)} cells but the header has {width} columns"
                label = label_for(values.get(("identifier", "identifier")), email, phone)
                yield Row(
                    line, None, error=problem_error("row", problem), label=label, source=cells
                )
                continue
            convert = with_convention(
                self.fields.convert if self.fields is not None else by_shape,
                delimiter=self.delimiter,
                decimal_comma=self.decimal_comma,
            )
            read = contact_from_cells(columns, cells, self.default_country, convert)
            label = label_for(read.identifier, read.contact.email, read.contact.phone)
            if read.problems:  # with every other problem of the row, not only the cells'
                more = validate_contact(read.contact, self.validation)
                kept = [p for p in more if not p.field.startswith("custom_fields")]
                error = ContactValidationError([*read.problems, *kept])
                yield Row(
                    line,
                    read.identifier,
                    error=error,
                    label=label,
                    source=cells,
                    custom_columns=read.custom_columns,
                )
                continue
            yield Row(
                line,
                read.identifier,
                contact=read.contact,
                label=label,
                source=cells,
                custom_columns=read.custom_columns,
                tags=read.tags,
                lifecycle=read.lifecycle,
            )

    def count(self) -> int:
        """The number of records left (consumes the reader; use a second one to read them)."""
        if self.format == "csv":
            return sum(1 for _ in self._records())
        return sum(1 for line in self._lines if line.strip())

    # -- JSONL -------------------------------------------------------------------------------

    def _jsonl_rows(self) -> Iterator[Row]:
        for line in self._lines:
            if line.strip():
                yield jsonl_row(self._lines.count, line.lstrip("\ufeff"), self.fields)

    # -- the iterator ------------------------------------------------------------------------

    def __iter__(self) -> Iterator[Row]:
        return self._csv_rows() if self.format == "csv" else self._jsonl_rows()

    def close(self) -> None:
        """Close the file (standard input is left open)."""
        lines = getattr(self, "_lines", None)
        if self.path == "-":
            if lines is not None:
                lines.detach()
        else:
            self._binary.close()

    def __enter__(self) -> RowReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
