"""The public surface: everything API.md names is importable from the top-level package."""

from __future__ import annotations

import aelyst_async

CONTRACT = {
    "AelystClient",
    "Contact",
    "CustomField",
    "Identifier",
    "UNSET",
    "UpsertResult",
    "BulkOutcome",
    "BulkReport",
    "AelystError",
    "ContactValidationError",
    "APIError",
    "BadRequestError",
    "AuthenticationError",
    "NotFoundError",
    "RateLimitError",
    "QueuedError",
    "ServerError",
    "TransportError",
    "RateLimitPolicy",
    "RetryPolicy",
}


def test_all_is_sorted_complete_and_importable() -> None:
    exported = aelyst_async.__all__
    isort_style = sorted(
        exported, key=lambda n: (0 if n.isupper() else 1 if n[0].isupper() else 2, n)
    )
    assert exported == isort_style
    assert set(exported) >= CONTRACT
    for name in exported:
        assert hasattr(aelyst_async, name), name
    public = {
        name
        for name, value in vars(aelyst_async).items()
        if not name.startswith("_") and type(value).__name__ != "module"
    }
    assert public <= set(exported)


def test_error_tree() -> None:
    for name in CONTRACT:
        obj = getattr(aelyst_async, name)
        if isinstance(obj, type) and name.endswith("Error") and name != "AelystError":
            assert issubclass(obj, aelyst_async.AelystError), name
    api_errors = ["BadRequestError", "AuthenticationError", "NotFoundError", "RateLimitError"]
    for name in [*api_errors, "QueuedError", "ServerError"]:
        assert issubclass(getattr(aelyst_async, name), aelyst_async.APIError)
    assert issubclass(aelyst_async.ContactValidationError, ValueError)


def test_version_comes_from_the_package_metadata() -> None:
    from importlib.metadata import version

    assert aelyst_async.__version__ == version("aelyst_async")
