"""The sandbox's control plane: the ``/_sandbox/...`` endpoints a test or an operator drives
over HTTP, beside the API it plays (no auth, no limits, no faults).

``GET stats`` (:class:`SandboxStats` and ``contacts``), ``GET contacts``, ``POST reset``,
``GET openapi.json``, ``GET``/``POST workspace`` (``{"limit": N | null}``), ``GET webhooks``
and ``POST receive_message`` (:meth:`.Webhooks.admin`), ``GET``/``POST faults`` (``{"kind",
"times"?, "operation"?}`` -> ``{"pending": [...]}``). A problem is a 400 naming it; anything
else a 404. Example::

    curl -X POST "$URL/_sandbox/faults" -d '{"kind": "lose", "operation": "GET /space/user"}'
"""

from __future__ import annotations

from typing import Protocol

from aiohttp import web

from ._faults import Fault, Faults
from ._http import NOT_FOUND, error_payload, json_response
from ._openapi import build_document
from ._state import SandboxStats
from ._store import Store
from ._validation import load_json
from ._webhooks import Webhooks
from ._workspace import Space


class Controlled(Protocol):
    """What the control plane drives: the :class:`.Sandbox`'s."""

    @property
    def stats(self) -> SandboxStats: ...
    @property
    def store(self) -> Store: ...
    @property
    def space(self) -> Space: ...
    @property
    def faults(self) -> Faults: ...
    @property
    def webhooks(self) -> Webhooks: ...
    @property
    def workspace_limit(self) -> int | None: ...
    def reset(self) -> None: ...
    def set_workspace_limit(self, limit: int | None) -> None: ...
    def inject_fault(
        self, kind: Fault, *, times: int = 1, operation: str | None = None
    ) -> None: ...


async def admin(sandbox: Controlled, request: web.Request, name: str) -> web.Response:
    """Answer ``/_sandbox/{name}`` (see the module's docstring)."""
    method = request.method
    if (method, name) == ("GET", "stats"):
        return json_response(200, {**sandbox.stats.as_dict(), "contacts": len(sandbox.store)})
    if (method, name) == ("GET", "contacts"):
        return json_response(200, sandbox.store.contacts())
    if (method, name) == ("POST", "reset"):
        sandbox.reset()
        return json_response(200, {"reset": True})
    if (method, name) == ("GET", "openapi.json"):
        return openapi(sandbox.space, request)
    if name == "workspace" and method in ("GET", "POST"):
        if method == "POST":
            ok, body = load_json(await request.read())
            limit = body.get("limit", ...) if ok and isinstance(body, dict) else ...
            if limit is ... or not (limit is None or (type(limit) is int and limit >= 1)):
                return json_response(400, error_payload(400, "limit: an integer >= 1 or null"))
            sandbox.set_workspace_limit(limit)
        return json_response(200, {"limit": sandbox.workspace_limit})
    if (method, name) in (("GET", "webhooks"), ("POST", "receive_message")):
        return await sandbox.webhooks.admin(request)
    if name == "faults" and method in ("GET", "POST"):
        if method == "POST":
            ok, body = load_json(await request.read())
            try:
                sandbox.inject_fault(**(body if ok and isinstance(body, dict) else {}))
            except (TypeError, ValueError) as exc:
                return json_response(400, error_payload(400, f"faults: {exc}"))
        return json_response(200, {"pending": sandbox.faults.pending()})
    return json_response(404, error_payload(404, NOT_FOUND))


def openapi(space: Space, request: web.Request) -> web.Response:
    """The OpenAPI document of ``space``, this sandbox (as the request reached it) its first
    server."""
    doc = build_document(space)
    doc["servers"] = [
        {"url": f"{request.scheme}://{request.host}/v1", "description": "This sandbox"},
        *doc.get("servers", []),
    ]
    return json_response(200, doc)
