"""What a webhook event says, in the shapes the API's webhooks use: ``event_id``,
``event_type``, ``contact`` (the contact as the change left it) and, per type, ``message`` and
``channel`` (``message.sent`` / ``message.received``; ``channelMessageId`` a number, as the
API's webhooks send it), ``conversation`` (``conversation.opened`` / ``.closed``: category,
summary, times, message counts) or ``comment`` (``comment.created``).
"""

from __future__ import annotations

import json
from typing import Any

from ._state import State


class Payloads:
    """The bodies of a sandbox's events; remembers when each contact's conversation opened."""

    def __init__(self, state: State) -> None:
        self._state = state
        self._opened: dict[int, int] = {}  # contact -> when its conversation was opened

    def reset(self) -> None:
        self._opened.clear()

    def seen(self, event_type: str, contact_id: int) -> None:
        """Note a change (whether or not a webhook wants it)."""
        if event_type == "conversation.opened":
            self._opened[contact_id] = self._state.timestamp()

    def body(
        self, event_id: str, event_type: str, contact_id: int, details: dict[str, Any]
    ) -> bytes:
        """The event's JSON body (compact, UTF-8)."""
        about = self._about(event_type, contact_id, details)
        payload = {"event_id": event_id, "event_type": event_type, **about}
        return json.dumps(payload, separators=(",", ":")).encode("utf-8")

    def _about(self, event_type: str, contact_id: int, details: dict[str, Any]) -> dict[str, Any]:
        """The payload's ``contact`` and, per type, ``message``/``channel``, ``conversation``
        or ``comment``."""
        state, space = self._state, self._state.space
        contact = state.contact(contact_id)
        about: dict[str, Any] = {"contact": state.contact_wire(contact)}
        if "message_id" in details:
            stored = space.messages[details["message_id"]]
            given = str(stored["channelMessageId"])
            about["message"] = {
                **stored,
                # a number in webhooks: the API's one when it is digits
                "channelMessageId": int(given) if given.isdigit() else stored["messageId"],
                "timestamp": stored["status"][0]["timestamp"],
                "status": [dict(step) for step in stored["status"]],
            }
            about["channel"] = {**space.channels[stored["channelId"]], "meta": {}}
        if "comment" in details:
            about["comment"] = details["comment"]
        if event_type == "conversation.opened":
            opened = self._opened[contact_id]
            about["conversation"] = {"openedTime": opened, "openedBySource": "api"}
        if event_type == "conversation.closed":
            about["conversation"] = self._closed(contact_id, contact)
        return about

    def _closed(self, contact_id: int, contact: dict[str, Any]) -> dict[str, Any]:
        notes = self._state.space.closings.get(contact_id) or [{}]
        note = notes[-1]
        opened = self._opened.pop(contact_id, None)
        traffic = [m["traffic"] for m in self._state.space.contact_messages(contact_id)]
        user = self._state.space.users.get(contact["assignee"]) if contact["assignee"] else None
        return {
            "category": note.get("category"),
            "summary": note.get("summary"),
            "openedTime": opened,
            "openedBySource": "api" if opened is not None else None,
            "closedTime": note.get("created_at"),
            "closedBy": None,
            "closedBySource": "api",
            "firstResponseTime": None,
            "resolutionTime": note["created_at"] - opened if opened is not None else None,
            "incomingMessageCount": traffic.count("incoming"),
            "outgoingMessageCount": traffic.count("outgoing"),
            "assigneeTeam": (user.get("team") or {}).get("name") if user else None,
            "lastAssignmentTime": None,
        }
