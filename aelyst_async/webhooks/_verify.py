"""The ``X-Webhook-Signature`` check: base64 HMAC-SHA256 of the raw body, constant time."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

from .._errors import WebhookSignatureError


def verify_signature(body: bytes, signature: str | None, signing_key: str) -> None:
    """Check ``signature`` (the ``X-Webhook-Signature`` header) against the raw ``body``.

    The header is the base64 of the HMAC-SHA256 of the request body exactly as received, under
    the webhook's signing key. Pass the raw bytes: re-serialised JSON does not verify.

    Raises:
        WebhookSignatureError: the header is missing, is not base64 of 32 bytes, or does not match.
            The message never contains the key or the expected signature.

    Example::

        verify_signature(await request.read(), request.headers.get("X-Webhook-Signature"), KEY)
    """
    if not isinstance(body, bytes | bytearray | memoryview):
        raise TypeError(f"body must be the raw request bytes, not {type(body).__name__}")
    if not signature:
        raise WebhookSignatureError("X-Webhook-Signature is missing")
    try:
        given = base64.b64decode(signature.strip().encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise WebhookSignatureError("X-Webhook-Signature is not base64") from None
    if len(given) != hashlib.sha256().digest_size:
        raise WebhookSignatureError(
            f"X-Webhook-Signature decodes to {len(given)} bytes, not the 32 of an HMAC-SHA256"
        )
    expected = hmac.new(signing_key.encode("utf-8"), bytes(body), hashlib.sha256).digest()
    if not hmac.compare_digest(given, expected):
        raise WebhookSignatureError("X-Webhook-Signature does not match the body and signing key")
