"""The sandbox's OpenAPI 3.1 document: every endpoint of :data:`._routes.ROUTES`, with request
schemas that say exactly what the server checks (built from the same formats, limits and
workspace), every answer it can give, and the rate-limit headers.

``openapi.json`` in the package is this document for the default workspace; a running sandbox
serves its own (its custom fields, lifecycle stages, users and channels) at ``/v1/openapi.json``.
A test checks the file is current; regenerate it with::

    python -c "import json; from aelyst_async.sandbox._openapi import build_document as b; \
    open('aelyst_async/sandbox/openapi.json', 'w').write(json.dumps(b(), indent=1) + '\n')"
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from ._contacts import create
from ._formats import EMAIL_MAX, EMAIL_PATTERN, ID_PATTERN, PHONE_PATTERN
from ._http import MESSAGES
from ._routes import ROUTES, Route
from ._schemas import Schema, answer_schemas, pattern, ref, request_schemas
from ._schemas import filter_schemas as _filter_schemas
from ._validation import DEFAULT_CUSTOM_FIELDS
from ._workspace import DEFAULT_LIFECYCLES, Space

_IDENTIFIER: Schema = {
    "type": "string",
    "maxLength": len("email:") + EMAIL_MAX,
    "pattern": pattern(f"id:{ID_PATTERN}|email:{EMAIL_PATTERN}|phone:{PHONE_PATTERN}"),
}
_NEW_IDENTIFIER: Schema = {  # create: email: or phone: only
    **_IDENTIFIER,
    "pattern": pattern(f"email:{EMAIL_PATTERN}|phone:{PHONE_PATTERN}"),
}
DOCUMENTED_EXAMPLE = {
    "firstName": "Muhammad ",
    "lastName": "Mahin",
    "phone": "+60123456789",
    "email": "test@example.com",
    "language": "ms",
    "profilePic": "https://cdn.aelyst.ai/profile_avatar.png",
    "countryCode": "MY",
    "custom_fields": [{"name": "Company Website", "value": "https://example.com"}],
}
"""The API documentation's example body."""
_ID: Schema = {"type": "integer", "minimum": 0, "maximum": 10**19 - 1}
_PAGE_QUERY = [
    {"name": "limit", "in": "query", "required": False,
     "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 10}},
    {"name": "cursorId", "in": "query", "required": False, "schema": _ID},
]  # fmt: skip

# endpoint name -> (summary, request body component, answer component, list item?, extra errors)
_OPERATIONS: dict[str, tuple[str, str | None, str, bool, tuple[int, ...]]] = {
    "POST /contact/create_or_update/{identifier}": (
        "Create or update a contact", "ContactBody", "ContactId", False, ()),
    "POST /contact/merge": ("Merge two contacts", "MergeBody", "ContactId", False, ()),
    "POST /contact/list": ("List contacts", "ListBody", "ContactRecord", True, ()),
    "GET /contact/{identifier}": ("Get a contact", None, "ContactRecord", False, ()),
    "POST /contact/{identifier}": (
        "Create a contact", "ContactBody", "Acknowledgement", False, (409,)),
    "PUT /contact/{identifier}": ("Update a contact", "ContactUpdate", "ContactId", False, ()),
    "DELETE /contact/{identifier}": ("Delete a contact", None, "ContactId", False, ()),
    "POST /contact/{identifier}/tag": ("Add tags", "TagNames", "ContactId", False, ()),
    "DELETE /contact/{identifier}/tag": ("Remove tags", "TagNames", "ContactId", False, ()),
    "POST /contact/{identifier}/lifecycle/update": (
        "Set or remove the lifecycle stage", "LifecycleBody", "Acknowledgement", False, ()),
    "GET /contact/{identifier}/channels": (
        "List a contact's channels", None, "ContactChannel", True, ()),
    "POST /contact/{identifier}/conversation/assignee": (
        "Assign or unassign the conversation", "AssigneeBody", "ContactId", False, ()),
    "POST /contact/{identifier}/conversation/status": (
        "Open or close the conversation", "StatusBody", "ContactId", False, ()),
    "POST /contact/{identifier}/comment": ("Add a comment", "CommentBody", "Comment", False, ()),
    "POST /contact/{identifier}/message": ("Send a message", "MessageBody", "MessageId", False, ()),
    "GET /contact/{identifier}/message/list": ("List messages", None, "Message", True, ()),
    "GET /contact/{identifier}/message/{messageId}": ("Get a message", None, "Message", False, ()),
    "GET /space/user": ("List users", None, "User", True, ()),
    "GET /space/user/{id}": ("Get a user", None, "User", False, (404,)),
    "GET /space/custom_field": ("List custom fields", None, "CustomField", True, ()),
    "POST /space/custom_field": (
        "Create a custom field", "CustomFieldCreate", "CustomField", False, (409,)),
    "GET /space/custom_field/{id}": ("Get a custom field", None, "CustomField", False, (404,)),
    "GET /space/channel": ("List channels", None, "Channel", True, ()),
    "GET /space/channel/{id}/template": ("List templates", None, "Template", True, (404,)),
    "GET /space/channel/{id}/mtm": (
        "List WhatsApp templates (the n8n integration's path)", None, "Template", True, (404,)),
    "GET /space/closing_notes": ("List closing notes", None, "ClosingNote", True, ()),
    "POST /space/tag": ("Create a tag", "TagCreate", "Tag", False, (409,)),
    "PUT /space/tag": ("Update a tag", "TagUpdate", "Tag", False, (404, 409)),
    "DELETE /space/tag": ("Delete a tag", "TagDelete", "Acknowledgement", False, (404,)),
}  # fmt: skip


_CONTACT = "id:{$response.body#/contactId}"
_SAME_CONTACT = "$request.path.identifier"
# source endpoint -> link name -> (target endpoint, parameters, request body): how a created or
# changed object is reached again (schemathesis' stateful phase follows these)
_LINKS: dict[str, dict[str, tuple[str, dict[str, str], Any]]] = {
    "POST /contact/create_or_update/{identifier}": {
        "GetContact": ("GET /contact/{identifier}", {"identifier": _CONTACT}, None),
        "UpdateContact": ("PUT /contact/{identifier}", {"identifier": _CONTACT}, None),
        "SendMessage": ("POST /contact/{identifier}/message", {"identifier": _CONTACT}, None),
        "AddTags": ("POST /contact/{identifier}/tag", {"identifier": _CONTACT}, None),
        "DeleteContact": ("DELETE /contact/{identifier}", {"identifier": _CONTACT}, None),
    },
    "POST /contact/{identifier}": {
        "GetContact": ("GET /contact/{identifier}", {"identifier": _SAME_CONTACT}, None),
        "UpdateContact": ("PUT /contact/{identifier}", {"identifier": _SAME_CONTACT}, None),
    },
    "PUT /contact/{identifier}": {
        "GetContact": ("GET /contact/{identifier}", {"identifier": _CONTACT}, None),
    },
    "POST /contact/{identifier}/message": {
        "GetMessage": ("GET /contact/{identifier}/message/{messageId}",
                       {"identifier": _SAME_CONTACT, "messageId": "$response.body#/messageId"},
                       None),
    },
    "POST /space/custom_field": {
        "GetCustomField": ("GET /space/custom_field/{id}", {"id": "$response.body#/id"}, None),
    },
    "POST /space/tag": {
        "UpdateTag": ("PUT /space/tag", {}, {"currentName": "$response.body#/name"}),
        "DeleteTag": ("DELETE /space/tag", {}, {"name": "$response.body#/name"}),
    },
}  # fmt: skip


_IDS = {  # where two handlers share a name
    "GET /contact/{identifier}/message/{messageId}": "get_message_get",
    "GET /contact/{identifier}/channels": "list_contact_channels_get",
}


def operation_id(endpoint: Route) -> str:
    """A unique ``operationId``: the handler's name and the method, e.g. ``upsert_post``."""
    return _IDS.get(endpoint.name, f"{endpoint.handler.__name__}_{endpoint.method.lower()}")


def _links(endpoint: Route) -> dict[str, Any]:
    by_name = {r.name: r for r in ROUTES}
    links: dict[str, Any] = {}
    for name, (target, parameters, body) in _LINKS.get(endpoint.name, {}).items():
        link: dict[str, Any] = {"operationId": operation_id(by_name[target])}
        if parameters:
            link["parameters"] = parameters
        if body is not None:
            link["requestBody"] = body
        links[name] = link
    return links


def _headers(status: int) -> dict[str, Any]:
    headers: dict[str, Any] = {
        name: {"$ref": f"#/components/headers/{name}"}
        for name in ("X-RateLimit-Limit", "X-RateLimit-Remaining")
    }
    if status == 429:
        headers["Retry-After"] = {"$ref": "#/components/headers/Retry-After"}
    return headers


def _error(status: int, description: str, *, example: bool = True) -> dict[str, Any]:
    content: dict[str, Any] = {"schema": ref("Error")}
    if example:
        content["example"] = {"code": status, "message": MESSAGES[status]}
    return {
        "description": description,
        "headers": _headers(status),
        "content": {"application/json": content},
    }


def _operation(endpoint: Route) -> dict[str, Any]:
    summary, body, answer, listing, extra = _OPERATIONS[endpoint.name]
    parameters: list[dict[str, Any]] = []
    for segment in endpoint.segments:
        if segment == "{identifier}":
            parameters.append(
                {
                    "name": "identifier",
                    "in": "path",
                    "required": True,
                    "schema": _NEW_IDENTIFIER if endpoint.handler is create else _IDENTIFIER,
                    "description": "`id:N`, `email:address` (any case) or "
                    "`phone:+E164`, as one percent-encoded segment.",
                }
            )
        elif segment.startswith("{"):
            parameters.append(
                {"name": segment[1:-1], "in": "path", "required": True, "schema": _ID}
            )
    parameters += _PAGE_QUERY if listing else []
    if listing:
        schema: Schema = {
            "type": "object",
            "required": ["items", "pagination"],
            "properties": {
                "items": {"type": "array", "items": ref(answer)},
                "pagination": {
                    "type": "object",
                    "required": ["next", "previous"],
                    "properties": {
                        "next": {"type": ["string", "null"]},
                        "previous": {"type": ["string", "null"]},
                    },
                },
            },
        }
    else:
        schema = ref(answer)
    contact = "{identifier}" in endpoint.template or endpoint.template == "/contact/merge"
    responses: dict[str, Any] = {
        "200": {"description": "Done.", "headers": _headers(200),
                "content": {"application/json": {"schema": schema}}},
        "400": _error(400, "The identifier, the query or the body is invalid."),
        "401": _error(401, "Missing or wrong Bearer token."),
        "429": _error(429, "Rate limited: this method + path, or the hidden workspace limit."),
        "500": _error(500, "Unexpected error (or an injected fault)."),
    }  # fmt: skip
    if contact:
        responses["404"] = _error(404, "No contact matches (or no such message).")
        responses["449"] = _error(449, "The contact was just created and is still processed.")
    for status in extra:
        what = "Already exists." if status == 409 else "Not found."
        responses[str(status)] = _error(
            status, what, example=endpoint.template.startswith("/contact")
        )
    operation: dict[str, Any] = {
        "operationId": operation_id(endpoint),
        "summary": summary,
        "parameters": parameters,
        "responses": dict(sorted(responses.items())),
    }
    if links := _links(endpoint):
        responses["200"]["links"] = links
    if body is not None:
        content: dict[str, Any] = {"schema": ref(body)}
        if body == "ContactBody":
            content["example"] = DOCUMENTED_EXAMPLE
        operation["requestBody"] = {"required": True, "content": {"application/json": content}}

    return operation


def build_document(space: Space | None = None) -> dict[str, Any]:
    """The document for ``space`` (the default seeded workspace when None)."""
    if space is None:
        space = Space(DEFAULT_CUSTOM_FIELDS, DEFAULT_LIFECYCLES)
    paths: dict[str, dict[str, Any]] = {}
    for endpoint in ROUTES:
        paths.setdefault(endpoint.template, {})[endpoint.method.lower()] = _operation(endpoint)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Aelyst API (sandbox)",
            "version": "1.0.0",
            "description": "Every endpoint of the Aelyst API as served by the aelyst_async "
            "sandbox. Each method + path (path parameters included, decoded) is limited to "
            "X-RateLimit-Limit requests per period; a hidden workspace-wide limit may also "
            "apply. Request schemas state exactly what the sandbox validates; a 400 answers "
            "anything else. Emails in identifiers match contacts whatever their case.",
        },
        "servers": [{"url": "https://api.aelyst.ai/v1", "description": "Aelyst"}],
        "security": [{"bearerAuth": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
            "headers": {
                "X-RateLimit-Limit": {"required": True, "schema": {"type": "integer", "minimum": 1},
                                      "description": "Requests allowed per period."},
                "X-RateLimit-Remaining": {"required": True,
                                          "schema": {"type": "integer", "minimum": 0},
                                          "description": "Requests left in this period."},
                "Retry-After": {"required": True, "schema": {"type": "integer", "minimum": 1},
                                "description": "Seconds to wait before retrying."},
            },
            "schemas": {**request_schemas(space), **_filter_schemas(space), **answer_schemas()},
        },
    }  # fmt: skip


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document shipped with the package (the default workspace's)."""
    text = resources.files(__package__).joinpath("openapi.json").read_text("utf-8")
    doc: dict[str, Any] = json.loads(text)
    return doc
