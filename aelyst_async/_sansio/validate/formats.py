"""Format checks for contact fields, shared by client-side validation and the sandbox.

Each check returns ``None`` when the value is fine, else a short description of the problem.
``strict=True`` uses the ``[validation]`` extra (email-validator, phonenumbers, pycountry) where
installed and falls back to shape checks otherwise, warning once; it never makes a DNS look-up.

>>> check_country_code("my", strict=False)
"not an ISO 3166-1 alpha-2 code: 'my' (two upper-case letters, e.g. 'MY')"
"""

from __future__ import annotations

import functools
import importlib
import re
import warnings
from types import ModuleType
from urllib.parse import urlsplit

_E164 = re.compile(r"\+[1-9][0-9]{6,14}")
_EMAIL_SHAPE = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")
_LANGUAGE_SHAPE = re.compile(r"[a-z]{2}")
_COUNTRY_SHAPE = re.compile(r"[A-Z]{2}")


@functools.cache
def optional_library(module: str) -> ModuleType | None:
    """The ``[validation]`` extra's ``module``, imported on first use, or None if missing
    (then strict validation warns once that it falls back to shape checks)."""
    try:
        return importlib.import_module(module)
    except ImportError:
        _warn_strict_fallback()
        return None


@functools.cache
def _warn_strict_fallback() -> None:
    warnings.warn(
        "aelyst_async: validation='strict' needs the [validation] extra (email-validator, "
        "phonenumbers, pycountry), which is not installed: emails, phone numbers, languages and "
        "country codes get shape checks only, and a value the API refuses comes back as a 400 "
        "naming no field. Install 'aelyst_async[validation]', or pass validation='basic' to "
        "choose shape checks.",
        UserWarning,
        stacklevel=2,
    )


def check_email(value: str, *, strict: bool) -> str | None:
    """An email address: syntax only, never deliverability."""
    if not _EMAIL_SHAPE.fullmatch(value):
        return f"not a valid email address: {value!r}"
    if strict and optional_library("email_validator") is not None:
        return _email_problem(value)
    return None


@functools.lru_cache(maxsize=1024)  # a request often checks one address twice (path and body)
def _email_problem(value: str) -> str | None:
    library = optional_library("email_validator")
    assert library is not None
    try:
        library.validate_email(value, check_deliverability=False, allow_smtputf8=True)
    except library.EmailNotValidError as exc:
        return f"not a valid email address: {value!r} ({exc})"
    return None


def check_phone(value: str, *, strict: bool) -> str | None:
    """A phone number in E.164 form: ``+`` and up to 15 digits, no spaces."""
    if not _E164.fullmatch(value):
        return (
            f"not an E.164 phone number: {value!r} (expected '+' and digits, e.g. '+60123456789')"
        )
    if strict and optional_library("phonenumbers") is not None:
        return _phone_problem(value)
    return None


@functools.lru_cache(maxsize=1024)
def _phone_problem(value: str) -> str | None:
    library = optional_library("phonenumbers")
    assert library is not None
    try:
        valid = library.is_valid_number(library.parse(value, None))
    except library.NumberParseException:
        valid = False
    return None if valid else f"not a valid phone number: {value!r}"


def check_language(value: str, *, strict: bool) -> str | None:
    """An ISO 639-1 language code, lower case (``ms``, ``en``)."""
    problem = f"not an ISO 639-1 language code: {value!r} (two lower-case letters, e.g. 'en')"
    if not _LANGUAGE_SHAPE.fullmatch(value):
        return problem
    pycountry = optional_library("pycountry") if strict else None
    if pycountry is not None and pycountry.languages.get(alpha_2=value) is None:
        return problem
    return None


def check_country_code(value: str, *, strict: bool) -> str | None:
    """An ISO 3166-1 alpha-2 country code, upper case (``MY``, ``PT``)."""
    problem = f"not an ISO 3166-1 alpha-2 code: {value!r} (two upper-case letters, e.g. 'MY')"
    if not _COUNTRY_SHAPE.fullmatch(value):
        return problem
    pycountry = optional_library("pycountry") if strict else None
    if pycountry is not None and pycountry.countries.get(alpha_2=value) is None:
        return problem
    return None


def check_http_url(value: str) -> str | None:
    """An absolute http(s) URL with a host and no whitespace."""
    problem = f"not an http(s) URL: {value!r}"
    if any(c.isspace() for c in value):
        return problem
    try:
        parts = urlsplit(value)
    except ValueError:
        return problem
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return problem
    return None
