"""Contact.from_dict / to_dict and ContactRecord.from_dict: the public way between a wire dict and
the models, through the one converter and the tolerant reader (issue 19)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from aelyst_async import UNSET, Contact, ContactRecord, ContactValidationError, CustomField
from tests.test_convert import DOCUMENTED_BODY, documented_contact

ROUND_TRIPS = [
    documented_contact(),
    Contact("Ana"),
    Contact("Ana", last_name=None, phone=None, custom_fields=None),
    Contact("Ana", email="ana@example.com", custom_fields=[]),
    Contact("Ana", custom_fields=[CustomField("Seats", 12), CustomField("Score", 1.5)]),
    Contact("Ana", custom_fields=[CustomField("Cleared", None), CustomField("Plan", "Pro")]),
]


@pytest.mark.parametrize("contact", ROUND_TRIPS)
def test_a_contact_round_trips_through_its_wire_dict(contact: Contact) -> None:
    wire = contact.to_dict()
    assert json.loads(json.dumps(wire)) == wire  # JSON-ready
    assert Contact.from_dict(wire) == contact


def test_to_dict_is_the_documented_body_and_from_dict_reads_it() -> None:
    assert documented_contact().to_dict() == json.loads(DOCUMENTED_BODY)
    assert Contact.from_dict(json.loads(DOCUMENTED_BODY)) == documented_contact()


def test_unset_is_left_out_and_null_kept() -> None:
    contact = Contact.from_dict({"firstName": "Ana", "lastName": None})
    assert contact.last_name is None and contact.phone is UNSET
    assert contact.to_dict() == {"firstName": "Ana", "lastName": None}


def test_custom_values_travel_in_their_wire_form() -> None:
    wire = Contact("Ana", custom_fields=[CustomField("VIP", True)]).to_dict()
    assert wire["custom_fields"] == [{"name": "VIP", "value": "true"}]
    assert Contact.from_dict(wire).custom_fields == (CustomField("VIP", "true"),)


@pytest.mark.parametrize(
    ("wire", "problems"),
    [
        ({}, ["first_name: is required"]),
        ({"firstName": 7}, ["first_name: must be a string, got a number"]),
        ({"firstName": "A", "countryCode": 7}, ["country_code: must be a string or null"]),
        ({"firstName": "A", "nickname": "x"}, ["nickname: unknown field"]),
        (
            {"firstName": "A", "custom_fields": [{"name": "P", "value": 1}, {"name": "Q"}]},
            ["custom_fields[1].value: is required"],
        ),
        (
            {"firstName": "A", "custom_fields": [{"name": "P", "value": {"a": 1}}]},
            ["custom_fields[0].value: must be a string, number or null, got an object"],
        ),
        (["firstName", "A"], ["contact: must be a dict of the wire body, not list"]),
    ],
)
def test_bad_input_names_each_field(wire: Any, problems: list[str]) -> None:
    with pytest.raises(ContactValidationError) as caught:
        Contact.from_dict(wire)
    shown = [f"{problem.field}: {problem.problem}" for problem in caught.value.errors]
    assert len(shown) == len(problems)
    for seen, expected in zip(shown, problems, strict=True):
        assert seen.startswith(expected)
    assert isinstance(caught.value, ValueError)


def test_a_contact_record_reads_tolerantly_and_gives_back_what_it_read() -> None:
    wire = {
        "id": "7",
        "firstName": "Ana",
        "custom_fields": [{"name": "VIP", "value": True}],
        "tags": ["vip"],
        "created_at": 1700000000,
        "addedLater": {"x": 1},
    }
    record = ContactRecord.from_dict(wire)
    assert record.id == 7 and record.first_name == "Ana" and record.tags == ("vip",)
    assert record.custom_fields == (CustomField("VIP", True),)
    assert record.created_at is not None and record.created_at.year == 2023
    assert record.extra == {"addedLater": {"x": 1}}
    assert record.to_dict() == wire
    assert ContactRecord.from_dict(record.to_dict()) == record


@pytest.mark.parametrize(
    ("wire", "message"),
    [
        ({"firstName": "Ana"}, "id is missing from the ContactRecord"),
        ({"id": "seven"}, "id of the ContactRecord cannot be read"),
        (["id", 7], "ContactRecord is not a JSON object"),
    ],
)
def test_a_contact_record_without_a_readable_id_names_it(wire: Any, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}"):
        ContactRecord.from_dict(wire)
