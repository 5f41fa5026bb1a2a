"""The pure layer: request building, response interpretation, rate-limit headers."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from urllib.parse import unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st
from yarl import URL

from aelyst_async import (
    APIError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    Contact,
    ContactValidationError,
    CustomField,
    Identifier,
    IdentifierError,
    NotFoundError,
    QueuedError,
    RateLimitError,
    ServerError,
    TransportError,
    UpsertResult,
)
from aelyst_async._redact import Redactor
from aelyst_async._sansio.ratelimit import RateLimit, parse_retry_after
from aelyst_async._sansio.request import Request, encode_identifier
from aelyst_async._sansio.response import Response
from tests.test_convert import DOCUMENTED_BODY, documented_contact
from tests.upsert_helpers import interpret_upsert, upsert_request

NOW = datetime(2026, 11, 26, 12, 0, 0, tzinfo=timezone.utc)
REQUEST = Request("POST", "/contact/create_or_update/id:1")


def respond(status: int, body: bytes | str = b"", **headers: str) -> Response:
    raw = body.encode() if isinstance(body, str) else body
    return Response(status, {k.replace("_", "-"): v for k, v in headers.items()}, raw)


def test_documented_curl_request_is_what_is_built() -> None:
    request = upsert_request("email:test@example.com", documented_contact())
    assert request.method == "POST"
    assert request.path == "/contact/create_or_update/email:test@example.com"
    assert json.loads(request.body) == json.loads(DOCUMENTED_BODY)
    assert request.headers["Content-Type"] == "application/json"
    assert request.rate_limit_key == "POST /contact/create_or_update/email:test@example.com"
    assert "Authorization" not in request.headers


def test_body_keeps_non_ascii_as_utf8() -> None:
    request = upsert_request("id:3", Contact("Zoë"))
    assert request.body == '{"firstName": "Zoë"}'.encode()


def test_identifier_objects_and_strings_build_the_same_request() -> None:
    a = upsert_request(Identifier.phone("+60121233112"), Contact("A"))
    b = upsert_request("phone:+60121233112", Contact("A"))
    assert a == b
    assert a.path.endswith("/phone:+60121233112")


@pytest.mark.parametrize("status", [200, 201])
def test_success_gives_the_contact_id(status: int) -> None:
    assert interpret_upsert(REQUEST, respond(status, '{"contactId": 42}')) == UpsertResult(42)
    assert interpret_upsert(REQUEST, respond(status, '{"contactId": 1, "x": 2}')) == UpsertResult(1)


@pytest.mark.parametrize(
    "body",
    [
        '{"contactId": "seven"}',
        "{}",
        '{"contactId": true}',
        '{"contactId": 1.5}',
        "[1]",
        "<html>",
        "",
    ],
)
def test_success_with_an_undocumented_body_is_a_transport_error(body: str) -> None:
    with pytest.raises(TransportError) as info:
        interpret_upsert(REQUEST, respond(200, body))
    assert "contactId" in str(info.value)
    assert repr(body)[1:-1][:20] in str(info.value)
    assert info.value.path == REQUEST.path


@pytest.mark.parametrize(
    ("status", "message", "cls"),
    [
        (400, "Validation error.", BadRequestError),
        (401, "UN_AUTHORIZED", AuthenticationError),
        (404, "Contact not found", NotFoundError),
        (429, "Too Many Requests", RateLimitError),
        (449, "Currently in queue, try again in a few minutes", QueuedError),
        (500, "Unexpected error occurred", ServerError),
        (503, "Unavailable", ServerError),
        (403, "Forbidden", APIError),
        (409, "Contact already exists", ConflictError),
    ],
)
def test_every_documented_error_status_maps_to_its_type(
    status: int, message: str, cls: type[APIError]
) -> None:
    body = json.dumps({"code": status, "message": message})
    with pytest.raises(APIError) as info:
        interpret_upsert(REQUEST, respond(status, body))
    error = info.value
    assert type(error) is cls
    assert (error.status, error.code, error.message) == (status, status, message)
    assert (error.method, error.path) == ("POST", REQUEST.path)
    assert str(error) == f"POST {REQUEST.path} -> {status}: {message}"


def test_rate_limit_error_carries_the_headers() -> None:
    response = respond(
        429,
        '{"code": 429, "message": "Too Many Requests"}',
        X_RateLimit_Limit="10",
        X_RateLimit_Remaining="0",
        Retry_After="3",
    )
    with pytest.raises(RateLimitError) as info:
        interpret_upsert(REQUEST, response)
    assert (info.value.retry_after, info.value.limit, info.value.remaining) == (3.0, 10, 0)


def test_error_with_an_undocumented_body_quotes_a_short_safe_excerpt() -> None:
    body = "<html>\x1b[31mBad gateway\n" + "x" * 1000 + "</html>"
    with pytest.raises(ServerError) as info:
        interpret_upsert(REQUEST, respond(502, body))
    text = str(info.value)
    assert "undocumented error body" in text
    assert "\\x1b" in text and "\x1b" not in text and "\n" not in text
    assert len(text) < 400
    assert info.value.code is None


def test_excerpts_redact_the_secret() -> None:
    echo = respond(500, "Authorization: Bearer s3cret-token")
    with pytest.raises(ServerError) as info:
        interpret_upsert(REQUEST, echo, redact=Redactor("s3cret-token"))
    assert "s3cret-token" not in str(info.value)
    assert "***" in str(info.value)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "4"}, RateLimit(5, 4, None)),
        ({"x-ratelimit-limit": "10", "x-ratelimit-remaining": "0"}, RateLimit(10, 0, None)),
        ({"X-RateLimit-Limit": "five", "X-RateLimit-Remaining": ""}, RateLimit(None, None, None)),
        ({"X-RateLimit-Limit": "-1", "Retry-After": "-3"}, RateLimit(None, None, None)),
        ({"Retry-After": "2"}, RateLimit(None, None, 2.0)),
        ({"Retry-After": " 1.5 "}, RateLimit(None, None, 1.5)),
        ({"Retry-After": "Thu, 26 Nov 2026 12:00:07 GMT"}, RateLimit(None, None, 7.0)),
        ({"Retry-After": "Thu, 26 Nov 2026 11:00:00 GMT"}, RateLimit(None, None, 0.0)),
        ({"Retry-After": "soon"}, RateLimit(None, None, None)),
        ({"Retry-After": "nan"}, RateLimit(None, None, None)),
        ({}, RateLimit(None, None, None)),
    ],
)
def test_rate_limit_headers_are_parsed_tolerantly(
    headers: dict[str, str], expected: RateLimit
) -> None:
    assert RateLimit.from_headers(headers, now=NOW) == expected


def test_retry_after_none_is_none() -> None:
    assert parse_retry_after(None) is None


NASTY = ["a/b", "../x", "..", ".", "a?b=c", "a#b", "%2F", "a b", "é@ü.com", "a\\b", "a;b", "+1"]


@pytest.mark.parametrize("value", NASTY)
def test_identifier_is_always_one_path_segment(value: str) -> None:
    request = upsert_request(Identifier("email", value), Contact("A"), validation="off")
    url = URL("https://api.aelyst.ai/v1" + request.path, encoded=True)
    assert url.raw_path.count("/") == 4
    assert not url.raw_query_string and not url.raw_fragment
    assert unquote(url.raw_path.rsplit("/", 1)[1]) == f"email:{value}"
    assert url.raw_path.isascii()


@given(st.sampled_from(["id", "email", "phone"]), st.text(max_size=40))
def test_any_identifier_is_refused_or_travels_as_one_segment(kind: str, value: str) -> None:
    try:
        identifier = Identifier(kind, value)  # type: ignore[arg-type]
    except IdentifierError:
        return
    segment = encode_identifier(identifier)
    assert segment.isascii()
    assert not set(segment) & set("/?# \t\r\n")
    assert segment not in (".", "..")
    assert unquote(segment) == str(identifier)


@pytest.mark.parametrize(
    "text",
    ["", "email", "mail:a@b.com", "id:", "id:abc", "id:-1", "id:1.5", "email:", "email:a\nb"],
)
def test_malformed_identifiers_are_refused(text: str) -> None:
    with pytest.raises(IdentifierError):
        Identifier.parse(text)


def test_identifier_constructors() -> None:
    assert str(Identifier.id(123)) == "id:123"
    assert str(Identifier.email("a@b.com")) == "email:a@b.com"
    assert str(Identifier.phone("+60121233112")) == "phone:+60121233112"
    assert Identifier.parse("email:a:b@c.com").value == "a:b@c.com"
    assert Identifier.parse(Identifier.id(1)) == Identifier.id(1)
    for bad in (0, -5, True, "7"):
        with pytest.raises(IdentifierError):
            Identifier.id(bad)  # type: ignore[arg-type]


def test_an_http_date_retry_after_is_measured_against_the_responses_date() -> None:
    headers = {
        "Retry-After": "Sun, 21 Oct 2001 07:28:30 GMT",
        "Date": "Sun, 21 Oct 2001 07:28:00 GMT",
    }
    # this machine's clock is far from the server's: the server's own Date decides
    assert RateLimit.from_headers(headers).retry_after == 30.0
    undated = RateLimit.from_headers({"Retry-After": "Sun, 21 Oct 2001 07:28:30 GMT"})
    assert undated.retry_after == 0.0  # that moment has passed on this machine's clock
    garbled = RateLimit.from_headers({**headers, "Date": "yesterday"})
    assert garbled.retry_after == 0.0


def test_a_lone_surrogate_is_that_fields_validation_error_in_every_mode() -> None:
    for mode in ("strict", "basic", "off"):
        with pytest.raises(ContactValidationError) as info:
            upsert_request(
                "id:1",
                Contact("Ana\ud800", custom_fields=[CustomField("Plan", "x\udfff")]),
                validation=mode,  # type: ignore[arg-type]
            )
        assert [e.field for e in info.value.errors] == ["first_name", "custom_fields[0].value"]
    with pytest.raises(IdentifierError, match="surrogate"):
        Identifier.email("a\ud800@example.com")


def test_custom_fields_may_be_any_iterable() -> None:
    contact = Contact("Ana", custom_fields=(CustomField(f"F{i}", i) for i in range(2)))
    request = upsert_request("id:1", contact)
    assert json.loads(request.body)["custom_fields"] == [
        {"name": "F0", "value": 0},
        {"name": "F1", "value": 1},
    ]
    with pytest.raises(ContactValidationError, match="custom_fields"):
        upsert_request("id:1", Contact("Ana", custom_fields=7))  # type: ignore[arg-type]
