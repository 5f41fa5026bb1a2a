"""The formats the sandbox accepts, as regular expressions and lists that its OpenAPI document
publishes unchanged: what the document says is exactly what the server checks.

Emails are ASCII dot-atom addresses on a host name with an alphabetic top-level domain (at most
254 characters); phones are E.164 (``+`` and 7-15 digits, no check of the numbering plan);
languages and countries are the ISO 639-1 / 3166-1 alpha-2 codes (from pycountry when installed,
else any two letters of the right case).

>>> bool(EMAIL.fullmatch("o'hara+x@example.com")), bool(EMAIL.fullmatch("0@0"))
(True, False)
"""

from __future__ import annotations

import re
from types import ModuleType

_pycountry: ModuleType | None
try:
    import pycountry as _pycountry
except ImportError:  # the [validation] extra is not installed
    _pycountry = None

_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
EMAIL_PATTERN = rf"{_ATOM}(\.{_ATOM})*@({_LABEL}\.)+[A-Za-z]{{2,24}}"
EMAIL_MAX = 254
PHONE_PATTERN = r"\+[1-9][0-9]{6,14}"
ID_PATTERN = r"[0-9]{1,19}"
HTTP_URL_PATTERN = rf"https?://{_LABEL}(\.{_LABEL})*(:[0-9]{{1,5}})?([/?#][!-~]*)?"
BARE_URL_PATTERN = r"[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+(:[0-9]{1,5})?([/?#][!-~]*)?"
DATE_PATTERN = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
TIME_PATTERN = r"([01][0-9]|2[0-3]):[0-5][0-9]"
NUMBER_TEXT_PATTERN = r"-?[0-9]{1,15}(\.[0-9]{1,15})?"

EMAIL = re.compile(EMAIL_PATTERN)
PHONE = re.compile(PHONE_PATTERN)
HTTP_URL = re.compile(HTTP_URL_PATTERN)
BARE_URL = re.compile(BARE_URL_PATTERN)
DATE = re.compile(DATE_PATTERN)
TIME = re.compile(TIME_PATTERN)
NUMBER_TEXT = re.compile(NUMBER_TEXT_PATTERN)

LANGUAGES: tuple[str, ...] | None = (
    tuple(sorted(lang.alpha_2 for lang in _pycountry.languages if hasattr(lang, "alpha_2")))
    if _pycountry is not None
    else None
)
"""ISO 639-1 codes, or None without pycountry (then any two lower-case letters)."""

COUNTRIES: tuple[str, ...] | None = (
    tuple(sorted(country.alpha_2 for country in _pycountry.countries))
    if _pycountry is not None
    else None
)
"""ISO 3166-1 alpha-2 codes, or None without pycountry (then any two upper-case letters)."""


def is_email(value: str) -> bool:
    return len(value) <= EMAIL_MAX and EMAIL.fullmatch(value) is not None


def is_language(value: str) -> bool:
    if LANGUAGES is None:
        return re.fullmatch("[a-z]{2}", value) is not None
    return value in LANGUAGES


def is_country(value: str) -> bool:
    if COUNTRIES is None:
        return re.fullmatch("[A-Z]{2}", value) is not None
    return value in COUNTRIES


def is_url(value: str) -> bool:
    """A custom field URL: ``https://...``/``http://...`` or a bare ``www.site.com``."""
    return bool(HTTP_URL.fullmatch(value) or BARE_URL.fullmatch(value))
