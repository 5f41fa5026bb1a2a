"""The wire format: names, UNSET vs None, custom field values, strict parsing back."""

from __future__ import annotations

import datetime
import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aelyst_async import UNSET, Contact, ContactValidationError, CustomField
from aelyst_async._sansio.convert import contact_from_wire, contact_to_wire
from aelyst_async.types._wire import MAX_EXACT_INT, custom_value_to_wire

DOCUMENTED_BODY = """{
  "firstName": "Muhammad ",
  "lastName": "Mahin",
  "phone": "+60123456789",
  "email": "test@example.com",
  "language": "ms",
  "profilePic": "https://cdn.aelyst.ai/profile_avatar.png",
  "countryCode": "MY",
  "custom_fields": [
    {
      "name": "Company Website",
      "value": "https://example.com"
    }
  ]
}"""


def documented_contact() -> Contact:
    return Contact(
        first_name="Muhammad ",
        last_name="Mahin",
        phone="+60123456789",
        email="test@example.com",
        language="ms",
        profile_pic="https://cdn.aelyst.ai/profile_avatar.png",
        country_code="MY",
        custom_fields=[CustomField("Company Website", "https://example.com")],
    )


def test_documented_example_serialises_to_the_documented_body() -> None:
    wire = contact_to_wire(documented_contact())
    assert json.dumps(wire, indent=2) == DOCUMENTED_BODY
    assert list(wire) == list(json.loads(DOCUMENTED_BODY))


def test_unset_fields_are_omitted_and_none_is_null() -> None:
    wire = contact_to_wire(Contact("Ana", last_name=None, email=UNSET, custom_fields=None))
    assert wire == {"firstName": "Ana", "lastName": None, "custom_fields": None}


def test_only_fields_the_caller_set_are_sent() -> None:
    assert contact_to_wire(Contact("Ana")) == {"firstName": "Ana"}
    assert contact_to_wire(Contact("Ana", country_code="PT")) == {
        "firstName": "Ana",
        "countryCode": "PT",
    }


@pytest.mark.parametrize(
    ("value", "wire"),
    [
        ("text", "text"),
        ("", ""),
        (7, 7),
        (-2.5, -2.5),
        (True, "true"),
        (False, "false"),
        (datetime.date(2024, 2, 29), "2024-02-29"),
        (datetime.time(9, 5), "09:05"),
        (datetime.time(23, 59), "23:59"),
        (None, None),
    ],
)
def test_custom_field_values_follow_the_api_formatting_rules(value: object, wire: object) -> None:
    assert custom_value_to_wire(value) == wire
    body = contact_to_wire(Contact("A", custom_fields=[CustomField("F", value)]))  # type: ignore[arg-type]
    assert body["custom_fields"] == [{"name": "F", "value": wire}]
    assert type(body["custom_fields"][0]["value"]) is type(wire)


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (math.nan, "finite"),
        (math.inf, "finite"),
        (datetime.time(9, 5, 30), "seconds"),
        (datetime.time(9, 5, 0, 1), "seconds"),
        (datetime.datetime(2024, 1, 1, 9, 0), "datetime"),
        (datetime.time(9, 0, tzinfo=datetime.timezone.utc), "time zone"),
        ([1, 2], "list is not a custom field value"),
        (b"x", "bytes"),
    ],
)
def test_values_without_a_wire_form_are_refused(value: object, fragment: str) -> None:
    with pytest.raises((TypeError, ValueError), match=fragment):
        custom_value_to_wire(value)


def test_reading_a_wire_body_keeps_types_and_refuses_coercion() -> None:
    contact = contact_from_wire(json.loads(DOCUMENTED_BODY))
    assert contact == documented_contact()
    refusals = [
        ({"firstName": 7}, "first_name"),
        (
            {"firstName": "A", "custom_fields": [{"name": "x", "value": True}]},
            "custom_fields[0].value",
        ),
        ({"firstName": "A", "nickname": "x"}, "nickname"),
        ({"lastName": "B"}, "first_name"),
        ({"firstName": "A", "countryCode": 351}, "country_code"),
    ]
    for body, field in refusals:
        with pytest.raises(ContactValidationError) as info:
            contact_from_wire(body)
        assert [e.field for e in info.value.errors] == [field]


_text = st.text(max_size=20)
_wire_values = st.one_of(
    st.none(),
    _text,
    st.integers(min_value=-MAX_EXACT_INT, max_value=MAX_EXACT_INT),
    st.floats(allow_nan=False, allow_infinity=False),
)
_optional_text = st.one_of(st.just(UNSET), st.none(), _text)

contacts = st.builds(
    Contact,
    first_name=_text,
    last_name=_optional_text,
    phone=_optional_text,
    email=_optional_text,
    language=_optional_text,
    profile_pic=_optional_text,
    country_code=_optional_text,
    custom_fields=st.one_of(
        st.just(UNSET),
        st.none(),
        st.lists(st.builds(CustomField, name=_text, value=_wire_values), max_size=4).map(tuple),
    ),
)


@given(contacts)
def test_contacts_round_trip_through_the_wire_format(contact: Contact) -> None:
    wire = json.loads(json.dumps(contact_to_wire(contact)))
    assert contact_from_wire(wire) == contact


@given(
    st.one_of(
        st.booleans(), st.dates(), st.times().map(lambda t: t.replace(second=0, microsecond=0))
    )
)
def test_typed_values_reach_a_stable_wire_form(value: object) -> None:
    once = contact_to_wire(Contact("A", custom_fields=[CustomField("F", value)]))  # type: ignore[arg-type]
    assert contact_to_wire(contact_from_wire(once)) == once
    assert isinstance(once["custom_fields"][0]["value"], str)
