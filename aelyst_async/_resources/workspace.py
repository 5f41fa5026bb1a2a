"""``client.workspace``: the workspace's users, custom fields, channels, closing notes,
templates and tags.

>>> async for user in client.workspace.list_users():
...     print(user.id, user.email, user.role)
>>> field = await client.workspace.create_custom_field("Plan", "list", allowed_values=["Free"])
"""

from __future__ import annotations

from collections.abc import Sequence

from .._core import Core
from .._paginate import Paginator
from .._sansio.bodies import CustomFieldBody, NewTag, TagChange, TagName
from .._sansio.space_operations import (
    CHANNEL_LIST,
    CLOSING_NOTE_LIST,
    CUSTOM_FIELD_CREATE,
    CUSTOM_FIELD_GET,
    CUSTOM_FIELD_LIST,
    TAG_CREATE,
    TAG_DELETE,
    TAG_RENAME,
    TAG_UPDATE,
    TEMPLATE_LIST,
    USER_GET,
    USER_LIST,
)
from .._sansio.validate.checks import (
    check_id,
    check_text,
    refuse,
)
from .._sansio.validate.workspace import (
    MAX_TAG_NAME_LENGTH,
    custom_field_problems,
    tag_text_problems,
)
from ..types.contact import UNSET, UnsetType
from ..types.workspace import (
    ClosingNote,
    CustomFieldDefinition,
    CustomFieldType,
    Tag,
    Template,
    User,
    WorkspaceChannel,
)

DEFAULT_PAGE_SIZE = 100


