"""``client.comments``: internal notes on a contact, seen by the workspace's users only.

>>> await client.comments.create("id:7", "Called, no answer. {{@user.42}} please follow up")
"""

from __future__ import annotations

from .._core import Core
from .._sansio.bodies import CommentBody
from .._sansio.operations import COMMENT_CREATE
from .._sansio.validate.checks import check_text
from ..types.contact import Identifier

MAX_COMMENT_LENGTH = 1000


class Comments:
    """The comment endpoint, reached as ``client.comments``."""

    def __init__(self, core: Core) -> None:
        self._core = core

    async def create(self, identifier: Identifier | str, text: str) -> None:
        """Add a comment of 1-1,000 characters to the contact; mention a user as
        ``{{@user.ID}}`` in ``text``.

        Never sent twice: after a timeout, a lost answer or a 5xx it raises
        :class:`MaybeAppliedError` (the comment may exist). Raises
        :class:`ValidationError` naming ``text`` (blank or too long; nothing sent),
        :class:`NotFoundError` (no such contact) or another :class:`AelystError`.

        >>> await client.comments.create("id:7", "Called, no answer")
        """
        problems = check_text(
            "text", text, mode=self._core.options.validation, max_length=MAX_COMMENT_LENGTH
        )
        ident = self._core.identifier(identifier, problems)
        await self._core.call(COMMENT_CREATE, {"identifier": ident}, body=CommentBody(text))
