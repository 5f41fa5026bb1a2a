"""Quirks mode (``Sandbox(quirks=True)``): every answer under ``/v1`` in the variant shapes the
API's official clients show, each variant drawn per answer from ``random.Random(seed)`` (the
same seed and the same calls give the same bytes). The data is the same; only its shape varies.

Each variant, where it shows and its source (TS: the official TypeScript SDK's types; N8N: the
official n8n integration's, an earlier version for the two marked *; WH: webhook payloads; the
plain shapes are the table of :mod:`._routes`):

- ``id``, every ``*Id`` key (``channelMessageId`` too), a success body's ``code``: a JSON number
  or its string of digits (TS numbers; N8N strings; WH ``channelMessageId`` a number).
- A checkbox custom field's value: ``"true"``/``"false"`` (N8N) or ``true``/``false`` (TS tests);
  a number field's: a JSON number (TS) or its text (N8N).
- A list field's ``allowedValues``: a list (TS) or ``{"listValues": [...]}`` (N8N*).
- ``POST``/``PUT /space/tag``: the bare tag (TS) or ``{"code": 200, "message": tag}`` (N8N*).
- A template's ``components``: a list (TS) or a JSON string of it (N8N).
- A user's ``team``: ``{"id", "name"}`` (TS) or its name (N8N).
- Every record and envelope: one key the SDK does not model (any API may add keys).
- An end cursor (``next``/``previous``): ``""`` (TS), ``null`` or absent (N8N: optional).
- An error body's ``code``: a number (TS), a string of digits or absent (N8N, community).

Message contents, channel ``meta`` and other opaque payloads are left as stored.

>>> quirks = Quirks(Space({}), seed=0, enabled=True)
>>> [quirks.answer(None, 404, {"code": 404, "message": "No"}).get("code") for _ in range(3)]
['404', 404, None]
"""

from __future__ import annotations

import collections
import json
import random
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from ._routes import route
from ._validation import load_json
from ._workspace import Space

OPAQUE = frozenset({"message", "meta", "payload", "components"})
"""Keys whose values are content as sent (a message, a channel's meta, a template's parts):
never rewritten (``components`` may be sent as a JSON string of it)."""
EXTRA_KEYS = ("workspaceId", "updatedAt", "sandboxRevision")
"""The unknown keys added to records and envelopes (one each, the first not already there)."""
TAG_WRITES = frozenset({"POST /space/tag", "PUT /space/tag"})
_EXTRA_VALUES: tuple[object, ...] = (7, "sandbox", True, None, {"note": "quirk"}, [1, "a"])
_ABSENT = object()
_END_CURSORS = {"end cursor empty": "", "end cursor null": None, "end cursor absent": _ABSENT}
VARIANTS = (
    "id as string", "id as number", "checkbox as boolean", "custom number as string",
    "listValues", "tag wrapped", "components", "team as name", "extra key",
    *_END_CURSORS, "error code string", "error code absent",
)  # fmt: skip
"""The names of the variants :attr:`Quirks.emitted` counts (the table above, in order)."""


def _is_id(key: str) -> bool:
    return key in ("id", "code") or key.endswith("Id")


