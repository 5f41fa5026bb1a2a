"""``client.conversations``: who handles a contact's conversation, and whether it is open.

>>> await client.conversations.assign("id:7", "agent@example.com")
>>> await client.conversations.update_status("id:7", "close", category="Resolved")
"""

from __future__ import annotations

from typing import Literal

from .._core import Core
from .._errors import ValidationProblem
from .._sansio.bodies import AssigneeBody, StatusBody
from .._sansio.operations import CONVERSATION_ASSIGN, CONVERSATION_STATUS
from .._sansio.validate.checks import check_choice, check_optional_text
from .._sansio.validate.workspace import check_user
from ..types.contact import Identifier

ConversationStatus = Literal["open", "close"]
MAX_CATEGORY_LENGTH = 128
MAX_SUMMARY_LENGTH = 512


class Conversations:
    """The conversation endpoints of a contact, reached as ``client.conversations``."""

    def __init__(self, core: Core) -> None:
        self._core = core

    async def assign(self, identifier: Identifier | str, assignee: int | str | None) -> None:
        """Assign the contact's conversation to a workspace user, by user id (``int``) or
        email (``str``); ``None`` unassigns it.

        Raises :class:`ValidationError` naming ``assignee`` (nothing sent),
        :class:`NotFoundError` (no such contact or user) or another :class:`AelystError`.

        >>> await client.conversations.assign("id:7", 42)
        >>> await client.conversations.assign("id:7", None)
        """
        problems = check_user("assignee", assignee, self._core.options.validation)
        ident = self._core.identifier(identifier, problems)
        await self._core.call(
            CONVERSATION_ASSIGN, {"identifier": ident}, body=AssigneeBody(assignee)
        )

    async def update_status(
        self,
        identifier: Identifier | str,
        status: ConversationStatus,
        category: str | None = None,
        summary: str | None = None,
    ) -> None:
        """Open or close the contact's conversation: ``status`` is ``"open"`` or ``"close"``;
        closing takes an optional closing-note ``category`` (at most 128 characters, one of
        ``workspace.list_closing_notes()``) and ``summary`` (at most 512).

        Raises :class:`ValidationError` naming the field (nothing sent),
        :class:`NotFoundError` (no such contact), :class:`BadRequestError` (e.g. a category
        the workspace does not have) or another :class:`AelystError`.

        >>> await client.conversations.update_status("id:7", "close", category="Resolved",
        ...                                          summary="Refund sent")
        """
        mode = self._core.options.validation
        problems = check_choice("status", status, ("open", "close"))
        problems += check_optional_text(
            "category", category, mode=mode, max_length=MAX_CATEGORY_LENGTH
        )
        problems += check_optional_text(
            "summary", summary, mode=mode, max_length=MAX_SUMMARY_LENGTH
        )
        if status == "open":
            problems += [
                ValidationProblem(name, "is only for closing (status 'close')")
                for name, value in (("category", category), ("summary", summary))
                if value is not None
            ]
        ident = self._core.identifier(identifier, problems)
        body = StatusBody(status, category, summary)
        await self._core.call(CONVERSATION_STATUS, {"identifier": ident}, body=body)
