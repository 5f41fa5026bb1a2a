"""Every endpoint of the API under ``/v1``, and the router matching raw path segments.

Matching works on the still percent-encoded segments, so ``%2F`` inside an identifier never
splits it. A path matching several templates goes to the one with the most literal segments
(``/contact/merge`` is not a contact called ``merge``); a path matching no template is a 404,
one matching with another method a 405 naming the allowed ones.

>>> route("GET", ["contact", "id:7", "message", "list"])[0].name
'GET /contact/{identifier}/message/list'

Answer shapes, as the official clients show them (TS: respond-io/typescript-sdk ``src/types``;
N8N: respond-io/n8n-integration ``nodes/Respondio/types``):

=====================================  ==================================  =======
call                                   answer                              source
=====================================  ==================================  =======
POST /contact/{identifier} (create)    ``{"code": "200", "message": ..}``  TS
PUT/DELETE contact, create_or_update,  ``{"contactId": N}``                TS
merge, POST/DELETE contact tag
POST .../lifecycle/update              ``{"code": 200, "message": ..}``    TS
DELETE /space/tag                      ``{"code": 200, "message": ..}``    TS
POST/PUT /space/tag                    the bare tag                        TS
listings                               ``{"items", "pagination": {"next",  TS
                                       "previous"}}``, ``""`` at the end
GET .../template, GET .../mtm          templates with ``components``       TS, N8N
GET message                            ``channelMessageId`` a string       TS
errors                                 ``{"code": N, "message": ..}``      TS
=====================================  ==================================  =======

``Sandbox(quirks=True)`` answers the variants the other sources show (see :mod:`._quirks`).
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

import attrs

from . import _contact_actions as actions
from . import _contacts as contacts
from . import _messages as messages
from . import _space as space
from ._state import Handler


@attrs.frozen
class Route:
    """An endpoint: ``method``, path ``template`` under ``/v1`` and its handler; ``body`` when
    it takes a JSON body."""

    method: str
    template: str
    handler: Handler
    body: bool = False

    @property
    def name(self) -> str:
        """``"METHOD /template"``, e.g. ``"GET /contact/{identifier}"``."""
        return f"{self.method} {self.template}"

    @property
    def segments(self) -> list[str]:
        return self.template.strip("/").split("/")

    def match(self, segments: Sequence[str]) -> dict[str, str] | None:
        """The raw path parameters if ``segments`` fit the template, else None."""
        template = self.segments
        if len(template) != len(segments):
            return None
        params: dict[str, str] = {}
        for expected, raw in zip(template, segments, strict=True):
            if expected.startswith("{"):
                if not raw:
                    return None
                params[expected[1:-1]] = raw
            elif expected != raw:
                return None
        return params

    @property
    def literals(self) -> int:
        return sum(not s.startswith("{") for s in self.segments)


ROUTES: tuple[Route, ...] = (
    Route("POST", "/contact/create_or_update/{identifier}", contacts.upsert, body=True),
    Route("POST", "/contact/merge", contacts.merge, body=True),
    Route("POST", "/contact/list", contacts.list_contacts, body=True),
    Route("GET", "/contact/{identifier}", contacts.get),
    Route("POST", "/contact/{identifier}", contacts.create, body=True),
    Route("PUT", "/contact/{identifier}", contacts.update, body=True),
    Route("DELETE", "/contact/{identifier}", contacts.delete),
    Route("POST", "/contact/{identifier}/tag", actions.add_tags, body=True),
    Route("DELETE", "/contact/{identifier}/tag", actions.remove_tags, body=True),
    Route("POST", "/contact/{identifier}/lifecycle/update", actions.update_lifecycle, body=True),
    Route("GET", "/contact/{identifier}/channels", actions.list_channels),
    Route("POST", "/contact/{identifier}/conversation/assignee", actions.assign, body=True),
    Route("POST", "/contact/{identifier}/conversation/status", actions.update_status, body=True),
    Route("POST", "/contact/{identifier}/comment", actions.comment, body=True),
    Route("POST", "/contact/{identifier}/message", messages.send, body=True),
    Route("GET", "/contact/{identifier}/message/list", messages.list_messages),
    Route("GET", "/contact/{identifier}/message/{messageId}", messages.get),
    Route("GET", "/space/user", space.list_users),
    Route("GET", "/space/user/{id}", space.get_user),
    Route("GET", "/space/custom_field", space.list_custom_fields),
    Route("POST", "/space/custom_field", space.create_custom_field, body=True),
    Route("GET", "/space/custom_field/{id}", space.get_custom_field),
    Route("GET", "/space/channel", space.list_channels),
    Route("GET", "/space/channel/{id}/template", space.list_templates),
    Route("GET", "/space/channel/{id}/mtm", space.list_whatsapp_templates),
    Route("GET", "/space/closing_notes", space.list_closing_notes),
    Route("POST", "/space/tag", space.create_tag, body=True),
    Route("PUT", "/space/tag", space.update_tag, body=True),
    Route("DELETE", "/space/tag", space.delete_tag, body=True),
)
"""Every endpoint the sandbox serves."""

LISTINGS = frozenset(r.name for r in ROUTES if r.handler.__name__.startswith("list_"))
"""The endpoints answering a page of a listing (``{"items", "pagination"}``)."""


def route(method: str, segments: Sequence[str]) -> tuple[Route, dict[str, str]] | list[str]:
    """The route and raw parameters for a request, or the methods the path allows (empty: the
    path is no endpoint)."""
    matches = [(r, p) for r in ROUTES if (p := r.match(segments)) is not None]
    if not matches:
        return []
    best = max(r.literals for r, _ in matches)
    matches = [(r, p) for r, p in matches if r.literals == best]
    for found in matches:
        if found[0].method == method:
            return found
    return sorted({r.method for r, _ in matches})


def check_operation(operation: str | None, *, listing: bool = False) -> None:
    """A ValueError unless ``operation`` is None or the name of an endpoint the sandbox serves
    (``"METHOD /template"``; with ``listing``, one of :data:`LISTINGS`); the message names it
    and the near matches (the template of a concrete path such as ``"POST
    /contact/id:1/message"``), else every name.

    >>> check_operation("POST /contact/id:7/message")
    Traceback (most recent call last):
    ...
    ValueError: operation 'POST /contact/id:7/message' is not served by the sandbox; did you mean 'POST /contact/{identifier}/message'?
    """  # noqa: E501
    names = [r.name for r in ROUTES]
    if listing and operation in names and operation not in LISTINGS:
        raise ValueError(f"operation {operation!r} answers no listing; one of {sorted(LISTINGS)}")
    if operation is None or operation in names:
        return
    if not isinstance(operation, str):
        raise ValueError(f"operation: a string such as {names[0]!r} or None, not {operation!r}")
    method, _, path = operation.strip().partition(" ")
    found = route(method.upper(), path.strip().strip("/").split("/"))
    near = (
        [found[0].name]
        if isinstance(found, tuple)  # a concrete path: its endpoint
        else difflib.get_close_matches(operation, names, n=3, cutoff=0.75)
    )
    hint = f"did you mean {' or '.join(map(repr, near))}?" if near else f"one of {names}"
    raise ValueError(f"operation {operation!r} is not served by the sandbox; {hint}")
