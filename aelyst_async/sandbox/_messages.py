"""Messages: ``POST /contact/{identifier}/message``, ``GET .../message/{id}``, ``GET
.../message/list``. Messages are stored per contact with ids from 1, oldest first.

A message is ``{"type": ..., ...}`` with the key its type needs (other keys are kept as sent):
``text`` a ``text``; ``attachment`` an ``attachment`` ``{"type": image|video|audio|file,
"url"}``; ``custom_payload`` a ``payload`` object; ``quick_reply`` a ``title`` and ``replies``
(strings); ``email`` a ``text`` (``subject`` optional); ``whatsapp_template`` a ``template``
``{"name", "languageCode", "components"?: [...]}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._contact_actions import contact_channels
from ._http import ApiError, as_int, invalid, obj, only_keys, path_id
from ._paging import page_params, paginate
from ._state import Apply, Call, Result, State

MESSAGE_TYPES = (
    "text", "attachment", "custom_payload", "quick_reply", "email", "whatsapp_template",
)  # fmt: skip
ATTACHMENT_TYPES = ("image", "video", "audio", "file")
CHANNEL_MESSAGE_BASE = 9_000_000_000


def _is_text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def check_message(message: object) -> dict[str, Any]:
    """The message if its shape fits its type, else a 400 naming the problem."""
    msg = obj(message, "body.message")
    kind = msg.get("type")
    if kind not in MESSAGE_TYPES:
        raise invalid(f"body.message.type: one of {list(MESSAGE_TYPES)} required")
    problem = None
    if kind in ("text", "email") and not _is_text(msg.get("text")):
        problem = "text: a non-empty string required"
    elif kind == "email" and msg.get("subject") is not None and not isinstance(msg["subject"], str):
        problem = "subject: not a string"
    elif kind == "attachment":
        attachment = msg.get("attachment")
        if not (
            isinstance(attachment, dict)
            and attachment.get("type") in ATTACHMENT_TYPES
            and _is_text(attachment.get("url"))
        ):
            problem = f"attachment: {{'type': one of {list(ATTACHMENT_TYPES)}, 'url'}} required"
    elif kind == "custom_payload" and not isinstance(msg.get("payload"), dict):
        problem = "payload: an object required"
    elif kind == "quick_reply":
        replies = msg.get("replies")
        if not _is_text(msg.get("title")) or not (
            isinstance(replies, list) and replies and all(_is_text(r) for r in replies)
        ):
            problem = "title and replies (non-empty strings) required"
    elif kind == "whatsapp_template":
        template = msg.get("template")
        if not (
            isinstance(template, dict)
            and _is_text(template.get("name"))
            and _is_text(template.get("languageCode"))
        ):
            problem = "template: {'name', 'languageCode'} required"
        elif not isinstance(template.get("components", []), list):
            problem = "template.components: a list of components required"
    if problem is not None:
        raise invalid(f"body.message.{problem}")
    return msg


def _default_channel(state: State, contact_id: int) -> int:
    """The channel of the contact's last message, else the first channel it is on."""
    sent = state.space.contact_messages(contact_id)
    if sent:
        channel: int = sent[-1]["channelId"]
        return channel
    channels = contact_channels(state, state.contact(contact_id))
    if not channels:
        raise invalid("body.channelId: the contact is on no channel: give one")
    first: int = channels[0]["id"]
    return first


def send(call: Call) -> Apply:
    """``{"channelId"?: int|null, "message": {...}}`` -> ``{"messageId": N}``."""
    contact_id, body = call.contact_id(), obj(call.body)
    only_keys(body, ("channelId", "message"))
    message = check_message(body.get("message"))
    state = call.state
    given = body.get("channelId")
    channel_id = _default_channel(state, contact_id) if given is None else as_int(given)
    if channel_id is None or channel_id not in state.space.channels:
        raise invalid(f"body.channelId: no channel {given!r} in this workspace")

    def apply() -> Result:
        message_id = add_message(state, contact_id, channel_id, message, "outgoing")
        state.changed("message.sent", contact_id, message_id=message_id)
        return 200, {"messageId": message_id}

    return apply


def add_message(
    state: State, contact_id: int, channel_id: int, message: dict[str, Any], traffic: str
) -> int:
    """Store a message (``traffic`` ``"outgoing"``: sent; ``"incoming"``: received) and return
    its id."""
    space, now = state.space, state.timestamp()
    message_id = space.next_message_id
    space.next_message_id += 1
    space.messages[message_id] = {
        "messageId": message_id,
        # the channel's own id: a string of digits (the official type: string | number)
        "channelMessageId": str(CHANNEL_MESSAGE_BASE + message_id),
        "contactId": contact_id,
        "channelId": channel_id,
        "traffic": traffic,
        "message": message,
        "status": [{"value": "sent" if traffic == "outgoing" else "received", "timestamp": now}],
    }
    space.connections.setdefault(contact_id, {})[channel_id] = now
    return message_id


def _wire(message: Mapping[str, Any]) -> dict[str, Any]:
    return {**message, "status": [dict(s) for s in message["status"]]}


def get(call: Call) -> Apply:
    """``GET /contact/{identifier}/message/{messageId}``: 404 unless the contact's."""
    contact_id = call.contact_id()
    message_id = path_id(call.params["messageId"], "messageId")
    message = call.state.space.messages.get(message_id)
    if message is None or message["contactId"] != contact_id:
        raise ApiError(404, "Message not found")
    return lambda: (200, _wire(message))


def list_messages(call: Call) -> Apply:
    """``GET /contact/{identifier}/message/list?limit=&cursorId=``, oldest first."""
    contact_id = call.contact_id()
    page_params(call.query)

    def apply() -> Result:
        messages = call.state.space.contact_messages(contact_id)
        keyed = [(m["messageId"], _wire(m)) for m in messages]
        return 200, paginate(call.url, call.query, keyed)

    return apply
