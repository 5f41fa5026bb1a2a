"""The workspace's custom fields, as ``aelyst`` reads and checks ``cf:`` values against them.

``aelyst upsert`` reads the fields once (``GET /space/custom_field``) before sending anything:
a ``cf:`` column the workspace does not have is a file error, and each value is converted by
its field's type:

======== ================================================================================
text     kept as written (``2024`` stays the text ``"2024"``)
number   a JSON number (``3``, ``2.5``, ``-1e3``)
checkbox ``"true"`` / ``"false"``; accepts true/false, yes/no, 1/0 in any case
date     ``yyyy-mm-dd``
time     ``HH:MM``, 24-hour (``9:30`` becomes ``09:30``)
email    an email address
url      an http(s) URL or a bare domain with an optional path (``www.example.com/x``)
list     one of the field's options (matched ignoring case, sent as the workspace spells it)
======== ================================================================================

A type the API adds later is read by the value's shape. Column names match the workspace's
field names exactly, else ignoring case, spaces, ``_`` and ``-`` (against names and slugs).

>>> fields = WorkspaceFields.of([CustomFieldDefinition(id=1, name="Seats", data_type="number")])
>>> fields.convert("seats", "3")
('Seats', 3)
"""

from __future__ import annotations

import datetime
import difflib
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

import attrs

from .._errors import APIError
from .._sansio.validate.checks import ValidationMode
from .._sansio.validate.formats import check_email, check_http_url
from ..types.contact import CustomFieldValue
from ..types.workspace import CustomFieldDefinition
from .columns import CUSTOM_PREFIX, Columns, FileFormatError, by_shape, cell_number, loose

if TYPE_CHECKING:
    from .._client import AelystClient

CHECKBOX = {
    "true": "true",
    "yes": "true",
    "1": "true",
    "false": "false",
    "no": "false",
    "0": "false",
}
FALLBACK_STATUSES = (401, 403, 404)
"""Answers to ``GET /space/custom_field`` after which ``cf:`` values are checked by shape."""
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TIME = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])")
_BARE_URL = re.compile(r"[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+(:[0-9]+)?([/?#]\S*)?")


def _text(value: object, field: CustomFieldDefinition, strict: bool) -> CustomFieldValue:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return _string(value)


def _string(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"must be text, not {type(value).__name__}")
    return value


def _number(value: object, field: CustomFieldDefinition, strict: bool) -> CustomFieldValue:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    number = cell_number(_string(value)) if isinstance(value, str) else None
    if number is None:
        raise ValueError(f"not a number: {value!r} (the field {field.name} is a number)")
    return number


def _checkbox(value: object, field: CustomFieldDefinition, strict: bool) -> CustomFieldValue:
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value).strip().lower() if isinstance(value, (str, int)) else ""
    if text not in CHECKBOX:
        raise ValueError(
            f"not a checkbox value: {value!r} (the field {field.name} takes true/false, "
            "yes/no or 1/0)"
        )
    return CHECKBOX[text]


def _date(value: object, field: CustomFieldDefinition, strict: bool) -> CustomFieldValue:
    text = _string(value)
    try:
        if _DATE.fullmatch(text):
            datetime.date.fromisoformat(text)
            return text
    except ValueError:
        pass
    raise ValueError(f"not a yyyy-mm-dd date: {text!r} (the field {field.name} is a date)")


def _time(value: object, field: CustomFieldDefinition, strict: bool) -> CustomFieldValue:
    text = _string(value)
    match = _TIME.fullmatch(text)
    if match is None:
        raise ValueError(f"not an HH:MM 24-hour time: {text!r} (the field {field.name} is a time)")
    return f"{int(match.group(1)):02d}:{match.group(2)}"


def _email(value: object, field: CustomFieldDefinition, strict: bool) -> CustomFieldValue:
    text = _string(value)
    problem = check_email(text, strict=strict)
    if problem is not None:
        raise ValueError(problem)
    return text


def _url(value: object, field: CustomFieldDefinition, strict: bool) -> CustomFieldValue:
    text = _string(value)
    if text.lower().startswith(("http://", "https://")):
        problem = check_http_url(text)
    else:
        problem = None if _BARE_URL.fullmatch(text) else f"not a URL: {text!r}"
    if problem is not None:
        raise ValueError(problem)
    return text


def _list(value: object, field: CustomFieldDefinition, strict: bool) -> CustomFieldValue:
    text = _string(value)
    options = field.allowed_values or ()
    if text in options:
        return text
    folded = [option for option in options if option.casefold() == text.casefold()]
    if folded:
        return folded[0]
    raise ValueError(f"{text!r} is not one of the options of {field.name}: {', '.join(options)}")


