"""The sandbox server: an ``aiohttp.web`` app serving every endpoint of the Aelyst API.

Per request to an endpoint under ``/v1`` (see :data:`._routes.ROUTES`), in this order: auth
(401) → the per method + path limit, then the hidden workspace limit (429, no budget used) → the
JSON body (400) → the endpoint's checks (400 / 404 / 409 / 449) → an injected fault (500 before
applying; or after applying: a lost response, a malformed body, a 500) → apply and answer.
Anything else (a path that is no endpoint, a body over the size limit, an unexpected error) is
answered with the documented JSON error body too. The control plane under ``/_sandbox/``:
:mod:`._admin`. Example::

    async with Sandbox(per_path=10, processing=2.0, clock=FakeClock()) as sb:
        ...  # point a client at sb.base_url with sb.token; assert on sb.store and sb.stats
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from aiohttp import web

from ._admin import admin, openapi
from ._faults import DEFAULT_LATE_DELAY, LATE_FAULTS, Fault, Faults, empty_page
from ._http import MESSAGES, NOT_FOUND, ApiError, error_payload, json_response
from ._limits import Clock, Window, WindowKind, WorkspaceLimit
from ._openapi import openapi_document
from ._quirks import Quirks
from ._routes import Route, check_operation, route
from ._state import Call, SandboxStats, State
from ._store import Store
from ._validation import DEFAULT_CUSTOM_FIELDS, FieldSpec, decode_segment, load_json
from ._validation import parse_field_specs as _parse_field_specs
from ._webhooks import WebhookMethods, Webhooks
from ._workspace import DEFAULT_LIFECYCLES, Space

__all__ = ["MESSAGES", "SANDBOX", "Sandbox", "SandboxStats", "make_app", "openapi_document"]

log = logging.getLogger("aelyst_async.sandbox")

API_PREFIX = "/v1/"
MAX_BODY = 1024**2
"""Bodies above this many bytes are a 400 (``client_max_size`` of the app)."""


@web.middleware
async def _json_errors(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Whatever escapes is answered as documented JSON, never aiohttp's text pages."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        status = exc.status if exc.status in MESSAGES or exc.status < 500 else 500
        message = MESSAGES.get(status, exc.reason)
        return json_response(status, error_payload(status, message))
    except Exception:
        log.exception("unexpected error on %s %s", request.method, request.raw_path[:200])
        return json_response(500, error_payload(500))


class Sandbox(WebhookMethods):
    """A local Aelyst API server with rate limits, a processing window and injected faults.

    Options: ``token`` (expected Bearer token); ``per_path`` requests per ``period`` seconds per
    method + decoded path, over a ``window`` of kind ``"fixed"`` or ``"sliding"``; ``workspace``
    a hidden limit per ``period`` for all requests together (no header announces it);
    ``workspace_schedule`` a list of ``(at_seconds, limit)``: from ``at_seconds`` after the
    sandbox was made (or reset), on its clock, the hidden limit becomes ``limit`` (``None``
    lifts it; see also :meth:`set_workspace_limit`); ``processing`` seconds after a create
    during which any call on that contact gets 449; ``fail_rate`` / ``lose_rate`` /
    ``malformed_rate`` / ``fail_applied_rate`` shares of calls answered 500 before applying, of
    responses lost after applying, of 200s with a body that is not JSON, and of 500s after
    applying, ``late_rate`` / ``hang_rate`` of writes landing late, ``empty_page_rate`` of
    listings answered empty with a fresh cursor (:mod:`._faults`), drawn from
    ``random.Random(seed)`` (and :meth:`inject_fault` for exact ones); ``latency`` real seconds
    slept before each answer, drawn uniformly from ``latency ± latency_jitter`` (seeded too,
    never below 0); ``db`` a SQLite file keeping contacts across restarts; ``custom_fields``
    the workspace's fields (``name -> "type"`` or ``"list:A,B"``); ``lifecycles`` its stages;
    ``clock`` the time of limits, processing and webhook retries; ``wall_clock`` that of
    ``created_at`` values; ``quirks`` answers in the variant shapes of the API's official
    clients (:mod:`._quirks`). Webhooks: :meth:`add_webhook`, :meth:`receive_message`,
    ``webhooks``.

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
        workspace_schedule: Sequence[tuple[float, int | None]] = (),
        processing: float = 0.0,
        fail_rate: float = 0.0,
        lose_rate: float = 0.0,
        malformed_rate: float = 0.0,
        fail_applied_rate: float = 0.0,
        late_rate: float = 0.0,
        hang_rate: float = 0.0,
        empty_page_rate: float = 0.0,
        late_delay: float = DEFAULT_LATE_DELAY,
        latency: float = 0.0,
        latency_jitter: float = 0.0,
        seed: int | None = None,
        db: str | None = None,
        custom_fields: Mapping[str, str | FieldSpec] | None = None,
        lifecycles: Sequence[str] = DEFAULT_LIFECYCLES,
        clock: Clock | None = None,
        wall_clock: Clock | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        quirks: bool = False,
    ) -> None:
        if processing < 0 or latency < 0 or latency_jitter < 0:
            raise ValueError("processing, latency and latency_jitter must be >= 0")
        self.faults = Faults(
            {"fail": fail_rate, "lose": lose_rate, "malformed": malformed_rate,
             "fail_applied": fail_applied_rate, "late": late_rate, "hang": hang_rate,
             "empty_page": empty_page_rate},
            seed, late_delay,
        )  # fmt: skip
        self.token = token
        self.clock: Clock = clock if clock is not None else time.monotonic
        fields = _parse_field_specs(
            DEFAULT_CUSTOM_FIELDS if custom_fields is None else custom_fields
        )
        space = Space(fields, lifecycles)
        self.quirks = Quirks(space, seed, enabled=quirks)
        wall = wall_clock if wall_clock is not None else time.time
        self.state = State(Store(db), space, processing, wall)
        self.webhooks = Webhooks(self.state, self.clock)
        self.latency, self.latency_jitter, self.seed = latency, latency_jitter, seed
        self._paths = Window(per_path, period, window)
        self._workspace = WorkspaceLimit(workspace, period, window, workspace_schedule)
        self._epoch = self.clock()
        self._latency_random = random.Random(seed)
        self._host, self._port = host, port
        self._runner: web.AppRunner | None = None
        self._url: str | None = None
        middlewares = [self.quirks.middleware, _json_errors]
        self.app = web.Application(middlewares=middlewares, client_max_size=MAX_BODY)
        self.app[SANDBOX] = self
        self.app.router.add_route("*", r"/{tail:[\s\S]*}", self._dispatch)
        self.app.on_startup.append(self.webhooks.on_startup)
        self.app.on_cleanup.append(self._on_cleanup)

    # -- state -----------------------------------------------------------------------------------

    @property
    def store(self) -> Store:
        """The contacts."""
        return self.state.store

    @property
    def space(self) -> Space:
        """The workspace: users, channels, tags, custom fields, messages, comments, ..."""
        return self.state.space

    @property
    def stats(self) -> SandboxStats:
        """The counters since start or the last reset."""
        return self.state.stats

    @property
    def custom_fields(self) -> dict[str, FieldSpec]:
        """The workspace's custom fields by name (those created at run time included)."""
        return self.state.space.specs

    @property
    def processing(self) -> float:
        return self.state.processing

    def reset(self) -> None:
        """Forget contacts, the workspace's changes, counters, rate-limit windows, processing and
        scripted faults; reseed the draws; the workspace schedule starts again."""
        self.state.reset()
        self._paths.clear()
        self._workspace.reset()
        self._epoch = self.clock()
        self.faults.reset()
        self.webhooks.reset()
        self.quirks.reset()
        self._latency_random = random.Random(self.seed)

    @property
    def workspace_limit(self) -> int | None:
        """The hidden workspace limit in force now (requests per period), or None."""
        return self._workspace.current(self.clock() - self._epoch)

    def set_workspace_limit(self, limit: int | None) -> None:
        """Change the hidden workspace limit now (``None`` lifts it); the schedule goes on."""
        self._workspace.set(limit, self.clock() - self._epoch)

    def inject_fault(self, kind: Fault, *, times: int = 1, operation: str | None = None) -> None:
        """Force fault ``kind`` on the next ``times`` calls of ``operation`` (e.g. ``"POST
        /contact/{identifier}/message"``; None: any call), whatever the rates. An operation the
        sandbox does not serve (or, for ``"empty_page"``, one answering no listing) is a
        ValueError naming it and the near matches."""
        check_operation(operation, listing=kind == "empty_page")
        self.faults.inject(kind, times=times, operation=operation)

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
        await self._on_cleanup(self.app)

    async def _on_cleanup(self, app: web.Application) -> None:
        await self.webhooks.aclose()
        self.store.close()

    async def __aenter__(self) -> Sandbox:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # -- routing ---------------------------------------------------------------------------------

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        raw_path = request.raw_path.partition("?")[0]  # still percent-encoded: %2F never splits
        if raw_path.startswith("/_sandbox/"):
            return await admin(self, request, raw_path[len("/_sandbox/") :])
        if raw_path == "/v1/openapi.json" and request.method == "GET":
            return openapi(self.space, request)
        if not raw_path.startswith(API_PREFIX):
            return json_response(404, error_payload(404, NOT_FOUND))
        found = route(request.method, raw_path[len(API_PREFIX) :].split("/"))
        if not found:
            return json_response(404, error_payload(404, NOT_FOUND))
        if isinstance(found, list):
            allowed = ", ".join(found)
            return json_response(405, error_payload(405, "Method Not Allowed"), {"Allow": allowed})
        return await self._call(request, raw_path, *found)

    # -- an endpoint -----------------------------------------------------------------------------

    def _authorized(self, request: web.Request) -> bool:
        scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
        given = credentials.strip().encode("utf-8", "surrogateescape")  # any bytes: no 500
        return scheme.lower() == "bearer" and hmac.compare_digest(given, self.token.encode())

    async def _call(
        self, request: web.Request, raw_path: str, endpoint: Route, params: dict[str, str]
    ) -> web.StreamResponse:
        stats = self.stats
        stats.requests += 1
        stats.operations[endpoint.name] = stats.operations.get(endpoint.name, 0) + 1
        segments = raw_path.split("/")
        key = f"{request.method} " + "/".join(decode_segment(s) or s for s in segments)
        now = self.clock()
        remaining, retry_after = self._paths.check(key, now)
        headers = {"X-RateLimit-Limit": str(self._paths.limit)}
        if not self._authorized(request):
            headers["X-RateLimit-Remaining"] = str(remaining)
            return await self._answer(401, error_payload(401), headers)
        workspace = self._workspace.window(now - self._epoch)
        if retry_after is None and workspace is not None:
            retry_after = workspace.check("workspace", now)[1]
            stats.workspace_limited += retry_after is not None
        if retry_after is not None:
            headers["X-RateLimit-Remaining"] = str(remaining)
            headers["Retry-After"] = str(retry_after)
            return await self._answer(429, error_payload(429), headers)
        headers["X-RateLimit-Remaining"] = str(self._paths.take(key, now))
        if workspace is not None:
            workspace.take("workspace", now)

        fault: Fault | None = None
        try:
            body = await self._body(request) if endpoint.body else None

            url = f"{request.scheme}://{request.host}{raw_path}"

            def process(at: float) -> Callable[[], tuple[int, Any]]:
                return endpoint.handler(
                    Call(self.state, params, dict(request.query), body, at, url)
                )

            apply = process(now)
            fault = self.faults.draw(endpoint.name)
            if fault is not None:
                stats.faults[fault] += 1
            if fault == "fail":
                return await self._answer(500, error_payload(500), headers)
            if fault in LATE_FAULTS:
                answer = lambda status, payload: self._answer(status, payload, headers)  # noqa: E731
                return await self.faults.late(fault, process, self.clock, request, answer)
            status, payload = apply()
            if fault == "empty_page":
                payload = empty_page(payload, url, request.query)
        except ApiError as exc:
            log.info("%s for %s: %s", exc.status, key[:300], exc.problem or exc.message)
            return await self._answer(exc.status, error_payload(exc.status, exc.message), headers)
        if fault == "lose":
            await self._sleep()
            if request.transport is not None:
                request.transport.close()  # applied; the client sees a disconnect
            return web.Response()
        if fault == "fail_applied":
            return await self._answer(500, error_payload(500), headers)
        return await self._answer(status, payload, headers, cut=fault == "malformed")

    @staticmethod
    async def _body(request: web.Request) -> Any:
        try:
            data = await request.read()
        except web.HTTPRequestEntityTooLarge:
            raise ApiError(400, problem=f"body: over {MAX_BODY} bytes") from None
        ok, body = load_json(data)
        if not ok:
            raise ApiError(400, problem="body: not JSON")
        return body

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
        stats = self.stats
        stats.statuses[status] = stats.statuses.get(status, 0) + 1
        stats.rate_limited += status == 429
        stats.queued += status == 449
        return json_response(status, payload, headers, cut=cut)


SANDBOX: web.AppKey[Sandbox] = web.AppKey("sandbox", Sandbox)
"""Where an app made by the sandbox keeps its :class:`Sandbox`: ``app[SANDBOX]``."""


def make_app(**options: Any) -> web.Application:
    """The unbound ``aiohttp`` app of a new :class:`Sandbox` (reach it as ``app[SANDBOX]``)."""
    return Sandbox(**options).app
