"""The sandbox server: an ``aiohttp.web`` app serving the Aelyst contacts endpoint.

Per request to ``POST /v1/contact/create_or_update/{identifier}``, in this order: auth (401) →
the per method + path limit, then the hidden workspace limit (429, no budget used) → identifier
and body validation (400) → injected faults (500, lost response, malformed body) → processing
window (449) → apply (404 for an unknown ``id:``, else 200 ``{"contactId": N}``).

Example::

    async with Sandbox(per_path=10, processing=2.0, clock=FakeClock()) as sb:
        ...  # point a client at sb.base_url with sb.token; assert on sb.store and sb.stats
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import random
import re
import time
from collections import deque
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any, Literal

import attrs
from aiohttp import web

from ._limits import Clock, Window, WindowKind, WorkspaceLimit
from ._store import Store
from ._validation import (
    DEFAULT_CUSTOM_FIELDS,
    FieldSpec,
    decode_segment,
    load_json,
    parse_field_specs,
    parse_identifier,
    validate_body,
)

log = logging.getLogger("aelyst_async.sandbox")

UPSERT_PREFIX = "/v1/contact/create_or_update/"
_UPSERT_RAW = re.compile(re.escape(UPSERT_PREFIX) + r"([^/]+)")
MESSAGES: Mapping[int, str] = {
    400: "Validation error.",
    401: "UN_AUTHORIZED",
    404: "Contact not found",
    429: "Too Many Requests",
    449: "Currently in queue, try again in a few minutes",
    500: "Unexpected error occurred",
}
"""The ``message`` of each error body ``{"code": N, "message": ...}``."""

Fault = Literal["fail", "lose", "malformed"]
FAULTS: tuple[Fault, ...] = ("fail", "lose", "malformed")


@attrs.define
class SandboxStats:
    """Counters since start or the last reset.

    ``requests`` counts the requests to the contact endpoint (any status); ``statuses`` the
    responses sent, by status (a lost response is not sent); ``rate_limited`` every 429,
    ``workspace_limited`` those of them due to the hidden workspace limit; ``queued`` the 449s;
    ``creates`` / ``updates`` the writes applied (including those whose response was lost);
    ``faults`` the injected faults by kind.
    """

    requests: int = 0
    statuses: dict[int, int] = attrs.field(factory=dict)
    rate_limited: int = 0
    workspace_limited: int = 0
    queued: int = 0
    creates: int = 0
    updates: int = 0
    faults: dict[str, int] = attrs.field(factory=lambda: {"fail": 0, "lose": 0, "malformed": 0})

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready copy (status keys as strings)."""
        data = attrs.asdict(self)
        data["statuses"] = {str(k): v for k, v in sorted(self.statuses.items())}
        return data


