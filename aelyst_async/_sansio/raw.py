"""A call the SDK does not model yet (``client.request``): its path checked, its request
built, its answer decoded as plain JSON.

>>> raw_request("get", "/contact/id:7/tag").rate_limit_key
'GET /contact/id:7/tag'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, unquote, urlencode

from .._errors import APIError, TransportError
from .._redact import NOTHING, Redactor
from .request import _ACCEPT, _JSON_HEADERS, Request, encode_json
from .response import Response, decode_json, error_for, excerpt

METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})
IDEMPOTENT_METHODS = frozenset({"GET", "PUT", "DELETE"})
_PATH_SAFE = "/:@+!$&'()*,;=-._~%"


def checked_path(path: object) -> str:
    """``path`` percent-encoded, once it is known to stay under the base URL.

    Raises ValueError naming ``path`` for a scheme or host, a query or fragment (use
    ``params``), a ``.`` or ``..`` segment (also percent-encoded), or no leading ``/``.
    """
    if not isinstance(path, str):
        raise TypeError(f"path must be a str such as '/contact/id:7', not {path!r}")
    if "://" in path or path.startswith("//"):
        raise ValueError(f"path must be relative to the base URL, not {path!r}")
    if not path.startswith("/"):
        raise ValueError(f"path must start with '/' (relative to the base URL): {path!r}")
    if "?" in path or "#" in path:
        raise ValueError(f"path must not hold a query or fragment (use params=...): {path!r}")
    if any(unquote(segment) in (".", "..") for segment in path.split("/")):
        raise ValueError(
            f"path must not hold '.' or '..' segments (it would leave the base URL): {path!r}"
        )
    if any(c in path for c in "\r\n\0\\"):
        raise ValueError(f"path holds a control character or backslash: {path!r}")
    return quote(path, safe=_PATH_SAFE)


def raw_request(
    method: str,
    path: str,
    *,
    json: Any = None,
    params: Mapping[str, str | int] | None = None,
    idempotent: bool | None = None,
) -> Request:
    """The request for any call: ``method`` (GET, POST, PUT, PATCH or DELETE, any case),
    ``path`` (see :func:`checked_path`), a JSON body, ``params`` (the query string) and
    whether it is ``idempotent`` (default: True for GET, PUT and DELETE).

    Raises ValueError/TypeError naming the argument.
    """
    if not isinstance(method, str) or method.upper() not in METHODS:
        raise ValueError(f"method must be GET, POST, PUT, PATCH or DELETE, not {method!r}")
    method = method.upper()
    if idempotent is not None and not isinstance(idempotent, bool):
        raise TypeError(f"idempotent must be True, False or None, not {idempotent!r}")
    target = checked_path(path)
    if params:
        if not isinstance(params, Mapping):
            raise TypeError(f"params must be a mapping of names to values, not {params!r}")
        target += "?" + urlencode({k: str(v) for k, v in params.items()}, quote_via=quote)
    headers, body = _ACCEPT, b""
    if json is not None:
        try:
            body = encode_json(json)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"json must be JSON-serialisable: {exc}") from None
        headers = _JSON_HEADERS
    if idempotent is None:
        idempotent = method in IDEMPOTENT_METHODS
    return Request(method, target, headers=headers, body=body, idempotent=idempotent)


def decoded(request: Request, response: Response, *, redact: Redactor = NOTHING) -> Any:
    """The answer's decoded JSON (None for an empty body), or raise its typed error."""
    if not 200 <= response.status < 300:
        error: APIError = error_for(request, response, redact=redact)
        raise error
    if not response.body.strip():
        return None
    try:
        return decode_json(response.body)
    except (ValueError, RecursionError):
        raise TransportError(
            f"response {response.status} is not JSON: body {excerpt(response.body, redact=redact)}",
            method=request.method,
            path=request.path,
        ) from None
