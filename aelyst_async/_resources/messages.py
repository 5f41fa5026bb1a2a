"""``client.messages``: send a message to a contact, read one, list them.

>>> message_id = await client.messages.send("id:7", "Hello")
>>> record = await client.messages.get("id:7", message_id)
>>> async for record in client.messages.list("id:7"):
...     print(record.message_id, record.traffic, record.message)
"""

from __future__ import annotations

from .._core import Core
from .._paginate import Paginator
from .._sansio.bodies import MessageBody
from .._sansio.space_operations import MESSAGE_GET, MESSAGE_LIST, MESSAGE_SEND
from .._sansio.validate.checks import check_id
from .._sansio.validate.messages import message_problems
from ..types.contact import Identifier
from ..types.messages import Message, MessageRecord, TextMessage

DEFAULT_PAGE_SIZE = 100


class Messages:
    """The message endpoints of a contact, reached as ``client.messages``."""

    def __init__(self, core: Core) -> None:
        self._core = core

    async def send(
        self, identifier: Identifier | str, message: Message, channel_id: int | None = None
    ) -> int:
        """Send ``message`` to the contact; returns the new message's id.

        ``message``: a ``str`` (a text message) or a :class:`TextMessage`,
        :class:`AttachmentMessage`, :class:`EmailMessage`, :class:`QuickReplyMessage`,
        :class:`CustomPayloadMessage` or :class:`WhatsAppTemplateMessage`. ``channel_id``: the
        workspace channel to send on; None sends on the contact's last interacted channel.

        Never sent twice: it is re-sent only when the API surely did not get it (429, 449, a
        connection that failed before the request was written). After a timeout, a lost
        answer or a 5xx it raises :class:`MaybeAppliedError`: check ``messages.list`` before
        sending again. Raises :class:`ValidationError` naming the field (``message``,
        ``message.replies[1]``, ``channel_id``; nothing sent), :class:`NotFoundError` (no
        such contact or channel), :class:`BadRequestError`, or another :class:`AelystError`.

        >>> await client.messages.send("id:7", "Hello")
        1042
        >>> await client.messages.send("id:7", QuickReplyMessage("Plan?", ["Free", "Pro"]))
        """
        mode = self._core.options.validation
        problems = message_problems(message, mode)
        if channel_id is not None:
            problems += check_id("channel_id", channel_id)
        ident = self._core.identifier(identifier, problems)
        wire = TextMessage(message).to_wire() if isinstance(message, str) else message.to_wire()
        body = MessageBody(wire, channel_id)
        return await self._core.result(MESSAGE_SEND, {"identifier": ident}, body=body)

    async def get(self, identifier: Identifier | str, message_id: int) -> MessageRecord:
        """The contact's message ``message_id``, with its delivery ``status`` steps.

        Raises :class:`NotFoundError` when the contact or the message does not exist.

        >>> record = await client.messages.get("id:7", 1042)
        >>> record.traffic, record.message, record.status[-1].value
        ('outgoing', {'type': 'text', 'text': 'Hello'}, 'delivered')
        """
        ident = self._core.identifier(identifier, check_id("message_id", message_id))
        return await self._core.result(MESSAGE_GET, {"identifier": ident, "messageId": message_id})

    def list(
        self, identifier: Identifier | str, *, page_size: int = DEFAULT_PAGE_SIZE
    ) -> Paginator[MessageRecord]:
        """The contact's messages as an async iterator, ``page_size`` (1-100) a request.

        >>> async for record in client.messages.list("id:7"):
        ...     print(record.message_id, record.traffic)
        """
        ident = self._core.identifier(identifier)
        return self._core.paginate(MESSAGE_LIST, {"identifier": ident}, page_size=page_size)
