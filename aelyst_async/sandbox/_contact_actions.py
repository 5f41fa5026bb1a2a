"""What is done to a contact: tags, lifecycle, its channels, assignee, conversation status and
comments. Each answers ``{"contactId": N}`` unless said otherwise (lifecycle answers
``{"code": 200, "message": ...}``, as the official TypeScript SDK types it)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._http import as_int, invalid, obj, only_keys, required_text, text
from ._paging import page_params, paginate
from ._state import Apply, Call, Result, State
from ._workspace import EMAIL_CHANNEL, PHONE_CHANNEL

MAX_TAGS, MAX_TAG_LENGTH = 10, 255
MAX_COMMENT, MAX_CATEGORY, MAX_SUMMARY = 1000, 128, 512


def _done(contact_id: int) -> Result:
    return 200, {"contactId": contact_id}


def _tag_names(body: object) -> list[str]:
    if not isinstance(body, list) or not 1 <= len(body) <= MAX_TAGS:
        raise invalid(f"body: a list of 1-{MAX_TAGS} tag names required")
    for i, name in enumerate(body):
        if not isinstance(name, str) or not 1 <= len(name) <= MAX_TAG_LENGTH:
            raise invalid(f"body[{i}]: a tag name of 1-{MAX_TAG_LENGTH} characters required")
    return list(dict.fromkeys(body))


def add_tags(call: Call) -> Apply:
    """``POST /contact/{identifier}/tag`` ``["a", "b"]``: tags the workspace lacks are made."""
    contact_id, names = call.contact_id(), _tag_names(call.body)
    state = call.state

    def apply() -> Result:
        for name in names:
            if name not in state.space.tags:
                state.space.add_tag(name)
        tags = state.contact(contact_id)["tags"]
        state.store.update(contact_id, {"tags": tags + [n for n in names if n not in tags]})
        state.changed("contact.tag.updated", contact_id)
        return _done(contact_id)

    return apply


def remove_tags(call: Call) -> Apply:
    """``DELETE /contact/{identifier}/tag`` ``["a"]``: names the contact lacks are ignored."""
    contact_id, names = call.contact_id(), _tag_names(call.body)
    state = call.state

    def apply() -> Result:
        tags = state.contact(contact_id)["tags"]
        state.store.update(contact_id, {"tags": [t for t in tags if t not in names]})
        state.changed("contact.tag.updated", contact_id)
        return _done(contact_id)

    return apply


def update_lifecycle(call: Call) -> Apply:
    """``POST /contact/{identifier}/lifecycle/update`` ``{"name": stage or null}``."""
    contact_id, body = call.contact_id(), obj(call.body)
    only_keys(body, ("name",))
    if "name" not in body:
        raise invalid("body.name: required (null removes the lifecycle)")
    name = body["name"]
    if name is not None and name not in call.state.space.lifecycles:
        raise invalid(f"body.name: no lifecycle stage {name!r} in this workspace")

    def apply() -> Result:
        call.state.store.update(contact_id, {"lifecycle": name})
        call.state.changed("contact.lifecycle.updated", contact_id)
        return 200, {"code": 200, "message": "Lifecycle updated"}

    return apply


def contact_channels(state: State, contact: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The channels a contact is on: by its phone, its email, and where it was messaged;
    sorted by channel id."""
    used = state.space.connections.get(contact["id"], {})
    ids = {*used}
    ids |= {PHONE_CHANNEL} if contact["phone"] else set()
    ids |= {EMAIL_CHANNEL} if contact["email"] else set()
    records = []
    for channel_id in sorted(ids):
        channel = state.space.channels[channel_id]
        record = {k: channel[k] for k in ("id", "name", "source")}
        record["created_at"] = contact["created_at"]
        if channel_id in used:
            record["lastMessageTime"] = used[channel_id]
        records.append(record)
    return records


def list_channels(call: Call) -> Apply:
    """``GET /contact/{identifier}/channels?limit=&cursorId=``."""
    contact_id = call.contact_id()
    page_params(call.query)

    def apply() -> Result:
        channels = contact_channels(call.state, call.state.contact(contact_id))
        return 200, paginate(call.url, call.query, [(c["id"], c) for c in channels])

    return apply


def assign(call: Call) -> Apply:
    """``POST /contact/{identifier}/conversation/assignee`` ``{"assignee": id|email|null}``."""
    contact_id, body = call.contact_id(), obj(call.body)
    only_keys(body, ("assignee",))
    if "assignee" not in body:
        raise invalid("body.assignee: required (null unassigns)")
    wanted, users = body["assignee"], call.state.space.users.values()
    user_id = None
    if wanted is not None:
        user_id = next(
            (
                u["id"]
                for u in users
                if (as_int(wanted) is not None and u["id"] == as_int(wanted))
                or (isinstance(wanted, str) and u["email"] == wanted)
            ),
            None,
        )
        if user_id is None:
            raise invalid(f"body.assignee: no user {wanted!r} in this workspace")

    def apply() -> Result:
        call.state.store.update(contact_id, {"assignee": user_id})
        call.state.changed("contact.assignee.updated", contact_id)
        return _done(contact_id)

    return apply


STATUSES = {"open": "open", "close": "close", "closed": "close"}
"""Conversation statuses a request may give, and the one stored: the official TypeScript SDK
sends ``close``, the n8n integration ``closed``; both close (a contact's status reads
``close``, the TypeScript SDK's spelling)."""


def update_status(call: Call) -> Apply:
    """``POST /contact/{identifier}/conversation/status`` ``{"status": "open"|"close"|"closed",
    "category"?, "summary"?}``; a close is logged with its closing note."""
    contact_id, body = call.contact_id(), obj(call.body)
    only_keys(body, ("status", "category", "summary"))
    status = STATUSES.get(body.get("status"))  # type: ignore[arg-type]
    if status is None:
        raise invalid(f"body.status: one of {list(STATUSES)} required")
    category = text(body, "category", max_len=MAX_CATEGORY)
    summary = text(body, "summary", max_len=MAX_SUMMARY)
    state = call.state

    def apply() -> Result:
        state.store.update(contact_id, {"status": status})
        if status == "close":
            note = {"category": category, "summary": summary, "created_at": state.timestamp()}
            state.space.closings.setdefault(contact_id, []).append(note)
        state.changed(
            "conversation.opened" if status == "open" else "conversation.closed", contact_id
        )
        return _done(contact_id)

    return apply


def comment(call: Call) -> Apply:
    """``POST /contact/{identifier}/comment`` ``{"text": ...}`` (1-1,000 characters) ->
    ``{"contactId", "text", "created_at"}``."""
    contact_id, body = call.contact_id(), obj(call.body)
    only_keys(body, ("text",))
    content = required_text(body, "text", max_len=MAX_COMMENT)
    state = call.state

    def apply() -> Result:
        saved = {"contactId": contact_id, "text": content, "created_at": state.timestamp()}
        state.space.comments.setdefault(contact_id, []).append(saved)
        state.changed("comment.created", contact_id, comment=dict(saved))
        return 200, dict(saved)

    return apply