class Quirks:
    """The variant answers of one sandbox: :meth:`answer` rewrites a payload; :meth:`middleware`
    rewrites every JSON answer under ``/v1`` (not the OpenAPI document, not ``/_sandbox``)
    when ``enabled``."""

    def __init__(self, space: Space, seed: int | None, *, enabled: bool) -> None:
        self.space, self.enabled, self._seed = space, enabled, seed
        self.reset()

    def reset(self) -> None:
        """Reseed the draws and zero :attr:`emitted`."""
        self._random = random.Random(self._seed)
        self.emitted: collections.Counter[str] = collections.Counter()
        """How many times each variant of :data:`VARIANTS` was sent."""

    def _sent(self, variant: str) -> bool:
        self.emitted[variant] += 1
        return True

    @property
    def middleware(self) -> Middleware:
        """An ``aiohttp`` middleware applying :meth:`answer` (a body that is not JSON, as the
        malformed-body fault sends, and a lost answer stay as they are)."""

        @web.middleware
        async def quirks(request: web.Request, handler: Handler) -> web.StreamResponse:
            return await self._rewrite(request, await handler(request))

        return quirks

    async def _rewrite(
        self, request: web.Request, response: web.StreamResponse
    ) -> web.StreamResponse:
        path = request.raw_path.partition("?")[0]
        if not self.enabled or not path.startswith("/v1/") or path == "/v1/openapi.json":
            return response
        if not isinstance(response, web.Response) or not isinstance(response.body, bytes):
            return response
        ok, payload = load_json(response.body)
        if not ok or response.content_type != "application/json":
            return response
        found = route(request.method, path[len("/v1/") :].split("/"))
        operation = found[0].name if isinstance(found, tuple) else None
        response.body = json.dumps(self.answer(operation, response.status, payload)).encode()
        return response

    def answer(self, operation: str | None, status: int, payload: Any) -> Any:
        """``payload`` (the answer of ``operation``, ``"METHOD /template"``) in variant shapes."""
        if not isinstance(payload, dict):
            return payload
        if status >= 400:
            return self._error(payload)
        out = self._record(payload)
        if operation in TAG_WRITES and self._variant("tag wrapped"):
            out = self._extra({"code": self._flip(200), "message": out})
        return out

    # -- draws -----------------------------------------------------------------------------------

    def _coin(self) -> bool:
        return self._random.random() < 0.5

    def _variant(self, variant: str) -> bool:
        """Half the time: ``variant`` is sent."""
        return self._coin() and self._sent(variant)

    def _flip(self, value: Any) -> Any:
        """A number as its string of digits, or such a string as a number (half the time)."""
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value) if self._variant("id as string") else value
        if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 16:
            return int(value) if self._variant("id as number") else value
        return value

    def _extra(self, record: dict[str, Any]) -> dict[str, Any]:
        key = next((k for k in EXTRA_KEYS if k not in record), None)
        if key is not None and self._sent("extra key"):
            record[key] = self._random.choice(_EXTRA_VALUES)
        return record

    # -- shapes ----------------------------------------------------------------------------------

    def _error(self, payload: dict[str, Any]) -> dict[str, Any]:
        out = dict(payload)
        variant = self._random.randrange(3)
        if variant == 1 and isinstance(out.get("code"), int) and self._sent("error code string"):
            out["code"] = str(out["code"])
        elif variant == 2 and self._sent("error code absent"):
            out.pop("code", None)
        return self._extra(out)

    def _value(self, key: str, value: Any) -> Any:
        if key in OPAQUE:
            return value
        if isinstance(value, dict):
            return self._record(value)
        if isinstance(value, list):
            return [self._value(key, item) for item in value]
        return self._flip(value) if _is_id(key) else value

    def _record(self, record: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in record.items():
            if key == "pagination" and isinstance(value, dict):
                out[key] = self._pagination(value)
            elif key == "custom_fields" and isinstance(value, list):
                out[key] = [self._custom_value(item) for item in value]
            elif key == "allowedValues" and isinstance(value, list) and self._variant("listValues"):
                out[key] = {"listValues": value}
            elif key == "components" and isinstance(value, list) and self._variant("components"):
                out[key] = json.dumps(value)
            elif key == "team" and isinstance(value, dict) and self._variant("team as name"):
                out[key] = value.get("name")
            else:
                out[key] = self._value(key, value)
        return self._extra(out)

    def _pagination(self, pagination: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in pagination.items():
            if value in ("", None):
                variant = self._random.choice(tuple(_END_CURSORS))
                self._sent(variant)
                value = _END_CURSORS[variant]
            if value is not _ABSENT:
                out[key] = value
        return self._extra(out)

    def _custom_value(self, item: Any) -> Any:
        if not isinstance(item, dict):
            return item
        spec = self.space.specs.get(item.get("name"))  # type: ignore[arg-type]
        value = item.get("value")
        if spec is not None and spec.type == "checkbox" and value in ("true", "false"):
            value = value == "true" if self._variant("checkbox as boolean") else value
        elif spec is not None and spec.type == "number" and isinstance(value, (int, float)):
            value = json.dumps(value) if self._variant("custom number as string") else value
        return self._extra({**item, "value": value})
