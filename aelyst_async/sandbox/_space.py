"""Workspace endpoints under ``/space``: users, custom fields, channels, closing notes,
templates and tags. Lists take ``?limit=&cursorId=`` (see :mod:`._paging`)."""

from __future__ import annotations

from typing import Any

from ._http import ApiError, invalid, obj, only_keys, path_id, required_text, text
from ._paging import page_params, paginate
from ._state import Apply, Call, Result, State
from ._validation import FIELD_TYPES, FieldSpec
from ._workspace import slugify

MAX_FIELD_NAME, MAX_FIELD_DESCRIPTION = 50, 255
MAX_TAG_NAME, MAX_TAG_DESCRIPTION = 255, 255


def _listing(call: Call, keyed: list[tuple[int, Any]]) -> Apply:
    page_params(call.query)
    return lambda: (200, paginate(call.url, call.query, keyed))


def list_users(call: Call) -> Apply:
    """``GET /space/user``."""
    return _listing(call, sorted(call.state.space.users.items()))


def get_user(call: Call) -> Apply:
    """``GET /space/user/{id}``."""
    user = call.state.space.users.get(path_id(call.params["id"], "id"))
    if user is None:
        raise ApiError(404, "User not found")
    return lambda: (200, user)


def list_custom_fields(call: Call) -> Apply:
    """``GET /space/custom_field``."""
    fields = call.state.space.fields.values()
    return _listing(call, sorted((f.id, f.wire()) for f in fields))


def get_custom_field(call: Call) -> Apply:
    """``GET /space/custom_field/{id}``."""
    field = call.state.space.field_by_id(path_id(call.params["id"], "id"))
    if field is None:
        raise ApiError(404, "Custom field not found")
    return lambda: (200, field.wire())


def create_custom_field(call: Call) -> Apply:
    """``POST /space/custom_field`` ``{name, slug?, description?, dataType, allowedValues?}``:
    the new field is accepted by contact bodies at once."""
    body, space = obj(call.body), call.state.space
    only_keys(body, ("name", "slug", "description", "dataType", "allowedValues"))
    name = required_text(body, "name", max_len=MAX_FIELD_NAME)
    slug = text(body, "slug", max_len=MAX_FIELD_NAME)
    description = text(body, "description", max_len=MAX_FIELD_DESCRIPTION)
    kind, options = body.get("dataType"), body.get("allowedValues")
    if kind not in FIELD_TYPES:
        raise invalid(f"body.dataType: one of {list(FIELD_TYPES)} required")
    if kind == "list" and not (
        isinstance(options, list) and options and all(isinstance(o, str) and o for o in options)
    ):
        raise invalid("body.allowedValues: a list field needs a list of non-empty strings")
    if kind != "list" and options is not None:
        raise invalid("body.allowedValues: only a list field has allowed values")
    slug = slug or slugify(name) or None
    if name in space.fields or (slug and any(f.slug == slug for f in space.fields.values())):
        raise ApiError(409, "Custom field already exists")
    spec = FieldSpec(kind, tuple(options or ()))
    return lambda: (200, space.add_field(name, spec, slug, description).wire())


def list_channels(call: Call) -> Apply:
    """``GET /space/channel``."""
    return _listing(call, sorted(call.state.space.channels.items()))


def list_closing_notes(call: Call) -> Apply:
    """``GET /space/closing_notes`` (the cursor counts notes from 1)."""
    notes = call.state.space.closing_notes
    return _listing(call, list(enumerate(notes, start=1)))


def list_templates(call: Call) -> Apply:
    """``GET /space/channel/{id}/template``: the channel's templates, ``components`` included."""
    templates = call.state.space.templates.get(path_id(call.params["id"], "id"))
    if templates is None:
        raise ApiError(404, "Channel not found")
    return _listing(call, [(t["id"], t) for t in templates])


def list_whatsapp_templates(call: Call) -> Apply:
    """``GET /space/channel/{id}/mtm``: the same listing, at the path where the official n8n
    integration lists WhatsApp templates (it uses ``/template`` for Messenger's)."""
    return list_templates(call)


def _tag_details(body: dict[str, Any]) -> dict[str, Any]:
    details = {
        "description": text(body, "description", max_len=MAX_TAG_DESCRIPTION),
        "colorCode": text(body, "colorCode", max_len=32),
        "emoji": text(body, "emoji", max_len=32),
    }
    return {key: value for key, value in details.items() if key in body}


def _retag(state: State, old: str, new: str | None) -> None:
    """Rename tag ``old`` to ``new`` on every contact (``None`` removes it)."""
    for contact in list(state.store.after(0)):
        if old in contact["tags"]:
            tags = [new if t == old else t for t in contact["tags"]]
            state.store.update(contact["id"], {"tags": list(dict.fromkeys(t for t in tags if t))})


def create_tag(call: Call) -> Apply:
    """``POST /space/tag`` ``{name, description?, colorCode?, emoji?}`` -> the tag."""
    body, space = obj(call.body), call.state.space
    only_keys(body, ("name", "description", "colorCode", "emoji"))
    name = required_text(body, "name", max_len=MAX_TAG_NAME)
    details = _tag_details(body)
    if name in space.tags:
        raise ApiError(409, "Tag already exists")
    return lambda: (
        200,
        space.add_tag(name, details.get("description"), details.get("colorCode"),
                      details.get("emoji")),
    )  # fmt: skip


def update_tag(call: Call) -> Apply:
    """``PUT /space/tag`` ``{currentName, name?, description?, colorCode?, emoji?}`` -> the
    tag (no ``name``: it keeps its name, as the official UpdateSpaceTagRequest allows);
    contacts follow a rename."""
    body, state = obj(call.body), call.state
    only_keys(body, ("currentName", "name", "description", "colorCode", "emoji"))
    current = required_text(body, "currentName", max_len=MAX_TAG_NAME)
    name = text(body, "name", max_len=MAX_TAG_NAME) or current
    details = _tag_details(body)
    tags = state.space.tags
    if current not in tags:
        raise ApiError(404, "Tag not found")
    if name != current and name in tags:
        raise ApiError(409, "Tag already exists")

    def apply() -> Result:
        tag = {**tags.pop(current), **details, "name": name}
        tags[name] = tag
        if name != current:
            _retag(state, current, name)
        return 200, dict(tag)

    return apply


def delete_tag(call: Call) -> Apply:
    """``DELETE /space/tag`` ``{name}`` -> ``{"code": 200, "message": ...}`` (the official
    TypeScript SDK's type); the tag leaves every contact."""
    body, state = obj(call.body), call.state
    only_keys(body, ("name",))
    name = required_text(body, "name", max_len=MAX_TAG_NAME)
    if name not in state.space.tags:
        raise ApiError(404, "Tag not found")

    def apply() -> Result:
        del state.space.tags[name]
        _retag(state, name, None)
        return 200, {"code": 200, "message": "Tag deleted"}

    return apply
