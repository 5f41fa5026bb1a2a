"""Building requests without I/O: a :class:`Request` is a method, a percent-encoded path,
headers and a JSON body.

>>> req = build_request(CONTACT_GET, {"identifier": Identifier.email("abdc@gmail.com")})
>>> req.method, req.path
('GET', '/contact/email:abdc@gmail.com')
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode

import attrs

from .._errors import ValidationError, ValidationProblem
from ..types._wire import converter
from ..types.contact import Identifier
from .operations import Operation

_ACCEPT = {"Accept": "application/json"}
_JSON_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}
_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False)  # json.dumps makes one a call
_C_ENCODER = getattr(json.encoder, "c_make_encoder", None)


def encode_json(value: Any) -> bytes:
    """``value`` as UTF-8 JSON (``ensure_ascii=False``, ``allow_nan=False``): what
    ``_ENCODER.encode(value).encode()`` gives, without its per-call set-up in Python.
    Raises as ``json`` does (TypeError, ValueError, UnicodeEncodeError for a lone surrogate)."""
    if _C_ENCODER is None or isinstance(value, str):
        return _ENCODER.encode(value).encode()
    encoder = _C_ENCODER(
        {}, _ENCODER.default, json.encoder.encode_basestring, None, ": ", ", ", False, False, False
    )
    return "".join(encoder(value, 0)).encode()


_PATH_SAFE = re.compile(r"[A-Za-z0-9_.~:@+-]*")  # what quote() below leaves as is


@attrs.frozen
class Request:
    """A request ready to send: ``path`` is percent-encoded and relative to the base URL.

    It never holds the token: the transport adds ``Authorization`` when it sends.
    ``idempotent``: whether sending it twice has the effect of sending it once; a request that
    is not is re-sent only when the API surely did not apply it.
    """

    method: str
    path: str
    headers: Mapping[str, str] = attrs.field(factory=dict)
    body: bytes = b""
    idempotent: bool = True

    def json(self) -> Any:
        """The body decoded from JSON (None when there is none)."""
        return json.loads(self.body) if self.body else None

    @property
    def rate_limit_key(self) -> str:
        """What the API counts a rate limit by: the method and the path, identifier included,
        without the query (every page of a listing shares one budget)."""
        return f"{self.method} {self.path.partition('?')[0]}"


def encode_identifier(identifier: Identifier) -> str:
    """Percent-encode an identifier as exactly one path segment (``:``, ``@`` and ``+`` kept)."""
    text = str(identifier)
    return text if _PATH_SAFE.fullmatch(text) else quote(text, safe=":@+")


def fill_path(template: str, params: Mapping[str, Identifier | int | str]) -> str:
    """``template`` with each ``{name}`` replaced by one percent-encoded path segment."""
    segments: dict[str, str] = {}
    for name, value in params.items():
        if isinstance(value, Identifier):
            segments[name] = encode_identifier(value)
        elif isinstance(value, int) and not isinstance(value, bool):
            segments[name] = str(value)
        else:
            segments[name] = quote(str(value), safe="")
    return template.format_map(segments)


NO_BODY: Any = object()
"""``build_request``'s default: a request without a body (GETs)."""


def build_request(
    operation: Operation[Any],
    params: Mapping[str, Identifier | int | str] | None = None,
    *,
    body: Any = NO_BODY,
    query: Mapping[str, str | int] | None = None,
) -> Request:
    """The request for ``operation``: its path filled from ``params``, ``query`` appended and
    ``body`` (an attrs body, by the converter's wire names, or JSON-able) serialised.

    Raises :class:`ValidationError` naming the field when ``body`` holds a string that
    no UTF-8 body can carry (a lone surrogate).
    """
    path = fill_path(operation.path, params or {})
    if query:
        path += "?" + urlencode({k: str(v) for k, v in query.items()}, quote_via=quote)
    headers = _ACCEPT
    data = b""
    if body is not NO_BODY:
        headers = _JSON_HEADERS
        if type(body) is not dict and attrs.has(type(body)):
            body = converter.unstructure(body)
        try:
            data = encode_json(body)
        except UnicodeEncodeError:
            raise ValidationError(
                [ValidationProblem("body", "contains a lone surrogate (not valid Unicode)")]
            ) from None
    return Request(
        operation.method, path, headers=headers, body=data, idempotent=operation.idempotent
    )
