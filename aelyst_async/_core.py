"""What every resource of a client shares: sending an operation and checking its input.

A :class:`Core` is a view: :meth:`AelystClient.with_options` makes another one over the same
session, throttle and statistics, with its own timeout, retry policy or validation mode.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from ._errors import ValidationError, ValidationProblem
from ._paginate import Paginator
from ._sansio.operations import Operation, Page
from ._sansio.request import NO_BODY, Request, build_request, fill_path
from ._sansio.response import Response, interpret
from ._sansio.validate.checks import ValidationMode, check_page_size, refuse
from ._sansio.validate.contact import checked_identifier
from ._send import Sender
from .types.contact import Identifier

T = TypeVar("T")
R = TypeVar("R")


class Core:
    """Sends operations for the resources of one client view."""

    def __init__(
        self,
        sender: Sender,
        *,
        validation: ValidationMode,
        redact: Callable[[str], str],
        ensure_open: Callable[[], None],
    ) -> None:
        self.sender = sender
        self.validation: ValidationMode = validation
        self.redact = redact
        self.ensure_open = ensure_open

    def identifier(
        self,
        identifier: Identifier | str,
        *more: list[ValidationProblem],
        error: type[ValidationError] = ValidationError,
    ) -> Identifier:
        """``identifier`` parsed and checked under the validation mode (nothing is sent), with
        the ``more`` problems the caller found in the rest of the call's input.

        Raises :class:`IdentifierError` (not ``kind:value``) or ``error`` (a contact call's
        :class:`ContactValidationError`, else :class:`ValidationError`).
        """
        return checked_identifier(identifier, self.validation, *more, error=error)

    async def call(
        self,
        operation: Operation[T],
        params: Mapping[str, Identifier | int | str] | None = None,
        *,
        body: Any = NO_BODY,
        query: Mapping[str, str | int] | None = None,
    ) -> tuple[T, int]:
        """``operation``'s result and the attempts it took (throttled, retried)."""
        self.ensure_open()
        request = build_request(operation, params, body=body, query=query)

        def read(request: Request, response: Response) -> T:
            return interpret(operation, request, response, redact=self.redact)

        return await self.sender.send(request, read)

    async def result(
        self,
        operation: Operation[T],
        params: Mapping[str, Identifier | int | str] | None = None,
        *,
        body: Any = NO_BODY,
        query: Mapping[str, str | int] | None = None,
    ) -> T:
        """``operation``'s result (throttled, retried)."""
        value, _ = await self.call(operation, params, body=body, query=query)
        return value

    def paginate(
        self,
        operation: Operation[Page[R]],
        params: Mapping[str, Identifier | int | str] | None = None,
        *,
        page_size: int,
        body: Any = NO_BODY,
    ) -> Paginator[R]:
        """A lazy paginator over ``operation``'s pages of ``page_size`` items."""
        refuse(check_page_size(page_size))

        async def fetch(cursor: str | None) -> Page[R]:
            query: dict[str, str | int] = {"limit": page_size}
            if cursor is not None:
                query["cursorId"] = cursor
            return await self.result(operation, params, body=body, query=query)

        return Paginator(
            fetch, method=operation.method, path=fill_path(operation.path, params or {})
        )
