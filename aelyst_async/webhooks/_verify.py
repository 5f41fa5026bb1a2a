"""The ``X-Webhook-Signature`` check: base64 HMAC-SHA256 of the raw body, constant time."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

from .._errors import WebhookSignatureError

_BYTES = (bytes, bytearray, memoryview)


def _key_bytes(signing_key: str | bytes) -> bytes:
    if isinstance(signing_key, str):
        key = signing_key.encode("utf-8")
    elif isinstance(signing_key, _BYTES):
        key = bytes(signing_key)
    else:
        raise TypeError(f"signing_key must be a str or bytes, not {type(signing_key).__name__}")
    if not key:  # an unset setting: anyone can sign with an empty key
        raise ValueError("signing_key is empty: pass the webhook's signing key")
    return key


def verify_signature(body: bytes, signature: str | bytes | None, signing_key: str | bytes) -> None:
    """Check ``signature`` (the ``X-Webhook-Signature`` header) against the raw ``body``.

    The header is the base64 of the HMAC-SHA256 of the request body exactly as received, under
    the webhook's signing key. Pass the raw bytes: re-serialised JSON does not verify. The
    header may be given as ``str`` or as the raw ``bytes`` some servers hand out (ASGI); the key
    as ``str`` (UTF-8) or ``bytes``.

    Raises:
        WebhookSignatureError: the header is missing, is not base64 of 32 bytes, or does not match.
            The message never contains the key or the expected signature.
        TypeError: ``body`` is not bytes, ``signature`` not str, bytes or None, or
            ``signing_key`` not str or bytes (a setting that was never loaded: ``None``).
        ValueError: ``signing_key`` is empty.

    Example::

        verify_signature(await request.read(), request.headers.get("X-Webhook-Signature"), KEY)
    """
    if not isinstance(body, _BYTES):
        raise TypeError(f"body must be the raw request bytes, not {type(body).__name__}")
    if signature is not None and not isinstance(signature, (str, *_BYTES)):
        raise TypeError(
            f"signature must be the X-Webhook-Signature header (str, bytes or None), "
            f"not {type(signature).__name__}"
        )
    key = _key_bytes(signing_key)
    if not signature:
        raise WebhookSignatureError("X-Webhook-Signature is missing")
    try:
        raw = signature.encode("ascii") if isinstance(signature, str) else bytes(signature)
        given = base64.b64decode(raw.strip(), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise WebhookSignatureError("X-Webhook-Signature is not base64") from None
    if len(given) != hashlib.sha256().digest_size:
        raise WebhookSignatureError(
            f"X-Webhook-Signature decodes to {len(given)} bytes, not the 32 of an HMAC-SHA256"
        )
    expected = hmac.new(key, bytes(body), hashlib.sha256).digest()
    if not hmac.compare_digest(given, expected):
        raise WebhookSignatureError("X-Webhook-Signature does not match the body and signing key")
