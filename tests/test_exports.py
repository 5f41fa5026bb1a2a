"""The public surface: everything API.md names is importable from the top-level package."""

from __future__ import annotations

import subprocess
import sys

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


ON_FIRST_USE = (
    "email_validator",  # strict validation's libraries
    "phonenumbers",
    "pycountry",
    "tqdm",  # the CLI's progress bar
    "argparse",
    "importlib.metadata",  # the version (the User-Agent reads it when a client is made)
    "redis",
    "aelyst_async._cli",
    "aelyst_async.sandbox",
    "aelyst_async.testing",
    "aelyst_async.webhooks",
    "aelyst_async.redis",
    "aelyst_async._bulk",
    "aelyst_async._sansio.space_operations",  # the message and workspace calls, their types,
    "aelyst_async._sansio.bodies",  # bodies and resources: a contact call never needs them
    "aelyst_async.types.messages",
    "aelyst_async.types.workspace",
    "aelyst_async._resources.messages",
    "aelyst_async._resources.workspace",
    "aelyst_async._raw",  # client.with_raw_response
    "aelyst_async._throttle.shared",  # a shared store's budget
)


def test_import_leaves_what_a_call_may_never_use_unimported() -> None:
    code = (
        "import sys, aelyst_async; "
        f"print(' '.join(m for m in {ON_FIRST_USE!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == []
    code = (
        "import sys, aelyst_async; aelyst_async.AelystClient('t'); "
        "print(aelyst_async.BulkProgress.__module__, aelyst_async.__version__, "
        "'importlib.metadata' in sys.modules, 'aelyst_async._bulk' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == [
        "aelyst_async._bulk.progress",
        aelyst_async.__version__,
        "True",
        "True",
    ]
