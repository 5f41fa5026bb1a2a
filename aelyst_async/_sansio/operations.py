"""Every API call as data, in one table: its method, path template (path parameters spelled as
the API's reference spells them: ``{identifier}``, ``{id}``, ``{messageId}``), how its answer
becomes a result, and whether sending it twice is safe. Building and interpreting are generic
(:mod:`.request`, :mod:`.response`), so adding a call is a line here plus a resource method.
The message and workspace calls are the table's second part, :mod:`.space_operations` (their
record types are imported when a client first uses ``messages`` or ``workspace``).

>>> CONTACT_GET.method, CONTACT_GET.path
('GET', '/contact/{identifier}')
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Generic, TypeVar
from urllib.parse import parse_qs, urlsplit

import attrs

from ..types._read import UnreadableKey
from ..types.contact import UpsertResult
from ..types.records import ContactChannel, ContactRecord
from .convert import record_from_wire, upsert_result_from_wire, wire_int

log = logging.getLogger("aelyst_async")

T = TypeVar("T")
R = TypeVar("R")


@attrs.frozen
class Operation(Generic[T]):
    """One API call.

    ``path``: a template whose ``{name}`` parts are filled with one percent-encoded segment each;
    ``result``: the parsed JSON answer -> the call's result (raises ValueError/TypeError when the
    answer is not ``shape``), or None when the call returns nothing (its answer must still be a
    JSON object, or a 204);
    ``idempotent``: whether the API applying it twice has the effect of applying it once;
    ``can_miss``: whether a 404 may mean "no such object" (False for a call that names no
    object, such as a listing of the workspace: its 404 means the base URL is wrong).
    """

    method: str
    path: str
    result: Callable[[Any], T] | None
    idempotent: bool = True
    shape: str = "JSON"
    can_miss: bool = True


@attrs.frozen
class Page(Generic[R]):
    """One page of a list: its ``items``, the cursor of the next page (None at the end), and
    how many items of the answer were ``skipped`` because they lack the key that identifies
    them (each logged as a warning on the ``"aelyst_async"`` logger)."""

    items: tuple[R, ...]
    next_cursor: str | None
    skipped: int = 0


def _contact_id(body: Any) -> int:
    return wire_int(body, "contactId")


def _contact_id_if_any(body: Any) -> int | None:
    """The ``contactId`` an answer (a JSON object, or None for a 204) may carry: the official
    types answer ``{code, message}``; None when it has none, or one that is not an id."""
    if body is not None and not isinstance(body, dict):
        raise ValueError("expected a JSON object")
    try:
        return wire_int(body, "contactId")
    except (TypeError, ValueError):
        return None


def next_cursor(pagination: Any) -> str | None:
    """The ``cursorId`` query value of ``pagination.next`` (None or absent at the end)."""
    if pagination is None:
        return None
    if not isinstance(pagination, dict):
        raise UnreadableKey("pagination", "is not an object")
    url = pagination.get("next")
    if url is None or url == "":
        return None
    if not isinstance(url, str):
        raise UnreadableKey("pagination.next", "is not a URL")
    values = parse_qs(urlsplit(url).query).get("cursorId")
    if not values or not values[0]:
        raise UnreadableKey("pagination.next", f"has no cursorId: {url!r}")
    return values[0]


def page_of(cls: type[R]) -> Callable[[Any], Page[R]]:
    """A reader of ``{"items": [...], "pagination": {"next": ...}}`` pages of ``cls``.

    An item without the key that identifies it is that item's problem, not the page's: it is
    skipped with a warning naming its index and the key, and counted in ``Page.skipped``; the
    other items are read.
    """

    def read(body: Any) -> Page[R]:
        if not isinstance(body, dict) or not isinstance(body.get("items"), list):
            raise UnreadableKey("items", "is not a list in the page")
        items: list[R] = []
        for index, item in enumerate(body["items"]):
            try:
                items.append(record_from_wire(item, cls))
            except ValueError as exc:
                log.warning("aelyst_async: item %d of a page skipped: %s", index, exc)
        skipped = len(body["items"]) - len(items)
        return Page(tuple(items), next_cursor(body.get("pagination")), skipped)

    return read


def record(cls: type[R]) -> Callable[[Any], R]:
    """A reader of one ``cls`` object."""
    return lambda body: record_from_wire(body, cls)


CONTACT_ID = '{"contactId": <int>}'
PAGE = '{"items": [...], "pagination": {...}}'

CONTACT_UPSERT: Operation[UpsertResult] = Operation(
    "POST", "/contact/create_or_update/{identifier}", upsert_result_from_wire, shape=CONTACT_ID
)
CONTACT_REKEY = attrs.evolve(CONTACT_UPSERT, idempotent=False)
"""A create-or-update that changes the email or phone its identifier names: sent twice, it
could create a second contact."""
CONTACT_GET = Operation("GET", "/contact/{identifier}", record(ContactRecord))
CONTACT_CREATE = Operation("POST", "/contact/{identifier}", _contact_id_if_any, idempotent=False)
CONTACT_UPDATE = Operation("PUT", "/contact/{identifier}", _contact_id, shape=CONTACT_ID)
CONTACT_DELETE = Operation("DELETE", "/contact/{identifier}", _contact_id, shape=CONTACT_ID)
CONTACT_MERGE = Operation("POST", "/contact/merge", _contact_id, idempotent=False, shape=CONTACT_ID)
CONTACT_LIST = Operation(
    "POST", "/contact/list", page_of(ContactRecord), shape=PAGE, can_miss=False
)
CONTACT_ADD_TAGS = Operation("POST", "/contact/{identifier}/tag", _contact_id, shape=CONTACT_ID)
CONTACT_REMOVE_TAGS = Operation(
    "DELETE", "/contact/{identifier}/tag", _contact_id, shape=CONTACT_ID
)
CONTACT_LIFECYCLE = Operation("POST", "/contact/{identifier}/lifecycle/update", _contact_id_if_any)
CONTACT_CHANNELS = Operation(
    "GET", "/contact/{identifier}/channels", page_of(ContactChannel), shape=PAGE
)
COMMENT_CREATE: Operation[None] = Operation(
    "POST", "/contact/{identifier}/comment", None, idempotent=False
)
"""Not idempotent: sent twice, the contact gets the comment twice."""
CONVERSATION_ASSIGN: Operation[None] = Operation(
    "POST", "/contact/{identifier}/conversation/assignee", None
)
CONVERSATION_STATUS: Operation[None] = Operation(
    "POST", "/contact/{identifier}/conversation/status", None
)
