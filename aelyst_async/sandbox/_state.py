"""What every endpoint works on: the contacts, the workspace, the counters and the processing
window after a create; and :class:`Call`, one request as a handler sees it.

A handler checks its call and returns an *apply* step (``() -> (status, payload)``) or raises
:class:`~._http.ApiError`; the server injects faults between the two, so a lost response can
follow an applied call and a 500 can precede one.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from ._faults import FAULTS
from ._http import ApiError, invalid
from ._limits import Clock
from ._store import Store, StoredContact
from ._validation import STANDARD_FIELDS, parse_identifier
from ._workspace import Space

Result = tuple[int, Any]
Apply = Callable[[], Result]


@attrs.define
class SandboxStats:
    """Counters since start or the last reset.

    ``requests`` counts the requests to the API's endpoints (any status); ``operations`` the
    same by endpoint (``"POST /contact/{identifier}/message"``); ``statuses`` the responses
    sent, by status (a lost response is not sent); ``rate_limited`` every 429,
    ``workspace_limited`` those of them due to the hidden workspace limit; ``queued`` the 449s;
    ``creates`` / ``updates`` the contact writes applied by upserts and creates (including those
    whose response was lost); ``faults`` the injected faults by kind.
    """

    requests: int = 0
    statuses: dict[int, int] = attrs.field(factory=dict)
    rate_limited: int = 0
    workspace_limited: int = 0
    queued: int = 0
    creates: int = 0
    updates: int = 0
    faults: dict[str, int] = attrs.field(factory=lambda: {kind: 0 for kind in FAULTS})
    operations: dict[str, int] = attrs.field(factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready copy (status keys as strings)."""
        data = attrs.asdict(self)
        data["statuses"] = {str(k): v for k, v in sorted(self.statuses.items())}
        return data


class State:
    """The sandbox's data and the rules shared by every endpoint."""

    def __init__(self, store: Store, space: Space, processing: float, wall: Clock) -> None:
        self.store, self.space, self.processing, self.wall = store, space, processing, wall
        self.stats = SandboxStats()
        self._created: dict[int, float] = {}
        self._created_order: deque[tuple[float, int]] = deque()
        self.listeners: list[Callable[[str, int, dict[str, Any]], None]] = []

    def reset(self) -> None:
        """Forget contacts, counters, processing and what happened in the workspace."""
        self.store.clear()
        self.space.reset()
        self.stats = SandboxStats()
        self._created.clear()
        self._created_order.clear()

    def changed(self, event_type: str, contact_id: int, **details: Any) -> None:
        """A change was just applied to contact ``contact_id`` (the webhooks listen)."""
        for listener in self.listeners:
            listener(event_type, contact_id, details)

    def timestamp(self) -> int:
        """Now as unix seconds (the ``created_at`` of what is made now)."""
        return int(self.wall())

    # -- contacts --------------------------------------------------------------------------------

    def create_contact(self, fields: Mapping[str, Any], now: float) -> int:
        """Store a new contact; it is in processing (449) for ``processing`` seconds."""
        contact_id = self.store.create(fields, created_at=self.timestamp())
        self.stats.creates += 1
        self.changed("contact.created", contact_id)
        if self.processing > 0:
            self._created[contact_id] = now
            self._created_order.append((now, contact_id))
        return contact_id

    def in_processing(self, contact_id: int, now: float) -> bool:
        order = self._created_order
        while order and order[0][0] <= now - self.processing:
            self._created.pop(order.popleft()[1], None)
        return contact_id in self._created

    def find(self, raw_identifier: str) -> tuple[tuple[str, str], int | None]:
        """``((kind, value), id or None)`` of a raw identifier segment; a 400 if malformed."""
        identifier = parse_identifier(raw_identifier)
        if identifier is None:
            raise invalid(f"identifier: malformed {raw_identifier!r}")
        kind, value = identifier
        if kind == "id":
            return identifier, int(value) if int(value) in self.store else None
        return identifier, self.store.first_id(kind, value)

    def resolve(self, raw_identifier: str, now: float) -> int:
        """The id of the contact a raw identifier names: 400 if malformed, 404 if none, 449
        while it is being processed."""
        contact_id = self.find(raw_identifier)[1]
        if contact_id is None:
            raise ApiError(404)
        self.check_processed(contact_id, now)
        return contact_id

    def check_processed(self, contact_id: int, now: float) -> None:
        """A 449 while contact ``contact_id`` is being processed."""
        if self.in_processing(contact_id, now):
            raise ApiError(449)

    def contact(self, contact_id: int) -> StoredContact:
        """A copy of the stored contact (it exists: resolved before)."""
        return self.store.get(contact_id) or {}

    def contact_wire(self, contact: Mapping[str, Any]) -> dict[str, Any]:
        """A stored contact in the API's ContactRecord shape."""
        user = self.space.users.get(contact["assignee"]) if contact["assignee"] else None
        return {
            "id": contact["id"],
            **{key: contact[key] for key in STANDARD_FIELDS},
            "status": contact["status"],
            "tags": list(contact["tags"]),
            "assignee": {k: user[k] for k in ("id", "firstName", "lastName", "email")}
            if user
            else None,
            "lifecycle": contact["lifecycle"],
            "created_at": contact["created_at"],
            "custom_fields": [{"name": n, "value": v} for n, v in contact["custom_fields"].items()],
        }


@attrs.frozen
class Call:
    """One request as a handler sees it: path parameters still percent-encoded, the query,
    the parsed JSON body (None when the endpoint takes none), the sandbox clock's ``now``, and
    the request's URL without its query (for pagination links)."""

    state: State
    params: Mapping[str, str]
    query: Mapping[str, str]
    body: Any
    now: float
    url: str

    def contact_id(self) -> int:
        """The contact named by the ``{identifier}`` path parameter (400 / 404 / 449)."""
        return self.state.resolve(self.params["identifier"], self.now)


Handler = Callable[[Call], Apply]
