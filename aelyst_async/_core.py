"""What every resource of a client shares: sending an operation and checking its input.

A :class:`Core` is a view: :meth:`AelystClient.with_options` makes another one over the same
session, throttle and statistics, with its own timeout, retry policy or validation mode.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from ._errors import ContactValidationError, ValidationProblem
from ._models import Identifier
from ._operations import Operation, Page
from ._paginate import Paginator
from ._sansio import NO_BODY, Request, Response, build_request, fill_path, interpret
from ._send import Sender
from ._validate import ValidationMode, validate_identifier

T = TypeVar("T")
R = TypeVar("R")
MAX_PAGE_SIZE = 100


class Core:
    """Sends operations for the resources of one client view."""

    def __init__(
        self,
        sender: Sender,
        *,
        validation: ValidationMode,
        redact: Callable[[str], str],
        ensure_open: Callable[[], None],
        timeout: float = 30.0,
    ) -> None:
        self.sender = sender
        self.timeout = timeout
        """The view's request timeout (seconds): how long a re-keying upsert waits out a write
        whose answer it did not get."""
        self.validation: ValidationMode = validation
        self.redact = redact
        self.ensure_open = ensure_open

    def identifier(
        self, identifier: Identifier | str, *more: list[ValidationProblem]
    ) -> Identifier:
        """``identifier`` parsed and checked under the validation mode (nothing is sent), with
        the ``more`` problems the caller found in the rest of the call's input.

        Raises :class:`IdentifierError` (not ``kind:value``) or :class:`ContactValidationError`.
        """
        ident = Identifier.parse(identifier)
        problems = validate_identifier(ident, self.validation)
        for found in more:
            problems += found
        if problems:
            raise ContactValidationError(problems)
        return ident

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
        check_page_size(page_size)

        async def fetch(cursor: str | None) -> Page[R]:
            query: dict[str, str | int] = {"limit": page_size}
            if cursor is not None:
                query["cursorId"] = cursor
            return await self.result(operation, params, body=body, query=query)

        return Paginator(
            fetch, method=operation.method, path=fill_path(operation.path, params or {})
        )


def check_page_size(page_size: object) -> None:
    """Raise :class:`ContactValidationError` unless ``page_size`` is an int from 1 to 100."""
    if (
        isinstance(page_size, bool)
        or not isinstance(page_size, int)
        or not 1 <= page_size <= MAX_PAGE_SIZE
    ):
        raise ContactValidationError(
            [ValidationProblem("page_size", f"must be an int from 1 to 100, not {page_size!r}")]
        )
