"""How a CSV's number cells are read: the decimal separator convention.

- A comma-delimited (or tab, pipe) file: ``.`` is the decimal point; ``1,5`` is not a number.
- A ``;``-delimited file (the European spreadsheet export) without ``--decimal-comma``: a number
  cell that may hold a thousands separator or a decimal comma is refused, naming the flag:
  ``1,5`` (a decimal comma?) and ``1.234`` / ``12.345.678`` (groups of three digits: 1234 or
  1.234?). Other decimals (``1.5``, ``3.14159``) read with ``.`` as the decimal point.
- ``--decimal-comma``: ``,`` is the decimal separator and ``.`` groups thousands (groups of
  exactly three digits): ``1,5`` -> 1.5, ``1.234`` -> 1234, ``1.234,5`` -> 1234.5; a cell such as
  ``1.5`` is refused.

Only cells sent as numbers are concerned (a number custom field, or any number-like cell when the
workspace's fields are not known); a text field keeps the cell as written.

>>> read = with_convention(by_shape, delimiter=";", decimal_comma=True)
>>> read("Seats", "1.234,5")
('Seats', 1234.5)
"""

from __future__ import annotations

import re

from .columns import ConvertCustom

_GROUPED = re.compile(r"-?[1-9][0-9]{0,2}(?:\.[0-9]{3})+")
"""``1.234``, ``12.345.678``: a thousands-grouped integer (or a decimal with three places)."""
_COMMA = re.compile(r"-?[0-9]{1,3}(?:\.[0-9]{3})*,[0-9]+|-?[0-9]+,[0-9]+")
_DOTS = re.compile(r"-?[0-9]{1,3}(?:\.[0-9]{3})+|-?[0-9]+")


def _read(text: str, delimiter: str, decimal_comma: bool) -> str | None:
    """``text`` as a plain decimal (``1234.5``) under the convention, None when it is not a
    number needing one; raises ``ValueError`` when it is refused."""
    cell = text.strip()
    if decimal_comma:
        if _COMMA.fullmatch(cell) or (_DOTS.fullmatch(cell) and "." in cell):
            return cell.replace(".", "").replace(",", ".")
        if re.fullmatch(r"-?[0-9.]+", cell) and "." in cell:
            raise ValueError(
                f"not a number under --decimal-comma: {text!r} ('.' groups thousands in "
                "threes, ',' is the decimal separator: 1.234,5)"
            )
        return None
    if delimiter != ";":
        return None
    if re.fullmatch(r"-?[0-9]+(?:[.,][0-9]+)+", cell) and ("," in cell or _GROUPED.fullmatch(cell)):
        raise ValueError(
            f"ambiguous number in a ';' file: {text!r} (a thousands separator or a decimal "
            "comma?): pass --decimal-comma to read ',' as the decimal separator, or write it "
            "without separators"
        )
    return None


def with_convention(
    convert: ConvertCustom, *, delimiter: str, decimal_comma: bool
) -> ConvertCustom:
    """``convert`` reading number cells by the file's convention (see the module docstring)."""

    def read(name: str, value: object) -> tuple[str, object]:
        if not isinstance(value, str):
            return convert(name, value)
        try:
            plain = _read(value, delimiter, decimal_comma)
        except ValueError:
            if _takes_numbers(convert, name):
                raise
            return convert(name, value)
        if plain is None:
            return convert(name, value)
        field, number = convert(name, plain)
        if isinstance(number, (int, float)) and not isinstance(number, bool):
            return field, number
        return convert(name, value)  # a text field: the cell as written

    return read  # type: ignore[return-value]


def _takes_numbers(convert: ConvertCustom, name: str) -> bool:
    try:
        _, probe = convert(name, "0")
    except ValueError:
        return False
    return isinstance(probe, (int, float)) and not isinstance(probe, bool)