def _json(
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


def _error(status: int) -> tuple[int, dict[str, Any]]:
    return status, {"code": status, "message": MESSAGES[status]}


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of the endpoint shipped with the package."""
    text = resources.files(__package__).joinpath("openapi.json").read_text("utf-8")
    doc: dict[str, Any] = json.loads(text)
    return doc


class Sandbox:
    """A local Aelyst API server with rate limits, a processing window and injected faults.

    Options: ``token`` (expected Bearer token); ``per_path`` requests per ``period`` seconds per
    method + decoded path, over a ``window`` of kind ``"fixed"`` or ``"sliding"``; ``workspace``
    a hidden limit per ``period`` for all requests together (no header announces it);
    ``processing`` seconds after a create during which any action on that contact gets 449;
    ``fail_rate`` / ``lose_rate`` / ``malformed_rate`` shares of 500s, of responses lost after
    the write was applied, and of 200s with a body that is not JSON, drawn from
    ``random.Random(seed)``; ``latency`` real seconds slept before each answer; ``db`` a SQLite
    file keeping contacts across restarts; ``custom_fields`` the workspace's fields
    (``name -> "type"`` or ``"list:A,B"``); ``clock`` the time source of limits and processing.

    ``async with`` binds ``host:port`` (an ephemeral loopback port by default); ``app`` is the
    ``aiohttp.web.Application`` for use without binding (e.g. with ``aiohttp.test_utils``).
    """

    def __init__(
        self,
        *,
        token: str = "sandbox-token",
        per_path: int = 5,
        period: float = 1.0,
        window: WindowKind = "fixed",
        workspace: int | None = None,
        processing: float = 0.0,
        fail_rate: float = 0.0,
        lose_rate: float = 0.0,
        malformed_rate: float = 0.0,
        latency: float = 0.0,
        latency_jitter: float = 0.0,
        workspace_schedule: Sequence[tuple[float, int | None]] = (),
        seed: int | None = None,
        db: str | None = None,
        custom_fields: Mapping[str, str | FieldSpec] | None = None,
        clock: Clock | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        rates = (fail_rate, lose_rate, malformed_rate)
        if any(not 0.0 <= r <= 1.0 for r in rates) or sum(rates) > 1.0:
            raise ValueError("fault rates must be in [0, 1] and add up to at most 1")
        if processing < 0 or latency < 0 or latency_jitter < 0:
            raise ValueError("processing, latency and latency_jitter must be >= 0")
        self.token = token
        self.clock: Clock = clock if clock is not None else time.monotonic
        self.custom_fields = parse_field_specs(
            DEFAULT_CUSTOM_FIELDS if custom_fields is None else custom_fields
        )
        self.processing, self.latency, self.seed = processing, latency, seed
        self.latency_jitter = latency_jitter
        self._rates = rates
        self._paths = Window(per_path, period, window)
        self._workspace = WorkspaceLimit(workspace, period, window, workspace_schedule)
        self._epoch = self.clock()
        self.store = Store(db)
        self.stats = SandboxStats()
        self._random = random.Random(seed)
        self._latency_random = random.Random(seed)
        self._created: dict[int, float] = {}
        self._created_order: deque[tuple[float, int]] = deque()
        self._host, self._port = host, port
        self._runner: web.AppRunner | None = None
        self._url: str | None = None
        self.app = web.Application()
        self.app[SANDBOX] = self
        self.app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self.app.on_cleanup.append(self._on_cleanup)

    # -- lifecycle -------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The server's root URL, e.g. ``http://127.0.0.1:54321`` (once started)."""
        if self._url is None:
            raise RuntimeError("the sandbox is not running: use 'async with Sandbox() as sb'")
        return self._url

    @property
    def base_url(self) -> str:
        """The API base URL to give a client, e.g. ``http://127.0.0.1:54321/v1``."""
        return self.url + "/v1"

    async def start(self) -> None:
        """Bind and serve."""
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        if host in ("0.0.0.0", "::"):  # bound to every interface: reach it through loopback
            host = "127.0.0.1"
        self._url = f"http://{f'[{host}]' if ':' in host else host}:{port}"

    async def close(self) -> None:
        """Stop serving and close the SQLite file (stored contacts stay readable)."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self._url = None
        self.store.close()

    async def _on_cleanup(self, app: web.Application) -> None:
        self.store.close()

    async def __aenter__(self) -> Sandbox:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def reset(self) -> None:
        """Forget contacts, counters, rate-limit windows and processing; reseed the faults."""
        self.store.clear()
        self.stats = SandboxStats()
        self._paths.clear()
        self._workspace.reset()
        self._epoch = self.clock()
        self._created.clear()
        self._created_order.clear()
        self._random = random.Random(self.seed)
        self._latency_random = random.Random(self.seed)

    @property
    def workspace_limit(self) -> int | None:
        """The hidden workspace limit in force now (requests per period), or None."""
        return self._workspace.current(self.clock() - self._epoch)

    def set_workspace_limit(self, limit: int | None) -> None:
        """Change the hidden workspace limit now (``None`` lifts it); the schedule goes on."""
        self._workspace.set(limit, self.clock() - self._epoch)

    # -- routing ---------------------------------------------------------------------------------

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        raw_path = request.raw_path.partition("?")[0]  # still percent-encoded: %2F never splits
        if raw_path.startswith("/_sandbox/"):
            return await self._introspect(request, raw_path[len("/_sandbox/") :])
        if raw_path == "/v1/openapi.json" and request.method == "GET":
            return self._openapi(request)
        match = _UPSERT_RAW.fullmatch(raw_path)
        if match is not None and request.method == "POST":
            return await self._upsert(request, match.group(1))
        if match is not None:
            return _json(405, {"code": 405, "message": "Method Not Allowed"}, {"Allow": "POST"})
        return _json(404, {"code": 404, "message": "Not Found"})

    async def _workspace_admin(self, request: web.Request) -> web.Response:
        if request.method == "POST":
            ok, body = load_json(await request.read())
            limit = body.get("limit", ...) if ok and isinstance(body, dict) else ...
            valid = limit is None or (type(limit) is int and limit >= 1)
            if limit is ... or not valid:
                return _json(400, {"code": 400, "message": "limit: an integer >= 1 or null"})
            self.set_workspace_limit(limit)
        return _json(200, {"limit": self.workspace_limit})

    async def _introspect(self, request: web.Request, name: str) -> web.Response:
        if (request.method, name) == ("GET", "stats"):
            return _json(200, {**self.stats.as_dict(), "contacts": len(self.store)})
        if (request.method, name) == ("GET", "contacts"):
            return _json(200, self.store.contacts())
        if (request.method, name) == ("POST", "reset"):
            self.reset()
            return _json(200, {"reset": True})
        if name == "workspace" and request.method in ("GET", "POST"):
            return await self._workspace_admin(request)
        if (request.method, name) == ("GET", "openapi.json"):
            return self._openapi(request)
        return _json(404, {"code": 404, "message": "Not Found"})

    def _openapi(self, request: web.Request) -> web.Response:
        doc = openapi_document()
        doc["servers"] = [
            {"url": f"{request.scheme}://{request.host}/v1", "description": "This sandbox"},
            *doc.get("servers", []),
        ]
        return _json(200, doc)

    # -- the endpoint ----------------------------------------------------------------------------

    def _authorized(self, request: web.Request) -> bool:
        scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            credentials.strip().encode(), self.token.encode()
        )

    async def _upsert(self, request: web.Request, raw_identifier: str) -> web.StreamResponse:
        self.stats.requests += 1
        key = f"POST {UPSERT_PREFIX}{decode_segment(raw_identifier) or raw_identifier}"
        now = self.clock()
        remaining, retry_after = self._paths.check(key, now)
        headers = {"X-RateLimit-Limit": str(self._paths.limit)}
        if not self._authorized(request):
            headers["X-RateLimit-Remaining"] = str(remaining)
            return await self._answer(*_error(401), headers)
        workspace = self._workspace.window(now - self._epoch)
        if retry_after is None and workspace is not None:
            retry_after = workspace.check("workspace", now)[1]
            self.stats.workspace_limited += retry_after is not None
        if retry_after is not None:
            headers["X-RateLimit-Remaining"] = str(remaining)
            headers["Retry-After"] = str(retry_after)
            return await self._answer(*_error(429), headers)
        headers["X-RateLimit-Remaining"] = str(self._paths.take(key, now))
        if workspace is not None:
            workspace.take("workspace", now)

        identifier = parse_identifier(raw_identifier)
        ok, body = load_json(await request.read())
        problems = ["body: not JSON"] if not ok else validate_body(body, self.custom_fields)
        if identifier is None:
            problems.insert(0, f"identifier: malformed {raw_identifier!r}")
        if problems:
            log.info("400 for %s: %s", key, "; ".join(problems))
            return await self._answer(*_error(400), headers)
        assert identifier is not None  # for mypy: problems would be non-empty

        fault = self._draw_fault()
        if fault is not None:
            self.stats.faults[fault] += 1
        if fault == "fail":
            return await self._answer(*_error(500), headers)
        status, payload = self._apply(identifier, body, now)
        if fault == "lose":
            await self._sleep()
            if request.transport is not None:
                request.transport.close()  # the write is applied; the client sees a disconnect
            return web.Response()
        return await self._answer(status, payload, headers, cut=fault == "malformed")

    def _apply(
        self, identifier: tuple[str, str], body: dict[str, Any], now: float
    ) -> tuple[int, dict[str, Any]]:
        kind, value = identifier
        target = int(value) if kind == "id" else self.store.first_id(kind, value)
        if kind == "id" and target not in self.store:
            return _error(404)
        if target is not None and self._in_processing(target, now):
            return _error(449)
        if target is not None:
            self.store.update(target, body)
            self.stats.updates += 1
        else:  # a new contact takes the identifier's email/phone unless the body gives one
            target = self.store.create({**body, kind: body.get(kind) or value})
            self.stats.creates += 1
            if self.processing > 0:
                self._created[target] = now
                self._created_order.append((now, target))
        return 200, {"contactId": target}

    def _in_processing(self, contact_id: int, now: float) -> bool:
        order = self._created_order
        while order and order[0][0] <= now - self.processing:
            self._created.pop(order.popleft()[1], None)
        return contact_id in self._created

    def _draw_fault(self) -> Fault | None:
        if not any(self._rates):
            return None
        draw = self._random.random()
        for fault, rate in zip(FAULTS, self._rates, strict=True):
            if draw < rate:
                return fault
            draw -= rate
        return None

    async def _sleep(self) -> None:
        delay = self.latency
        if self.latency_jitter > 0:
            delay += self._latency_random.uniform(-self.latency_jitter, self.latency_jitter)
        if delay > 0:
            await asyncio.sleep(delay)

    async def _answer(
        self, status: int, payload: object, headers: Mapping[str, str], *, cut: bool = False
    ) -> web.Response:
        await self._sleep()
        self.stats.statuses[status] = self.stats.statuses.get(status, 0) + 1
        self.stats.rate_limited += status == 429
        self.stats.queued += status == 449
        return _json(status, payload, headers, cut=cut)


SANDBOX: web.AppKey[Sandbox] = web.AppKey("sandbox", Sandbox)
"""Where an app made by the sandbox keeps its :class:`Sandbox`: ``app[SANDBOX]``."""


def make_app(**options: Any) -> web.Application:
    """The unbound ``aiohttp`` app of a new :class:`Sandbox` (reach it as ``app[SANDBOX]``)."""
    return Sandbox(**options).app
