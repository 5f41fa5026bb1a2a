"""Contact endpoints: create_or_update, get, create, update, delete, merge and list.

Each handler checks its call (400 / 404 / 409 / 449 as :class:`~._http.ApiError`) and returns
the step that applies it (see :mod:`._state`).
"""

from __future__ import annotations

import logging
from typing import Any

from ._filters import compile_filter, matches_search
from ._http import ApiError, as_int, invalid, obj, only_keys
from ._paging import page_params, paginate
from ._state import Apply, Call, Result
from ._validation import STANDARD_FIELDS, canonical_body, validate_body

log = logging.getLogger("aelyst_async.sandbox")


def _checked_body(call: Call, *, partial: bool, extra: tuple[str, ...] = ()) -> dict[str, Any]:
    problems = validate_body(call.body, call.state.space.specs, partial=partial, extra=extra)
    if problems:
        raise invalid("; ".join(problems))
    return canonical_body(obj(call.body), call.state.space.specs)


def _contact_id_result(contact_id: int) -> Result:
    return 200, {"contactId": contact_id}


def upsert(call: Call) -> Apply:
    """``POST /contact/create_or_update/{identifier}``: update the first match, else create."""
    state = call.state
    problems = validate_body(call.body, state.space.specs)
    try:
        (kind, value), target = state.find(call.params["identifier"])
    except ApiError as exc:
        problems.insert(0, exc.problem)
    if problems:
        raise invalid("; ".join(problems))
    body = canonical_body(call.body, state.space.specs)
    if kind == "id" and target is None:
        raise ApiError(404)
    if target is not None:
        state.check_processed(target, call.now)

    def apply() -> Result:
        if target is not None:
            state.store.update(target, body)
            state.stats.updates += 1
            state.changed("contact.updated", target)
            return _contact_id_result(target)
        # a new contact takes the identifier's email/phone unless the body gives one
        return _contact_id_result(
            state.create_contact({**body, kind: body.get(kind) or value}, call.now)
        )

    return apply


def get(call: Call) -> Apply:
    """``GET /contact/{identifier}``: the ContactRecord."""
    contact_id = call.contact_id()
    return lambda: (200, call.state.contact_wire(call.state.contact(contact_id)))


def create(call: Call) -> Apply:
    """``POST /contact/{identifier}``: ``email:``/``phone:`` only; 409 if one matches.

    The contact is stored under the path's email/phone (a body's differing one is ignored), so
    repeating the same create is a 409."""
    state = call.state
    (kind, value), existing = state.find(call.params["identifier"])
    if kind == "id":
        raise invalid("identifier: create takes an email: or phone: identifier")
    body = _checked_body(call, partial=False)
    if existing is not None:
        raise ApiError(409)
    fields = {**body, kind: value}

    def apply() -> Result:
        state.create_contact(fields, call.now)
        # the official TypeScript SDK types this answer {code: string, message: string}
        return 200, {"code": "200", "message": "Contact created"}

    return apply


def update(call: Call) -> Apply:
    """``PUT /contact/{identifier}``: apply exactly the fields present."""
    contact_id = call.contact_id()
    body = _checked_body(call, partial=True)

    def apply() -> Result:
        call.state.store.update(contact_id, body)
        call.state.changed("contact.updated", contact_id)
        return _contact_id_result(contact_id)

    return apply


def delete(call: Call) -> Apply:
    """``DELETE /contact/{identifier}``."""
    contact_id = call.contact_id()

    def apply() -> Result:
        call.state.store.delete(contact_id)
        call.state.space.forget_contact(contact_id)
        return _contact_id_result(contact_id)

    return apply


def merge(call: Call) -> Apply:
    """``POST /contact/merge`` ``{"contactIds": [keep, merged], ...fields}``: the body's fields
    win, then the kept contact's empty fields are filled from the merged one; tags, custom
    fields, messages, comments and channels move; the merged contact is deleted."""
    state = call.state
    body = _checked_body(call, partial=True, extra=("contactIds",))
    given = body.get("contactIds")
    keep, merged = [as_int(i) for i in given] if isinstance(given, list) and len(given) == 2 else (
        None, None)  # fmt: skip
    if keep is None or merged is None or keep == merged or min(keep, merged) < 0:
        raise invalid("contactIds: two different contact ids required")
    ids = (keep, merged)
    for contact_id in ids:
        if contact_id not in state.store:
            raise ApiError(404)
    for contact_id in ids:
        state.check_processed(contact_id, call.now)
    fields = {k: v for k, v in body.items() if k != "contactIds"}

    def apply() -> Result:
        state.store.update(keep, fields)
        kept, gone = state.contact(keep), state.contact(merged)
        fill = {
            key: gone[key]
            for key in (*STANDARD_FIELDS, "lifecycle", "assignee")
            if kept[key] in (None, "") and gone[key] not in (None, "")
        }
        fill["tags"] = kept["tags"] + [t for t in gone["tags"] if t not in kept["tags"]]
        fill["custom_fields"] = {
            name: value
            for name, value in gone["custom_fields"].items()
            if name not in kept["custom_fields"]
        }
        state.store.delete(merged)
        state.store.update(keep, fill)
        state.space.move_contact(merged, keep)
        state.changed("contact.updated", keep)
        return _contact_id_result(keep)

    return apply


def list_contacts(call: Call) -> Apply:
    """``POST /contact/list?limit=&cursorId=`` ``{search, timezone, filter}``."""
    body = obj(call.body)
    only_keys(body, ("search", "timezone", "filter"))
    search, timezone = body.get("search"), body.get("timezone")
    if search is not None and not isinstance(search, str):
        raise invalid("body.search: not a string")
    if timezone is not None and not isinstance(timezone, str):
        raise invalid("body.timezone: not a string")
    fields = call.state.space.fields.values()
    slugs = {f.slug: f.name for f in fields if f.slug} | {f.name: f.name for f in fields}
    spec = body.get("filter")
    match = compile_filter({} if spec is None else spec, slugs)
    page_params(call.query)
    state = call.state

    def apply() -> Result:
        keyed = [
            (contact["id"], contact)
            for contact in state.store.after(0)
            if (not search or matches_search(contact, search)) and match(contact)
        ]
        page = paginate(call.url, call.query, keyed)
        page["items"] = [state.contact_wire(contact) for contact in page["items"]]
        return 200, page

    return apply