Converter = Callable[[object, CustomFieldDefinition, bool], CustomFieldValue]
CONVERTERS: Mapping[str, Converter] = {
    "text": _text,
    "number": _number,
    "checkbox": _checkbox,
    "date": _date,
    "time": _time,
    "email": _email,
    "url": _url,
    "list": _list,
}


@attrs.frozen
class WorkspaceFields:
    """The workspace's custom fields by name; converts and checks values by each one's type.

    ``validation``: ``"strict"`` checks emails with the ``[validation]`` extra where installed,
    ``"basic"`` by shape; ``"off"`` converts what it can and sends any other value as written.
    """

    by_name: Mapping[str, CustomFieldDefinition]
    validation: ValidationMode = "strict"
    _loose: Mapping[str, str] = attrs.field(factory=dict)

    @classmethod
    def of(
        cls, definitions: Iterable[CustomFieldDefinition], validation: ValidationMode = "strict"
    ) -> WorkspaceFields:
        by_name = {field.name: field for field in definitions}
        loose_names: dict[str, str] = {}
        for field in by_name.values():
            for alias in (field.slug, field.name):
                if alias:
                    loose_names[loose(alias)] = field.name
        return cls(by_name, validation, loose_names)

    def find(self, name: str) -> CustomFieldDefinition | None:
        """The field a column (or a JSONL body) names: exactly, else loosely, else None."""
        found = self.by_name.get(name)
        if found is None and loose(name) in self._loose:
            found = self.by_name[self._loose[loose(name)]]
        return found

    def known(self) -> str:
        return ", ".join(repr(name) for name in sorted(self.by_name)) or "none"

    def unknown(self, name: str, prefix: str = "") -> str:
        """What to say of a field name the workspace does not have (with the closest match,
        written with ``prefix``)."""
        close = difflib.get_close_matches(name, list(self.by_name), n=1, cutoff=0.6)
        hint = f" (did you mean {prefix}{close[0]}?)" if close else ""
        return f"{name!r}{hint}"

    def check_columns(self, columns: Columns, path: str) -> None:
        """Raise :class:`FileFormatError` when a ``cf:`` column names no field of the
        workspace, or two name the same one."""
        unknown: list[str] = []
        seen: dict[str, str] = {}
        for name, (kind, field) in zip(columns.names, columns.kinds, strict=True):
            if kind != "custom":
                continue
            found = self.find(field)
            if found is None:
                unknown.append(self.unknown(field, CUSTOM_PREFIX))
            elif found.name in seen:
                raise FileFormatError(
                    f"{path!r}: columns {seen[found.name]!r} and {name!r} both name the custom "
                    f"field {found.name!r}"
                )
            else:
                seen[found.name] = name
        if unknown:
            plural = "s" if len(unknown) > 1 else ""
            raise FileFormatError(
                f"{path!r}: the workspace has no custom field{plural} {', '.join(unknown)}; "
                f"its custom fields are {self.known()}"
            )

    def convert(self, name: str, value: object) -> tuple[str, CustomFieldValue]:
        """``(the field's name, the value to send)``; raises ``ValueError`` with the problem."""
        field = self.find(name)
        if field is None:
            raise ValueError(
                f"the workspace has no custom field {self.unknown(name)}; its custom fields "
                f"are {self.known()}"
            )
        if value is None:
            return field.name, None
        converter = CONVERTERS.get(field.data_type)
        if converter is None:  # a type added later: read by shape
            return by_shape(field.name, value)
        try:
            return field.name, converter(value, field, self.validation == "strict")
        except ValueError:
            if self.validation == "off" and isinstance(value, str):
                return field.name, value
            raise


async def read_fields(
    client: AelystClient, validation: ValidationMode, command: str
) -> WorkspaceFields | None:
    """The workspace's custom fields, or None (said once on stderr) when the token may not read
    them or the endpoint is missing (401, 403, 404). Other errors propagate."""
    try:
        definitions: Sequence[CustomFieldDefinition] = [
            field async for field in client.workspace.list_custom_fields()
        ]
    except APIError as exc:
        if exc.status not in FALLBACK_STATUSES:
            raise
        print(
            f"aelyst {command}: cannot read the workspace's custom fields ({exc.status} "
            f"{exc.message}); checking cf: values by their shape only",
            file=sys.stderr,
        )
        return None
    return WorkspaceFields.of(definitions, validation)
