"""Messages: what ``client.messages.send`` takes, and what ``get`` / ``list`` return.

A plain ``str`` is a text message; the other types are small attrs classes whose ``to_wire()``
gives the API's ``message`` object.

>>> QuickReplyMessage("Which plan?", ["Free", "Pro"]).to_wire()
{'type': 'quick_reply', 'title': 'Which plan?', 'replies': ['Free', 'Pro']}
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any, Literal, Union

import attrs

from ._read import WireRecord, received
from ._wire import converter
from .contact import freeze_list, wire_key

AttachmentKind = Literal["image", "video", "audio", "file"]
MessageTag = Literal["ACCOUNT_UPDATE", "POST_PURCHASE_UPDATE", "CONFIRMED_EVENT_UPDATE"]
"""The Messenger/Instagram message tags that allow a text outside the 24-hour window."""


@attrs.frozen
class TextMessage:
    """A text message (a plain ``str`` passed to ``messages.send`` means the same).

    ``message_tag`` (Messenger and Instagram, outside the 24-hour window): ``"ACCOUNT_UPDATE"``,
    ``"POST_PURCHASE_UPDATE"`` or ``"CONFIRMED_EVENT_UPDATE"``, sent as ``messageTag`` (the
    official TypeScript SDK's text message type).

    >>> TextMessage("Hello").to_wire()
    {'type': 'text', 'text': 'Hello'}
    >>> TextMessage("Your order shipped", message_tag="POST_PURCHASE_UPDATE").to_wire()
    {'type': 'text', 'text': 'Your order shipped', 'messageTag': 'POST_PURCHASE_UPDATE'}
    """

    text: str
    message_tag: MessageTag | None = attrs.field(default=None, kw_only=True)

    def to_wire(self) -> dict[str, Any]:
        """The API's ``message`` object."""
        return message_to_wire(self)


@attrs.frozen
class AttachmentMessage:
    """A file sent by URL: ``kind`` is ``"image"``, ``"video"``, ``"audio"`` or ``"file"``;
    ``file_name`` is the name the contact sees: optional for a message, required for an
    attachment of an :class:`EmailMessage` (the official TypeScript type requires ``fileName``
    there; it is not guessed from the URL, which may name no file).

    >>> wire = AttachmentMessage("https://x.io/menu.pdf", file_name="menu.pdf").to_wire()
    >>> wire["type"], wire["attachment"]
    ('attachment', {'url': 'https://x.io/menu.pdf', 'type': 'file', 'fileName': 'menu.pdf'})
    """

    url: str
    kind: AttachmentKind = attrs.field(default="file", kw_only=True, metadata=wire_key("type"))
    file_name: str | None = attrs.field(default=None, kw_only=True)

    def attachment_to_wire(self) -> dict[str, Any]:
        """The ``{type, url, fileName?}`` object (as in an email's ``attachments``)."""
        wire: dict[str, Any] = converter.unstructure(self)
        return wire

    def to_wire(self) -> dict[str, Any]:
        """The API's ``message`` object."""
        return message_to_wire(self)


@attrs.frozen
class EmailMessage:
    """An email (on an email channel): ``text`` is the body; ``cc`` / ``bcc`` are address
    lists; ``reply_to_message_id`` threads it under an earlier message; ``attachments`` are
    :class:`AttachmentMessage` values, each with its ``file_name``. Empty and None parts are
    not sent.

    >>> EmailMessage("Your invoice", subject="Invoice 42", cc=["boss@example.com"]).to_wire()
    {'type': 'email', 'text': 'Your invoice', 'subject': 'Invoice 42', 'cc': ['boss@example.com']}
    """

    text: str
    subject: str | None = attrs.field(default=None, kw_only=True)
    cc: Sequence[str] = attrs.field(default=(), kw_only=True, converter=freeze_list)
    bcc: Sequence[str] = attrs.field(default=(), kw_only=True, converter=freeze_list)
    reply_to_message_id: int | None = attrs.field(default=None, kw_only=True)
    attachments: Sequence[AttachmentMessage] = attrs.field(
        default=(), kw_only=True, converter=freeze_list
    )

    def to_wire(self) -> dict[str, Any]:
        """The API's ``message`` object."""
        return message_to_wire(self)


@attrs.frozen
class QuickReplyMessage:
    """A question with reply buttons: ``title`` and the ``replies`` (button texts).

    >>> QuickReplyMessage("Which plan?", ["Free", "Pro"]).to_wire()
    {'type': 'quick_reply', 'title': 'Which plan?', 'replies': ['Free', 'Pro']}
    """

    title: str
    replies: Sequence[str] = attrs.field(converter=freeze_list)

    def to_wire(self) -> dict[str, Any]:
        """The API's ``message`` object."""
        return message_to_wire(self)


@attrs.frozen
class CustomPayloadMessage:
    """A channel-specific message given as its JSON object (sent as is under ``payload``).

    >>> CustomPayloadMessage({"text": "Hi"}).to_wire()
    {'type': 'custom_payload', 'payload': {'text': 'Hi'}}
    """

    payload: Mapping[str, Any]

    def to_wire(self) -> dict[str, Any]:
        """The API's ``message`` object."""
        return message_to_wire(self)


@attrs.frozen
class WhatsAppTemplateMessage:
    """An approved WhatsApp template by ``name`` and ``language_code`` (e.g. ``"en"``), with
    its ``components`` (header, body and button parameters, as WhatsApp's JSON objects).

    >>> message = WhatsAppTemplateMessage("order_update", "en", components=[
    ...     {"type": "body", "parameters": [{"type": "text", "text": "42"}]}])
    >>> message.to_wire()["template"]["languageCode"]
    'en'
    """

    name: str
    language_code: str
    components: Sequence[Mapping[str, Any]] = attrs.field(
        default=(), kw_only=True, converter=freeze_list
    )

    def to_wire(self) -> dict[str, Any]:
        """The API's ``message`` object."""
        return message_to_wire(self)


Message = Union[  # noqa: UP007 (a runtime union, usable on Python 3.10)
    str,
    TextMessage,
    AttachmentMessage,
    EmailMessage,
    QuickReplyMessage,
    CustomPayloadMessage,
    WhatsAppTemplateMessage,
]
"""What ``messages.send`` takes: a ``str`` (a text message) or one of the message classes."""

_SHAPES: dict[type[Any], tuple[str, str | None]] = {
    TextMessage: ("text", None),
    AttachmentMessage: ("attachment", "attachment"),
    EmailMessage: ("email", None),
    QuickReplyMessage: ("quick_reply", None),
    CustomPayloadMessage: ("custom_payload", None),
    WhatsAppTemplateMessage: ("whatsapp_template", "template"),
}
"""Each message class's ``type`` on the wire, and the key its fields nest under (None: flat)."""
MESSAGE_TYPES = tuple(_SHAPES)


def message_to_wire(message: Any) -> dict[str, Any]:
    """The API's ``message`` object of a message class: its ``type``, then its fields by the
    converter's wire names, nested where the API nests them."""
    kind, nest = _SHAPES[type(message)]
    fields: dict[str, Any] = converter.unstructure(message)
    return {"type": kind, **({nest: fields} if nest else fields)}


@attrs.frozen(kw_only=True)
class MessageStatus(WireRecord):
    """One step of a message's delivery: ``value`` (``"pending"``, ``"sent"``,
    ``"delivered"``, ``"read"``, ``"failed"``, ...), its ``timestamp`` (aware UTC) and, for a
    failure, the channel's ``message``."""

    value: str
    timestamp: datetime.datetime | None = None
    message: str | None = None
    _wire: Mapping[str, Any] = received()


@attrs.frozen(kw_only=True)
class MessageRecord(WireRecord):
    """A message as the API returns it (``messages.get``, ``messages.list``).

    ``traffic`` is ``"incoming"`` or ``"outgoing"``; ``message`` is the API's message object
    as sent (``{"type": "text", "text": ...}``, ...); ``status`` lists the delivery steps.

    >>> record = await client.messages.get("id:7", 1042)
    >>> record.message["text"], [step.value for step in record.status]
    ('Hello', ['pending', 'sent'])
    """

    message_id: int
    channel_message_id: str | None = None
    contact_id: int | None = None
    channel_id: int | None = None
    traffic: str | None = None
    message: dict[str, Any] | None = None
    status: tuple[MessageStatus, ...] = ()
    _wire: Mapping[str, Any] = received()
