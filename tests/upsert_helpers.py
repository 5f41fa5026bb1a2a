"""A create-or-update request built and read as the contacts resource does, for the tests of
the pure layer, the sender and the throttle (the SDK keeps no upsert-only helpers)."""

from __future__ import annotations

from datetime import datetime

from aelyst_async import Contact, ContactValidationError, Identifier, UpsertResult
from aelyst_async._redact import NOTHING, Redactor
from aelyst_async._sansio.convert import contact_to_wire
from aelyst_async._sansio.operations import CONTACT_UPSERT
from aelyst_async._sansio.request import Request, build_request
from aelyst_async._sansio.response import Response, interpret
from aelyst_async._sansio.validate.checks import ValidationMode
from aelyst_async._sansio.validate.contact import checked_identifier, validate_contact


def upsert_request(
    identifier: Identifier | str, contact: Contact, *, validation: ValidationMode = "strict"
) -> Request:
    """Validate and serialise a create-or-update call; raises :class:`ContactValidationError`."""
    problems = validate_contact(contact, validation)
    ident = checked_identifier(identifier, validation, problems, error=ContactValidationError)
    return build_request(CONTACT_UPSERT, {"identifier": ident}, body=contact_to_wire(contact))


def interpret_upsert(
    request: Request,
    response: Response,
    *,
    now: datetime | None = None,
    redact: Redactor = NOTHING,
) -> UpsertResult:
    """The result of a create-or-update response, or raise its typed error."""
    return interpret(CONTACT_UPSERT, request, response, now=now, redact=redact)
