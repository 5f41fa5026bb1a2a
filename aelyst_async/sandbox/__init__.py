"""A faithful local Aelyst API server for tests, benchmarks and trying the SDK.

>>> async def demo() -> None:
...     async with Sandbox(per_path=10, clock=FakeClock()) as sb:
...         ...  # AelystClient(sb.token, base_url=sb.base_url); sb.store; sb.stats; sb.clock

Also on the command line: ``aelyst sandbox --port 8080``.
"""

from ._app import MESSAGES, SANDBOX, Sandbox, SandboxStats, make_app, openapi_document
from ._delivery import DeliveryPolicy, WebhookStats
from ._faults import FAULTS, Fault
from ._limits import Clock, FakeClock, Window, WindowKind, WorkspaceLimit
from ._routes import ROUTES, Route
from ._store import Store, StoredContact
from ._validation import DEFAULT_CUSTOM_FIELDS, FIELD_TYPES, FieldSpec
from ._webhooks import EVENT_TYPES, WEBHOOK_FAULTS, WebhookFault, Webhooks
from ._workspace import DEFAULT_LIFECYCLES, Space

__all__ = [
    "DEFAULT_CUSTOM_FIELDS",
    "DEFAULT_LIFECYCLES",
    "EVENT_TYPES",
    "FAULTS",
    "FIELD_TYPES",
    "MESSAGES",
    "ROUTES",
    "SANDBOX",
    "WEBHOOK_FAULTS",
    "Clock",
    "DeliveryPolicy",
    "FakeClock",
    "Fault",
    "FieldSpec",
    "Route",
    "Sandbox",
    "SandboxStats",
    "Space",
    "Store",
    "StoredContact",
    "WebhookFault",
    "WebhookStats",
    "Webhooks",
    "Window",
    "WindowKind",
    "WorkspaceLimit",
    "make_app",
    "openapi_document",
]