class Workspace:
    """The workspace endpoints, reached as ``client.workspace``. Listing methods return an
    async iterator fetching ``page_size`` (1-100) items a request; ``.pages()`` gives pages."""

    def __init__(self, core: Core) -> None:
        self._core = core

    def list_users(self, *, page_size: int = DEFAULT_PAGE_SIZE) -> Paginator[User]:
        """The workspace's users.

        >>> async for user in client.workspace.list_users():
        ...     print(user.id, user.email, user.role, user.team)
        """
        return self._core.paginate(USER_LIST, page_size=page_size)

    async def get_user(self, user_id: int) -> User:
        """The user ``user_id``; raises :class:`NotFoundError` when there is none.

        >>> (await client.workspace.get_user(42)).email
        'agent@example.com'
        """
        refuse(check_id("user_id", user_id))
        return await self._core.result(USER_GET, {"id": user_id})

    def list_custom_fields(
        self, *, page_size: int = DEFAULT_PAGE_SIZE
    ) -> Paginator[CustomFieldDefinition]:
        """The workspace's custom fields (what a contact's ``CustomField`` may name).

        >>> names = {field.name: field.data_type
        ...          async for field in client.workspace.list_custom_fields()}
        """
        return self._core.paginate(CUSTOM_FIELD_LIST, page_size=page_size)

    async def get_custom_field(self, field_id: int) -> CustomFieldDefinition:
        """The custom field ``field_id``; raises :class:`NotFoundError` when there is none.

        >>> (await client.workspace.get_custom_field(3)).allowed_values
        ('Free', 'Pro')
        """
        refuse(check_id("field_id", field_id))
        return await self._core.result(CUSTOM_FIELD_GET, {"id": field_id})

    async def create_custom_field(
        self,
        name: str,
        data_type: CustomFieldType,
        *,
        slug: str | None = None,
        description: str | None = None,
        allowed_values: Sequence[str] | None = None,
    ) -> CustomFieldDefinition:
        """Create a custom field; returns it with its id.

        ``name`` and ``slug``: at most 50 characters; ``description``: at most 255;
        ``data_type``: ``"text"``, ``"list"``, ``"checkbox"``, ``"email"``, ``"number"``,
        ``"url"``, ``"date"`` or ``"time"``; ``allowed_values``: the options of a ``"list"``
        (required for it, refused for the others). Not idempotent: after a timeout, a lost
        answer or a 5xx it raises :class:`MaybeAppliedError` (look in
        :meth:`list_custom_fields` before trying again). Raises
        :class:`ValidationError` naming the field (nothing sent),
        :class:`ConflictError` / :class:`BadRequestError` (e.g. the name exists).

        >>> await client.workspace.create_custom_field("Plan", "list", allowed_values=["Free"])
        CustomFieldDefinition(id=3, name='Plan', ..., data_type='list', allowed_values=('Free',))
        """
        body = CustomFieldBody(name, data_type, slug, description, allowed_values)
        refuse(custom_field_problems(body, self._core.options.validation))
        return await self._core.result(CUSTOM_FIELD_CREATE, body=body)

    def list_channels(self, *, page_size: int = DEFAULT_PAGE_SIZE) -> Paginator[WorkspaceChannel]:
        """The workspace's messaging channels (their ids are ``messages.send``'s
        ``channel_id``).

        >>> async for channel in client.workspace.list_channels():
        ...     print(channel.id, channel.name, channel.source)
        """
        return self._core.paginate(CHANNEL_LIST, page_size=page_size)

    def list_closing_notes(self, *, page_size: int = DEFAULT_PAGE_SIZE) -> Paginator[ClosingNote]:
        """The closing-note categories a conversation can be closed with.

        >>> [note.category async for note in client.workspace.list_closing_notes()]
        ['Resolved', 'Spam']
        """
        return self._core.paginate(CLOSING_NOTE_LIST, page_size=page_size)

    def list_templates(
        self, channel_id: int, *, page_size: int = DEFAULT_PAGE_SIZE
    ) -> Paginator[Template]:
        """The WhatsApp templates of channel ``channel_id``, each with its ``components``.

        Reads ``GET /space/channel/{id}/template``, the official TypeScript SDK's path (the n8n
        integration lists WhatsApp templates at ``.../mtm`` and Messenger ones at
        ``.../template``; the SDK follows the TypeScript SDK where the two disagree).

        >>> async for template in client.workspace.list_templates(3):
        ...     print(template.name, template.language_code, template.status)
        """
        refuse(check_id("channel_id", channel_id))
        return self._core.paginate(TEMPLATE_LIST, {"id": channel_id}, page_size=page_size)

    async def create_tag(
        self,
        name: str,
        *,
        description: str | None = None,
        color_code: str | None = None,
        emoji: str | None = None,
    ) -> Tag:
        """Create a workspace tag (``name``: 1-255 characters); returns it with its id.

        Not idempotent: after a timeout, a lost answer or a 5xx it raises
        :class:`MaybeAppliedError`. Raises :class:`ValidationError` naming the field
        (nothing sent), :class:`ConflictError` / :class:`BadRequestError` (e.g. the tag exists).

        >>> await client.workspace.create_tag("vip", color_code="#ffd700", emoji="⭐")
        Tag(id=5, name='vip', description=None, color_code='#ffd700', emoji='⭐')
        """
        mode = self._core.options.validation
        problems = check_text("name", name, mode=mode, max_length=MAX_TAG_NAME_LENGTH)
        body = NewTag(name, description, color_code, emoji)
        problems += tag_text_problems(body, mode)
        refuse(problems)
        return await self._core.result(TAG_CREATE, body=body)

    async def update_tag(
        self,
        current_name: str,
        *,
        name: str | UnsetType = UNSET,
        description: str | UnsetType | None = UNSET,
        color_code: str | UnsetType | None = UNSET,
        emoji: str | UnsetType | None = UNSET,
    ) -> Tag:
        """Change the tag named ``current_name``: rename it to ``name`` (1-255 characters) and
        set ``description``, ``color_code`` or ``emoji``. What is left UNSET is not changed;
        ``None`` clears. Returns the tag as it now is.

        A rename is not idempotent (sent again, it would find no tag by the old name): after a
        timeout, a lost answer or a 5xx it raises :class:`MaybeAppliedError`. Raises
        :class:`NotFoundError` when no tag has that name.

        >>> await client.workspace.update_tag("vip", name="VIP", emoji=None)
        Tag(id=5, name='VIP', description=None, color_code='#ffd700', emoji=None)
        """
        mode = self._core.options.validation
        problems = check_text(
            "current_name", current_name, mode=mode, max_length=MAX_TAG_NAME_LENGTH
        )
        if not isinstance(name, UnsetType):
            problems += check_text("name", name, mode=mode, max_length=MAX_TAG_NAME_LENGTH)
        new_name = current_name if isinstance(name, UnsetType) else name
        body = TagChange(current_name, new_name, description, color_code, emoji)
        problems += tag_text_problems(body, mode)
        refuse(problems)
        operation = TAG_UPDATE if new_name == current_name else TAG_RENAME
        return await self._core.result(operation, body=body)

    async def delete_tag(self, name: str) -> None:
        """Delete the workspace tag ``name`` (from every contact too).

        Raises :class:`NotFoundError` when no tag has that name (which a retry after a lost
        answer may also meet, when the first attempt deleted it).

        >>> await client.workspace.delete_tag("VIP")
        """
        mode = self._core.options.validation
        refuse(check_text("name", name, mode=mode, max_length=MAX_TAG_NAME_LENGTH))
        await self._core.call(TAG_DELETE, body=TagName(name))
