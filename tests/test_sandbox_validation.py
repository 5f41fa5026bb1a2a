"""Server-side validation of identifiers, bodies and custom field values."""

from __future__ import annotations

from typing import Any

import pytest

from aelyst_async.sandbox import DEFAULT_CUSTOM_FIELDS, FieldSpec
from aelyst_async.sandbox._validation import (
    canonical_body,
    load_json,
    parse_identifier,
    validate_body,
)
from tests.sandbox_helpers import EXAMPLE_BODY


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [
        ("id:123", ("id", "123")),
        ("email:abdc@gmail.com", ("email", "abdc@gmail.com")),
        ("email%3Aabdc%40gmail.com", ("email", "abdc@gmail.com")),
        ("phone:+60121233112", ("phone", "+60121233112")),
        ("phone:%2B60121233112", ("phone", "+60121233112")),
        ("id:", None),
        ("id:-1", None),
        ("id:1.5", None),
        ("id: 1", None),
        ("ID:1", None),
        ("email:abdc", None),
        ("email:a b@gmail.com", None),
        ("phone:60121233112", None),
        ("phone:+6012 1233112", None),
        ("phone:+0000000000", None),
        ("nothing", None),
        ("%ff", None),
    ],
)
def test_parse_identifier(raw: str, parsed: tuple[str, str] | None) -> None:
    assert parse_identifier(raw) == parsed


def test_documented_body_is_valid() -> None:
    assert validate_body(EXAMPLE_BODY, DEFAULT_CUSTOM_FIELDS) == []
    nulls = dict.fromkeys(EXAMPLE_BODY, None) | {"firstName": "A"}
    assert validate_body(nulls, DEFAULT_CUSTOM_FIELDS) == []


@pytest.mark.parametrize(
    "changes",
    [
        {"firstName": None},
        {"firstName": ""},
        {"firstName": "   "},
        {"firstName": 5},
        {"lastName": 5},
        {"phone": "+60 12 345 6789"},
        {"phone": "0123456789"},
        {"email": "test@"},
        {"email": " "},
        {"language": "MS"},
        {"language": "xx"},
        {"language": "msa"},
        {"countryCode": "my"},
        {"countryCode": "XX"},
        {"countryCode": "MYS"},
        {"profilePic": "ftp://cdn.aelyst.ai/p.png"},
        {"profilePic": "cdn.aelyst.ai/p.png"},
        {"custom_fields": {"Plan": "Pro"}},
        {"custom_fields": ["Plan"]},
        {"custom_fields": [{"value": "Pro"}]},
        {"custom_fields": [{"name": "Shoe size", "value": "42"}]},
        {"custom_fields": [{"name": "Plan", "value": "Pro", "type": "list"}]},
        {"contactId": 1},
    ],
)
def test_invalid_bodies(changes: dict[str, Any]) -> None:
    body = EXAMPLE_BODY | changes
    if "firstName" in changes and changes["firstName"] is None:
        del body["firstName"]
    assert validate_body(body, DEFAULT_CUSTOM_FIELDS) != []


def test_non_objects_are_invalid() -> None:
    bodies: list[object] = [None, [], "x", 1]
    for body in bodies:
        assert validate_body(body, DEFAULT_CUSTOM_FIELDS) == ["body: not a JSON object"]


VALUES: dict[str, tuple[list[Any], list[Any]]] = {  # field name: (valid, invalid)
    "Company Website": (
        ["www.site.com", "site.com/path?q=1", "https://example.com", "http://a.b:8080/x"],
        ["site", "ftp://site.com", "https://", "www.site .com", 5],
    ),
    "Plan": (["Free", "Starter", "Pro", "Enterprise"], ["pro", "Gold", "", 1]),
    "Seats": ([0, 3, 2.5, -1, "3", "-2.5"], [True, False, "3x", "", "1e5", "3."]),
    "Newsletter": (["true", "false", True, False], ["True", "yes", 1, 0]),
    "Renewal Date": (
        ["2025-01-31", "2024-02-29"],
        ["2025-02-30", "2025-1-5", "31/01/2025", 20250131],
    ),
    "Preferred Call Time": (["00:00", "09:30", "23:59"], ["24:00", "9:30", "09:30:00", "12:60"]),
    "Notes": (["", "anything at all"], [1, ["a"], {"a": 1}]),
    "Billing Email": (["billing@example.com"], ["billing", "b@", 1]),
}


@pytest.mark.parametrize("name", sorted(VALUES))
def test_custom_field_values_by_type(name: str) -> None:
    valid, invalid = VALUES[name]
    for value in [*valid, None]:
        body = {"firstName": "A", "custom_fields": [{"name": name, "value": value}]}
        assert validate_body(body, DEFAULT_CUSTOM_FIELDS) == [], value
    for value in invalid:
        body = {"firstName": "A", "custom_fields": [{"name": name, "value": value}]}
        assert validate_body(body, DEFAULT_CUSTOM_FIELDS) != [], value


def test_what_the_official_clients_send_is_accepted_and_stored_alike() -> None:
    """n8n sends "" for an unset field and every value as a string; the TypeScript SDK's tests
    send checkbox values as JSON booleans. Stored: null, "true"/"false", a JSON number."""
    unset = dict.fromkeys(
        ("lastName", "phone", "email", "language", "profilePic", "countryCode"), ""
    )
    values = [("Newsletter", True), ("Newsletter", False), ("Seats", "3"), ("Seats", "-2.5")]
    body = {"firstName": "A", **unset,
            "custom_fields": [{"name": n, "value": v} for n, v in values]}  # fmt: skip
    assert validate_body(body, DEFAULT_CUSTOM_FIELDS) == []
    stored = canonical_body(body, DEFAULT_CUSTOM_FIELDS)
    assert stored == {"firstName": "A", **dict.fromkeys(unset),
                      "custom_fields": [{"name": "Newsletter", "value": "true"},
                                        {"name": "Newsletter", "value": "false"},
                                        {"name": "Seats", "value": 3},
                                        {"name": "Seats", "value": -2.5}]}  # fmt: skip
    assert type(stored["custom_fields"][2]["value"]) is int
    assert validate_body({"firstName": ""}, DEFAULT_CUSTOM_FIELDS) != []  # required: never unset


def test_field_specs() -> None:
    assert FieldSpec.parse("list: A , B") == FieldSpec("list", ("A", "B"))
    assert FieldSpec.parse("number") == FieldSpec("number")
    for bad in ("list", "number:1,2", "colour"):
        with pytest.raises(ValueError):  # noqa: PT011
            FieldSpec.parse(bad)
    fields = {"Tier": FieldSpec.parse("list:Gold")}
    tier, plan = {"name": "Tier", "value": "Gold"}, {"name": "Plan", "value": "Pro"}
    assert validate_body({"firstName": "A", "custom_fields": [tier]}, fields) == []
    assert validate_body({"firstName": "A", "custom_fields": [plan]}, fields) != []


def test_load_json_is_strict() -> None:
    assert load_json(b'{"a": 1.5}') == (True, {"a": 1.5})
    for data in (b"", b"{", b'{"a": NaN}', b'{"a": Infinity}', b"\xff"):
        assert load_json(data) == (False, None)


def test_a_number_field_refuses_integers_no_json_number_holds_exactly() -> None:
    from aelyst_async.sandbox import FieldSpec
    from aelyst_async.sandbox._validation import check_custom_value

    number = FieldSpec("number")
    assert check_custom_value(number, 2**53 - 1) is None
    assert check_custom_value(number, 10**400) == "not a JSON number"  # no OverflowError (500)
