"""The sandbox's answers: documented JSON error bodies and the checks handlers share.

Handlers raise :class:`ApiError`; every answer, error or not, is JSON ``{"code": N, "message":
...}`` for errors. Body checks (:func:`obj`, :func:`text`, ...) raise a 400 naming the problem;
the problem is logged, the body stays the documented ``{"code": 400, "message": "Validation
error."}``.

>>> error_payload(404)
{'code': 404, 'message': 'Contact not found'}
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aiohttp import web

MESSAGES: Mapping[int, str] = {
    400: "Validation error.",
    401: "UN_AUTHORIZED",
    404: "Contact not found",
    409: "Contact already exists",
    429: "Too Many Requests",
    449: "currently in queue, try again in a few minutes",
    500: "Unexpected error occurred",
}
"""The ``message`` of each documented error body ``{"code": N, "message": ...}``."""

NOT_FOUND = "Not Found"
"""The 404 message of a path that is no endpoint (the router's miss)."""


class ApiError(Exception):
    """An error answer: ``status`` with ``message`` (the documented one by default); ``problem``
    is what was wrong, for the log only."""

    def __init__(self, status: int, message: str | None = None, problem: str = "") -> None:
        super().__init__(problem or message or MESSAGES[status])
        self.status = status
        self.message = message if message is not None else MESSAGES[status]
        self.problem = problem


def invalid(problem: str) -> ApiError:
    """A 400 ``Validation error.`` for ``problem``."""
    return ApiError(400, problem=problem)


def error_payload(status: int, message: str | None = None) -> dict[str, Any]:
    """``{"code": status, "message": message or the documented one}``."""
    return {"code": status, "message": message if message is not None else MESSAGES[status]}


def json_response(
    status: int, payload: object, headers: Mapping[str, str] | None = None, *, cut: bool = False
) -> web.Response:
    """A JSON response; ``cut`` drops the body's last byte (the malformed-body fault)."""
    body = json.dumps(payload).encode()
    return web.Response(
        status=status,
        reason="Retry With" if status == 449 else None,
        body=body[:-1] if cut else body,
        content_type="application/json",
        headers=headers,
    )


# -- body checks ---------------------------------------------------------------------------------


def obj(value: object, where: str = "body") -> dict[str, Any]:
    """``value`` if it is a JSON object, else a 400."""
    if not isinstance(value, dict):
        raise invalid(f"{where}: not a JSON object")
    return value


def only_keys(body: Mapping[str, Any], allowed: tuple[str, ...], where: str = "body") -> None:
    """A 400 naming the first key of ``body`` not in ``allowed``."""
    for key in body:
        if key not in allowed:
            raise invalid(f"{where}.{key}: unknown field")


def text(
    body: Mapping[str, Any],
    key: str,
    *,
    max_len: int,
    required: bool = False,
    where: str = "body",
) -> str | None:
    """``body[key]``: a string of 1..``max_len`` characters, or None when absent, null or ``""``
    (as the official clients send an unset field) and not ``required``; else a 400."""
    value = body.get(key)
    if value in (None, "") and not required:
        return None
    if not isinstance(value, str) or not 1 <= len(value) <= max_len:
        raise invalid(f"{where}.{key}: a string of 1-{max_len} characters required")
    return value


def required_text(body: Mapping[str, Any], key: str, *, max_len: int, where: str = "body") -> str:
    """``body[key]``: a string of 1..``max_len`` characters, else a 400."""
    value = text(body, key, max_len=max_len, required=True, where=where)
    assert value is not None  # text() raised otherwise
    return value


def as_int(value: object) -> int | None:
    """A JSON integer (``7`` or ``7.0``, as JSON Schema counts them), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def path_id(raw: str, where: str) -> int:
    """A numeric path parameter (``/space/user/42``), else a 400."""
    if not raw.isascii() or not raw.isdigit() or len(raw) > 19:
        raise invalid(f"{where}: not a numeric id")
    return int(raw)
