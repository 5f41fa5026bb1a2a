"""Client-side validation: every rule, its field path, every mode."""

from __future__ import annotations

import datetime
import math

import pytest

from aelyst_async import Contact, ContactValidationError, CustomField, Identifier, ValidationProblem
from aelyst_async._sansio.validate.contact import validate_contact, validate_identifier
from tests.upsert_helpers import upsert_request

MODES = ("strict", "basic")


def fields_of(problems: list[ValidationProblem]) -> list[str]:
    return [p.field for p in problems]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("field", "good", "bad"),
    [
        ("email", "ana.silva+news@example.co.uk", "ana@"),
        ("email", "test@example.com", "not an email"),
        ("phone", "+60123456789", "60123456789"),
        ("phone", "+351912345678", "+60 12 345 6789"),
        ("phone", "+14155552671", "+0123456789"),
        ("language", "ms", "MS"),
        ("language", "en", "eng"),
        ("country_code", "MY", "my"),
        ("country_code", "PT", "PRT"),
        ("profile_pic", "https://cdn.aelyst.ai/a.png", "ftp://cdn.aelyst.ai/a.png"),
        ("profile_pic", "http://example.com/a.png", "cdn.aelyst.ai/a.png"),
        ("profile_pic", "https://example.com/a.png", "https://exa mple.com/a.png"),
    ],
)
def test_format_rules(mode: str, field: str, good: str, bad: str) -> None:
    assert validate_contact(Contact("Ana", **{field: good}), mode) == []  # type: ignore[arg-type]
    problems = validate_contact(Contact("Ana", **{field: bad}), mode)  # type: ignore[arg-type]
    assert fields_of(problems) == [field]
    assert repr(bad) in problems[0].problem


@pytest.mark.parametrize(
    ("field", "shape_ok_but_unknown"),
    [
        ("language", "zz"),
        ("country_code", "XX"),
        ("phone", "+99912345678"),
        ("email", "ana@example..com"),
    ],
)
def test_strict_mode_uses_the_standards_not_just_the_shape(
    field: str, shape_ok_but_unknown: str
) -> None:
    contact = Contact("Ana", **{field: shape_ok_but_unknown})  # type: ignore[arg-type]
    assert fields_of(validate_contact(contact, "strict")) == [field]
    if field != "email":
        assert validate_contact(contact, "basic") == []


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("first_name", ["", "   "])
def test_first_name_is_required(mode: str, first_name: str) -> None:
    assert fields_of(validate_contact(Contact(first_name), mode)) == ["first_name"]


def test_every_problem_is_collected_with_its_path() -> None:
    contact = Contact(
        "",
        email="nope",
        country_code="my",
        last_name=5,  # type: ignore[arg-type]
        custom_fields=[
            CustomField("Plan", "Pro"),
            CustomField("", "x"),
            CustomField("Seats", math.nan),
            CustomField("Call", datetime.time(9, 30, 15)),
            CustomField("When", datetime.datetime(2024, 1, 1)),
            CustomField(3, "x"),  # type: ignore[arg-type]
            "Plan=Pro",  # type: ignore[list-item]
        ],
    )
    problems = validate_contact(contact, "strict")
    assert fields_of(problems) == [
        "first_name",
        "last_name",
        "email",
        "country_code",
        "custom_fields[1].name",
        "custom_fields[2].value",
        "custom_fields[3].value",
        "custom_fields[4].value",
        "custom_fields[5].name",
        "custom_fields[6]",
    ]
    with pytest.raises(ContactValidationError) as info:
        upsert_request("id:1", contact)
    assert info.value.errors == problems
    assert isinstance(info.value, ValueError)
    assert "country_code: not an ISO 3166-1 alpha-2 code: 'my'" in str(info.value)
    assert "custom_fields[3].value" in str(info.value)


def test_off_mode_sends_as_given_but_refuses_what_json_cannot_carry() -> None:
    sloppy = Contact("", email="nope", country_code="my", language="english")
    assert validate_contact(sloppy, "off") == []
    assert upsert_request("email:nope", sloppy, validation="off").body
    unsendable = Contact("A", custom_fields=[CustomField("x", math.inf)])
    assert fields_of(validate_contact(unsendable, "off")) == ["custom_fields[0].value"]


def test_none_clears_and_is_always_valid() -> None:
    contact = Contact("A", email=None, phone=None, language=None, custom_fields=None)
    assert validate_contact(contact, "strict") == []


def test_custom_fields_must_be_a_list() -> None:
    bad = Contact("A", custom_fields="Plan")  # type: ignore[arg-type]
    assert fields_of(validate_contact(bad, "basic")) == ["custom_fields"]


@pytest.mark.parametrize("mode", MODES)
def test_identifiers_are_checked_like_the_fields(mode: str) -> None:
    assert validate_identifier(Identifier.email("a@b.com"), mode) == []
    assert validate_identifier(Identifier.phone("+60121233112"), mode) == []
    assert fields_of(validate_identifier(Identifier.email("a@"), mode)) == ["identifier"]
    assert fields_of(validate_identifier(Identifier.phone("0121233112"), mode)) == ["identifier"]
    with pytest.raises(ContactValidationError) as info:
        upsert_request("phone:0121233112", Contact("A"), validation=mode)  # type: ignore[arg-type]
    assert fields_of(info.value.errors) == ["identifier"]
    assert validate_identifier(Identifier.email("a@"), "off") == []


def test_strict_falls_back_to_shape_checks_without_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from aelyst_async._sansio.validate import formats as _formats

    monkeypatch.setattr(_formats, "optional_library", lambda _module: None)
    assert validate_contact(Contact("A", country_code="XX", phone="+99912345678"), "strict") == []
    assert fields_of(validate_contact(Contact("A", country_code="xx"), "strict")) == [
        "country_code"
    ]
