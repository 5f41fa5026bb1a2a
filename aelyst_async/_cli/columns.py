"""What the columns of a contact file mean, and how a row's cells become a Contact.

Headers match loosely: case, spaces, ``_`` and ``-`` are ignored against the API's wire names
and the Python names (``First Name``, ``first_name`` and ``FIRSTNAME`` all mean ``firstName``).
``cf:<Field Name>`` is a custom field, ``identifier`` the row's identifier, ``tags`` (names
separated by commas) and ``lifecycle`` what to apply after the upsert, and ``error`` (the column
a ``--report`` file adds) is ignored. ``--map 'Column=field'`` names any other column. A column
without a name (``email,firstName,`` from a spreadsheet) is ignored while its cells are empty; a
value under it is that row's error.

>>> columns = Columns.from_header(["First Name", "E-mail", "cf:Seats"], {}, "c.csv")
>>> columns.field_column["first_name"]
'First Name'
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Literal

import attrs

from .._errors import ValidationProblem
from .._sansio.convert import WIRE_NAMES
from ..types.contact import UNSET, Contact, CustomField, CustomFieldValue

Kind = Literal["field", "identifier", "custom", "tags", "lifecycle", "ignore", "unnamed"]
CUSTOM_PREFIX = "cf:"
IDENTIFIER = "identifier"
TAGS = "tags"
LIFECYCLE = "lifecycle"
MAX_TAG_LENGTH = 255
REPORT_ERROR = "error"
STANDARD = [wire for name, wire in WIRE_NAMES.items() if name != "custom_fields"]
UNNAMED_VALUE = "has a value but no name in the header: name the column (or empty its cells)"
_INT = re.compile(r"-?(?:0|[1-9][0-9]*)")
_FLOAT = re.compile(r"-?(?:(?:0|[1-9][0-9]*)(?:\.[0-9]+)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_LOOSE = re.compile(r"[\s_\-]+")
_PHONE_SEPARATORS = re.compile(r"[\s().\-/]+")


class FileFormatError(ValueError):
    """The file cannot be read as contacts at all (a usage or file error, not a row's)."""


def loose(name: str) -> str:
    """A header as matched: case, spaces, ``_`` and ``-`` ignored."""
    return _LOOSE.sub("", name).casefold()


_MEANINGS: dict[str, tuple[Kind, str]] = {
    IDENTIFIER: ("identifier", IDENTIFIER),
    TAGS: ("tags", TAGS),
    LIFECYCLE: ("lifecycle", LIFECYCLE),
}
for _python, _wire in WIRE_NAMES.items():
    if _python != "custom_fields":
        _MEANINGS[loose(_python)] = _MEANINGS[loose(_wire)] = ("field", _python)
_CANONICAL = {key: WIRE_NAMES.get(name, name) for key, (_, name) in _MEANINGS.items()}
ACCEPTED = (
    f"{', '.join(STANDARD)} (or their Python names, any case, spaces, _ or - ignored), "
    f"{IDENTIFIER}, {CUSTOM_PREFIX}<Field Name>, {TAGS}, {LIFECYCLE}"
)


def meaning(name: str) -> tuple[Kind, str] | None:
    """What a column named ``name`` holds, or None when nothing matches."""
    stripped = name.strip()
    if stripped[: len(CUSTOM_PREFIX)].casefold() == CUSTOM_PREFIX:
        field = stripped[len(CUSTOM_PREFIX) :].strip()
        return ("custom", field) if field else None
    if loose(stripped) == REPORT_ERROR:
        return ("ignore", REPORT_ERROR)
    return _MEANINGS.get(loose(stripped))


def closest(name: str) -> str | None:
    """The accepted name closest to an unknown one (difflib), or None."""
    found = difflib.get_close_matches(loose(name), list(_CANONICAL), n=1, cutoff=0.6)
    return _CANONICAL[found[0]] if found else None


def parse_map(items: Sequence[str]) -> dict[str, tuple[Kind, str]]:
    """``--map 'Column=field'`` options -> {loose column name: meaning}.

    Raises :class:`FileFormatError` naming a malformed option or an unknown field.
    """
    mapping: dict[str, tuple[Kind, str]] = {}
    for item in items:
        column, sep, field = item.partition("=")
        if not sep or not column.strip() or not field.strip():
            raise FileFormatError(
                f"--map {item!r}: use --map 'Column=field', e.g. 'Nome=firstName'"
            )
        found = meaning(field)
        if found is None or found[0] == "ignore":
            hint = closest(field)
            maybe = f" (did you mean {hint}?)" if hint else ""
            raise FileFormatError(
                f"--map {item!r}: unknown field {field.strip()!r}{maybe}; fields are {ACCEPTED}"
            )
        mapping[loose(column)] = found
    return mapping


@attrs.frozen
class Columns:
    """The meaning of each column of a CSV header, and the names the file gives the fields."""

    names: tuple[str, ...]
    """The header's cells, as in the file (trimmed)."""
    kinds: tuple[tuple[Kind, str], ...]
    field_column: Mapping[str, str]
    """Python field name (and ``identifier``) -> the column naming it in the file."""

    @classmethod
    def from_header(
        cls, header: Sequence[str], mapping: Mapping[str, tuple[Kind, str]], path: str
    ) -> Columns:
        """Read a header row; raises :class:`FileFormatError` naming each problem."""
        names = [cell.strip().lstrip("\ufeff").strip() for cell in header]
        kinds: list[tuple[Kind, str]] = []
        field_column: dict[str, str] = {}
        unknown: list[str] = []
        for name in names:
            if not name:
                kinds.append(("unnamed", ""))
                continue
            found = mapping.get(loose(name)) or meaning(name)
            if found is None:
                unknown.append(name)
                continue
            kind, field = found
            key = f"{CUSTOM_PREFIX}{field}" if kind == "custom" else field
            if kind != "ignore":
                if key in field_column:
                    raise FileFormatError(
                        f"{path!r}: columns {field_column[key]!r} and {name!r} both mean "
                        f"{WIRE_NAMES.get(key, key)}"
                    )
                field_column[key] = name
            kinds.append(found)
        if unknown:
            described = []
            for name in unknown:
                hint = closest(name)
                described.append(f"{name!r}" + (f" (did you mean {hint}?)" if hint else ""))
            plural = "s" if len(unknown) > 1 else ""
            report = ("ignore", REPORT_ERROR) in kinds
            again = " (a --report file keeps the columns: give the --map options again)"
            raise FileFormatError(
                f"{path!r}: unknown column{plural} {', '.join(described)}; accepted names are "
                f"{ACCEPTED}; name another column with --map '{unknown[0]}=firstName'"
                + (again if report else "")
            )
        if "first_name" not in field_column:
            raise FileFormatError(f"{path!r}: no firstName column (the API requires it)")
        return cls(tuple(names), tuple(kinds), field_column)


def cell_number(text: str) -> int | float | None:
    """The JSON number a ``cf:`` cell stands for, or None if it is not a number."""
    if _INT.fullmatch(text):
        return int(text)
    looks_decimal = any(c.isdigit() for c in text) and ("." in text or "e" in text.lower())
    if looks_decimal and _FLOAT.fullmatch(text):
        value = float(text)
        if value not in (float("inf"), float("-inf")):
            return value
    return None


def _optional_phonenumbers() -> Any:
    try:
        return __import__("phonenumbers")
    except ImportError:  # pragma: no cover - the [validation] extra is not installed
        return None


_phonenumbers = _optional_phonenumbers()


def check_region(region: str) -> str:
    """A ``--default-country`` value, upper-cased; raises :class:`FileFormatError`."""
    if _phonenumbers is None:  # pragma: no cover - the [validation] extra is not installed
        raise FileFormatError(
            "--default-country needs phonenumbers: pip install 'aelyst_async[validation]'"
        )
    code = region.strip().upper()
    if code not in _phonenumbers.SUPPORTED_REGIONS:
        raise FileFormatError(f"--default-country {region!r} is not a country code such as MY")
    return code


def normalize_phone(text: str, region: str | None) -> str:
    """``text`` as E.164 when it reads as a phone number (national numbers need ``region``);
    otherwise unchanged, for validation to report."""
    if _phonenumbers is None:  # pragma: no cover - the [validation] extra is not installed
        if text.startswith("+"):
            digits = _PHONE_SEPARATORS.sub("", text[1:])
            return f"+{digits}" if digits.isdigit() else text
        return text
    if region is not None and region not in _phonenumbers.SUPPORTED_REGIONS:
        region = None
    try:
        number = _phonenumbers.parse(text, region)
    except _phonenumbers.NumberParseException:
        return text
    if not _phonenumbers.is_possible_number(number):
        return text
    formatted: str = _phonenumbers.format_number(number, _phonenumbers.PhoneNumberFormat.E164)
    return formatted


def region_of(country: object, default_country: str | None) -> str | None:
    """The region of a row's national phone numbers: its countryCode, else the default."""
    return country.upper() if isinstance(country, str) else default_country


def normalize_identifier(identifier: str, region: str | None) -> str:
    """A ``phone:`` identifier's number as :func:`normalize_phone`; others unchanged."""
    if identifier.startswith("phone:"):
        return "phone:" + normalize_phone(identifier[len("phone:") :].strip(), region)
    return identifier


ConvertCustom = Callable[[str, object], tuple[str, CustomFieldValue]]
"""``(column's field name, value) -> (the field's name, the value to send)``; raises
``ValueError`` with the problem for a value the field cannot take."""


def by_shape(name: str, value: object) -> tuple[str, CustomFieldValue]:
    """How a ``cf:`` cell is read when the workspace's fields are unknown: a plain number
    becomes a JSON number, anything else stays text."""
    if isinstance(value, str):
        number = cell_number(value)
        return name, value if number is None else number
    return name, value  # type: ignore[return-value]


def clean_tags(names: Iterable[str]) -> tuple[tuple[str, ...], str | None]:
    """Tag names trimmed, empty ones dropped, the first spelling of a repeated name kept (tags
    compare without regard to case); and the problem with them, if any."""
    kept: dict[str, str] = {}
    for part in names:
        name = part.strip()
        if name:
            kept.setdefault(name.casefold(), name)
    long = [name for name in kept.values() if len(name) > MAX_TAG_LENGTH]
    if long:
        return (), f"a tag has at most {MAX_TAG_LENGTH} characters: {long[0][:40]!r}..."
    return tuple(kept.values()), None


def split_tags(cell: str) -> tuple[tuple[str, ...], str | None]:
    """The tag names of a ``tags`` cell (separated by commas), as :func:`clean_tags`."""
    return clean_tags(cell.split(","))


@attrs.frozen
class Cells:
    """A CSV row read through its :class:`Columns`: the contact and what to do after its
    upsert, or the problems that keep it from being sent."""

    identifier: str | None
    contact: Contact
    custom_columns: tuple[str, ...]
    """The column of each of ``contact.custom_fields``, in order (of each ``cf:`` cell read,
    when there are ``problems``)."""
    tags: tuple[str, ...] = ()
    lifecycle: str | None = None
    problems: tuple[ValidationProblem, ...] = ()


def contact_from_cells(
    columns: Columns,
    cells: Sequence[str],
    default_country: str | None,
    convert: ConvertCustom = by_shape,
) -> Cells:
    """The contact a row's cells describe. Cells are trimmed; an empty cell leaves its field
    out; phone numbers become E.164 (national ones with the row's countryCode, else
    ``default_country``); ``cf:`` cells go through ``convert`` (by default a plain number
    becomes a JSON number); ``tags`` is split at commas; an empty ``lifecycle`` is None; a
    value in a column without a name is a problem naming the column's number."""
    identifier: str | None = None
    fields: dict[str, Any] = {}
    custom: list[CustomField] = []
    custom_columns: list[str] = []
    problems: list[ValidationProblem] = []
    tags: tuple[str, ...] = ()
    lifecycle: str | None = None
    for position, (name, (kind, field), raw) in enumerate(
        zip(columns.names, columns.kinds, cells, strict=False), start=1
    ):
        cell = raw.strip()
        if not cell:
            continue
        if kind == "unnamed":
            problems.append(ValidationProblem(f"column {position}", UNNAMED_VALUE))
        elif kind == "field":
            fields[field] = cell
        elif kind == "identifier":
            identifier = cell
        elif kind == "custom":
            try:
                custom.append(CustomField(*convert(field, cell)))
            except ValueError as exc:
                problems.append(
                    ValidationProblem(f"custom_fields[{len(custom_columns)}]", str(exc))
                )
            custom_columns.append(name)
        elif kind == "tags":
            tags, problem = split_tags(cell)
            if problem is not None:
                problems.append(ValidationProblem(TAGS, problem))
        elif kind == "lifecycle":
            lifecycle = cell
    region = region_of(fields.get("country_code"), default_country)
    if "phone" in fields:
        fields["phone"] = normalize_phone(fields["phone"], region)
    if identifier is not None:
        identifier = normalize_identifier(identifier, region)
    contact = Contact(
        fields.pop("first_name", ""), **fields, custom_fields=custom if custom else UNSET
    )
    return Cells(identifier, contact, tuple(custom_columns), tags, lifecycle, tuple(problems))
