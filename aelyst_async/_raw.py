"""``client.with_raw_response``: every call of the client, returning :class:`APIResponse`.

Each resource has a raw twin whose methods take the same arguments as the plain ones and run
them (validation, throttle, retries, errors unchanged), returning the answer's status, headers,
attempts and elapsed seconds with the result (``.parse()``). A listing's raw twin iterates
pages: one :class:`APIResponse` per page request, ``.parse()`` giving the :class:`Page`.

>>> response = await client.with_raw_response.contacts.get("id:7")
>>> async for page in client.with_raw_response.contacts.list(search="ana"):
...     page.headers["X-RateLimit-Remaining"], len(page.parse().items)
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar

from ._clock import Clock
from ._paginate import Paginator
from ._resources.comments import Comments
from ._resources.contacts import Contacts
from ._resources.conversations import Conversations
from ._resources.messages import Messages
from ._resources.workspace import Workspace
from ._response import APIResponse, captured
from ._sansio.operations import Page

P = ParamSpec("P")
S = TypeVar("S")
T = TypeVar("T")
R = TypeVar("R")


class RawPages(Generic[R]):
    """A listing's pages as raw responses: ``async for response in ...``, one
    :class:`APIResponse` per page request (``response.parse()`` is the :class:`Page`:
    ``items``, ``next_cursor``), fetched lazily as the plain listing's pages are."""

    def __init__(self, paginator: Paginator[R], clock: Clock) -> None:
        self._paginator, self._clock = paginator, clock

    def __aiter__(self) -> AsyncIterator[APIResponse[Page[R]]]:
        return self._responses()

    async def _responses(self) -> AsyncIterator[APIResponse[Page[R]]]:
        pages = self._paginator.pages()
        try:
            while True:
                try:
                    response = await captured(self._clock, pages.__anext__())
                except StopAsyncIteration:
                    return
                yield response
        finally:
            await pages.aclose()  # type: ignore[attr-defined]


class _Raw(Generic[S]):
    def __init__(self, resource: S, clock: Clock) -> None:
        self._resource, self._clock = resource, clock


def _call(
    method: Callable[Concatenate[S, P], Awaitable[T]],
) -> Callable[Concatenate[_Raw[S], P], Awaitable[APIResponse[T]]]:
    async def raw(view: _Raw[S], /, *args: P.args, **kwargs: P.kwargs) -> APIResponse[T]:
        return await captured(view._clock, method(view._resource, *args, **kwargs))

    functools.update_wrapper(raw, method)  # its name and signature (inspect, help())
    raw.__doc__ = _doc(method, "an APIResponse of")
    return raw


def _pages(
    method: Callable[Concatenate[S, P], Paginator[R]],
) -> Callable[Concatenate[_Raw[S], P], RawPages[R]]:
    def raw(view: _Raw[S], /, *args: P.args, **kwargs: P.kwargs) -> RawPages[R]:
        return RawPages(method(view._resource, *args, **kwargs), view._clock)

    functools.update_wrapper(raw, method)
    raw.__doc__ = _doc(method, "RawPages (one APIResponse a page) of")
    return raw


def _doc(method: Callable[..., Any], what: str) -> str:
    return f"As ``{method.__qualname__}``, returning {what} its result.\n\n{method.__doc__ or ''}"


class RawContacts(_Raw[Contacts]):
    """``client.with_raw_response.contacts`` (bulk upserts are not raw: many requests)."""

    create_or_update = _call(Contacts.create_or_update)
    get = _call(Contacts.get)
    create = _call(Contacts.create)
    update = _call(Contacts.update)
    delete = _call(Contacts.delete)
    merge = _call(Contacts.merge)
    list = _pages(Contacts.list)
    add_tags = _call(Contacts.add_tags)
    remove_tags = _call(Contacts.remove_tags)
    update_lifecycle = _call(Contacts.update_lifecycle)
    list_channels = _pages(Contacts.list_channels)


class RawMessages(_Raw[Messages]):
    """``client.with_raw_response.messages``."""

    send = _call(Messages.send)
    get = _call(Messages.get)
    list = _pages(Messages.list)


class RawComments(_Raw[Comments]):
    """``client.with_raw_response.comments``."""

    create = _call(Comments.create)


class RawConversations(_Raw[Conversations]):
    """``client.with_raw_response.conversations``."""

    assign = _call(Conversations.assign)
    update_status = _call(Conversations.update_status)


class RawWorkspace(_Raw[Workspace]):
    """``client.with_raw_response.workspace``."""

    list_users = _pages(Workspace.list_users)
    get_user = _call(Workspace.get_user)
    list_custom_fields = _pages(Workspace.list_custom_fields)
    get_custom_field = _call(Workspace.get_custom_field)
    create_custom_field = _call(Workspace.create_custom_field)
    list_channels = _pages(Workspace.list_channels)
    list_closing_notes = _pages(Workspace.list_closing_notes)
    list_templates = _pages(Workspace.list_templates)
    create_tag = _call(Workspace.create_tag)
    update_tag = _call(Workspace.update_tag)
    delete_tag = _call(Workspace.delete_tag)


class RawResponseClient:
    """A client's calls returning :class:`APIResponse` (``client.with_raw_response``): the
    resources (``contacts``, ``messages``, ``comments``, ``conversations``, ``workspace``;
    listings give :class:`RawPages`) and :meth:`request`. It shares everything with the client
    it came from (session, throttle, options: ``client.with_options(...).with_raw_response``).

    >>> response = await client.with_raw_response.contacts.update("id:7", ContactUpdate(...))
    >>> response.status, response.headers.get("X-RateLimit-Remaining"), response.parse()
    (200, '4', 7)
    """

    def __init__(
        self,
        *,
        contacts: Contacts,
        messages: Messages,
        comments: Comments,
        conversations: Conversations,
        workspace: Workspace,
        request: Callable[..., Awaitable[Any]],
        clock: Clock,
    ) -> None:
        self.contacts = RawContacts(contacts, clock)
        self.messages = RawMessages(messages, clock)
        self.comments = RawComments(comments, clock)
        self.conversations = RawConversations(conversations, clock)
        self.workspace = RawWorkspace(workspace, clock)
        self._request, self._clock = request, clock

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str | int] | None = None,
        idempotent: bool | None = None,
    ) -> APIResponse[Any]:
        """As :meth:`AelystClient.request`; ``.parse()`` gives the decoded JSON answer.

        >>> response = await client.with_raw_response.request("GET", "/space/user")
        >>> response.status, response.parse()["items"]
        """
        call = self._request(method, path, json=json, params=params, idempotent=idempotent)
        return await captured(self._clock, call)
